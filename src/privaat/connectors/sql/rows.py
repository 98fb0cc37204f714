"""Sets of rows as the connector holds them: materialised keys, and counts with examples.

Only the keys other tables link to are ever held in memory (``KeyRows``); every other set of
rows stays a SQL condition and is counted with a few example keys in one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

#: How many example keys a plan line carries.
EXAMPLES = 3


@dataclass(slots=True)
class KeyRows:
    """Rows of one table by primary key: the selected ``columns`` of each."""

    columns: tuple[str, ...]
    pk_size: int
    rows: dict[tuple[Any, ...], tuple[Any, ...]] = field(default_factory=dict)

    def values(self, column: str) -> list[Any]:
        """The distinct non-null values of ``column`` (in a stable order)."""
        at = self.columns.index(column)
        return list(dict.fromkeys(r[at] for r in self.rows.values() if r[at] is not None))

    def tuples(self, columns: Sequence[str]) -> list[tuple[Any, ...]]:
        """The distinct value tuples of ``columns`` without a NULL in them."""
        at = [self.columns.index(c) for c in columns]
        found = (tuple(r[i] for i in at) for r in self.rows.values())
        return list(dict.fromkeys(t for t in found if None not in t))

    def only(self, keys: Iterable[tuple[Any, ...]]) -> KeyRows:
        wanted = set(keys)
        return KeyRows(
            self.columns, self.pk_size, {k: v for k, v in self.rows.items() if k in wanted}
        )

    def __len__(self) -> int:
        return len(self.rows)


def pk_text(key: Sequence[Any]) -> str:
    """A primary key as a plan line shows it."""
    return "/".join(str(part) for part in key)


def examples(keys: Iterable[tuple[Any, ...]]) -> tuple[str, ...]:
    return tuple(pk_text(k) for k in sorted(keys, key=_sortable)[:EXAMPLES])


def _sortable(key: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(f"{type(v).__name__}:{v!s:>20}" for v in key)


def count_rows(
    conn: Connection, table: sa.Table, pk: Sequence[str], condition: ColumnElement[bool]
) -> tuple[int, tuple[str, ...]]:
    """How many rows match, and a few of their primary keys, in one query (the total is a
    window count over the whole match, computed before the LIMIT)."""
    columns = [table.c[c] for c in pk]
    if not columns:
        total = conn.execute(sa.select(sa.func.count()).select_from(table).where(condition))
        return int(total.scalar_one()), ()
    query = (
        sa.select(*columns, sa.func.count().over().label("privaat_total"))
        .where(condition)
        .order_by(*columns)
        .limit(EXAMPLES)
    )
    rows = conn.execute(query).all()
    if not rows:
        return 0, ()
    return int(rows[0][-1]), tuple(pk_text(r[:-1]) for r in rows)
