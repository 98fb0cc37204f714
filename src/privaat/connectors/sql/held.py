"""Rows under a statutory hold: kept as they are, reported with the day the hold ends.

A row is held when its document date is on or after ``held_since(hold, today)`` (one
comparison on the date column), or when it has no date at all (``until`` is then None:
someone has to look at it). Held rows are grouped by the first day their hold no longer
applies (``hold_ends``): one HOLD line and one HeldRows per end date, the keys in primary-key
order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from privaat.connectors.base import HeldRows, PlanLine, Step
from privaat.connectors.sql.compile import CompiledTable
from privaat.connectors.sql.locate import hold_date
from privaat.connectors.sql.rows import examples
from privaat.core.holds import hold_ends


def held_rows(
    conn: Connection, store: str, table: CompiledTable, where: ColumnElement[bool], doing: str
) -> tuple[list[HeldRows], list[PlanLine]]:
    """The held rows matching ``where`` (which includes the hold condition), by end date;
    ``doing`` says what happens to them in the plan line."""
    hold = table.hold
    assert hold is not None
    query = (
        sa.select(*table.pk_columns(), table.table.c[hold.column])
        .where(where)
        .order_by(*table.pk_columns())
    )
    return held_lines(store, table, ((tuple(r[:-1]), r[-1]) for r in conn.execute(query)), doing)


def held_lines(
    store: str, table: CompiledTable, found: Iterable[tuple[tuple[Any, ...], Any]], doing: str
) -> tuple[list[HeldRows], list[PlanLine]]:
    """Held rows (key, document date) grouped by the day their hold ends."""
    hold = table.hold
    assert hold is not None
    by_end: dict[dt.date | None, list[tuple[Any, ...]]] = {}
    for key, value in found:
        date = hold_date(value)
        until = hold_ends(hold.hold, date) if date is not None else None
        by_end.setdefault(until, []).append(key)
    kept: list[HeldRows] = []
    lines: list[PlanLine] = []
    for until, keys in sorted(by_end.items(), key=lambda item: item[0] or dt.date.max):
        kept.append(HeldRows(store, table.name, hold.hold.id, tuple(keys), until))
        detail = f"statutory hold {hold.hold.id!r} ({hold.hold.statute}): {doing}"
        if until is None:
            detail += "; the document date is missing, review by hand"
        lines.append(
            PlanLine(
                store,
                table.name,
                Step.HOLD,
                len(keys),
                detail=detail,
                until=until,
                examples=examples(keys),
            )
        )
    return kept, lines
