"""Rules on cookies and similar technologies (ePrivacy Directive Art. 5(3))."""

from __future__ import annotations

from collections.abc import Iterator

from privaat.core.duration import Duration
from privaat.core.lint.engine import Hit, Severity, rule
from privaat.core.policy.model import CookieCategory, Policy

_NEED_CONSENT = frozenset({CookieCategory.ANALYTICS, CookieCategory.MARKETING})
#: Longest lifetime regulators accept for a consent cookie before consent is asked again.
MAX_CONSENT_COOKIE_LIFETIME = Duration(months=13)


@rule(
    "PV501",
    Severity.ERROR,
    "analytics or marketing cookie set without consent",
    "ePrivacy Directive 2002/58/EC Art. 5(3)",
)
def cookie_without_consent(policy: Policy) -> Iterator[Hit]:
    for i, cookie in enumerate(policy.cookies):
        if cookie.category in _NEED_CONSENT and not cookie.consent_required:
            yield Hit(
                ("cookies", i, "consent_required"),
                f"{cookie.category.value} cookie {cookie.name!r} is set without consent",
                "set consent_required: true and block the cookie until the visitor consents",
            )


@rule(
    "PV502",
    Severity.WARNING,
    "consent cookie lifetime longer than 13 months",
    "ePrivacy Directive 2002/58/EC Art. 5(3); CNIL deliberation 2020-091",
)
def cookie_too_long(policy: Policy) -> Iterator[Hit]:
    for i, cookie in enumerate(policy.cookies):
        lifetime = cookie.lifetime
        if (
            cookie.consent_required
            and isinstance(lifetime, Duration)
            and lifetime.longer_than(MAX_CONSENT_COOKIE_LIFETIME)
        ):
            yield Hit(
                ("cookies", i, "lifetime"),
                f"cookie {cookie.name!r} lives {lifetime}, longer than the 13 months "
                "consent is taken to last",
                f"set lifetime: {MAX_CONSENT_COOKIE_LIFETIME} or shorter",
            )


@rule(
    "PV503",
    Severity.WARNING,
    "cookie without a stated lifetime",
    "ePrivacy Directive 2002/58/EC Art. 5(3); CJEU C-673/17 Planet49",
)
def cookie_without_lifetime(policy: Policy) -> Iterator[Hit]:
    for i, cookie in enumerate(policy.cookies):
        if cookie.lifetime is None:
            yield Hit(
                ("cookies", i),
                f"cookie {cookie.name!r} has no stated lifetime; visitors must be told how "
                "long a cookie stays",
                "add lifetime: an ISO 8601 duration such as P13M, or session",
            )
