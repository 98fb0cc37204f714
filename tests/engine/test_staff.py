"""Staff accounts in the engine: enrolment, login with TOTP, lockout, roles, sessions."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from privaat.core.access import ROLE_SCOPES, Role, Scope
from privaat.core.clock import FrozenClock
from privaat.engine import orgs, staff, tokens
from privaat.engine.secrets_box import SecretBox, SecretUnreadable
from privaat.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from privaat.store.db import Store
from privaat.store.models import ApiToken, AuditEntry, Organisation, Staff
from tests.conftest import TEST_SECRET

BOX = SecretBox(TEST_SECRET)
PASSWORD = "correct horse battery staple"
TTL = dt.timedelta(hours=8)
STEP = dt.timedelta(seconds=30)


def _org(store: Store, clock: FrozenClock, slug: str = "jetstax") -> Organisation:
    with store.transaction() as session:
        return orgs.create_org(session, slug, slug.title(), now=clock.now(), actor="cli")


def _enrolled(
    store: Store,
    clock: FrozenClock,
    org: Organisation,
    email: str = "ann@example.com",
    role: Role = Role.ADMIN,
) -> tuple[int, str]:
    with store.transaction() as session:
        person, secret = staff.create_enrolled_staff(
            session,
            email=email,
            name="Ann",
            password=PASSWORD,
            org_id=org.id,
            role=role,
            now=clock.now(),
            actor="cli",
            box=BOX,
        )
    return person.id, secret


def _login(
    store: Store,
    clock: FrozenClock,
    secret: str,
    *,
    email: str = "ann@example.com",
    password: str = PASSWORD,
    code: str | None = None,
) -> staff.IssuedSession | None:
    with store.transaction() as session:
        return staff.login(
            session,
            email=email,
            password=password,
            code=code if code is not None else staff.current_code(secret, clock.now()),
            now=clock.now(),
            ttl=TTL,
            box=BOX,
        )


def _staff(store: Store, staff_id: int) -> Staff:
    with store.reading() as session:
        row = session.get(Staff, staff_id)
        assert row is not None
        return row


def _audit(store: Store, action: str) -> list[AuditEntry]:
    with store.reading() as session:
        return list(
            session.execute(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            ).scalars()
        )


def test_passwords_are_argon2id_and_at_least_12_characters() -> None:
    assert staff.hash_password(PASSWORD).startswith("$argon2id$")
    with pytest.raises(InvalidInput, match="at least 12"):
        staff.hash_password("short pass")


def test_the_totp_secret_is_stored_sealed_and_bound_to_its_row(
    store: Store, clock: FrozenClock
) -> None:
    staff_id, secret = _enrolled(store, clock, _org(store, clock))
    sealed = _staff(store, staff_id).totp_secret
    assert sealed is not None
    assert secret not in sealed
    assert BOX.open(sealed, bound_to=f"staff:{staff_id}") == secret
    with pytest.raises(SecretUnreadable):
        BOX.open(sealed, bound_to=f"staff:{staff_id + 1}")
    with pytest.raises(SecretUnreadable):
        SecretBox("another-secret-key-0123456789-abcdefghij").open(
            sealed, bound_to=f"staff:{staff_id}"
        )


def test_enrolment_through_the_setup_token(store: Store, clock: FrozenClock) -> None:
    org = _org(store, clock)
    with store.transaction() as session:
        invitation = staff.create_staff(
            session,
            email=" Bea@Example.COM ",
            name="Bea",
            org_id=org.id,
            role=Role.AUDITOR,
            now=clock.now(),
            actor="cli",
        )
    assert invitation.setup_token is not None
    assert invitation.new_account
    assert invitation.staff.email == "bea@example.com"
    assert invitation.setup_expires_at == clock.now() + dt.timedelta(hours=72)

    with store.transaction() as session:
        enrolment = staff.begin_setup(
            session, setup_token=invitation.setup_token, password=PASSWORD, now=clock.now(), box=BOX
        )
    assert enrolment.totp_uri.startswith("otpauth://totp/privaat:bea%40example.com?secret=")
    assert _login(store, clock, enrolment.totp_secret, email="bea@example.com") is None  # pending

    clock.advance(STEP)
    with store.transaction() as session, pytest.raises(AuthenticationFailed):
        staff.finish_setup(
            session, setup_token=invitation.setup_token, code="000000", now=clock.now(), box=BOX
        )
    with store.transaction() as session:
        code = staff.current_code(enrolment.totp_secret, clock.now())
        staff.finish_setup(
            session, setup_token=invitation.setup_token, code=code, now=clock.now(), box=BOX
        )
    # The setup token is spent.
    with store.transaction() as session, pytest.raises(AuthenticationFailed):
        staff.begin_setup(
            session, setup_token=invitation.setup_token, password=PASSWORD, now=clock.now(), box=BOX
        )

    clock.advance(STEP)
    issued = _login(store, clock, enrolment.totp_secret, email="BEA@example.com")
    assert issued is not None
    with store.reading() as session:
        principal = tokens.resolve(session, issued.token, clock.now())
    assert principal.label == f"staff:{invitation.staff.id}"
    assert principal.scopes_in(org.id) == ROLE_SCOPES[Role.AUDITOR]


def test_a_setup_token_expires_and_is_never_a_bearer_token(
    store: Store, clock: FrozenClock
) -> None:
    org = _org(store, clock)
    with store.transaction() as session:
        invitation = staff.create_staff(
            session,
            email="cy@example.com",
            name="Cy",
            org_id=org.id,
            role=Role.SUPPORT,
            now=clock.now(),
            actor="cli",
        )
    assert invitation.setup_token is not None
    with store.reading() as session, pytest.raises(AuthenticationFailed):
        tokens.resolve(session, invitation.setup_token, clock.now())
    clock.advance(dt.timedelta(hours=72))
    with store.transaction() as session, pytest.raises(AuthenticationFailed):
        staff.begin_setup(
            session, setup_token=invitation.setup_token, password=PASSWORD, now=clock.now(), box=BOX
        )


def test_wrong_password_or_code_is_refused_and_audited_without_the_email(
    store: Store, clock: FrozenClock
) -> None:
    staff_id, secret = _enrolled(store, clock, _org(store, clock))
    assert _login(store, clock, secret, password="wrong password!!") is None
    assert _login(store, clock, secret, code="123") is None
    assert _login(store, clock, secret, email="nobody@example.com") is None
    assert _staff(store, staff_id).failed_logins == 2
    failures = _audit(store, "staff.login_failed")
    assert [(f.target, json.loads(f.detail)["reason"]) for f in failures] == [
        (f"staff:{staff_id}", "password"),
        (f"staff:{staff_id}", "code"),
        (None, "unknown"),
    ]
    assert all(f.org_id is None for f in failures)  # the install's chain
    assert not any("example.com" in f.detail for f in failures)
    assert _login(store, clock, secret) is not None
    assert _staff(store, staff_id).failed_logins == 0
    assert _audit(store, "staff.login")[0].target == f"staff:{staff_id}"


def test_a_code_works_once(store: Store, clock: FrozenClock) -> None:
    _staff_id, secret = _enrolled(store, clock, _org(store, clock))
    code = staff.current_code(secret, clock.now())
    assert _login(store, clock, secret, code=code) is not None
    assert _login(store, clock, secret, code=code) is None  # replayed
    clock.advance(dt.timedelta(seconds=10))
    assert _login(store, clock, secret, code=code) is None  # same step, still refused
    # The previous step's code is older than the one used: refused too.
    previous = staff.current_code(secret, clock.now() - STEP)
    assert _login(store, clock, secret, code=previous) is None
    clock.advance(STEP)
    assert _login(store, clock, secret) is not None


def test_a_code_from_the_next_or_previous_step_is_accepted(
    store: Store, clock: FrozenClock
) -> None:
    _staff_id, secret = _enrolled(store, clock, _org(store, clock))
    early = staff.current_code(secret, clock.now() - STEP)
    assert _login(store, clock, secret, code=early) is not None
    late = staff.current_code(secret, clock.now() + STEP)
    assert _login(store, clock, secret, code=late) is not None
    too_late = staff.current_code(secret, clock.now() + 3 * STEP)
    assert _login(store, clock, secret, code=too_late) is None


def test_five_failures_lock_the_account_for_15_minutes(store: Store, clock: FrozenClock) -> None:
    staff_id, secret = _enrolled(store, clock, _org(store, clock))
    for _ in range(5):
        assert _login(store, clock, secret, password="not the password") is None
    assert _staff(store, staff_id).locked_until == clock.now() + dt.timedelta(minutes=15)
    assert len(_audit(store, "staff.locked")) == 1
    assert _login(store, clock, secret) is None  # right credentials, still locked
    clock.advance(dt.timedelta(minutes=15))
    assert _login(store, clock, secret) is not None


def test_an_outdated_hash_is_upgraded_at_login(store: Store, clock: FrozenClock) -> None:
    staff_id, secret = _enrolled(store, clock, _org(store, clock))
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with store.transaction() as session:
        row = session.get(Staff, staff_id)
        assert row is not None
        row.password_hash = weak
    assert _login(store, clock, secret) is not None
    upgraded = _staff(store, staff_id).password_hash
    assert upgraded != weak
    assert upgraded is not None
    assert not PasswordHasher().check_needs_rehash(upgraded)


def test_a_session_expires_and_logout_revokes_it(store: Store, clock: FrozenClock) -> None:
    _staff_id, secret = _enrolled(store, clock, _org(store, clock))
    first = _login(store, clock, secret)
    assert first is not None
    assert first.expires_at == clock.now() + TTL
    clock.advance(TTL)
    with store.reading() as session, pytest.raises(AuthenticationFailed):
        tokens.resolve(session, first.token, clock.now())
    second = _login(store, clock, secret)
    assert second is not None
    with store.transaction() as session:
        staff.logout(session, second.token, now=clock.now())
    with store.reading() as session, pytest.raises(AuthenticationFailed):
        tokens.resolve(session, second.token, clock.now())


def test_an_account_other_organisations_rely_on_gets_no_setup_token(
    store: Store, clock: FrozenClock
) -> None:
    jetstax, acme = _org(store, clock), _org(store, clock, "acme")
    staff_id, _secret = _enrolled(store, clock, jetstax)
    with store.transaction() as session:
        invitation = staff.create_staff(
            session,
            email="ann@example.com",
            name="Someone else",
            org_id=acme.id,
            role=Role.SUPPORT,
            now=clock.now(),
            actor="staff:99",
        )
    assert invitation.staff.id == staff_id
    assert invitation.setup_token is None
    assert not invitation.new_account
    assert invitation.staff.name == "Ann"
    with store.transaction() as session, pytest.raises(Conflict):
        staff.create_staff(
            session,
            email="ann@example.com",
            name="Ann",
            org_id=acme.id,
            role=Role.ADMIN,
            now=clock.now(),
            actor="cli",
        )

    # Pending and invited elsewhere: no token either (the first invitation stays valid).
    with store.transaction() as session:
        first = staff.create_staff(
            session,
            email="dan@example.com",
            name="Dan",
            org_id=jetstax.id,
            role=Role.SUPPORT,
            now=clock.now(),
            actor="cli",
        )
        second = staff.create_staff(
            session,
            email="dan@example.com",
            name="Dan",
            org_id=acme.id,
            role=Role.SUPPORT,
            now=clock.now(),
            actor="cli",
        )
    assert first.setup_token is not None
    assert second.setup_token is None


def test_inviting_a_pending_member_again_replaces_the_setup_token(
    store: Store, clock: FrozenClock
) -> None:
    org = _org(store, clock)

    def invite(role: Role) -> staff.Invitation:
        with store.transaction() as session:
            return staff.create_staff(
                session,
                email="eve@example.com",
                name="Eve",
                org_id=org.id,
                role=role,
                now=clock.now(),
                actor="cli",
            )

    first, second = invite(Role.SUPPORT), invite(Role.AUDITOR)
    assert first.setup_token is not None
    assert second.setup_token is not None
    with store.transaction() as session:
        assert staff.member(session, org.id, second.staff.id).role is Role.AUDITOR
        with pytest.raises(AuthenticationFailed):
            staff.begin_setup(
                session, setup_token=first.setup_token, password=PASSWORD, now=clock.now(), box=BOX
            )


def test_the_last_admin_cannot_leave_or_be_demoted(store: Store, clock: FrozenClock) -> None:
    org = _org(store, clock)
    ann, _ = _enrolled(store, clock, org)
    bob, _ = _enrolled(store, clock, org, "bob@example.com", Role.SUPPORT)

    def change(staff_id: int, role: Role) -> None:
        with store.transaction() as session:
            staff.change_role(
                session, org_id=org.id, staff_id=staff_id, role=role, now=clock.now(), actor="cli"
            )

    def remove(staff_id: int) -> None:
        with store.transaction() as session:
            staff.remove_member(
                session, org_id=org.id, staff_id=staff_id, now=clock.now(), actor="cli"
            )

    with pytest.raises(Conflict, match="last admin"):
        change(ann, Role.AUDITOR)
    with pytest.raises(Conflict, match="last admin"):
        remove(ann)
    change(bob, Role.ADMIN)
    change(ann, Role.AUDITOR)
    with pytest.raises(Conflict, match="last admin"):
        remove(bob)
    with store.reading() as session:
        assert {m.staff_id: m.role for m in staff.members(session, org.id)} == {
            ann: Role.AUDITOR,
            bob: Role.ADMIN,
        }
    changes = _audit(store, "staff.role_changed")
    assert [json.loads(c.detail) for c in changes] == [
        {"from": "support", "to": "admin"},
        {"from": "admin", "to": "auditor"},
    ]
    assert {c.target for c in changes} == {f"staff:{ann}", f"staff:{bob}"}


def test_leaving_the_last_organisation_ends_the_sessions(store: Store, clock: FrozenClock) -> None:
    org = _org(store, clock)
    _enrolled(store, clock, org)
    bob, secret = _enrolled(store, clock, org, "bob@example.com", Role.SUPPORT)
    issued = _login(store, clock, secret, email="bob@example.com")
    assert issued is not None
    with store.transaction() as session:
        staff.remove_member(session, org_id=org.id, staff_id=bob, now=clock.now(), actor="cli")
    with store.reading() as session:
        with pytest.raises(AuthenticationFailed):
            tokens.resolve(session, issued.token, clock.now())
        with pytest.raises(NotFound):
            staff.member(session, org.id, bob)


def test_reset_starts_enrolment_over(store: Store, clock: FrozenClock) -> None:
    org = _org(store, clock)
    staff_id, secret = _enrolled(store, clock, org)
    issued = _login(store, clock, secret)
    assert issued is not None
    with store.transaction() as session:
        person = staff.staff_by_email(session, "ANN@example.com")
        setup_token, _expires = staff.reset_staff(session, person, now=clock.now(), actor="cli")
    clock.advance(STEP)
    assert _login(store, clock, secret) is None
    with store.reading() as session:
        with pytest.raises(AuthenticationFailed):
            tokens.resolve(session, issued.token, clock.now())
        live = session.execute(
            select(ApiToken.kind).where(
                ApiToken.staff_id == staff_id, ApiToken.revoked_at.is_(None)
            )
        ).scalars()
        assert list(live) == ["setup"]
    with store.transaction() as session:
        enrolment = staff.begin_setup(
            session, setup_token=setup_token, password=PASSWORD + "!", now=clock.now(), box=BOX
        )
    assert enrolment.totp_secret != secret


def test_api_tokens_only_grant_what_their_maker_holds(store: Store, clock: FrozenClock) -> None:
    org = _org(store, clock)
    held = ROLE_SCOPES[Role.PRIVACY_OFFICER]

    def grant(scopes: frozenset[Scope], days: int) -> ApiToken:
        with store.transaction() as session:
            row, _token = tokens.grant_api_token(
                session,
                org_id=org.id,
                name="shop",
                scopes=scopes,
                held=held,
                days=days,
                now=clock.now(),
                actor="cli",
            )
            return row

    with pytest.raises(PermissionDenied, match="staff:admin"):
        grant(ROLE_SCOPES[Role.ADMIN], 1)
    with pytest.raises(InvalidInput):
        grant(frozenset(), 1)
    with pytest.raises(InvalidInput):
        grant(held, 3651)
    assert grant(held, 3650).expires_at == clock.now() + dt.timedelta(days=3650)


def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    store: Store, clock: FrozenClock
) -> None:
    org = _org(store, clock)
    ann, _ = _enrolled(store, clock, org)
    bob, _ = _enrolled(store, clock, org, "bob@example.com", Role.ADMIN)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(staff_id: int) -> None:
        barrier.wait()
        try:
            with store.transaction() as session:
                staff.change_role(
                    session,
                    org_id=org.id,
                    staff_id=staff_id,
                    role=Role.SUPPORT,
                    now=clock.now(),
                    actor="cli",
                )
            outcomes.append("demoted")
        except Conflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=demote, args=(who,)) for who in (ann, bob)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["demoted", "refused"]
    with store.reading() as session:
        roles = [m.role for m in staff.members(session, org.id)]
    assert sorted(roles) == [Role.ADMIN, Role.SUPPORT]
