"""What a column holds: a data category, an erasure default, JSON paths, free text.

The column-level half of ``datamap generate``, also used by ``datamap check`` to notice a
table that looks personal but is missing from the map. Every reason returned describes the
evidence ("column name", "sampled values: 3 of 3 look like e-mail addresses"), never a value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from privaat.core import detect
from privaat.core.datamap import naming
from privaat.core.datamap.candidates import strings
from privaat.core.datamap.model import IdentityKind, Masking
from privaat.core.datamap.schema import ColumnInfo, ColumnKind, TableInfo
from privaat.core.policy.model import Policy

TEXT_SHARE = 0.5  # free text: this share of values has whitespace
_JSON_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
_LONG_TEXT = frozenset({"TEXT", "LONGTEXT", "MEDIUMTEXT", "CLOB"})

#: A category proposal: (category, reason, provided by the person, erase keys).
Category = tuple[str, str, bool, dict[str, Any]]


def documents(table: TableInfo, column: ColumnInfo) -> list[Any]:
    """Sampled JSON documents of a column (a MariaDB JSON column reads as text)."""
    docs = []
    for value in table.values(column.name):
        if isinstance(value, str):
            text = value.strip()
            if not text.startswith(("{", "[")):
                return []
            try:
                value = json.loads(text)
            except ValueError:
                return []
        if isinstance(value, dict | list):
            docs.append(value)
    return docs


def json_paths(docs: list[Any]) -> dict[tuple[str, ...], list[str]]:
    """Each path of keys from the root to a string value, with the strings found there."""
    found: dict[tuple[str, ...], list[str]] = {}

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if len(path) > 8:
            return
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and _JSON_KEY.match(key):
                    walk(value, (*path, key))
        elif isinstance(node, str) and path:
            found.setdefault(path, []).append(node)

    for doc in docs:
        walk(doc, ())
    return found


def erase_default(
    table: TableInfo, column: ColumnInfo, *, json_doc: bool = False
) -> dict[str, Any]:
    """unique_random where the database demands a value (UNIQUE / NOT NULL), else null; a
    JSON document becomes ``{}`` or null."""
    if column.kind is ColumnKind.JSON or json_doc:
        return {"erase": "null"} if column.nullable else {"erase": "fixed", "value": "{}"}
    if table.is_unique(column.name) or not column.nullable:
        return {"erase": Masking.UNIQUE_RANDOM.value}
    return {"erase": Masking.NULL.value}


def category_of(
    table: TableInfo,
    column: ColumnInfo,
    *,
    people: bool,
    identity_reasons: Mapping[str, str],
    json_kinds: Mapping[str, str],
    mentions: set[str],
) -> Category | None:
    """The data category a column holds, why, whether the person provided it, and how an
    erasure masks it; None when nothing says it is personal."""
    name = column.name
    rule = naming.column_rule(name, people=people)
    if name in json_kinds:
        kind = json_kinds[name]
        category = (
            "user.contact.email" if kind == IdentityKind.EMAIL else "user.contact.phone_number"
        )
        erase = erase_default(table, column, json_doc=True)
        return category, "holds the JSON paths linked above", False, erase
    if name in mentions:
        return "user.content", "free text that mentions people", True, {"erase": "redact"}
    if column.kind is ColumnKind.TEXT:
        verdict = detect.classify_column(strings(table, name))
        if verdict is not None:
            provided = verdict.kind is not detect.ValueKind.IP
            return (
                detect.CATEGORY[verdict.kind],
                verdict.describe(),
                provided,
                erase_default(table, column),
            )
    if rule is not None and (not column.kind.is_temporal or rule.temporal):
        if column.kind in {ColumnKind.BOOLEAN, ColumnKind.BINARY} and not rule.temporal:
            return None
        reason = identity_reasons.get(name, "column name")
        return rule.category, reason, rule.provided, erase_default(table, column)
    if column.kind is ColumnKind.TEXT:
        values = strings(table, name)
        spaced = sum(1 for v in values if " " in v.strip())
        long_text = column.type_name.upper() in _LONG_TEXT
        if values and spaced / len(values) >= TEXT_SHARE:
            return (
                "user.content",
                f"free text: {spaced} of {len(values)} sampled values are phrases",
                True,
                {"erase": "redact"},
            )
        if long_text and not values:
            return "user.content", "a long text column", True, {"erase": "redact"}
    return None


def policy_category(entry: dict[str, Any], policy: Policy | None) -> list[str]:
    """Map ``entry``'s category to the nearest one the policy has (notes say so), or flag it."""
    if policy is None:
        return []
    known = {c.key for c in policy.categories}
    key = str(entry["category"])
    if key in known:
        return []
    parts = key.split(".")
    while len(parts) > 1:
        parts.pop()
        parent = ".".join(parts)
        if parent in known:
            entry["category"] = parent
            return [f"{key} mapped to {parent}, the policy's nearest category"]
    return [
        f"review: {key} is not a category of the policy: add it there "
        "(or pick one the policy has), or drop this field"
    ]


def personal_columns(table: TableInfo) -> list[tuple[str, str]]:
    """Columns of a table that look personal, each with why (never a value): for the check
    that warns about tables missing from a map."""
    people = naming.is_people_table(table.name)
    out: list[tuple[str, str]] = []
    for column in table.columns:
        if column.kind is ColumnKind.TEXT:
            values = strings(table, column.name)
            verdict = detect.classify_column(values)
            if verdict is not None:
                out.append((column.name, verdict.describe()))
                continue
            mentions = detect.mentioned_kinds(values)
            if mentions:
                kinds = " and ".join(detect.PLURAL[k] for k in sorted(mentions))
                out.append((column.name, f"sampled free text mentions {kinds}"))
                continue
        rule = naming.column_rule(column.name, people=people)
        if (
            rule is not None
            and column.kind not in {ColumnKind.BOOLEAN, ColumnKind.BINARY}
            and (not column.kind.is_temporal or rule.temporal)
        ):
            out.append((column.name, f"column name ({rule.category})"))
    return out
