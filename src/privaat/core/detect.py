"""Recognise Belgian and Dutch personal data in values: one cell, a column's sample, free text.

Pure functions over strings, shared by ``datamap generate`` (which classifies sampled
columns), ``datamap check`` (which looks for unmapped personal tables) and, later, the text
scanner that finds unsolicited personal data in tickets and logs. Checksummed identifiers are
validated with python-stdnum, phone numbers with phonenumbers (Belgian and Dutch numbering
plans), e-mail addresses with email-validator's syntax rules (no DNS look-up: detection never
touches the network).

A detector says only *what kind* a value is; it never returns or logs the value itself.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum import iban
from stdnum.be import nn as be_nn
from stdnum.be import vat as be_vat
from stdnum.nl import bsn as nl_bsn
from stdnum.nl import vat as nl_vat

#: The numbering plans a number without a country code is tried against, in order.
PHONE_REGIONS: tuple[str, ...] = ("BE", "NL")
#: Longer values are not single identifiers (and are expensive to validate).
MAX_VALUE_LENGTH = 320


class ValueKind(StrEnum):
    """A kind of personal value a detector recognises."""

    EMAIL = "email"
    PHONE = "phone"
    IBAN = "iban"
    VAT = "vat"  # BE (KBO/BCE based) or NL VAT number
    NATIONAL_ID = "national_id"  # BE rijksregisternummer / numéro national (and BIS)
    BSN = "bsn"  # NL burgerservicenummer
    IP = "ip"


#: The fideslang data category each kind of value belongs to.
CATEGORY: dict[ValueKind, str] = {
    ValueKind.EMAIL: "user.contact.email",
    ValueKind.PHONE: "user.contact.phone_number",
    ValueKind.IBAN: "user.financial.bank_account",
    ValueKind.VAT: "user.contact.organization.vat",
    ValueKind.NATIONAL_ID: "user.government_id.national_identification_number",
    ValueKind.BSN: "user.government_id.national_identification_number",
    ValueKind.IP: "user.device.ip_address",
}

#: How a kind is said in a sentence ("3 of 3 look like e-mail addresses").
PLURAL: dict[ValueKind, str] = {
    ValueKind.EMAIL: "e-mail addresses",
    ValueKind.PHONE: "phone numbers",
    ValueKind.IBAN: "IBANs",
    ValueKind.VAT: "Belgian or Dutch VAT numbers",
    ValueKind.NATIONAL_ID: "Belgian national numbers",
    ValueKind.BSN: "Dutch BSNs",
    ValueKind.IP: "IP addresses",
}

_PHONE_CHARS = re.compile(r"^\+?[0-9 ()./-]{8,24}$")
_DIGITS = re.compile(r"\d")
_EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+")
_PHONE_IN_TEXT = re.compile(r"(?<![\w+])(?:\+|00|0)\d[\d ./-]{6,18}\d(?!\w)")
_IBAN_IN_TEXT = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")


def is_email(value: str) -> bool:
    """An e-mail address by its syntax (RFC 5322 as email-validator reads it); no DNS."""
    if "@" not in value or len(value) > MAX_VALUE_LENGTH or any(c.isspace() for c in value):
        return False
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def is_phone(value: str) -> bool:
    """A valid phone number: international, or national in Belgium or the Netherlands.

    A national number must start with its trunk 0 (a bare number like 12345678 is far more
    often an id than a phone number).
    """
    if not _PHONE_CHARS.match(value):
        return False
    digits = "".join(_DIGITS.findall(value))
    if len(digits) < 8 or not (value.startswith(("+", "00")) or digits.startswith("0")):
        return False
    for region in PHONE_REGIONS:
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False


def is_iban(value: str) -> bool:
    return 15 <= len(value) <= 42 and value[:2].isalpha() and iban.is_valid(value)


def is_vat(value: str) -> bool:
    """A Belgian or Dutch VAT number, with its country prefix (a bare KBO number is too
    easily a phone number or an id that happens to pass mod 97)."""
    head = value.strip()[:2].upper()
    if head == "BE":
        return bool(be_vat.is_valid(value))
    if head == "NL":
        return bool(nl_vat.is_valid(value))
    return False


def is_national_id(value: str) -> bool:
    """A Belgian national (or BIS) number: 11 digits with a mod-97 check."""
    return len(value) <= 20 and bool(be_nn.is_valid(value))


def is_bsn(value: str) -> bool:
    """A Dutch BSN: 9 digits passing the 11-test."""
    return len(value) <= 12 and bool(nl_bsn.is_valid(value))


def is_ip(value: str) -> bool:
    if len(value) > 45 or not value:
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


#: Every detector, most specific first: a value is reported as the first kind it matches.
DETECTORS: tuple[tuple[ValueKind, Callable[[str], bool]], ...] = (
    (ValueKind.EMAIL, is_email),
    (ValueKind.IBAN, is_iban),
    (ValueKind.VAT, is_vat),
    (ValueKind.NATIONAL_ID, is_national_id),
    (ValueKind.BSN, is_bsn),
    (ValueKind.IP, is_ip),
    (ValueKind.PHONE, is_phone),
)


def classify(value: str) -> ValueKind | None:
    """The kind of one value, or None when it is none of them."""
    value = value.strip()
    if not value or len(value) > MAX_VALUE_LENGTH:
        return None
    for kind, test in DETECTORS:
        if test(value):
            return kind
    return None


@dataclass(frozen=True, slots=True)
class ColumnVerdict:
    """What most sampled values of a column are: ``matched`` of ``total`` are ``kind``."""

    kind: ValueKind
    matched: int
    total: int

    def describe(self) -> str:
        """e.g. "sampled values: 47 of 50 look like e-mail addresses" (never the values)."""
        return f"sampled values: {self.matched} of {self.total} look like {PLURAL[self.kind]}"


def classify_column(values: Iterable[str], *, threshold: float = 0.8) -> ColumnVerdict | None:
    """The kind most of the (non-empty) values have, when at least ``threshold`` have it."""
    counts: dict[ValueKind, int] = {}
    total = 0
    for value in values:
        if not value.strip():
            continue
        total += 1
        kind = classify(value)
        if kind is not None:
            counts[kind] = counts.get(kind, 0) + 1
    if not total or not counts:
        return None
    kind, matched = max(counts.items(), key=lambda item: item[1])
    if matched / total < threshold:
        return None
    return ColumnVerdict(kind, matched, total)


@dataclass(frozen=True, slots=True)
class Mention:
    """A personal value found inside free text: its kind and where it stands."""

    kind: ValueKind
    start: int
    end: int


def find_mentions(text: str) -> Iterator[Mention]:
    """E-mail addresses, phone numbers and IBANs inside free text, in order of kind.

    Candidates are found with cheap patterns and then validated, so a run of digits that is
    an order number is not reported as a phone number.
    """
    for match in _EMAIL_IN_TEXT.finditer(text):
        candidate = match.group().rstrip(".")
        if is_email(candidate):
            yield Mention(ValueKind.EMAIL, match.start(), match.start() + len(candidate))
    for match in _PHONE_IN_TEXT.finditer(text):
        if is_phone(match.group()):
            yield Mention(ValueKind.PHONE, match.start(), match.end())
    for match in _IBAN_IN_TEXT.finditer(text):
        if iban.is_valid(match.group()):
            yield Mention(ValueKind.IBAN, match.start(), match.end())


def mentioned_kinds(texts: Iterable[str]) -> dict[ValueKind, int]:
    """How many of the texts mention each kind at least once."""
    counts: dict[ValueKind, int] = {}
    for text in texts:
        for kind in {m.kind for m in find_mentions(text)}:
            counts[kind] = counts.get(kind, 0) + 1
    return counts
