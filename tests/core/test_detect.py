"""The value detectors: Belgian and Dutch identifiers with checksums, no network."""

from __future__ import annotations

import pytest

from privaat.core.detect import (
    ValueKind,
    classify,
    classify_column,
    find_mentions,
    is_email,
    is_phone,
    mentioned_kinds,
)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("jan.peeters@example.be", ValueKind.EMAIL),
        ("JAN.PEETERS@EXAMPLE.BE", ValueKind.EMAIL),
        ("+32470123456", ValueKind.PHONE),
        ("0470 12 34 56", ValueKind.PHONE),
        ("0612345678", ValueKind.PHONE),
        ("+31 6 12345678", ValueKind.PHONE),
        ("BE0123456749", ValueKind.VAT),
        ("NL004495445B01", ValueKind.VAT),
        ("BE71 0961 2345 6769", ValueKind.IBAN),
        ("NL91ABNA0417164300", ValueKind.IBAN),
        ("85073003328", ValueKind.NATIONAL_ID),
        ("111222333", ValueKind.BSN),
        ("203.0.113.7", ValueKind.IP),
        ("2001:db8::1", ValueKind.IP),
    ],
)
def test_each_kind_is_recognised(value: str, kind: ValueKind) -> None:
    assert classify(value) is kind


@pytest.mark.parametrize(
    "value",
    [
        "",
        "C-1001",
        "1001",
        "12345678",  # a bare number is an id far more often than a phone number
        "BE0123456748",  # a VAT number with a wrong check digit
        "111222334",  # fails the 11-test
        "a@b",
        "hosting-s",
        "Kerkstraat 1, 9000 Gent",
        "2024-03-01",
    ],
)
def test_what_is_not_personal_is_not_classified(value: str) -> None:
    assert classify(value) is None


def test_no_dns_lookups_for_addresses_of_domains_that_do_not_exist() -> None:
    assert is_email("someone@no-such-domain-privaat.example")


def test_a_phone_needs_its_trunk_prefix() -> None:
    assert is_phone("02 555 12 12")
    assert not is_phone("2 555 12 12")


def test_a_column_is_classified_by_its_majority_and_says_so_without_values() -> None:
    values = [f"user{i}@example.be" for i in range(47)] + ["n/a", "-", "?"]
    verdict = classify_column(values)
    assert verdict is not None
    assert verdict.kind is ValueKind.EMAIL
    assert (verdict.matched, verdict.total) == (47, 50)
    said = verdict.describe()
    assert said == "sampled values: 47 of 50 look like e-mail addresses"
    assert "@" not in said


def test_a_mixed_column_is_not_classified() -> None:
    assert classify_column(["a@example.be", "hello", "world", "again"]) is None
    assert classify_column([]) is None
    assert classify_column(["", "  "]) is None


def test_mentions_in_free_text() -> None:
    text = "Bel me op +32470123456 of mail Jan.Peeters@example.be. Order 20240301 is betaald."
    found = list(find_mentions(text))
    kinds = [m.kind for m in found]
    assert kinds == [ValueKind.EMAIL, ValueKind.PHONE]
    email = next(m for m in found if m.kind is ValueKind.EMAIL)
    assert text[email.start : email.end] == "Jan.Peeters@example.be"


def test_mention_counts_are_per_text() -> None:
    counts = mentioned_kinds(["mail a@example.be of b@example.be", "niets", "bel 0470 12 34 56"])
    assert counts == {ValueKind.EMAIL: 1, ValueKind.PHONE: 1}
