"""Checks across the parts of a data map, and against the policy it serves.

Each problem is a path into the document and a message, so that the loader can report it at
its file:line:column.
"""

from __future__ import annotations

from collections import Counter

from privaat.core.datamap.model import DataMap, Link, Masking, RetentionScope, Table
from privaat.core.policy.model import Policy, RetentionAction, Trigger
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
        problems.extend(_retention_problems(here, table, tables, policy))
    return problems


#: Masking strategies whose result privaat recognises, so that an anonymised row is not
#: swept again (see connectors/sql/retain.py).
RECOGNISABLE = frozenset({Masking.NULL, Masking.FIXED, Masking.UNIQUE_RANDOM})


def _retention_problems(
    here: Path, table: Table, tables: list[Table], policy: Policy
) -> list[tuple[Path, str]]:
    """A retention binding that cannot run as the policy's rule says."""
    problems: list[tuple[Path, str]] = []
    rules = {r.id: r for r in policy.retention}
    personal = {f.column for f in table.fields}
    linked = {link.source_columns[0] for link in table.links}
    # a rule may be bound twice to a table with different starts ("after your approval, at
    # the latest 14 days after the cancellation"), never twice from the same column
    starts = Counter((b.rule, b.from_column) for b in table.retention)
    for (rid, start), count in starts.items():
        if count > 1:
            last = max(
                i for i, b in enumerate(table.retention) if (b.rule, b.from_column) == (rid, start)
            )
            problems.append(
                (
                    (*here, "retention", last, "rule"),
                    f"rule {rid!r} is bound twice"
                    + (f" from {start!r}" if start else "")
                    + ": a second binding needs another from column",
                )
            )
    for bi, binding in enumerate(table.retention):
        at: Path = (*here, "retention", bi)
        rule = rules.get(binding.rule)
        if rule is None:
            shown = ", ".join(sorted(rules)) or "none"
            problems.append(
                (
                    (*at, "rule"),
                    f"{binding.rule!r} is not a retention rule of the policy (it has: {shown})",
                )
            )
            continue

        def add(key: str, message: str, at: Path = at) -> None:
            problems.append(((*at, key), message))

        if rule.trigger is Trigger.LAST_ACTIVITY and binding.scope is not RetentionScope.PERSON:
            add(
                "rule",
                f"rule {rule.id!r} counts from the last activity: bind it with "
                "scope: person on the table of persons",
            )
        if binding.scope is RetentionScope.PERSON:
            if not table.person:
                add("scope", "scope: person needs a table of persons (person: true)")
            if rule.action is not RetentionAction.DELETE:
                add(
                    "scope",
                    f"scope: person erases the person; rule {rule.id!r} says "
                    f"{rule.action.value}: bind it with scope: rows",
                )
        start = binding.from_column or (
            None if rule.trigger is Trigger.LAST_ACTIVITY else table.created
        )
        if rule.trigger in {Trigger.CONTRACT_END, Trigger.EVENT, Trigger.PROCEDURE_END}:
            if binding.from_column is None:
                what = rule.event or rule.trigger.value.replace("_", " ")
                add(
                    "rule", f"rule {rule.id!r} runs from the {what}: name its date column with from"
                )
        elif rule.trigger is not Trigger.LAST_ACTIVITY and start is None:
            add(
                "rule",
                f"rule {rule.id!r} runs from collection: name the date column with "
                "from, or give the table created",
            )
        period = binding.after if binding.after is not None else rule.maximum
        if period is None and rule.trigger is not Trigger.SCHEDULE:
            add(
                "rule",
                f"the policy's rule {rule.id!r} states no maximum: bind it with "
                "after, the period the company applies (e.g. after: P6M)",
            )
        if (
            binding.after is not None
            and rule.maximum is not None
            and binding.after.longer_than(rule.maximum)
        ):
            add(
                "after",
                f"after {binding.after} is longer than the policy's maximum "
                f"{rule.maximum} for rule {rule.id!r}",
            )
        if (
            binding.after is not None
            and rule.minimum is not None
            and rule.minimum.longer_than(binding.after)
        ):
            add(
                "after",
                f"after {binding.after} is shorter than the policy's minimum "
                f"{rule.minimum} for rule {rule.id!r}: the data would go before the "
                "policy promises to keep it",
            )
        if rule.action is RetentionAction.AGGREGATE and binding.aggregate is None:
            add("rule", f"rule {rule.id!r} aggregates: say where with aggregate (into, by)")
        if binding.aggregate is not None:
            if rule.action is not RetentionAction.AGGREGATE:
                add("aggregate", f"rule {rule.id!r} says {rule.action.value}, not aggregate")
            for gi, group in enumerate(binding.aggregate.by):
                if group.column in personal:
                    problems.append(
                        (
                            (*at, "aggregate", "by", gi, "column"),
                            f"{group.column!r} is personal data: statistics may not keep it",
                        )
                    )
                elif group.column in linked:
                    problems.append(
                        (
                            (*at, "aggregate", "by", gi, "column"),
                            f"{group.column!r} links a row to a person: counted by it, the "
                            "statistics would not be anonymous",
                        )
                    )
            if any(t.name == binding.aggregate.into for t in tables):
                add(
                    "aggregate",
                    f"{binding.aggregate.into!r} is a table of personal data; "
                    "statistics go into a table of their own",
                )
        if rule.action is RetentionAction.ANONYMISE and not any(
            f.erase in RECOGNISABLE for f in table.fields
        ):
            add(
                "rule",
                f"rule {rule.id!r} anonymises: the table needs a field masked with "
                "null, fixed or unique_random, so that an anonymised row is not swept again",
            )
    return problems
