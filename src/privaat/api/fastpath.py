"""The consent check and write, answered before the framework where that changes nothing,
and the writes recorded in groups.

``GET …/consent`` (applications ask it before every mailing) and ``POST …/consents`` are the
API's busiest calls. :class:`ConsentFastPath` answers the common, well-formed ones itself,
with the same bytes the routes would send; :class:`ConsentWriter` records the writes it takes
in groups, one transaction for all the writes waiting at that moment. Everything else goes on
to the routes in ``routes/consent.py``, which answer and document it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import re
import threading
from dataclasses import dataclass
from urllib.parse import parse_qsl

from fastapi.security.utils import get_authorization_scheme_param
from pydantic import ValidationError
from sqlalchemy import Connection
from starlette import types as asgi
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from privaat.api.deps import OrgAccess, Services
from privaat.api.routes.consent import (
    JSON,
    ConsentIn,
    RecordedOut,
    decide,
    decision_out,
    events_out,
    json_response,
    proof_of,
    recorded,
)
from privaat.core.access import Scope
from privaat.engine import consent
from privaat.engine.consent import EventKind
from privaat.engine.subjects import IdentityKind
from privaat.errors import PrivaatError

log = logging.getLogger("privaat.api.consent")

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

    FastAPI's routing, dependency resolution and validation cost more CPU than the database
    work behind these two calls. This answers only what it can tell the route would answer
    with success, with the same bytes: a well-formed request, a bearer token whose caller
    holds the route's scope in the organisation (found as the route finds it: cached for
    ``auth_cache_seconds``, else looked up once for all the requests of that moment), and work
    that raised no error. Everything else (a missing or malformed parameter or body, an
    unknown or expired token, an organisation the caller cannot see, a purpose the policy
    lacks, any error) goes on to the app, where ``check_consent`` and ``record_consent``
    answer and document it as before; a write that failed here was rolled back. The routes
    and this share the code that does the work.
    """

    def __init__(self, app: asgi.ASGIApp, services: Services, writer: ConsentWriter) -> None:
        self.app = app
        self.services = services
        self.writer = writer

    async def __call__(self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            method, path = scope["method"], scope["path"]
            if method == "GET" and (found := _CHECK_PATH.fullmatch(path)):
                body = await self._check(scope, found.group(1))
                if body is not None:
                    await Response(body, media_type=JSON)(scope, receive, send)
                    return
            elif method == "POST" and (found := _RECORD_PATH.fullmatch(path)):
                await self._record(scope, receive, send, found.group(1))
                return
        await self.app(scope, receive, send)

    async def _check(self, scope: asgi.Scope, slug: str) -> bytes | None:
        """The check's answer, or None to leave the request to the route."""
        access = await self._access(scope, slug, Scope.CONSENT_CHECK)
        query = _check_query(scope["query_string"]) if access is not None else None
        if access is None or query is None:
            return None
        purpose, ref = query
        try:
            decided = decide(self.services, access.org_id, ref, purpose)
        except PrivaatError:
            return None  # the route answers the problem, as it would have anyway
        return decision_out(decided).model_dump_json(by_alias=True).encode()

    async def _record(
        self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send, slug: str
    ) -> None:
        """Record the consent, or leave the request (its body replayed) to the route."""
        body, read = await _json_body(scope, receive)
        access = await self._access(scope, slug, Scope.CONSENT_WRITE)
        request = _record_request(scope, body) if access is not None and body else None
        if access is not None and request is not None:
            try:
                out = await self._recorded(access, *request)
            except PrivaatError:
                pass  # rolled back: the route answers the problem, as it would have anyway
            else:
                await json_response(out, 201)(scope, receive, send)
                return
        await self.app(scope, _replaying(read, receive), send)

    async def _recorded(
        self, access: OrgAccess, body: ConsentIn, key: str | None, gpc: str | None
    ) -> RecordedOut:
        """The write recorded by the writer, or alone in the thread pool (a GPC signal, a
        subject named by id with groups or a language to change)."""
        if gpc is None or gpc.strip() != "1":
            write = self.writer.write_of(access, body, key)
            if write is not None:
                return await self.writer.record(access, body, key, write)
        return await run_in_threadpool(recorded, self.services, access, body, key, gpc)

    async def _access(self, scope: asgi.Scope, slug: str, needed: Scope) -> OrgAccess | None:
        """The caller in the organisation, if it holds ``needed`` there (looked up as the
        route would when it is not cached; a token that fails goes to the route)."""
        if not _SLUG.fullmatch(slug):
            return None
        token = _bearer_token(scope)
        if token is None:
            return None
        try:  # the caller first, as the route: no look-up for who is not authenticated
            principal = await self.services.principal_async(token)
            org_id = self.services.known_org_id(slug)
            if org_id is None:  # this process's first request for it
                org_id = await run_in_threadpool(self.services.org_id, slug)
        except PrivaatError:
            return None  # the route answers the problem (an unknown organisation or token)
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


# --------------------------------------------------------------------------- group commit


@dataclass(slots=True)
class _Job:
    """A write waiting for the writer, and where its answer goes."""

    access: OrgAccess
    body: ConsentIn
    key: str | None
    write: consent.Write
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[RecordedOut]


_Outcome = RecordedOut | BaseException


class ConsentWriter:
    """Group commit for the consent writes the fast path answers.

    One thread per process takes the writes waiting at that moment (up to ``most``) and
    records them in one transaction with :func:`consent.record_many`: one BEGIN and COMMIT,
    one flush to disk and a few statements for them all, where a write alone took a dozen
    statements and its own commit. Nothing waits to fill a group: a write that arrives alone
    is recorded at once, and under load a group holds what arrived while the one before was
    written. Each write is answered after its group committed, its audit record chained.

    A write whose own input is wrong (a purpose the policy lacks, say) gets its error, and
    the route answers it. When a group fails as a whole (an idempotency key reused for
    another fact, a dropped connection) it is rolled back and its writes are recorded one by
    one, as the route records them, so that each gets its own answer.
    """

    def __init__(self, services: Services, *, most: int = 500) -> None:
        self.services = services
        self.most = most
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._connection: Connection | None = None  # the writer thread's own

    def write_of(self, access: OrgAccess, body: ConsentIn, key: str | None) -> consent.Write | None:
        """The write as :func:`consent.record_many` takes it; None for one it cannot take
        (a subject named by id with groups or a language to change)."""
        if body.subject_id is not None:
            if body.groups or body.language:
                return None
            subject: consent.SubjectRef = body.subject_id
        else:
            [subject] = body.identities()
        return consent.Write(
            subject=subject,
            purpose=body.purpose,
            kind=EventKind(body.action),
            proof=proof_of(body, self.services.clock.now()),
            actor=access.actor,
            idempotency_key=key,
            groups=tuple(body.groups or ()),
            language=body.language,
        )

    async def record(
        self, access: OrgAccess, body: ConsentIn, key: str | None, write: consent.Write
    ) -> RecordedOut:
        """Record ``write`` (made by :meth:`write_of` from ``body``) with the group it joins;
        its answer once the group committed. After :meth:`close`, alone in the thread pool."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[RecordedOut] = loop.create_future()
        with self._lock:
            closed = self._closed
            if not closed and self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="consent-writer", daemon=True
                )
                self._thread.start()
            if not closed:
                self._jobs.put(_Job(access, body, key, write, loop, future))
        if closed:
            return await run_in_threadpool(recorded, self.services, access, body, key, None)
        return await future

    def close(self) -> None:
        """Record what is waiting, then stop the thread."""
        with self._lock:
            self._closed = True
            thread, self._thread = self._thread, None
            self._jobs.put(None)
        if thread is not None:
            thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                break
            group, stop = [job], False
            while len(group) < self.most:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                group.append(job)
            try:
                outcomes = self._write(group)
            except BaseException as exc:  # never leave a write unanswered
                outcomes = [exc] * len(group)
            _answer(group, outcomes)
            if stop:
                break
        self._disconnect()

    def _write(self, group: list[_Job]) -> list[_Outcome]:
        """Each job's answer: the group in one transaction, or one by one if that fails."""
        services = self.services
        by_org: dict[int, list[int]] = {}
        for at, job in enumerate(group):
            by_org.setdefault(job.access.org_id, []).append(at)
        outcomes: list[_Outcome | None] = [None] * len(group)
        try:
            if self._connection is None:
                self._connection = services.store.connect_for_writes()
            with services.store.transaction(on=self._connection) as session:
                now = services.clock.now()
                for org_id in sorted(by_org):  # one lock order for every writer
                    ats = by_org[org_id]
                    results = consent.record_many(
                        session,
                        org_id,
                        [group[at].write for at in ats],
                        now=now,
                        policies=services.policies,
                    )
                    made = [
                        (at, event)
                        for at, event in zip(ats, results, strict=True)
                        if isinstance(event, consent.Event)
                    ]
                    shown = events_out(session, [event for _at, event in made], services.policies)
                    for (at, _event), out in zip(made, shown, strict=True):
                        outcomes[at] = RecordedOut(**dict(out))
                    for at, result in zip(ats, results, strict=True):
                        if not isinstance(result, consent.Event):
                            outcomes[at] = result
        except Exception as exc:
            # No message: it could hold an identity. Each write gets its own answer below,
            # and the next group a new connection (this one may have been dropped).
            log.info("a group of %d consent writes failed (%s)", len(group), type(exc).__name__)
            self._disconnect()
            return [self._alone(job) for job in group]
        assert all(outcome is not None for outcome in outcomes)
        return [outcome for outcome in outcomes if outcome is not None]

    def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.invalidate()
                connection.close()

    def _alone(self, job: _Job) -> _Outcome:
        try:
            return recorded(self.services, job.access, job.body, job.key, None)
        except Exception as exc:
            return exc


def _answer(group: list[_Job], outcomes: list[_Outcome]) -> None:
    """Hand each job its outcome on its own event loop (one call per loop)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Job, _Outcome]]] = {}
    for job, outcome in zip(group, outcomes, strict=True):
        by_loop.setdefault(job.loop, []).append((job, outcome))
    for loop, answers in by_loop.items():
        # a closed loop: nobody waits for these answers any more
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_settle, answers)


def _settle(answers: list[tuple[_Job, _Outcome]]) -> None:
    for job, outcome in answers:
        if job.future.done():  # the client left
            continue
        if isinstance(outcome, BaseException):
            job.future.set_exception(outcome)
        else:
            job.future.set_result(outcome)
