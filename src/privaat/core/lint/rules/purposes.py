"""Rules on purposes and their lawful basis (Art. 5, 6, 7, 13, 21 GDPR; ePrivacy Art. 13)."""

from __future__ import annotations

from collections.abc import Iterator

from privaat.core.lint.engine import Hit, Severity, rule
from privaat.core.policy.model import LegalBasis, Policy, Role


@rule("PV101", Severity.ERROR, "purpose without a legal basis", "GDPR Art. 6(1)")
def no_basis(policy: Policy) -> Iterator[Hit]:
    for i, purpose in enumerate(policy.purposes):
        if not purpose.legal_basis:
            yield Hit(
                ("purposes", i, "legal_basis"),
                f"purpose {purpose.id!r} has no legal basis",
                "set legal_basis to exactly one of: " + ", ".join(b.value for b in LegalBasis),
            )


@rule("PV102", Severity.ERROR, "purpose with more than one legal basis", "GDPR Art. 6(1)")
def two_bases(policy: Policy) -> Iterator[Hit]:
    for i, purpose in enumerate(policy.purposes):
        if len(purpose.legal_basis) > 1:
            names = ", ".join(b.value for b in purpose.legal_basis)
            yield Hit(
                ("purposes", i, "legal_basis"),
                f"purpose {purpose.id!r} claims {len(purpose.legal_basis)} legal bases ({names})",
                "split it into one purpose per basis, or keep the one the processing rests on",
            )


@rule(
    "PV103",
    Severity.ERROR,
    "consent purpose without a way to withdraw consent",
    "GDPR Art. 7(3)",
)
def no_withdrawal(policy: Policy) -> Iterator[Hit]:
    for i, purpose in enumerate(policy.purposes):
        consent = purpose.consent
        # A purpose with no consent detail at all is PV106's finding.
        if LegalBasis.CONSENT in purpose.legal_basis and consent and consent.withdrawal is None:
            yield Hit(
                ("purposes", i, "consent", "withdrawal"),
                f"purpose {purpose.id!r} rests on consent but does not say how to withdraw it",
                "add consent.withdrawal: how to withdraw consent, as easily as it was given",
            )


@rule(
    "PV104",
    Severity.ERROR,
    "legitimate-interest purpose without a balancing note",
    "GDPR Art. 6(1)(f), Art. 13(1)(d)",
)
def no_balancing(policy: Policy) -> Iterator[Hit]:
    for i, purpose in enumerate(policy.purposes):
        if LegalBasis.LEGITIMATE_INTEREST not in purpose.legal_basis:
            continue
        detail = purpose.legitimate_interest
        if detail is None:
            yield Hit(
                ("purposes", i, "legitimate_interest"),
                f"purpose {purpose.id!r} rests on legitimate interest but names no interest "
                "and no balancing test",
                "add legitimate_interest with interest: the interest pursued, and balancing: "
                "why it is not overridden by the person's rights",
            )
        elif detail.balancing is None:
            yield Hit(
                ("purposes", i, "legitimate_interest", "balancing"),
                f"purpose {purpose.id!r} rests on legitimate interest without a balancing test",
                "add legitimate_interest.balancing: why the interest is not overridden by "
                "the person's interests, rights and freedoms",
            )


@rule(
    "PV105",
    Severity.ERROR,
    "legal-obligation purpose without the statute",
    "GDPR Art. 6(1)(c), Art. 6(3)",
)
def no_statute(policy: Policy) -> Iterator[Hit]:
    for i, purpose in enumerate(policy.purposes):
        if LegalBasis.LEGAL_OBLIGATION not in purpose.legal_basis:
            continue
        detail = purpose.legal_obligation
        if detail is None or not detail.statutes:
            yield Hit(
                ("purposes", i, "legal_obligation", "statutes"),
                f"purpose {purpose.id!r} rests on a legal obligation but names no statute",
                "add legal_obligation.statutes: the key of the statute that imposes the processing",
            )


@rule(
    "PV106",
    Severity.ERROR,
    "consent purpose without consent.mechanism",
    "GDPR Art. 4(11), Art. 7(1)",
)
def no_consent_detail(policy: Policy) -> Iterator[Hit]:
    for i, purpose in enumerate(policy.purposes):
        if LegalBasis.CONSENT in purpose.legal_basis and purpose.consent is None:
            yield Hit(
                ("purposes", i, "consent"),
                f"purpose {purpose.id!r} rests on consent but does not say how consent is asked",
                "add consent.mechanism (how consent is given) and consent.withdrawal "
                "(how it is withdrawn)",
            )


@rule("PV107", Severity.WARNING, "purpose used by no activity", "GDPR Art. 30(1)(b)")
def unused_purpose(policy: Policy) -> Iterator[Hit]:
    used = {pid for activity in policy.activities for pid in activity.purposes}
    for i, purpose in enumerate(policy.purposes):
        if purpose.id not in used:
            yield Hit(
                ("purposes", i, "id"),
                f"purpose {purpose.id!r} is used by no processing activity",
                f"list {purpose.id!r} in the purposes of the activity that serves it, "
                "or remove the purpose",
            )


@rule(
    "PV108",
    Severity.ERROR,
    "direct-marketing purpose on legitimate interest without an objection route",
    "GDPR Art. 21(2)-(4)",
)
def marketing_without_objection(policy: Policy) -> Iterator[Hit]:
    for i, purpose in enumerate(policy.purposes):
        if not purpose.marketing or LegalBasis.LEGITIMATE_INTEREST not in purpose.legal_basis:
            continue
        detail = purpose.legitimate_interest
        if detail is None or detail.objection is None:
            yield Hit(
                ("purposes", i, "legitimate_interest", "objection"),
                f"direct-marketing purpose {purpose.id!r} does not say how to object to it",
                "add legitimate_interest.objection: how to object, free of charge and at any time",
            )


@rule(
    "PV109",
    Severity.ERROR,
    "soft opt-in misused (basis not legitimate interest, or subjects not existing customers)",
    "ePrivacy Directive 2002/58/EC Art. 13(2)",
)
def soft_opt_in_misused(policy: Policy) -> Iterator[Hit]:
    soft: set[str] = set()
    for i, purpose in enumerate(policy.purposes):
        if not purpose.soft_opt_in:
            continue
        soft.add(purpose.id)
        # A purpose with no basis at all is PV101's finding.
        if purpose.legal_basis and LegalBasis.LEGITIMATE_INTEREST not in purpose.legal_basis:
            basis = ", ".join(b.value for b in purpose.legal_basis)
            yield Hit(
                ("purposes", i, "soft_opt_in"),
                f"purpose {purpose.id!r} uses soft opt-in but rests on {basis}, "
                "not on legitimate interest",
                "set legal_basis: legitimate_interest, or remove soft_opt_in and ask consent",
            )
    if not soft:
        return
    for i, activity in enumerate(policy.activities):
        pids = [pid for pid in activity.purposes if pid in soft]
        if not pids:
            continue
        for j, sid in enumerate(activity.subjects):
            group = policy.subject(sid)
            if group is not None and not group.existing_customers:
                yield Hit(
                    ("activities", i, "subjects", j),
                    f"activity {activity.id!r} sends soft opt-in marketing ({', '.join(pids)}) "
                    f"to subject group {sid!r}, who are not existing customers",
                    f"ask {sid!r} for consent in a separate consent purpose, "
                    "or limit the activity to existing customers",
                )


@rule(
    "PV110",
    Severity.WARNING,
    "marketing purpose on the contract basis",
    "GDPR Art. 6(1)(b); EDPB Guidelines 2/2019",
)
def marketing_on_contract(policy: Policy) -> Iterator[Hit]:
    for i, purpose in enumerate(policy.purposes):
        if purpose.marketing and LegalBasis.CONTRACT in purpose.legal_basis:
            yield Hit(
                ("purposes", i, "legal_basis"),
                f"marketing purpose {purpose.id!r} rests on the contract, "
                "which marketing is rarely necessary for",
                "rest the marketing on consent or on legitimate interest with an objection route",
            )


@rule(
    "PV111",
    Severity.ERROR,
    "controller activity with no purpose",
    "GDPR Art. 5(1)(b), Art. 30(1)(b)",
)
def activity_without_purpose(policy: Policy) -> Iterator[Hit]:
    for i, activity in enumerate(policy.activities):
        if activity.role is not Role.PROCESSOR and not activity.purposes:
            yield Hit(
                ("activities", i, "purposes"),
                f"activity {activity.id!r} has no purpose",
                "add purposes: the ids of the purposes this activity serves",
            )


@rule(
    "PV112",
    Severity.ERROR,
    "consent inferred from use, silence or inactivity",
    "GDPR Art. 4(11), Art. 7(1), recital 32; CJEU C-673/17 Planet49",
)
def implied_consent(policy: Policy) -> Iterator[Hit]:
    for i, purpose in enumerate(policy.purposes):
        if purpose.consent is not None and purpose.consent.implied:
            yield Hit(
                ("purposes", i, "consent", "implied"),
                f"purpose {purpose.id!r} infers consent from use of the site or service; "
                "that is not a freely given, unambiguous indication",
                "ask for consent with a clear affirmative act (an unticked box, a button), or "
                "rest the purpose on another basis",
            )
