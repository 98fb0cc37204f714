"""Filing a rights request: who asks, for what, in which language, through which channel.

The person is named by one identity, validated and normalised as the subjects' identities
are (e-mail lower-cased; a phone number in E.164, read with the organisation's country,
Belgium or the Netherlands, as the default region; a customer number trimmed). The request
is linked to the subject with that identity when the organisation knows one; privaat never
creates a subject for a request.

What each kind needs (``details``):

- rectification: ``{field: new value}``, a field being a data category of the policy
  (``user.contact.address``) or an identity kind (``email``, ``phone``, ``customer_number``,
  whose new value is normalised);
- objection: ``{"purposes": [...]}``, purposes of the active policy one can object to
  (legitimate interest, public task, direct marketing: Art. 21);
- withdrawal: ``{"purposes": [...]}``, purposes resting on consent (or direct marketing);
- review: ``{"decision": id}``, an automated decision of the active policy (Art. 22(3));
- the others take no details.

The deadline runs from receipt (:mod:`privaat.core.deadlines`); the receipt is acknowledged
to the person's e-mail address, in their language, through the outbox. The audit entry
records the kind, the channel, the identity's kind and the deadline: never the identity.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import phonenumbers
from sqlalchemy.orm import Session

from privaat.core.deadlines import reply_due
from privaat.core.policy import Policy
from privaat.core.policy.model import LANGUAGES
from privaat.core.requests import RequestChannel, RequestKind, RequestStatus
from privaat.engine import subjects
from privaat.engine.consent import EventKind, accepts
from privaat.engine.orgs import PolicyCache
from privaat.engine.rights import letters, records
from privaat.engine.subjects import IdentityKind
from privaat.errors import InvalidInput
from privaat.store.models import Organisation, RightsRequest, Subject

E = TypeVar("E", RequestKind, RequestChannel, IdentityKind)

#: Regions a phone number without its country code is read in, by jurisdiction.
DEFAULT_REGION: Final = {"BE": "BE", "NL": "NL"}

MAX_FIELDS: Final = 50
MAX_VALUE: Final = 1000
#: How far in the past a receipt may be entered (a letter that arrived before it was typed in).
MAX_BACKDATE: Final = dt.timedelta(days=31)


@dataclass(frozen=True, slots=True)
class Filed:
    request: RightsRequest
    acknowledged: bool  # False: no e-mail address known, answer through the request's channel


def normalise_identity(kind: IdentityKind | str, value: str, region: str = "BE") -> str:
    """An identity as requests and subjects store it (InvalidInput when it is not one)."""
    try:
        kind = IdentityKind(kind)
    except ValueError:
        raise InvalidInput("an identity is an email, a phone or a customer_number") from None
    if kind is not IdentityKind.PHONE:
        return subjects.normalise(kind, value)
    text = value.strip()
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise InvalidInput(
            "not a valid phone number (e.g. +32 470 12 34 56, 0470 12 34 56 or 06 12345678)"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def file_request(
    session: Session,
    *,
    org: Organisation,
    kind: RequestKind | str,
    identity_kind: IdentityKind | str,
    identity_value: str,
    language: str | None,
    channel: RequestChannel | str,
    details: Mapping[str, Any] | None,
    now: dt.datetime,
    actor: str,
    policies: PolicyCache | None = None,
    received_at: dt.datetime | None = None,
) -> Filed:
    """File a request, link it to a known subject, acknowledge it, audit it."""
    request_kind = _choice(RequestKind, kind, "kind")
    request_channel = _choice(RequestChannel, channel, "channel")
    policy = records.policy_of(session, org, policies)
    region = DEFAULT_REGION.get(policy.jurisdiction if policy else "", "BE")
    identity = IdentityKind(_choice(IdentityKind, identity_kind, "identity"))
    value = normalise_identity(identity, identity_value, region)
    subject_id = subjects.find(session, org.id, identity, value)
    received = _received(received_at, now)
    lang = _language(session, language, subject_id, policy)
    checked = validate_details(request_kind, details or {}, policy, region)
    request = RightsRequest(
        org_id=org.id,
        reference=records.new_reference(),
        kind=request_kind.value,
        status=RequestStatus.RECEIVED.value,
        subject_id=subject_id,
        identity_kind=identity.value,
        identity_value=value,
        language=lang,
        channel=request_channel.value,
        details=json.dumps(checked, ensure_ascii=False, sort_keys=True),
        received_at=received,
        due_at=reply_due(received, policy.rights.deadline if policy else None),
        created_by=actor,
    )
    session.add(request)
    session.flush()
    records.audit(
        session,
        request,
        "request.filed",
        actor=actor,
        now=now,
        kind=request_kind.value,
        channel=request_channel.value,
        identity=identity.value,
        language=lang,
        due_at=request.due_at.isoformat(),
        **_audit_details(request_kind, checked),
    )
    message = letters.notify(
        session, request, letters.LetterKind.ACKNOWLEDGEMENT, org=org, policy=policy, now=now
    )
    return Filed(request, message is not None)


def _choice(enum: type[E], value: str, what: str) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise InvalidInput(f"{what} must be one of {allowed}") from None


def _received(received_at: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    if received_at is None:
        return now
    if received_at.tzinfo is None:
        raise InvalidInput("received_at needs a time zone")
    if received_at > now:
        raise InvalidInput("received_at cannot lie in the future")
    if received_at < now - MAX_BACKDATE:
        raise InvalidInput("received_at lies more than 31 days back: enter requests as they come")
    return received_at


def _language(
    session: Session, language: str | None, subject_id: int | None, policy: Policy | None
) -> str:
    if language:
        if language not in LANGUAGES:
            raise InvalidInput(f"language must be one of {', '.join(LANGUAGES)}")
        return language
    if subject_id is not None:
        subject = session.get(Subject, subject_id)
        if subject is not None and subject.language in LANGUAGES:
            return subject.language
    if policy is not None and policy.languages:
        return policy.languages[0]
    return "nl"


# --------------------------------------------------------------------------- details


def validate_details(
    kind: RequestKind, details: Mapping[str, Any], policy: Policy | None, region: str = "BE"
) -> dict[str, Any]:
    """The details a request of `kind` carries, checked against the active policy."""
    if not isinstance(details, Mapping):
        raise InvalidInput("details must be an object")
    if kind is RequestKind.RECTIFICATION:
        return _rectification(details, policy, region)
    if kind in (RequestKind.OBJECTION, RequestKind.WITHDRAWAL):
        return {"purposes": _purposes(kind, details, policy)}
    if kind is RequestKind.REVIEW:
        return {"decision": _decision(details, policy)}
    if details:
        raise InvalidInput(
            f"a request for {kind.value} takes no details (rectification, objection, "
            "withdrawal and review do)"
        )
    return {}


def _rectification(
    details: Mapping[str, Any], policy: Policy | None, region: str
) -> dict[str, str]:
    if not details:
        raise InvalidInput("a rectification names what to correct: {field: new value}")
    if len(details) > MAX_FIELDS:
        raise InvalidInput(f"a rectification corrects at most {MAX_FIELDS} fields")
    identity_kinds = {k.value for k in IdentityKind}
    out: dict[str, str] = {}
    for field, value in details.items():
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput(f"the new value of {field!r} must be non-empty text")
        if len(value) > MAX_VALUE or not records.printable(value):
            raise InvalidInput(
                f"the new value of {field!r} is at most {MAX_VALUE} printable characters"
            )
        if field in identity_kinds:
            out[field] = normalise_identity(field, value, region)
        elif policy is not None and policy.category(field) is not None:
            out[field] = value.strip()
        else:
            raise InvalidInput(
                f"{str(field)[:80]!r} is neither a data category of the active policy nor "
                "email, phone or customer_number"
            )
    return out


def _purposes(kind: RequestKind, details: Mapping[str, Any], policy: Policy | None) -> list[str]:
    extra = set(details) - {"purposes"}
    wanted = details.get("purposes")
    if extra or not isinstance(wanted, list) or not wanted:
        raise InvalidInput(f"a request for {kind.value} names its purposes: {{'purposes': [...]}}")
    if policy is None:
        raise InvalidInput("the organisation has no policy loaded: there are no purposes yet")
    event = EventKind.OBJECTED if kind is RequestKind.OBJECTION else EventKind.WITHDRAWN
    out: list[str] = []
    for pid in wanted:
        purpose = policy.purpose(pid) if isinstance(pid, str) else None
        if purpose is None:
            raise InvalidInput(f"the active policy has no purpose {str(pid)[:64]!r}")
        if not accepts(purpose, event):
            why = (
                "one can object only to legitimate interest, public task and direct marketing"
                if event is EventKind.OBJECTED
                else "only consent (or direct marketing) can be withdrawn"
            )
            basis = purpose.basis.value if purpose.basis else "no single legal basis"
            raise InvalidInput(f"purpose {pid!r} rests on {basis}: {why}")
        if pid not in out:
            out.append(pid)
    return out


def _decision(details: Mapping[str, Any], policy: Policy | None) -> str:
    decision = details.get("decision")
    if set(details) != {"decision"} or not isinstance(decision, str):
        raise InvalidInput("a request for review names the decision: {'decision': id}")
    known = [d.id for d in policy.automated_decisions] if policy is not None else []
    if decision not in known:
        listed = ", ".join(known) or "none"
        raise InvalidInput(
            f"the active policy has no automated decision {decision[:64]!r} (it has: {listed})"
        )
    return decision


def _audit_details(kind: RequestKind, details: Mapping[str, Any]) -> dict[str, object]:
    """What the audit may say about the details: which fields, purposes or decision, never
    the new values."""
    if kind is RequestKind.RECTIFICATION:
        return {"fields": sorted(details)}
    return dict(details)
