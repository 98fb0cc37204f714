"""The Art. 30 register as typed records, built from a policy.

One :class:`ControllerRecord` (Art. 30(1) GDPR) per activity the organisation carries
out as controller or joint controller, one :class:`ProcessorRecord` (Art. 30(2)) per
activity it carries out as processor. Building is pure: the same policy and language
give the same records. Every text is in one language; each entry carries both its
data and its ``text``, the line the register prints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from privaat.core.duration import Duration
from privaat.core.law import AUTHORITIES, EEA, STATUTES
from privaat.core.policy.model import (
    LANGUAGES,
    Activity,
    Address,
    Art9Condition,
    Lang,
    LegalBasis,
    MeasureKind,
    Person,
    Policy,
    Purpose,
    RecipientRole,
    RetentionAction,
    Role,
    Source,
    TransferMechanism,
    Trigger,
    pick,
)
from privaat.errors import UsageError
from privaat.i18n import Words
from privaat.register import labels

# --------------------------------------------------------------------------- entries


@dataclass(frozen=True, slots=True)
class Party:
    """A named organisation or person with its contact details."""

    name: str
    address: str | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    country: str | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class PurposeEntry:
    id: str
    name: str
    description: str | None
    legal_basis: LegalBasis | None
    legal_basis_text: str
    basis_detail: str | None
    marketing: bool
    profiling: bool
    text: str
    basis_line: str


@dataclass(frozen=True, slots=True)
class SubjectEntry:
    id: str
    label: str
    text: str


@dataclass(frozen=True, slots=True)
class CategoryEntry:
    key: str
    label: str
    special: bool
    criminal: bool
    art9_condition: Art9Condition | None
    text: str
    flag_text: str | None  # the special-category line, for special or criminal data


@dataclass(frozen=True, slots=True)
class SourceEntry:
    source: Source
    text: str


@dataclass(frozen=True, slots=True)
class RecipientEntry:
    id: str
    name: str
    role: RecipientRole
    country: str
    third_country: bool
    categories: tuple[str, ...]
    dpa_signed: dt.date | None
    dpa_in_place: bool  # an agreement exists (always true when dpa_signed is set)
    text: str


@dataclass(frozen=True, slots=True)
class TransferEntry:
    recipient_id: str
    recipient: str
    country: str
    mechanism: TransferMechanism
    safeguard: str
    detail: str | None
    documentation: str | None  # Art. 49(1) second subparagraph, for a derogation
    text: str


@dataclass(frozen=True, slots=True)
class RetentionEntry:
    id: str
    description: str
    categories: tuple[str, ...]
    maximum: str | None
    minimum: str | None
    trigger: Trigger
    event: str | None
    event_label: str | None  # how the policy names the event, in the register's language
    action: RetentionAction
    holds: tuple[str, ...]
    text: str
    iso: str


@dataclass(frozen=True, slots=True)
class HoldEntry:
    id: str
    kind: str
    description: str
    statute: str
    statute_title: str
    duration: str
    from_end_of_year: bool
    country: str
    categories: tuple[str, ...]
    text: str
    iso: str


@dataclass(frozen=True, slots=True)
class MeasureEntry:
    id: str
    kind: MeasureKind
    label: str
    text: str


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class ControllerRecord:
    """Art. 30(1) GDPR: an activity the organisation carries out as (joint) controller."""

    activity_id: str
    activity: str
    description: str | None
    role: Role
    controller: Party
    joint_controllers: tuple[Party, ...]
    representative: Party | None
    dpo: Party | None
    purposes: tuple[PurposeEntry, ...]
    data_subjects: tuple[SubjectEntry, ...]
    data_categories: tuple[CategoryEntry, ...]
    sources: tuple[SourceEntry, ...]
    source_detail: str | None
    recipients: tuple[RecipientEntry, ...]
    transfers: tuple[TransferEntry, ...]
    retention: tuple[RetentionEntry, ...]
    holds: tuple[HoldEntry, ...]
    security: tuple[MeasureEntry, ...]
    systems: tuple[str, ...]

    @property
    def special_categories(self) -> tuple[CategoryEntry, ...]:
        return tuple(c for c in self.data_categories if c.flag_text)


@dataclass(frozen=True, slots=True)
class ProcessorRecord:
    """Art. 30(2) GDPR: an activity the organisation carries out as processor."""

    activity_id: str
    activity: str
    description: str | None
    processor: Party
    controllers: str | None  # on whose behalf: activity.on_behalf_of
    representative: Party | None
    dpo: Party | None
    processing: str  # the categories of processing carried out
    purposes: tuple[PurposeEntry, ...]
    data_subjects: tuple[SubjectEntry, ...]
    data_categories: tuple[CategoryEntry, ...]
    sources: tuple[SourceEntry, ...]
    source_detail: str | None
    sub_processors: tuple[RecipientEntry, ...]
    transfers: tuple[TransferEntry, ...]
    retention: tuple[RetentionEntry, ...]
    holds: tuple[HoldEntry, ...]
    security: tuple[MeasureEntry, ...]
    systems: tuple[str, ...]

    @property
    def special_categories(self) -> tuple[CategoryEntry, ...]:
        return tuple(c for c in self.data_categories if c.flag_text)


@dataclass(frozen=True, slots=True)
class ControllerIdentity:
    """Who keeps the register: the organisation, as the policy names it."""

    party: Party
    legal_name: str | None
    kbo: str | None
    kvk: str | None
    vat: str | None
    privacy_contact: str | None
    dpo: Party | None
    representative: Party | None
    jurisdiction: str
    supervisory_authority: str


@dataclass(frozen=True, slots=True)
class Register:
    """The whole Art. 30 register of one policy version, in one language."""

    lang: Lang
    policy_version: str
    policy_date: dt.date
    controller: ControllerIdentity
    controller_records: tuple[ControllerRecord, ...]
    processor_records: tuple[ProcessorRecord, ...]


# --------------------------------------------------------------------------- building


def build_register(policy: Policy, lang: str | None = None) -> Register:
    """The register of `policy`, in `lang` (default: the policy's first language)."""
    language = lang or policy.languages[0]
    if language not in LANGUAGES:
        raise UsageError(f"unknown language {language!r}; choose one of {', '.join(LANGUAGES)}")
    return _Builder(policy, language).register()


class _Builder:
    def __init__(self, policy: Policy, lang: Lang) -> None:
        self.p = policy
        self.lang = lang
        self.w = Words(lang)
        self.order: Sequence[str] = list(policy.languages)

    def txt(self, text: Mapping[Lang, str] | None) -> str | None:
        """A policy text in the register's language, else in the policy's first that has it."""
        found = pick(text, self.lang, self.order)
        return found[1] if found else None

    def register(self) -> Register:
        org = self.organisation()
        controller = [a for a in self.p.activities if a.role is not Role.PROCESSOR]
        processor = [a for a in self.p.activities if a.role is Role.PROCESSOR]
        return Register(
            lang=self.lang,
            policy_version=self.p.version,
            policy_date=self.p.date,
            controller=org,
            controller_records=tuple(self.controller_record(a, org) for a in controller),
            processor_records=tuple(self.processor_record(a, org) for a in processor),
        )

    # -- parties

    def organisation(self) -> ControllerIdentity:
        c = self.p.controller
        display = (
            c.name if not c.legal_name or c.legal_name == c.name else f"{c.name} ({c.legal_name})"
        )
        party = _party(
            c.name,
            c.address,
            c.privacy_contact or c.contact.email,
            c.contact.phone,
            c.contact.website,
            # Without an address, the country of the main establishment still places it.
            country=c.address.country if c.address else self.p.jurisdiction,
            display=display,
        )
        authority = self.p.supervisory_authority
        known = AUTHORITIES.get(authority.key)
        found = pick(known.name, self.lang) if known else None
        authority_name = authority.name or (found[1] if found else authority.key)
        return ControllerIdentity(
            party=party,
            legal_name=c.legal_name,
            kbo=c.identifiers.kbo,
            kvk=c.identifiers.kvk,
            vat=c.identifiers.vat,
            privacy_contact=c.privacy_contact,
            dpo=_person(c.dpo),
            representative=_person(c.representative),
            jurisdiction=self.p.jurisdiction,
            supervisory_authority=authority_name,
        )

    # -- records

    def controller_record(self, a: Activity, org: ControllerIdentity) -> ControllerRecord:
        recipients = self.recipients(a)
        joint = tuple(
            _party(r.name, None, None, None, r.privacy_policy, country=r.country)
            for r in (self.p.recipient(rid) for rid in a.recipients)
            if r is not None and r.role is RecipientRole.JOINT_CONTROLLER
        )
        if not joint and a.role is Role.JOINT_CONTROLLER and a.on_behalf_of:
            joint = (_party(self.txt(a.on_behalf_of) or "", None, None, None, None),)
        return ControllerRecord(
            activity_id=a.id,
            activity=self.txt(a.name) or a.id,
            description=self.txt(a.description),
            role=a.role,
            controller=org.party,
            joint_controllers=joint,
            representative=org.representative,
            dpo=org.dpo,
            purposes=self.purposes(a),
            data_subjects=self.subjects(a),
            data_categories=self.categories(a),
            sources=self.sources(a),
            source_detail=self.txt(a.source_detail),
            recipients=recipients,
            transfers=self.transfers(a),
            retention=self.retention(a),
            holds=self.holds(a),
            security=self.security(),
            systems=tuple(a.systems),
        )

    def processor_record(self, a: Activity, org: ControllerIdentity) -> ProcessorRecord:
        purposes = self.purposes(a)
        name = self.txt(a.name) or a.id
        description = self.txt(a.description)
        processing = f"{name} — {description}" if description else name
        if purposes:
            processing += f" ({', '.join(p.name for p in purposes)})"
        return ProcessorRecord(
            activity_id=a.id,
            activity=name,
            description=description,
            processor=org.party,
            controllers=self.txt(a.on_behalf_of),
            representative=org.representative,
            dpo=org.dpo,
            processing=processing,
            purposes=purposes,
            data_subjects=self.subjects(a),
            data_categories=self.categories(a),
            sources=self.sources(a),
            source_detail=self.txt(a.source_detail),
            sub_processors=self.recipients(a),
            transfers=self.transfers(a),
            retention=self.retention(a),
            holds=self.holds(a),
            security=self.security(),
            systems=tuple(a.systems),
        )

    # -- entries

    def purposes(self, a: Activity) -> tuple[PurposeEntry, ...]:
        found = (self.p.purpose(pid) for pid in a.purposes)
        return tuple(self.purpose(p) for p in found if p is not None)

    def purpose(self, p: Purpose) -> PurposeEntry:
        name = self.txt(p.name) or p.id
        description = self.txt(p.description)
        basis = p.basis
        basis_text = (
            self.w._(labels.LEGAL_BASIS[basis]) if basis else self.w._("no single legal basis")
        )
        detail = self.basis_detail(p, basis)
        return PurposeEntry(
            id=p.id,
            name=name,
            description=description,
            legal_basis=basis,
            legal_basis_text=basis_text,
            basis_detail=detail,
            marketing=p.marketing,
            profiling=p.profiling,
            text=f"{name}: {description}" if description else name,
            basis_line=f"{name}: {basis_text}" + (f" — {detail}" if detail else ""),
        )

    def basis_detail(self, p: Purpose, basis: LegalBasis | None) -> str | None:
        if basis is LegalBasis.CONSENT and p.consent:
            parts = [self.txt(p.consent.mechanism)]
            if p.consent.implied:
                parts.append(self.w._("consent inferred from use of the website or service"))
            return " — ".join(x for x in parts if x) or None
        if basis is LegalBasis.CONTRACT:
            return self.txt(p.contract)
        if basis is LegalBasis.LEGAL_OBLIGATION and p.legal_obligation:
            return ", ".join(self.statute_title(s) for s in p.legal_obligation.statutes) or None
        if basis is LegalBasis.LEGITIMATE_INTEREST and p.legitimate_interest:
            li = p.legitimate_interest
            parts = [self.txt(li.interest), self.txt(li.balancing)]
            return " — ".join(x for x in parts if x) or None
        return None

    def statute_title(self, key: str) -> str:
        statute = STATUTES.get(key)
        found = pick(statute.title, self.lang) if statute else None
        return found[1] if found else key

    def subjects(self, a: Activity) -> tuple[SubjectEntry, ...]:
        out = []
        for sid in a.subjects:
            s = self.p.subject(sid)
            label = (self.txt(s.label) if s else None) or sid
            out.append(SubjectEntry(sid, label, label))
        return tuple(out)

    def categories(self, a: Activity) -> tuple[CategoryEntry, ...]:
        out = []
        for key in a.categories:
            c = self.p.category(key)
            label = (self.txt(c.label) if c else None) or key
            special = bool(c and c.special)
            criminal = bool(c and c.criminal)
            condition = c.art9_condition if c else None
            flags = []
            if special and condition:
                flags.append(self.w._(labels.ART9[condition]))
            elif special:
                flags.append(self.w._("no Art. 9(2) GDPR condition stated"))
            if criminal:
                flags.append(self.w._("criminal convictions and offences (Art. 10 GDPR)"))
            flag_text = f"{label} ({key}): {', '.join(flags)}" if flags else None
            out.append(
                CategoryEntry(
                    key, label, special, criminal, condition, f"{label} ({key})", flag_text
                )
            )
        return tuple(out)

    def sources(self, a: Activity) -> tuple[SourceEntry, ...]:
        return tuple(SourceEntry(s, self.w._(labels.SOURCE[s])) for s in a.sources)

    def recipients(self, a: Activity) -> tuple[RecipientEntry, ...]:
        out = []
        for rid in a.recipients:
            r = self.p.recipient(rid)
            if r is None:
                continue
            notes = [self.w._(labels.RECIPIENT_ROLE[r.role]), r.country]
            if r.dpa_signed is not None:
                notes.append(
                    self.w._(
                        "data processing agreement signed on %(date)s",
                        date=r.dpa_signed.isoformat(),
                    )
                )
            elif r.dpa_in_place:
                notes.append(self.w._("data processing agreement concluded"))
            out.append(
                RecipientEntry(
                    id=r.id,
                    name=r.name,
                    role=r.role,
                    country=r.country,
                    third_country=r.country not in EEA,
                    categories=tuple(r.categories),
                    dpa_signed=r.dpa_signed,
                    dpa_in_place=r.dpa_in_place or r.dpa_signed is not None,
                    text=f"{r.name} ({', '.join(notes)})",
                )
            )
        return tuple(out)

    def transfers(self, a: Activity) -> tuple[TransferEntry, ...]:
        out = []
        for rid in a.recipients:
            r = self.p.recipient(rid)
            if r is None or r.country in EEA:
                continue
            safeguard = self.w._(labels.TRANSFER[r.transfer])
            detail = self.txt(r.transfer_detail)
            documentation = None
            text = f"{r.name} → {r.country}: {safeguard}"
            if r.transfer is TransferMechanism.DEROGATION:
                documentation = detail or self.w._("not documented")
                safeguards = self.w._(
                    "documentation of suitable safeguards (Art. 49(1) second subparagraph GDPR)"
                )
                text += f" — {safeguards}: {documentation}"
            elif detail:
                text += f" — {detail}"
            out.append(
                TransferEntry(
                    r.id, r.name, r.country, r.transfer, safeguard, detail, documentation, text
                )
            )
        return tuple(out)

    def retention(self, a: Activity) -> tuple[RetentionEntry, ...]:
        out = []
        for rid in a.retention:
            r = self.p.retention_rule(rid)
            if r is None:
                continue
            description = self.txt(r.description) or r.id
            event_label = self.txt(r.event_label) if r.trigger is Trigger.EVENT else None
            counted_from = labels.trigger(self.w, r.trigger)
            if r.trigger is Trigger.EVENT:
                counted_from = event_label or r.event or counted_from
            if r.maximum is not None and r.maximum == Duration():
                if r.trigger is Trigger.PROCEDURE_END:
                    limit = self.w._("only while the procedure runs")
                else:
                    limit = self.w._("immediately after %(trigger)s", trigger=counted_from)
            elif r.maximum is not None:
                limit = self.w._(
                    "at most %(duration)s after %(trigger)s",
                    duration=self.w.duration(r.maximum),
                    trigger=counted_from,
                )
            elif r.trigger is Trigger.SCHEDULE and r.schedule is not None:
                limit = self.w._(
                    "removed in a sweep every %(duration)s", duration=self.w.duration(r.schedule)
                )
            else:
                limit = self.w._("no maximum retention stated")
            if r.minimum is not None:
                minimum = self.w._("at least %(duration)s", duration=self.w.duration(r.minimum))
                limit += f" ({minimum})"
            text = f"{description}: {limit}, {self.w._(labels.ACTION[r.action])}"
            anchor = r.event if r.trigger is Trigger.EVENT and r.event else r.trigger.value
            maximum = r.maximum.iso() if r.maximum is not None else None
            iso = f"{r.id}: {maximum or 'no maximum'} after {anchor}, {r.action.value}"
            out.append(
                RetentionEntry(
                    id=r.id,
                    description=description,
                    categories=tuple(r.categories),
                    maximum=maximum,
                    minimum=r.minimum.iso() if r.minimum is not None else None,
                    trigger=r.trigger,
                    event=r.event,
                    event_label=event_label,
                    action=r.action,
                    holds=tuple(r.holds),
                    text=text,
                    iso=iso,
                )
            )
        return tuple(out)

    def holds(self, a: Activity) -> tuple[HoldEntry, ...]:
        ids = list(a.holds)
        for rid in a.retention:
            rule = self.p.retention_rule(rid)
            ids.extend(rule.holds if rule else ())
        out = []
        for hid in dict.fromkeys(ids):
            h = self.p.hold(hid)
            if h is None:
                continue
            description = self.txt(h.description) or h.id
            title = self.statute_title(h.statute)
            values = {
                "what": description,
                "duration": self.w.duration(h.duration),
                "statute": title,
            }
            if h.from_end_of_year:
                text = self.w._(
                    "%(what)s: kept by law for %(duration)s from 1 January after the year of "
                    "the document — %(statute)s",
                    **values,
                )
            else:
                text = self.w._("%(what)s: kept by law for %(duration)s — %(statute)s", **values)
            iso = f"{h.id}: {h.duration.iso()} statutory hold" + (
                " from end of year" if h.from_end_of_year else ""
            )
            out.append(
                HoldEntry(
                    id=h.id,
                    kind=h.kind,
                    description=description,
                    statute=h.statute,
                    statute_title=title,
                    duration=h.duration.iso(),
                    from_end_of_year=h.from_end_of_year,
                    country=h.country,
                    categories=tuple(h.categories),
                    text=text,
                    iso=iso,
                )
            )
        return tuple(out)

    def security(self) -> tuple[MeasureEntry, ...]:
        out = []
        for m in self.p.security:
            label = self.txt(m.label) or m.id
            kind = self.w._(labels.MEASURE_KIND[m.kind])
            out.append(MeasureEntry(m.id, m.kind, label, f"{label} ({kind})"))
        return tuple(out)


def _address(a: Address | None) -> str | None:
    if a is None:
        return None
    return f"{a.street}, {a.postcode} {a.city}, {a.country}"


def _party(
    name: str,
    address: Address | None,
    email: str | None,
    phone: str | None,
    website: str | None,
    *,
    country: str | None = None,
    display: str | None = None,
) -> Party:
    addr = _address(address)
    country = country or (address.country if address else None)
    parts = [display or name, addr or country, email, phone, website]
    text = " — ".join(p for p in parts if p)
    return Party(name, addr, email, phone, website, country, text)


def _person(person: Person | None) -> Party | None:
    if person is None:
        return None
    return _party(person.name, person.address, person.email, person.phone, None)
