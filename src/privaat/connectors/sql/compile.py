"""The data map of one store, checked against the live schema and compiled once.

Compiling resolves every name of the map to a reflected column (a table or column the
database lacks is a UsageError naming the store, table and column), fixes each field's
effective masking strategy for its column's shape, and works out the orders the connector
follows on every request:

- *locate order*: the tables linked by ``to`` links, grouped into strongly connected
  components and sorted so that a table's targets are located before it (a link cycle is
  one component, located to a fixpoint);
- *key tables*: the tables whose keys are materialised (targets of ``to`` links, tables of
  persons, and for erasures the tables a real foreign key points into); every other table
  is only ever read, counted or changed with a condition;
- *delete order*: children before parents along the real foreign keys among the tables
  whose rows are deleted; a cycle is cut at a nullable foreign key (nulled first: UNLINK)
  or, failing that, at an ON DELETE CASCADE one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from privaat.connectors.sql.schema import CASCADE, LiveColumn, LiveForeignKey, LiveSchema
from privaat.core.datamap.model import IdentityKind, Link, Masking, RowAction, Store, Table
from privaat.core.holds import held_since
from privaat.core.masking import ColumnShape, ValueKind, effective, problem
from privaat.core.policy.model import Policy, StatutoryHold
from privaat.errors import UsageError


@dataclass(frozen=True, slots=True)
class CompiledLink:
    link: Link
    column: str  # the column read (for a JSON link: the JSON column)
    path: tuple[str, ...] | None  # inside the JSON column
    identity: IdentityKind | None
    target: tuple[str, str] | None  # (table, column) of a to link
    when: tuple[tuple[str, str], ...]
    mentions: tuple[IdentityKind, ...]
    ci: bool  # the column's collation already ignores case (MySQL)
    json_typed: bool

    @property
    def place(self) -> str:
        """Where the link reads, for a search hit: ``column`` or ``column.path``."""
        return self.column if self.path is None else ".".join((self.column, *self.path))


@dataclass(frozen=True, slots=True)
class CompiledField:
    column: str
    category: str
    strategy: Masking  # the effective strategy for this column
    shape: ColumnShape
    fixed: str | None
    json_typed: bool


@dataclass(frozen=True, slots=True)
class CompiledHold:
    hold: StatutoryHold
    column: str
    since: dt.date  # rows dated on or after this day are held (held_since)
    datetime: bool  # the column holds timestamps


@dataclass(frozen=True, slots=True)
class CompiledTable:
    spec: Table
    table: sa.Table
    pk: tuple[str, ...]
    links: tuple[CompiledLink, ...]
    fields: tuple[CompiledField, ...]
    hold: CompiledHold | None
    columns: dict[str, LiveColumn]
    #: free-text columns an erasure redacts mentions in (erase: redact fields, mention links)
    redact: tuple[str, ...]
    #: identities the table's mention links look for
    mention_kinds: frozenset[IdentityKind]

    @property
    def name(self) -> str:
        return self.spec.name

    def pk_columns(self) -> list[sa.Column[object]]:
        return [self.table.c[c] for c in self.pk]


@dataclass(slots=True)
class QueryPlan:
    """The compiled map of one store: what every request of the connector starts from."""

    store: Store
    dialect: str
    live: LiveSchema
    tables: dict[str, CompiledTable]
    #: components of the to-link graph, targets first; a component of several tables (or
    #: one linking to itself) is a cycle, located to a fixpoint
    locate_order: list[list[str]]
    #: the components a table of persons depends on (located first, until identities settle)
    expand_order: list[list[str]]
    key_tables: frozenset[str]
    #: deleted tables a real foreign key points into: their keys are materialised on erasure
    fk_parents: frozenset[str]
    #: real foreign keys into deleted tables, by the table they point into
    incoming: dict[str, list[LiveForeignKey]]
    delete_order: list[str]
    #: foreign keys among deleted tables that are nulled before deleting (cycles)
    cut: list[LiveForeignKey]
    #: the columns selected when a table's keys are materialised
    key_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: statements built once and run with new values each time (PostgreSQL: every set of
    #: values is one array parameter), by what they do, the table and which links match
    statements: dict[tuple[Any, ...], Any] = field(default_factory=dict)


def compile_store(
    store: Store, live: LiveSchema, dialect: str, policy: Policy, today: dt.date
) -> QueryPlan:
    """Check the map of ``store`` against the live schema and compile it."""
    dialect_tables = {t.name: _compile_table(store, t, live, policy, today) for t in store.tables}
    for table in dialect_tables.values():
        for link in table.links:
            if link.target is not None:
                target, column = link.target
                _column(store, live, target, column)
    components = _components(store.tables)
    persons = {t.name for t in store.tables if t.person}
    needed = _dependencies(store.tables, persons)
    targets = {link.target[0] for t in dialect_tables.values() for link in t.links if link.target}
    deleted = {t.name for t in store.tables if t.erase is RowAction.DELETE}
    incoming = {name: live.referencing(name) for name in deleted if live.referencing(name)}
    order, cut = _delete_order(store, deleted, live)
    plan = QueryPlan(
        store=store,
        dialect=dialect,
        live=live,
        tables=dialect_tables,
        locate_order=components,
        expand_order=[c for c in components if set(c) & needed],
        key_tables=frozenset(targets | persons),
        fk_parents=frozenset(incoming),
        incoming=incoming,
        delete_order=order,
        cut=cut,
    )
    for name, table in dialect_tables.items():
        plan.key_columns[name] = _key_columns(table, dialect_tables, incoming.get(name, []))
    return plan


def _compile_table(
    store: Store, spec: Table, live: LiveSchema, policy: Policy, today: dt.date
) -> CompiledTable:
    found = live.tables.get(spec.name)
    if found is None:
        raise UsageError(
            f"store {store.id!r}: table {spec.name!r} of the data map is not in the database"
        )
    for name in (*spec.primary_key, *spec.activity, spec.created, spec.soft_delete):
        if name is not None:
            _column(store, live, spec.name, name)
    links = tuple(_compile_link(store, spec, link, live) for link in spec.links)
    json_columns = {link.column for link in links if link.path is not None}
    email_columns = {link.column for link in links if link.identity is IdentityKind.EMAIL}
    fields = []
    for f in spec.fields:
        column = _column(store, live, spec.name, f.column)
        kind = column.kind
        if f.column in json_columns:
            kind = ValueKind.JSON
        elif kind is ValueKind.TEXT and (f.column in email_columns or "email" in f.category):
            kind = ValueKind.EMAIL
        shape = ColumnShape(kind, column.length, column.nullable, column.unique)
        strategy = effective(f.erase, shape)
        if f.column in spec.primary_key and strategy is not Masking.KEEP:
            raise UsageError(
                f"store {store.id!r}, table {spec.name!r}, column {f.column!r}: a primary-key "
                "column cannot be masked; use erase: keep for it"
            )
        why = problem(strategy, shape, f.value)
        if why is not None:
            raise UsageError(f"store {store.id!r}, table {spec.name!r}, column {f.column!r}: {why}")
        fields.append(
            CompiledField(f.column, f.category, strategy, shape, f.value, column.json_typed)
        )
    redact = [f.column for f in fields if f.strategy is Masking.REDACT]
    redact += [link.column for link in links if link.mentions and link.column not in redact]
    return CompiledTable(
        spec=spec,
        table=found.table,
        pk=tuple(spec.primary_key),
        links=links,
        fields=tuple(fields),
        hold=_compile_hold(store, spec, live, policy, today),
        columns=found.columns,
        redact=tuple(redact),
        mention_kinds=frozenset(k for link in links for k in link.mentions),
    )


def _compile_link(store: Store, spec: Table, link: Link, live: LiveSchema) -> CompiledLink:
    for name in link.source_columns:
        _column(store, live, spec.name, name)
    column = link.column if link.json_value is None else link.json_value.column
    assert column is not None  # the model guarantees one of column or json
    info = live.tables[spec.name].columns[column]
    target = None
    if link.to is not None:
        table, _, target_column = link.to.partition(".")
        target = (table, target_column)
    return CompiledLink(
        link=link,
        column=column,
        path=tuple(link.json_value.path) if link.json_value is not None else None,
        identity=link.identity,
        target=target,
        when=tuple((link.when or {}).items()),
        mentions=tuple(link.mentions or ()),
        ci=info.ci,
        json_typed=info.json_typed,
    )


def _compile_hold(
    store: Store, spec: Table, live: LiveSchema, policy: Policy, today: dt.date
) -> CompiledHold | None:
    if spec.hold is None:
        return None
    column = _column(store, live, spec.name, spec.hold.date)
    if column.kind not in {ValueKind.DATE, ValueKind.DATETIME}:
        raise UsageError(
            f"store {store.id!r}, table {spec.name!r}, column {spec.hold.date!r}: the date of "
            "a hold must be a date or timestamp column"
        )
    hold = next((h for h in policy.holds if h.id == spec.hold.id), None)
    if hold is None:
        raise UsageError(
            f"store {store.id!r}, table {spec.name!r}: hold {spec.hold.id!r} is not a "
            "statutory hold of the policy"
        )
    since = held_since(hold, today)
    return CompiledHold(hold, spec.hold.date, since, column.kind is ValueKind.DATETIME)


def _column(store: Store, live: LiveSchema, table: str, column: str) -> LiveColumn:
    found = live.tables.get(table)
    if found is None:
        raise UsageError(
            f"store {store.id!r}: table {table!r} of the data map is not in the database"
        )
    info = found.columns.get(column)
    if info is None:
        raise UsageError(
            f"store {store.id!r}, table {table!r}: column {column!r} of the data map is not "
            "in the database"
        )
    return info


def _key_columns(
    table: CompiledTable, tables: dict[str, CompiledTable], incoming: list[LiveForeignKey]
) -> tuple[str, ...]:
    wanted: list[str] = list(table.pk)
    for other in tables.values():
        for link in other.links:
            if link.target is not None and link.target[0] == table.name:
                wanted.append(link.target[1])
    for fk in incoming:
        wanted.extend(fk.referred_columns)
    if table.spec.person:
        wanted.extend(link.column for link in table.links if link.identity and not link.path)
    if table.hold is not None:
        wanted.append(table.hold.column)
    return tuple(dict.fromkeys(wanted))


def _targets(table: Table) -> set[str]:
    return {link.to.split(".", 1)[0] for link in table.links if link.to is not None}


def _components(tables: Iterable[Table]) -> list[list[str]]:
    """Strongly connected components of the to-link graph, targets before their sources
    (Tarjan's algorithm emits a component after every component it links to)."""
    graph = {t.name: sorted(_targets(t)) for t in tables}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, []):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            out.append(sorted(component))

    for name in graph:
        if name not in index:
            visit(name)
    return out


def _dependencies(tables: Iterable[Table], roots: set[str]) -> set[str]:
    """``roots`` and every table they link to, directly or not."""
    graph = {t.name: _targets(t) for t in tables}
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(graph.get(name, ()))
    return seen


def _delete_order(
    store: Store, deleted: set[str], live: LiveSchema
) -> tuple[list[str], list[LiveForeignKey]]:
    """Children before parents (Kahn's algorithm); cycles cut at a nullable foreign key."""
    edges = [
        fk
        for name in deleted
        for fk in live.tables[name].foreign_keys
        if fk.referred_table in deleted
    ]
    cut = [fk for fk in edges if fk.table == fk.referred_table and fk.nullable]
    remaining = [fk for fk in edges if fk.table != fk.referred_table]
    order: list[str] = []
    left = [t.name for t in store.tables if t.name in deleted]
    while left:
        ready = [n for n in left if not any(fk.referred_table == n for fk in remaining)]
        if not ready:
            cycle = [fk for fk in remaining if fk.table in left and fk.referred_table in left]
            breaker = next((fk for fk in cycle if fk.nullable), None)
            if breaker is not None:
                cut.append(breaker)
            else:
                breaker = next((fk for fk in cycle if fk.ondelete == CASCADE), None)
            if breaker is None:
                names = ", ".join(sorted({fk.table for fk in cycle}))
                raise UsageError(
                    f"store {store.id!r}: tables {names} reference each other through NOT "
                    "NULL foreign keys, so their rows cannot be deleted; mark one of them "
                    "erase: mask"
                )
            remaining.remove(breaker)
            continue
        for name in ready:
            order.append(name)
            left.remove(name)
            remaining = [fk for fk in remaining if fk.table != name]
    return order, cut
