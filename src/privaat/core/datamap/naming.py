"""What column and table names say about personal data, in English and Dutch.

Names are the weakest evidence ``datamap generate`` has: a rule here is used when the
sampled values say nothing (an empty table, a name, an address), and every field or link it
proposes is marked as guessed with "column name" as its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from privaat.core.datamap.model import IdentityKind


@dataclass(frozen=True, slots=True)
class NameRule:
    pattern: re.Pattern[str]
    category: str
    identity: IdentityKind | None = None
    provided: bool = True
    #: Only in tables of people (a bare ``name`` in a products table is a product's name).
    people_only: bool = False
    #: The rule describes a date (dates are otherwise left to activity/created).
    temporal: bool = False


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


#: First match wins; the order puts the specific before the general.
COLUMN_RULES: tuple[NameRule, ...] = (
    NameRule(
        _rx(r"^(e_?mail|mail|e_?mail_?address|mail_?address)$|_e_?mail$|^e_?mail_"),
        "user.contact.email",
        IdentityKind.EMAIL,
    ),
    NameRule(
        _rx(
            r"^(customer|client|klant|debtor|debiteur|member|lid|account)_?"
            r"(number|no|nr|nummer|num|code)$|^(klantnummer|klantnr|debiteurnummer|lidnummer)$"
        ),
        "user.id",
        IdentityKind.CUSTOMER_NUMBER,
        provided=False,
    ),
    NameRule(_rx(r"(^|_)(fax|fax_?number)$"), "user.contact.fax_number"),
    NameRule(
        _rx(r"(^|_)(phone|telephone|tel|mobile|gsm|cell|telefoon|telefoonnummer|phone_?number)$"),
        "user.contact.phone_number",
        IdentityKind.PHONE,
    ),
    NameRule(
        _rx(r"(^|_)(password|passwd|pwd|password_?hash|pass_?hash|wachtwoord)$"),
        "user.authorization.credentials",
    ),
    NameRule(
        _rx(
            r"(^|_)(national_?(number|id)|rijksregister(nummer)?|rrn|insz|niss|bsn|ssn|"
            r"social_?security(_?number)?)$"
        ),
        "user.government_id.national_identification_number",
    ),
    NameRule(
        _rx(r"(^|_)(iban|bank_?account(_?number)?|rekening_?nummer|bank_?rekening)$"),
        "user.financial.bank_account",
    ),
    NameRule(
        _rx(r"(^|_)(vat|btw|tva|vat_?(number|no|nr|id)|btw_?(nummer|nr))$"),
        "user.contact.organization.vat",
    ),
    NameRule(
        _rx(
            r"^(company|company_?name|organi[sz]ation(_?name)?|bedrijf|bedrijfsnaam|firma|"
            r"business_?name|employer|kbo|kvk|kvk_?nummer|ondernemingsnummer|coc_?number)$"
        ),
        "user.contact.organization",
    ),
    NameRule(
        _rx(r"(^|_)(birth_?date|date_?of_?birth|dob|birthday|geboortedatum|born_?on)$"),
        "user.demographic.date_of_birth",
        temporal=True,
    ),
    NameRule(_rx(r"^(gender|sex|geslacht)$"), "user.demographic.gender"),
    NameRule(
        _rx(r"(^|_)(ip|ip_?address|remote_?addr|client_?ip|last_?ip|ip_?addr)$"),
        "user.device.ip_address",
        provided=False,
    ),
    NameRule(
        _rx(r"^(user_?name|login|login_?name|nickname|screen_?name)$"),
        "user.account.username",
    ),
    NameRule(
        _rx(
            r"^(first_?name|last_?name|sur_?name|full_?name|given_?name|family_?name|"
            r"middle_?name|display_?name|initials|voornaam|achternaam|familienaam|"
            r"tussenvoegsel|(buyer|customer|client|contact|holder|account_?holder|recipient|"
            r"sender|billing|shipping|person|owner|klant|applicant)_?(name|naam))$"
        ),
        "user.name",
    ),
    NameRule(_rx(r"^(name|naam)$"), "user.name", people_only=True),
    NameRule(
        _rx(r"(^|_)(post_?code|postal_?code|zip|zip_?code)$"), "user.contact.address.postal_code"
    ),
    NameRule(_rx(r"(^|_)(city|town|gemeente|woonplaats|ville)$"), "user.contact.address.city"),
    NameRule(_rx(r"(^|_)(street|straat|house_?number|huisnummer)$"), "user.contact.address.street"),
    NameRule(
        _rx(
            r"^(?!(to|from|cc|bcc|reply_?to|ip|mac|remote|e?_?mail)_)(.*_)?(address|adres|addr)(_?line_?\d)?$"
        ),
        "user.contact.address",
    ),
)

_PEOPLE_TABLE = _rx(
    r"(user|client|customer|klant|contact|member|lid|leden|subscriber|person|people|employee|"
    r"medewerker|lead|applicant|sollicitant|guest|recipient|account|student|patient|relation|"
    r"relatie|debtor|debiteur|profile|buyer|owner)"
)
_EVENT_TABLE = _rx(
    r"(order|login|session|ticket|visit|activit|event|log|payment|message|comment|reply|"
    r"replies|booking|reservation|purchase|transaction|bestelling|betaling)"
)
_INVOICE_TABLE = _rx(r"(invoice|factu|credit_?note|creditnota)")

SOFT_DELETE = _rx(
    r"^((is_)?(deleted|removed|trashed|verwijderd)|(deleted|removed|trashed)_(at|on|date)|"
    r"deletion_date)$"
)
CREATED = _rx(
    r"^(created|created_at|created_on|creation_date|date_created|inserted_at|registered_at|"
    r"registration_date|signup_at|signed_up_at|subscribed_at|aangemaakt(_op)?)$"
)
LAST_ACTIVITY = _rx(r"^last_")
EVENT_TIME = ("at", "occurred_at", "logged_at", "timestamp", "ordered_at", "order_date", "sent_at")
HOLD_DATE = (
    "issued_on",
    "issue_date",
    "issued_at",
    "invoice_date",
    "factuurdatum",
    "date",
    "created_at",
    "created",
)
POLYMORPHIC_TYPE = _rx(r"^(.+?)_?type$")
KEY_SUFFIX = _rx(r"^(.+?)_?id$")


def is_people_table(name: str) -> bool:
    return bool(_PEOPLE_TABLE.search(name))


def is_event_table(name: str) -> bool:
    return bool(_EVENT_TABLE.search(name))


def is_invoice_table(name: str) -> bool:
    return bool(_INVOICE_TABLE.search(name))


def singular(word: str) -> str:
    """English plural to singular, enough for table names (clients, categories, addresses)."""
    word = word.lower()
    if word == "people":
        return "person"
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def snake(word: str) -> str:
    """``OrderItem`` -> ``order_item``; ``App\\Models\\Client`` -> ``client``."""
    last = re.split(r"[\\/.:]+", word.strip())[-1]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", last).lower()


def table_for(stem: str, tables: list[str]) -> str | None:
    """The table a stem names ("client" -> clients, "order_item" -> order_items), if any."""
    stem = stem.lower().strip("_")
    if not stem:
        return None
    for table in tables:
        low = table.lower()
        if stem in {low, singular(low)} or singular(stem) == singular(low):
            return table
    return None


def column_rule(column: str, *, people: bool) -> NameRule | None:
    for rule in COLUMN_RULES:
        if rule.people_only and not people:
            continue
        if rule.pattern.search(column):
            return rule
    return None
