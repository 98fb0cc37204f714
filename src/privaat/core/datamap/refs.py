"""Checks across the parts of a data map, and against the policy it serves.

Each problem is a path into the document and a message, so that the loader can report it at
its file:line:column.
"""

from __future__ import annotations

from collections import Counter

from privaat.core.datamap.model import DataMap, Link, Table
from privaat.core.policy.model import Policy
from privaat.core.yamlsource import Path

SQL_CONNECTORS = frozenset({"postgresql", "mysql", "sqlite"})


def reference_problems(datamap: DataMap, policy: Policy | None = None) -> list[tuple[Path, str]]:
    """Every problem found; empty when the map holds together (and fits the policy)."""
    problems: list[tuple[Path, str]] = []
    for sid, count in Counter(s.id for s in datamap.stores).items():
        if count > 1:
            index = max(i for i, s in enumerate(datamap.stores) if s.id == sid)
            problems.append((("stores", index, "id"), f"store id {sid!r} is used twice"))
    for si, store in enumerate(datamap.stores):
        base: Path = ("stores", si)
        if store.connector in SQL_CONNECTORS:
            if not store.tables:
                problems.append(((*base, "tables"), "a database store lists its tables"))
            if store.url is not None and _has_password(store.url):
                problems.append(
                    (
                        (*base, "url"),
                        "a password does not belong in the data map; put the URL in an "
                        "environment variable and name it with url_env",
                    )
                )
        problems.extend(_table_problems(base, store.tables))
        if policy is not None:
            problems.extend(_policy_problems(base, store.tables, policy))
            known = {c.key for c in policy.categories}
            for ci, key in enumerate(store.categories):
                if key not in known:
                    problems.append(((*base, "categories", ci), _unknown_category(key)))
    return problems


def _has_password(url: str) -> bool:
    head, sep, _ = url.partition("@")
    if not sep or "://" not in head:
        return False
    credentials = head.split("://", 1)[1]
    return ":" in credentials


def _table_problems(base: Path, tables: list[Table]) -> list[tuple[Path, str]]:
    problems: list[tuple[Path, str]] = []
    names = {t.name for t in tables}
    for name, count in Counter(t.name for t in tables).items():
        if count > 1:
            index = max(i for i, t in enumerate(tables) if t.name == name)
            problems.append(((*base, "tables", index, "name"), f"table {name!r} is listed twice"))
    for ti, table in enumerate(tables):
        here: Path = (*base, "tables", ti)
        for li, link in enumerate(table.links):
            if link.to is not None and link.to.split(".", 1)[0] not in names:
                problems.append(
                    (
                        (*here, "links", li, "to"),
                        f"{link.to.split('.', 1)[0]!r} is not a table of this store",
                    )
                )
        if table.person and not any(link.identity is not None for link in table.links):
            problems.append(
                ((*here, "person"), "a table of persons needs an identity link (e.g. its e-mail)")
            )
        for column, count in Counter(f.column for f in table.fields).items():
            if count > 1:
                index = max(i for i, f in enumerate(table.fields) if f.column == column)
                problems.append(
                    ((*here, "fields", index, "column"), f"column {column!r} is listed twice")
                )
    problems.extend(_unreachable(base, tables))
    return problems


def _unreachable(base: Path, tables: list[Table]) -> list[tuple[Path, str]]:
    """Tables whose links never lead to an identity: no request could ever find their rows."""
    by_name = {t.name: t for t in tables}
    reachable: set[str] = {t.name for t in tables if any(_anchors(link) for link in t.links)}
    changed = True
    while changed:
        changed = False
        for table in tables:
            if table.name in reachable:
                continue
            if any(
                link.to is not None and link.to.split(".", 1)[0] in reachable
                for link in table.links
            ):
                reachable.add(table.name)
                changed = True
    return [
        (
            (*base, "tables", ti, "links"),
            f"no link of table {t.name!r} leads to a person's identity, directly or through "
            "other tables",
        )
        for ti, t in enumerate(tables)
        if t.name not in reachable and t.name in by_name
    ]


def _anchors(link: Link) -> bool:
    return link.identity is not None or link.mentions is not None


def _unknown_category(key: str) -> str:
    return f"data category {key!r} is not a category of the policy"


def _policy_problems(base: Path, tables: list[Table], policy: Policy) -> list[tuple[Path, str]]:
    problems: list[tuple[Path, str]] = []
    known = {c.key for c in policy.categories}
    holds = {h.id for h in policy.holds}
    for ti, table in enumerate(tables):
        here: Path = (*base, "tables", ti)
        for fi, field in enumerate(table.fields):
            if field.category not in known:
                problems.append(
                    ((*here, "fields", fi, "category"), _unknown_category(field.category))
                )
        if table.hold is not None and table.hold.id not in holds:
            shown = ", ".join(sorted(holds)) or "none"
            problems.append(
                (
                    (*here, "hold", "id"),
                    f"hold {table.hold.id!r} is not a statutory hold of the policy "
                    f"(the policy has: {shown})",
                )
            )
    return problems
