"""Erasing a batch of persons set-based: a few statements per table for the whole batch.

Planning each person of a batch in turn costs a dozen statements per person. Here the batch
is located as one: the links of the map are evaluated once for all persons of the batch
together (the union of their identities, expanded to a fixpoint exactly as one person's
are), and every matched row comes back with, per link, the value it matched on
(``CASE WHEN link THEN value END``: the database decides what matches, with its own
comparison rules). Each person's rows are then found in memory by those values: their
identities for identity links, the keys of their own rows of the target table for ``to``
links, to the same fixpoint as :func:`locate.locate` reaches in SQL. The union of every
person's fixpoint is the batch's fixpoint, so every fetched row belongs to someone; a row
no person claims (a comparison Python cannot repeat) sends the batch back to the
per-person planner, as do stores this planner does not cover (MySQL / MariaDB, whose
collations compare in ways Python cannot repeat exactly, and tables without a primary key).

The plan of each person is then built by the same planner as one person's
(:class:`erase._Planner`), with its queries answered from the fetched rows: owned rows,
held rows, the rows referencing a parent (one query per foreign key for the whole batch, or
none when the child's own link is that foreign key) and the rows a cycle is cut at. Rows
that only mention a person are still found per person (free-text matching differs between
the databases and Python). Every change carries its rows by primary key (:class:`Op`), so
that ``erase.run`` merges them: one DELETE / UPDATE per table and step for the whole batch.
Plan lines, held rows and examples are exactly those of planning each person alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from privaat.connectors.base import Person, Step
from privaat.connectors.sql.compile import CompiledLink, CompiledTable, QueryPlan
from privaat.connectors.sql.dialect import folded, json_text, member_tuple, truthy
from privaat.connectors.sql.erase import (
    Action,
    Op,
    PersonErasure,
    Run,
    _all_identities,
    _mask_specs,
    _Planner,
    _strategies,
    run_ops,
)
from privaat.connectors.sql.held import held_lines
from privaat.connectors.sql.locate import (
    Located,
    _same,
    held,
    identities_of,
    link_condition,
    mentioned,
    owned,
)
from privaat.connectors.sql.rows import EXAMPLES, KeyRows, examples, pk_text
from privaat.connectors.sql.schema import CASCADE, RESTRICT, SET_NULL, LiveForeignKey
from privaat.core.datamap.model import RowAction
from privaat.core.masking import MaskInputs

#: Dialects whose comparisons Python repeats exactly (binary string equality).
DIALECTS = frozenset({"postgresql", "sqlite"})


@dataclass(slots=True)
class Fetched:
    """The rows of one table the batch owns, in primary-key order."""

    columns: tuple[str, ...]  # the plain columns selected (the primary key first)
    pk_size: int
    links: tuple[CompiledLink, ...]  # the owning (non-mention) links, in ``matches`` order
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    #: per row, per link: the value the row matched on (None: that link did not match)
    matches: list[tuple[Any, ...]] = field(default_factory=list)
    held: list[bool] = field(default_factory=list)  # per row: under the table's hold
    #: per link: matched value -> the rows (indexes) that matched on it
    index: list[dict[Any, list[int]]] = field(default_factory=list)

    def by_value(self, link: int) -> dict[Any, list[int]]:
        if not self.index:
            self.index = [{} for _ in self.links]
            for n, matched in enumerate(self.matches):
                for i, value in enumerate(matched):
                    if value is not None:
                        self.index[i].setdefault(value, []).append(n)
        return self.index[link]

    def keys(self, indexes: Iterable[int] | None = None) -> KeyRows:
        found = KeyRows(self.columns, self.pk_size)
        for i in range(len(self.rows)) if indexes is None else indexes:
            row = self.rows[i]
            found.rows[row[: self.pk_size]] = row
        return found


class ChildRow(NamedTuple):
    """A row of a table with a foreign key into a table the batch erases rows of."""

    key: tuple[Any, ...]  # its primary key
    fk: tuple[Any, ...]  # the values of the foreign key's columns
    held: bool
    at: int = 0  # its position in primary-key order


@dataclass(slots=True)
class Children:
    """The rows pointing into a parent through one foreign key, by foreign-key value."""

    by_fk: dict[tuple[Any, ...], list[ChildRow]]

    @classmethod
    def of(cls, rows: Iterable[ChildRow]) -> Children:
        by_fk: dict[tuple[Any, ...], list[ChildRow]] = {}
        for row in rows:
            by_fk.setdefault(row.fk, []).append(row)
        return cls(by_fk)

    def pointing(self, values: Iterable[tuple[Any, ...]]) -> list[ChildRow]:
        """The rows whose foreign key is one of ``values``, in primary-key order."""
        found = [r for v in set(values) for r in self.by_fk.get(v, ())]
        found.sort(key=lambda r: r.at)
        return found


class Unattributed(Exception):
    """A fetched row no person of the batch claims."""


def plan_batch(
    conn: Connection, plan: QueryPlan, persons: Sequence[Person], key: bytes
) -> list[PersonErasure] | None:
    """Plan the erasure of every person of the batch (None: plan them one by one)."""
    if not persons or not supported(plan):
        return None
    union = persons[0]
    for person in persons[1:]:
        union = union.merged(person)
    batch = _Batch(conn, plan)
    batch.locate(union)
    try:
        found = [batch.attribute(person) for person in persons]
    except Unattributed:
        return None
    claimed: dict[str, set[int]] = {}
    for _, own in found:
        for name, indexes in own.items():
            claimed.setdefault(name, set()).update(indexes)
    if any(len(claimed.get(n, ())) != len(f.rows) for n, f in batch.fetched.items()):
        return None
    return [_BatchPlanner(conn, plan, located, key, batch, own).build() for located, own in found]


def supported(plan: QueryPlan) -> bool:
    """Whether this planner covers the store (else each person is planned alone)."""
    if plan.dialect not in DIALECTS:
        return False
    for table in plan.tables.values():
        if not table.pk or tuple(plan.live.tables[table.name].primary_key) != table.pk:
            return False
    return all(
        plan.live.tables[fk.table].primary_key for fks in plan.incoming.values() for fk in fks
    )


def _fetch_columns(plan: QueryPlan, table: CompiledTable) -> tuple[str, ...]:
    wanted = [*table.pk, *plan.key_columns[table.name]]
    if table.hold is not None:
        wanted.append(table.hold.column)
    for fk in plan.live.tables[table.name].foreign_keys:
        wanted.extend(fk.columns)
    return tuple(dict.fromkeys(wanted))


def _link_value(plan: QueryPlan, table: CompiledTable, link: CompiledLink) -> ColumnElement[Any]:
    """What a link compares (as ``link_condition`` does): the value a match is known by."""
    column = table.table.c[link.column]
    expr: ColumnElement[Any] = column
    if link.path is not None:
        expr = json_text(plan.dialect, column, link.path, link.json_typed)
    if link.identity is not None and link.link.ignore_case:
        expr = folded(expr, link.ci and link.path is None)
    return expr


def _wants(
    table: CompiledTable, links: Sequence[CompiledLink], located: Located
) -> list[frozenset[Any] | None]:
    """Per link: the values a row of the person matches on (as ``link_condition`` binds)."""
    out: list[frozenset[Any] | None] = []
    for link in links:
        if link.identity is not None:
            values = located.person.values(link.identity)
            if link.link.ignore_case:
                values = frozenset(v.lower() for v in values)
            out.append(values or None)
            continue
        assert link.target is not None
        keys = located.values_of(*link.target)
        if not keys:
            out.append(None)
        elif link.link.as_text or link.path is not None:
            out.append(frozenset(str(k) for k in keys))
        else:
            out.append(frozenset(keys))
    return out


def _owned_rows(fetched: Fetched, wants: list[frozenset[Any] | None]) -> list[int]:
    """The rows (indexes, in primary-key order) that match one of the wanted values."""
    found: set[int] = set()
    for i, wanted in enumerate(wants):
        if wanted is None:
            continue
        rows = fetched.by_value(i)
        for value in wanted:
            found.update(rows.get(value, ()))
    return sorted(found)


class _Batch:
    """The rows of a batch, fetched once, and the persons' shares of them."""

    def __init__(self, conn: Connection, plan: QueryPlan) -> None:
        self.conn = conn
        self.plan = plan
        self.fetched: dict[str, Fetched] = {}
        self.union_keys: dict[str, KeyRows] = {}
        self._children: dict[tuple[str, tuple[str, ...], str], Children] = {}

    # -- the batch as one ----------------------------------------------------------------

    def locate(self, union: Person) -> None:
        plan = self.plan
        while True:
            keys: dict[str, KeyRows] = {}
            self._stage(plan.expand_order, union, keys)
            grown = union.merged(identities_of(plan, keys))
            if _same(grown, union):
                break
            union = grown
        done = {name for component in plan.expand_order for name in component}
        self._stage([c for c in plan.locate_order if not set(c) <= done], union, keys)
        located = Located(union, keys)
        for name, table in plan.tables.items():
            if name not in keys:
                self.fetched[name] = self._fetch(table, located)
                if name in plan.fk_parents:
                    keys[name] = self.fetched[name].keys()
        self.union_keys = keys

    def _stage(self, components: list[list[str]], union: Person, keys: dict[str, KeyRows]) -> None:
        plan = self.plan
        located = Located(union, keys)
        for component in components:
            names = [n for n in component if n in plan.key_tables]
            if not names:
                continue
            cyclic = _cyclic(plan, component)
            while True:
                sizes = {n: len(keys[n]) if n in keys else -1 for n in names}
                for name in names:
                    self.fetched[name] = self._fetch(plan.tables[name], located)
                    keys[name] = self.fetched[name].keys()
                if not cyclic or all(len(keys[n]) == sizes[n] for n in names):
                    break

    def _fetch(self, table: CompiledTable, located: Located) -> Fetched:
        """The table's rows any person of the batch owns, each with what it matched on."""
        plan = self.plan
        links = tuple(link for link in table.links if not link.mentions)
        fetched = Fetched(_fetch_columns(plan, table), len(table.pk), links)
        conditions: list[ColumnElement[bool]] = []
        values: list[ColumnElement[Any]] = []
        present: list[int] = []
        for i, link in enumerate(links):
            condition = link_condition(plan, table, link, located.person, located.values_of)
            if condition is None:
                continue
            conditions.append(condition)
            values.append(sa.case((condition, _link_value(plan, table, link)), else_=sa.null()))
            present.append(i)
        if not conditions:
            return fetched
        hold = held(table)
        selected = [table.table.c[c] for c in fetched.columns] + values
        if hold is not None:
            selected.append(truthy(hold))
        query = sa.select(*selected).where(sa.or_(*conditions)).order_by(*table.pk_columns())
        width = len(fetched.columns)
        empty = [None] * len(links)
        for row in self.conn.execute(query):
            fetched.rows.append(tuple(row[:width]))
            matched = list(empty)
            for j, i in enumerate(present):
                matched[i] = row[width + j]
            fetched.matches.append(tuple(matched))
            fetched.held.append(bool(row[-1]) if hold is not None else False)
        return fetched

    # -- one person's share ----------------------------------------------------------------

    def attribute(self, person: Person) -> tuple[Located, dict[str, list[int]]]:
        """The person's located keys (as :func:`locate.locate` with ``materialise`` of the
        foreign-key parents finds them) and their rows of every table (indexes)."""
        plan = self.plan
        while True:
            keys: dict[str, KeyRows] = {}
            self._share(plan.expand_order, person, keys)
            grown = person.merged(identities_of(plan, keys))
            if _same(grown, person):
                break
            person = grown
        done = {name for component in plan.expand_order for name in component}
        self._share([c for c in plan.locate_order if not set(c) <= done], person, keys)
        located = Located(person, keys)
        own: dict[str, list[int]] = {}
        for name, table in plan.tables.items():
            fetched = self.fetched[name]
            own[name] = _owned_rows(fetched, _wants(table, fetched.links, located))
        for name in plan.fk_parents:
            if name not in keys:
                keys[name] = self.fetched[name].keys(own[name])
        return located, own

    def _share(self, components: list[list[str]], person: Person, keys: dict[str, KeyRows]) -> None:
        plan = self.plan
        located = Located(person, keys)
        for component in components:
            names = [n for n in component if n in plan.key_tables]
            if not names:
                continue
            cyclic = _cyclic(plan, component)
            while True:
                sizes = {n: len(keys[n]) if n in keys else -1 for n in names}
                for name in names:
                    fetched = self.fetched[name]
                    wants = _wants(plan.tables[name], fetched.links, located)
                    keys[name] = fetched.keys(_owned_rows(fetched, wants))
                if not cyclic or all(len(keys[n]) == sizes[n] for n in names):
                    break

    # -- references ------------------------------------------------------------------------

    def children(self, fk: LiveForeignKey) -> Children:
        """The rows whose foreign key points at a located row of its parent (a superset of
        what any person's erasure looks for)."""
        index = (fk.table, fk.columns, fk.referred_table)
        found = self._children.get(index)
        if found is None:
            found = self._children[index] = Children.of(self._child_rows(fk))
        return found

    def _child_rows(self, fk: LiveForeignKey) -> list[ChildRow]:
        plan = self.plan
        live = plan.live.tables[fk.table]
        table = plan.tables.get(fk.table)
        if table is not None and _own_link(table, fk):
            fetched = self.fetched[fk.table]
            at = [fetched.columns.index(c) for c in fk.columns]
            size = fetched.pk_size
            return [
                ChildRow(row[:size], tuple(row[i] for i in at), flag, n)
                for n, (row, flag) in enumerate(zip(fetched.rows, fetched.held, strict=True))
            ]
        parents = self.union_keys.get(fk.referred_table)
        values = parents.tuples(fk.referred_columns) if parents is not None else []
        if not values:
            return []
        child = live.table
        pk = [child.c[c] for c in live.primary_key]
        selected: list[ColumnElement[Any]] = [*pk, *(child.c[c] for c in fk.columns)]
        hold = held(table) if table is not None else None
        if hold is not None:
            selected.append(truthy(hold))
        where = member_tuple(plan.dialect, [child.c[c] for c in fk.columns], values)
        query = sa.select(*selected).where(where).order_by(*pk)
        size, width = len(pk), len(pk) + len(fk.columns)
        return [
            ChildRow(
                tuple(
                    r[:size],
                ),
                tuple(r[size:width]),
                bool(r[-1]) if hold is not None else False,
                n,
            )
            for n, r in enumerate(self.conn.execute(query))
        ]


def _cyclic(plan: QueryPlan, component: list[str]) -> bool:
    return len(component) > 1 or any(
        link.target is not None and link.target[0] in component
        for link in plan.tables[component[0]].links
    )


def _own_link(table: CompiledTable, fk: LiveForeignKey) -> bool:
    """The table owns its rows through a link that is exactly this foreign key, so every
    row pointing at a located parent row is already among the fetched rows."""
    if len(fk.columns) != 1:
        return False
    return any(
        not link.mentions
        and link.column == fk.columns[0]
        and link.target == (fk.referred_table, fk.referred_columns[0])
        and link.path is None
        and not link.when
        and not link.link.as_text
        for link in table.links
    )


class _Lazy(dict[str, Any]):
    def __init__(self, make: Callable[[str], Any]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, name: str) -> Any:
        value = self[name] = self.make(name)
        return value


def _examples(rows: Sequence[ChildRow]) -> tuple[str, ...]:
    return tuple(pk_text(r.key) for r in rows[:EXAMPLES])


class _BatchPlanner(_Planner):
    """One person's erasure, its queries answered from the batch's fetched rows."""

    def __init__(
        self,
        conn: Connection,
        plan: QueryPlan,
        located: Located,
        key: bytes,
        batch: _Batch,
        own: dict[str, list[int]],
    ) -> None:
        # Not _Planner.__init__: the SQL conditions are built only where still needed.
        self.conn = conn
        self.plan = plan
        self.located = located
        self.person = located.person
        self.store = plan.store.id
        self.key = key
        self.out = PersonErasure()
        self.own = _Lazy(lambda n: owned(plan, plan.tables[n], self.person, located.values_of))
        self.hold = _Lazy(lambda n: held(plan.tables[n]))
        self.erased = {}
        self.blocked = {}
        self.batch = batch
        self.rows_of = own
        self._keys: dict[str, set[tuple[Any, ...]]] = {}

    def _own_keys(self, name: str) -> set[tuple[Any, ...]]:
        found = self._keys.get(name)
        if found is None:
            fetched = self.batch.fetched[name]
            size = fetched.pk_size
            found = self._keys[name] = {fetched.rows[i][:size] for i in self.rows_of[name]}
        return found

    def _runner(self, op: Op) -> Run:
        dialect = self.plan.dialect

        def run(conn: Connection) -> None:
            run_ops(conn, dialect, [op])

        return run

    def _inputs(self) -> MaskInputs:
        return MaskInputs(self.key, _all_identities(self.person))

    # -- per table -----------------------------------------------------------------------

    def _held(self, table: CompiledTable) -> None:
        if table.hold is None:
            return
        if mentioned(self.plan, table, self.person) is not None:
            super()._held(table)  # held rows that only mention the person: found in SQL
            return
        fetched = self.batch.fetched[table.name]
        at = fetched.columns.index(table.hold.column)
        size = fetched.pk_size
        found = [
            (fetched.rows[i][:size], fetched.rows[i][at])
            for i in self.rows_of[table.name]
            if fetched.held[i]
        ]
        kept, lines = held_lines(self.store, table, found, "kept as it is")
        self.out.held.extend(kept)
        self.out.actions.extend(Action(line) for line in lines)

    def _rows(self, table: CompiledTable) -> None:
        name = table.name
        action = table.spec.erase
        if action is RowAction.DELETE and name in self.plan.fk_parents:
            self._erased(table)
            return
        fetched = self.batch.fetched[name]
        size = fetched.pk_size
        keys = tuple(fetched.rows[i][:size] for i in self.rows_of[name] if not fetched.held[i])
        count, shown = len(keys), tuple(pk_text(k) for k in keys[:EXAMPLES])
        if action is RowAction.DELETE:
            op = Op("delete", table.table, table.pk, keys)
            self._add(Step.DELETE, name, count, self._runner(op), op=op, examples=shown)
        elif action is RowAction.MASK:
            specs = _mask_specs(table)
            op = Op(
                "mask",
                table.table,
                table.pk,
                keys,
                specs=tuple(specs),
                inputs=self._inputs(),
                compiled=table,
            )
            self._add(
                Step.MASK,
                name,
                count,
                self._runner(op),
                op=op,
                columns=tuple(s.column for s in specs),
                detail=_strategies(specs),
                examples=shown,
            )
        else:
            self._add(Step.KEEP, name, count, detail=table.spec.reason or "", examples=shown)

    # -- foreign keys ----------------------------------------------------------------------

    def _explicit_row(self, name: str, row: ChildRow) -> bool:
        """The row is one this erasure deletes itself (as ``_explicit``)."""
        table = self.plan.tables.get(name)
        if table is None or table.spec.erase is not RowAction.DELETE or row.held:
            return False
        if row.key not in self._own_keys(name):
            return False
        blocked = self.blocked.get(name)
        return not (blocked and row.key in blocked)

    def _protects(self, name: str) -> Callable[[ChildRow], bool] | None:
        """Rows that must stay as they are (as ``_protected``; None: none can)."""
        table = self.plan.tables.get(name)
        if table is None:
            return None
        kept = table.spec.erase is not RowAction.DELETE
        if not kept and table.hold is None:
            return None
        own = self._own_keys(name) if kept else set()
        return lambda row: row.held or row.key in own

    def _block_round(self) -> bool:
        grew = False
        for name in list(self.erased):
            doomed = self._doomed(name)
            if not doomed:
                continue
            for fk in self.plan.incoming.get(name, []):
                hard = fk.ondelete == RESTRICT and not fk.nullable
                protect = None if hard else self._protects(fk.table)
                if not hard and protect is None:
                    continue
                hits = {
                    r.fk
                    for r in self.batch.children(fk).pointing(doomed.tuples(fk.referred_columns))
                    if not self._explicit_row(fk.table, r) and (protect is None or protect(r))
                }
                if not hits:
                    continue
                at = [doomed.columns.index(c) for c in fk.referred_columns]
                why = (
                    f"referenced by {fk.label} (NOT NULL, ON DELETE {RESTRICT})"
                    if hard
                    else f"referenced by {fk.label} from rows that stay (held or kept)"
                )
                for pk, row in doomed.rows.items():
                    if tuple(row[i] for i in at) in hits:
                        self.blocked.setdefault(name, {}).setdefault(pk, set()).add(why)
                        grew = True
        return grew

    def _erase_parent(self, table: CompiledTable) -> None:
        name = table.name
        erased = self.erased[name]
        doomed = self._doomed(name)
        blocked = self.blocked.get(name, {})
        if blocked:
            specs = _mask_specs(table)
            keys = [*blocked]
            reasons = sorted({w for ws in blocked.values() for w in ws})
            op = Op(
                "mask",
                table.table,
                table.pk,
                tuple(keys),
                specs=tuple(specs),
                inputs=self._inputs(),
                compiled=table,
            )
            self._add(
                Step.MASK,
                name,
                len(keys),
                self._runner(op),
                op=op,
                columns=tuple(s.column for s in specs),
                detail="kept and masked instead of deleted: "
                + "; ".join(reasons)
                + (f"; {_strategies(specs)}" if specs else ""),
                examples=examples(keys),
            )
        if doomed:
            op = Op("delete", table.table, table.pk, tuple(doomed.rows))
            self._add(
                Step.DELETE,
                name,
                len(doomed),
                self._runner(op),
                op=op,
                examples=examples(doomed.rows),
            )
        for fk in self.plan.incoming.get(name, []):
            self._reference_lines(fk, erased, doomed, blocked)

    def _reference_lines(
        self,
        fk: LiveForeignKey,
        erased: KeyRows,
        doomed: KeyRows,
        blocked: dict[tuple[Any, ...], set[str]],
    ) -> None:
        live = self.plan.live.tables[fk.table]
        protect = self._protects(fk.table)
        children = self.batch.children(fk)

        def among(values: list[tuple[Any, ...]]) -> list[ChildRow]:
            return [
                r
                for r in children.pointing(values)
                if not self._explicit_row(fk.table, r) and not (protect is not None and protect(r))
            ]

        into_blocked = erased.only(blocked).tuples(fk.referred_columns)
        into_doomed = doomed.tuples(fk.referred_columns)
        parent = fk.referred_table
        if fk.ondelete == RESTRICT and fk.nullable:
            found = among(erased.tuples(fk.referred_columns))
            self._unlink_rows(fk, found, f"the {parent} row it points to is erased")
            return
        if fk.ondelete == SET_NULL:
            if into_doomed:
                found = among(into_doomed)
                self._add(
                    Step.CASCADE,
                    fk.table,
                    len(found),
                    columns=fk.columns,
                    detail=f"ON DELETE {SET_NULL} from {parent}",
                    examples=_examples(found),
                )
            if into_blocked:
                found = among(into_blocked)
                self._unlink_rows(fk, found, f"the {parent} row it points to is kept masked")
            return
        if fk.ondelete == CASCADE:
            if into_doomed:
                found = among(into_doomed)
                self._add(
                    Step.CASCADE,
                    fk.table,
                    len(found),
                    columns=fk.columns,
                    detail=f"ON DELETE {CASCADE} from {parent}",
                    examples=_examples(found),
                )
            if into_blocked:
                found = among(into_blocked)
                op = Op("delete", live.table, live.primary_key, tuple(r.key for r in found))
                self._add(
                    Step.CASCADE,
                    fk.table,
                    len(found),
                    self._runner(op),
                    op=op,
                    columns=fk.columns,
                    detail=f"deleted as ON DELETE {CASCADE} from {parent} would: the {parent} "
                    "row is kept masked",
                    examples=_examples(found),
                )

    def _unlink_rows(self, fk: LiveForeignKey, rows: list[ChildRow], why: str) -> None:
        live = self.plan.live.tables[fk.table]
        op = Op("unlink", live.table, live.primary_key, tuple(r.key for r in rows), fk.columns)
        self._add(
            Step.UNLINK,
            fk.table,
            len(rows),
            self._runner(op),
            op=op,
            columns=fk.columns,
            detail=f"{fk.label} nulled first: {why}",
            examples=_examples(rows),
        )

    def _cycles(self) -> None:
        for fk in self.plan.cut:
            if fk.table not in self.erased or fk.referred_table not in self.erased:
                continue
            targets = self._doomed(fk.referred_table).tuples(fk.referred_columns)
            sources = self._doomed(fk.table)
            if not targets or not sources:
                continue
            at = [sources.columns.index(c) for c in fk.columns]
            wanted = set(targets)
            rows = [
                ChildRow(pk, fk_values, False, n)
                for n, (pk, row) in enumerate(sources.rows.items())
                if (fk_values := tuple(row[i] for i in at)) in wanted
            ]
            self._unlink_rows(fk, rows, "the rows on both sides are deleted (a cycle)")
