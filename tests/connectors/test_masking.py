"""The masking strategies of core.masking: pure functions, checked value by value."""

from __future__ import annotations

import re

import pytest

from privaat.core.datamap.model import Masking
from privaat.core.masking import (
    STRATEGIES,
    ColumnShape,
    MaskInputs,
    ValueKind,
    effective,
    mask_value,
    problem,
    redact,
)

EMAIL = ColumnShape(ValueKind.EMAIL, 190, nullable=False, unique=True)
KEY = MaskInputs(key=b"k" * 32)


def test_every_strategy_of_the_map_is_registered() -> None:
    assert set(Masking) <= set(STRATEGIES)


def test_a_unique_random_email_is_an_undeliverable_address_and_unique() -> None:
    first = mask_value(Masking.UNIQUE_RANDOM, "jan@example.be", EMAIL, KEY)
    second = mask_value(Masking.UNIQUE_RANDOM, "jan@example.be", EMAIL, KEY)

    assert re.fullmatch(r"erased-[0-9a-f]{32}@invalid\.example", first)
    assert first != second


@pytest.mark.parametrize("length", [12, 20, 28, 40, 200])
def test_a_unique_random_value_fits_the_column(length: int) -> None:
    for kind in (ValueKind.EMAIL, ValueKind.TEXT):
        value = mask_value(Masking.UNIQUE_RANDOM, "x", ColumnShape(kind, length), KEY)
        assert len(value) <= length


def test_unique_random_fits_the_kind() -> None:
    number = mask_value(Masking.UNIQUE_RANDOM, 5, ColumnShape(ValueKind.INTEGER), KEY)
    document = mask_value(Masking.UNIQUE_RANDOM, {"a": 1}, ColumnShape(ValueKind.JSON), KEY)

    assert isinstance(number, int)
    assert number < 0
    assert set(document) == {"erased"}


def test_hmac_is_keyed_and_repeatable_and_ignores_email_case() -> None:
    one = mask_value(Masking.HMAC, "Jan@Example.be", EMAIL, KEY)
    two = mask_value(Masking.HMAC, "jan@example.be", EMAIL, KEY)
    other_key = mask_value(Masking.HMAC, "jan@example.be", EMAIL, MaskInputs(key=b"x" * 32))

    assert one == two != other_key
    assert one.endswith("@invalid.example")
    assert "jan" not in one


def test_redact_replaces_every_mention_in_any_case() -> None:
    text = "Mail JAN@example.be or jan@EXAMPLE.be, call +32470123456."

    redacted = redact(text, ["jan@example.be", "+32470123456"])

    assert redacted == "Mail [removed] or [removed], call [removed]."


def test_redact_replaces_the_longest_identity_whole() -> None:
    assert redact("x jan@example.be y", ["jan", "jan@example.be"]) == "x [removed] y"


def test_null_stays_null_and_keep_keeps() -> None:
    text = ColumnShape(ValueKind.TEXT, 10)

    assert mask_value(Masking.UNIQUE_RANDOM, None, text, KEY) is None
    assert mask_value(Masking.KEEP, "same", text, KEY) == "same"
    assert mask_value(Masking.FIXED, "Jan", text, MaskInputs(fixed="-")) == "-"
    assert mask_value(Masking.FIXED, 7, ColumnShape(ValueKind.INTEGER), MaskInputs(fixed="0")) == 0


def test_the_effective_strategy_fits_not_null_and_unique_columns() -> None:
    assert effective(Masking.NULL, ColumnShape(ValueKind.TEXT, nullable=False)) is (
        Masking.UNIQUE_RANDOM
    )
    assert effective(Masking.FIXED, ColumnShape(ValueKind.TEXT, unique=True)) is (
        Masking.UNIQUE_RANDOM
    )
    assert effective(Masking.NULL, ColumnShape(ValueKind.TEXT)) is Masking.NULL


def test_strategies_that_cannot_fit_are_explained() -> None:
    assert problem(Masking.REDACT, ColumnShape(ValueKind.INTEGER)) is not None
    assert problem(Masking.UNIQUE_RANDOM, ColumnShape(ValueKind.DATE)) is not None
    assert problem(Masking.UNIQUE_RANDOM, ColumnShape(ValueKind.TEXT, 8)) is not None
    assert problem(Masking.FIXED, ColumnShape(ValueKind.TEXT, 3), "toolong") is not None
    assert problem(Masking.FIXED, ColumnShape(ValueKind.INTEGER), "x") is not None
    assert problem(Masking.NULL, ColumnShape(ValueKind.DATE)) is None
