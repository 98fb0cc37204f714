"""Staff enrolment, login with TOTP, sessions and logout over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from privaat.api.deps import Services
from privaat.core.access import ROLE_SCOPES, Role, Scope
from privaat.core.clock import FrozenClock
from privaat.engine import staff
from privaat.engine.principal import Principal
from privaat.errors import AuthenticationFailed
from privaat.settings import Settings
from privaat.store.db import Store
from privaat.store.models import AuditEntry, Organisation
from tests.api.staffing import PASSWORD, enrol, login
from tests.conftest import TokenFactory, bearer

INVALID = {
    "type": "about:blank",
    "title": "Not authenticated",
    "status": 401,
    "detail": "invalid credentials",
}


def _login(
    client: TestClient, email: str, password: str, code: str
) -> tuple[int, dict[str, object]]:
    response = client.post(
        "/api/v1/auth/login", json={"email": email, "password": password, "code": code}
    )
    return response.status_code, response.json()


def test_an_invited_person_enrols_logs_in_and_out(
    client: TestClient,
    org: Organisation,
    admin_token: str,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    invited = client.post(
        "/api/v1/orgs/jetstax/staff",
        json={"email": "Ann@Example.com", "name": "Ann", "role": "privacy_officer"},
        headers=bearer(admin_token),
    )
    assert invited.status_code == 201, invited.text
    assert invited.headers["cache-control"] == "no-store"
    body = invited.json()
    setup_token = body["setup_token"]
    assert body["email"] == "ann@example.com"
    assert body["enrolled"] is False
    assert body["new_account"] is True

    setup = client.post(
        "/api/v1/auth/setup", json={"setup_token": setup_token, "password": PASSWORD}
    )
    assert setup.status_code == 200, setup.text
    assert setup.headers["cache-control"] == "no-store"
    secret = setup.json()["totp_secret"]
    assert setup.json()["totp_uri"].startswith("otpauth://totp/privaat:ann%40example.com?")
    assert (setup.json()["digits"], setup.json()["period"]) == (6, 30)

    code = staff.current_code(secret, clock.now())
    confirmed = client.post(
        "/api/v1/auth/setup/confirm", json={"setup_token": setup_token, "code": code}
    )
    assert confirmed.status_code == 204, confirmed.text
    again = client.post(
        "/api/v1/auth/setup/confirm", json={"setup_token": setup_token, "code": code}
    )
    assert again.status_code == 401

    clock.advance(dt.timedelta(seconds=30))
    code = staff.current_code(secret, clock.now())
    session = client.post(
        "/api/v1/auth/login", json={"email": "ann@example.com", "password": PASSWORD, "code": code}
    )
    assert session.status_code == 200, session.text
    assert session.headers["cache-control"] == "no-store"
    token = session.json()["token"]
    assert token.startswith("pvt_")
    assert session.json()["expires_at"].startswith("2026-11-21T18:00:30")  # 8 hours

    me = client.get("/api/v1/auth/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.json() == {
        "kind": "staff",
        "id": body["id"],
        "email": "ann@example.com",
        "name": "Ann",
        "grants": [
            {
                "org": "jetstax",
                "role": "privacy_officer",
                "scopes": sorted(ROLE_SCOPES[Role.PRIVACY_OFFICER]),
            }
        ],
    }
    assert client.post("/api/v1/orgs/jetstax/staff", headers=bearer(token)).status_code == 403

    assert client.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401

    for secret_text in (PASSWORD, secret, setup_token, token, admin_token, "ann@example.com"):
        assert secret_text not in caplog.text


def test_a_setup_password_has_at_least_12_characters(
    client: TestClient, org: Organisation, admin_token: str
) -> None:
    invited = client.post(
        "/api/v1/orgs/jetstax/staff",
        json={"email": "bo@example.com", "name": "Bo", "role": "support"},
        headers=bearer(admin_token),
    ).json()
    short = client.post(
        "/api/v1/auth/setup", json={"setup_token": invited["setup_token"], "password": "x" * 11}
    )
    assert short.status_code == 422
    bogus = client.post(
        "/api/v1/auth/setup", json={"setup_token": "pvt_nope", "password": "x" * 12}
    )
    assert bogus.status_code == 401


def test_every_login_mistake_reads_the_same(
    client: TestClient, org: Organisation, store: Store, clock: FrozenClock
) -> None:
    _staff_id, secret = enrol(store, clock, org, Role.SUPPORT, "cy@example.com")
    code = staff.current_code(secret, clock.now())
    wrong_code = "000000" if code != "000000" else "111111"
    for attempt in [
        ("cy@example.com", "wrong password!", code),
        ("cy@example.com", PASSWORD, wrong_code),
        ("cy@example.com", PASSWORD, "12"),
        ("nobody@example.com", PASSWORD, code),
        ("not an address", PASSWORD, code),
        ("cy\x00@example.com", PASSWORD, code),  # PostgreSQL refuses NUL in text: no 500
    ]:
        status, body = _login(client, *attempt)
        assert (status, body) == (401, INVALID), attempt
    assert login(client, clock, "cy@example.com", secret)


def test_a_code_cannot_be_replayed(
    client: TestClient, org: Organisation, store: Store, clock: FrozenClock
) -> None:
    _staff_id, secret = enrol(store, clock, org, Role.SUPPORT, "cy@example.com")
    code = staff.current_code(secret, clock.now())
    assert _login(client, "cy@example.com", PASSWORD, code)[0] == 200
    assert _login(client, "cy@example.com", PASSWORD, code) == (401, INVALID)


def test_five_failures_lock_the_account(
    client: TestClient, org: Organisation, store: Store, clock: FrozenClock
) -> None:
    staff_id, secret = enrol(store, clock, org, Role.SUPPORT, "cy@example.com")
    for _ in range(5):
        assert _login(client, "cy@example.com", "guess guess guess", "123456")[0] == 401
    code = staff.current_code(secret, clock.now())
    assert _login(client, "cy@example.com", PASSWORD, code) == (401, INVALID)
    clock.advance(dt.timedelta(minutes=14, seconds=59))
    code = staff.current_code(secret, clock.now())
    assert _login(client, "cy@example.com", PASSWORD, code) == (401, INVALID)
    clock.advance(dt.timedelta(seconds=31))
    assert login(client, clock, "cy@example.com", secret)
    with store.reading() as session:
        actions = session.execute(
            select(AuditEntry.action, AuditEntry.target, AuditEntry.detail)
            .where(AuditEntry.org_id.is_(None), AuditEntry.action.like("staff.%"))
            .order_by(AuditEntry.id)
        ).all()
    assert [a.action for a in actions] == [
        "staff.enrolled",
        *["staff.login_failed"] * 5,
        "staff.locked",
        "staff.login_failed",
        "staff.login_failed",
        "staff.login",
    ]
    assert {a.target for a in actions} == {f"staff:{staff_id}"}
    assert not any("cy@example.com" in a.detail for a in actions)


def test_an_expired_session_is_refused(
    client: TestClient, org: Organisation, store: Store, clock: FrozenClock, settings: Settings
) -> None:
    _staff_id, secret = enrol(store, clock, org, Role.AUDITOR, "di@example.com")
    token = login(client, clock, "di@example.com", secret)
    assert client.get("/api/v1/orgs/jetstax", headers=bearer(token)).status_code == 200
    clock.advance(dt.timedelta(seconds=settings.session_ttl_seconds - 1))
    assert client.get("/api/v1/orgs/jetstax", headers=bearer(token)).status_code == 200
    clock.advance(dt.timedelta(seconds=1))
    expired = client.get("/api/v1/orgs/jetstax", headers=bearer(token))
    assert expired.status_code == 401
    assert expired.headers["www-authenticate"] == "Bearer"


def test_a_setup_token_is_not_a_bearer_token(
    client: TestClient, org: Organisation, admin_token: str
) -> None:
    invited = client.post(
        "/api/v1/orgs/jetstax/staff",
        json={"email": "ed@example.com", "name": "Ed", "role": "admin"},
        headers=bearer(admin_token),
    ).json()
    response = client.get("/api/v1/auth/me", headers=bearer(invited["setup_token"]))
    assert response.status_code == 401


def test_me_for_an_api_token_and_its_logout(
    client: TestClient, org: Organisation, token_for: TokenFactory
) -> None:
    token = token_for(org, frozenset({Scope.CONSENT_CHECK}))
    me = client.get("/api/v1/auth/me", headers=bearer(token)).json()
    assert me["kind"] == "token"
    assert me["email"] is None
    assert me["grants"] == [{"org": "jetstax", "role": None, "scopes": ["consent:check"]}]
    refused = client.post("/api/v1/auth/logout", headers=bearer(token))
    assert refused.status_code == 400
    assert "DELETE /api/v1/orgs/{org}/tokens/{id}" in refused.json()["detail"]
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/auth/me").status_code == 401


def test_the_requests_of_one_moment_share_one_look_up_of_their_caller(
    store: Store,
    settings: Settings,
    clock: FrozenClock,
    org: Organisation,
    token_for: TokenFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When a cached caller expires under load, the requests then arriving wait for one
    look-up instead of each making its own (a bad token fails them all alike)."""
    services = Services(
        settings=settings.model_copy(update={"auth_cache_seconds": 60}), store=store, clock=clock
    )
    looked_up: list[str] = []
    resolve = services.principal

    def slow_principal(token: str) -> Principal:
        looked_up.append(token)
        time.sleep(0.05)  # the database, a little slow: the others arrive meanwhile
        return resolve(token)

    monkeypatch.setattr(services, "principal", slow_principal)
    token = token_for(org)

    async def burst(token: str) -> list[Principal | BaseException]:
        calls = [services.principal_async(token) for _ in range(20)]
        return await asyncio.gather(*calls, return_exceptions=True)

    callers = asyncio.run(burst(token))
    assert len(looked_up) == 1
    assert all(isinstance(c, Principal) and c == callers[0] for c in callers)
    assert asyncio.run(burst(token)) == callers  # cached now: no look-up at all
    assert len(looked_up) == 1

    failed = asyncio.run(burst("not-a-token"))
    assert len(looked_up) == 2
    assert all(isinstance(f, AuthenticationFailed) for f in failed)
    assert not services._resolving  # nothing left behind
