"""The outbox: messages privaat sends to people, queued in the store, delivered over SMTP.

A message is queued (:func:`queue`) in the same transaction as the change it reports, so a
rolled-back change sends nothing. :func:`deliver` sends what is queued when an SMTP server
is configured (``PRIVAAT_SMTP_URL``): each message at most ``MAX_ATTEMPTS`` times, its
attempts counted, its last error kept as the error's kind only (an SMTP error's text can
quote the address). Nothing here logs an address or a body. A message that carried a
verification code or link has its body blanked once sent: the secret lives on only in the
person's mailbox.

Delivery holds no database lock while it talks to the mail server on SQLite (the embedded
store has one writer at a time; run one ``privaat outbox send`` at a time there). On
PostgreSQL each message is locked (``FOR UPDATE SKIP LOCKED``) while it is sent, so that
several senders never send one message twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Final, Protocol
from urllib.parse import unquote, urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from privaat.errors import UsageError
from privaat.settings import Settings
from privaat.store.db import Store
from privaat.store.models import OutboxMessage

log = logging.getLogger("privaat.outbox")

#: A message is tried this many times, then left for a person to look at.
MAX_ATTEMPTS: Final = 5

#: Kinds whose body holds a secret (a code, a link): blanked once sent.
REDACT_WHEN_SENT: Final = frozenset({"verification_code", "verification_link"})
REDACTED: Final = "(removed after sending: it held a one-time verification secret)"

_MAX_SUBJECT = 300


def queue(
    session: Session,
    *,
    org_id: int,
    request_id: int | None,
    kind: str,
    to: str,
    subject: str,
    body: str,
    language: str,
    now: dt.datetime,
) -> OutboxMessage:
    """Queue one message; it leaves when :func:`deliver` runs after the commit."""
    message = OutboxMessage(
        org_id=org_id,
        request_id=request_id,
        kind=kind,
        to_address=to,
        subject_line=subject[:_MAX_SUBJECT],
        body=body,
        language=language,
        created_at=now,
        sent_at=None,
        attempts=0,
        last_error=None,
    )
    session.add(message)
    session.flush()
    return message


def pending(session: Session, *, limit: int = 100) -> list[OutboxMessage]:
    """Messages still to send, oldest first."""
    return list(
        session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
            .order_by(OutboxMessage.id)
            .limit(limit)
        ).scalars()
    )


def of_request(session: Session, org_id: int, request_id: int) -> list[OutboxMessage]:
    return list(
        session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.org_id == org_id, OutboxMessage.request_id == request_id)
            .order_by(OutboxMessage.id)
        ).scalars()
    )


# --------------------------------------------------------------------------- SMTP


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand one message to the mail server (raise on failure)."""
        ...


@dataclass(frozen=True, slots=True)
class SmtpMailer:
    """Sends through an SMTP server: ``smtp://host:port`` (STARTTLS when offered) or
    ``smtps://user@host:port`` (TLS from the start); a user logs in with the password."""

    host: str
    port: int
    implicit_tls: bool
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0
    ssl_context: ssl.SSLContext | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, ssl_context: ssl.SSLContext | None = None
    ) -> SmtpMailer:
        if not settings.smtp_url:
            raise UsageError("PRIVAAT_SMTP_URL is not set: messages stay queued")
        parts = urlsplit(settings.smtp_url)
        assert parts.hostname is not None
        assert parts.port is not None
        user = unquote(parts.username) if parts.username else None
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        if user is not None and password is None:
            raise UsageError("PRIVAAT_SMTP_URL names a user: set PRIVAAT_SMTP_PASSWORD")
        return cls(
            host=parts.hostname,
            port=parts.port,
            implicit_tls=parts.scheme == "smtps",
            user=user,
            password=password,
            ssl_context=ssl_context,
        )

    def send(self, message: EmailMessage) -> None:
        context = self.ssl_context or ssl.create_default_context()
        client: smtplib.SMTP
        if self.implicit_tls:
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            client.ehlo()
            if not self.implicit_tls and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            if self.user is not None and self.password is not None:
                client.login(self.user, self.password)
            client.send_message(message)


def email_message(message: OutboxMessage, *, sender: str, now: dt.datetime) -> EmailMessage:
    """The outbox message as an e-mail: plain text, UTF-8, marked as sent automatically."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.to_address
    mail["Subject"] = message.subject_line
    mail["Date"] = format_datetime(now)
    domain = sender.rpartition("@")[2] or "localhost"
    mail["Message-ID"] = make_msgid(idstring=f"privaat.{message.id}", domain=domain)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    mail.set_content(message.body)
    mail["Content-Language"] = message.language  # after set_content, which drops Content-*
    return mail


def error_kind(exc: BaseException) -> str:
    """What went wrong, without the message text (which can quote an address)."""
    code = getattr(exc, "smtp_code", None)
    return f"{type(exc).__name__} {code}" if isinstance(code, int) else type(exc).__name__


# --------------------------------------------------------------------------- delivering


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int
    failed: int  # attempts that failed in this run (the messages stay queued)
    given_up: int  # messages that reached MAX_ATTEMPTS in this run


def _mark(session: Session, message_id: int, error: str | None, now: dt.datetime) -> bool:
    """Count the attempt; on success, the message is sent (and blanked if it held a secret).
    Returns whether the message has now used its last attempt without success."""
    row = session.get(OutboxMessage, message_id)
    assert row is not None
    row.attempts += 1
    if error is None:
        row.sent_at = now
        row.last_error = None
        if row.kind in REDACT_WHEN_SENT:
            row.body = REDACTED
        return False
    row.last_error = error[:200]
    return row.attempts >= MAX_ATTEMPTS


def _attempt(mailer: Mailer, message: OutboxMessage, sender: str, now: dt.datetime) -> str | None:
    try:
        mailer.send(email_message(message, sender=sender, now=now))
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        kind = error_kind(exc)
        log.warning("outbox message %s not sent: %s", message.id, kind)
        return kind
    return None


def deliver(
    store: Store,
    mailer: Mailer,
    *,
    sender: str,
    now: Callable[[], dt.datetime],
    limit: int = 100,
) -> DeliveryReport:
    """Send up to `limit` queued messages, one short transaction per message (this function
    owns its transactions: a message must be marked sent right after it left)."""
    with store.reading() as session:
        ids = [m.id for m in pending(session, limit=limit)]
    sent = failed = given_up = 0
    for message_id in ids:
        if store.dialect == "postgresql":
            with store.transaction() as session:
                message = session.execute(
                    select(OutboxMessage)
                    .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None))
                    .with_for_update(skip_locked=True)
                ).scalar_one_or_none()
                if message is None:  # another sender has it, or sent it
                    continue
                error = _attempt(mailer, message, sender, now())
                exhausted = _mark(session, message_id, error, now())
        else:
            with store.reading() as session:
                message = session.get(OutboxMessage, message_id)
            if message is None or message.sent_at is not None:
                continue
            error = _attempt(mailer, message, sender, now())
            with store.transaction() as session:
                exhausted = _mark(session, message_id, error, now())
        if error is None:
            sent += 1
        else:
            failed += 1
            given_up += exhausted
    return DeliveryReport(sent=sent, failed=failed, given_up=given_up)


def unsent_count(session: Session) -> int:
    """Messages not sent yet (given up on included)."""
    return int(
        session.execute(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        ).scalar_one()
    )
