"""Rules on the controller, its supervisory authority and the national law it cites."""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum.be import vat as be_vat
from stdnum.eu import vat as eu_vat
from stdnum.nl import btw as nl_btw

from privaat.core.law import (
    AUTHORITIES,
    CHILD_CONSENT_AGE,
    STALE_AUTHORITY_NAMES,
    STATUTES,
    SUPPORTED_JURISDICTIONS,
    Authority,
)
from privaat.core.lint.engine import Hit, Severity, rule
from privaat.core.policy.model import ChannelKind, Policy, StatuteStatus
from privaat.core.yamlsource import Path

#: The company register of each supported jurisdiction: identifier field and its name.
COMPANY_NUMBER: dict[str, tuple[str, str]] = {
    "BE": ("kbo", "enterprise number (KBO/BCE)"),
    "NL": ("kvk", "Chamber of Commerce number (KvK)"),
}
_KVK = re.compile(r"^\d{8}$")
_VAT_PREFIX = re.compile(r"^[A-Z]{2}")


def _current(key: str) -> Authority | None:
    """The authority under its current key, following renames."""
    authority = AUTHORITIES.get(key)
    seen = {key}
    while authority is not None and authority.renamed_to and authority.renamed_to not in seen:
        seen.add(authority.renamed_to)
        authority = AUTHORITIES.get(authority.renamed_to)
    return authority


@rule(
    "PV801",
    Severity.ERROR,
    "supervisory authority of another country than the jurisdiction",
    "GDPR Art. 13(2)(d), Art. 77",
)
def foreign_authority(policy: Policy) -> Iterator[Hit]:
    key = policy.supervisory_authority.key
    authority = AUTHORITIES.get(key)
    if authority is None or authority.country == policy.jurisdiction:
        return
    local = sorted(
        a.key for a in AUTHORITIES.values() if a.country == policy.jurisdiction and not a.renamed_to
    )
    fix = (
        f"set supervisory_authority.key: {local[0]}"
        if local
        else f"name the supervisory authority of {policy.jurisdiction}"
    )
    yield Hit(
        ("supervisory_authority", "key"),
        f"supervisory authority {key!r} is the authority of {authority.country}, "
        f"but the policy's jurisdiction is {policy.jurisdiction}",
        fix,
    )


@rule(
    "PV802",
    Severity.ERROR,
    "renamed supervisory authority (old key, stale name or website)",
    "GDPR Art. 13(2)(d); BE Act of 3 December 2017; NL UAVG art. 6",
)
def renamed_authority(policy: Policy) -> Iterator[Hit]:
    stated = policy.supervisory_authority
    lang = policy.languages[0]
    authority = AUTHORITIES.get(stated.key)
    if authority is not None and authority.renamed_to:
        new = _current(stated.key)
        now = new.name.get(lang, new.key) if new else authority.renamed_to
        since = f" on {authority.renamed_on.isoformat()}" if authority.renamed_on else ""
        yield Hit(
            ("supervisory_authority", "key"),
            f"supervisory authority {stated.key!r} was renamed{since}; it is now {now}",
            f"set supervisory_authority.key: {new.key if new else authority.renamed_to}",
        )
    for field in ("name", "website", "email"):
        value: str | None = getattr(stated, field)
        stale = value and next((s for s in STALE_AUTHORITY_NAMES if s in value.lower()), None)
        if not stale:
            continue
        current = _current(STALE_AUTHORITY_NAMES[stale])
        if current is None:  # law.py maps every stale name to a known authority
            continue
        replacement = {
            "name": current.name.get(lang),
            "website": current.website,
            "email": current.email,
        }[field]
        yield Hit(
            ("supervisory_authority", field),
            f"supervisory authority {field} {value!r} is outdated: the authority is now "
            f"{current.name.get(lang, current.key)}",
            f"set supervisory_authority.{field}: {replacement}"
            if replacement
            else f"remove supervisory_authority.{field}",
        )


def _cited_as_in_force(policy: Policy) -> Iterator[tuple[Path, str, bool]]:
    """Every statute cited as in force, with its path and whether it is a citation entry."""
    for i, citation in enumerate(policy.statutes):
        if citation.status is StatuteStatus.IN_FORCE:
            yield ("statutes", i, "statute"), citation.statute, True
    for i, purpose in enumerate(policy.purposes):
        if purpose.legal_obligation is not None:
            for j, key in enumerate(purpose.legal_obligation.statutes):
                yield ("purposes", i, "legal_obligation", "statutes", j), key, False
    for i, hold in enumerate(policy.holds):
        yield ("holds", i, "statute"), hold.statute, False


@rule(
    "PV803",
    Severity.ERROR,
    "repealed statute cited as in force",
    "GDPR Art. 94; BE Act of 30 July 2018 art. 280; NL UAVG art. 51",
)
def repealed_statute(policy: Policy) -> Iterator[Hit]:
    for path, key, is_citation in _cited_as_in_force(policy):
        statute = STATUTES.get(key)
        if statute is None or statute.in_force:
            continue
        when = f" on {statute.repealed_on.isoformat()}" if statute.repealed_on else ""
        by = f" by {statute.repealed_by}" if statute.repealed_by else ""
        title = statute.title.get("en", key)
        instead = f"cite {statute.repealed_by} instead" if statute.repealed_by else "remove it"
        yield Hit(
            path,
            f"statute {key!r} ({title}) is cited as in force but was repealed{when}{by}",
            f"{instead}, or set status: historical" if is_citation else instead,
        )


@rule(
    "PV804",
    Severity.ERROR,
    "children's age differs from the country's",
    "GDPR Art. 8(1); BE Act of 30 July 2018 art. 7; NL UAVG art. 5",
)
def child_age(policy: Policy) -> Iterator[Hit]:
    children = policy.children
    age = CHILD_CONSENT_AGE.get(policy.jurisdiction)
    if children is not None and age is not None and children.min_age != age:
        yield Hit(
            ("children", "min_age"),
            f"children's consent age is {children.min_age}, but in {policy.jurisdiction} "
            f"it is {age}",
            f"set children.min_age: {age}",
        )


@rule(
    "PV805",
    Severity.WARNING,
    "controller without the company number of its jurisdiction",
    "GDPR Art. 13(1)(a)",
)
def no_company_number(policy: Policy) -> Iterator[Hit]:
    register = COMPANY_NUMBER.get(policy.jurisdiction)
    if register is None:
        return
    field, name = register
    if getattr(policy.controller.identifiers, field) is None:
        yield Hit(
            ("controller", "identifiers", field),
            f"controller {policy.controller.name!r} gives no {name}",
            f"add controller.identifiers.{field}: the controller's {name}",
        )


def _vat_problem(number: str) -> str | None:
    compact = re.sub(r"[\s.\-]", "", number).upper()
    if not _VAT_PREFIX.match(compact):
        return "has no country prefix"
    prefix = compact[:2]
    if prefix == "BE":
        valid = be_vat.is_valid(compact)
    elif prefix == "NL":
        valid = nl_btw.is_valid(compact)
    else:
        valid = eu_vat.is_valid(compact)
    return None if valid else "fails its format or checksum"


@rule(
    "PV806",
    Severity.ERROR,
    "identifier fails its checksum or format (KBO, VAT, KvK)",
    "GDPR Art. 13(1)(a)",
)
def bad_identifier(policy: Policy) -> Iterator[Hit]:
    ids = policy.controller.identifiers
    base = ("controller", "identifiers")
    if ids.kbo is not None and not be_vat.is_valid(ids.kbo):
        yield Hit(
            (*base, "kbo"),
            f"enterprise number {ids.kbo!r} is not a valid KBO/BCE number "
            "(10 digits, starting 0 or 1, mod-97 check)",
            "copy the enterprise number from the KBO public search (e.g. 0123.456.749)",
        )
    if ids.kvk is not None and not _KVK.match(re.sub(r"[\s.]", "", ids.kvk)):
        yield Hit(
            (*base, "kvk"),
            f"KvK number {ids.kvk!r} is not 8 digits",
            "copy the 8-digit number from the KvK Handelsregister",
        )
    if ids.vat is not None:
        problem = _vat_problem(ids.vat)
        if problem is not None:
            yield Hit(
                (*base, "vat"),
                f"VAT number {ids.vat!r} {problem}",
                "write the VAT number with its country prefix, as VIES shows it "
                "(e.g. BE0123456749)",
            )


@rule(
    "PV807",
    Severity.INFO,
    "jurisdiction outside BE/NL: national facts unknown to privaat",
    "GDPR Art. 6(2), Art. 8(1), Art. 23",
)
def unsupported_jurisdiction(policy: Policy) -> Iterator[Hit]:
    if policy.jurisdiction not in SUPPORTED_JURISDICTIONS:
        known = ", ".join(sorted(SUPPORTED_JURISDICTIONS))
        yield Hit(
            ("jurisdiction",),
            f"jurisdiction {policy.jurisdiction} is not one privaat knows the national law of "
            f"({known}); national rules are not checked",
            "have the national rules (child age, holds, authority) checked by someone who knows "
            f"the law of {policy.jurisdiction}",
        )


@rule(
    "PV808",
    Severity.WARNING,
    "no e-mail address for privacy questions",
    "GDPR Art. 12(2), Art. 13(1)(a)",
)
def no_privacy_email(policy: Policy) -> Iterator[Hit]:
    controller = policy.controller
    addresses = [
        controller.privacy_contact,
        controller.contact.email,
        controller.dpo.email if controller.dpo else None,
        *(c.address for c in policy.rights.channels if c.kind is ChannelKind.EMAIL),
    ]
    if not any(addresses):
        yield Hit(
            ("controller", "privacy_contact"),
            f"controller {controller.name!r} gives no e-mail address for privacy questions",
            "add controller.privacy_contact: the e-mail address for privacy questions",
        )


@rule(
    "PV809",
    Severity.WARNING,
    "controller without a postal address",
    "GDPR Art. 13(1)(a), Art. 14(1)(a)",
)
def no_address(policy: Policy) -> Iterator[Hit]:
    if policy.controller.address is None:
        yield Hit(
            ("controller",),
            f"controller {policy.controller.name!r} gives no postal address",
            "add controller.address: the registered office (street, postcode, city, country)",
        )
