"""Rectification: the corrected value, everywhere the store keeps a copy of it.

A change names a data category of the policy (``user.contact.email``) or an identity kind
(``email``). The columns it touches are the map's fields of that category and, for an
identity kind, every identity column and JSON path of that kind. When the category is an
identity's (some identity column of that kind is a field of it), only the copies of the
person's current identity are replaced: a column of the same category that holds another
value (a company's accounting address next to the person's own) is left alone. Otherwise
the column is set in every row that is the person's.

Rows under a statutory hold are left as they are and reported (HOLD lines, HeldRows): a
document the law requires to be kept is not rewritten. E-mail addresses are checked with
email-validator, phone numbers with phonenumbers (E.164); a bad value, or one longer than a
column holds, is InvalidInput and nothing is changed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import phonenumbers
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from privaat.connectors.base import HeldRows, Outcome, Person, PlanLine, Rectification, Step
from privaat.connectors.sql.compile import CompiledTable, QueryPlan
from privaat.connectors.sql.dialect import falsy, folded, json_text, member
from privaat.connectors.sql.held import held_rows
from privaat.connectors.sql.locate import both, held, locate, owned
from privaat.connectors.sql.mask import MaskSpec, mask_rows
from privaat.connectors.sql.rows import count_rows
from privaat.core.datamap.model import IdentityKind, Masking
from privaat.core.masking import ColumnShape, MaskInputs, ValueKind
from privaat.errors import FieldIssue, InvalidInput


@dataclass(frozen=True, slots=True)
class _Place:
    column: str
    path: tuple[str, ...] | None  # inside a JSON column


def rectify(
    conn: Connection, plan: QueryPlan, person: Person, changes: Sequence[Rectification]
) -> Outcome:
    """Apply ``changes`` in the person's rows (the caller holds the transaction)."""
    located = locate(conn, plan, person)
    person = located.person
    lines: list[PlanLine] = []
    kept: list[HeldRows] = []
    for change in changes:
        kind = _kind(plan, change.category)
        value = _valid(change, kind)
        old = sorted({v.lower() for v in person.values(kind)}) if kind is not None else []
        if kind is not None and not old:
            continue  # the store cannot know which copies are the person's
        for table in plan.tables.values():
            places = _places(table, change.category, kind)
            own = owned(plan, table, person, located.values_of)
            if not places or own is None:
                continue
            for place in places:
                _check_length(plan, table, place, value)
            matches = {p: _matches(plan, table, p, old) if kind else None for p in places}
            found = [m for m in matches.values() if m is not None]
            anywhere = both(own, sa.or_(*found)) if found else own
            hold = held(table)
            if hold is not None:
                kept_here, held_lines = held_rows(
                    conn, plan.store.id, table, both(anywhere, hold), "left as it is"
                )
                kept.extend(kept_here)
                lines.extend(held_lines)
            where = both(anywhere, falsy(hold))
            count, shown = count_rows(conn, table.table, table.pk, where)
            if not count:
                continue
            for place in places:
                _apply(conn, plan, table, place, both(own, falsy(hold), matches[place]), value, old)
            lines.append(
                PlanLine(
                    plan.store.id,
                    table.name,
                    Step.RECTIFY,
                    count,
                    columns=tuple(
                        dict.fromkeys(
                            p.column if p.path is None else ".".join((p.column, *p.path))
                            for p in places
                        )
                    ),
                    detail=f"{change.category} corrected",
                    examples=shown,
                )
            )
    return Outcome(tuple(lines), tuple(kept))


def _kind(plan: QueryPlan, category: str) -> IdentityKind | None:
    """The identity kind a change is about: named directly, or the kind of an identity
    column that is a field of the category."""
    if category in {k.value for k in IdentityKind}:
        return IdentityKind(category)
    for table in plan.tables.values():
        columns = {f.column for f in table.fields if f.category == category}
        for link in table.links:
            if link.identity is not None and link.path is None and link.column in columns:
                return link.identity
    return None


def _valid(change: Rectification, kind: IdentityKind | None) -> str:
    value = change.value.strip()
    if kind is IdentityKind.EMAIL or (kind is None and "email" in change.category):
        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError:
            raise _invalid("not a valid e-mail address") from None
    if kind is IdentityKind.PHONE or (kind is None and "phone" in change.category):
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            raise _invalid("not a phone number in international form (+32 ...)") from None
        if not phonenumbers.is_valid_number(number):
            raise _invalid("not a valid phone number")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not value:
        raise _invalid("the corrected value is empty")
    return value


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(message, [FieldIssue(("value",), message)])


def _places(table: CompiledTable, category: str, kind: IdentityKind | None) -> list[_Place]:
    """Where the table keeps values of the change."""
    json_paths = {
        link.column: link.path
        for link in table.links
        if link.path is not None and link.identity is not None and link.identity is kind
    }
    found: dict[_Place, None] = {}
    for f in table.fields:
        if f.category != category:
            continue
        if f.shape.kind is ValueKind.JSON:
            if f.column in json_paths:
                found[_Place(f.column, json_paths[f.column])] = None
        else:
            found[_Place(f.column, None)] = None
    if kind is not None:
        for link in table.links:
            if link.identity is kind:
                found[_Place(link.column, link.path)] = None
    return list(found)


def _check_length(plan: QueryPlan, table: CompiledTable, place: _Place, value: str) -> None:
    length = table.columns[place.column].length
    if place.path is None and length is not None and len(value) > length:
        message = (
            f"store {plan.store.id!r}, table {table.name!r}, column {place.column!r} holds at "
            f"most {length} characters"
        )
        raise InvalidInput(message, [FieldIssue(("value",), message)])


def _matches(
    plan: QueryPlan, table: CompiledTable, place: _Place, old: list[str]
) -> ColumnElement[bool]:
    column = table.table.c[place.column]
    if place.path is None:
        ci = table.columns[place.column].ci
        return member(plan.dialect, folded(column, ci), old, sa.Text())
    typed = table.columns[place.column].json_typed
    expr = sa.func.lower(json_text(plan.dialect, column, place.path, typed))
    return member(plan.dialect, expr, old, sa.Text())


def _apply(
    conn: Connection,
    plan: QueryPlan,
    table: CompiledTable,
    place: _Place,
    where: ColumnElement[bool],
    value: str,
    old: list[str],
) -> None:
    column = table.table.c[place.column]
    if place.path is None:
        conn.execute(table.table.update().where(where).values({place.column: value}))
        return
    path = place.path
    info = table.columns[place.column]

    def replace(document: Any) -> Any:
        return _set_in(document, path, value, set(old))

    spec = MaskSpec(
        place.column,
        Masking.KEEP,
        ColumnShape(ValueKind.JSON, info.length, info.nullable, info.unique),
        json_typed=info.json_typed,
        replace=replace,
    )
    mask_rows(conn, plan.dialect, table, both(where, column.isnot(None)), [spec], MaskInputs())


def _set_in(document: Any, path: tuple[str, ...], value: str, old: set[str]) -> Any:
    """The document with the value at ``path`` replaced when it is one of ``old``."""
    parsed = json.loads(document) if isinstance(document, str | bytes) else copy.deepcopy(document)
    node = parsed
    for key in path[:-1]:
        if not isinstance(node, dict) or key not in node:
            return parsed
        node = node[key]
    leaf = node.get(path[-1]) if isinstance(node, dict) else None
    if isinstance(leaf, str) and leaf.strip().lower() in old:
        node[path[-1]] = value
    return parsed
