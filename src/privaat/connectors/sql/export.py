"""Access: how many of the person's rows each table holds, and the rows themselves, streamed.

A table's owned rows are exported with every column of the table (the columns the map
names carry their data category); rows that only mention the person are someone else's,
so only their key and the free-text columns that mention the person are exported, in a
collection marked ``mentions``. Rows are streamed with a server-side cursor (PostgreSQL,
MySQL) or by ``fetchmany`` (SQLite), a batch at a time, so memory stays flat however many
rows a person has. One collection's rows are read before the next collection is asked for:
asking for the next one closes the previous cursor.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.sql.elements import ColumnElement

from privaat.connectors.base import Collection, Person, PlanLine, Step
from privaat.connectors.sql.compile import CompiledTable, QueryPlan
from privaat.connectors.sql.dialect import falsy
from privaat.connectors.sql.locate import Located, both, locate, mentioned, owned
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
        own, mention = _conditions(plan, table, located)
        if own is not None:
            yield from _collection(conn, plan, table, [c.name for c in table.table.columns], own)
        if mention is not None:
            yield from _collection(
                conn, plan, table, list(_mention_columns(table)), mention, mentions=True
            )


def _conditions(
    plan: QueryPlan, table: CompiledTable, located: Located
) -> tuple[ColumnElement[bool] | None, ColumnElement[bool] | None]:
    own = owned(plan, table, located.person, located.values_of)
    found = mentioned(plan, table, located.person)
    return own, None if found is None else both(found, falsy(own))


def _mention_columns(table: CompiledTable) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*table.pk, *table.redact)))


def _collection(
    conn: Connection,
    plan: QueryPlan,
    table: CompiledTable,
    columns: list[str],
    where: ColumnElement[bool],
    *,
    mentions: bool = False,
) -> Iterator[Collection]:
    query = (
        sa.select(*(table.table.c[c] for c in columns)).where(where).order_by(*table.pk_columns())
    )
    result = conn.execution_options(stream_results=True, yield_per=STREAM_BATCH).execute(query)
    try:
        first = result.fetchmany(STREAM_BATCH)
        if not first:
            return
        fields = {f.column: f for f in table.spec.fields}
        stream = _RowStream(first, result)
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
        result.close()


class _RowStream(Iterator[tuple[Any, ...]]):
    """A collection's rows, read from the open cursor a batch at a time."""

    def __init__(self, first: Sequence[Any], result: CursorResult[Any]) -> None:
        self.batch = list(first)
        self.at = 0
        self.result = result
        self.abandoned = False
        self.done = False

    def __next__(self) -> tuple[Any, ...]:
        if self.at == len(self.batch):
            if self.done:
                raise StopIteration
            if self.abandoned:
                raise UsageError(
                    "read a collection's rows before asking the export for the next collection"
                )
            self.batch, self.at = list(self.result.fetchmany(STREAM_BATCH)), 0
            if not self.batch:
                self.done = True
                raise StopIteration
        row = self.batch[self.at]
        self.at += 1
        return tuple(row)
