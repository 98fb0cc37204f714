"""SQL building blocks that differ between PostgreSQL, MySQL / MariaDB and SQLite.

- Membership in a set of values: ``= ANY(:array)`` on PostgreSQL (one parameter, one cached
  statement whatever the number of values); ``IN`` lists of at most 1,000 values elsewhere
  (ORed on MySQL, which has no parameter limit; on SQLite a longer list is passed as one
  JSON array and read with ``json_each``, so the 32,766-parameter limit is never reached).
- Case-insensitive comparison: ``lower(column)`` (PostgreSQL, SQLite, and MySQL columns with
  a binary or case-sensitive collation); a MySQL ``*_ci`` column is compared as it is.
- A value inside a JSON document: PostgreSQL ``#>>`` (text columns are cast to jsonb, so
  they must hold valid JSON), MySQL ``JSON_UNQUOTE(JSON_EXTRACT())`` and SQLite
  ``json_extract()`` (text columns that do not hold valid JSON are skipped on both).
- Free text that mentions a value: ``lower(column) LIKE '%value%'`` with ``%``, ``_`` and the
  escape character escaped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

#: The most values one IN list holds.
BATCH = 1000
_ESCAPE = "!"


def member(
    dialect: str, expr: ColumnElement[Any], values: Sequence[Any], element: TypeEngine[Any]
) -> ColumnElement[bool]:
    """``expr`` is one of ``values`` (false for no values)."""
    if not values:
        return sa.false()
    if dialect == "postgresql":
        if isinstance(element, sa.String):
            element = sa.Text()  # a bounded VARCHAR(n)[] would cut longer values to n
        return expr == sa.any_(sa.bindparam(None, list(values), type_=ARRAY(element)))
    if len(values) <= BATCH:
        return expr.in_(list(values))
    if dialect == "sqlite":
        array = sa.bindparam(None, json.dumps(list(values), default=str), type_=sa.Text)
        listed: sa.Select[Any] = sa.select(sa.literal_column("value")).select_from(
            sa.func.json_each(array)
        )
        return expr.in_(listed.scalar_subquery())
    return sa.or_(*(expr.in_(list(values[i : i + BATCH])) for i in range(0, len(values), BATCH)))


def member_param(
    expr: ColumnElement[Any], name: str, element: TypeEngine[Any]
) -> ColumnElement[bool]:
    """PostgreSQL: ``expr = ANY(:name)``, the array given when the statement runs."""
    if isinstance(element, sa.String):
        element = sa.Text()
    return expr == sa.any_(sa.bindparam(name, type_=ARRAY(element)))


def member_tuple(
    dialect: str, exprs: Sequence[ColumnElement[Any]], values: Sequence[tuple[Any, ...]]
) -> ColumnElement[bool]:
    """A row of columns is one of ``values`` (a composite key)."""
    if len(exprs) == 1:
        return member(dialect, exprs[0], [v[0] for v in values], exprs[0].type)
    if not values:
        return sa.false()
    return sa.or_(
        *(sa.tuple_(*exprs).in_(list(values[i : i + BATCH])) for i in range(0, len(values), BATCH))
    )


def folded(expr: ColumnElement[Any], already_ci: bool = False) -> ColumnElement[Any]:
    """``expr`` as compared without regard to case."""
    return expr if already_ci else sa.func.lower(expr)


def json_text(
    dialect: str, column: sa.Column[Any], path: Sequence[str], typed: bool
) -> ColumnElement[str]:
    """The value at ``path`` inside the JSON document in ``column``, as text."""
    if dialect == "postgresql":
        document: ColumnElement[Any] = column if typed else sa.cast(column, JSONB)
        found = document.op("#>>")(sa.bindparam(None, list(path), type_=ARRAY(sa.Text)))
        return sa.type_coerce(found, sa.Text)
    selector = "$" + "".join('."' + k.replace("\\", "\\\\").replace('"', '\\"') + '"' for k in path)
    if dialect == "mysql":
        value: ColumnElement[Any] = sa.func.json_unquote(
            sa.func.json_extract(column, sa.bindparam(None, selector, type_=sa.Text))
        )
    else:
        value = sa.cast(
            sa.func.json_extract(column, sa.bindparam(None, selector, type_=sa.Text)), sa.Text
        )
    if not typed:
        value = sa.case((sa.func.json_valid(column) == 1, value), else_=sa.null())
    return sa.type_coerce(value, sa.Text)


def contains_any(expr: ColumnElement[Any], needles: Sequence[str]) -> ColumnElement[bool]:
    """Free text in ``expr`` mentions one of ``needles`` (any case)."""
    if not needles:
        return sa.false()
    text = sa.func.lower(expr)
    return sa.or_(*(text.like(f"%{_escape_like(n.lower())}%", escape=_ESCAPE) for n in needles))


def _escape_like(value: str) -> str:
    return (
        value.replace(_ESCAPE, _ESCAPE * 2).replace("%", _ESCAPE + "%").replace("_", _ESCAPE + "_")
    )


def truthy(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """``condition`` with NULL read as false (so that its negation is safe)."""
    return sa.case((condition, 1), else_=0) == 1


def falsy(condition: ColumnElement[bool] | None) -> ColumnElement[bool]:
    """Not ``condition``, with NULL read as false (``NOT NULL`` would drop the row)."""
    if condition is None:
        return sa.true()
    return sa.case((condition, 1), else_=0) == 0
