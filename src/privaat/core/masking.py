"""Masking strategies: how a personal value is made non-personal, value by value.

A registry maps each strategy name of the data map (:class:`Masking`) to a pure function
``(value, shape, inputs) -> new value``. Connectors decide *which* rows to mask; this module
only decides *what* a masked value is, so that every connector masks the same way:

- ``null``: NULL. On a NOT NULL column it becomes ``unique_random`` (see :func:`effective`).
- ``fixed``: the map's ``value`` (converted to an integer for integer columns). On a UNIQUE
  column it becomes ``unique_random``: one fixed value cannot stand in for two rows.
- ``unique_random``: a fresh random value that fits the column's kind and length: an e-mail
  column gets ``erased-<hex>@invalid.example``, a text column ``erased-<hex>``, an integer
  column a negative random number (real keys are rarely negative), a JSON column
  ``{"erased": "<hex>"}``.
- ``hmac``: HMAC-SHA256 of the normalised value under the organisation's masking key: the
  same input gives the same output in every table (joins and counts keep working), and
  without the key the input cannot be recovered by trying candidates.
- ``redact``: free text with every mention of the person's identities (case-insensitive)
  replaced by ``[removed]``.
- ``keep``: the value as it is.

A NULL stays NULL under every strategy: there is nothing personal in it. Strategies never
log or raise with the value they were given.
"""

from __future__ import annotations

import hashlib
import hmac as hmac_
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from privaat.core.datamap.model import Masking

#: What replaces a mention of the person in free text.
REMOVED = "[removed]"
#: The domain of masked e-mail addresses: reserved, never delivered (RFC 2606).
EMAIL_DOMAIN = "invalid.example"
#: Fewer random hex digits than this would make collisions in a UNIQUE column likely.
MIN_HEX = 12


class ValueKind(StrEnum):
    """What kind of value a column holds, as far as masking cares."""

    TEXT = "text"
    EMAIL = "email"  # text that must look like an e-mail address
    INTEGER = "integer"
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    JSON = "json"
    BINARY = "binary"
    OTHER = "other"


TEXT_KINDS = frozenset({ValueKind.TEXT, ValueKind.EMAIL})


@dataclass(frozen=True, slots=True)
class ColumnShape:
    """The column a masked value must fit into."""

    kind: ValueKind
    length: int | None = None  # the maximum length of a text column
    nullable: bool = True
    unique: bool = False


@dataclass(frozen=True, slots=True)
class MaskInputs:
    """What a strategy may use besides the value itself."""

    key: bytes = b""  # the organisation's masking key (hmac)
    identities: tuple[str, ...] = ()  # the person's identities (redact)
    fixed: str | None = None  # the map's value (fixed)


Strategy = Callable[[Any, ColumnShape, MaskInputs], Any]

#: Which kinds each strategy can produce a value for; ``None``: every kind.
_SUPPORTED: dict[str, frozenset[ValueKind] | None] = {
    Masking.NULL: None,
    Masking.KEEP: None,
    Masking.FIXED: TEXT_KINDS | {ValueKind.INTEGER, ValueKind.JSON},
    Masking.UNIQUE_RANDOM: TEXT_KINDS | {ValueKind.INTEGER, ValueKind.JSON},
    Masking.HMAC: TEXT_KINDS | {ValueKind.INTEGER, ValueKind.JSON},
    Masking.REDACT: TEXT_KINDS,
}


def effective(strategy: Masking, shape: ColumnShape) -> Masking:
    """The strategy actually applied to a column: NULL into a NOT NULL column and one fixed
    value into a UNIQUE column cannot work, so both become ``unique_random``."""
    if strategy is Masking.NULL and not shape.nullable:
        return Masking.UNIQUE_RANDOM
    if strategy is Masking.FIXED and shape.unique:
        return Masking.UNIQUE_RANDOM
    return strategy


def problem(strategy: Masking, shape: ColumnShape, fixed: str | None = None) -> str | None:
    """Why ``strategy`` cannot mask a column of this shape, or None when it can."""
    supported = _SUPPORTED.get(strategy)
    if strategy not in STRATEGIES:
        return f"unknown masking strategy {strategy!r}"
    if supported is not None and shape.kind not in supported:
        return f"masking {strategy.value!r} does not apply to a {shape.kind.value} column"
    if strategy is Masking.FIXED and fixed is not None:
        if shape.kind is ValueKind.INTEGER and not re.fullmatch(r"-?\d+", fixed):
            return "the fixed value of an integer column must be a whole number"
        if shape.length is not None and shape.kind in TEXT_KINDS and len(fixed) > shape.length:
            return f"the fixed value is longer than the column ({shape.length} characters)"
    short = shape.length is not None and shape.length < MIN_HEX
    if strategy is Masking.UNIQUE_RANDOM and shape.kind in TEXT_KINDS and short:
        return f"a column of {shape.length} characters is too short for a unique random value"
    return None


def mask_value(strategy: Masking, value: Any, shape: ColumnShape, inputs: MaskInputs) -> Any:
    """The masked value of ``value`` (NULL stays NULL)."""
    if value is None:
        return None
    return STRATEGIES[strategy](value, shape, inputs)


def redact(text: str, identities: Iterable[str]) -> str:
    """``text`` with every mention of an identity (any case) replaced by ``[removed]``."""
    pattern = mention_pattern(identities)
    return text if pattern is None else pattern.sub(REMOVED, text)


def mention_pattern(identities: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern for all identities, longest first (so that an e-mail
    address is replaced whole, not a shorter identity inside it)."""
    needles = sorted({i for i in identities if i}, key=lambda s: (-len(s), s))
    if not needles:
        return None
    return re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)


def _null(value: Any, shape: ColumnShape, inputs: MaskInputs) -> Any:
    return None


def _keep(value: Any, shape: ColumnShape, inputs: MaskInputs) -> Any:
    return value


def _fixed(value: Any, shape: ColumnShape, inputs: MaskInputs) -> Any:
    fixed = inputs.fixed if inputs.fixed is not None else ""
    return int(fixed) if shape.kind is ValueKind.INTEGER else fixed


def _unique_random(value: Any, shape: ColumnShape, inputs: MaskInputs) -> Any:
    digits = secrets.token_hex(16)
    if shape.kind is ValueKind.INTEGER:
        return -(secrets.randbelow(2**31 - 2) + 1)
    if shape.kind is ValueKind.JSON:
        return {"erased": digits}
    return _fit(digits, shape, prefix="erased-")


def _hmac(value: Any, shape: ColumnShape, inputs: MaskInputs) -> Any:
    text = str(value).strip()
    if shape.kind is ValueKind.EMAIL:
        text = text.lower()
    digest = hmac_.new(inputs.key, text.encode("utf-8"), hashlib.sha256).hexdigest()
    if shape.kind is ValueKind.INTEGER:
        return int(digest[:15], 16) % (2**31 - 1)
    if shape.kind is ValueKind.JSON:
        return {"hmac": digest}
    return _fit(digest, shape, prefix="")


def _redact(value: Any, shape: ColumnShape, inputs: MaskInputs) -> Any:
    return redact(str(value), inputs.identities)


def _fit(digits: str, shape: ColumnShape, prefix: str) -> str:
    """Hex digits dressed for the column: an address for e-mail columns, cut to its length."""
    suffix = f"@{EMAIL_DOMAIN}" if shape.kind is ValueKind.EMAIL else ""
    limit = shape.length
    if limit is None:
        return f"{prefix}{digits}{suffix}"
    for head, tail in ((prefix, suffix), ("", suffix), ("", "")):
        room = limit - len(head) - len(tail)
        if room >= MIN_HEX:
            return f"{head}{digits[:room]}{tail}"
    return digits[:limit]


#: Masking strategy name -> function. Built-ins are registered like any addition would be.
STRATEGIES: dict[str, Strategy] = {}


def register(name: str, strategy: Strategy) -> None:
    """Add (or replace) a masking strategy."""
    STRATEGIES[name] = strategy


for _name, _function in (
    (Masking.NULL, _null),
    (Masking.FIXED, _fixed),
    (Masking.UNIQUE_RANDOM, _unique_random),
    (Masking.HMAC, _hmac),
    (Masking.REDACT, _redact),
    (Masking.KEEP, _keep),
):
    register(_name, _function)
