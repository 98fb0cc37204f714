"""Routes: rights requests. Intake, verification, extension, rejection; and the person's side.

Staff and applications file and handle requests under ``/api/v1/orgs/{org}/requests`` with
the ``requests:*`` scopes. Reading one request shows the person's identity and is audited;
the list shows no identity (references, kinds, statuses, deadlines).

The person verifies without a token: ``POST …/requests/{reference}/verify`` with the code
they were mailed (every try counts against the code's budget, and every failure is the
same 404, so that a guesser cannot tell an unknown reference from a wrong code), or the
link they were mailed, whose page (``/p/{org}/verify/{token}``) shows a button; only the
button's POST verifies, as with double opt-in (mail scanners fetch links).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Self

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session

from privaat.api import problems
from privaat.api.deps import OrgAccess, Services, ServicesDep, require
from privaat.api.routes.public import PAGE_HEADERS, PAGE_RESPONSES, LangQuery, _language, _page
from privaat.core import deadlines
from privaat.core.access import Scope
from privaat.core.policy.model import Lang
from privaat.core.requests import OPEN, RequestChannel, RequestKind, RequestStatus
from privaat.engine import links
from privaat.engine.rights import closing, intake, letters, outbox, records, verify
from privaat.engine.rights import deadlines as extensions
from privaat.engine.subjects import IdentityKind
from privaat.errors import LinkInvalid, NotFound, PrivaatError
from privaat.store.models import Organisation, RightsRequest

router = APIRouter()
api = APIRouter(prefix="/api/v1/orgs", tags=["requests"])

Reference = Annotated[
    str,
    Path(
        min_length=16,
        max_length=32,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The request's reference (given when it was filed).",
    ),
]
Reason = Annotated[str, Field(min_length=1, max_length=records.MAX_REASON)]

#: What the person's code endpoint answers for any failure, whatever the cause.
REFUSED = (
    "no request with this reference is waiting for this code (a code works once, for a "
    "limited time and a few tries)"
)


# --------------------------------------------------------------------------- models


class RequestIn(BaseModel):
    """A request as it reaches the organisation: who, what, in which language, how."""

    model_config = ConfigDict(extra="forbid")

    kind: RequestKind
    email: str | None = Field(None, min_length=3, max_length=320)
    phone: str | None = Field(None, min_length=3, max_length=40)
    customer_number: str | None = Field(None, min_length=1, max_length=100)
    language: Lang | None = Field(
        None,
        description="The language of the letters (default: the subject's, else the "
        "policy's first).",
    )
    channel: RequestChannel = RequestChannel.API
    details: dict[str, Any] = Field(
        default_factory=dict,
        description="rectification: {category key or email/phone/customer_number: new value}; "
        "objection and withdrawal: {purposes: [purpose ids]}; review: {decision: id}.",
    )
    received_at: AwareDatetime | None = Field(
        None, description="When it arrived, if earlier than now (a letter): at most 31 days ago."
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if len(self.identities()) != 1:
            raise ValueError("give exactly one of email, phone or customer_number")
        return self

    def identities(self) -> list[tuple[IdentityKind, str]]:
        given = [
            (IdentityKind.EMAIL, self.email),
            (IdentityKind.PHONE, self.phone),
            (IdentityKind.CUSTOMER_NUMBER, self.customer_number),
        ]
        return [(kind, value) for kind, value in given if value is not None]


class IdentityOut(BaseModel):
    kind: IdentityKind
    value: str


class MessageOut(BaseModel):
    id: int
    kind: str
    language: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    attempts: int
    last_error: str | None = Field(description="The kind of the last delivery error.")


class RequestSummaryOut(BaseModel):
    reference: str
    kind: RequestKind
    status: RequestStatus
    channel: RequestChannel
    language: str
    received_at: dt.datetime
    due_at: dt.datetime = Field(description="The first deadline: one month after receipt.")
    extended_until: dt.datetime | None
    due: dt.datetime = Field(description="The deadline in force.")
    overdue: bool
    verified_at: dt.datetime | None
    completed_at: dt.datetime | None


class RequestOut(RequestSummaryOut):
    identity: IdentityOut
    subject_id: int | None = Field(description="The known subject with this identity, if any.")
    details: dict[str, Any]
    extension_reason: str | None
    verified_by: str | None = Field(description="code, link, or the staff member who overrode.")
    verification_note: str | None
    closing_note: str | None = Field(description="Why it was rejected or cancelled.")
    created_by: str
    messages: list[MessageOut] = Field(description="What privaat queued for the person.")


class RequestPageOut(BaseModel):
    items: list[RequestSummaryOut]
    total: int
    limit: int
    offset: int


class VerificationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: verify.Method = verify.Method.CODE


class VerificationOut(BaseModel):
    method: verify.Method
    expires_at: dt.datetime
    message_id: int = Field(description="The outbox message that carries it.")


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class ExtendIn(ReasonIn):
    months: int = Field(ge=1, le=2, description="Further months: 1 or 2.")


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^\s*[0-9]{6}\s*$", description="The six digits mailed.")


class VerifiedOut(BaseModel):
    reference: str
    status: RequestStatus


# --------------------------------------------------------------------------- helpers


def _summary(row: RightsRequest, now: dt.datetime) -> dict[str, Any]:
    due = records.due(row)
    return {
        "reference": row.reference,
        "kind": RequestKind(row.kind),
        "status": RequestStatus(row.status),
        "channel": RequestChannel(row.channel),
        "language": row.language,
        "received_at": row.received_at,
        "due_at": row.due_at,
        "extended_until": row.extended_until,
        "due": due,
        "overdue": RequestStatus(row.status) in OPEN and deadlines.is_overdue(due, now),
        "verified_at": row.verified_at,
        "completed_at": row.completed_at,
    }


def request_out(session: Session, row: RightsRequest, now: dt.datetime) -> RequestOut:
    messages = outbox.of_request(session, row.org_id, row.id)
    return RequestOut(
        **_summary(row, now),
        identity=IdentityOut(kind=IdentityKind(row.identity_kind), value=row.identity_value),
        subject_id=row.subject_id,
        details=records.details_of(row),
        extension_reason=row.extension_reason,
        verified_by=row.verified_by,
        verification_note=row.verification_note,
        closing_note=row.closing_note,
        created_by=row.created_by,
        messages=[
            MessageOut(
                id=m.id,
                kind=m.kind,
                language=m.language,
                created_at=m.created_at,
                sent_at=m.sent_at,
                attempts=m.attempts,
                last_error=m.last_error,
            )
            for m in messages
        ],
    )


def _org(session: Session, access: OrgAccess) -> Organisation:
    return records.organisation(session, access.org_id)


def _verifier(services: Services) -> verify.Verifier:
    return verify.Verifier.from_settings(services.settings)


# --------------------------------------------------------------------------- staff routes


@api.post(
    "/{org}/requests",
    status_code=201,
    summary="File a rights request (the deadline starts; the receipt is acknowledged)",
    description="The person is named by exactly one identity; the request is linked to the "
    "subject with that identity when there is one. The deadline is one calendar month after "
    "receipt (or the policy's shorter promise). The acknowledgement is queued in the outbox "
    "when an e-mail address is known (see `messages`).",
)
def file_request(
    body: RequestIn,
    access: Annotated[OrgAccess, require(Scope.REQUESTS_WRITE)],
    services: ServicesDep,
) -> RequestOut:
    now = services.clock.now()
    [(kind, value)] = body.identities()
    with services.store.transaction() as session:
        filed = intake.file_request(
            session,
            org=_org(session, access),
            kind=body.kind,
            identity_kind=kind,
            identity_value=value,
            language=body.language,
            channel=body.channel,
            details=body.details,
            now=now,
            actor=access.actor,
            policies=services.policies,
            received_at=body.received_at,
        )
        return request_out(session, filed.request, now)


@api.get(
    "/{org}/requests",
    summary="The organisation's requests, the most urgent first (no identities shown)",
    description="Filters: `status` and `kind` (repeatable), `overdue` (open requests past "
    "their deadline) and `due_within_days` (open requests due within that many days); "
    "`overdue` and `due_within_days` together list both.",
)
def list_requests(
    access: Annotated[OrgAccess, require(Scope.REQUESTS_READ)],
    services: ServicesDep,
    status: Annotated[list[RequestStatus] | None, Query(max_length=10)] = None,
    kind: Annotated[list[RequestKind] | None, Query(max_length=10)] = None,
    overdue: bool = False,
    due_within_days: Annotated[int | None, Query(ge=0, le=366)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> RequestPageOut:
    now = services.clock.now()
    filters = records.Filters(
        statuses=status or (), kinds=kind or (), overdue=overdue, due_within_days=due_within_days
    )
    with services.store.reading() as session:
        rows, total = records.listing(
            session, access.org_id, filters, now=now, limit=limit, offset=offset
        )
    return RequestPageOut(
        items=[RequestSummaryOut(**_summary(r, now)) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@api.get("/{org}/requests/{reference}", summary="One request with the person's identity (audited)")
def get_request(
    reference: Reference,
    access: Annotated[OrgAccess, require(Scope.REQUESTS_READ)],
    services: ServicesDep,
) -> RequestOut:
    now = services.clock.now()
    with services.store.transaction() as session:
        row = records.get(session, access.org_id, reference)
        records.audit(session, row, "request.read", actor=access.actor, now=now)
        return request_out(session, row, now)


@api.post(
    "/{org}/requests/{reference}/verification",
    status_code=201,
    summary="Send the person a one-time code or link to verify their identity",
    description="Goes to the request's e-mail address, or one known for its subject; 409 "
    "when there is none (verify another way and record a staff override). A new code or "
    "link replaces the earlier ones.",
)
def send_verification(
    reference: Reference,
    body: VerificationIn,
    access: Annotated[OrgAccess, require(Scope.REQUESTS_WRITE)],
    services: ServicesDep,
) -> VerificationOut:
    now = services.clock.now()
    with services.store.transaction() as session:
        row = records.get(session, access.org_id, reference, lock=True)
        sent = verify.send(
            session,
            row,
            body.method,
            org=_org(session, access),
            verifier=_verifier(services),
            now=now,
            actor=access.actor,
            policies=services.policies,
        )
    return VerificationOut(
        method=sent.method, expires_at=sent.expires_at, message_id=sent.message_id
    )


@api.post(
    "/{org}/requests/{reference}/verification/override",
    summary="Record that staff verified the person another way, and how (the reason)",
)
def override_verification(
    reference: Reference,
    body: ReasonIn,
    access: Annotated[OrgAccess, require(Scope.REQUESTS_WRITE)],
    services: ServicesDep,
) -> RequestOut:
    now = services.clock.now()
    with services.store.transaction() as session:
        row = records.get(session, access.org_id, reference, lock=True)
        verify.override(session, row, body.reason, now=now, actor=access.actor)
        return request_out(session, row, now)


@api.post(
    "/{org}/requests/{reference}/extend",
    summary="Extend the deadline by one or two months, with the reason (told to the person)",
    description="Once per request, before the first deadline has passed; the notice with the "
    "reason and the new date is queued for the person.",
)
def extend_request(
    reference: Reference,
    body: ExtendIn,
    access: Annotated[OrgAccess, require(Scope.REQUESTS_WRITE)],
    services: ServicesDep,
) -> RequestOut:
    now = services.clock.now()
    with services.store.transaction() as session:
        row = records.get(session, access.org_id, reference, lock=True)
        extensions.extend(
            session,
            row,
            body.months,
            body.reason,
            org=_org(session, access),
            now=now,
            actor=access.actor,
            policies=services.policies,
        )
        return request_out(session, row, now)


@api.post(
    "/{org}/requests/{reference}/reject",
    summary="Reject the request with the reason; the person gets a letter",
    description="The letter states the reason and the person's right to complain to the "
    "supervisory authority and to go to court (Art. 12(4)).",
)
def reject_request(
    reference: Reference,
    body: ReasonIn,
    access: Annotated[OrgAccess, require(Scope.REQUESTS_WRITE)],
    services: ServicesDep,
) -> RequestOut:
    now = services.clock.now()
    with services.store.transaction() as session:
        row = records.get(session, access.org_id, reference, lock=True)
        closing.reject(
            session,
            row,
            body.reason,
            org=_org(session, access),
            now=now,
            actor=access.actor,
            policies=services.policies,
        )
        return request_out(session, row, now)


@api.post(
    "/{org}/requests/{reference}/cancel",
    summary="Cancel the request (withdrawn by the person, or a duplicate); nothing is sent",
)
def cancel_request(
    reference: Reference,
    body: ReasonIn,
    access: Annotated[OrgAccess, require(Scope.REQUESTS_WRITE)],
    services: ServicesDep,
) -> RequestOut:
    now = services.clock.now()
    with services.store.transaction() as session:
        row = records.get(session, access.org_id, reference, lock=True)
        closing.cancel(session, row, body.reason, now=now, actor=access.actor)
        return request_out(session, row, now)


# --------------------------------------------------------------------------- the person


@api.post(
    "/{org}/requests/{reference}/verify",
    tags=["public"],
    summary="The person confirms their request with the code they were mailed (no token)",
    description="Every try counts: a code allows a few tries, works once and expires. Any "
    "failure (an unknown reference, a wrong, used or expired code) is the same 404. Sending "
    "the code that verified the request again succeeds and changes nothing.",
)
def verify_code(
    org: Annotated[str, Path(min_length=2, max_length=63, pattern=r"^[a-z0-9][a-z0-9-]+$")],
    reference: Reference,
    body: CodeIn,
    services: ServicesDep,
) -> VerifiedOut:
    now = services.clock.now()
    try:
        org_id = services.org_id(org)
    except NotFound:
        raise NotFound(REFUSED) from None
    try:
        with services.store.transaction() as session:
            outcome, row = verify.confirm_code(
                session, org_id, reference, body.code, verifier=_verifier(services), now=now
            )
            status = RequestStatus(row.status)
    except NotFound:
        raise NotFound(REFUSED) from None
    if outcome is verify.REFUSED:  # raised after the commit: the try stays counted
        raise NotFound(REFUSED)
    return VerifiedOut(reference=reference, status=status)


# --------------------------------------------------------------------------- link pages


def _link_error(
    exc: PrivaatError, request: Request, services: Services, token: str, lang: str | None
) -> HTMLResponse | JSONResponse:
    """400 for a link that cannot be used: a page for a browser (in the language of the
    request the link was signed for, if it is one), problem+json for a program."""
    sent_in: str | None = None
    try:
        _org_id, request_id, _nonce = _verifier(services).read(token)
        with services.store.reading() as session:
            row = session.get(RightsRequest, request_id)
            sent_in = row.language if row is not None else None
    except PrivaatError:
        pass
    page_lang = _language(lang, sent_in, accept=request.headers.get("accept-language"))
    reason = str(exc) if isinstance(exc, LinkInvalid) else links.INVALID
    if "text/html" not in request.headers.get("accept", ""):
        return problems.problem(400, "Invalid link", f"the link is {reason}", PAGE_HEADERS)
    return _page(f"request_link_error.{page_lang}.html.j2", page_lang, status=400, reason=reason)


def _page_facts(
    session: Session, services: Services, pending: verify.PendingLink, lang: Lang
) -> dict[str, Any]:
    try:
        policy = records.policy_of(session, pending.org, services.policies)
    except PrivaatError:
        policy = None
    organisation, _contact = letters.sender(pending.org, policy)
    return {
        "organisation": organisation,
        "request_kind": letters.KIND_NAMES[lang][RequestKind(pending.request.kind)],
    }


def _org_id(services: Services, slug: str) -> int:
    try:
        return services.org_id(slug)
    except PrivaatError:
        raise LinkInvalid(links.INVALID) from None


@router.get(
    "/p/{org}/verify/{token}",
    tags=["public"],
    summary="The page of a verification link: a button to confirm the request (changes nothing)",
    description="Mail scanners fetch links: a GET never verifies. The button POSTs here.",
    response_class=HTMLResponse,
    responses=PAGE_RESPONSES,
)
def verification_page(
    org: str, token: str, request: Request, services: ServicesDep, lang: LangQuery = None
) -> Response:
    accept = request.headers.get("accept-language")
    try:
        with services.store.reading() as session:
            pending = verify.inspect_link(
                session,
                token,
                org_id=_org_id(services, org),
                verifier=_verifier(services),
                now=services.clock.now(),
            )
            page_lang = _language(lang, pending.request.language, accept=accept)
            facts = _page_facts(session, services, pending, page_lang)
    except PrivaatError as exc:
        return _link_error(exc, request, services, token, lang)
    if pending.used:
        return _page(f"request_verified.{page_lang}.html.j2", page_lang, **facts)
    expires = letters.moment(pending.challenge.expires_at, page_lang)
    return _page(f"request_verify.{page_lang}.html.j2", page_lang, expires=expires, **facts)


@router.post(
    "/p/{org}/verify/{token}",
    tags=["public"],
    summary="Confirm the request a verification link was sent for (once; again is a no-op)",
    description="No bearer token: the signed link authorises it; no cookie is used, so there "
    "is nothing to forge across sites.",
    response_class=HTMLResponse,
    responses=PAGE_RESPONSES,
)
def verify_link(
    org: str, token: str, request: Request, services: ServicesDep, lang: LangQuery = None
) -> Response:
    accept = request.headers.get("accept-language")
    try:
        with services.store.transaction() as session:
            pending = verify.confirm_link(
                session,
                token,
                org_id=_org_id(services, org),
                verifier=_verifier(services),
                now=services.clock.now(),
            )
            page_lang = _language(lang, pending.request.language, accept=accept)
            facts = _page_facts(session, services, pending, page_lang)
    except PrivaatError as exc:
        return _link_error(exc, request, services, token, lang)
    return _page(f"request_verified.{page_lang}.html.j2", page_lang, switch=False, **facts)


router.include_router(api)
