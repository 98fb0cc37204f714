"""A live database as plain data: tables, columns, keys, and a sample of rows.

The connectors' introspection fills these from SQLAlchemy's inspector; the pure proposal
(:mod:`privaat.core.datamap.propose`) and the checks read them. Keeping the description
plain keeps the guessing testable without a database and the core free of SQLAlchemy.
Sampled rows are personal data: they live in memory only, and nothing that describes a
proposal or a finding ever repeats them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ColumnKind(StrEnum):
    """A column's type, as far as the data map cares."""

    INTEGER = "integer"
    NUMERIC = "numeric"
    TEXT = "text"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    TIME = "time"
    JSON = "json"
    UUID = "uuid"
    BINARY = "binary"
    OTHER = "other"

    @property
    def is_temporal(self) -> bool:
        return self in {ColumnKind.DATE, ColumnKind.DATETIME}

    @property
    def is_keylike(self) -> bool:
        """Types a key can have; an integer key kept in a text column needs ``as_text``."""
        return self in {ColumnKind.INTEGER, ColumnKind.TEXT, ColumnKind.UUID, ColumnKind.NUMERIC}


def same_key_type(a: ColumnKind, b: ColumnKind) -> bool:
    """Whether two key columns compare without a cast (integer and numeric do)."""
    numeric = {ColumnKind.INTEGER, ColumnKind.NUMERIC}
    return a == b or (a in numeric and b in numeric)


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    name: str
    kind: ColumnKind
    nullable: bool = True
    type_name: str = ""  # the database's own type, for messages


@dataclass(frozen=True, slots=True)
class ForeignKeyInfo:
    """A declared foreign key: ``columns`` of this table -> ``target_columns`` of ``target``."""

    columns: tuple[str, ...]
    target: str
    target_columns: tuple[str, ...]
    on_delete: str | None = None  # CASCADE, SET NULL, RESTRICT, NO ACTION (None: the default)


@dataclass(frozen=True, slots=True)
class TableInfo:
    name: str
    columns: tuple[ColumnInfo, ...]
    primary_key: tuple[str, ...] = ()
    uniques: tuple[tuple[str, ...], ...] = ()  # unique constraints and unique indexes
    foreign_keys: tuple[ForeignKeyInfo, ...] = ()
    #: Sampled rows, column name -> value; values as the driver returns them.
    rows: Sequence[Mapping[str, Any]] = ()
    #: For ``*_type`` columns: their distinct values (few; they name types, not people).
    distinct: Mapping[str, Sequence[Any]] = field(default_factory=dict)

    def column(self, name: str) -> ColumnInfo | None:
        for column in self.columns:
            if column.name == name:
                return column
        return None

    def is_unique(self, name: str) -> bool:
        """The column alone is a key: the primary key or a single-column unique."""
        return self.primary_key == (name,) or (name,) in self.uniques

    @property
    def has_key(self) -> bool:
        """A primary key or a unique key: something to name a row by."""
        return bool(self.primary_key or self.uniques)

    def values(self, name: str) -> list[Any]:
        """The sampled non-null values of one column."""
        return [row[name] for row in self.rows if row.get(name) is not None]


@dataclass(frozen=True, slots=True)
class SchemaInfo:
    """One database: its dialect (postgresql, mysql, sqlite), name, and tables."""

    dialect: str
    database: str
    tables: tuple[TableInfo, ...]
    schema: str | None = None

    def table(self, name: str) -> TableInfo | None:
        for table in self.tables:
            if table.name == name:
                return table
        return None
