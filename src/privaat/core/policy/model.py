"""The privacy policy as a typed contract.

One YAML file per organisation holds everything its privacy notice promises.
These models are the schema of that file: every key is documented here, and the
reference in docs/policy-reference.md is generated from these docstrings and
field descriptions. Unknown keys are refused (``extra="forbid"``): a privacy
tool fails closed.

Cross-references between sections (a purpose naming a category) are checked
after validation by :mod:`privaat.core.policy.refs`, so that every dangling
reference is reported with its place in the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)

from privaat.core.duration import Duration, DurationField

Lang = Literal["nl", "en", "fr"]
LANGUAGES: tuple[Lang, ...] = ("nl", "en", "fr")

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]
CategoryKey = Annotated[
    str, StringConstraints(pattern=r"^(user|system)(\.[a-z][a-z0-9_]*)*$", max_length=128)
]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]

#: Text in one or more of the notice languages: ``{nl: ..., en: ..., fr: ...}``.
LocalizedText = Annotated[dict[Lang, Text], Field(min_length=1)]

_Key = TypeVar("_Key", bound=str)


def pick(
    text: Mapping[_Key, str] | None, lang: str, fallback: Sequence[str] = LANGUAGES
) -> tuple[_Key, str] | None:
    """`text` in `lang`, else in the first language of `fallback` it has, else in any.

    Returns the language found with the text, so that a reader can be told it is another
    language; None only when there is no text at all.
    """
    if not text:
        return None
    order = (lang, *fallback)

    def rank(item: tuple[_Key, str]) -> int:
        return order.index(item[0]) if item[0] in order else len(order)

    return min(text.items(), key=rank)


class Model(BaseModel):
    """Base of every policy model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# --------------------------------------------------------------------------- enums


class LegalBasis(StrEnum):
    """The lawful bases of Art. 6(1) GDPR."""

    CONSENT = "consent"  # 6(1)(a)
    CONTRACT = "contract"  # 6(1)(b), including steps before entering a contract
    LEGAL_OBLIGATION = "legal_obligation"  # 6(1)(c)
    VITAL_INTERESTS = "vital_interests"  # 6(1)(d)
    PUBLIC_TASK = "public_task"  # 6(1)(e)
    LEGITIMATE_INTEREST = "legitimate_interest"  # 6(1)(f)


class Art9Condition(StrEnum):
    """The conditions of Art. 9(2) GDPR that lift the ban on special categories."""

    EXPLICIT_CONSENT = "explicit_consent"  # 9(2)(a)
    EMPLOYMENT = "employment"  # 9(2)(b)
    VITAL_INTERESTS = "vital_interests"  # 9(2)(c)
    NOT_FOR_PROFIT = "not_for_profit"  # 9(2)(d)
    MADE_PUBLIC = "made_public"  # 9(2)(e)
    LEGAL_CLAIMS = "legal_claims"  # 9(2)(f)
    SUBSTANTIAL_PUBLIC_INTEREST = "substantial_public_interest"  # 9(2)(g)
    HEALTH_CARE = "health_care"  # 9(2)(h)
    PUBLIC_HEALTH = "public_health"  # 9(2)(i)
    ARCHIVING_RESEARCH = "archiving_research"  # 9(2)(j)


class Role(StrEnum):
    """In which capacity the organisation carries out a processing activity."""

    CONTROLLER = "controller"
    PROCESSOR = "processor"
    JOINT_CONTROLLER = "joint_controller"


class RecipientRole(StrEnum):
    """What a recipient is to the organisation."""

    PROCESSOR = "processor"
    SUB_PROCESSOR = "sub_processor"
    CONTROLLER = "controller"
    JOINT_CONTROLLER = "joint_controller"
    AUTHORITY = "authority"
    INTERNAL = "internal"


class TransferMechanism(StrEnum):
    """How a transfer outside the EEA is made lawful (Chapter V GDPR)."""

    NONE = "none"
    ADEQUACY = "adequacy"  # Art. 45
    DPF = "dpf"  # EU-US Data Privacy Framework certification (an Art. 45 decision)
    SCC = "scc"  # Art. 46(2)(c) standard contractual clauses
    BCR = "bcr"  # Art. 47 binding corporate rules
    DEROGATION = "derogation"  # Art. 49


class Trigger(StrEnum):
    """What starts a retention period."""

    COLLECTION = "collection"
    LAST_ACTIVITY = "last_activity"
    CONTRACT_END = "contract_end"
    EVENT = "event"
    PROCEDURE_END = "procedure_end"
    SCHEDULE = "schedule"


class RetentionAction(StrEnum):
    """What happens when a retention period ends."""

    DELETE = "delete"
    ANONYMISE = "anonymise"
    AGGREGATE = "aggregate"  # aggregate into anonymous statistics, then delete


class CookieCategory(StrEnum):
    """The purpose class of a cookie, which decides whether it needs consent."""

    STRICTLY_NECESSARY = "strictly_necessary"
    FUNCTIONAL = "functional"
    ANALYTICS = "analytics"
    MARKETING = "marketing"


class Right(StrEnum):
    """The data-subject rights of Art. 15-22 GDPR and Art. 7(3) and 77."""

    ACCESS = "access"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    RESTRICTION = "restriction"
    OBJECTION = "objection"
    PORTABILITY = "portability"
    WITHDRAW_CONSENT = "withdraw_consent"
    HUMAN_REVIEW = "human_review"
    COMPLAINT = "complaint"


class Verification(StrEnum):
    """How the organisation checks the identity of someone exercising a right."""

    EMAIL_CODE = "email_code"
    EMAIL_LINK = "email_link"
    SMS_CODE = "sms_code"
    ACCOUNT_LOGIN = "account_login"
    ID_DOCUMENT = "id_document"
    IN_PERSON = "in_person"


class ChannelKind(StrEnum):
    """A way to send a rights request."""

    EMAIL = "email"
    POST = "post"
    REGISTERED_POST = "registered_post"
    WEB_FORM = "web_form"
    ACCOUNT = "account"
    PHONE = "phone"


class Source(StrEnum):
    """Where personal data comes from (Art. 13 when from the person, Art. 14 otherwise)."""

    DATA_SUBJECT = "data_subject"
    OBSERVED = "observed"
    CUSTOMER = "customer"
    THIRD_PARTY = "third_party"
    PUBLIC = "public"


class Requirement(StrEnum):
    """Whether providing the data is required (Art. 13(2)(e) GDPR)."""

    STATUTORY = "statutory"
    CONTRACTUAL = "contractual"
    CONTRACT_PREREQUISITE = "contract_prerequisite"
    VOLUNTARY = "voluntary"


class MeasureKind(StrEnum):
    TECHNICAL = "technical"
    ORGANISATIONAL = "organisational"


class StatuteStatus(StrEnum):
    """How the policy presents a statute it cites."""

    IN_FORCE = "in_force"
    HISTORICAL = "historical"


# --------------------------------------------------------------------------- parts


class Address(Model):
    """A postal address."""

    street: Text
    postcode: Text
    city: Text
    country: CountryCode = Field(description="ISO 3166-1 alpha-2 code, e.g. BE or NL.")


class Contact(Model):
    """Ways to reach someone."""

    email: Text | None = None
    phone: Text | None = None
    website: Text | None = None
    address: Address | None = None


class Identifiers(Model):
    """Registration numbers of the controller."""

    kbo: Text | None = Field(None, description="Belgian enterprise number (KBO/BCE).")
    kvk: Text | None = Field(None, description="Dutch Chamber of Commerce number (KvK).")
    vat: Text | None = Field(None, description="VAT number, with its country prefix.")


class Person(Model):
    """A named person or office with contact details (DPO, representative)."""

    name: Text
    email: Text | None = None
    phone: Text | None = None
    address: Address | None = None


class Controller(Model):
    """The organisation that determines the purposes and means (Art. 4(7) GDPR)."""

    name: Text = Field(description="Name as the public knows it.")
    legal_name: Text | None = Field(None, description="Registered name with legal form.")
    address: Address | None = Field(
        None, description="Registered office. Leave out only when the original text gives none."
    )
    identifiers: Identifiers = Field(default_factory=Identifiers)
    contact: Contact
    privacy_contact: Text | None = Field(
        None, description="E-mail address for privacy questions and requests, if different."
    )
    dpo: Person | None = Field(None, description="Data protection officer (Art. 37-39), if any.")
    representative: Person | None = Field(
        None, description="EU representative (Art. 27), for controllers outside the EU."
    )


class SupervisoryAuthority(Model):
    """The authority people can complain to, as the policy names it.

    ``key`` selects a known authority (``be-gba``, ``nl-ap``, or a former name such as
    ``be-cbpl``); the stated ``name``, ``website`` and ``email`` are what the policy
    prints, and the linter compares them with the current ones.
    """

    key: Text
    name: Text | None = None
    website: Text | None = None
    email: Text | None = None


class StatuteCitation(Model):
    """A statute the policy cites, and whether it presents it as in force."""

    statute: Text = Field(description="A key of a known statute, e.g. be-privacywet-1992.")
    status: StatuteStatus = StatuteStatus.IN_FORCE
    quote: Text | None = Field(None, description="How the original text cites it.")


class SubjectGroup(Model):
    """A group of data subjects (customers, prospects, applicants...)."""

    id: Id
    label: LocalizedText
    description: LocalizedText | None = None
    existing_customers: bool = Field(
        False, description="True for existing customers (soft opt-in may apply to them)."
    )


class DataCategory(Model):
    """A category of personal data, keyed by its fideslang data-category key."""

    key: CategoryKey = Field(description="fideslang key, e.g. user.contact.email.")
    label: LocalizedText
    description: LocalizedText | None = None
    special: bool = Field(False, description="A special category of Art. 9 GDPR.")
    criminal: bool = Field(False, description="Criminal convictions or offences (Art. 10).")
    art9_condition: Art9Condition | None = Field(
        None, description="The Art. 9(2) condition relied on for a special category."
    )
    encrypted: bool = Field(
        False, description="Stored with field-level encryption (privaat enforces it)."
    )
    provided_by_subject: bool = Field(
        True, description="Provided by the person (counts for portability, Art. 20)."
    )


class ConsentDetail(Model):
    """How consent is asked and withdrawn (Art. 7)."""

    mechanism: LocalizedText = Field(description="How consent is given (checkbox, banner...).")
    withdrawal: LocalizedText | None = Field(
        None, description="How consent is withdrawn, as easily as it was given (Art. 7(3))."
    )
    double_opt_in: bool = False
    implied: bool = Field(
        False,
        description="Consent is inferred from use, silence or inactivity (as some texts claim): "
        "not valid consent under Art. 4(11); the linter reports it.",
    )
    expires_after: DurationField | None = Field(
        None, description="Consent lapses after this period unless renewed."
    )


class LegitimateInterestDetail(Model):
    """The interest pursued and the balancing test (Art. 6(1)(f), Art. 13(1)(d))."""

    interest: LocalizedText
    balancing: LocalizedText | None = Field(
        None, description="Why the interest is not overridden by the person's rights."
    )
    objection: LocalizedText | None = Field(None, description="How to object (Art. 21).")


class LegalObligationDetail(Model):
    """The statutes that oblige the processing (Art. 6(1)(c), 6(3))."""

    statutes: list[Text] = Field(description="Keys of known statutes.")


_BASES = [b.value for b in LegalBasis]
_ONE_OR_MORE_BASES: dict[str, Any] = {
    "anyOf": [
        {"enum": _BASES},
        {"type": "array", "items": {"enum": _BASES}},
    ]
}


class Purpose(Model):
    """Why personal data is processed, on exactly one lawful basis of Art. 6."""

    id: Id
    name: LocalizedText
    description: LocalizedText | None = None
    legal_basis: Annotated[list[LegalBasis], WithJsonSchema(_ONE_OR_MORE_BASES)] = Field(
        description="Exactly one Art. 6(1) basis. A list is accepted so that the linter can "
        "report a purpose with none or with two."
    )
    consent: ConsentDetail | None = None
    legitimate_interest: LegitimateInterestDetail | None = None
    legal_obligation: LegalObligationDetail | None = None
    contract: LocalizedText | None = Field(
        None, description="The contract or pre-contractual step the processing serves."
    )
    marketing: bool = Field(
        False,
        description="Direct marketing: objection always stops it (Art. 21(2)); "
        "a Global Privacy Control signal counts as objection.",
    )
    soft_opt_in: bool = Field(
        False,
        description="Electronic marketing to existing customers without prior consent "
        "(ePrivacy Art. 13(2)); requires an opt-out in every message.",
    )
    profiling: bool = False

    @field_validator("legal_basis", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        if isinstance(value, str):
            return [value]
        if value is None:
            return []
        return value

    @property
    def basis(self) -> LegalBasis | None:
        """The purpose's lawful basis, when it has exactly one."""
        return self.legal_basis[0] if len(self.legal_basis) == 1 else None


class Provision(Model):
    """Whether the person must provide the data, and what happens if not (Art. 13(2)(e))."""

    requirement: Requirement
    consequence: LocalizedText | None = None


class Activity(Model):
    """A processing activity: purposes x subjects x categories, with its recipients and limits.

    Activities are the rows of the Art. 30 register. ``role`` says whether the organisation
    is the controller or a processor for it; a processor activity names the controllers
    it works for in ``on_behalf_of``.
    """

    id: Id
    name: LocalizedText
    description: LocalizedText | None = None
    role: Role = Role.CONTROLLER
    on_behalf_of: LocalizedText | None = Field(
        None, description="For processor activities: the controllers (e.g. 'our customers')."
    )
    purposes: list[Id] = Field(default_factory=list)
    subjects: list[Id] = Field(min_length=1)
    categories: list[CategoryKey] = Field(min_length=1)
    sources: list[Source] = Field(default_factory=lambda: [Source.DATA_SUBJECT])
    source_detail: LocalizedText | None = None
    recipients: list[Id] = Field(default_factory=list)
    retention: list[Id] = Field(default_factory=list, description="Retention rule ids.")
    holds: list[Id] = Field(default_factory=list, description="Statutory hold ids.")
    systems: list[Text] = Field(default_factory=list, description="Where the data is kept.")
    provision: Provision | None = None


class RetentionRule(Model):
    """How long data may be kept, from which trigger, and what happens then."""

    id: Id
    description: LocalizedText
    categories: list[CategoryKey] = Field(min_length=1)
    subjects: list[Id] = Field(default_factory=list, description="Empty: every group.")
    maximum: DurationField | None = Field(
        None, description="Longest time data is kept after the trigger (ISO 8601, e.g. P3Y)."
    )
    minimum: DurationField | None = Field(
        None, description="Shortest time kept, when the original text states one."
    )
    trigger: Trigger
    event: Text | None = Field(
        None, description="The named event, for trigger: event (a key, e.g. cancellation)."
    )
    event_label: LocalizedText | None = Field(
        None, description="How the notice names the event, e.g. {nl: opzegging van de dienst}."
    )
    schedule: DurationField | None = Field(
        None, description="How often a sweep runs, for trigger: schedule (e.g. P1Y)."
    )
    action: RetentionAction = RetentionAction.DELETE
    holds: list[Id] = Field(default_factory=list, description="Holds that win over this rule.")


class StatutoryHold(Model):
    """Records the law obliges the organisation to keep, and for how long."""

    id: Id
    kind: Literal["invoices", "accounting", "fiscal", "social", "other"]
    description: LocalizedText
    statute: Text = Field(description="Key of a known statute.")
    duration: DurationField
    from_end_of_year: bool = Field(
        True, description="Counted from 1 January after the year of the document."
    )
    country: CountryCode
    categories: list[CategoryKey] = Field(min_length=1)


class Recipient(Model):
    """Someone personal data is disclosed to: a processor, a controller, an authority."""

    id: Id
    name: Text
    role: RecipientRole
    description: LocalizedText | None = None
    country: CountryCode
    categories: list[CategoryKey] = Field(default_factory=list)
    purposes: list[Id] = Field(default_factory=list)
    dpa_signed: dt.date | None = Field(
        None, description="Date the data processing agreement (Art. 28) was signed."
    )
    dpa_in_place: bool = Field(
        False, description="A data processing agreement exists, its date is not known."
    )
    transfer: TransferMechanism = TransferMechanism.NONE
    transfer_detail: LocalizedText | None = None
    privacy_policy: Text | None = Field(None, description="URL of the recipient's policy.")
    category_only: bool = Field(
        False, description="Name only the kind of recipient in the notice, not the company."
    )


class Cookie(Model):
    """A cookie or similar technology the website sets or lets others set."""

    name: Text
    provider: Text = Field(description="Who sets it: 'first_party' or a recipient id.")
    category: CookieCategory
    purpose: LocalizedText
    lifetime: DurationField | Literal["session"] | None = Field(
        None, description="How long the cookie lives: an ISO 8601 duration or 'session'."
    )
    consent_required: bool = Field(
        description="Whether it is only set after consent (the banner blocks it until then)."
    )


class AutomatedDecision(Model):
    """A decision taken by automated means (Art. 22, Art. 13(2)(f))."""

    id: Id
    name: LocalizedText
    logic: LocalizedText = Field(description="Meaningful information about the logic.")
    consequences: LocalizedText = Field(description="Significance and envisaged consequences.")
    purposes: list[Id] = Field(default_factory=list)
    legal_effect: bool = Field(
        True, description="Produces legal or similarly significant effects (Art. 22(1))."
    )
    human_review: LocalizedText | None = Field(
        None, description="How to obtain human intervention and contest the decision."
    )


class SecurityMeasure(Model):
    """A technical or organisational measure (Art. 32)."""

    id: Id
    kind: MeasureKind
    label: LocalizedText


class Channel(Model):
    """A way to send a rights request."""

    kind: ChannelKind
    address: Text | None = Field(None, description="E-mail or postal address, URL, number.")


class Rights(Model):
    """How the organisation honours the rights of Art. 15-22."""

    rights: list[Right] = Field(description="The rights the notice lists.")
    deadline: DurationField = Field(
        default_factory=lambda: Duration(months=1),
        description="Reply deadline as the policy states it (default: one month, the law's).",
    )
    extension: DurationField | None = Field(
        None, description="Longest extension the organisation may take (Art. 12(3))."
    )
    verification: list[Verification] = Field(default_factory=list)
    channels: list[Channel] = Field(min_length=1)
    self_service: LocalizedText | None = Field(
        None, description="What people can do themselves in their account."
    )
    subjects: list[Id] = Field(
        default_factory=list,
        description="Subject groups the text grants the rights to; empty means everyone "
        "(the law gives the rights to every data subject).",
    )
    notes: LocalizedText | None = None


class Children(Model):
    """The age under which a child's consent needs a parent (Art. 8)."""

    min_age: Annotated[int, Field(ge=0, le=18)]
    statement: LocalizedText | None = None


class Statement(Model):
    """A promise of the original text that has no more specific place in the file."""

    id: Id
    text: LocalizedText


class Changes(Model):
    """How changes to the policy are announced."""

    notice: LocalizedText


class Policy(Model):
    """One organisation's privacy policy: the root of the file."""

    privaat: Literal[1] = Field(description="Version of this file format. Always 1.")
    version: Text = Field(description="The policy's own version, e.g. 2024.1.")
    date: dt.date = Field(description="Date this version took effect.")
    jurisdiction: CountryCode = Field(description="Country of the main establishment.")
    languages: list[Lang] = Field(
        default_factory=lambda: list(LANGUAGES),
        min_length=1,
        description="Languages the notice is published in.",
    )
    controller: Controller
    supervisory_authority: SupervisoryAuthority
    statutes: list[StatuteCitation] = Field(
        default_factory=list, description="Statutes the policy cites."
    )
    subjects: list[SubjectGroup] = Field(min_length=1)
    categories: list[DataCategory] = Field(min_length=1)
    purposes: list[Purpose] = Field(default_factory=list)
    activities: list[Activity] = Field(min_length=1)
    retention: list[RetentionRule] = Field(default_factory=list)
    holds: list[StatutoryHold] = Field(default_factory=list)
    recipients: list[Recipient] = Field(default_factory=list)
    cookies: list[Cookie] = Field(default_factory=list)
    automated_decisions: list[AutomatedDecision] = Field(default_factory=list)
    security: list[SecurityMeasure] = Field(default_factory=list)
    rights: Rights
    children: Children | None = None
    statements: list[Statement] = Field(
        default_factory=list,
        description="Other promises of the text (no sale of data, links to other sites...).",
    )
    changes: Changes | None = None

    # -- lookups, for the linter, the renderer and the engine

    def category(self, key: str) -> DataCategory | None:
        return next((c for c in self.categories if c.key == key), None)

    def purpose(self, pid: str) -> Purpose | None:
        return next((p for p in self.purposes if p.id == pid), None)

    def subject(self, sid: str) -> SubjectGroup | None:
        return next((s for s in self.subjects if s.id == sid), None)

    def recipient(self, rid: str) -> Recipient | None:
        return next((r for r in self.recipients if r.id == rid), None)

    def retention_rule(self, rid: str) -> RetentionRule | None:
        return next((r for r in self.retention if r.id == rid), None)

    def hold(self, hid: str) -> StatutoryHold | None:
        return next((h for h in self.holds if h.id == hid), None)
