"""Retention sweeps in a SQL store: the expired rows of a table, batch by batch.

A sweep (:class:`~privaat.core.retention.Sweep`) names a table, the column its period runs
from, the day before which a period start has expired (the cutoff), and what the rule does.

*Rows scope.* A row has expired when its start column is before the cutoff (a NULL start
never expires) and it matches the binding's ``where``. Expired rows under the table's
statutory hold stay: the fields whose category the hold does not cover are masked (the law
keeps the document, not the rest), and the plan reports the day the hold ends. The others are

- deleted (``delete``): rows of other tables that belong to them go first, as the database's
  foreign keys require: rows of a mapped ``erase: delete`` table referencing them through a
  RESTRICT / NO ACTION key are deleted (and theirs, recursively); a nullable reference from
  any other table is nulled; a row still referenced by a NOT NULL key from a row that must
  stay (held, kept, or outside the map) is masked instead of deleted, and so is a row whose
  own row of an ``erase: delete`` table is kept; such a row is masked once (a later sweep
  leaves it as it is, and deletes it when nothing keeps it any more); ON DELETE CASCADE and
  SET NULL are the database's (counted, as the plan counts them), except that a cascade
  into held rows keeps the parent (masked) instead;
- masked in place (``anonymise``), each field by its strategy. A row counts as anonymised
  once none of its fields masked with ``null``, ``fixed`` or ``unique_random`` holds a value
  those would change, so a sweep never anonymises a row twice;
- counted into a statistics table (``aggregate``), then deleted as above; only the rows
  that are deleted are counted (a row kept and masked instead is counted when it goes).

Batches walk the table in primary-key order (keyset pagination: each batch starts after the
last key of the one before, and the rows already handled are never scanned again). Each
batch is one transaction; its size adapts so that a batch takes about a quarter of a second,
so no statement holds its locks for long, and memory holds one batch of keys. A table that
no foreign key points into, swept with ``delete``, is deleted by key range instead: each batch
reads only its count and last key, then deletes the expired rows up to that key in one
statement (no keys travel, no look-up per key).

*Person scope.* An expired row of a table of persons names a person, who is erased from the
store as an erasure request would (connector ``erase``, the same plan and holds). For the
``last_activity`` trigger a person has expired when every activity timestamp of theirs is
before the cutoff: the person table's own (and its ``created`` when they never were active)
and those of every table linked to it, directly by ``to`` or by an identity column of the
same kind. A person whose identity columns are all masked already (an erasure kept the row
because something still references it) is not swept again.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from privaat.connectors.base import Person, PlanLine, Step, SweepBatch
from privaat.connectors.sql.compile import CompiledField, CompiledTable, QueryPlan
from privaat.connectors.sql.dialect import falsy, folded, member_tuple
from privaat.connectors.sql.erase import _mask_specs, _strategies
from privaat.connectors.sql.locate import both, held, hold_date
from privaat.connectors.sql.mask import MaskSpec, mask_keyed
from privaat.connectors.sql.rows import EXAMPLES, count_rows, examples
from privaat.connectors.sql.schema import CASCADE, SET_NULL, LiveForeignKey
from privaat.core.datamap.model import (
    Aggregate,
    GroupBy,
    IdentityKind,
    Masking,
    Period,
    RowAction,
)
from privaat.core.holds import hold_ends
from privaat.core.masking import EMAIL_DOMAIN, MaskInputs, ValueKind
from privaat.core.policy.model import RetentionAction
from privaat.core.retention import Sweep
from privaat.errors import UsageError

#: The first batch's size, and the bounds its adaptation stays within.
FIRST_BATCH, MIN_BATCH, MAX_BATCH = 2_000, 100, 50_000
#: How long one batch's transaction should take.
TARGET_SECONDS = 0.25


# --------------------------------------------------------------------------- conditions


def _table(plan: QueryPlan, sweep: Sweep) -> CompiledTable:
    table = plan.tables.get(sweep.table)
    if table is None:  # the map was compiled from the same file: cannot happen
        raise UsageError(f"store {sweep.store!r}: table {sweep.table!r} is not in the map")
    return table


def _when(table: CompiledTable, column: str, day: dt.date) -> Any:
    """``day`` as the column compares it: midnight for a timestamp column."""
    info = table.columns.get(column)
    if info is None:
        raise UsageError(
            f"table {table.name!r}: column {column!r} of the data map is not in the database"
        )
    if info.kind is ValueKind.DATETIME:
        return dt.datetime.combine(day, dt.time())
    if info.kind is ValueKind.DATE:
        return day
    raise UsageError(
        f"table {table.name!r}, column {column!r}: a retention period runs from a date or "
        "timestamp column"
    )


def _column(table: CompiledTable, name: str) -> sa.Column[Any]:
    if name not in table.table.c:
        raise UsageError(
            f"table {table.name!r}: column {name!r} of the data map is not in the database"
        )
    return table.table.c[name]


def _where(table: CompiledTable, sweep: Sweep) -> list[ColumnElement[bool]]:
    parts: list[ColumnElement[bool]] = []
    for name, wanted in (sweep.binding.where or {}).items():
        column = _column(table, name)
        values = wanted if isinstance(wanted, list) else [wanted]
        parts.append(column.in_(values) if len(values) > 1 else column == values[0])
    return parts


def expired(table: CompiledTable, sweep: Sweep) -> ColumnElement[bool]:
    """The rows whose period has run out (held or not); rows scope."""
    assert sweep.start is not None
    start = _column(table, sweep.start)
    return sa.and_(start < _when(table, sweep.start, sweep.cutoff), *_where(table, sweep))


def _recognisable(table: CompiledTable, fields: Sequence[CompiledField]) -> ColumnElement[bool]:
    """Rows where some field still holds a value its masking would change."""
    parts: list[ColumnElement[bool]] = []
    for f in fields:
        column = table.table.c[f.column]
        if f.strategy is Masking.NULL:
            parts.append(column.is_not(None))
        elif f.strategy is Masking.FIXED and f.fixed is not None:
            value: Any = int(f.fixed) if f.shape.kind is ValueKind.INTEGER else f.fixed
            parts.append(column != value)
        elif f.strategy is Masking.UNIQUE_RANDOM:
            if f.shape.kind in {ValueKind.TEXT, ValueKind.EMAIL}:
                parts.append(sa.not_(column.like("erased-%")))
            elif f.shape.kind is ValueKind.INTEGER:
                parts.append(column >= 0)
    return sa.or_(*parts) if parts else sa.false()


def _uncovered(table: CompiledTable, sweep: Sweep) -> list[CompiledField]:
    """The table's fields a statutory hold does not need (masked while the row is held)."""
    if sweep.hold is None:
        return []
    kept = sweep.hold.categories
    return [
        f
        for f in table.fields
        if f.strategy is not Masking.KEEP
        and not any(f.category == k or f.category.startswith(k + ".") for k in kept)
    ]


def _restrictable(fields: Sequence[CompiledField]) -> list[CompiledField]:
    return [f for f in fields if f.strategy in {Masking.NULL, Masking.FIXED, Masking.UNIQUE_RANDOM}]


def _specs(fields: Sequence[CompiledField]) -> list[MaskSpec]:
    return [MaskSpec(f.column, f.strategy, f.shape, f.fixed, f.json_typed) for f in fields]


class _Rows:
    """The conditions of a rows-scope sweep."""

    def __init__(self, plan: QueryPlan, sweep: Sweep) -> None:
        self.plan = plan
        self.sweep = sweep
        self.table = _table(plan, sweep)
        self.expired = expired(self.table, sweep)
        self.held = held(self.table)
        self.live = both(self.expired, falsy(self.held))
        if sweep.action is RetentionAction.ANONYMISE:
            self.live = both(self.live, _recognisable(self.table, self.table.fields))
        self.uncovered = _restrictable(_uncovered(self.table, sweep))
        self.restrict: ColumnElement[bool] | None = None
        if self.held is not None and self.uncovered:
            self.restrict = both(self.expired, self.held, _recognisable(self.table, self.uncovered))


# --------------------------------------------------------------------------- plan


def plan(conn: Connection, plan: QueryPlan, sweep: Sweep) -> list[PlanLine]:
    """What the sweep would do today; nothing changes."""
    if sweep.scope.value == "person":
        return _plan_persons(conn, plan, sweep)
    rows = _Rows(plan, sweep)
    table = rows.table
    store = plan.store.id
    lines: list[PlanLine] = []
    count, keys = count_rows(conn, table.table, table.pk, rows.live)
    action = sweep.action
    if count:
        if action is RetentionAction.ANONYMISE:
            specs = _mask_specs(table)
            lines.append(
                PlanLine(
                    store,
                    table.name,
                    Step.MASK,
                    count,
                    columns=tuple(s.column for s in specs),
                    detail=f"anonymised: {_strategies(specs)}",
                    examples=keys,
                )
            )
        else:
            step = Step.AGGREGATE if action is RetentionAction.AGGREGATE else Step.DELETE
            detail = ""
            if sweep.binding.aggregate is not None:
                detail = _aggregate_detail(sweep.binding.aggregate)
            blocked = _blocked(plan, table)
            going = rows.live if blocked is None else both(rows.live, sa.not_(blocked))
            if blocked is not None:  # aggregate too: only the rows that go are counted
                count, keys = count_rows(conn, table.table, table.pk, going)
            if count:
                lines.append(PlanLine(store, table.name, step, count, detail=detail, examples=keys))
            if blocked is not None:
                lines.extend(_plan_kept(conn, plan, table, both(rows.live, blocked)))
            lines.extend(_plan_references(conn, plan, table, rows.live, going))
    if rows.held is not None:
        lines.extend(_plan_held(conn, store, table, sweep, both(rows.expired, rows.held)))
    if rows.restrict is not None:
        n, keys = count_rows(conn, table.table, table.pk, rows.restrict)
        if n:
            lines.append(
                PlanLine(
                    store,
                    table.name,
                    Step.MASK,
                    n,
                    columns=tuple(f.column for f in rows.uncovered),
                    detail="held past the rule: fields the hold does not need masked ("
                    + ", ".join(f"{f.column}: {f.strategy.value}" for f in rows.uncovered)
                    + ")",
                    examples=keys,
                )
            )
    return lines


def _group_label(group: GroupBy) -> str:
    return f"{group.column} per {group.period.value}" if group.period else group.column


def _aggregate_detail(aggregate: Aggregate) -> str:
    by = ", ".join(_group_label(g) for g in aggregate.by)
    return f"counted into {aggregate.into} by {by}, then deleted"


def _plan_held(
    conn: Connection,
    store: str,
    table: CompiledTable,
    sweep: Sweep,
    where: ColumnElement[bool],
) -> list[PlanLine]:
    hold = table.hold
    assert hold is not None
    date = table.table.c[hold.column]
    query = sa.select(sa.func.count(), sa.func.min(date), sa.func.max(date)).where(
        where, date.is_not(None)
    )
    count, first, last = conn.execute(query).one()
    lines: list[PlanLine] = []
    doing = (
        f"statutory hold {hold.hold.id!r} ({hold.hold.statute}) wins over rule {sweep.rule.id!r}"
    )
    if count:
        first_end = hold_ends(hold.hold, _date(first))
        last_end = hold_ends(hold.hold, _date(last))
        _, keys = count_rows(conn, table.table, table.pk, both(where, date.is_not(None)))
        lines.append(
            PlanLine(
                store,
                table.name,
                Step.HOLD,
                int(count),
                detail=f"{doing}; the first are released on {first_end.isoformat()}",
                until=last_end,
                examples=keys,
            )
        )
    undated, keys = count_rows(conn, table.table, table.pk, both(where, date.is_(None)))
    if undated:
        lines.append(
            PlanLine(
                store,
                table.name,
                Step.HOLD,
                undated,
                detail=f"{doing}; the document date is missing, review by hand",
                examples=keys,
            )
        )
    return lines


def _date(value: Any) -> dt.date:
    found = hold_date(value)
    if found is None and isinstance(value, str):
        found = dt.datetime.fromisoformat(value).date()
    assert found is not None
    return found


def _plan_kept(
    conn: Connection, plan: QueryPlan, table: CompiledTable, kept: ColumnElement[bool]
) -> list[PlanLine]:
    """Rows kept and masked instead of deleted, as the deleter masks them: not those an
    earlier sweep masked already."""
    fields = _restrictable(table.fields)
    if fields:
        kept = both(kept, _recognisable(table, fields))
    n, keys = count_rows(conn, table.table, table.pk, kept)
    if not n:
        return []
    specs = _mask_specs(table)
    return [
        PlanLine(
            plan.store.id,
            table.name,
            Step.MASK if specs else Step.KEEP,
            n,
            columns=tuple(s.column for s in specs),
            detail="kept and masked instead of deleted: referenced by rows that must stay "
            "(held, or a NOT NULL reference)",
            examples=keys,
        )
    ]


def _plan_references(
    conn: Connection,
    plan: QueryPlan,
    table: CompiledTable,
    live: ColumnElement[bool],
    going: ColumnElement[bool],
    depth: int = 0,
) -> list[PlanLine]:
    """One level of the rows that belong to the expired ones (``live``; ``going``: those
    actually deleted, not kept for a row that must stay), counted as the deleter treats them."""
    store = plan.store.id
    lines: list[PlanLine] = []
    for fk in plan.live.referencing(table.name):
        child = plan.live.tables[fk.table]
        if fk.table == table.name or tuple(fk.referred_columns) != table.pk:
            continue
        mapped = plan.tables.get(fk.table)
        hold = held(mapped) if mapped is not None else None
        # rows the database cascades to follow deleted parents only; rows deleted with
        # their parent go whether it is deleted or kept, except held ones
        database = fk.ondelete in (CASCADE, SET_NULL)
        deleted = not database and depth <= 8 and _deleted_with(plan, fk)
        if not (database or deleted or fk.nullable):
            continue  # a NOT NULL reference keeps the parent: its MASK line says so
        parent_keys = sa.select(*table.pk_columns()).where(going if database else live)
        referencing: ColumnElement[bool] = sa.tuple_(*(child.table.c[c] for c in fk.columns)).in_(
            parent_keys
        )
        if len(fk.columns) == 1:
            referencing = child.table.c[fk.columns[0]].in_(parent_keys.scalar_subquery())
        if deleted:
            assert mapped is not None
            referencing = both(referencing, falsy(hold))
            # as the deleter: the child's own references first, a kept child masked
            kept = _blocked(plan, mapped, depth + 1)
            child_going = referencing if kept is None else both(referencing, sa.not_(kept))
            count, keys = count_rows(conn, child.table, child.primary_key, child_going)
            if count:
                step, detail = _reference_step(plan, fk)
                lines.append(
                    PlanLine(
                        store,
                        fk.table,
                        step,
                        count,
                        columns=fk.columns,
                        detail=detail,
                        examples=keys,
                    )
                )
            if kept is not None:
                lines.extend(_plan_kept(conn, plan, mapped, both(referencing, kept)))
            lines.extend(_plan_references(conn, plan, mapped, referencing, child_going, depth + 1))
            continue
        count, keys = count_rows(conn, child.table, child.primary_key, referencing)
        if not count:
            continue
        step, detail = _reference_step(plan, fk)
        lines.append(
            PlanLine(store, fk.table, step, count, columns=fk.columns, detail=detail, examples=keys)
        )
    return lines


def _blocked(plan: QueryPlan, table: CompiledTable, depth: int = 0) -> ColumnElement[bool] | None:
    """Rows of ``table`` a deletion keeps and masks instead, as :class:`_Deleter` does: those
    a held row references (through a cascade or a table deleted with them) or any row
    references through a NOT NULL key it cannot null."""
    parts: list[ColumnElement[bool]] = []
    for fk in plan.live.referencing(table.name):
        if fk.table == table.name or tuple(fk.referred_columns) != table.pk:
            continue
        if fk.ondelete == SET_NULL:
            continue
        mapped = plan.tables.get(fk.table)
        stay = held(mapped) if mapped is not None else None
        if fk.ondelete != CASCADE and not _deleted_with(plan, fk):
            if fk.nullable:
                continue
            stay = sa.true()
        elif fk.ondelete != CASCADE and mapped is not None and depth <= 8:
            kept = _blocked(plan, mapped, depth + 1)  # a child kept keeps its parent
            if kept is not None:
                stay = kept if stay is None else sa.or_(stay, kept)
        if stay is None:
            continue
        child = plan.live.tables[fk.table].table
        match = [
            child.c[c] == table.table.c[p]
            for c, p in zip(fk.columns, fk.referred_columns, strict=True)
        ]
        parts.append(sa.exists().where(*match, stay))
    return sa.or_(*parts) if parts else None


def _reference_step(plan: QueryPlan, fk: LiveForeignKey) -> tuple[Step, str]:
    parent = fk.referred_table
    if fk.ondelete == CASCADE:
        return Step.CASCADE, f"ON DELETE {CASCADE} from {parent}"
    if fk.ondelete == SET_NULL:
        return Step.CASCADE, f"ON DELETE {SET_NULL} from {parent}"
    if _deleted_with(plan, fk):
        return Step.DELETE, f"belong to the {parent} rows deleted ({fk.label})"
    if fk.nullable:
        return Step.UNLINK, f"{fk.label} nulled first: the {parent} row it points to is deleted"
    return Step.MASK, f"referenced by {fk.label} (NOT NULL): the {parent} row is masked instead"


def _deleted_with(plan: QueryPlan, fk: LiveForeignKey) -> bool:
    """Rows of the child table go with the parent rows they reference."""
    child = plan.tables.get(fk.table)
    return child is not None and child.spec.erase is RowAction.DELETE


# --------------------------------------------------------------------------- run


def run(
    engine_connect: Callable[[], Any],
    plan: QueryPlan,
    sweep: Sweep,
    key: bytes,
    *,
    after: tuple[Any, ...] | None = None,
    batch: int | None = None,
) -> Iterator[SweepBatch]:
    """Carry the rows-scope sweep out, one committed transaction per yielded batch."""
    rows = _Rows(plan, sweep)
    table = rows.table
    pk = table.pk_columns()
    size = batch if batch is not None else FIRST_BATCH  # read now: tests shrink it
    if rows.restrict is not None:
        yield from _restrict(engine_connect, plan, rows, key)
    # nothing references the table: a batch is deleted as the key range it spans
    ranged = sweep.action is RetentionAction.DELETE and not plan.live.referencing(table.name)
    last = after
    while True:
        started = time.perf_counter()
        with engine_connect() as conn, conn.begin():
            if ranged:
                done = _delete_range(conn, plan, rows, size, last)
                if done is None:
                    return
                count, end, lines = done
            else:
                query = sa.select(*pk).where(rows.live).order_by(*pk).limit(size)
                if last is not None:
                    query = query.where(_after(pk, last))
                keys = [tuple(r) for r in conn.execute(query).all()]
                if not keys:
                    return
                lines = _apply(conn, plan, rows, keys, key)
                count, end = len(keys), keys[-1]
        elapsed = time.perf_counter() - started  # the transaction, not the caller's work
        yield SweepBatch(tuple(lines), count, end)
        last = end
        if count == size:
            size = _next_size(size, elapsed)


def _next_size(size: int, elapsed: float) -> int:
    wanted = size * TARGET_SECONDS / max(elapsed, 1e-3)
    return int(max(MIN_BATCH, min(MAX_BATCH, size * 2, max(size / 2, wanted))))


def _from(pk: list[sa.Column[Any]], first: tuple[Any, ...]) -> ColumnElement[bool]:
    if len(pk) == 1:
        condition: ColumnElement[bool] = pk[0] >= first[0]
        return condition
    return sa.tuple_(*pk) >= sa.tuple_(*(sa.literal(v) for v in first))


def _upto(pk: list[sa.Column[Any]], last: tuple[Any, ...]) -> ColumnElement[bool]:
    if len(pk) == 1:
        condition: ColumnElement[bool] = pk[0] <= last[0]
        return condition
    return sa.tuple_(*pk) <= sa.tuple_(*(sa.literal(v) for v in last))


def _after(pk: list[sa.Column[Any]], last: tuple[Any, ...]) -> ColumnElement[bool]:
    if len(pk) == 1:
        condition: ColumnElement[bool] = pk[0] > last[0]
        return condition
    return sa.tuple_(*pk) > sa.tuple_(*(sa.literal(v) for v in last))


def _restrict(
    engine_connect: Callable[[], Any], plan: QueryPlan, rows: _Rows, key: bytes
) -> Iterator[SweepBatch]:
    """Mask the fields a hold does not need in expired held rows, batch by batch."""
    assert rows.restrict is not None
    table = rows.table
    pk = table.pk_columns()
    specs = _specs(rows.uncovered)
    detail = (
        "held past the rule: fields the hold does not need masked ("
        + ", ".join(f"{f.column}: {f.strategy.value}" for f in rows.uncovered)
        + ")"
    )
    last: tuple[Any, ...] | None = None
    while True:
        with engine_connect() as conn, conn.begin():
            query = sa.select(*pk).where(rows.restrict).order_by(*pk).limit(FIRST_BATCH)
            if last is not None:
                query = query.where(_after(pk, last))
            keys = [tuple(r) for r in conn.execute(query)]
            if not keys:
                return
            mask_keyed(conn, plan.dialect, table, specs, [(tuple(keys), MaskInputs(key))])
        line = PlanLine(
            plan.store.id,
            table.name,
            Step.MASK,
            len(keys),
            columns=tuple(s.column for s in specs),
            detail=detail,
            examples=examples(keys),
        )
        yield SweepBatch((line,), 0, None)
        last = keys[-1]


def _apply(
    conn: Connection, plan: QueryPlan, rows: _Rows, keys: list[tuple[Any, ...]], key: bytes
) -> list[PlanLine]:
    table = rows.table
    store = plan.store.id
    action = rows.sweep.action
    if action is RetentionAction.ANONYMISE:
        specs = _mask_specs(table)
        mask_keyed(conn, plan.dialect, table, specs, [(tuple(keys), MaskInputs(key))])
        return [
            PlanLine(
                store,
                table.name,
                Step.MASK,
                len(keys),
                columns=tuple(s.column for s in specs),
                detail=f"anonymised: {_strategies(specs)}",
                examples=examples(keys),
            )
        ]
    counted: Callable[[list[tuple[Any, ...]]], PlanLine] | None = None
    if action is RetentionAction.AGGREGATE:
        # only the rows that go are counted: a row kept (masked) instead would be counted
        # again by the next sweep; the AGGREGATE line stands for their deletion
        def counted(doomed: list[tuple[Any, ...]]) -> PlanLine:
            return _aggregate(conn, plan, rows, doomed)

    deleter = _Deleter(conn, plan, key, counted)
    deleter.delete(table.name, keys, depth=0)
    return deleter.lines


def _delete_range(
    conn: Connection, plan: QueryPlan, rows: _Rows, size: int, after: tuple[Any, ...] | None
) -> tuple[int, tuple[Any, ...], list[PlanLine]] | None:
    """Delete the next ``size`` expired rows as the key range they span, conditions checked
    again: the batch's count and last key, then one DELETE of the range.

    Only for a table no foreign key points into, so that no row needs handling of its own:
    one range scan of the primary key instead of a look-up per key, and no keys travel (10
    million rows on PostgreSQL: 34 s by key, 7-8 s by range; see benchmarks/RESULTS.md).
    """
    table = rows.table
    pk = table.pk_columns()
    following = [rows.live] if after is None else [rows.live, _after(pk, after)]
    batch = sa.select(*pk).where(*following).order_by(*pk).limit(size).subquery()
    if len(pk) == 1:
        found = conn.execute(sa.select(sa.func.count(), sa.func.max(batch.c[0]))).one()
        count, end = int(found[0]), (found[1],)
    else:
        query = sa.select(*batch.c, sa.func.count().over())
        row = conn.execute(query.order_by(*(c.desc() for c in batch.c)).limit(1)).first()
        count, end = (0, ()) if row is None else (int(row[-1]), tuple(row[:-1]))
    if not count:
        return None
    first = sa.select(*pk).where(*following).order_by(*pk).limit(EXAMPLES)
    keys = [tuple(r) for r in conn.execute(first)]
    shown = examples(keys)
    # bounded on both sides, so that the database walks the key range: without a lower
    # bound SQLite deletes the first batch through an index on the period's column, all
    # expired rows of it scanned
    span = [_upto(pk, end)]
    if after is not None:
        span.append(_after(pk, after))
    elif keys:  # (empty only when another transaction deleted the batch meanwhile)
        span.append(_from(pk, keys[0]))
    deleted = conn.execute(table.table.delete().where(rows.live, *span)).rowcount
    line = PlanLine(plan.store.id, table.name, Step.DELETE, deleted, examples=shown)
    return count, end, [line]


class _Deleter:
    """Deletes rows by key, the rows that belong to them first (see the module docs)."""

    def __init__(
        self,
        conn: Connection,
        plan: QueryPlan,
        key: bytes,
        counted: Callable[[list[tuple[Any, ...]]], PlanLine] | None = None,
    ) -> None:
        self.conn = conn
        self.plan = plan
        self.key = key
        #: aggregate: counts the swept rows that go, just before they are deleted
        self.counted = counted
        self.lines: list[PlanLine] = []

    def delete(self, name: str, keys: list[tuple[Any, ...]], depth: int) -> set[tuple[Any, ...]]:
        """Delete these rows (the rows that belong to them first); the keys of those kept and
        masked instead, which the rows referencing them keep referencing."""
        live = self.plan.live.tables[name]
        pk_cols = [live.table.c[c] for c in live.primary_key]
        blocked: dict[tuple[Any, ...], str] = {}
        for fk in self.plan.live.referencing(name):
            self._references(fk, name, keys, blocked, depth)
        doomed = [k for k in keys if k not in blocked]
        if blocked:
            self._mask_instead(name, [*blocked], sorted(set(blocked.values())))
        if doomed:
            counted = self.counted if depth == 0 else None
            if counted is not None:
                self.lines.append(counted(doomed))
            self._cascades(name, doomed)
            self.conn.execute(
                live.table.delete().where(member_tuple(self.plan.dialect, pk_cols, doomed))
            )
            if counted is None:
                detail = "" if depth == 0 else "belong to the rows deleted"
                self.lines.append(
                    PlanLine(
                        self.plan.store.id,
                        name,
                        Step.DELETE,
                        len(doomed),
                        detail=detail,
                        examples=examples(doomed),
                    )
                )
        return set(blocked)

    def _cascades(self, name: str, doomed: list[tuple[Any, ...]]) -> None:
        """Count what the database's own ON DELETE CASCADE / SET NULL does to the rows that
        reference the doomed ones (one level, as the plan counts it)."""
        for fk in self.plan.live.referencing(name):
            if fk.table == name or fk.ondelete not in (CASCADE, SET_NULL):
                continue
            values = dict.fromkeys(self._fk_values(fk, name, doomed).values())
            wanted = [v for v in values if None not in v]
            if not wanted:
                continue
            child = self.plan.live.tables[fk.table]
            where = member_tuple(self.plan.dialect, [child.table.c[c] for c in fk.columns], wanted)
            count, keys = count_rows(self.conn, child.table, child.primary_key, where)
            if count:
                self.lines.append(
                    PlanLine(
                        self.plan.store.id,
                        fk.table,
                        Step.CASCADE,
                        count,
                        columns=fk.columns,
                        detail=f"ON DELETE {fk.ondelete} from {name}",
                        examples=keys,
                    )
                )

    def _fk_values(
        self, fk: LiveForeignKey, name: str, keys: list[tuple[Any, ...]]
    ) -> dict[tuple[Any, ...], tuple[Any, ...]]:
        """The values ``fk`` references, per key of ``name``."""
        live = self.plan.live.tables[name]
        at = [live.primary_key.index(c) for c in fk.referred_columns if c in live.primary_key]
        if len(at) != len(fk.referred_columns):
            # a reference to a unique non-key column: read those values for the keys
            return self._values(name, keys, fk.referred_columns)
        return {k: tuple(k[i] for i in at) for k in keys}

    def _references(
        self,
        fk: LiveForeignKey,
        name: str,
        keys: list[tuple[Any, ...]],
        blocked: dict[tuple[Any, ...], str],
        depth: int,
    ) -> None:
        values = self._fk_values(fk, name, keys)
        child = self.plan.live.tables[fk.table]
        child_cols = [child.table.c[c] for c in fk.columns]
        wanted = [v for v in dict.fromkeys(values.values()) if None not in v]
        if not wanted:
            return
        referencing = member_tuple(self.plan.dialect, child_cols, wanted)
        mapped = self.plan.tables.get(fk.table)
        hold = held(mapped) if mapped is not None else None
        if fk.ondelete == SET_NULL:
            return  # the database nulls them
        if fk.ondelete == CASCADE and hold is None:
            return  # the database deletes them
        cycle = fk.table == name or depth > 8
        if fk.ondelete == CASCADE or (
            mapped is not None and not cycle and _deleted_with(self.plan, fk)
        ):
            # rows that must stay keep their parent; the rest go with it
            stay = hold if hold is not None else sa.false()
            self._block(values, fk, both(referencing, stay), blocked, "held")
            if fk.ondelete == CASCADE:
                return
            child_pk = [child.table.c[c] for c in child.primary_key]
            query = sa.select(*child_pk).where(referencing, falsy(hold))
            child_keys = [tuple(r) for r in self.conn.execute(query)]
            if child_keys:
                kept = self.delete(fk.table, child_keys, depth + 1)
                if kept:  # a child that stays keeps its parent: the key must not dangle
                    where = member_tuple(self.plan.dialect, child_pk, [*kept])
                    self._block(values, fk, where, blocked, "kept")
            return
        if fk.nullable:
            result = self.conn.execute(
                child.table.update().where(referencing).values(dict.fromkeys(fk.columns))
            )
            if result.rowcount:
                self.lines.append(
                    PlanLine(
                        self.plan.store.id,
                        fk.table,
                        Step.UNLINK,
                        result.rowcount,
                        columns=fk.columns,
                        detail=f"{fk.label} nulled first: the {name} row it points to is deleted",
                    )
                )
            return
        self._block(values, fk, referencing, blocked, "NOT NULL")

    def _block(
        self,
        values: dict[tuple[Any, ...], tuple[Any, ...]],
        fk: LiveForeignKey,
        where: ColumnElement[bool],
        blocked: dict[tuple[Any, ...], str],
        why: str,
    ) -> None:
        child = self.plan.live.tables[fk.table]
        query = sa.select(*(child.table.c[c] for c in fk.columns)).distinct().where(where)
        hits = {tuple(r) for r in self.conn.execute(query)}
        for k, v in values.items():
            if v in hits:
                blocked.setdefault(k, f"referenced by {fk.label} ({why})")

    def _values(
        self, name: str, keys: list[tuple[Any, ...]], columns: Sequence[str]
    ) -> dict[tuple[Any, ...], tuple[Any, ...]]:
        live = self.plan.live.tables[name]
        pk_cols = [live.table.c[c] for c in live.primary_key]
        query = sa.select(*pk_cols, *(live.table.c[c] for c in columns)).where(
            member_tuple(self.plan.dialect, pk_cols, keys)
        )
        size = len(pk_cols)
        return {tuple(r[:size]): tuple(r[size:]) for r in self.conn.execute(query)}

    def _mask_instead(self, name: str, keys: list[tuple[Any, ...]], reasons: list[str]) -> None:
        table = self.plan.tables.get(name)
        specs = _mask_specs(table) if table is not None else []
        fields = _restrictable(table.fields) if table is not None else []
        if table is not None and fields:
            # a row an earlier sweep kept and masked already is left as it is (and not
            # reported again): it goes once nothing that must stay references it
            pk = table.pk_columns()
            query = sa.select(*pk).where(
                member_tuple(self.plan.dialect, pk, keys), _recognisable(table, fields)
            )
            keys = [tuple(r) for r in self.conn.execute(query)]
            if not keys:
                return
        if table is not None and specs:
            mask_keyed(
                self.conn, self.plan.dialect, table, specs, [(tuple(keys), MaskInputs(self.key))]
            )
        self.lines.append(
            PlanLine(
                self.plan.store.id,
                name,
                Step.MASK if specs else Step.KEEP,
                len(keys),
                columns=tuple(s.column for s in specs),
                detail="kept and masked instead of deleted: " + "; ".join(reasons),
                examples=examples(keys),
            )
        )


# --------------------------------------------------------------------------- aggregate


def _aggregate(
    conn: Connection, plan: QueryPlan, rows: _Rows, keys: list[tuple[Any, ...]]
) -> PlanLine:
    """Add the batch's rows to the statistics table, grouped as the binding says."""
    aggregate = rows.sweep.binding.aggregate
    assert aggregate is not None
    table = rows.table
    target = statistics_table(conn, plan, rows.sweep)
    columns = [_column(table, g.column) for g in aggregate.by]
    query = sa.select(*columns).where(member_tuple(plan.dialect, table.pk_columns(), keys))
    counts: Counter[tuple[Any, ...]] = Counter()
    for row in conn.execute(query):
        counts[tuple(_rounded(v, g.period) for v, g in zip(row, aggregate.by, strict=True))] += 1
    names = [g.target for g in aggregate.by]
    values = [
        {**dict(zip(names, group, strict=True)), aggregate.count: n} for group, n in counts.items()
    ]
    _upsert(conn, plan.dialect, target, names, aggregate.count, values)
    return PlanLine(
        plan.store.id,
        table.name,
        Step.AGGREGATE,
        len(keys),
        detail=_aggregate_detail(aggregate),
        examples=examples(keys),
    )


def _rounded(value: Any, period: Period | None) -> Any:
    if period is None or value is None:
        return value
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if period is Period.HOUR:
        if not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time())
        return value.replace(minute=0, second=0, microsecond=0)
    day = value.date() if isinstance(value, dt.datetime) else value
    if period is Period.MONTH:
        return day.replace(day=1)
    if period is Period.YEAR:
        return day.replace(month=1, day=1)
    return day


def statistics_table(conn: Connection, plan: QueryPlan, sweep: Sweep) -> sa.Table:
    """The binding's statistics table, created (with its unique key) when missing."""
    aggregate = sweep.binding.aggregate
    assert aggregate is not None
    schema = plan.store.schema_name
    metadata = sa.MetaData(schema=schema)
    if sa.inspect(conn).has_table(aggregate.into, schema=schema):
        return sa.Table(aggregate.into, metadata, autoload_with=conn)
    source = _table(plan, sweep)
    columns: list[sa.Column[Any]] = []
    for group in aggregate.by:
        kind: Any = _column(source, group.column).type
        if group.period is Period.HOUR:
            kind = sa.DateTime()
        elif group.period is not None:
            kind = sa.Date()
        if isinstance(kind, sa.String) and kind.length is None and plan.dialect == "mysql":
            kind = sa.String(255)
        columns.append(sa.Column(group.target, kind, nullable=True))
    table = sa.Table(
        aggregate.into,
        metadata,
        *columns,
        sa.Column(aggregate.count, sa.BigInteger(), nullable=False),
        sa.UniqueConstraint(*(g.target for g in aggregate.by), name=f"uq_{aggregate.into}"),
    )
    table.create(conn)
    return table


def _upsert(
    conn: Connection,
    dialect: str,
    table: sa.Table,
    names: list[str],
    count: str,
    values: list[dict[str, Any]],
) -> None:
    if not values:
        return
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        pg = pg_insert(table)
        conn.execute(
            pg.on_conflict_do_update(
                index_elements=names, set_={count: table.c[count] + pg.excluded[count]}
            ),
            values,
        )
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        lite = sqlite_insert(table)
        conn.execute(
            lite.on_conflict_do_update(
                index_elements=names, set_={count: table.c[count] + lite.excluded[count]}
            ),
            values,
        )
    else:
        from sqlalchemy.dialects.mysql import insert as mysql_insert

        my = mysql_insert(table)
        conn.execute(
            my.on_duplicate_key_update({count: table.c[count] + my.inserted[count]}), values
        )


# --------------------------------------------------------------------------- persons


def _persons_condition(
    plan: QueryPlan, sweep: Sweep, *, erased: bool = False
) -> ColumnElement[bool] | None:
    """The expired persons still to erase; with ``erased``, those erased already and kept
    masked while something referenced them (None: the map cannot tell them apart)."""
    table = _table(plan, sweep)
    parts: list[ColumnElement[bool]] = list(_where(table, sweep))
    if sweep.start is not None:
        parts.append(expired(table, sweep))
    else:
        parts.append(_inactive(plan, table, sweep))
    identities = _identity_fields(table)
    if identities:
        # a person whose identities are all masked already was erased: not swept again
        masked = _recognisable(table, identities)
        parts.append(sa.not_(masked) if erased else masked)
    elif erased:
        return None
    return sa.and_(*parts)


def _identity_fields(table: CompiledTable) -> list[CompiledField]:
    """The person table's identity columns whose masking privaat recognises."""
    return _restrictable(
        [
            f
            for f in table.fields
            if any(link.column == f.column and link.identity for link in table.links)
        ]
    )


def leftovers(
    engine_connect: Callable[[], Any], plan: QueryPlan, sweep: Sweep, key: bytes
) -> Iterator[SweepBatch]:
    """Person scope: delete the rows of expired persons that an earlier erasure kept masked
    because something referenced them, once nothing does (those still referenced stay as
    they are, and are not reported again)."""
    condition = _persons_condition(plan, sweep, erased=True)
    if condition is None:
        return
    table = _table(plan, sweep)
    pk = table.pk_columns()
    last: tuple[Any, ...] | None = None
    while True:
        with engine_connect() as conn, conn.begin():
            query = sa.select(*pk).where(condition).order_by(*pk).limit(FIRST_BATCH)
            if last is not None:
                query = query.where(_after(pk, last))
            keys = [tuple(r) for r in conn.execute(query).all()]
            if not keys:
                return
            deleter = _Deleter(conn, plan, key)
            deleter.delete(table.name, keys, depth=0)
        last = keys[-1]
        if deleter.lines:
            lines = tuple(_leftover(line, table.name) for line in deleter.lines)
            gone = sum(ln.rows for ln in lines if ln.detail == _LEFTOVER)
            yield SweepBatch(lines, gone, None)


def _leftover(line: PlanLine, name: str) -> PlanLine:
    if line.table == name and line.step is Step.DELETE and not line.detail:
        return replace(line, detail=_LEFTOVER)
    return line


_LEFTOVER = "erased before and kept masked while referenced; nothing references them now"


def _inactive(plan: QueryPlan, table: CompiledTable, sweep: Sweep) -> ColumnElement[bool]:
    """No activity of the person on or after the cutoff, anywhere in the store."""
    own = [*table.spec.activity, *([table.spec.created] if table.spec.created else [])]
    if not own:
        raise UsageError(
            f"table {table.name!r}: the last activity is counted from its activity columns "
            "or its created column; the map gives neither"
        )
    cols = [_column(table, c) for c in own]
    old = [
        sa.or_(c.is_(None), c < _when(table, n, sweep.cutoff))
        for c, n in zip(cols, own, strict=True)
    ]
    parts: list[ColumnElement[bool]] = [*old, sa.or_(*(c.is_not(None) for c in cols))]
    for other in plan.tables.values():
        if other.name == table.name or not other.spec.activity:
            continue
        recent = sa.or_(
            *(_column(other, a) >= _when(other, a, sweep.cutoff) for a in other.spec.activity)
        )
        for match in _person_matches(table, other):
            parts.append(sa.not_(sa.exists().where(match, recent)))
    return sa.and_(*parts)


def _person_matches(person: CompiledTable, other: CompiledTable) -> list[ColumnElement[bool]]:
    """How a row of ``other`` belongs to a row of the person table, as correlated conditions."""
    out: list[ColumnElement[bool]] = []
    identity_columns = {
        link.identity: link
        for link in person.links
        if link.identity is not None and link.path is None
    }
    for link in other.links:
        if link.path is not None or link.mentions:
            continue
        column = other.table.c[link.column]
        if link.target is not None and link.target[0] == person.name:
            target = person.table.c[link.target[1]]
            condition: ColumnElement[bool] = (
                sa.cast(column, sa.Text()) == sa.cast(target, sa.Text())
                if link.link.as_text
                else column == target
            )
            out.append(sa.and_(condition, *(other.table.c[c] == v for c, v in link.when)))
        elif link.identity is not None and link.identity in identity_columns:
            mine = identity_columns[link.identity]
            left: ColumnElement[Any] = column
            right: ColumnElement[Any] = person.table.c[mine.column]
            if link.link.ignore_case or mine.link.ignore_case:
                left, right = folded(left, link.ci), folded(right, mine.ci)
            out.append(left == right)
    return out


def _plan_persons(conn: Connection, plan: QueryPlan, sweep: Sweep) -> list[PlanLine]:
    table = _table(plan, sweep)
    lines: list[PlanLine] = []
    condition = _persons_condition(plan, sweep)
    assert condition is not None
    count, keys = count_rows(conn, table.table, table.pk, condition)
    if count:
        since = "inactive" if sweep.start is None else "expired"
        lines.append(
            PlanLine(
                plan.store.id,
                table.name,
                Step.DELETE,
                count,
                detail=f"persons {since} (before {sweep.cutoff.isoformat()}): erased from the "
                "store as an erasure request would, held rows kept",
                examples=keys,
            )
        )
    erased = _persons_condition(plan, sweep, erased=True)
    if erased is not None:
        blocked = _blocked(plan, table)
        going = erased if blocked is None else both(erased, sa.not_(blocked))
        count, keys = count_rows(conn, table.table, table.pk, going)
        if count:
            lines.append(
                PlanLine(
                    plan.store.id, table.name, Step.DELETE, count, detail=_LEFTOVER, examples=keys
                )
            )
    return lines


def expired_persons(
    conn: Connection,
    plan: QueryPlan,
    sweep: Sweep,
    size: int,
    after: tuple[Any, ...] | None,
) -> list[tuple[tuple[Any, ...], Person]]:
    """The next ``size`` expired persons after the key ``after``: key and identities."""
    table = _table(plan, sweep)
    pk = table.pk_columns()
    links = [link for link in table.links if link.identity is not None and link.path is None]
    condition = _persons_condition(plan, sweep)
    assert condition is not None
    query = (
        sa.select(*pk, *(table.table.c[link.column] for link in links))
        .where(condition)
        .order_by(*pk)
        .limit(size)
    )
    if after is not None:
        query = query.where(_after(pk, after))
    out: list[tuple[tuple[Any, ...], Person]] = []
    width = len(pk)
    for row in conn.execute(query):
        values: dict[IdentityKind, set[str]] = {}
        for link, value in zip(links, row[width:], strict=True):
            if (
                value is None
                or str(value).endswith(EMAIL_DOMAIN)
                or str(value).startswith("erased-")
            ):
                continue
            assert link.identity is not None
            values.setdefault(link.identity, set()).add(str(value))
        person = Person.of(**{k.value: sorted(v) for k, v in values.items()})
        out.append((tuple(row[:width]), person))
    return out
