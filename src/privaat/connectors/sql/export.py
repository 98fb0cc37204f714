"""Access: how many of the person's rows each table holds, and the rows themselves, streamed.

A table's owned rows are exported with every column of the table (the columns the map
names carry their data category); rows that only mention the person are someone else's,
so only their key and the free-text columns that mention the person are exported, in a
collection marked ``mentions``. A collection's first ``STREAM_BATCH`` rows are read in one
ordinary query (``LIMIT STREAM_BATCH + 1``: one round trip, which is all most tables of a
person need); only when more remain are the rest, after the last key read, streamed with a
server-side cursor (PostgreSQL, MySQL) or by ``fetchmany`` (SQLite), a batch at a time, so
memory stays flat however many rows a person has. One collection's rows are read before
the next collection is asked for: asking for the next one closes the previous cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.sql.elements import ColumnElement

from privaat.connectors.base import Collection, Person, PlanLine, Step
from privaat.connectors.sql.compile import CompiledTable, QueryPlan
from privaat.connectors.sql.dialect import falsy
from privaat.connectors.sql.engine import streamable
from privaat.connectors.sql.locate import (
    Located,
    both,
    locate,
    mentioned,
    owned,
    owned_statement,
)
from privaat.connectors.sql.mask import after
from privaat.connectors.sql.rows import count_rows, examples
from privaat.errors import UsageError

#: Rows fetched from the cursor at a time.
STREAM_BATCH = 1000
MENTIONS_DETAIL = "rows of others that mention the person: only the mentioning text"


def plan_access(conn: Connection, plan: QueryPlan, person: Person) -> list[PlanLine]:
    """Per table, the rows an export would hold (tables without any are left out)."""
    located = locate(conn, plan, person)
    lines: list[PlanLine] = []
    for table in plan.tables.values():
        own, mention = _conditions(plan, table, located)
        if own is not None:
            if table.name in located.keys:
                keys = located.keys[table.name].rows
                count, shown = len(keys), examples(keys)
            else:
                count, shown = count_rows(conn, table.table, table.pk, own)
            if count:
                lines.append(
                    PlanLine(plan.store.id, table.name, Step.EXPORT, count, examples=shown)
                )
        if mention is not None:
            count, shown = count_rows(conn, table.table, table.pk, mention)
            if count:
                lines.append(
                    PlanLine(
                        plan.store.id,
                        table.name,
                        Step.EXPORT,
                        count,
                        columns=_mention_columns(table),
                        detail=MENTIONS_DETAIL,
                        examples=shown,
                    )
                )
    return lines


def export(conn: Connection, plan: QueryPlan, person: Person) -> Iterator[Collection]:
    """The person's collections, one table at a time, each streamed."""
    located = locate(conn, plan, person)
    for table in plan.tables.values():
        columns = [c.name for c in table.table.columns]

        def own(table: CompiledTable = table) -> ColumnElement[bool] | None:
            return owned(plan, table, located.person, located.values_of)

        first = owned_statement(
            plan, table, located, "export", partial(_first_batch, table, columns)
        )
        if first is not None:
            yield from _collection(conn, plan, table, columns, own, first=first)
        elif (condition := own()) is not None:
            yield from _collection(conn, plan, table, columns, partial(_given, condition))
        found = mentioned(plan, table, located.person)
        if found is not None:
            mention = both(found, falsy(own()))
            yield from _collection(
                conn,
                plan,
                table,
                list(_mention_columns(table)),
                partial(_given, mention),
                mentions=True,
            )


def _given(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return condition


def _first_batch(
    table: CompiledTable, columns: list[str], where: ColumnElement[bool]
) -> sa.Select[Any]:
    return _query(table, columns, where).limit(STREAM_BATCH + 1)


def _conditions(
    plan: QueryPlan, table: CompiledTable, located: Located
) -> tuple[ColumnElement[bool] | None, ColumnElement[bool] | None]:
    own = owned(plan, table, located.person, located.values_of)
    found = mentioned(plan, table, located.person)
    return own, None if found is None else both(found, falsy(own))


def _mention_columns(table: CompiledTable) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*table.pk, *table.redact)))


def _query(table: CompiledTable, columns: list[str], where: ColumnElement[bool]) -> sa.Select[Any]:
    return (
        sa.select(*(table.table.c[c] for c in columns)).where(where).order_by(*table.pk_columns())
    )


def _collection(
    conn: Connection,
    plan: QueryPlan,
    table: CompiledTable,
    columns: list[str],
    where: Callable[[], ColumnElement[bool] | None],
    *,
    mentions: bool = False,
    first: tuple[Any, dict[str, Any]] | None = None,
) -> Iterator[Collection]:
    """``where`` gives the rows' condition; ``first`` is the prepared statement for the
    first batch (PostgreSQL), when there is one."""
    pk = table.pk_columns()
    at = [columns.index(c) for c in table.pk] if set(table.pk) <= set(columns) else []

    def query() -> sa.Select[Any]:
        condition = where()
        assert condition is not None
        return _query(table, columns, condition)

    if pk and at:
        if first is not None:
            rows = conn.execute(*first).all()
        else:
            rows = conn.execute(query().limit(STREAM_BATCH + 1)).all()
        stream = _RowStream(rows[:STREAM_BATCH], None)
        if len(rows) > STREAM_BATCH:
            stream.rest = lambda last: _open(conn, query().where(after(pk, last)))
            stream.key_at = at
    else:
        result = _open(conn, query())
        stream = _RowStream(result.fetchmany(STREAM_BATCH), result)
    try:
        if not stream.batch:
            return
        fields = {f.column: f for f in table.spec.fields}
        yield Collection(
            store=plan.store.id,
            table=table.name,
            columns=tuple(columns),
            categories={c: fields[c].category for c in columns if c in fields},
            rows=stream,
            provided=frozenset(c for c in columns if c in fields and fields[c].provided),
            mentions=mentions,
        )
        stream.abandoned = True
    finally:
        stream.close()


def _open(conn: Connection, query: sa.Select[Any]) -> CursorResult[Any]:
    streamable(conn)
    return conn.execution_options(stream_results=True, yield_per=STREAM_BATCH).execute(query)


class _RowStream(Iterator[tuple[Any, ...]]):
    """A collection's rows: the first batch, then (when more remain) the rest from an
    open cursor a batch at a time."""

    def __init__(self, first: Sequence[Any], result: CursorResult[Any] | None) -> None:
        self.batch = list(first)
        self.current: Iterator[tuple[Any, ...]] = iter([tuple(r) for r in self.batch])
        self.result = result
        #: opens the cursor over the rows after a key (None: the first batch was all)
        self.rest: Callable[[tuple[Any, ...]], CursorResult[Any]] | None = None
        self.key_at: list[int] = []
        self.abandoned = False
        self.done = False

    def __next__(self) -> tuple[Any, ...]:
        for row in self.current:
            return row
        if self.done:
            raise StopIteration
        if self.abandoned:
            raise UsageError(
                "read a collection's rows before asking the export for the next collection"
            )
        if self.result is None and self.rest is not None and self.batch:
            last = self.batch[-1]
            self.result = self.rest(tuple(last[i] for i in self.key_at))
        if self.result is not None:
            self.batch = list(self.result.fetchmany(STREAM_BATCH))
        else:
            self.batch = []
        if not self.batch:
            self.done = True
            raise StopIteration
        self.current = iter([tuple(r) for r in self.batch])
        return next(self.current)

    def close(self) -> None:
        if self.result is not None:
            self.result.close()
