"""Links a database does not declare, and the tables whose rows are people.

The first step of ``datamap generate`` (see :mod:`privaat.core.datamap.propose`): from the
schema and the sampled rows, list the links that names and values suggest, so that the
introspection can count in one set-based query per candidate how many sampled values are
keys of the target. Pure: no SQL here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from privaat.core import detect
from privaat.core.datamap import naming
from privaat.core.datamap.model import IdentityKind
from privaat.core.datamap.schema import ColumnInfo, ColumnKind, SchemaInfo, TableInfo

IDENTITY_OF_KIND = {
    detect.ValueKind.EMAIL: IdentityKind.EMAIL,
    detect.ValueKind.PHONE: IdentityKind.PHONE,
}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,127}$")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A link the database does not declare, to be confirmed by sampled values."""

    table: str
    column: str
    target: str
    target_column: str
    target_kind: ColumnKind  # sampled values are converted to it before they are looked up
    by_name: bool  # the column's name names the target table
    when: tuple[str, str] | None = None  # (type column, type value) of a polymorphic pair


@dataclass(frozen=True, slots=True)
class Evidence:
    """``found`` of the ``sampled`` distinct values are keys of the candidate's target."""

    found: int
    sampled: int


def single_key(table: TableInfo) -> ColumnInfo | None:
    if len(table.primary_key) == 1:
        return table.column(table.primary_key[0])
    return None


def declared_columns(table: TableInfo) -> set[str]:
    return {c for fk in table.foreign_keys for c in fk.columns}


def person_candidates(schema: SchemaInfo) -> list[TableInfo]:
    """Tables with a unique e-mail or customer-number column: rows that are people."""
    out = []
    for table in schema.tables:
        for column in table.columns:
            if not table.is_unique(column.name):
                continue
            kind = identity_of(table, column)
            if kind in {IdentityKind.EMAIL, IdentityKind.CUSTOMER_NUMBER}:
                out.append(table)
                break
    return out


def poly_pairs(table: TableInfo) -> list[tuple[ColumnInfo, ColumnInfo]]:
    """``(type column, id column)`` pairs: ``rel_type``/``rel_id``, ``notableType``/``notableId``."""
    pairs = []
    for column in table.columns:
        match = naming.POLYMORPHIC_TYPE.match(column.name)
        if not match or column.kind is not ColumnKind.TEXT:
            continue
        stem = match.group(1)
        for sep in ("_id", "id", "Id", "_ID"):
            partner = table.column(stem + sep)
            if partner is not None and partner.name != column.name:
                pairs.append((column, partner))
                break
    return pairs


def mappable(schema: SchemaInfo) -> SchemaInfo:
    """The tables and columns whose names a data map can hold (identifiers, no spaces)."""
    tables = []
    for table in schema.tables:
        if not _NAME.match(table.name):
            continue
        columns = tuple(c for c in table.columns if _NAME.match(c.name))
        names = {c.name for c in columns}
        tables.append(
            replace(
                table,
                columns=columns,
                primary_key=table.primary_key if set(table.primary_key) <= names else (),
                uniques=tuple(u for u in table.uniques if set(u) <= names),
                foreign_keys=tuple(
                    fk
                    for fk in table.foreign_keys
                    if set(fk.columns) <= names and _NAME.match(fk.target)
                ),
            )
        )
    return replace(schema, tables=tuple(tables))


def link_candidates(schema: SchemaInfo) -> list[Candidate]:
    """Undeclared links the names suggest, or whose values may be another table's keys."""
    schema = mappable(schema)
    names = [t.name for t in schema.tables]
    persons = person_candidates(schema)
    out: list[Candidate] = []
    for table in schema.tables:
        declared = declared_columns(table)
        poly = poly_pairs(table)
        poly_ids = {idc.name for _, idc in poly}
        for type_col, id_col in poly:
            for value in table.distinct.get(type_col.name, ()):
                if not isinstance(value, str):
                    continue
                target = naming.table_for(naming.snake(value), names)
                info = schema.table(target) if target else None
                key = single_key(info) if info is not None else None
                if target and key is not None and len(value) <= 256:
                    out.append(
                        Candidate(
                            table.name,
                            id_col.name,
                            target,
                            key.name,
                            key.kind,
                            True,
                            (type_col.name, value),
                        )
                    )
        for column in table.columns:
            if (
                column.name in declared
                or column.name in poly_ids
                or table.primary_key == (column.name,)
                or not column.kind.is_keylike
            ):
                continue
            match = naming.KEY_SUFFIX.match(column.name)
            stem = match.group(1) if match else column.name
            target = naming.table_for(stem, names)
            target_table = schema.table(target) if target is not None else None
            if target_table is not None and target_table.name != table.name:
                key = single_key(target_table)
                if key is not None:
                    out.append(
                        Candidate(
                            table.name, column.name, target_table.name, key.name, key.kind, True
                        )
                    )
                    continue
            if match is None:
                continue
            for person in persons:  # an oddly named key: only the values can tell
                key = single_key(person)
                if key is not None and person.name != table.name:
                    out.append(
                        Candidate(table.name, column.name, person.name, key.name, key.kind, False)
                    )
    return out


def strings(table: TableInfo, column: str) -> list[str]:
    return [v for v in table.values(column) if isinstance(v, str)]


def identity_of(table: TableInfo, column: ColumnInfo) -> IdentityKind | None:
    if column.kind is not ColumnKind.TEXT:
        return None
    verdict = detect.classify_column(strings(table, column.name))
    if verdict is not None:
        return IDENTITY_OF_KIND.get(verdict.kind)
    rule = naming.column_rule(column.name, people=True)
    if rule is not None and not table.values(column.name):
        return rule.identity
    if rule is not None and rule.identity is IdentityKind.CUSTOMER_NUMBER:
        return rule.identity
    return None
