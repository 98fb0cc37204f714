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
from sqlalchemy.types import TypeEngine

from privaat.connectors.base import Person, normalise
from privaat.connectors.sql.compile import CompiledLink, CompiledTable, QueryPlan
from privaat.connectors.sql.dialect import contains_any, folded, json_text, member, member_param
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
    conn: Connection,
    plan: QueryPlan,
    person: Person,
    materialise: Iterable[str] = (),
    *,
    expand_only: bool = False,
) -> Located:
    """Locate the person's rows; ``materialise`` names extra tables whose keys to hold.
    ``expand_only`` stops once the identities have settled (the person is all that is
    wanted): the tables no table of persons depends on are not located."""
    while True:
        keys: dict[str, KeyRows] = {}
        _locate(conn, plan, plan.expand_order, person, keys)
        grown = person.merged(identities_of(plan, keys))
        if _same(grown, person):
            break
        person = grown
    if expand_only:
        return Located(person, keys)
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
    selected = [table.table.c[c] for c in columns]
    cached = owned_statement(
        plan, table, located, "keys", lambda where: sa.select(*selected).where(where)
    )
    if cached is not None:
        result = conn.execute(*cached)
    else:
        condition = owned(plan, table, located.person, located.values_of)
        if condition is None:
            return found
        result = conn.execute(sa.select(*selected).where(condition))
    size = len(table.pk)
    for row in result:
        found.rows[tuple(row[:size])] = tuple(row)
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
    if link.mentions:
        column = table.table.c[link.column]
        expr: ColumnElement[Any] = column
        if link.path is not None:
            expr = json_text(plan.dialect, column, link.path, link.json_typed)
        needles = sorted({v for kind in link.mentions for v in person.values(kind)})
        return contains_any(expr, needles) if needles else None
    values = link_values(link, person, values_of, fold=fold)
    if values is None:
        return None
    return _link_clause(plan, table, link, values, fold=fold)


def link_values(
    link: CompiledLink, person: Person, values_of: ValuesOf, *, fold: bool = False
) -> list[Any] | None:
    """The values an owning link compares with (None: it can match nothing)."""
    if link.identity is not None:
        values = sorted(person.values(link.identity))
        if not values:
            return None
        if link.link.ignore_case or fold:
            values = sorted({v.lower() for v in values})
        return values
    assert link.target is not None
    keys = list(values_of(*link.target))
    if not keys:
        return None
    if link.link.as_text or link.path is not None:
        keys = [str(k) for k in keys]
    return keys


def _link_clause(
    plan: QueryPlan,
    table: CompiledTable,
    link: CompiledLink,
    values: list[Any] | None,
    *,
    fold: bool = False,
    name: str | None = None,
) -> ColumnElement[bool]:
    """An owning link compared with ``values``, or (PostgreSQL, ``values`` None) with the
    array parameter ``name``, given when the statement runs."""
    column = table.table.c[link.column]
    expr: ColumnElement[Any] = column
    if link.path is not None:
        expr = json_text(plan.dialect, column, link.path, link.json_typed)
    if link.identity is not None:
        if link.link.ignore_case or fold:
            expr = folded(expr, link.ci and link.path is None)
        element: TypeEngine[Any] = sa.Text() if link.path is not None else column.type
    else:
        element = column.type
        if link.link.as_text or link.path is not None:
            element = sa.Text()
    if values is None:
        assert name is not None
        condition = member_param(expr, name, element)
    else:
        condition = member(plan.dialect, expr, values, element)
    if link.target is not None and link.when:
        condition = sa.and_(condition, *(table.table.c[c] == v for c, v in link.when))
    return condition


def owned_statement(
    plan: QueryPlan,
    table: CompiledTable,
    located: Located,
    purpose: str,
    build: Callable[[ColumnElement[bool]], Any],
) -> tuple[Any, dict[str, Any]] | None:
    """On PostgreSQL, the statement ``build(owned condition)`` made once per table and set
    of matching links, and the values to run it with (None: elsewhere, or no link can
    match). Building and caching a statement per request costs more than running it."""
    if plan.dialect != "postgresql":
        return None
    values = [
        None if link.mentions else link_values(link, located.person, located.values_of)
        for link in table.links
    ]
    shape = tuple(v is not None for v in values)
    if not any(shape):
        return None
    key = (purpose, table.name, shape)
    statement = plan.statements.get(key)
    if statement is None:
        condition = sa.or_(
            *(
                _link_clause(plan, table, link, None, name=f"privaat_link_{i}")
                for i, link in enumerate(table.links)
                if shape[i]
            )
        )
        statement = plan.statements[key] = build(condition)
    return statement, {f"privaat_link_{i}": v for i, v in enumerate(values) if v is not None}


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
