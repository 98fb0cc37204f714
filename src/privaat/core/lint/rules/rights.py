"""Rules on data-subject rights, deadlines and request channels (Art. 12-22, 77 GDPR)."""

from __future__ import annotations

from collections.abc import Iterator

from privaat.core.law import RIGHTS_DEADLINE, RIGHTS_MAX_EXTENSION
from privaat.core.lint.engine import Hit, Severity, rule
from privaat.core.policy.model import ChannelKind, LegalBasis, Policy, Right, Verification

#: Rights every notice lists (Art. 13(2)(b) and (d)).
REQUIRED_RIGHTS: tuple[Right, ...] = (
    Right.ACCESS,
    Right.RECTIFICATION,
    Right.ERASURE,
    Right.RESTRICTION,
    Right.OBJECTION,
    Right.PORTABILITY,
    Right.COMPLAINT,
)
#: Channels that need an address, with the name of the channel and of its address.
_ADDRESSED: dict[ChannelKind, tuple[str, str]] = {
    ChannelKind.EMAIL: ("e-mail", "e-mail address"),
    ChannelKind.POST: ("post", "postal address"),
    ChannelKind.REGISTERED_POST: ("registered post", "postal address"),
}


@rule("PV701", Severity.ERROR, "reply deadline longer than one month", "GDPR Art. 12(3)")
def deadline_too_long(policy: Policy) -> Iterator[Hit]:
    deadline = policy.rights.deadline
    if deadline.longer_than(RIGHTS_DEADLINE):
        yield Hit(
            ("rights", "deadline"),
            f"the reply deadline {deadline} is longer than the one month the GDPR allows",
            f"set rights.deadline: {RIGHTS_DEADLINE} (and use rights.extension for complex cases)",
        )


@rule(
    "PV702",
    Severity.WARNING,
    "deadline in days rather than one month",
    "GDPR Art. 12(3); Regulation (EEC, Euratom) 1182/71 Art. 3(2)(c)",
)
def deadline_in_days(policy: Policy) -> Iterator[Hit]:
    deadline = policy.rights.deadline
    if deadline.days and not deadline.months and not deadline.years:
        yield Hit(
            ("rights", "deadline"),
            f"the reply deadline is stated in days ({deadline}); the GDPR counts one "
            "calendar month, which is not always 30 days",
            f"set rights.deadline: {RIGHTS_DEADLINE}",
        )


@rule("PV703", Severity.ERROR, "extension longer than two months", "GDPR Art. 12(3)")
def extension_too_long(policy: Policy) -> Iterator[Hit]:
    extension = policy.rights.extension
    if extension is not None and extension.longer_than(RIGHTS_MAX_EXTENSION):
        yield Hit(
            ("rights", "extension"),
            f"the extension {extension} is longer than the two further months the GDPR allows",
            f"set rights.extension: {RIGHTS_MAX_EXTENSION}",
        )


@rule("PV704", Severity.ERROR, "a right is missing from the rights list", "GDPR Art. 13(2)(b)-(d)")
def right_missing(policy: Policy) -> Iterator[Hit]:
    required = list(REQUIRED_RIGHTS)
    if any(LegalBasis.CONSENT in p.legal_basis for p in policy.purposes):
        required.insert(-1, Right.WITHDRAW_CONSENT)
    missing = [r.value for r in required if r not in policy.rights.rights]
    if missing:
        names = ", ".join(missing)
        yield Hit(
            ("rights", "rights"),
            f"the rights list misses {names}",
            f"add {names} to rights.rights",
        )


@rule(
    "PV705",
    Severity.WARNING,
    "identity verification by copy of an ID document",
    "GDPR Art. 5(1)(c), Art. 12(6)",
)
def id_document(policy: Policy) -> Iterator[Hit]:
    for i, method in enumerate(policy.rights.verification):
        if method is Verification.ID_DOCUMENT:
            yield Hit(
                ("rights", "verification", i),
                "identity is verified with a copy of an ID document, more data than "
                "a request needs",
                "verify through the account or a code sent to the known e-mail address, "
                "and ask for ID only when in real doubt",
            )


@rule(
    "PV706",
    Severity.WARNING,
    "e-mail or post channel without an address",
    "GDPR Art. 12(2), Art. 13(1)(a)",
)
def channel_without_address(policy: Policy) -> Iterator[Hit]:
    for i, channel in enumerate(policy.rights.channels):
        if channel.kind in _ADDRESSED and channel.address is None:
            kind, address = _ADDRESSED[channel.kind]
            yield Hit(
                ("rights", "channels", i, "address"),
                f"the {kind} channel for rights requests gives no address",
                f"add address: the {address} requests are sent to",
            )


@rule(
    "PV708",
    Severity.ERROR,
    "rights granted only to some groups of data subjects",
    "GDPR Art. 12(2), Art. 15-22",
)
def rights_for_some(policy: Policy) -> Iterator[Hit]:
    granted = set(policy.rights.subjects)
    if not granted:
        return
    left_out = [s.id for s in policy.subjects if s.id not in granted]
    if left_out:
        yield Hit(
            ("rights", "subjects"),
            "the rights are granted only to "
            + ", ".join(sorted(granted))
            + "; left out: "
            + ", ".join(left_out),
            "remove rights.subjects: every data subject has these rights",
        )
