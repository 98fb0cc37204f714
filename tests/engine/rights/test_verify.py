"""Verifying the person behind a request: one-time codes, signed links, staff overrides."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from privaat.core.clock import FrozenClock
from privaat.core.requests import RequestStatus
from privaat.engine import subjects
from privaat.engine.audit import latest_entries
from privaat.engine.rights import intake, records, verify
from privaat.engine.rights.verify import Outcome, Verifier
from privaat.engine.subjects import IdentityKind
from privaat.errors import Conflict, InvalidInput, LinkInvalid, NotFound
from privaat.store.db import Store
from privaat.store.models import Organisation, RightsRequest, VerificationChallenge
from tests.engine.rights.conftest import TTL, code_in, messages, token_in


def filed(
    store: Store,
    org: Organisation,
    clock: FrozenClock,
    identity: tuple[str, str] = ("email", "an@example.be"),
) -> str:
    with store.transaction() as session:
        return intake.file_request(
            session,
            org=org,
            kind="access",
            identity_kind=identity[0],
            identity_value=identity[1],
            language="en",
            channel="api",
            details=None,
            now=clock.now(),
            actor="token:1",
        ).request.reference


def send(
    store: Store, org: Organisation, clock: FrozenClock, verifier: Verifier, ref: str, method: str
) -> verify.Sent:
    with store.transaction() as session:
        row = records.get(session, org.id, ref, lock=True)
        return verify.send(
            session, row, method, org=org, verifier=verifier, now=clock.now(), actor="staff:7"
        )


def try_code(
    store: Store, org: Organisation, clock: FrozenClock, verifier: Verifier, ref: str, code: str
) -> Outcome:
    with store.transaction() as session:
        outcome, _row = verify.confirm_code(
            session, org.id, ref, code, verifier=verifier, now=clock.now()
        )
    return outcome


def request(store: Store, org: Organisation, ref: str) -> RightsRequest:
    with store.reading() as session:
        return records.get(session, org.id, ref)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_mailed_code_verifies_the_request_once(
    store: Store, org: Organisation, clock: FrozenClock, verifier: Verifier
) -> None:
    ref = filed(store, org, clock)
    sent = send(store, org, clock, verifier, ref, "code")
    assert sent.expires_at == clock.now() + TTL
    [message] = messages(store, "verification_code")
    assert message.to_address == "an@example.be"
    assert message.subject_line == "Confirm your request with a code"
    code = code_in(message)
    with store.reading() as session:
        [challenge] = session.execute(select(VerificationChallenge)).scalars()
    assert code not in challenge.secret_sha256  # only a keyed hash is stored
    assert challenge.secret_sha256 == verifier.digest(
        verify.Method.CODE, challenge.request_id, code
    )
    assert try_code(store, org, clock, verifier, ref, wrong(code)) is Outcome.REFUSED
    assert try_code(store, org, clock, verifier, ref, f" {code} ") is Outcome.VERIFIED
    row = request(store, org, ref)
    assert (row.status, row.verified_by, row.verified_at) == ("verified", "code", clock.now())
    # the same code again (a second press): a success that changes nothing; another: refused
    assert try_code(store, org, clock, verifier, ref, code) is Outcome.ALREADY
    assert try_code(store, org, clock, verifier, ref, wrong(code)) is Outcome.REFUSED
    with store.transaction() as session:
        actions = [e.action for e in latest_entries(session, org.id, 10)]
        entries = latest_entries(session, org.id, 10)
    assert actions[-2:] == ["request.verification_sent", "request.verified"]
    assert all(code not in e.detail and "an@example.be" not in e.detail for e in entries)


def test_five_tries_then_even_the_right_code_is_refused(
    store: Store, org: Organisation, clock: FrozenClock, verifier: Verifier
) -> None:
    ref = filed(store, org, clock)
    send(store, org, clock, verifier, ref, "code")
    code = code_in(messages(store, "verification_code")[0])
    for _ in range(verify.MAX_ATTEMPTS):
        assert try_code(store, org, clock, verifier, ref, wrong(code)) is Outcome.REFUSED
    assert try_code(store, org, clock, verifier, ref, code) is Outcome.REFUSED
    with store.reading() as session:
        attempts = session.execute(select(VerificationChallenge.attempts)).scalar_one()
    assert attempts == verify.MAX_ATTEMPTS
    assert request(store, org, ref).status == "received"
    # staff can send a new code: the budget is per code
    send(store, org, clock, verifier, ref, "code")
    fresh = code_in(messages(store, "verification_code")[-1])
    assert try_code(store, org, clock, verifier, ref, fresh) is Outcome.VERIFIED


def test_a_code_expires_and_a_new_one_retires_the_old(
    store: Store, org: Organisation, clock: FrozenClock, verifier: Verifier
) -> None:
    ref = filed(store, org, clock)
    send(store, org, clock, verifier, ref, "code")
    first = code_in(messages(store, "verification_code")[0])
    clock.advance(TTL)
    assert try_code(store, org, clock, verifier, ref, first) is Outcome.REFUSED
    send(store, org, clock, verifier, ref, "code")
    second = code_in(messages(store, "verification_code")[1])
    send(store, org, clock, verifier, ref, "code")
    third = code_in(messages(store, "verification_code")[2])
    if second != third:
        assert try_code(store, org, clock, verifier, ref, second) is Outcome.REFUSED
    assert try_code(store, org, clock, verifier, ref, third) is Outcome.VERIFIED


def test_an_unknown_reference_is_not_found(
    store: Store, org: Organisation, clock: FrozenClock, verifier: Verifier
) -> None:
    for ref in ("x" * 22, "short", "a/b" * 8):
        with store.transaction() as session, pytest.raises(NotFound):
            verify.confirm_code(session, org.id, ref, "123456", verifier=verifier, now=clock.now())


def test_without_an_email_address_only_staff_can_verify(
    store: Store, org: Organisation, clock: FrozenClock, verifier: Verifier
) -> None:
    ref = filed(store, org, clock, identity=("customer_number", "C-77"))
    with pytest.raises(Conflict, match="no e-mail address"):
        send(store, org, clock, verifier, ref, "code")
    with store.transaction() as session:
        row = records.get(session, org.id, ref, lock=True)
        with pytest.raises(InvalidInput, match="reason"):
            verify.override(session, row, "   ", now=clock.now(), actor="staff:7")
    with store.transaction() as session:
        row = records.get(session, org.id, ref, lock=True)
        verify.override(
            session,
            row,
            "called back on the number in the contract",
            now=clock.now(),
            actor="staff:7",
        )
    row = request(store, org, ref)
    assert (row.status, row.verified_by) == ("verified", "staff:7")
    assert row.verification_note == "called back on the number in the contract"
    with store.transaction() as session:
        [entry] = [e for e in latest_entries(session, org.id, 10) if e.action == "request.verified"]
    assert entry.actor == "staff:7"
    assert entry.detail_object() == {"method": "override"}
    # verified: nothing more to send, and no second override
    with pytest.raises(Conflict, match="verified"):
        send(store, org, clock, verifier, ref, "code")
    with store.transaction() as session:
        row = records.get(session, org.id, ref, lock=True)
        with pytest.raises(Conflict, match="verified cannot become"):
            verify.override(session, row, "again", now=clock.now(), actor="staff:7")


def test_a_known_subjects_email_address_receives_the_code(
    store: Store, org: Organisation, clock: FrozenClock, verifier: Verifier
) -> None:
    with store.transaction() as session:
        sid = subjects.ensure(
            session, org.id, IdentityKind.CUSTOMER_NUMBER, "C-88", now=clock.now(), actor="cli"
        )
        subjects.add_identity(
            session,
            org.id,
            sid,
            IdentityKind.EMAIL,
            "known@example.be",
            now=clock.now(),
            actor="cli",
        )
    ref = filed(store, org, clock, identity=("customer_number", "C-88"))
    send(store, org, clock, verifier, ref, "code")
    assert messages(store, "verification_code")[0].to_address == "known@example.be"


def test_a_signed_link_verifies_once_through_its_post(
    store: Store, org: Organisation, clock: FrozenClock, verifier: Verifier
) -> None:
    ref = filed(store, org, clock)
    send(store, org, clock, verifier, ref, "link")
    [message] = messages(store, "verification_link")
    token = token_in(message)
    assert f"http://testserver/p/jetstax/verify/{token}" in message.body
    with store.reading() as session:
        pending = verify.inspect_link(
            session, token, org_id=org.id, verifier=verifier, now=clock.now()
        )
    assert not pending.used
    assert request(store, org, ref).status == "received"  # looking changes nothing
    with store.transaction() as session:
        done = verify.confirm_link(
            session, token, org_id=org.id, verifier=verifier, now=clock.now()
        )
    assert done.used
    row = request(store, org, ref)
    assert (row.status, row.verified_by) == ("verified", "link")
    clock.advance(TTL * 3)  # a used link stays readable: its page says it is done
    with store.transaction() as session:
        again = verify.confirm_link(
            session, token, org_id=org.id, verifier=verifier, now=clock.now()
        )
    assert again.used


def test_a_link_expires_and_cannot_be_forged_or_moved(
    store: Store, org: Organisation, clock: FrozenClock, verifier: Verifier
) -> None:
    ref = filed(store, org, clock)
    send(store, org, clock, verifier, ref, "link")
    token = token_in(messages(store, "verification_link")[0])
    for bad, org_id in (
        (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), org.id),
        (token, org.id + 1),
        (
            Verifier("another-secret-key-0123456789-abcdefghij", "x", TTL).sign(org.id, 1, "n"),
            org.id,
        ),
        ("", org.id),
    ):
        with store.reading() as session, pytest.raises(LinkInvalid, match="invalid"):
            verify.inspect_link(session, bad, org_id=org_id, verifier=verifier, now=clock.now())
    clock.advance(TTL)
    with store.transaction() as session, pytest.raises(LinkInvalid, match="expired"):
        verify.confirm_link(session, token, org_id=org.id, verifier=verifier, now=clock.now())
    assert request(store, org, ref).status == "received"


def test_a_code_after_rejection_is_refused(
    store: Store, org: Organisation, clock: FrozenClock, verifier: Verifier
) -> None:
    ref = filed(store, org, clock)
    send(store, org, clock, verifier, ref, "code")
    code = code_in(messages(store, "verification_code")[0])
    with store.transaction() as session:
        row = records.get(session, org.id, ref, lock=True)
        records.move(row, RequestStatus.REJECTED)
    clock.advance(dt.timedelta(minutes=1))
    assert try_code(store, org, clock, verifier, ref, code) is Outcome.REFUSED
