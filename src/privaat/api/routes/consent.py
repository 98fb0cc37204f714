"""Routes: the consent ledger. Record, check, read, import, expire.

``GET /consent`` is the hot path applications call before they mail or process: one
indexed query, no audit entry (it returns no personal data beyond what the caller sent).
Everything that writes runs in one transaction with its audit entry.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Annotated, Literal, Self

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, Field, model_validator
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from privaat.api.deps import OrgAccess, Services, ServicesDep, require
from privaat.api.routes.subjects import (
    GroupId,
    IdentityFields,
    Language,
    SubjectId,
    audit_read,
    one_identity,
)
from privaat.core.access import Scope
from privaat.engine import consent, orgs, subjects
from privaat.engine.consent import Channel, Decision, EventKind, Proof
from privaat.engine.consent_import import MAX_BYTES, ImportReport, import_csv
from privaat.errors import InvalidInput
from privaat.store.models import ConsentEvent, Organisation

router = APIRouter(prefix="/api/v1/orgs", tags=["consent"])
JSON = "application/json"

PurposeId = Annotated[
    str,
    Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_-]*$", description="A purpose id."),
]


# --------------------------------------------------------------------------- models


class SubjectRefIn(IdentityFields):
    """Who: exactly one of email, phone, customer_number or subject_id."""

    subject_id: int | None = Field(None, ge=1, le=2**62)

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if len(self.identities()) + (self.subject_id is not None) != 1:
            raise ValueError("give exactly one of email, phone, customer_number or subject_id")
        return self


class ClientIn(BaseModel):
    ip: str | None = Field(
        None, max_length=64, description="The person's IP address; stored truncated (/24, /48)."
    )
    user_agent: str | None = Field(
        None, max_length=4096, description="The person's browser; stored cut to 512 characters."
    )


class ConsentIn(SubjectRefIn, ClientIn):
    purpose: PurposeId
    action: Literal["given", "withdrawn", "objected"]
    occurred_at: AwareDatetime | None = Field(
        None, description="When the person acted (default: now); not in the future."
    )
    channel: Literal["api", "web_form"] = "api"
    language: Language | None = Field(
        None, max_length=8, description="The language of the notice the person saw."
    )
    notice_sha256: str | None = Field(
        None,
        pattern=r"^[0-9a-fA-F]{64}$",
        description="SHA-256 of the notice the person saw; default: privaat's notice of the "
        "active policy in `language` (or the policy's first language).",
    )
    groups: list[GroupId] = Field(
        default_factory=list,
        max_length=20,
        description="Subject groups to add, e.g. ['customers'] for an existing customer.",
    )


class GpcIn(SubjectRefIn, ClientIn):
    pass


class ProofOut(BaseModel):
    ip: str | None = Field(description="Truncated: IPv4 /24, IPv6 /48.")
    user_agent: str | None
    notice_sha256: str | None = Field(description="SHA-256 of the notice the person saw.")
    policy_version: int | None = Field(description="Number of the policy version in force.")
    provenance: str | None = Field(description="Where an imported or confirmed event came from.")


class EventOut(BaseModel):
    id: int
    subject_id: int
    purpose: str
    kind: EventKind
    channel: Channel
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    actor: str
    proof: ProofOut


class RecordedOut(EventOut):
    gpc_objections: list[EventOut] = Field(
        default_factory=list,
        description="Objections recorded because the request carried `Sec-GPC: 1`.",
    )


class GpcOut(BaseModel):
    subject_id: int
    objections: list[EventOut]


class DecisionOut(BaseModel):
    allowed: bool
    purpose: str
    basis: str | None = Field(description="The purpose's legal basis.")
    state: consent.State
    reason: consent.Reason
    needs_reconsent: bool
    since: dt.datetime | None = Field(description="When the current state began.")
    expires_at: dt.datetime | None = Field(description="When the given consent lapses.")


class StateOut(BaseModel):
    purpose: str
    state: consent.State
    event_id: int
    since: dt.datetime
    needs_reconsent: bool


class SubjectConsentsOut(BaseModel):
    subject_id: int
    states: list[StateOut]
    history: list[EventOut]


class RowErrorOut(BaseModel):
    line: int = Field(description="1-based line in the file.")
    column: str
    message: str


class ImportReportOut(BaseModel):
    rows: int
    imported: int
    duplicates: int = Field(description="Rows imported before, or repeated in the file.")
    failed: int = Field(description="Rows with errors; none of them was imported.")
    errors: list[RowErrorOut]
    errors_truncated: bool


class ExpiredOut(BaseModel):
    expired: int


# --------------------------------------------------------------------------- helpers


def events_out(
    session: Session, events: Sequence[ConsentEvent | consent.Event], policies: orgs.PolicyCache
) -> list[EventOut]:
    numbers = policies.numbers(session, [e.policy_version_id for e in events])
    return [
        EventOut(
            id=e.id,
            subject_id=e.subject_id,
            purpose=e.purpose,
            kind=EventKind(e.kind),
            channel=Channel(e.channel),
            occurred_at=e.occurred_at,
            recorded_at=e.recorded_at,
            actor=e.actor,
            proof=ProofOut(
                ip=e.ip,
                user_agent=e.user_agent,
                notice_sha256=e.notice_sha256,
                policy_version=numbers.get(e.policy_version_id) if e.policy_version_id else None,
                provenance=e.provenance,
            ),
        )
        for e in events
    ]


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    """``model`` answered as FastAPI answers a route's return value, byte for byte.

    Built here because a plain ``def`` route that returns its model has FastAPI validate it
    once more, in a second hop to the thread pool; the route declares ``response_model`` so
    that OpenAPI shows the same schema.
    """
    return Response(model.model_dump_json(by_alias=True), status_code=status_code, media_type=JSON)


def _org(session: Session, access: OrgAccess) -> Organisation:
    org = session.get(Organisation, access.org_id)
    assert org is not None
    return org


def _subject(
    session: Session,
    ref: SubjectRefIn,
    *,
    access: OrgAccess,
    services: Services,
    now: dt.datetime,
    groups: list[str] | None = None,
    language: str | None = None,
) -> tuple[int, int | None]:
    """The subject the request names: by id (must exist), or by identity (created if new).

    With it the active policy version id when it was read on the way (the common case: an
    identity, no groups, no language), else None.
    """
    if ref.subject_id is None and not groups and not language:
        [(kind, value)] = ref.identities()
        version_id, found = consent.identity_context(session, access.org_id, kind, value)
        if found is None:  # looked up just now, with the policy version: create it
            found = subjects.ensure_unseen(
                session, access.org_id, kind, value, now=now, actor=access.actor
            )
        return found, version_id
    valid: tuple[str, ...] = ()
    if groups:
        version_id = consent.active_version_id(session, access.org_id)
        valid = subjects.validate_groups(services.policies.get(session, version_id), groups)
    if ref.subject_id is not None:
        subjects.update_subject(
            session,
            access.org_id,
            ref.subject_id,
            now=now,
            actor=access.actor,
            groups=valid,
            language=language,
        )
        return ref.subject_id, None
    [(kind, value)] = ref.identities()
    subject_id = subjects.ensure(
        session,
        access.org_id,
        kind,
        value,
        now=now,
        actor=access.actor,
        groups=valid,
        language=language,
    )
    return subject_id, None


# --------------------------------------------------------------------------- routes


@router.post(
    "/{org}/consents",
    status_code=201,
    response_model=RecordedOut,
    summary="Record that a person gave, withdrew or objected, with its proof",
    description="The subject is named by one identity (created when new) or by subject_id. "
    "Giving applies to consent purposes and to direct marketing; withdrawing is exactly as "
    "easy; objecting applies to legitimate-interest, public-task and direct-marketing "
    "purposes. With `Idempotency-Key` a retried request records nothing new and returns the "
    "first event (409 if the key was used for something else). With `Sec-GPC: 1` (Global "
    "Privacy Control) the request also records an objection to every direct-marketing "
    "purpose, except the one consent is given to in this request.",
)
def record_consent(
    body: ConsentIn,
    access: Annotated[OrgAccess, require(Scope.CONSENT_WRITE)],
    services: ServicesDep,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)
    ] = None,
    sec_gpc: Annotated[str | None, Header(alias="Sec-GPC", max_length=16)] = None,
) -> Response:
    out = recorded(services, access, body, idempotency_key, sec_gpc)
    return json_response(out, 201)


def proof_of(body: ConsentIn, now: dt.datetime) -> Proof:
    """The proof a write's body carries (received ``now``)."""
    return Proof(
        channel=Channel(body.channel),
        occurred_at=body.occurred_at or now,
        ip=body.ip,
        user_agent=body.user_agent,
        notice_sha256=body.notice_sha256,
        language=body.language,
    )


def recorded(
    services: Services,
    access: OrgAccess,
    body: ConsentIn,
    idempotency_key: str | None,
    sec_gpc: str | None,
) -> RecordedOut:
    """What ``POST …/consents`` does, once its request is read and its caller known."""
    now = services.clock.now()
    proof = proof_of(body, now)
    kind = EventKind(body.action)
    with services.store.transaction() as session:
        subject_id, version_id = _subject(
            session,
            body,
            access=access,
            services=services,
            now=now,
            groups=body.groups,
            language=body.language,
        )
        event = consent.record(
            session,
            org=access.org_id,
            subject_id=subject_id,
            purpose=body.purpose,
            kind=kind,
            proof=proof,
            actor=access.actor,
            now=now,
            policies=services.policies,
            idempotency_key=idempotency_key,
            version_id=version_id,
        )
        gpc: list[ConsentEvent] = []
        if sec_gpc is not None and sec_gpc.strip() == "1":
            gpc = consent.record_gpc(
                session,
                org=access.org_id,
                subject_id=subject_id,
                proof=Proof(Channel.GPC, now, ip=body.ip, user_agent=body.user_agent),
                actor=access.actor,
                now=now,
                policies=services.policies,
                except_purposes=(body.purpose,) if kind is EventKind.GIVEN else (),
            )
        [main, *extra] = events_out(session, [event, *gpc], services.policies)
    return RecordedOut(**dict(main), gpc_objections=extra)


@router.post(
    "/{org}/consents/gpc",
    status_code=201,
    summary="Honour a Global Privacy Control signal: object to all direct marketing",
    description="Records an objection (channel gpc) to every purpose the policy marks as "
    "direct marketing, except those already objected to or withdrawn. The subject is created "
    "when new, so that the objection holds when it becomes a customer.",
)
def record_gpc(
    body: GpcIn,
    access: Annotated[OrgAccess, require(Scope.CONSENT_WRITE)],
    services: ServicesDep,
) -> GpcOut:
    now = services.clock.now()
    with services.store.transaction() as session:
        subject_id, _version_id = _subject(session, body, access=access, services=services, now=now)
        events = consent.record_gpc(
            session,
            org=access.org_id,
            subject_id=subject_id,
            proof=Proof(Channel.GPC, now, ip=body.ip, user_agent=body.user_agent),
            actor=access.actor,
            now=now,
            policies=services.policies,
        )
        return GpcOut(
            subject_id=subject_id, objections=events_out(session, events, services.policies)
        )


@router.get(
    "/{org}/consent",
    summary="May we process for this purpose? The fast current-state check",
    description="Name the subject by exactly one of email, phone, customer_number or "
    "subject_id. `allowed` applies the policy: consent purposes need a valid consent (not "
    "withdrawn, not lapsed, not waiting for re-consent after a text change); soft opt-in "
    "marketing reaches existing customers until they object, prospects only with consent; "
    "other legitimate-interest purposes stand until an objection; contract and legal "
    "obligation purposes do not rest on consent. An unknown subject has state `none`. "
    "Not audited: the answer holds no personal data beyond what the caller sent.",
)
async def check_consent(
    purpose: Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_-]*$")],
    access: Annotated[OrgAccess, require(Scope.CONSENT_CHECK)],
    services: ServicesDep,
    email: Annotated[str | None, Query(min_length=1, max_length=320)] = None,
    phone: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    customer_number: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    subject_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> DecisionOut:
    """Not audited: the answer holds no personal data beyond what the caller sent.

    A coroutine that reads on the event loop: one indexed statement, cheaper than the hop
    to the thread pool a plain ``def`` route takes.
    """
    ref: consent.SubjectRef
    if subject_id is not None:
        if email or phone or customer_number:
            raise InvalidInput("give exactly one of email, phone, customer_number or subject_id")
        ref = subject_id
    else:
        ref = one_identity(email, phone, customer_number)
    return decision_out(decide(services, access.org_id, ref, purpose))


def decide(services: Services, org_id: int, ref: consent.SubjectRef, purpose: str) -> Decision:
    now = services.clock.now()
    return services.store.quick_read(
        lambda conn: consent.check(conn, org_id, ref, purpose, services.policies, now)
    )


def decision_out(decided: Decision) -> DecisionOut:
    return DecisionOut(
        allowed=decided.allowed,
        purpose=decided.purpose,
        basis=decided.basis,
        state=decided.state,
        reason=decided.reason,
        needs_reconsent=decided.needs_reconsent,
        since=decided.since,
        expires_at=decided.expires_at,
    )


@router.get(
    "/{org}/subjects/{subject_id}/consents",
    summary="A subject's current consents and the full ledger with proof (audited)",
)
def subject_consents(
    subject_id: SubjectId,
    access: Annotated[OrgAccess, require(Scope.CONSENT_READ)],
    services: ServicesDep,
    purpose: Annotated[
        str | None, Query(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_-]*$")
    ] = None,
) -> SubjectConsentsOut:
    with services.store.transaction() as session:
        subjects.get(session, access.org_id, subject_id)  # NotFound for another org's subject
        audit_read(session, access, services.clock.now(), "consent.read", subject_id)
        current = consent.states(session, access.org_id, subject_id)
        events = consent.history(session, access.org_id, subject_id, purpose)
        return SubjectConsentsOut(
            subject_id=subject_id,
            states=[
                StateOut(
                    purpose=s.purpose,
                    state=consent.State(s.kind),
                    event_id=s.event_id,
                    since=s.occurred_at,
                    needs_reconsent=s.needs_reconsent,
                )
                for s in current
                if purpose is None or s.purpose == purpose
            ],
            history=events_out(session, events, services.policies),
        )


CSV_TYPES = ("text/csv", "application/csv", "text/plain")


@router.post(
    "/{org}/consents/import",
    summary="Import an existing consent list (CSV) with its provenance",
    description="The body is the CSV file (`Content-Type: text/csv`, UTF-8, at most 50 MB) "
    "with a header row: one identity column (email, phone or customer_number), purpose, "
    "status (given, withdrawn or objected) and occurred_at (ISO date or date-time), and "
    "optionally ip, user_agent, language and groups (separated by `|`). `source` says where "
    "the list comes from and is recorded on every event. Rows with errors are reported by "
    "line and not imported (200); a file without a usable header is refused (422); rows "
    "imported before are skipped.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def import_consents(
    request: Request,
    source: Annotated[
        str,
        Query(min_length=1, max_length=500, description="e.g. 'Mailchimp export 2024-05-01'"),
    ],
    access: Annotated[OrgAccess, require(Scope.CONSENT_IMPORT)],
    services: ServicesDep,
) -> ImportReportOut:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in CSV_TYPES:
        raise HTTPException(415, "send the file as text/csv")
    body = await _read_capped(request, MAX_BYTES)

    def work() -> ImportReport:
        with services.store.transaction() as session:
            return import_csv(
                session,
                org=_org(session, access),
                data=io.BytesIO(body),
                source=source,
                actor=access.actor,
                now=services.clock.now(),
                policies=services.policies,
                name="upload.csv",
            )

    report = await run_in_threadpool(work)
    return ImportReportOut(
        rows=report.rows,
        imported=report.imported,
        duplicates=report.duplicates,
        failed=report.failed,
        errors=[
            RowErrorOut(line=e.line, column=e.column, message=e.message) for e in report.errors
        ],
        errors_truncated=report.errors_truncated,
    )


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    too_big = HTTPException(413, f"the file is larger than {limit // 2**20} MB")
    if declared.isdigit() and int(declared) > limit:
        raise too_big
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/{org}/consents/expire",
    summary="Expire the consents past their purpose's expires_after now",
    description="Appends an expired event for each; the sweep a scheduler runs daily.",
)
def expire_consents(
    access: Annotated[OrgAccess, require(Scope.CONSENT_WRITE)], services: ServicesDep
) -> ExpiredOut:
    with services.store.transaction() as session:
        count = consent.expire_due(
            session,
            org=_org(session, access),
            now=services.clock.now(),
            policies=services.policies,
            actor=access.actor,
        )
    return ExpiredOut(expired=count)
