"""The data-category keys of the fideslang default taxonomy that privaat understands.

Policies name their data categories with these dotted keys, so a Fides dataset
can be imported as is. A policy may extend the taxonomy with a key below a known
parent (``user.contact.organization.vat``); the linter reports such extensions.
"""

from __future__ import annotations

KNOWN_KEYS: frozenset[str] = frozenset(
    [
        "user",
        "user.account",
        "user.account.settings",
        "user.account.username",
        "user.authorization",
        "user.authorization.credentials",
        "user.authorization.credentials.unencrypted",
        "user.behavior",
        "user.behavior.browsing_history",
        "user.behavior.media_consumption",
        "user.behavior.purchase_history",
        "user.behavior.search_history",
        "user.biometric",
        "user.biometric.fingerprint",
        "user.biometric.retinal",
        "user.biometric.voice",
        "user.biometric.health",
        "user.childrens",
        "user.contact",
        "user.contact.address",
        "user.contact.address.city",
        "user.contact.address.country",
        "user.contact.address.postal_code",
        "user.contact.address.state",
        "user.contact.address.street",
        "user.contact.email",
        "user.contact.phone_number",
        "user.contact.url",
        "user.contact.fax_number",
        "user.contact.organization",
        "user.content",
        "user.content.private",
        "user.content.public",
        "user.content.self_image",
        "user.demographic",
        "user.demographic.age_range",
        "user.demographic.date_of_birth",
        "user.demographic.gender",
        "user.demographic.language",
        "user.demographic.marital_status",
        "user.demographic.political_opinion",
        "user.demographic.profile",
        "user.demographic.race_ethnicity",
        "user.demographic.religious_belief",
        "user.demographic.sexual_orientation",
        "user.location",
        "user.location.imprecise",
        "user.location.precise",
        "user.device",
        "user.device.cookie",
        "user.device.cookie_id",
        "user.device.device_id",
        "user.device.ip_address",
        "user.gender",
        "user.media_consumption",
        "user.non_specific_age",
        "user.observed",
        "user.payment",
        "user.profiling",
        "user.race",
        "user.religious_belief",
        "user.search_history",
        "user.sexual_orientation",
        "user.social",
        "user.id",
        "user.id.pseudonymous",
        "user.telemetry",
        "user.user_sensor",
        "user.workplace",
        "user.sensor",
        "user.credentials",
        "user.credentials.biometric_credentials",
        "user.credentials.password",
        "user.date_of_birth",
        "user.financial",
        "user.financial.account_number",
        "user.financial.bank_account",
        "user.financial.credit_card",
        "user.government_id",
        "user.government_id.birth_certificate",
        "user.government_id.drivers_license_number",
        "user.government_id.immigration",
        "user.government_id.national_identification_number",
        "user.government_id.passport_number",
        "user.government_id.vehicle_registration",
        "user.health_and_medical",
        "user.health_and_medical.genetic",
        "user.health_and_medical.insurance_beneficiary_id",
        "user.health_and_medical.record_id",
        "user.name",
        "user.name.first",
        "user.name.last",
        "user.criminal_history",
        "user.genetic",
        "user.privacy_preferences",
        "user.job_title",
        "user.political_opinion",
        "system",
        "system.authentication",
        "system.operations",
    ]
)

#: Keys (and everything below them) that are special categories under Art. 9 GDPR.
SPECIAL_PREFIXES: tuple[str, ...] = (
    "user.biometric",
    "user.credentials.biometric_credentials",
    "user.health_and_medical",
    "user.genetic",
    "user.race",
    "user.demographic.race_ethnicity",
    "user.religious_belief",
    "user.demographic.religious_belief",
    "user.political_opinion",
    "user.demographic.political_opinion",
    "user.sexual_orientation",
    "user.demographic.sexual_orientation",
)

#: Keys under Art. 10 GDPR (criminal convictions and offences).
CRIMINAL_PREFIXES: tuple[str, ...] = ("user.criminal_history",)


def _under(key: str, prefixes: tuple[str, ...]) -> bool:
    return any(key == p or key.startswith(p + ".") for p in prefixes)


def is_special(key: str) -> bool:
    """True for a key in a special category of Art. 9 GDPR."""
    return _under(key, SPECIAL_PREFIXES)


def is_criminal(key: str) -> bool:
    """True for a key about criminal convictions (Art. 10 GDPR)."""
    return _under(key, CRIMINAL_PREFIXES)


def known_parent(key: str) -> str | None:
    """The nearest known ancestor of `key` (itself when known), or None."""
    parts = key.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in KNOWN_KEYS:
            return candidate
        parts.pop()
    return None
