"""The register as JSON-LD in the W3C Data Privacy Vocabulary (DPV 2.x).

Every term used here was checked against the DPV 2.1 term lists (dpv.csv, pd.csv,
loc.csv and the eu-gdpr legal extension). What DPV has no term for is written under the
``privaat:`` namespace. Shape:

- the register is a ``dpv:ROPA`` that ``dpv:hasProcess`` one ``dpv:Process`` per record;
- the organisation is a ``dpv:Organisation`` (and ``dpv:DataController`` and/or
  ``dpv:DataProcessor``) with ``dpv:hasName``, ``dpv:hasAddress``, ``dpv:hasContact``,
  ``dpv:hasDataProtectionOfficer``, ``dpv:hasRepresentative``;
- a process has ``dpv:hasPurpose`` (each purpose with its Art. 6 basis as
  ``eu-gdpr:A6-1-a`` ... ``A6-1-f``), ``dpv:hasLegalBasis``, ``dpv:hasPersonalData``
  (typed with ``pd:`` categories where one fits, special categories with their
  ``eu-gdpr:A9-2-*`` condition), ``dpv:hasDataSubject``, ``dpv:hasDataSource``,
  ``dpv:hasRecipient``, ``dpv:hasDataController`` / ``dpv:hasDataProcessor`` /
  ``dpv:hasJointDataControllers``, ``dpv:hasStorageCondition`` (``dpv:StorageDuration`` with
  a ``dpv:TemporalDuration`` ISO 8601 value, ``dpv:StorageDeletion``) and
  ``dpv:hasTechnicalOrganisationalMeasure``;
- a transfer outside the EEA is a nested ``dpv:Process`` with ``dpv:hasProcessing``
  ``dpv:CrossBorderTransfer``, ``dpv:hasDataExporter`` / ``dpv:hasDataImporter``,
  ``dpv:hasThirdCountry``, its Chapter V basis (``eu-gdpr:AdequacyDecision``,
  ``eu-gdpr:A46-2-c``, ``eu-gdpr:A46-2-b``) and its safeguard
  (``eu-gdpr:StandardContractualClauses``, ``eu-gdpr:BindingCorporateRules``). DPV 2 keeps
  these safeguards in the eu-gdpr extension, not in the core ``dpv:`` namespace.
"""

from __future__ import annotations

import json

from privaat.core.policy.model import (
    Art9Condition,
    LegalBasis,
    MeasureKind,
    RecipientRole,
    Source,
    TransferMechanism,
)
from privaat.i18n import Words
from privaat.register.columns import AnyRecord
from privaat.register.labels import ACTION
from privaat.register.records import (
    CategoryEntry,
    ControllerRecord,
    PurposeEntry,
    RecipientEntry,
    Register,
    RetentionEntry,
    TransferEntry,
)

#: The namespace of privaat's own terms, for what DPV has no term for.
PRIVAAT_NS = "urn:privaat:vocab#"

_IRI_VALUED = (
    "dpv:hasLegalBasis",
    "dpv:hasDataSource",
    "dpv:hasCountry",
    "dpv:hasThirdCountry",
    "dpv:hasProcessing",
    "dpv:hasDataController",
    "dpv:hasDataProcessor",
    "dpv:hasDataExporter",
    "dpv:hasDataImporter",
    "dpv:hasPersonalData",
)

CONTEXT: dict[str, object] = {
    "dpv": "https://w3id.org/dpv#",
    "eu-gdpr": "https://w3id.org/dpv/legal/eu/gdpr#",
    "pd": "https://w3id.org/dpv/pd#",
    "loc": "https://w3id.org/dpv/loc#",
    "dct": "http://purl.org/dc/terms/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "privaat": PRIVAAT_NS,
    # Properties whose string values are IRIs (a class such as eu-gdpr:A6-1-b, a node id).
    **{prop: {"@type": "@id"} for prop in _IRI_VALUED},
}

LEGAL_BASIS_IRI: dict[LegalBasis, str] = {
    LegalBasis.CONSENT: "eu-gdpr:A6-1-a",
    LegalBasis.CONTRACT: "eu-gdpr:A6-1-b",
    LegalBasis.LEGAL_OBLIGATION: "eu-gdpr:A6-1-c",
    LegalBasis.VITAL_INTERESTS: "eu-gdpr:A6-1-d",
    LegalBasis.PUBLIC_TASK: "eu-gdpr:A6-1-e",
    LegalBasis.LEGITIMATE_INTEREST: "eu-gdpr:A6-1-f",
}

ART9_IRI: dict[Art9Condition, str] = {
    Art9Condition.EXPLICIT_CONSENT: "eu-gdpr:A9-2-a",
    Art9Condition.EMPLOYMENT: "eu-gdpr:A9-2-b",
    Art9Condition.VITAL_INTERESTS: "eu-gdpr:A9-2-c",
    Art9Condition.NOT_FOR_PROFIT: "eu-gdpr:A9-2-d",
    Art9Condition.MADE_PUBLIC: "eu-gdpr:A9-2-e",
    Art9Condition.LEGAL_CLAIMS: "eu-gdpr:A9-2-f",
    Art9Condition.SUBSTANTIAL_PUBLIC_INTEREST: "eu-gdpr:A9-2-g",
    Art9Condition.HEALTH_CARE: "eu-gdpr:A9-2-h",
    Art9Condition.PUBLIC_HEALTH: "eu-gdpr:A9-2-i",
    Art9Condition.ARCHIVING_RESEARCH: "eu-gdpr:A9-2-j",
}

#: Chapter V: the legal basis of a transfer, and the safeguard instrument if there is one.
TRANSFER_IRI: dict[TransferMechanism, tuple[str | None, str | None]] = {
    TransferMechanism.NONE: (None, None),
    TransferMechanism.ADEQUACY: ("eu-gdpr:AdequacyDecision", None),
    TransferMechanism.DPF: ("eu-gdpr:AdequacyDecision", None),
    TransferMechanism.SCC: ("eu-gdpr:A46-2-c", "eu-gdpr:StandardContractualClauses"),
    TransferMechanism.BCR: ("eu-gdpr:A46-2-b", "eu-gdpr:BindingCorporateRules"),
    TransferMechanism.DEROGATION: ("dpv:DataTransferLegalBasis", None),
}

RECIPIENT_TYPES: dict[RecipientRole, list[str]] = {
    RecipientRole.PROCESSOR: ["dpv:DataProcessor"],
    RecipientRole.SUB_PROCESSOR: ["dpv:DataSubProcessor"],
    RecipientRole.CONTROLLER: ["dpv:ThirdParty", "dpv:DataController"],
    RecipientRole.JOINT_CONTROLLER: ["dpv:DataController"],
    RecipientRole.AUTHORITY: ["dpv:Authority"],
    RecipientRole.INTERNAL: ["dpv:OrganisationalUnit"],
}

MEASURE_TYPE: dict[MeasureKind, str] = {
    MeasureKind.TECHNICAL: "dpv:TechnicalMeasure",
    MeasureKind.ORGANISATIONAL: "dpv:OrganisationalMeasure",
}

#: fideslang data-category keys and the DPV personal-data (pd:) concept that matches them.
#: A key not listed takes the concept of its nearest listed ancestor, else none.
PD_CONCEPT: dict[str, str] = {
    "user.name": "pd:Name",
    "user.contact": "pd:Contact",
    "user.contact.email": "pd:EmailAddress",
    "user.contact.phone_number": "pd:TelephoneNumber",
    "user.contact.address": "pd:PhysicalAddress",
    "user.contact.address.street": "pd:Street",
    "user.contact.address.city": "pd:City",
    "user.contact.address.postal_code": "pd:PostalCode",
    "user.contact.address.state": "pd:Region",
    "user.contact.address.country": "pd:Country",
    "user.device": "pd:DeviceBased",
    "user.device.ip_address": "pd:IPAddress",
    "user.financial": "pd:Financial",
    "user.financial.bank_account": "pd:BankAccount",
    "user.financial.account_number": "pd:FinancialAccountNumber",
    "user.financial.credit_card": "pd:CreditCardNumber",
    "user.date_of_birth": "pd:BirthDate",
    "user.demographic": "pd:Demographic",
    "user.demographic.date_of_birth": "pd:BirthDate",
    "user.demographic.age_range": "pd:AgeRange",
    "user.demographic.gender": "pd:Gender",
    "user.gender": "pd:Gender",
    "user.demographic.language": "pd:Language",
    "user.demographic.marital_status": "pd:MaritalStatus",
    "user.demographic.race_ethnicity": "pd:EthnicOrigin",
    "user.race": "pd:EthnicOrigin",
    "user.demographic.religious_belief": "pd:ReligiousBelief",
    "user.religious_belief": "pd:ReligiousBelief",
    "user.demographic.political_opinion": "pd:PoliticalOpinion",
    "user.political_opinion": "pd:PoliticalOpinion",
    "user.demographic.sexual_orientation": "pd:SexualPreference",
    "user.sexual_orientation": "pd:SexualPreference",
    "user.health_and_medical": "pd:Health",
    "user.health_and_medical.genetic": "pd:Genetic",
    "user.genetic": "pd:Genetic",
    "user.biometric": "pd:Biometric",
    "user.biometric.fingerprint": "pd:Fingerprint",
    "user.biometric.retinal": "pd:Retina",
    "user.criminal_history": "pd:Criminal",
    "user.location": "pd:Location",
    "user.behavior": "pd:Behavioral",
    "user.behavior.browsing_history": "pd:BrowserHistory",
    "user.behavior.purchase_history": "pd:Purchase",
    "user.account.username": "pd:Username",
    "user.credentials.password": "pd:Password",
    "user.authorization.credentials": "pd:Authenticating",
    "user.government_id": "pd:OfficialID",
    "user.government_id.passport_number": "pd:Passport",
    "user.content.self_image": "pd:Picture",
    "user.job_title": "pd:Job",
    "user.privacy_preferences": "pd:PrivacyPreference",
}

_ORG = "_:organisation"


def pd_concept(key: str) -> str | None:
    """The pd: concept of a fideslang key, or of its nearest mapped ancestor."""
    parts = key.split(".")
    for end in range(len(parts), 0, -1):
        concept = PD_CONCEPT.get(".".join(parts[:end]))
        if concept:
            return concept
    return None


def _node_id(kind: str, key: str) -> str:
    return f"_:{kind}-{key.replace('.', '-')}"


class _Graph:
    def __init__(self, register: Register) -> None:
        self.r = register
        self.lang = register.lang
        self.w = Words(register.lang)

    def text(self, value: str | None) -> dict[str, str] | None:
        return {"@value": value, "@language": self.lang} if value else None

    def document(self) -> dict[str, object]:
        r = self.r
        records: list[AnyRecord] = [*r.controller_records, *r.processor_records]
        processes = [self.process(rec) for rec in records]
        return {
            "@context": CONTEXT,
            "@id": "_:register",
            "@type": "dpv:ROPA",
            "dct:title": self.text(f"Art. 30 register — {r.controller.party.name}"),
            "dct:date": {"@value": r.policy_date.isoformat(), "@type": "xsd:date"},
            "privaat:policyVersion": r.policy_version,
            "dpv:hasEntity": [self.organisation()],
            "dpv:hasProcess": processes,
        }

    def organisation(self) -> dict[str, object]:
        org = self.r.controller
        party = org.party
        types = ["dpv:Organisation"]
        if self.r.controller_records:
            types.append("dpv:DataController")
        if self.r.processor_records:
            types.append("dpv:DataProcessor")
        identifiers = [
            f"{label} {value}"
            for label, value in (("KBO", org.kbo), ("KvK", org.kvk), ("VAT", org.vat))
            if value
        ]
        node: dict[str, object] = {
            "@id": _ORG,
            "@type": types,
            "dpv:hasName": party.name,
            "dpv:hasAddress": party.address,
            "dpv:hasContact": [c for c in (party.email, party.phone, party.website) if c],
            "dpv:hasCountry": f"loc:{party.country}" if party.country else None,
            "dpv:hasIdentifier": identifiers,
        }
        for prop, person, kind in (
            ("dpv:hasDataProtectionOfficer", org.dpo, "dpv:DataProtectionOfficer"),
            ("dpv:hasRepresentative", org.representative, "dpv:Representative"),
        ):
            if person is not None:
                node[prop] = {
                    "@type": kind,
                    "dpv:hasName": person.name,
                    "dpv:hasAddress": person.address,
                    "dpv:hasContact": [c for c in (person.email, person.phone) if c],
                }
        return _clean(node)

    def process(self, rec: AnyRecord) -> dict[str, object]:
        controller = isinstance(rec, ControllerRecord)
        recipients = rec.recipients if isinstance(rec, ControllerRecord) else rec.sub_processors
        purposes = [self.purpose(p) for p in rec.purposes]
        bases = list(
            dict.fromkeys(LEGAL_BASIS_IRI[p.legal_basis] for p in rec.purposes if p.legal_basis)
        )
        node: dict[str, object] = {
            "@id": _node_id("activity", rec.activity_id),
            "@type": "dpv:Process",
            "dct:identifier": rec.activity_id,
            "dct:title": self.text(rec.activity),
            "dct:description": self.text(rec.description),
            "privaat:recordType": "controller" if controller else "processor",
            "dpv:hasPurpose": purposes,
            "dpv:hasLegalBasis": bases,
            "dpv:hasPersonalData": [self.data(c) for c in rec.data_categories],
            "dpv:hasDataSubject": [
                {
                    "@id": _node_id("subject", s.id),
                    "@type": "dpv:DataSubject",
                    "dct:identifier": s.id,
                    "dct:title": self.text(s.label),
                }
                for s in rec.data_subjects
            ],
            "dpv:hasDataSource": self.sources(rec),
            "dpv:hasRecipient": [self.recipient(e) for e in recipients],
            "dpv:hasStorageCondition": self.storage(rec),
            "dpv:hasTechnicalOrganisationalMeasure": [
                {
                    "@id": _node_id("measure", m.id),
                    "@type": MEASURE_TYPE[m.kind],
                    "dct:identifier": m.id,
                    "dct:title": self.text(m.label),
                }
                for m in rec.security
            ],
            "dpv:hasProcess": [self.transfer(rec, x) for x in rec.transfers],
            "dpv:hasProcessing": ["dpv:Profiling"]
            if any(p.profiling for p in rec.purposes)
            else [],
            "privaat:systems": list(rec.systems),
        }
        if isinstance(rec, ControllerRecord):
            node["privaat:role"] = rec.role.value
            node["dpv:hasDataController"] = _ORG
            node["dpv:hasDataProcessor"] = [
                _node_id("recipient", e.id)
                for e in rec.recipients
                if e.role in (RecipientRole.PROCESSOR, RecipientRole.SUB_PROCESSOR)
            ]
            joint = [
                _node_id("recipient", e.id)
                for e in rec.recipients
                if e.role is RecipientRole.JOINT_CONTROLLER
            ]
            if joint or rec.joint_controllers:
                members: list[object] = [_ORG, *joint]
                if not joint:
                    members += [
                        {"@type": "dpv:DataController", "dpv:hasName": p.name}
                        for p in rec.joint_controllers
                    ]
                node["dpv:hasJointDataControllers"] = {
                    "@id": _node_id("joint", rec.activity_id),
                    "@type": "dpv:JointDataControllers",
                    "dpv:hasDataController": members,
                }
        else:
            node["dpv:hasDataProcessor"] = _ORG
            node["dpv:hasDataController"] = {
                "@id": _node_id("controllers", rec.activity_id),
                "@type": "dpv:DataController",
                "dct:description": self.text(rec.controllers),
            }
            node["privaat:processing"] = self.text(rec.processing)
        return _clean(node)

    def purpose(self, p: PurposeEntry) -> dict[str, object]:
        return _clean(
            {
                "@id": _node_id("purpose", p.id),
                "@type": ["dpv:Purpose", "dpv:DirectMarketing"] if p.marketing else "dpv:Purpose",
                "dct:identifier": p.id,
                "dct:title": self.text(p.name),
                "dct:description": self.text(p.description),
                "dpv:hasLegalBasis": [LEGAL_BASIS_IRI[p.legal_basis]] if p.legal_basis else [],
                "privaat:basisDetail": self.text(p.basis_detail),
            }
        )

    def data(self, c: CategoryEntry) -> dict[str, object]:
        types = ["dpv:SpecialCategoryPersonalData" if c.special else "dpv:PersonalData"]
        concept = pd_concept(c.key)
        if concept:
            types.append(concept)
        return _clean(
            {
                "@id": _node_id("data", c.key),
                "@type": types,
                "dct:title": self.text(c.label),
                "privaat:fideslangKey": c.key,
                "dpv:hasLegalBasis": [ART9_IRI[c.art9_condition]] if c.art9_condition else [],
                "privaat:criminalData": True if c.criminal else None,
            }
        )

    def sources(self, rec: AnyRecord) -> list[str]:
        controller = isinstance(rec, ControllerRecord)
        mapping = {
            Source.DATA_SUBJECT: "dpv:DataSubjectDataSource",
            Source.OBSERVED: "dpv:DataSubjectDataSource",
            Source.CUSTOMER: "dpv:ThirdPartyDataSource"
            if controller
            else "dpv:DataControllerDataSource",
            Source.THIRD_PARTY: "dpv:ThirdPartyDataSource",
            Source.PUBLIC: "dpv:PublicDataSource",
        }
        return list(dict.fromkeys(mapping[s.source] for s in rec.sources))

    def recipient(self, e: RecipientEntry) -> dict[str, object]:
        return _clean(
            {
                "@id": _node_id("recipient", e.id),
                "@type": RECIPIENT_TYPES[e.role],
                "dct:identifier": e.id,
                "dpv:hasName": e.name,
                "dpv:hasCountry": f"loc:{e.country}",
                "dpv:hasThirdCountry": f"loc:{e.country}" if e.third_country else None,
                "privaat:recipientRole": e.role.value,
                "privaat:dpaSigned": {"@value": e.dpa_signed.isoformat(), "@type": "xsd:date"}
                if e.dpa_signed
                else None,
                "privaat:dpaInPlace": True if e.dpa_in_place else None,
            }
        )

    def transfer(self, rec: AnyRecord, x: TransferEntry) -> dict[str, object]:
        basis, instrument = TRANSFER_IRI[x.mechanism]
        node: dict[str, object] = {
            "@id": _node_id("transfer", f"{rec.activity_id}-{x.recipient_id}"),
            "@type": "dpv:Process",
            "dct:description": self.text(x.text),
            "dpv:hasProcessing": "dpv:CrossBorderTransfer",
            "dpv:hasDataExporter": _ORG,
            "dpv:hasDataImporter": _node_id("recipient", x.recipient_id),
            "dpv:hasThirdCountry": f"loc:{x.country}",
            "dpv:hasLegalBasis": [basis] if basis else [],
            "privaat:transferMechanism": x.mechanism.value,
        }
        if instrument:
            node["dpv:hasOrganisationalMeasure"] = _clean(
                {"@type": instrument, "dct:description": self.text(x.detail)}
            )
        if x.documentation:
            node["dpv:hasJustification"] = {
                "@type": "dpv:Justification",
                "dct:description": self.text(x.documentation),
            }
        return _clean(node)

    def storage(self, rec: AnyRecord) -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        for r in rec.retention:
            out.append(self.rule(r))
            out.append(
                {
                    "@id": _node_id("deletion", r.id),
                    "@type": "dpv:StorageDeletion",
                    "dct:description": self.text(self.w._(ACTION[r.action])),
                    "privaat:retentionAction": r.action.value,
                }
            )
        for h in rec.holds:
            out.append(
                _clean(
                    {
                        "@id": _node_id("hold", h.id),
                        "@type": "dpv:StorageDuration",
                        "dct:identifier": h.id,
                        "dct:description": self.text(h.text),
                        "dpv:hasDuration": _duration("dpv:TemporalDuration", h.duration),
                        "dpv:hasApplicableLaw": {
                            "@type": "dpv:Law",
                            "dct:identifier": h.statute,
                            "dct:title": self.text(h.statute_title),
                        },
                        "dpv:hasPersonalData": [_node_id("data", k) for k in h.categories],
                        "privaat:statutoryHold": True,
                        "privaat:fromEndOfYear": h.from_end_of_year,
                    }
                )
            )
        return out

    def rule(self, r: RetentionEntry) -> dict[str, object]:
        if r.maximum:
            duration = _duration("dpv:TemporalDuration", r.maximum)
        elif r.event:
            duration = {"@type": "dpv:UntilEventDuration", "rdf:value": r.event}
        else:
            duration = {"@type": "dpv:IndeterminateDuration"}
        return _clean(
            {
                "@id": _node_id("retention", r.id),
                "@type": "dpv:StorageDuration",
                "dct:identifier": r.id,
                "dct:description": self.text(r.text),
                "dpv:hasDuration": duration,
                "dpv:hasPersonalData": [_node_id("data", k) for k in r.categories],
                "privaat:trigger": r.trigger.value,
                "privaat:event": r.event,
                "privaat:eventLabel": self.text(r.event_label),
                "privaat:minimumDuration": r.minimum,
            }
        )


def _duration(kind: str, iso: str) -> dict[str, object]:
    return {"@type": kind, "rdf:value": {"@value": iso, "@type": "xsd:duration"}}


def _clean(node: dict[str, object]) -> dict[str, object]:
    """Drop empty values: JSON-LD has no use for null or [] properties."""
    return {k: v for k, v in node.items() if v is not None and v != []}


def jsonld_document(register: Register) -> dict[str, object]:
    """The register as a JSON-LD document (a dict ready for json.dumps)."""
    return _Graph(register).document()


def to_jsonld(register: Register) -> bytes:
    text = json.dumps(jsonld_document(register), indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")
