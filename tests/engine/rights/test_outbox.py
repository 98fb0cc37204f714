"""The outbox delivers to a real SMTP server (aiosmtpd on 127.0.0.1), plain or TLS with a login."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import SecretStr

from privaat.core.clock import FrozenClock
from privaat.engine.rights import intake, outbox, verify
from privaat.engine.rights.outbox import SmtpMailer
from privaat.engine.rights.verify import Verifier
from privaat.errors import UsageError
from privaat.settings import Settings
from privaat.store.db import Store
from privaat.store.models import Organisation, RightsRequest
from tests.conftest import TEST_SECRET
from tests.engine.rights.conftest import code_in, messages
from tests.engine.rights.smtp import PASSWORD, USER, free_port, smtp_server

SENDER = "privacy@jetstax.example"


def settings(url: str | None, password: str | None = None) -> Settings:
    return Settings(
        environment="test",
        secret_key=TEST_SECRET,
        smtp_url=url,
        smtp_password=SecretStr(password) if password else None,
        mail_from=SENDER,
    )


def queue_two(store: Store, org: Organisation, clock: FrozenClock, verifier: Verifier) -> str:
    """A request (its acknowledgement) and a verification code: two queued messages."""
    with store.transaction() as session:
        request = intake.file_request(
            session,
            org=org,
            kind="access",
            identity_kind="email",
            identity_value="an@example.be",
            language="en",
            channel="api",
            details=None,
            now=clock.now(),
            actor="cli",
        ).request
        verify.send(
            session, request, "code", org=org, verifier=verifier, now=clock.now(), actor="cli"
        )
    return code_in(messages(store, "verification_code")[0])


def test_queued_messages_are_delivered_and_marked_sent(
    store: Store, org: Organisation, clock: FrozenClock, verifier: Verifier
) -> None:
    code = queue_two(store, org, clock, verifier)
    with smtp_server() as (inbox, port, _tls):
        mailer = SmtpMailer.from_settings(settings(f"smtp://127.0.0.1:{port}"))
        report = outbox.deliver(store, mailer, sender=SENDER, now=clock.now)
    assert (report.sent, report.failed) == (2, 0)
    [(to1, ack), (to2, mail)] = inbox.received
    assert to1 == to2 == ["an@example.be"]
    assert ack["Subject"] == "Acknowledgement of your request"
    assert ack["From"] == SENDER
    assert ack["Auto-Submitted"] == "auto-generated"
    assert ack["Content-Language"] == "en"
    assert "no later than 21 December 2026" in ack.get_content()
    assert code in mail.get_content()
    sent = messages(store)
    assert all(m.sent_at == clock.now() and m.attempts == 1 for m in sent)
    # the code lives on only in the person's mailbox
    assert code not in sent[1].body
    assert sent[1].body == outbox.REDACTED
    with store.reading() as session:
        assert outbox.unsent_count(session) == 0
    # nothing is sent twice
    with smtp_server() as (inbox, port, _tls):
        mailer = SmtpMailer.from_settings(settings(f"smtp://127.0.0.1:{port}"))
        assert outbox.deliver(store, mailer, sender=SENDER, now=clock.now).sent == 0
        assert inbox.received == []


def test_delivery_over_tls_with_a_login(
    store: Store, org: Organisation, clock: FrozenClock, verifier: Verifier, tmp_path: Path
) -> None:
    queue_two(store, org, clock, verifier)
    with smtp_server(tmp_path) as (inbox, port, tls):
        url = f"smtps://{USER}@127.0.0.1:{port}"
        wrong = SmtpMailer.from_settings(settings(url, "not-the-password"), ssl_context=tls)
        refused = outbox.deliver(store, wrong, sender=SENDER, now=clock.now, limit=1)
        assert (refused.sent, refused.failed) == (0, 1)
        assert messages(store)[0].last_error == "SMTPAuthenticationError 535"
        right = SmtpMailer.from_settings(settings(url, PASSWORD), ssl_context=tls)
        report = outbox.deliver(store, right, sender=SENDER, now=clock.now)
    assert (report.sent, report.failed) == (2, 0)
    assert len(inbox.received) == 2
    first = messages(store)[0]
    assert (first.attempts, first.last_error) == (2, None)


def test_failures_are_counted_with_their_kind_only(
    store: Store,
    org: Organisation,
    clock: FrozenClock,
    verifier: Verifier,
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue_two(store, org, clock, verifier)
    closed = SmtpMailer.from_settings(settings(f"smtp://127.0.0.1:{free_port()}"))
    with caplog.at_level(logging.WARNING, logger="privaat.outbox"):
        report = outbox.deliver(store, closed, sender=SENDER, now=clock.now)
    assert (report.sent, report.failed) == (0, 2)
    assert {m.last_error for m in messages(store)} == {"ConnectionRefusedError"}
    assert "example.be" not in caplog.text
    with smtp_server() as (inbox, port, _tls):
        inbox.refuse = True
        mailer = SmtpMailer.from_settings(settings(f"smtp://127.0.0.1:{port}"))
        for _ in range(outbox.MAX_ATTEMPTS - 2):
            outbox.deliver(store, mailer, sender=SENDER, now=clock.now)
        last = outbox.deliver(store, mailer, sender=SENDER, now=clock.now)
        assert last.given_up == 2
        # given up: no longer tried
        inbox.refuse = False
        assert outbox.deliver(store, mailer, sender=SENDER, now=clock.now).sent == 0
    assert {(m.attempts, m.last_error) for m in messages(store)} == {
        (outbox.MAX_ATTEMPTS, "SMTPDataError 554")
    }
    assert "example.be" not in caplog.text


def test_the_smtp_settings() -> None:
    with pytest.raises(UsageError, match="PRIVAAT_SMTP_URL is not set"):
        SmtpMailer.from_settings(settings(None))
    with pytest.raises(UsageError, match="PRIVAAT_SMTP_PASSWORD"):
        SmtpMailer.from_settings(settings("smtps://me@mail.example:465"))
    mailer = SmtpMailer.from_settings(settings("smtps://me%40x@mail.example:465", "pw"))
    assert (mailer.host, mailer.port, mailer.implicit_tls, mailer.user) == (
        "mail.example",
        465,
        True,
        "me@x",
    )
    for bad in ("http://mail.example:25", "smtp://mail.example", "smtp://u:pw@mail.example:25"):
        with pytest.raises(ValueError, match="smtp"):
            settings(bad)
    assert "pw" not in repr(settings("smtps://me@mail.example:465", "pw"))


def test_records_keep_the_outbox_per_request(
    store: Store, org: Organisation, clock: FrozenClock, verifier: Verifier
) -> None:
    queue_two(store, org, clock, verifier)
    [message] = messages(store, "acknowledgement")
    assert message.request_id is not None
    with store.reading() as session:
        kinds = [m.kind for m in outbox.of_request(session, org.id, message.request_id)]
        ref = session.get(RightsRequest, message.request_id)
    assert kinds == ["acknowledgement", "verification_code"]
    assert ref is not None
