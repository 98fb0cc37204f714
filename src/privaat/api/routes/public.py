"""Routes: the pages behind the links a data subject clicks, and the API that makes those links.

The public pages (``/p/{org}/confirm/{token}`` and ``/u/{token}``) take no bearer token: the
signed token in the address is the authorisation. A GET only shows a page with a button and
never changes anything, because mail scanners and link previews fetch links; the button POSTs
to the same address.

CSRF: a POST is authorised by the unguessable signed token in its own URL and by nothing else.
No cookie or session is read or set, so a cross-site request has no ambient authority to
borrow: whoever can forge the request already holds the token. The pages forbid framing (no
clickjacking onto the button) and send no referrer (the token stays out of other sites' logs).

A one-click unsubscribe (RFC 8058) is a POST to the ``List-Unsubscribe`` address with the body
``List-Unsubscribe=One-Click``, sent by the mail provider when the person presses its own
unsubscribe button: it succeeds with 200 and needs nothing more. Any POST to that address
unsubscribes; the body only tells the proof which way the person came.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Self, cast

from babel.dates import format_date, format_time, get_timezone
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session
from starlette.requests import ClientDisconnect

from privaat.api import problems
from privaat.api.deps import OrgAccess, Services, ServicesDep, require
from privaat.core.access import Scope
from privaat.core.policy.model import LANGUAGES, Lang, Policy, pick
from privaat.engine import links, subjects
from privaat.engine.orgs import active_policy
from privaat.errors import LinkInvalid, PrivaatError
from privaat.i18n import LOCALES, translations
from privaat.store.models import Organisation, Subject

router = APIRouter()
api = APIRouter(prefix="/api/v1/orgs", tags=["consent"])

TEMPLATES = Path(__file__).parents[1] / "templates"

#: Each language by its own name, for the language switch (never translated).
ENDONYMS: dict[Lang, str] = {"nl": "Nederlands", "en": "English", "fr": "Français"}

#: Expiry times are shown in the time of Belgium and the Netherlands (the same).
TIMEZONE = "Europe/Brussels"

#: Sent with every page: nothing from outside, no scripts, no framing, no referrer, no cache.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}

PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "A page in the person's language.", "content": {"text/html": {}}},
    400: {
        "description": "The link is not valid or has expired: a page that says so when the "
        "client accepts HTML (a browser), else problem+json.",
        "content": {
            "text/html": {},
            problems.PROBLEM: {"schema": problems.PROBLEM_SCHEMA},
        },
    },
}

#: How much of a POST body is read to recognise RFC 8058's one-click form.
_BODY_PEEK = 4096


# --------------------------------------------------------------------------- rendering


@cache
def _environment(lang: Lang) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Added by the i18n extension; typed stubs do not know it.
    cast(Any, env).install_gettext_translations(translations(lang), newstyle=True)
    return env


@dataclass(frozen=True, slots=True)
class PurposeView:
    """A purpose's name and description as the policy words them, with their language."""

    name: str
    name_lang: str
    description: str | None
    description_lang: str | None


@dataclass(frozen=True, slots=True)
class PageFacts:
    """What a page says about its link: whose it is, for what, in which language."""

    lang: Lang
    organisation: str
    purpose: PurposeView


def _facts(
    session: Session,
    services: Services,
    org: Organisation,
    purpose_id: str,
    lang: Lang,
) -> PageFacts:
    try:
        policy: Policy | None = active_policy(session, org, services.policies)
    except PrivaatError:
        policy = None
    purpose = policy.purpose(purpose_id) if policy is not None else None
    if policy is None or purpose is None:
        return PageFacts(lang, org.name, PurposeView(purpose_id, lang, None, None))
    name = pick(purpose.name, lang, policy.languages)
    description = pick(purpose.description, lang, policy.languages)
    assert name is not None  # a purpose's name has at least one language
    view = PurposeView(
        name[1],
        name[0],
        description[1] if description else None,
        description[0] if description else None,
    )
    return PageFacts(lang, policy.controller.name, view)


def _page(
    template: str,
    lang: Lang,
    *,
    status: int = 200,
    organisation: str | None = None,
    switch: bool = True,
    **context: object,
) -> HTMLResponse:
    """A page in `lang`; `switch` offers the other languages (GET pages only)."""
    languages = [{"code": code, "name": ENDONYMS[code]} for code in LANGUAGES] if switch else []
    html = (
        _environment(lang)
        .get_template(template)
        .render(lang=lang, organisation=organisation, languages=languages, **context)
    )
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def _error_page(
    exc: PrivaatError, request: Request, lang: Lang, kind: str
) -> HTMLResponse | JSONResponse:
    """400 for a bad link (or anything else the engine refused): a page that says why for a
    browser, problem+json for a program (one that does not ask for HTML)."""
    reason = str(exc) if isinstance(exc, LinkInvalid) else links.INVALID
    if "text/html" not in request.headers.get("accept", ""):
        return problems.problem(400, "Invalid link", f"the link is {reason}", PAGE_HEADERS)
    return _page("link_error.html.j2", lang, status=400, reason=reason, kind=kind)


def _language(requested: str | None, *known: str | None, accept: str | None = None) -> Lang:
    """The page's language: asked for (``?lang=``), else known for the person, else the
    browser's preference (Accept-Language), else Dutch."""
    for code in (requested, *known, *_accepted(accept or "")):
        if code in ENDONYMS:
            return code
    return "nl"


def _accepted(header: str) -> list[str]:
    """The primary language tags of an Accept-Language header, most preferred first."""
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(header[:500].split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        ranked.append((-quality, index, tag.split("-")[0].strip().lower()))
    return [tag for _q, _i, tag in sorted(ranked)]


def _moment(value: dt.datetime, lang: Lang) -> tuple[str, str]:
    """A date and a time as the language writes them, in Belgian and Dutch time."""
    local = value.astimezone(get_timezone(TIMEZONE))
    return (
        format_date(local, format="long", locale=LOCALES[lang]),
        format_time(local, format="short", locale=LOCALES[lang]),
    )


# --------------------------------------------------------------------------- helpers


def _client(request: Request) -> tuple[str | None, str | None]:
    """Who clicked, for the proof: the address (truncated by the ledger) and the browser."""
    host = request.client.host if request.client else None
    try:
        ip = str(ipaddress.ip_address(host)) if host else None
    except ValueError:  # a test client or a Unix socket: no address to keep
        ip = None
    user_agent = request.headers.get("user-agent")
    return ip, user_agent[:512] if user_agent else None


def _signer(services: Services) -> links.LinkSigner:
    return links.LinkSigner.from_settings(services.settings)


def _org_row(session: Session, services: Services, slug: str) -> Organisation:
    """The organisation in a public link's path; an unknown one makes the link invalid."""
    try:
        row = session.get(Organisation, services.org_id(slug))
    except PrivaatError:
        row = None
    if row is None:
        raise LinkInvalid(links.INVALID)
    return row


def _confirmation_error(
    exc: PrivaatError, request: Request, services: Services, token: str, lang: str | None
) -> HTMLResponse | JSONResponse:
    """The error page of a confirmation link, in the language it was sent in if it is signed."""
    try:
        sent_in: str | None = _signer(services).read_confirmation(token).language
    except LinkInvalid:
        sent_in = None
    accept = request.headers.get("accept-language")
    return _error_page(exc, request, _language(lang, sent_in, accept=accept), "confirm")


async def _one_click(request: Request) -> bool:
    """Whether a POST carries RFC 8058's ``List-Unsubscribe=One-Click`` (form or multipart)."""
    body = b""
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) >= _BODY_PEEK:
                break
    except ClientDisconnect:  # nobody is waiting for the page; the click still counts
        pass
    return b"List-Unsubscribe" in body and b"One-Click" in body


LangQuery = Annotated[
    str | None,
    Query(description="The page's language (nl, en or fr); anything else is ignored."),
]


# --------------------------------------------------------------------------- double opt-in


@router.get(
    "/p/{org}/confirm/{token}",
    tags=["public"],
    summary="The page of a double opt-in link: a button to confirm (records nothing)",
    description="Mail scanners fetch links: a GET never records consent. The page's button "
    "POSTs to the same address.",
    response_class=HTMLResponse,
    responses=PAGE_RESPONSES,
)
def confirmation_page(
    org: str, token: str, request: Request, services: ServicesDep, lang: LangQuery = None
) -> Response:
    try:
        with services.store.reading() as session:
            row = _org_row(session, services, org)
            pending = links.inspect_confirmation(
                session,
                token,
                org_id=row.id,
                now=services.clock.now(),
                policies=services.policies,
                signer=_signer(services),
            )
            c = pending.confirmation
            facts = _facts(session, services, row, c.purpose, _language(lang, c.language))
    except PrivaatError as exc:
        return _confirmation_error(exc, request, services, token, lang)
    if pending.event is not None:  # confirmed already: say so, offer nothing more
        return _page(
            "confirmed.html.j2", facts.lang, organisation=facts.organisation, purpose=facts.purpose
        )
    date, time = _moment(c.expires_at, facts.lang)
    return _page(
        "confirm.html.j2",
        facts.lang,
        organisation=facts.organisation,
        purpose=facts.purpose,
        expires_date=date,
        expires_time=time,
    )


@router.post(
    "/p/{org}/confirm/{token}",
    tags=["public"],
    summary="Confirm the consent a double opt-in link asks for (once; again is a no-op)",
    description="Records GIVEN through the double opt-in channel, with the notice hash the "
    "link carries and the confirming browser's truncated address. No bearer token: the "
    "signed link authorises it; no cookie is used, so there is nothing to forge across sites.",
    response_class=HTMLResponse,
    responses=PAGE_RESPONSES,
)
def confirm(
    org: str, token: str, request: Request, services: ServicesDep, lang: LangQuery = None
) -> Response:
    ip, user_agent = _client(request)
    try:
        with services.store.transaction() as session:
            row = _org_row(session, services, org)
            outcome = links.confirm(
                session,
                token,
                org_id=row.id,
                ip=ip,
                user_agent=user_agent,
                now=services.clock.now(),
                policies=services.policies,
                signer=_signer(services),
            )
            page_lang = _language(lang, outcome.language)
            facts = _facts(session, services, row, outcome.purpose, page_lang)
    except PrivaatError as exc:
        return _confirmation_error(exc, request, services, token, lang)
    return _page(
        "confirmed.html.j2",
        facts.lang,
        organisation=facts.organisation,
        purpose=facts.purpose,
        switch=False,
    )


# --------------------------------------------------------------------------- unsubscribe


def _subject_language(session: Session, u: links.Unsubscription) -> str | None:
    subject = session.get(Subject, u.subject_id)
    return subject.language if subject is not None and subject.org_id == u.org_id else None


@router.get(
    "/u/{token}",
    tags=["public"],
    summary="The page of an unsubscribe link: a one-click button (records nothing)",
    description="The address of the List-Unsubscribe header. A GET only shows the page (mail "
    "scanners fetch links); its button POSTs to the same address.",
    response_class=HTMLResponse,
    responses=PAGE_RESPONSES,
)
def unsubscribe_page(
    token: str, request: Request, services: ServicesDep, lang: LangQuery = None
) -> Response:
    accept = request.headers.get("accept-language")
    try:
        with services.store.reading() as session:
            pending = links.inspect_unsubscribe(
                session, token, policies=services.policies, signer=_signer(services)
            )
            u = pending.unsubscription
            page_lang = _language(lang, _subject_language(session, u), accept=accept)
            facts = _facts(session, services, pending.org, u.purpose, page_lang)
    except PrivaatError as exc:
        return _error_page(exc, request, _language(lang, accept=accept), "unsubscribe")
    return _page(
        "unsubscribe.html.j2", facts.lang, organisation=facts.organisation, purpose=facts.purpose
    )


@router.post(
    "/u/{token}",
    tags=["public"],
    summary="Unsubscribe in one click (RFC 8058): withdraw consent, or object to marketing",
    description="Mail providers POST `List-Unsubscribe=One-Click` (form-encoded or multipart) "
    "here when the person presses their unsubscribe button: 200, nothing more to do. The "
    "page's own button posts here too. Records WITHDRAWN for a consent purpose and OBJECTED "
    "for direct marketing on another basis; a second click records nothing and still succeeds.",
    response_class=HTMLResponse,
    responses=PAGE_RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {
                media: {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "List-Unsubscribe": {"type": "string", "enum": ["One-Click"]}
                        },
                    }
                }
                for media in ("application/x-www-form-urlencoded", "multipart/form-data")
            },
        }
    },
)
def unsubscribe(
    token: str,
    request: Request,
    services: ServicesDep,
    one_click: Annotated[bool, Depends(_one_click)],
    lang: LangQuery = None,
) -> Response:
    ip, user_agent = _client(request)
    accept = request.headers.get("accept-language")
    signer = _signer(services)
    try:
        with services.store.transaction() as session:
            pending = links.inspect_unsubscribe(
                session, token, policies=services.policies, signer=signer
            )
            page_lang = _language(
                lang, _subject_language(session, pending.unsubscription), accept=accept
            )
            outcome = links.unsubscribe(
                session,
                token,
                ip=ip,
                user_agent=user_agent,
                language=page_lang,
                provenance="list-unsubscribe=one-click" if one_click else "unsubscribe-page",
                now=services.clock.now(),
                policies=services.policies,
                signer=signer,
            )
            facts = _facts(session, services, pending.org, outcome.purpose, page_lang)
    except PrivaatError as exc:
        return _error_page(exc, request, _language(lang, accept=accept), "unsubscribe")
    return _page(
        "unsubscribed.html.j2",
        facts.lang,
        organisation=facts.organisation,
        purpose=facts.purpose,
        switch=False,
    )


# --------------------------------------------------------------------------- making links


class SubjectIdentityIn(BaseModel):
    """Who: exactly one of an e-mail address, a phone number or a customer number."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(None, min_length=3, max_length=320)
    phone: str | None = Field(None, min_length=3, max_length=40)
    customer_number: str | None = Field(None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [v for v in (self.email, self.phone, self.customer_number) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of email, phone or customer_number")
        return self

    def identity(self) -> tuple[subjects.IdentityKind, str]:
        if self.email is not None:
            return subjects.IdentityKind.EMAIL, self.email
        if self.phone is not None:
            return subjects.IdentityKind.PHONE, self.phone
        assert self.customer_number is not None
        return subjects.IdentityKind.CUSTOMER_NUMBER, self.customer_number


PurposeId = Annotated[
    str,
    Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_-]*$", description="A purpose id."),
]


class DoubleOptInIn(SubjectIdentityIn):
    purpose: PurposeId
    language: Lang = Field(description="The language of the sign-up and of the confirmation page.")
    notice_sha256: str | None = Field(
        None,
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of the notice shown at sign-up; by default privaat's notice of "
        "the active policy in `language`.",
    )


class ConfirmationLinkOut(BaseModel):
    confirmation_url: str = Field(description="Send this to the person; it confirms once.")
    expires_at: dt.datetime


class UnsubscribeLinkIn(SubjectIdentityIn):
    purpose: PurposeId


class UnsubscribeLinkOut(BaseModel):
    url: str = Field(description="For the message body; it never expires.")
    headers: dict[str, str] = Field(
        description="`List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 8058) for the message "
        "header; both must be covered by the message's DKIM signature."
    )


@api.post(
    "/{org}/consents/double-opt-in",
    status_code=201,
    summary="Start a double opt-in: a signed confirmation link to send to the person",
    description="Records no consent: there is none until the person confirms through the link "
    "(which expires after the configured lifetime). The subject is created when unknown. The "
    "purpose must rest on consent or be direct marketing (a prospect's opt-in). The "
    "application sends the link.",
)
def request_double_opt_in(
    body: DoubleOptInIn,
    access: Annotated[OrgAccess, require(Scope.CONSENT_WRITE)],
    services: ServicesDep,
) -> ConfirmationLinkOut:
    now = services.clock.now()
    kind, value = body.identity()
    with services.store.transaction() as session:
        org = session.get(Organisation, access.org_id)
        assert org is not None
        links.confirmable_purpose(active_policy(session, org, services.policies), body.purpose)
        subject_id = subjects.ensure(
            session, org.id, kind, value, now=now, actor=access.actor, language=body.language
        )
        link = links.request_confirmation(
            session,
            org=org,
            subject_id=subject_id,
            purpose=body.purpose,
            language=body.language,
            notice_sha256=body.notice_sha256,
            now=now,
            actor=access.actor,
            signer=_signer(services),
            policies=services.policies,
        )
    return ConfirmationLinkOut(confirmation_url=link.url, expires_at=link.expires_at)


@api.post(
    "/{org}/unsubscribe-links",
    summary="A person's one-click unsubscribe link for a purpose, with its RFC 8058 headers",
    description="The same person and purpose always get the same link, and it never expires: "
    "put it in every mailing. The purpose must be based on consent or be direct marketing. "
    "The subject is created when unknown, so that every recipient can leave.",
)
def create_unsubscribe_link(
    body: UnsubscribeLinkIn,
    access: Annotated[OrgAccess, require(Scope.CONSENT_WRITE)],
    services: ServicesDep,
) -> UnsubscribeLinkOut:
    kind, value = body.identity()
    with services.store.transaction() as session:
        org = session.get(Organisation, access.org_id)
        assert org is not None
        links.unsubscribable_purpose(active_policy(session, org, services.policies), body.purpose)
        subject_id = subjects.ensure(
            session, org.id, kind, value, now=services.clock.now(), actor=access.actor
        )
        link = links.create_unsubscribe_link(
            session,
            org=org,
            subject_id=subject_id,
            purpose=body.purpose,
            signer=_signer(services),
            policies=services.policies,
        )
    return UnsubscribeLinkOut(url=link.url, headers=link.headers)


router.include_router(api)
