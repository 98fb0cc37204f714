"""Routes: the consent ledger. Record, check, read, import, expire.

``GET /consent`` is the hot path applications call before they mail or process: one
indexed query, no audit entry (it returns no personal data beyond what the caller sent).
Everything that writes runs in one transaction with its audit entry.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Annotated, Literal, Self
from urllib.parse import parse_qsl

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import AwareDatetime, BaseModel, Field, ValidationError, model_validator
from sqlalchemy.orm import Session
from starlette import types as asgi
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
from privaat.engine.subjects import IdentityKind
from privaat.errors import InvalidInput, PrivaatError
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
    session: Session, events: list[ConsentEvent], policies: orgs.PolicyCache
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


def recorded(
    services: Services,
    access: OrgAccess,
    body: ConsentIn,
    idempotency_key: str | None,
    sec_gpc: str | None,
) -> RecordedOut:
    """What ``POST …/consents`` does, once its request is read and its caller known."""
    now = services.clock.now()
    proof = Proof(
        channel=Channel(body.channel),
        occurred_at=body.occurred_at or now,
        ip=body.ip,
        user_agent=body.user_agent,
        notice_sha256=body.notice_sha256,
        language=body.language,
    )
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
    return decision_out(_decide(services, access.org_id, ref, purpose))


def _decide(services: Services, org_id: int, ref: consent.SubjectRef, purpose: str) -> Decision:
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


# --------------------------------------------------------------------------- the hot paths

_CHECK_PATH = re.compile(r"/api/v1/orgs/([^/]+)/consent")
_RECORD_PATH = re.compile(r"/api/v1/orgs/([^/]+)/consents")
# What the routes' parameters accept, or less: a value outside goes to the route.
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")
_PURPOSE = re.compile(r"[a-z][a-z0-9_-]{0,63}")
_SUBJECT_ID = re.compile(r"[1-9][0-9]{0,18}")
_IDENTITIES = {
    "email": (IdentityKind.EMAIL, 320),
    "phone": (IdentityKind.PHONE, 40),
    "customer_number": (IdentityKind.CUSTOMER_NUMBER, 100),
}
#: Larger bodies go to the route unread (a consent with its proof is well under 10 kB).
_BODY_MAX = 65_536


class ConsentFastPath:
    """ASGI middleware: answers the common consent check and consent write itself.

    ``GET …/consent`` (applications ask it before every mailing) and ``POST …/consents`` are
    the API's busiest calls, and FastAPI's routing, dependency resolution and validation cost
    more CPU than the database work behind them. This answers only what it can tell the
    route would answer with success, with the same bytes: a well-formed request, a bearer
    token whose caller is cached (``auth_cache_seconds``) and holds the route's scope in the
    organisation, and work that raised no error. Everything else (a missing or malformed
    parameter or body, an unknown or uncached token, an organisation the caller cannot see,
    a purpose the policy lacks, any error) goes on to the app, where :func:`check_consent`
    and :func:`record_consent` answer and document it as before; a write that failed here
    was rolled back. The routes and this share the code that does the work.
    """

    def __init__(self, app: asgi.ASGIApp, services: Services) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            method, path = scope["method"], scope["path"]
            if method == "GET" and (found := _CHECK_PATH.fullmatch(path)):
                body = self._check(scope, found.group(1))
                if body is not None:
                    await Response(body, media_type=JSON)(scope, receive, send)
                    return
            elif method == "POST" and (found := _RECORD_PATH.fullmatch(path)):
                await self._record(scope, receive, send, found.group(1))
                return
        await self.app(scope, receive, send)

    def _check(self, scope: asgi.Scope, slug: str) -> bytes | None:
        """The check's answer, or None to leave the request to the route."""
        access = self._access(scope, slug, Scope.CONSENT_CHECK)
        query = _check_query(scope["query_string"]) if access is not None else None
        if access is None or query is None:
            return None
        purpose, ref = query
        try:
            decided = _decide(self.services, access.org_id, ref, purpose)
        except PrivaatError:
            return None  # the route answers the problem, as it would have anyway
        return decision_out(decided).model_dump_json(by_alias=True).encode()

    async def _record(
        self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send, slug: str
    ) -> None:
        """Record the consent, or leave the request (its body replayed) to the route."""
        body, read = await _json_body(scope, receive)
        access = self._access(scope, slug, Scope.CONSENT_WRITE)
        request = _record_request(scope, body) if access is not None and body else None
        if access is not None and request is not None:
            try:
                out = await run_in_threadpool(recorded, self.services, access, *request)
            except PrivaatError:
                pass  # rolled back: the route answers the problem, as it would have anyway
            else:
                await json_response(out, 201)(scope, receive, send)
                return
        await self.app(scope, _replaying(read, receive), send)

    def _access(self, scope: asgi.Scope, slug: str, needed: Scope) -> OrgAccess | None:
        """The cached caller in the organisation, if it holds ``needed`` there."""
        if not _SLUG.fullmatch(slug):
            return None
        org_id = self.services.known_org_id(slug)
        token = _bearer_token(scope)
        if org_id is None or token is None:
            return None
        principal = self.services.cached_principal(token)
        if principal is None:
            return None
        held = principal.scopes_in(org_id)
        return OrgAccess(org_id, slug, principal, held) if needed in held else None


def _header(scope: asgi.Scope, name: bytes) -> str | None:
    """The first value of a header, as Starlette reads it."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _json_body(
    scope: asgi.Scope, receive: asgi.Receive
) -> tuple[bytes | None, list[asgi.Message]]:
    """The whole body of a small JSON request (None for any other), and the messages read
    for it, which the app gets again if the route is to answer."""
    messages: list[asgi.Message] = []
    length = _header(scope, b"content-length")
    if _header(scope, b"content-type") != JSON or length is None or not length.isdigit():
        return None, messages
    if int(length) > _BODY_MAX:
        return None, messages
    while True:
        messages.append(await receive())
        if messages[-1]["type"] != "http.request":  # the client left
            return None, messages
        if not messages[-1].get("more_body", False):
            return b"".join(m.get("body", b"") for m in messages), messages


def _replaying(messages: list[asgi.Message], receive: asgi.Receive) -> asgi.Receive:
    """``receive`` for the app: first the messages this middleware read, then the rest."""
    pending = list(reversed(messages))

    async def replay() -> asgi.Message:
        return pending.pop() if pending else await receive()

    return replay


def _record_request(
    scope: asgi.Scope, body: bytes
) -> tuple[ConsentIn, str | None, str | None] | None:
    """The consent, Idempotency-Key and Sec-GPC of a valid write, as the route reads them."""
    key = _header(scope, b"idempotency-key")
    gpc = _header(scope, b"sec-gpc")
    if (key is not None and not 1 <= len(key) <= 200) or (gpc is not None and len(gpc) > 16):
        return None
    try:
        consent_in = ConsentIn.model_validate(json.loads(body))
    except (ValueError, ValidationError):
        return None
    return consent_in, key, gpc


def _bearer_token(scope: asgi.Scope) -> str | None:
    """The token as FastAPI's HTTPBearer reads it (the first Authorization header)."""
    scheme, token = get_authorization_scheme_param(_header(scope, b"authorization"))
    return token if scheme.lower() == "bearer" and token else None


def _check_query(raw: bytes) -> tuple[str, consent.SubjectRef] | None:
    """The purpose and the subject of a well-formed query (each parameter once, one subject)."""
    params: dict[str, str] = {}
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if name in params:
            return None
        params[name] = value
    purpose = params.pop("purpose", "")
    subjects_given = [name for name in params if name in _IDENTITIES or name == "subject_id"]
    if not _PURPOSE.fullmatch(purpose) or len(subjects_given) != 1:
        return None
    [name] = subjects_given
    value = params[name]
    if name == "subject_id":
        if not _SUBJECT_ID.fullmatch(value) or int(value) > 2**62:
            return None
        return purpose, int(value)
    kind, longest = _IDENTITIES[name]
    if not 1 <= len(value) <= longest:
        return None
    return purpose, (kind, value)


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
