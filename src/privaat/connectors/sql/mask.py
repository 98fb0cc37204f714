"""Masking rows in place, a batch of rows per statement.

Masked values differ per row (a unique random value, an HMAC of the old value, a redacted
text), so they are computed in Python by the strategies of ``core.masking``. The rows are
read in primary-key order, 500 at a time (keyset pagination: memory stays flat and a row
whose condition changes once masked is not read again), and each batch is written with one
``UPDATE ... SET column = CASE key WHEN ... THEN ... END WHERE key IN (...)``: set-based,
never a statement per row.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from privaat.connectors.sql.compile import CompiledTable
from privaat.connectors.sql.dialect import member_tuple
from privaat.core.datamap.model import Masking
from privaat.core.masking import ColumnShape, MaskInputs, ValueKind, mask_value

#: Rows masked per statement.
MASK_BATCH = 500


@dataclass(frozen=True, slots=True)
class MaskSpec:
    """One column and what it becomes: a masking strategy, or ``replace`` (a function of
    the old value, for rectification)."""

    column: str
    strategy: Masking
    shape: ColumnShape
    fixed: str | None = None
    json_typed: bool = False
    replace: Callable[[Any], Any] | None = None

    def new_value(self, value: Any, inputs: MaskInputs) -> Any:
        if self.replace is not None:
            return self.replace(value)
        return mask_value(self.strategy, value, self.shape, inputs)


def mask_rows(
    conn: Connection,
    dialect: str,
    table: CompiledTable,
    where: ColumnElement[bool],
    specs: Sequence[MaskSpec],
    inputs: MaskInputs,
) -> int:
    """Mask ``specs`` in the rows matching ``where``; how many rows were read."""
    if not specs:
        return 0
    pk = table.pk_columns()
    sources = [table.table.c[s.column] for s in specs]
    per_spec = [dataclasses.replace(inputs, fixed=s.fixed) for s in specs]
    last: tuple[Any, ...] | None = None
    total = 0
    while True:
        query = sa.select(*pk, *sources).where(where).order_by(*pk).limit(MASK_BATCH)
        if last is not None:
            query = query.where(after(pk, last))
        rows = conn.execute(query).all()
        if not rows:
            return total
        keys = [tuple(r[: len(pk)]) for r in rows]
        values: dict[str, ColumnElement[Any]] = {}
        for i, (spec, column) in enumerate(zip(specs, sources, strict=True)):
            masked = [_stored(spec, spec.new_value(r[len(pk) + i], per_spec[i])) for r in rows]
            values[spec.column] = _per_row(pk, keys, masked, column)
        update = table.table.update().where(member_tuple(dialect, pk, keys)).values(values)
        conn.execute(update)
        total += len(rows)
        last = keys[-1]
        if len(rows) < MASK_BATCH:
            return total


def mask_keyed(
    conn: Connection,
    dialect: str,
    table: CompiledTable,
    specs: Sequence[MaskSpec],
    groups: Sequence[tuple[Sequence[tuple[Any, ...]], MaskInputs]],
) -> int:
    """Mask ``specs`` in the rows named by primary key, each group of keys with its own
    inputs (a batch of persons: one UPDATE per ``MASK_BATCH`` rows whoever's they are); a
    row named twice is masked with its first group's inputs. How many rows were read."""
    if not specs:
        return 0
    inputs_of: dict[tuple[Any, ...], MaskInputs] = {}
    for keys, inputs in groups:
        for key in keys:
            inputs_of.setdefault(tuple(key), inputs)
    pk = table.pk_columns()
    sources = [table.table.c[s.column] for s in specs]
    wanted = list(inputs_of)
    total = 0
    for start in range(0, len(wanted), MASK_BATCH):
        chunk = wanted[start : start + MASK_BATCH]
        query = sa.select(*pk, *sources).where(member_tuple(dialect, pk, chunk)).order_by(*pk)
        rows = conn.execute(query).all()
        if not rows:
            continue
        keys = [tuple(r[: len(pk)]) for r in rows]
        row_inputs = [inputs_of[k] for k in keys]
        values: dict[str, ColumnElement[Any]] = {}
        for i, (spec, column) in enumerate(zip(specs, sources, strict=True)):
            per: dict[int, MaskInputs] = {}
            masked = []
            for r, inputs in zip(rows, row_inputs, strict=True):
                own = per.get(id(inputs))
                if own is None:
                    own = per[id(inputs)] = dataclasses.replace(inputs, fixed=spec.fixed)
                masked.append(_stored(spec, spec.new_value(r[len(pk) + i], own)))
            values[spec.column] = _per_row(pk, keys, masked, column)
        conn.execute(table.table.update().where(member_tuple(dialect, pk, keys)).values(values))
        total += len(rows)
    return total


def after(pk: list[sa.Column[Any]], last: tuple[Any, ...]) -> ColumnElement[bool]:
    """The rows after ``last`` in primary-key order (keyset pagination)."""
    after: ColumnElement[bool]
    if len(pk) == 1:
        after = pk[0] > last[0]
    else:
        after = sa.tuple_(*pk) > sa.tuple_(*(sa.literal(v) for v in last))
    return after


def _stored(spec: MaskSpec, value: Any) -> Any:
    """A JSON value for a text column that holds JSON is written as its text."""
    if spec.shape.kind is ValueKind.JSON and not spec.json_typed and value is not None:
        return value if isinstance(value, str) else json.dumps(value)
    return value


def _per_row(
    pk: list[sa.Column[Any]],
    keys: list[tuple[Any, ...]],
    values: list[Any],
    column: sa.Column[Any],
) -> ColumnElement[Any]:
    def literal(value: Any) -> ColumnElement[Any]:
        return sa.null() if value is None else sa.literal(value, type_=column.type)

    if len(pk) == 1:
        whens = {k[0]: literal(v) for k, v in zip(keys, values, strict=True)}
        return sa.case(whens, value=pk[0], else_=column)
    return sa.case(
        *(
            (sa.and_(*(c == part for c, part in zip(pk, k, strict=True))), literal(v))
            for k, v in zip(keys, values, strict=True)
        ),
        else_=column,
    )
