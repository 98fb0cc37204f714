"""The names of the policy's enumerations, as the notice writes them (English msgids)."""

from __future__ import annotations

from privaat.core.policy.model import (
    Art9Condition,
    ChannelKind,
    CookieCategory,
    LegalBasis,
    MeasureKind,
    RecipientRole,
    Requirement,
    RetentionAction,
    Right,
    Source,
    TransferMechanism,
    Trigger,
    Verification,
)
from privaat.i18n import N_

LEGAL_BASIS: dict[LegalBasis, str] = {
    LegalBasis.CONSENT: N_("Your consent (Art. 6(1)(a) GDPR)"),
    LegalBasis.CONTRACT: N_(
        "The performance of a contract with you, or steps taken at your request before "
        "entering into one (Art. 6(1)(b) GDPR)"
    ),
    LegalBasis.LEGAL_OBLIGATION: N_("Compliance with a legal obligation (Art. 6(1)(c) GDPR)"),
    LegalBasis.VITAL_INTERESTS: N_(
        "The protection of your vital interests or those of another person (Art. 6(1)(d) GDPR)"
    ),
    LegalBasis.PUBLIC_TASK: N_(
        "A task carried out in the public interest or in the exercise of official authority "
        "(Art. 6(1)(e) GDPR)"
    ),
    LegalBasis.LEGITIMATE_INTEREST: N_(
        "Our legitimate interests or those of a third party (Art. 6(1)(f) GDPR)"
    ),
}

ART9_CONDITION: dict[Art9Condition, str] = {
    Art9Condition.EXPLICIT_CONSENT: N_("your explicit consent (Art. 9(2)(a) GDPR)"),
    Art9Condition.EMPLOYMENT: N_(
        "obligations and rights in employment and social security law (Art. 9(2)(b) GDPR)"
    ),
    Art9Condition.VITAL_INTERESTS: N_("the protection of vital interests (Art. 9(2)(c) GDPR)"),
    Art9Condition.NOT_FOR_PROFIT: N_(
        "the legitimate activities of a not-for-profit body (Art. 9(2)(d) GDPR)"
    ),
    Art9Condition.MADE_PUBLIC: N_(
        "data you have manifestly made public yourself (Art. 9(2)(e) GDPR)"
    ),
    Art9Condition.LEGAL_CLAIMS: N_(
        "the establishment, exercise or defence of legal claims (Art. 9(2)(f) GDPR)"
    ),
    Art9Condition.SUBSTANTIAL_PUBLIC_INTEREST: N_(
        "reasons of substantial public interest (Art. 9(2)(g) GDPR)"
    ),
    Art9Condition.HEALTH_CARE: N_(
        "preventive or occupational medicine, health or social care (Art. 9(2)(h) GDPR)"
    ),
    Art9Condition.PUBLIC_HEALTH: N_(
        "reasons of public interest in public health (Art. 9(2)(i) GDPR)"
    ),
    Art9Condition.ARCHIVING_RESEARCH: N_(
        "archiving in the public interest, scientific or historical research or statistics "
        "(Art. 9(2)(j) GDPR)"
    ),
}

RECIPIENT_ROLE: dict[RecipientRole, str] = {
    RecipientRole.PROCESSOR: N_(
        "Processor: processes the data on our behalf and on our instructions"
    ),
    RecipientRole.SUB_PROCESSOR: N_(
        "Sub-processor: processes the data on behalf of one of our processors"
    ),
    RecipientRole.CONTROLLER: N_("Independent controller: decides itself how it uses the data"),
    RecipientRole.JOINT_CONTROLLER: N_(
        "Joint controller: decides together with us why and how the data are processed"
    ),
    RecipientRole.AUTHORITY: N_("Public authority"),
    RecipientRole.INTERNAL: N_("Internal recipient within our organisation"),
}

#: The kind of recipient, for recipients the notice names only by category.
RECIPIENT_KIND: dict[RecipientRole, str] = {
    RecipientRole.PROCESSOR: N_("A service provider acting on our behalf"),
    RecipientRole.SUB_PROCESSOR: N_("A sub-processor of one of our service providers"),
    RecipientRole.CONTROLLER: N_("Another organisation that decides itself how it uses the data"),
    RecipientRole.JOINT_CONTROLLER: N_("A partner with whom we decide jointly"),
    RecipientRole.AUTHORITY: N_("A public authority"),
    RecipientRole.INTERNAL: N_("A department within our organisation"),
}

TRANSFER: dict[TransferMechanism, str] = {
    TransferMechanism.NONE: N_("No safeguard is stated for this transfer."),
    TransferMechanism.ADEQUACY: N_(
        "An adequacy decision of the European Commission (Art. 45 GDPR)."
    ),
    TransferMechanism.DPF: N_(
        "The recipient's certification under the EU-US Data Privacy Framework, covered by an "
        "adequacy decision of the European Commission (Art. 45 GDPR)."
    ),
    TransferMechanism.SCC: N_(
        "Standard contractual clauses adopted by the European Commission (Art. 46(2)(c) GDPR)."
    ),
    TransferMechanism.BCR: N_("Binding corporate rules (Art. 47 GDPR)."),
    TransferMechanism.DEROGATION: N_("A derogation for a specific situation (Art. 49 GDPR)."),
}

TRIGGER: dict[Trigger, str] = {
    Trigger.COLLECTION: N_("the moment we collect the data"),
    Trigger.LAST_ACTIVITY: N_("your last activity"),
    Trigger.CONTRACT_END: N_("the end of the contract"),
    Trigger.EVENT: N_("a specific event"),
    Trigger.PROCEDURE_END: N_("the end of the procedure"),
    Trigger.SCHEDULE: N_("the periodic clean-up"),
}

ACTION: dict[RetentionAction, str] = {
    RetentionAction.DELETE: N_("The data are deleted."),
    RetentionAction.ANONYMISE: N_("The data are anonymised: they can no longer be linked to you."),
    RetentionAction.AGGREGATE: N_("The data are combined into anonymous statistics, then deleted."),
}

COOKIE_CATEGORY: dict[CookieCategory, str] = {
    CookieCategory.STRICTLY_NECESSARY: N_("Strictly necessary"),
    CookieCategory.FUNCTIONAL: N_("Functional"),
    CookieCategory.ANALYTICS: N_("Analytics"),
    CookieCategory.MARKETING: N_("Marketing"),
}

#: One sentence per right: what it lets the person do.
RIGHT: dict[Right, tuple[str, str]] = {
    Right.ACCESS: (
        N_("Access"),
        N_(
            "You can ask whether we process your personal data and, if so, receive a copy of "
            "them together with information on how we process them (Art. 15 GDPR)."
        ),
    ),
    Right.RECTIFICATION: (
        N_("Rectification"),
        N_(
            "You can have inaccurate personal data corrected and incomplete data completed "
            "(Art. 16 GDPR)."
        ),
    ),
    Right.ERASURE: (
        N_("Erasure"),
        N_(
            "You can have your personal data erased, for instance when we no longer need them "
            "or you withdraw your consent, unless the law obliges us to keep them "
            "(Art. 17 GDPR)."
        ),
    ),
    Right.RESTRICTION: (
        N_("Restriction"),
        N_(
            "You can ask us to restrict the processing of your personal data for a while, for "
            "instance while we check whether they are correct (Art. 18 GDPR)."
        ),
    ),
    Right.OBJECTION: (
        N_("Objection"),
        N_(
            "You can object to processing based on our legitimate interests on grounds relating "
            "to your particular situation, and to direct marketing at any time and without "
            "giving reasons (Art. 21 GDPR)."
        ),
    ),
    Right.PORTABILITY: (
        N_("Data portability"),
        N_(
            "You can receive the personal data you gave us in a structured, commonly used and "
            "machine-readable format, or have them sent to another organisation (Art. 20 GDPR)."
        ),
    ),
    Right.WITHDRAW_CONSENT: (
        N_("Withdrawal of consent"),
        N_(
            "You can withdraw your consent at any time; this does not affect the lawfulness of "
            "the processing before the withdrawal (Art. 7(3) GDPR)."
        ),
    ),
    Right.HUMAN_REVIEW: (
        N_("Human intervention"),
        N_(
            "You can ask for a person to review a decision taken solely by automated means, "
            "give your point of view and contest the decision (Art. 22 GDPR)."
        ),
    ),
    Right.COMPLAINT: (
        N_("Complaint"),
        N_("You can lodge a complaint with a supervisory authority (Art. 77 GDPR)."),
    ),
}

VERIFICATION: dict[Verification, str] = {
    Verification.EMAIL_CODE: N_("a one-time code sent to your e-mail address"),
    Verification.EMAIL_LINK: N_("a confirmation link sent to your e-mail address"),
    Verification.SMS_CODE: N_("a one-time code sent to your mobile phone by text message"),
    Verification.ACCOUNT_LOGIN: N_("logging in to your account"),
    Verification.ID_DOCUMENT: N_("a copy of an identity document"),
    Verification.IN_PERSON: N_("showing an identity document in person"),
}

CHANNEL: dict[ChannelKind, str] = {
    ChannelKind.EMAIL: N_("By e-mail"),
    ChannelKind.POST: N_("By post"),
    ChannelKind.REGISTERED_POST: N_("By registered post"),
    ChannelKind.WEB_FORM: N_("Using our web form"),
    ChannelKind.ACCOUNT: N_("In your account"),
    ChannelKind.PHONE: N_("By phone"),
}

SOURCE: dict[Source, str] = {
    Source.DATA_SUBJECT: N_("You yourself"),
    Source.OBSERVED: N_("Observed by us when you use our website or services"),
    Source.CUSTOMER: N_("Our customers, who give us the data"),
    Source.THIRD_PARTY: N_("Other organisations (third parties)"),
    Source.PUBLIC: N_("Publicly accessible sources"),
}

REQUIREMENT: dict[Requirement, str] = {
    Requirement.STATUTORY: N_("The law requires you to provide these data."),
    Requirement.CONTRACTUAL: N_("Our contract with you requires you to provide these data."),
    Requirement.CONTRACT_PREREQUISITE: N_(
        "You must provide these data if you want to enter into a contract with us."
    ),
    Requirement.VOLUNTARY: N_("Providing these data is voluntary."),
}

MEASURE_KIND: dict[MeasureKind, str] = {
    MeasureKind.TECHNICAL: N_("Technical measures"),
    MeasureKind.ORGANISATIONAL: N_("Organisational measures"),
}

HOLD_KIND: dict[str, str] = {
    "invoices": N_("Invoices"),
    "accounting": N_("Accounting records"),
    "fiscal": N_("Tax records"),
    "social": N_("Social security and payroll records"),
    "other": N_("Other records"),
}
