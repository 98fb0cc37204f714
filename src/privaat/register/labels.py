"""The names of the policy's enumerations, as the register writes them (English msgids).

The register is read by staff and authorities: its words are terser than the notice's
(:mod:`privaat.notice.labels`), so they are messages of their own in the same catalogs.
"""

from __future__ import annotations

from privaat.core.policy.model import (
    Art9Condition,
    LegalBasis,
    MeasureKind,
    RecipientRole,
    RetentionAction,
    Role,
    Source,
    TransferMechanism,
    Trigger,
)
from privaat.i18n import N_, Words

LEGAL_BASIS: dict[LegalBasis, str] = {
    LegalBasis.CONSENT: N_("Consent (Art. 6(1)(a) GDPR)"),
    LegalBasis.CONTRACT: N_("Performance of a contract (Art. 6(1)(b) GDPR)"),
    LegalBasis.LEGAL_OBLIGATION: N_("Legal obligation (Art. 6(1)(c) GDPR)"),
    LegalBasis.VITAL_INTERESTS: N_("Vital interests (Art. 6(1)(d) GDPR)"),
    LegalBasis.PUBLIC_TASK: N_("Public task (Art. 6(1)(e) GDPR)"),
    LegalBasis.LEGITIMATE_INTEREST: N_("Legitimate interest (Art. 6(1)(f) GDPR)"),
}

ART9: dict[Art9Condition, str] = {
    Art9Condition.EXPLICIT_CONSENT: N_("explicit consent (Art. 9(2)(a) GDPR)"),
    Art9Condition.EMPLOYMENT: N_("employment and social security law (Art. 9(2)(b) GDPR)"),
    Art9Condition.VITAL_INTERESTS: N_("vital interests (Art. 9(2)(c) GDPR)"),
    Art9Condition.NOT_FOR_PROFIT: N_("not-for-profit body (Art. 9(2)(d) GDPR)"),
    Art9Condition.MADE_PUBLIC: N_("manifestly made public (Art. 9(2)(e) GDPR)"),
    Art9Condition.LEGAL_CLAIMS: N_("legal claims (Art. 9(2)(f) GDPR)"),
    Art9Condition.SUBSTANTIAL_PUBLIC_INTEREST: N_(
        "substantial public interest (Art. 9(2)(g) GDPR)"
    ),
    Art9Condition.HEALTH_CARE: N_("health or social care (Art. 9(2)(h) GDPR)"),
    Art9Condition.PUBLIC_HEALTH: N_("public health (Art. 9(2)(i) GDPR)"),
    Art9Condition.ARCHIVING_RESEARCH: N_("archiving, research or statistics (Art. 9(2)(j) GDPR)"),
}

RECIPIENT_ROLE: dict[RecipientRole, str] = {
    RecipientRole.PROCESSOR: N_("processor"),
    RecipientRole.SUB_PROCESSOR: N_("sub-processor"),
    RecipientRole.CONTROLLER: N_("controller"),
    RecipientRole.JOINT_CONTROLLER: N_("joint controller"),
    RecipientRole.AUTHORITY: N_("public authority"),
    RecipientRole.INTERNAL: N_("internal"),
}

SOURCE: dict[Source, str] = {
    Source.DATA_SUBJECT: N_("the data subject"),
    Source.OBSERVED: N_("observed during use"),
    Source.CUSTOMER: N_("our customer"),
    Source.THIRD_PARTY: N_("third parties"),
    Source.PUBLIC: N_("public sources"),
}

TRANSFER: dict[TransferMechanism, str] = {
    TransferMechanism.NONE: N_("no transfer mechanism"),
    TransferMechanism.ADEQUACY: N_("adequacy decision (Art. 45 GDPR)"),
    TransferMechanism.DPF: N_("EU-US Data Privacy Framework (adequacy decision, Art. 45 GDPR)"),
    TransferMechanism.SCC: N_("standard contractual clauses (Art. 46(2)(c) GDPR)"),
    TransferMechanism.BCR: N_("binding corporate rules (Art. 47 GDPR)"),
    TransferMechanism.DEROGATION: N_("derogation (Art. 49 GDPR)"),
}

MEASURE_KIND: dict[MeasureKind, str] = {
    MeasureKind.TECHNICAL: N_("technical"),
    MeasureKind.ORGANISATIONAL: N_("organisational"),
}

ACTION: dict[RetentionAction, str] = {
    RetentionAction.DELETE: N_("then deleted"),
    RetentionAction.ANONYMISE: N_("then anonymised"),
    RetentionAction.AGGREGATE: N_("then aggregated into anonymous statistics"),
}


def role(w: Words, role: Role) -> str:
    """The organisation's role in an activity, for the "role" column.

    In context: French names the role in full here, and a recipient's role briefly.
    """
    return {
        Role.CONTROLLER: w.pgettext("role", "controller"),
        Role.JOINT_CONTROLLER: w.pgettext("role", "joint controller"),
        Role.PROCESSOR: w.pgettext("role", "processor"),
    }[role]


def trigger(w: Words, trigger: Trigger) -> str:
    """What a retention period counts from, as the register says it ("at most 2 years after …").

    In context: "collection" or "the event" alone would be ambiguous to a translator.
    """
    return {
        Trigger.COLLECTION: w.pgettext("counted from", "collection"),
        Trigger.LAST_ACTIVITY: w.pgettext("counted from", "the last activity"),
        Trigger.CONTRACT_END: w.pgettext("counted from", "the end of the contract"),
        Trigger.EVENT: w.pgettext("counted from", "the event"),
        Trigger.PROCEDURE_END: w.pgettext("counted from", "the end of the procedure"),
        Trigger.SCHEDULE: w.pgettext("counted from", "the periodic sweep"),
    }[trigger]
