"""Finding a person's rows: the links of the data map as SQL conditions, and the fixpoint.

A row is the person's (*owned*) when any of its table's links other than ``mentions``
matches:

- ``identity``: the column (or the value at a JSON path) equals one of the person's
  identities of that kind. Identities are normalised (e-mail trimmed and lower-cased); with
  ``ignore_case`` (the default) the column is compared lower-cased too, except a MySQL
  column whose collation already ignores case;
- ``to``: the column holds a key of the target table's owned rows (compared as text with
  ``as_text`` and for JSON paths), and the ``when`` columns hold their values (the type half
  of a polymorphic pair).

A row matched *only* by a ``mentions`` link (free text containing one of the person's
identities, any case) is not the person's: it is someone else's row that mentions them.
Access exports it as a mention; erasure redacts the mention and keeps the row.

Locating materialises the keys of the tables other tables link to, in the compiled locate
order: a table's targets first, a link cycle repeated until no new rows turn up. Tables of
persons (``person: true``) add the identity values of their owned rows to the person, and
locating starts again until the identities settle (:func:`locate` returns the expanded
person), so that a request by customer number also finds the newsletter row that only
holds the e-mail address. Every other table is only ever read through its condition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from privaat.connectors.base import Person, normalise
from privaat.connectors.sql.compile import CompiledLink, CompiledTable, QueryPlan
from privaat.connectors.sql.dialect import contains_any, folded, json_text, member
from privaat.connectors.sql.rows import KeyRows
from privaat.core.datamap.model import IdentityKind

#: The keys of a target table's rows: (table, column) -> values.
ValuesOf = Callable[[str, str], Sequence[Any]]


@dataclass(slots=True)
class Located:
    """The person (with the identities the store added) and the materialised keys."""

    person: Person
    keys: dict[str, KeyRows]

    def values_of(self, table: str, column: str) -> Sequence[Any]:
        found = self.keys.get(table)
        return found.values(column) if found is not None else []


def locate(
    conn: Connection, plan: QueryPlan, person: Person, materialise: Iterable[str] = ()
) -> Located:
    """Locate the person's rows; ``materialise`` names extra tables whose keys to hold."""
    while True:
        keys: dict[str, KeyRows] = {}
        _locate(conn, plan, plan.expand_order, person, keys)
        grown = person.merged(identities_of(plan, keys))
        if _same(grown, person):
            break
        person = grown
    done = {name for component in plan.expand_order for name in component}
    rest = [c for c in plan.locate_order if not set(c) <= done]
    _locate(conn, plan, rest, person, keys)
    located = Located(person, keys)
    for name in materialise:
        if name not in keys:
            keys[name] = select_keys(conn, plan, plan.tables[name], located)
    return located


def _locate(
    conn: Connection,
    plan: QueryPlan,
    components: list[list[str]],
    person: Person,
    keys: dict[str, KeyRows],
) -> None:
    located = Located(person, keys)
    for component in components:
        names = [n for n in component if n in plan.key_tables]
        if not names:
            continue
        cyclic = len(component) > 1 or any(
            link.target is not None and link.target[0] in component
            for link in plan.tables[component[0]].links
        )
        while True:
            sizes = {n: len(keys[n]) if n in keys else -1 for n in names}
            for name in names:
                keys[name] = select_keys(conn, plan, plan.tables[name], located)
            if not cyclic or all(len(keys[n]) == sizes[n] for n in names):
                break


def select_keys(
    conn: Connection, plan: QueryPlan, table: CompiledTable, located: Located
) -> KeyRows:
    """The key columns of the table's owned rows."""
    columns = plan.key_columns[table.name]
    found = KeyRows(columns, len(table.pk))
    condition = owned(plan, table, located.person, located.values_of)
    if condition is None:
        return found
    query = sa.select(*(table.table.c[c] for c in columns)).where(condition)
    for row in conn.execute(query):
        found.rows[tuple(row[: len(table.pk)])] = tuple(row)
    return found


def identities_of(plan: QueryPlan, keys: dict[str, KeyRows]) -> Person:
    """The identities the owned rows of the tables of persons hold."""
    out: dict[IdentityKind, set[str]] = {}
    for table in plan.tables.values():
        rows = keys.get(table.name)
        if not table.spec.person or rows is None:
            continue
        for link in table.links:
            if link.identity is None or link.path is not None:
                continue
            for value in rows.values(link.column):
                text = normalise(link.identity, str(value))
                if text:
                    out.setdefault(link.identity, set()).add(text)
    return Person({k: frozenset(v) for k, v in out.items()})


def _same(a: Person, b: Person) -> bool:
    kinds = set(a.identities) | set(b.identities)
    return all(a.values(k) == b.values(k) for k in kinds)


def owned(
    plan: QueryPlan,
    table: CompiledTable,
    person: Person,
    values_of: ValuesOf,
    *,
    fold: bool = False,
) -> ColumnElement[bool] | None:
    """The rows that are the person's (None: no link can match)."""
    parts = [
        c
        for link in table.links
        if not link.mentions
        if (c := link_condition(plan, table, link, person, values_of, fold=fold)) is not None
    ]
    return sa.or_(*parts) if parts else None


def mentioned(plan: QueryPlan, table: CompiledTable, person: Person) -> ColumnElement[bool] | None:
    """The rows whose free text mentions the person (whoever's they are)."""
    parts = [
        c
        for link in table.links
        if link.mentions
        if (c := link_condition(plan, table, link, person, lambda t, c: ())) is not None
    ]
    return sa.or_(*parts) if parts else None


def link_condition(
    plan: QueryPlan,
    table: CompiledTable,
    link: CompiledLink,
    person: Person,
    values_of: ValuesOf,
    *,
    fold: bool = False,
) -> ColumnElement[bool] | None:
    """One link as a condition; ``fold`` compares identities without case even where the
    map says the column is stored normalised (the search after an erasure does)."""
    column = table.table.c[link.column]
    expr: ColumnElement[Any] = column
    if link.path is not None:
        expr = json_text(plan.dialect, column, link.path, link.json_typed)
    if link.mentions:
        needles = sorted({v for kind in link.mentions for v in person.values(kind)})
        return contains_any(expr, needles) if needles else None
    if link.identity is not None:
        values = sorted(person.values(link.identity))
        if not values:
            return None
        if link.link.ignore_case or fold:
            values = sorted({v.lower() for v in values})
            expr = folded(expr, link.ci and link.path is None)
        element = sa.Text() if link.path is not None else column.type
        return member(plan.dialect, expr, values, element)
    assert link.target is not None
    keys = list(values_of(*link.target))
    if not keys:
        return None
    element = column.type
    if link.link.as_text or link.path is not None:
        keys = [str(k) for k in keys]
        element = sa.Text()
    condition = member(plan.dialect, expr, keys, element)
    if link.when:
        condition = sa.and_(condition, *(table.table.c[c] == v for c, v in link.when))
    return condition


def held(table: CompiledTable) -> ColumnElement[bool] | None:
    """The rows under the table's statutory hold (a missing date counts as held)."""
    if table.hold is None:
        return None
    column = table.table.c[table.hold.column]
    since: dt.date = table.hold.since
    if table.hold.datetime:
        since = dt.datetime.combine(since, dt.time())
    return sa.or_(column >= since, column.is_(None))


def hold_date(value: Any) -> dt.date | None:
    """A document date as the hold arithmetic wants it."""
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def either(*conditions: ColumnElement[bool] | None) -> ColumnElement[bool] | None:
    parts = [c for c in conditions if c is not None]
    return sa.or_(*parts) if parts else None


def both(*conditions: ColumnElement[bool] | None) -> ColumnElement[bool]:
    return sa.and_(sa.true(), *(c for c in conditions if c is not None))
