"""Erasure: the plan for one person, and the statements that carry it out.

The plan and the execution are one object: each :class:`Action` is a plan line and the
statement that does what the line says, so ``plan_erasure`` returns exactly the lines
``erase`` produces. ``erase`` plans every person of the batch first (set-based across the
batch where it can, see batch.py), then runs all actions in one transaction, step by step
(every person's UNLINKs, then MASKs, DELETEs in delete order, cascades); actions that name
their rows by key (:class:`Op`) are merged into one statement per table and step. Any error
rolls everything back.

Per table of the map, the person's (owned) rows are

- kept unchanged when a statutory hold covers them (``date >= held_since``, or no date):
  a HOLD line per end date, and :class:`HeldRows` for the retention sweep;
- deleted (``erase: delete``), masked (``erase: mask``, each field by its strategy) or kept
  (``erase: keep``, a KEEP line with the map's reason).

Rows found only through a ``mentions`` link are someone else's: their free-text columns
(fields with ``erase: redact`` and the mention links' columns) have the mentions replaced
with ``[removed]`` (a MASK line); the row stays.

The database's own foreign keys decide the rest. For every real foreign key into a row
that is to be deleted, from a row that is not:

- from a row that must stay as it is (held, or owned in a ``keep`` or ``mask`` table), or
  through a NOT NULL RESTRICT / NO ACTION column: the referenced row cannot go, so it is
  kept and masked instead (a MASK line that says which reference holds it); this repeats
  until nothing new is held back;
- through a nullable RESTRICT / NO ACTION column: the column is nulled first (UNLINK);
- ON DELETE CASCADE / SET NULL: the database does it (a CASCADE line with the count).

A row kept masked instead of deleted is treated as erased by the references to it: nullable
references are nulled (UNLINK) and ON DELETE CASCADE children are deleted as the database
would have (a CASCADE line). Deletes run children first along the real foreign keys; a
cycle among deleted tables is cut by nulling a nullable link first (UNLINK). Execution
order: UNLINK, MASK, DELETE, then the emulated cascades. Only the first level of ON DELETE
CASCADE is counted: rows the database removes further down a cascade chain are not
reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from privaat.connectors.base import HeldRows, Outcome, Person, PlanLine, Step
from privaat.connectors.sql.compile import CompiledTable, QueryPlan
from privaat.connectors.sql.dialect import falsy, member_tuple
from privaat.connectors.sql.held import held_rows
from privaat.connectors.sql.locate import (
    Located,
    both,
    either,
    held,
    hold_date,
    locate,
    mentioned,
    owned,
)
from privaat.connectors.sql.mask import MaskSpec, mask_keyed, mask_rows
from privaat.connectors.sql.rows import KeyRows, count_rows, examples
from privaat.connectors.sql.schema import CASCADE, RESTRICT, SET_NULL, LiveForeignKey
from privaat.core.datamap.model import IdentityKind, Masking, RowAction
from privaat.core.masking import ColumnShape, MaskInputs

Run = Callable[[Connection], None]
_PHASES = (Step.UNLINK, Step.MASK, Step.DELETE, Step.CASCADE, Step.HOLD, Step.KEEP)


@dataclass(frozen=True, slots=True)
class Op:
    """A change to rows named by primary key, which a batch merges across its persons:
    ``delete`` them, ``unlink`` (null ``columns``) or ``mask`` (``specs`` with ``inputs``)."""

    kind: str
    table: sa.Table
    pk: tuple[str, ...]
    keys: tuple[tuple[Any, ...], ...]
    columns: tuple[str, ...] = ()
    specs: tuple[MaskSpec, ...] = ()
    inputs: MaskInputs | None = None
    compiled: CompiledTable | None = None  # for mask: the table of the map


@dataclass(slots=True)
class Action:
    line: PlanLine
    run: Run | None = None  # None: the database does it, or nothing is done
    rank: int = 0  # the position of a DELETE in the delete order
    op: Op | None = None  # the same change as ``run``, by key (batches)


@dataclass(slots=True)
class PersonErasure:
    """What erasing one person does in the store."""

    actions: list[Action] = field(default_factory=list)
    held: list[HeldRows] = field(default_factory=list)

    def ordered(self) -> list[Action]:
        """The actions in execution order (UNLINK, MASK, DELETE, CASCADE, HOLD, KEEP)."""
        return sorted(self.actions, key=lambda a: (_PHASES.index(a.line.step), a.rank))

    def outcome(self) -> Outcome:
        return Outcome(tuple(a.line for a in self.ordered()), tuple(self.held))


def plan_person(conn: Connection, plan: QueryPlan, person: Person, key: bytes) -> PersonErasure:
    """Plan the erasure of one person (nothing is changed)."""
    located = locate(conn, plan, person, materialise=plan.fk_parents)
    return _Planner(conn, plan, located, key).build()


def run(conn: Connection, erasures: Iterable[PersonErasure], dialect: str = "") -> None:
    """Carry out planned erasures (the caller holds the transaction). Actions that carry an
    :class:`Op` are merged across the persons: one statement per table and step for the
    whole batch (in the same phase and delete order as each person's own actions)."""
    groups: dict[tuple[Any, ...], list[Action]] = {}
    for erasure in erasures:
        for action in erasure.ordered():
            if action.run is None:
                continue
            phase = (_PHASES.index(action.line.step), action.rank)
            op = action.op
            if op is None:
                groups[(*phase, id(action))] = [action]
            else:
                groups.setdefault((*phase, op.kind, op.table.name, op.columns), []).append(action)
    for group_key in sorted(groups, key=lambda k: k[:2]):
        actions = groups[group_key]
        first = actions[0]
        if first.op is None:
            assert first.run is not None
            first.run(conn)
        else:
            run_ops(conn, dialect, [a.op for a in actions if a.op is not None])


#: Keys per statement of a merged change.
OP_BATCH = 5000


def run_ops(conn: Connection, dialect: str, ops: list[Op]) -> None:
    """One merged change: every op names the same table, step and columns."""
    first = ops[0]
    table = first.table
    pk = [table.c[c] for c in first.pk]
    if first.kind == "mask":
        assert first.compiled is not None
        groups = [(op.keys, op.inputs or MaskInputs()) for op in ops]
        mask_keyed(conn, dialect, first.compiled, list(first.specs), groups)
        return
    keys = list(dict.fromkeys(k for op in ops for k in op.keys))
    for i in range(0, len(keys), OP_BATCH):
        where = member_tuple(dialect, pk, keys[i : i + OP_BATCH])
        if first.kind == "delete":
            conn.execute(table.delete().where(where))
        else:
            conn.execute(table.update().where(where).values(dict.fromkeys(first.columns)))


class _Planner:
    def __init__(self, conn: Connection, plan: QueryPlan, located: Located, key: bytes) -> None:
        self.conn = conn
        self.plan = plan
        self.located = located
        self.person = located.person
        self.store = plan.store.id
        self.key = key
        self.out = PersonErasure()
        self.own: dict[str, ColumnElement[bool] | None] = {}
        self.hold: dict[str, ColumnElement[bool] | None] = {}
        for name, table in plan.tables.items():
            self.own[name] = owned(plan, table, self.person, located.values_of)
            self.hold[name] = held(table)
        #: rows of deleted tables a foreign key points into: to erase (not held)
        self.erased: dict[str, KeyRows] = {}
        #: of those, the rows kept masked instead, and why
        self.blocked: dict[str, dict[tuple[Any, ...], set[str]]] = {}

    def build(self) -> PersonErasure:
        for table in self.plan.tables.values():
            self._held(table)
            self._rows(table)
            self._mentions(table)
        self._references()
        self._cycles()
        return self.out

    # -- per table -----------------------------------------------------------------------

    def _add(
        self,
        step: Step,
        table: str,
        rows: int,
        run: Run | None = None,
        op: Op | None = None,
        **extra: Any,
    ) -> None:
        if not rows:
            return
        rank = 0
        if step is Step.DELETE and table in self.plan.delete_order:
            rank = self.plan.delete_order.index(table)
        line = PlanLine(self.store, table, step, rows, **extra)
        self.out.actions.append(Action(line, run, rank, op))

    def _held(self, table: CompiledTable) -> None:
        where = either(self.own[table.name], mentioned(self.plan, table, self.person))
        if table.hold is None or where is None:
            return
        kept, lines = held_rows(
            self.conn, self.store, table, both(where, self.hold[table.name]), "kept as it is"
        )
        self.out.held.extend(kept)
        self.out.actions.extend(Action(line) for line in lines)

    def _live(self, table: CompiledTable) -> ColumnElement[bool] | None:
        """The owned rows not under a hold (None: there are none)."""
        own = self.own[table.name]
        return None if own is None else both(own, falsy(self.hold[table.name]))

    def _rows(self, table: CompiledTable) -> None:
        live = self._live(table)
        if live is None:
            return
        action = table.spec.erase
        if action is RowAction.DELETE and table.name in self.plan.fk_parents:
            self._erased(table)
            return
        count, keys = count_rows(self.conn, table.table, table.pk, live)
        if action is RowAction.DELETE:
            self._add(Step.DELETE, table.name, count, _delete(table, live), examples=keys)
        elif action is RowAction.MASK:
            specs = _mask_specs(table)
            inputs = MaskInputs(self.key, _all_identities(self.person))
            self._add(
                Step.MASK,
                table.name,
                count,
                self._masker(table, live, specs, inputs),
                columns=tuple(s.column for s in specs),
                detail=_strategies(specs),
                examples=keys,
            )
        else:
            self._add(Step.KEEP, table.name, count, detail=table.spec.reason or "", examples=keys)

    def _mentions(self, table: CompiledTable) -> None:
        found = mentioned(self.plan, table, self.person)
        if found is None or table.spec.erase is RowAction.KEEP or not table.redact:
            return
        where = both(found, falsy(self.own[table.name]), falsy(self.hold[table.name]))
        count, keys = count_rows(self.conn, table.table, table.pk, where)
        specs = [
            MaskSpec(c, Masking.REDACT, _shape(table, c), json_typed=False) for c in table.redact
        ]
        kinds = table.mention_kinds or frozenset(IdentityKind)
        identities = tuple(v for k in kinds for v in self.person.values(k))
        self._add(
            Step.MASK,
            table.name,
            count,
            self._masker(table, where, specs, MaskInputs(self.key, identities)),
            columns=tuple(table.redact),
            detail="mentions of the person redacted; the row is someone else's and stays",
            examples=keys,
        )

    def _masker(
        self,
        table: CompiledTable,
        where: ColumnElement[bool],
        specs: list[MaskSpec],
        inputs: MaskInputs,
    ) -> Run:
        dialect = self.plan.dialect

        def run(conn: Connection) -> None:
            mask_rows(conn, dialect, table, where, specs, inputs)

        return run

    def _erased(self, table: CompiledTable) -> None:
        rows = self.located.keys[table.name]
        hold = table.hold
        if hold is not None:
            at = rows.columns.index(hold.column)
            rows = rows.only(k for k, r in rows.rows.items() if not _is_held(hold.since, r[at]))
        if rows:
            self.erased[table.name] = rows

    # -- foreign keys ----------------------------------------------------------------------

    def _doomed(self, name: str) -> KeyRows:
        rows = self.erased[name]
        blocked = self.blocked.get(name, {})
        return rows.only(k for k in rows.rows if k not in blocked) if blocked else rows

    def _explicit(self, name: str) -> ColumnElement[bool] | None:
        """The rows of ``name`` this erasure deletes itself."""
        table = self.plan.tables.get(name)
        if table is None or table.spec.erase is not RowAction.DELETE:
            return None
        live = self._live(table)
        blocked = self.blocked.get(name)
        if live is None or not blocked:
            return live
        return both(live, falsy(member_tuple(self.plan.dialect, table.pk_columns(), [*blocked])))

    def _protected(self, name: str) -> ColumnElement[bool] | None:
        """Rows of ``name`` that must stay as they are: held, or kept / masked by the map."""
        table = self.plan.tables.get(name)
        if table is None:
            return None
        kept = self.own[name] if table.spec.erase is not RowAction.DELETE else None
        return either(kept, self.hold[name])  # any held row, whoever's: a hold keeps it

    def _referencing(
        self, fk: LiveForeignKey, values: list[tuple[Any, ...]]
    ) -> ColumnElement[bool]:
        child = self.plan.live.tables[fk.table].table
        return member_tuple(self.plan.dialect, [child.c[c] for c in fk.columns], values)

    def _references(self) -> None:
        if not self.erased:
            return
        while self._block_round():
            pass
        for name in self.plan.tables:
            if name in self.erased:
                self._erase_parent(self.plan.tables[name])

    def _block_round(self) -> bool:
        """Hold back rows a reference keeps from being deleted; True when any were added."""
        grew = False
        for name in list(self.erased):
            doomed = self._doomed(name)
            if not doomed:
                continue
            for fk in self.plan.incoming.get(name, []):
                hard = fk.ondelete == RESTRICT and not fk.nullable
                blocker = sa.true() if hard else self._protected(fk.table)
                if blocker is None:
                    continue
                child = self.plan.live.tables[fk.table].table
                query = (
                    sa.select(*(child.c[c] for c in fk.columns))
                    .distinct()
                    .where(
                        self._referencing(fk, doomed.tuples(fk.referred_columns)),
                        falsy(self._explicit(fk.table)),
                        blocker,
                    )
                )
                hits = {tuple(r) for r in self.conn.execute(query)}
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
        dialect = self.plan.dialect
        erased = self.erased[name]
        doomed = self._doomed(name)
        blocked = self.blocked.get(name, {})
        if blocked:
            specs = _mask_specs(table)
            keys = [*blocked]
            reasons = sorted({w for ws in blocked.values() for w in ws})
            where = member_tuple(dialect, table.pk_columns(), keys)
            self._add(
                Step.MASK,
                name,
                len(keys),
                self._masker(
                    table, where, specs, MaskInputs(self.key, _all_identities(self.person))
                ),
                columns=tuple(s.column for s in specs),
                detail="kept and masked instead of deleted: "
                + "; ".join(reasons)
                + (f"; {_strategies(specs)}" if specs else ""),
                examples=examples(keys),
            )
        if doomed:
            where = member_tuple(dialect, table.pk_columns(), [*doomed.rows])
            self._add(
                Step.DELETE,
                name,
                len(doomed),
                _delete(table, where),
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
        free = both(falsy(self._explicit(fk.table)), falsy(self._protected(fk.table)))
        into_blocked = erased.only(blocked).tuples(fk.referred_columns)
        into_doomed = doomed.tuples(fk.referred_columns)
        parent = fk.referred_table
        if fk.ondelete == RESTRICT and fk.nullable:
            values = erased.tuples(fk.referred_columns)
            self._unlink(
                fk,
                both(self._referencing(fk, values), free),
                f"the {parent} row it points to is erased",
            )
            return
        if fk.ondelete == SET_NULL:
            if into_doomed:
                where = both(self._referencing(fk, into_doomed), free)
                count, keys = count_rows(self.conn, live.table, live.primary_key, where)
                self._add(
                    Step.CASCADE,
                    fk.table,
                    count,
                    columns=fk.columns,
                    detail=f"ON DELETE {SET_NULL} from {parent}",
                    examples=keys,
                )
            if into_blocked:
                where = both(self._referencing(fk, into_blocked), free)
                self._unlink(fk, where, f"the {parent} row it points to is kept masked")
            return
        if fk.ondelete == CASCADE:
            if into_doomed:
                where = both(self._referencing(fk, into_doomed), free)
                count, keys = count_rows(self.conn, live.table, live.primary_key, where)
                self._add(
                    Step.CASCADE,
                    fk.table,
                    count,
                    columns=fk.columns,
                    detail=f"ON DELETE {CASCADE} from {parent}",
                    examples=keys,
                )
            if into_blocked:
                where = both(self._referencing(fk, into_blocked), free)
                count, keys = count_rows(self.conn, live.table, live.primary_key, where)
                self._add(
                    Step.CASCADE,
                    fk.table,
                    count,
                    _delete_rows(live.table, where),
                    columns=fk.columns,
                    detail=f"deleted as ON DELETE {CASCADE} from {parent} would: the {parent} "
                    "row is kept masked",
                    examples=keys,
                )

    def _unlink(self, fk: LiveForeignKey, where: ColumnElement[bool], why: str) -> None:
        live = self.plan.live.tables[fk.table]
        count, keys = count_rows(self.conn, live.table, live.primary_key, where)
        nulls = dict.fromkeys(fk.columns)

        def run(conn: Connection) -> None:
            conn.execute(live.table.update().where(where).values(nulls))

        self._add(
            Step.UNLINK,
            fk.table,
            count,
            run,
            columns=fk.columns,
            detail=f"{fk.label} nulled first: {why}",
            examples=keys,
        )

    def _cycles(self) -> None:
        """Null the links that close a cycle among the rows about to be deleted."""
        for fk in self.plan.cut:
            if fk.table not in self.erased or fk.referred_table not in self.erased:
                continue
            targets = self._doomed(fk.referred_table).tuples(fk.referred_columns)
            sources = [*self._doomed(fk.table).rows]
            if not targets or not sources:
                continue
            child = self.plan.tables[fk.table]
            where = both(
                self._referencing(fk, targets),
                member_tuple(self.plan.dialect, child.pk_columns(), sources),
            )
            self._unlink(fk, where, "the rows on both sides are deleted (a cycle)")


def _delete(table: CompiledTable, where: ColumnElement[bool]) -> Run:
    return _delete_rows(table.table, where)


def _delete_rows(table: sa.Table, where: ColumnElement[bool]) -> Run:
    def run(conn: Connection) -> None:
        conn.execute(table.delete().where(where))

    return run


def _mask_specs(table: CompiledTable) -> list[MaskSpec]:
    return [
        MaskSpec(f.column, f.strategy, f.shape, f.fixed, f.json_typed)
        for f in table.fields
        if f.strategy is not Masking.KEEP
    ]


def _strategies(specs: list[MaskSpec]) -> str:
    return ", ".join(f"{s.column}: {s.strategy.value}" for s in specs)


def _shape(table: CompiledTable, column: str) -> ColumnShape:
    info = table.columns[column]
    return ColumnShape(info.kind, info.length, info.nullable, info.unique)


def _all_identities(person: Person) -> tuple[str, ...]:
    return tuple(v for kind in IdentityKind for v in person.values(kind))


def _is_held(since: dt.date, value: Any) -> bool:
    date = hold_date(value)
    return date is None or date >= since
