"""Signed links a data subject clicks: double opt-in confirmation and one-click unsubscribe.

Both kinds are signed with the install's secret key (itsdangerous, HMAC-SHA256), each kind with
its own salt, so that a token of one kind never verifies as the other. The signed token is the
whole authorisation: nobody logs in, no cookie is set, and nothing about a link is stored.
A token is signed, not encrypted: it carries internal ids (organisation, subject), a purpose
id and a language, never an e-mail address or a name, and the pages it opens show none either,
so a forwarded link tells its reader nothing about the person.

**Double opt-in.** :func:`request_confirmation` signs who (organisation, subject), what (purpose),
in which language, against which notice (the SHA-256 of the text shown at sign-up), a random
nonce and when. It records no consent: until the person confirms there is none; it only audits
that a confirmation was asked for. :func:`confirm` checks the signature and the age of the link
against the injected clock (``confirmation_ttl_seconds``; itsdangerous' own clock is not used),
then records GIVEN through the double opt-in channel. A link confirms once: the nonce is the
event's idempotency key, so a second click finds the first event and records nothing.

**Unsubscribe.** :func:`unsubscribe_link` signs (organisation, subject, purpose) and nothing else,
so the same person gets the same link in every mailing, and the link does not expire: a message
from two years ago must still let its reader leave ("withdrawing is as easy as giving", Art. 7(3);
every message must carry a working opt-out, ePrivacy Art. 13(2)). An old link can only ever
withdraw or object, never grant, so its long life gives nothing away; rotating the secret key
invalidates every link at once. :func:`unsubscribe` records WITHDRAWN for a consent purpose and
OBJECTED for a direct-marketing purpose on another basis (Art. 21(2)), decided from the policy in
force when the person clicks. A second click records nothing new.

``LinkInvalid`` carries its reason as its message: ``"expired"`` or ``"invalid"``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, Final

from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from privaat.core.policy.model import LANGUAGES, Lang, LegalBasis, Policy, Purpose
from privaat.engine import notices
from privaat.engine.audit import AuditRecord, append
from privaat.engine.consent import Channel, EventKind, Proof, accepts, record
from privaat.engine.orgs import PolicyCache, active_policy
from privaat.errors import InvalidInput, LinkInvalid, NotFound
from privaat.settings import Settings
from privaat.store.models import ConsentEvent, ConsentState, Organisation, Subject

EXPIRED: Final = "expired"
INVALID: Final = "invalid"

#: The subject acts through a link: no staff member, no application token.
SUBJECT_ACTOR: Final = "subject"

#: Longer tokens are refused before any decoding.
MAX_TOKEN_LENGTH: Final = 512

_LANGS: dict[str, Lang] = {code: code for code in LANGUAGES}

_CONFIRM_SALT = "privaat.link.confirm.v1"
_UNSUBSCRIBE_SALT = "privaat.link.unsubscribe.v1"

#: RFC 8058: the body a mail provider POSTs for a one-click unsubscribe, and its header.
ONE_CLICK: Final = "List-Unsubscribe=One-Click"


# --------------------------------------------------------------------------- signing


class LinkSigner:
    """Signs and reads privaat's links with the install's secret key; knows their address."""

    def __init__(self, secret_key: str, base_url: str, confirmation_ttl: dt.timedelta) -> None:
        self.base_url = base_url.rstrip("/")
        self.confirmation_ttl = confirmation_ttl
        self._confirm = _serializer(secret_key, _CONFIRM_SALT)
        self._unsubscribe = _serializer(secret_key, _UNSUBSCRIBE_SALT)

    @classmethod
    def from_settings(cls, settings: Settings) -> LinkSigner:
        return cls(
            settings.secret_key.get_secret_value(),
            settings.base_url,
            dt.timedelta(seconds=settings.confirmation_ttl_seconds),
        )

    def sign_confirmation(self, c: Confirmation) -> str:
        return self._confirm.dumps(
            [
                c.org_id,
                c.subject_id,
                c.purpose,
                c.language,
                _pack_hash(c.notice_sha256),
                c.nonce,
                int(c.issued_at.timestamp()),
            ]
        )

    def read_confirmation(self, token: str) -> Confirmation:
        """The confirmation a token signs (LinkInvalid "invalid"); its age is not checked here."""
        match self._load(self._confirm, token):
            case [
                int(org_id),
                int(subject_id),
                str(purpose),
                str(language),
                notice,
                str(nonce),
                int(issued),
            ] if language in _LANGS and (notice is None or isinstance(notice, str)):
                issued_at = dt.datetime.fromtimestamp(issued, dt.UTC)
                return Confirmation(
                    org_id,
                    subject_id,
                    purpose,
                    _LANGS[language],
                    _unpack_hash(notice),
                    nonce,
                    issued_at,
                    issued_at + self.confirmation_ttl,
                )
        raise LinkInvalid(INVALID)

    def sign_unsubscribe(self, u: Unsubscription) -> str:
        return self._unsubscribe.dumps([u.org_id, u.subject_id, u.purpose])

    def read_unsubscribe(self, token: str) -> Unsubscription:
        """What an unsubscribe token signs (LinkInvalid "invalid")."""
        match self._load(self._unsubscribe, token):
            case [int(org_id), int(subject_id), str(purpose)]:
                return Unsubscription(org_id, subject_id, purpose)
        raise LinkInvalid(INVALID)

    def confirmation_url(self, org_slug: str, token: str) -> str:
        return f"{self.base_url}/p/{org_slug}/confirm/{token}"

    def unsubscribe_url(self, token: str) -> str:
        return f"{self.base_url}/u/{token}"

    @staticmethod
    def _load(serializer: URLSafeSerializer, token: str) -> Any:
        if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
            raise LinkInvalid(INVALID)
        try:
            return serializer.loads(token)
        except BadData:  # a wrong signature, a cut-off token, a payload that is not JSON
            raise LinkInvalid(INVALID) from None


def _serializer(secret_key: str, salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(
        secret_key,
        salt=salt,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha256},
    )


def _pack_hash(hex_digest: str | None) -> str | None:
    """A SHA-256 in 43 URL-safe characters instead of 64 hex ones: shorter links."""
    if hex_digest is None:
        return None
    return base64.urlsafe_b64encode(bytes.fromhex(hex_digest)).rstrip(b"=").decode()


def _unpack_hash(packed: str | None) -> str | None:
    if packed is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4))
    except (binascii.Error, ValueError):
        raise LinkInvalid(INVALID) from None
    if len(raw) != 32:
        raise LinkInvalid(INVALID)
    return raw.hex()


# --------------------------------------------------------------------------- what links carry


@dataclass(frozen=True, slots=True)
class Confirmation:
    """What a double opt-in link signs."""

    org_id: int
    subject_id: int
    purpose: str
    language: Lang
    notice_sha256: str | None
    nonce: str
    issued_at: dt.datetime
    expires_at: dt.datetime  # issued_at + the confirmation lifetime configured now

    @property
    def idempotency_key(self) -> str:
        return f"doi:{self.nonce}"


@dataclass(frozen=True, slots=True)
class Unsubscription:
    """What an unsubscribe link signs: whom, in which organisation, for which purpose."""

    org_id: int
    subject_id: int
    purpose: str


@dataclass(frozen=True, slots=True)
class ConfirmationLink:
    url: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class UnsubscribeLink:
    """The link for the message body and the two headers of RFC 8058 (one-click)."""

    url: str
    list_unsubscribe_header: str  # List-Unsubscribe: <https://.../u/TOKEN>
    list_unsubscribe_post_header: str  # List-Unsubscribe-Post: List-Unsubscribe=One-Click

    @property
    def headers(self) -> dict[str, str]:
        return {
            "List-Unsubscribe": self.list_unsubscribe_header,
            "List-Unsubscribe-Post": self.list_unsubscribe_post_header,
        }


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a click did: ``recorded`` is False when an earlier click already did it."""

    org_id: int
    subject_id: int
    purpose: str
    kind: EventKind
    recorded: bool
    event_id: int | None
    language: Lang | None = None  # the language the link was sent in, when it says


# --------------------------------------------------------------------------- purposes


def confirmable_purpose(policy: Policy, purpose_id: str) -> Purpose:
    """A purpose whose consent a double opt-in link may confirm (InvalidInput otherwise).

    The ledger's rule: a purpose resting on consent, or direct marketing, which needs consent
    from anyone who is not an existing customer (ePrivacy Art. 13) whatever its GDPR basis.
    """
    purpose = policy.purpose(purpose_id)
    if purpose is None:
        raise InvalidInput(f"the active policy has no purpose {purpose_id!r}")
    if not accepts(purpose, EventKind.GIVEN):
        raise InvalidInput(
            f"purpose {purpose_id!r} is neither based on consent nor direct marketing: "
            "there is no consent to confirm"
        )
    return purpose


def withdrawal_kind(purpose: Purpose) -> EventKind | None:
    """What unsubscribing means for `purpose`: withdrawal, objection, or nothing it allows.

    Consent is withdrawn (Art. 7(3)); direct marketing on another basis (a soft opt-in on
    legitimate interest) is objected to, and an objection always stops it (Art. 21(2)).
    """
    if purpose.basis is LegalBasis.CONSENT:
        return EventKind.WITHDRAWN
    if purpose.marketing:
        return EventKind.OBJECTED
    return None


def unsubscribable_purpose(policy: Policy, purpose_id: str) -> tuple[Purpose, EventKind]:
    """A purpose one can unsubscribe from, and what that records (InvalidInput otherwise)."""
    purpose = policy.purpose(purpose_id)
    if purpose is None:
        raise InvalidInput(f"the active policy has no purpose {purpose_id!r}")
    kind = withdrawal_kind(purpose)
    if kind is None:
        raise InvalidInput(
            f"purpose {purpose_id!r} is neither based on consent nor direct marketing: "
            "there is nothing to unsubscribe from"
        )
    return purpose, kind


def _subject_of(session: Session, org_id: int, subject_id: int) -> Subject | None:
    subject = session.get(Subject, subject_id)
    return subject if subject is not None and subject.org_id == org_id else None


# --------------------------------------------------------------------------- double opt-in


def request_confirmation(
    session: Session,
    *,
    org: Organisation,
    subject_id: int,
    purpose: str,
    language: Lang,
    notice_sha256: str | None,
    now: dt.datetime,
    actor: str,
    signer: LinkSigner,
    policies: PolicyCache | None = None,
) -> ConfirmationLink:
    """A link the person must open to confirm their consent; records no consent.

    Without `notice_sha256` the link ties the consent to the notice of the active policy in
    `language`, as privaat renders it.
    """
    policy = active_policy(session, org, policies)
    confirmable_purpose(policy, purpose)
    if language not in LANGUAGES:
        raise InvalidInput(f"no language {language!r}; choose one of {', '.join(LANGUAGES)}")
    if _subject_of(session, org.id, subject_id) is None:
        raise NotFound("no such subject in this organisation")
    if notice_sha256 is None:
        if language not in policy.languages:
            shown = ", ".join(policy.languages)
            raise InvalidInput(f"the notice is not published in {language!r} (only {shown})")
        assert org.active_policy_id is not None  # active_policy() raised otherwise
        notice_sha256 = notices.notice_sha256(org.active_policy_id, policy, language)
    elif len(notice_sha256) != 64 or notice_sha256.strip("0123456789abcdef"):
        raise InvalidInput("notice_sha256 is 64 lowercase hexadecimal characters")
    issued_at = now.astimezone(dt.UTC).replace(microsecond=0)
    confirmation = Confirmation(
        org_id=org.id,
        subject_id=subject_id,
        purpose=purpose,
        language=language,
        notice_sha256=notice_sha256,
        nonce=secrets.token_urlsafe(9),
        issued_at=issued_at,
        expires_at=issued_at + signer.confirmation_ttl,
    )
    token = signer.sign_confirmation(confirmation)
    append(
        session,
        AuditRecord(
            actor,
            "consent.confirmation_requested",
            now,
            org_id=org.id,
            subject_id=subject_id,
            target=f"purpose:{purpose}",
            detail={
                "purpose": purpose,
                "language": language,
                "notice_sha256": notice_sha256,
                "nonce": confirmation.nonce,
                "expires_at": confirmation.expires_at.isoformat(),
            },
        ),
    )
    return ConfirmationLink(signer.confirmation_url(org.slug, token), confirmation.expires_at)


@dataclass(frozen=True, slots=True)
class PendingConfirmation:
    """A valid double opt-in link, and the event it recorded if it was confirmed already."""

    confirmation: Confirmation
    org: Organisation
    event: ConsentEvent | None


def inspect_confirmation(
    session: Session,
    token: str,
    *,
    org_id: int,
    now: dt.datetime,
    policies: PolicyCache,
    signer: LinkSigner,
) -> PendingConfirmation:
    """Check a double opt-in link of the organisation `org_id`, recording nothing.

    A link that was confirmed stays readable after it expires (its page says so). One that
    was not is refused once expired, or when its subject or purpose is gone since it was sent.
    """
    c = signer.read_confirmation(token)
    org = session.get(Organisation, c.org_id)
    if c.org_id != org_id or org is None:
        raise LinkInvalid(INVALID)
    event = session.execute(
        select(ConsentEvent).where(
            ConsentEvent.org_id == org_id,
            ConsentEvent.idempotency_key == c.idempotency_key,
        )
    ).scalar_one_or_none()
    if event is not None:
        return PendingConfirmation(c, org, event)
    if now >= c.expires_at:
        raise LinkInvalid(EXPIRED)
    if _subject_of(session, org_id, c.subject_id) is None:
        raise LinkInvalid(INVALID)  # erased since the link was sent
    try:
        confirmable_purpose(active_policy(session, org, policies), c.purpose)
    except (InvalidInput, NotFound):
        raise LinkInvalid(INVALID) from None  # the purpose left the policy since
    return PendingConfirmation(c, org, None)


def confirm(
    session: Session,
    token: str,
    *,
    org_id: int,
    ip: str | None,
    user_agent: str | None,
    now: dt.datetime,
    policies: PolicyCache,
    signer: LinkSigner,
) -> Outcome:
    """Record the consent a double opt-in link asks for, once; LinkInvalid if it cannot."""
    pending = inspect_confirmation(
        session, token, org_id=org_id, now=now, policies=policies, signer=signer
    )
    c = pending.confirmation
    if pending.event is not None:
        return Outcome(
            c.org_id, c.subject_id, c.purpose, EventKind.GIVEN, False, pending.event.id, c.language
        )
    event = record(
        session,
        org=pending.org,
        subject_id=c.subject_id,
        purpose=c.purpose,
        kind=EventKind.GIVEN,
        proof=Proof(
            channel=Channel.DOUBLE_OPT_IN,
            occurred_at=now,
            ip=ip,
            user_agent=user_agent,
            notice_sha256=c.notice_sha256,
            language=c.language,
            provenance=f"confirmation:{c.nonce}",
        ),
        actor=SUBJECT_ACTOR,
        now=now,
        policies=policies,
        idempotency_key=c.idempotency_key,
    )
    return Outcome(c.org_id, c.subject_id, c.purpose, EventKind.GIVEN, True, event.id, c.language)


# --------------------------------------------------------------------------- unsubscribe


def unsubscribe_link(
    org: Organisation, subject_id: int, purpose: str, *, signer: LinkSigner
) -> UnsubscribeLink:
    """The subject's unsubscribe link for `purpose`: the same in every mailing, never expiring.

    The caller checks that the purpose suits (:func:`unsubscribable_purpose`) and that the
    subject belongs to `org`.
    """
    token = signer.sign_unsubscribe(Unsubscription(org.id, subject_id, purpose))
    url = signer.unsubscribe_url(token)
    return UnsubscribeLink(url, f"<{url}>", ONE_CLICK)


def create_unsubscribe_link(
    session: Session,
    *,
    org: Organisation,
    subject_id: int,
    purpose: str,
    signer: LinkSigner,
    policies: PolicyCache | None = None,
) -> UnsubscribeLink:
    """:func:`unsubscribe_link` after checking the purpose and the subject."""
    unsubscribable_purpose(active_policy(session, org, policies), purpose)
    if _subject_of(session, org.id, subject_id) is None:
        raise NotFound("no such subject in this organisation")
    return unsubscribe_link(org, subject_id, purpose, signer=signer)


@dataclass(frozen=True, slots=True)
class PendingUnsubscription:
    """A valid unsubscribe link, and what using it records."""

    unsubscription: Unsubscription
    org: Organisation
    policy: Policy
    kind: EventKind


def inspect_unsubscribe(
    session: Session, token: str, *, policies: PolicyCache, signer: LinkSigner
) -> PendingUnsubscription:
    """Check an unsubscribe link, recording nothing; LinkInvalid when it cannot be used
    (its subject was erased, or its purpose left the policy, since it was sent)."""
    u = signer.read_unsubscribe(token)
    org = session.get(Organisation, u.org_id)
    if org is None or _subject_of(session, u.org_id, u.subject_id) is None:
        raise LinkInvalid(INVALID)
    try:
        policy = active_policy(session, org, policies)
        _purpose, kind = unsubscribable_purpose(policy, u.purpose)
    except (InvalidInput, NotFound):
        raise LinkInvalid(INVALID) from None
    return PendingUnsubscription(u, org, policy, kind)


def unsubscribe(
    session: Session,
    token: str,
    *,
    ip: str | None,
    user_agent: str | None,
    language: str | None,
    provenance: str,
    now: dt.datetime,
    policies: PolicyCache,
    signer: LinkSigner,
) -> Outcome:
    """Withdraw consent to, or object to, the purpose of an unsubscribe link.

    Idempotent: when the purpose's current state already is what unsubscribing records,
    nothing is recorded. The idempotency key names the state being ended, so two clicks at
    the same moment end it once, and a person who signs up again can leave again.
    """
    pending = inspect_unsubscribe(session, token, policies=policies, signer=signer)
    u, kind = pending.unsubscription, pending.kind
    state = session.get(ConsentState, (u.org_id, u.subject_id, u.purpose))
    if state is not None and state.kind == kind.value:
        return Outcome(u.org_id, u.subject_id, u.purpose, kind, False, state.event_id)
    ended = state.event_id if state is not None else 0
    event = record(
        session,
        org=pending.org,
        subject_id=u.subject_id,
        purpose=u.purpose,
        kind=kind,
        proof=Proof(
            channel=Channel.UNSUBSCRIBE,
            occurred_at=now,
            ip=ip,
            user_agent=user_agent,
            # the ledger ties the event to the notice in this language: one it publishes
            language=language if language in pending.policy.languages else None,
            provenance=provenance,
        ),
        actor=SUBJECT_ACTOR,
        now=now,
        policies=policies,
        idempotency_key=f"unsubscribe:{u.subject_id}:{u.purpose}:{ended}",
    )
    return Outcome(u.org_id, u.subject_id, u.purpose, kind, True, event.id)
