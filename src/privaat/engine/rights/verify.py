"""Verifying that the person behind a request is who it names (Art. 12(6)).

Two ways go through privaat's outbox, so both need an e-mail address: the request's own,
or one the organisation knows for its subject. For a phone number or a customer number
without a known e-mail address, a staff member verifies by other means (a call back, an
identity document, a login) and records that with :func:`override` and a reason.

- **A one-time code**: six digits, sent by e-mail, stored only as a keyed hash (HMAC-SHA256
  with a key derived from the install's secret key, bound to the request), valid for
  ``verification_ttl_seconds``, at most ``MAX_ATTEMPTS`` tries, used once, compared in
  constant time. Every try is counted before the code is compared, in one conditional
  UPDATE, so that parallel guesses cannot exceed the budget.
- **A signed link**: itsdangerous signs (organisation, request, nonce); the nonce's keyed
  hash is stored and the link works once, until the same lifetime ends. Opening it shows a
  page; only the page's button (a POST) verifies, as with double opt-in.

Sending a new code or link retires the earlier ones. A wrong, expired, exhausted or used
code gives one answer, :data:`REFUSED`, whatever the reason: a guesser learns nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from privaat.core.requests import RequestStatus
from privaat.engine.links import INVALID, MAX_TOKEN_LENGTH
from privaat.engine.orgs import PolicyCache
from privaat.engine.rights import letters, records
from privaat.errors import Conflict, LinkInvalid
from privaat.settings import Settings
from privaat.store.models import Organisation, RightsRequest, VerificationChallenge

MAX_ATTEMPTS: Final = 5
CODE_DIGITS: Final = 6

_HASH_KEY_LABEL = b"privaat.request-verification.v1"
_LINK_SALT = "privaat.link.request-verify.v1"
#: What a request's ``verified_by`` says for the two ways a person verifies themselves.
BY_CODE: Final = "code"
BY_LINK: Final = "link"


class Method(StrEnum):
    CODE = "code"
    LINK = "link"


class Outcome(StrEnum):
    VERIFIED = "verified"
    ALREADY = "already_verified"  # the code that verified the request, sent again
    REFUSED = "refused"


REFUSED: Final = Outcome.REFUSED


class Verifier:
    """Hashes codes and signs links with the install's secret key; knows the links' address."""

    def __init__(self, secret_key: str, base_url: str, ttl: dt.timedelta) -> None:
        self.base_url = base_url.rstrip("/")
        self.ttl = ttl
        self._key = hashlib.sha256(_HASH_KEY_LABEL + b"\x00" + secret_key.encode()).digest()
        self._links = URLSafeSerializer(
            secret_key,
            salt=_LINK_SALT,
            signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha256},
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Verifier:
        return cls(
            settings.secret_key.get_secret_value(),
            settings.base_url,
            dt.timedelta(seconds=settings.verification_ttl_seconds),
        )

    def digest(self, method: Method, request_id: int, secret: str) -> str:
        message = f"{method.value}:{request_id}:{secret}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def sign(self, org_id: int, request_id: int, nonce: str) -> str:
        return self._links.dumps([org_id, request_id, nonce])

    def read(self, token: str) -> tuple[int, int, str]:
        """(organisation, request, nonce) of a link token; LinkInvalid "invalid" otherwise."""
        if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
            raise LinkInvalid(INVALID)
        try:
            payload: Any = self._links.loads(token)
        except BadData:
            raise LinkInvalid(INVALID) from None
        match payload:
            case [int(org_id), int(request_id), str(nonce)]:
                return org_id, request_id, nonce
        raise LinkInvalid(INVALID)

    def url(self, org_slug: str, token: str) -> str:
        return f"{self.base_url}/p/{org_slug}/verify/{token}"


@dataclass(frozen=True, slots=True)
class Sent:
    method: Method
    expires_at: dt.datetime
    message_id: int


# --------------------------------------------------------------------------- sending


def send(
    session: Session,
    request: RightsRequest,
    method: Method | str,
    *,
    org: Organisation,
    verifier: Verifier,
    now: dt.datetime,
    actor: str,
    policies: PolicyCache | None = None,
) -> Sent:
    """Send a one-time code or link to the person's e-mail address (Conflict when there
    is none, or when the request is no longer waiting for verification)."""
    method = Method(method)
    if request.status != RequestStatus.RECEIVED.value:
        raise Conflict(f"the request is {request.status}: there is nothing to verify")
    if records.contact_email(session, request) is None:
        raise Conflict(
            "privaat knows no e-mail address for this person: verify their identity another "
            "way and record it as a staff override with its reason"
        )
    _retire(session, request, now)
    secret = (
        f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if method is Method.CODE
        else secrets.token_urlsafe(16)
    )
    expires_at = now + verifier.ttl
    session.add(
        VerificationChallenge(
            org_id=request.org_id,
            request_id=request.id,
            method=method.value,
            secret_sha256=verifier.digest(method, request.id, secret),
            created_at=now,
            expires_at=expires_at,
            attempts=0,
            used_at=None,
        )
    )
    policy = records.policy_of(session, org, policies)
    lang = letters.language(request.language)
    context: dict[str, object] = {"expires": letters.moment(expires_at, lang)}
    if method is Method.CODE:
        kind = letters.LetterKind.VERIFICATION_CODE
        context["code"] = secret
    else:
        kind = letters.LetterKind.VERIFICATION_LINK
        context["link"] = verifier.url(org.slug, verifier.sign(org.id, request.id, secret))
    message = letters.notify(session, request, kind, org=org, policy=policy, now=now, **context)
    assert message is not None  # an address exists (checked above)
    records.audit(
        session,
        request,
        "request.verification_sent",
        actor=actor,
        now=now,
        method=method.value,
        expires_at=expires_at.isoformat(),
    )
    return Sent(method, expires_at, message.id)


def _retire(session: Session, request: RightsRequest, now: dt.datetime) -> None:
    """End the request's open challenges: only the newest code or link works."""
    session.execute(
        update(VerificationChallenge)
        .where(
            VerificationChallenge.request_id == request.id,
            VerificationChallenge.used_at.is_(None),
            VerificationChallenge.expires_at > now,
        )
        .values(expires_at=now)
    )


# --------------------------------------------------------------------------- confirming


def confirm_code(
    session: Session,
    org_id: int,
    reference: str,
    code: str,
    *,
    verifier: Verifier,
    now: dt.datetime,
) -> tuple[Outcome, RightsRequest]:
    """Check a code the person typed. The try is counted even when it fails: the caller
    commits, then answers :data:`REFUSED` as a 404. NotFound for an unknown reference."""
    request = records.get(session, org_id, reference, lock=True)
    code = code.strip()
    if request.status != RequestStatus.RECEIVED.value:
        return _again(session, request, code, verifier), request
    challenge = session.execute(
        select(VerificationChallenge)
        .where(
            VerificationChallenge.request_id == request.id,
            VerificationChallenge.method == Method.CODE.value,
            VerificationChallenge.used_at.is_(None),
            VerificationChallenge.expires_at > now,
        )
        .order_by(VerificationChallenge.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if challenge is None:
        return REFUSED, request
    counted = session.execute(
        update(VerificationChallenge)
        .where(
            VerificationChallenge.id == challenge.id,
            VerificationChallenge.attempts < MAX_ATTEMPTS,
        )
        .values(attempts=VerificationChallenge.attempts + 1)
        .returning(VerificationChallenge.attempts)
    ).scalar_one_or_none()
    if counted is None:  # the budget is spent
        return REFUSED, request
    expected = verifier.digest(Method.CODE, request.id, code)
    if not hmac.compare_digest(expected, challenge.secret_sha256):
        return REFUSED, request
    challenge.used_at = now
    _verified(session, request, BY_CODE, now)
    return Outcome.VERIFIED, request


def _again(session: Session, request: RightsRequest, code: str, verifier: Verifier) -> Outcome:
    """A code for a request that is past verification: the code that verified it (a
    second press of the button) is answered as a success that changes nothing."""
    if request.verified_by != BY_CODE:
        return REFUSED
    used = session.execute(
        select(VerificationChallenge.secret_sha256)
        .where(
            VerificationChallenge.request_id == request.id,
            VerificationChallenge.method == Method.CODE.value,
            VerificationChallenge.used_at.is_not(None),
        )
        .order_by(VerificationChallenge.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    expected = verifier.digest(Method.CODE, request.id, code)
    if used is not None and hmac.compare_digest(expected, used):
        return Outcome.ALREADY
    return REFUSED


@dataclass(frozen=True, slots=True)
class PendingLink:
    """A valid verification link: its request, and whether it verified it already."""

    org: Organisation
    request: RightsRequest
    challenge: VerificationChallenge
    used: bool


def inspect_link(
    session: Session, token: str, *, org_id: int, verifier: Verifier, now: dt.datetime
) -> PendingLink:
    """Check a verification link, changing nothing; LinkInvalid ("invalid" or "expired")."""
    signed_org, request_id, nonce = verifier.read(token)
    org = session.get(Organisation, signed_org)
    request = session.get(RightsRequest, request_id)
    if signed_org != org_id or org is None or request is None or request.org_id != org_id:
        raise LinkInvalid(INVALID)
    digest = verifier.digest(Method.LINK, request.id, nonce)
    challenge = session.execute(
        select(VerificationChallenge).where(
            VerificationChallenge.request_id == request.id,
            VerificationChallenge.method == Method.LINK.value,
            VerificationChallenge.secret_sha256 == digest,
        )
    ).scalar_one_or_none()
    if challenge is None:
        raise LinkInvalid(INVALID)
    if challenge.used_at is not None:
        return PendingLink(org, request, challenge, used=True)
    if now >= challenge.expires_at:
        raise LinkInvalid("expired")
    if request.status != RequestStatus.RECEIVED.value:
        raise LinkInvalid(INVALID)  # verified another way, rejected or cancelled since
    return PendingLink(org, request, challenge, used=False)


def confirm_link(
    session: Session, token: str, *, org_id: int, verifier: Verifier, now: dt.datetime
) -> PendingLink:
    """Verify the request a link was sent for (once; a second use changes nothing)."""
    pending = inspect_link(session, token, org_id=org_id, verifier=verifier, now=now)
    if pending.used:
        return pending
    request = records.get(session, org_id, pending.request.reference, lock=True)
    taken = session.execute(
        update(VerificationChallenge)
        .where(
            VerificationChallenge.id == pending.challenge.id,
            VerificationChallenge.used_at.is_(None),
        )
        .values(used_at=now)
        .returning(VerificationChallenge.id)
    ).scalar_one_or_none()
    if taken is None or request.status != RequestStatus.RECEIVED.value:
        raise LinkInvalid(INVALID)
    _verified(session, request, BY_LINK, now)
    return PendingLink(pending.org, request, pending.challenge, used=True)


def override(
    session: Session, request: RightsRequest, reason: str, *, now: dt.datetime, actor: str
) -> None:
    """A staff member verified the person another way; `reason` says how (kept with the
    request, not in the audit trail, which records who did it)."""
    note = records.reason_text(reason, "the reason for a verification override")
    records.move(request, RequestStatus.VERIFIED)
    _retire(session, request, now)
    request.verified_at = now
    request.verified_by = actor
    request.verification_note = note
    records.audit(session, request, "request.verified", actor=actor, now=now, method="override")


def _verified(session: Session, request: RightsRequest, by: str, now: dt.datetime) -> None:
    records.move(request, RequestStatus.VERIFIED)
    _retire(session, request, now)
    request.verified_at = now
    request.verified_by = by
    records.audit(session, request, "request.verified", actor="subject", now=now, method=by)
