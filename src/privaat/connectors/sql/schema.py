"""The live schema of a company database, reflected once per connector.

Everything the connector decides about a table comes from here, never from assumptions:
column kinds, lengths and nullability (what a masked value must fit), single-column
uniqueness (where masking needs a unique random value), primary keys, and every foreign key
of the database with its ON DELETE rule (the order rows can be deleted in, and what the
database itself will cascade or null). All tables of the schema are reflected, not only
those in the map, because a table the map does not cover can still reference a person's row.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeEngine

from privaat.core.masking import ValueKind

#: ON DELETE rules as the connector distinguishes them.
CASCADE, SET_NULL, RESTRICT = "CASCADE", "SET NULL", "RESTRICT"


@dataclass(frozen=True, slots=True)
class LiveColumn:
    name: str
    kind: ValueKind
    length: int | None
    nullable: bool
    unique: bool  # unique on its own (a single-column unique constraint, index or key)
    json_typed: bool  # a JSON type (not text holding JSON)
    ci: bool  # MySQL: the column's collation already compares case-insensitively


@dataclass(frozen=True, slots=True)
class LiveForeignKey:
    """A foreign key the database enforces: ``table.columns`` -> ``referred.columns``."""

    table: str
    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]
    ondelete: str  # CASCADE, SET NULL or RESTRICT (NO ACTION, SET DEFAULT, none given)
    nullable: bool  # every referencing column accepts NULL

    @property
    def label(self) -> str:
        return f"{self.table}.{','.join(self.columns)}"


@dataclass(frozen=True, slots=True)
class LiveTable:
    table: sa.Table
    columns: dict[str, LiveColumn]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[LiveForeignKey, ...]


@dataclass(frozen=True, slots=True)
class LiveSchema:
    tables: dict[str, LiveTable]

    def referencing(self, table: str) -> list[LiveForeignKey]:
        """Every foreign key of the database that points into ``table``."""
        return [
            fk
            for live in self.tables.values()
            for fk in live.foreign_keys
            if fk.referred_table == table
        ]


def reflect(conn: Connection, schema: str | None) -> LiveSchema:
    """Read the schema of the database (one round of catalogue queries)."""
    metadata = sa.MetaData()
    with warnings.catch_warnings():
        # Types SQLAlchemy does not know (tsvector, geometry...) are harmless here: such
        # columns are of kind OTHER and are never compared or masked by their type.
        warnings.simplefilter("ignore", sa_exc.SAWarning)
        metadata.reflect(bind=conn, schema=schema)
    ci = _case_insensitive_columns(conn, schema)
    tables: dict[str, LiveTable] = {}
    for table in metadata.tables.values():
        if table.schema != schema:
            continue  # a table of another schema, reflected because a foreign key names it
        tables[table.name] = _live_table(table, ci)
    return LiveSchema(tables)


def _live_table(table: sa.Table, ci: set[tuple[str, str]]) -> LiveTable:
    unique: set[str] = set()
    pk = tuple(c.name for c in table.primary_key.columns)
    if len(pk) == 1:
        unique.add(pk[0])
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint) and len(constraint.columns) == 1:
            unique.update(c.name for c in constraint.columns)
    for index in table.indexes:
        if index.unique and len(index.columns) == 1:
            unique.update(c.name for c in index.columns)
    columns = {
        c.name: LiveColumn(
            name=c.name,
            kind=kind_of(c.type),
            length=getattr(c.type, "length", None),
            nullable=bool(c.nullable),
            unique=c.name in unique,
            json_typed=isinstance(c.type, sa.JSON),
            ci=(table.name, c.name) in ci,
        )
        for c in table.columns
    }
    fks = tuple(
        LiveForeignKey(
            table=table.name,
            columns=tuple(constraint.column_keys),
            referred_table=constraint.referred_table.name,
            referred_columns=tuple(e.column.name for e in constraint.elements),
            ondelete=_rule(constraint.ondelete),
            nullable=all(columns[k].nullable for k in constraint.column_keys),
        )
        for constraint in table.foreign_key_constraints
        if constraint.referred_table.schema == table.schema
    )
    return LiveTable(table, columns, pk, fks)


def _rule(ondelete: str | None) -> str:
    rule = (ondelete or "").upper()
    if rule in {CASCADE, SET_NULL}:
        return rule
    return RESTRICT  # NO ACTION, RESTRICT, SET DEFAULT or none: the row blocks the delete


def kind_of(type_: TypeEngine[Any]) -> ValueKind:
    """The masking kind of a SQL type (JSON before text: some JSON types derive from it)."""
    checks: tuple[tuple[type[TypeEngine[Any]], ValueKind], ...] = (
        (sa.JSON, ValueKind.JSON),
        (sa.Boolean, ValueKind.BOOLEAN),
        (sa.Integer, ValueKind.INTEGER),
        (sa.Numeric, ValueKind.NUMBER),
        (sa.DateTime, ValueKind.DATETIME),
        (sa.Date, ValueKind.DATE),
        (sa.String, ValueKind.TEXT),
        (sa.LargeBinary, ValueKind.BINARY),
    )
    for sql_type, kind in checks:
        if isinstance(type_, sql_type):
            return kind
    return ValueKind.OTHER


def _case_insensitive_columns(conn: Connection, schema: str | None) -> set[tuple[str, str]]:
    """MySQL / MariaDB: the text columns whose collation ignores case (``*_ci``), which can
    be compared without lower() and so keep using their index."""
    if conn.dialect.name != "mysql":
        return set()
    query = sa.text(
        "SELECT TABLE_NAME, COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND COLLATION_NAME IS NOT NULL"
    )
    return {
        (str(table), str(column))
        for table, column, collation in conn.execute(query, {"schema": schema})
        if str(collation).lower().endswith("_ci")
    }
