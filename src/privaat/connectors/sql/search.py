"""The search that proves an erasure: is the person still anywhere in the store?

Every identity column and JSON path of the map is searched for the person's identities of
its kind, and every free-text (``mentions``) column for the identities it may mention,
always without regard to case (even where the map says a column is stored normalised).
``to`` links are searched for the keys the caller found before the erasure (table -> primary
keys), so that rows still pointing at an erased person are found too. One query per table
counts every place at once, and how many of the rows found are under a hold: a place whose
rows are all held is reported with ``held=True`` (kept by law, which is why it remains).
Pass the person as expanded before the erasure: afterwards nothing is left to expand from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from privaat.connectors.base import Hit, Person
from privaat.connectors.sql.compile import CompiledLink, QueryPlan
from privaat.connectors.sql.locate import both, held, link_condition


def search(
    conn: Connection,
    plan: QueryPlan,
    person: Person,
    keys: Mapping[str, Sequence[Any]] | None = None,
) -> list[Hit]:
    former = {table: [_scalar(k) for k in values] for table, values in (keys or {}).items()}

    def values_of(table: str, column: str) -> Sequence[Any]:
        target = plan.tables.get(table)
        if target is None or target.pk != (column,):
            return []  # former keys are primary keys: a link to another column cannot use them
        return former.get(table, [])

    hits: list[Hit] = []
    for table in plan.tables.values():
        places: list[tuple[CompiledLink, str, ColumnElement[bool]]] = []
        for link in table.links:
            condition = link_condition(plan, table, link, person, values_of, fold=True)
            if condition is not None:
                places.append((link, _detail(link), condition))
        if not places:
            continue
        hold = held(table)
        counts: list[ColumnElement[Any]] = []
        for _, _, condition in places:
            counts.append(sa.func.count(sa.case((condition, 1))))
            counts.append(sa.func.count(sa.case((both(condition, hold), 1))))
        query = sa.select(*counts).select_from(table.table).where(sa.or_(*(p[2] for p in places)))
        row = conn.execute(query).one()
        for i, (link, detail, _) in enumerate(places):
            found, kept = int(row[2 * i]), int(row[2 * i + 1])
            if found:
                hits.append(
                    Hit(
                        store=plan.store.id,
                        table=table.name,
                        column=link.place,
                        rows=found,
                        held=hold is not None and kept == found,
                        detail=detail,
                    )
                )
    return hits


def _scalar(key: Any) -> Any:
    return key[0] if isinstance(key, tuple) and len(key) == 1 else key


def _detail(link: CompiledLink) -> str:
    if link.mentions:
        return "mentions " + ", ".join(k.value for k in link.mentions)
    if link.identity is not None:
        return f"identity {link.identity.value}"
    assert link.target is not None
    return f"key of {link.target[0]}.{link.target[1]}"
