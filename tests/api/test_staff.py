"""Managing an organisation's staff and API tokens over HTTP (staff:admin)."""

from __future__ import annotations

import datetime as dt
import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from privaat.core.access import ALL_SCOPES, ROLE_SCOPES, Role, Scope
from privaat.core.clock import FrozenClock
from privaat.engine import orgs
from privaat.store.db import Store
from privaat.store.models import AuditEntry, Organisation
from tests.api.staffing import enrol, login
from tests.conftest import TokenFactory, bearer


def _other_org(store: Store, clock: FrozenClock) -> Organisation:
    with store.transaction() as session:
        return orgs.create_org(session, "acme", "Acme", now=clock.now(), actor="cli")


def test_an_admin_sees_only_this_organisations_staff(
    client: TestClient,
    org: Organisation,
    admin_token: str,
    store: Store,
    clock: FrozenClock,
    token_for: TokenFactory,
) -> None:
    acme = _other_org(store, clock)
    ann, _ = enrol(store, clock, org, Role.ADMIN, "ann@example.com")
    enrol(store, clock, acme, Role.ADMIN, "zed@acme.example")
    listed = client.get("/api/v1/orgs/jetstax/staff", headers=bearer(admin_token))
    assert listed.status_code == 200
    assert listed.json() == [
        {"id": ann, "email": "ann@example.com", "name": "Ann", "role": "admin", "enrolled": True}
    ]
    # Another organisation's staff and tokens are out of sight: 404, as if it did not exist.
    acme_token = token_for(acme)
    assert client.get("/api/v1/orgs/acme/staff", headers=bearer(admin_token)).status_code == 404
    assert client.get("/api/v1/orgs/acme/tokens", headers=bearer(admin_token)).status_code == 404
    # Nor can a staff id or token id of another organisation be reached through one's own.
    assert (
        client.delete(f"/api/v1/orgs/acme/staff/{ann}", headers=bearer(acme_token)).status_code
        == 404
    )
    own_tokens = client.get("/api/v1/orgs/jetstax/tokens", headers=bearer(admin_token)).json()
    for token in own_tokens:
        path = f"/api/v1/orgs/acme/tokens/{token['id']}"
        assert client.delete(path, headers=bearer(acme_token)).status_code == 404


def test_roles_change_and_the_last_admin_stays(
    client: TestClient, org: Organisation, admin_token: str, store: Store, clock: FrozenClock
) -> None:
    ann, ann_secret = enrol(store, clock, org, Role.ADMIN, "ann@example.com")
    bob, bob_secret = enrol(store, clock, org, Role.PRIVACY_OFFICER, "bob@example.com")
    bob_session = login(client, clock, "bob@example.com", bob_secret)
    headers = bearer(login(client, clock, "ann@example.com", ann_secret))

    policy_write = client.post(
        "/api/v1/orgs/jetstax/policies", json={}, headers=bearer(bob_session)
    )
    assert policy_write.status_code == 422  # allowed: only the body is wrong
    demoted = client.patch(
        f"/api/v1/orgs/jetstax/staff/{bob}", json={"role": "auditor"}, headers=headers
    )
    assert demoted.status_code == 200
    assert demoted.json()["role"] == "auditor"
    policy_write = client.post(
        "/api/v1/orgs/jetstax/policies", json={}, headers=bearer(bob_session)
    )
    assert policy_write.status_code == 403  # at once

    last = client.patch(
        f"/api/v1/orgs/jetstax/staff/{ann}", json={"role": "auditor"}, headers=headers
    )
    assert last.status_code == 409
    assert "last admin" in last.json()["detail"]
    assert client.delete(f"/api/v1/orgs/jetstax/staff/{ann}", headers=headers).status_code == 409
    assert client.delete("/api/v1/orgs/jetstax/staff/99999", headers=headers).status_code == 404
    bad_role = client.patch(
        f"/api/v1/orgs/jetstax/staff/{bob}", json={"role": "boss"}, headers=headers
    )
    assert bad_role.status_code == 422

    assert client.delete(f"/api/v1/orgs/jetstax/staff/{bob}", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=bearer(bob_session)).status_code == 401
    listed = client.get("/api/v1/orgs/jetstax/staff", headers=bearer(admin_token)).json()
    assert [m["id"] for m in listed] == [ann]

    with store.reading() as session:
        entries = session.execute(
            select(AuditEntry)
            .where(AuditEntry.org_id == org.id, AuditEntry.action.like("staff.%"))
            .order_by(AuditEntry.seq)
        ).scalars()
        trail = [(e.actor, e.action, e.target, json.loads(e.detail)) for e in entries]
    assert trail[-2:] == [
        (
            f"staff:{ann}",
            "staff.role_changed",
            f"staff:{bob}",
            {"from": "privacy_officer", "to": "auditor"},
        ),
        (f"staff:{ann}", "staff.removed", f"staff:{bob}", {"role": "auditor", "tokens_revoked": 1}),
    ]
    assert not any("@" in json.dumps(detail) for *_rest, detail in trail)


def test_inviting_someone_who_has_an_account_adds_the_role(
    client: TestClient, org: Organisation, admin_token: str, store: Store, clock: FrozenClock
) -> None:
    acme = _other_org(store, clock)
    zed, zed_secret = enrol(store, clock, acme, Role.ADMIN, "zed@acme.example")
    invited = client.post(
        "/api/v1/orgs/jetstax/staff",
        json={"email": "ZED@acme.example", "name": "Not Zed", "role": "auditor"},
        headers=bearer(admin_token),
    )
    assert invited.status_code == 201
    assert invited.json() | {"setup_expires_at": None} == {
        "id": zed,
        "email": "zed@acme.example",
        "name": "Zed",
        "role": "auditor",
        "enrolled": True,
        "new_account": False,
        "setup_token": None,
        "setup_expires_at": None,
    }
    again = client.post(
        "/api/v1/orgs/jetstax/staff",
        json={"email": "zed@acme.example", "name": "Zed", "role": "admin"},
        headers=bearer(admin_token),
    )
    assert again.status_code == 409
    session = login(client, clock, "zed@acme.example", zed_secret)
    grants = client.get("/api/v1/auth/me", headers=bearer(session)).json()["grants"]
    assert [(g["org"], g["role"]) for g in grants] == [("acme", "admin"), ("jetstax", "auditor")]
    bad = client.post(
        "/api/v1/orgs/jetstax/staff",
        json={"email": "not-an-address", "name": "X", "role": "auditor"},
        headers=bearer(admin_token),
    )
    assert bad.status_code == 422


def test_api_tokens_are_shown_once_and_listed_without_secret(
    client: TestClient, org: Organisation, admin_token: str, clock: FrozenClock
) -> None:
    created = client.post(
        "/api/v1/orgs/jetstax/tokens",
        json={"name": "webshop", "scopes": ["consent:check", "consent:write"]},
        headers=bearer(admin_token),
    )
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    body = created.json()
    token = body["token"]
    assert token.startswith("pvt_")
    assert len(token) >= 40
    assert body["scopes"] == ["consent:check", "consent:write"]
    assert body["expires_at"].startswith("2027-11-21")  # token_ttl_days: 365

    listed = client.get("/api/v1/orgs/jetstax/tokens", headers=bearer(admin_token))
    assert token not in listed.text
    assert all("token" not in row for row in listed.json())
    assert body["id"] in [row["id"] for row in listed.json()]

    me = client.get("/api/v1/auth/me", headers=bearer(token)).json()
    assert me["grants"][0]["scopes"] == ["consent:check", "consent:write"]
    assert client.get("/api/v1/orgs/jetstax", headers=bearer(token)).status_code == 403

    revoked = client.delete(
        f"/api/v1/orgs/jetstax/tokens/{body['id']}", headers=bearer(admin_token)
    )
    assert revoked.status_code == 204
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401
    again = client.delete(f"/api/v1/orgs/jetstax/tokens/{body['id']}", headers=bearer(admin_token))
    assert again.status_code == 204
    row = next(
        r
        for r in client.get("/api/v1/orgs/jetstax/tokens", headers=bearer(admin_token)).json()
        if r["id"] == body["id"]
    )
    assert row["revoked_at"] is not None

    long = client.post(
        "/api/v1/orgs/jetstax/tokens",
        json={"name": "x", "scopes": ["consent:check"], "expires_in_days": 3651},
        headers=bearer(admin_token),
    )
    assert long.status_code == 422
    none = client.post(
        "/api/v1/orgs/jetstax/tokens",
        json={"name": "x", "scopes": []},
        headers=bearer(admin_token),
    )
    assert none.status_code == 422


def test_a_token_can_grant_only_the_permissions_its_maker_holds(
    client: TestClient, org: Organisation, token_for: TokenFactory
) -> None:
    maker = token_for(org, frozenset({Scope.STAFF_ADMIN, Scope.CONSENT_CHECK}))
    beyond = client.post(
        "/api/v1/orgs/jetstax/tokens",
        json={"name": "x", "scopes": ["consent:check", "consent:write"]},
        headers=bearer(maker),
    )
    assert beyond.status_code == 403
    assert "consent:write" in beyond.json()["detail"]
    within = client.post(
        "/api/v1/orgs/jetstax/tokens",
        json={"name": "x", "scopes": ["consent:check"], "expires_in_days": 7},
        headers=bearer(maker),
    )
    assert within.status_code == 201
    assert within.json()["created_by"].startswith("token:")
    assert within.json()["expires_at"].startswith("2026-11-28")


def test_a_staff_admin_session_grants_from_its_role(
    client: TestClient, org: Organisation, store: Store, clock: FrozenClock
) -> None:
    _ann, secret = enrol(store, clock, org, Role.ADMIN, "ann@example.com")
    session = login(client, clock, "ann@example.com", secret)
    created = client.post(
        "/api/v1/orgs/jetstax/tokens",
        json={"name": "all", "scopes": sorted(ALL_SCOPES)},
        headers=bearer(session),
    )
    assert created.status_code == 201
    assert set(created.json()["scopes"]) == set(ROLE_SCOPES[Role.ADMIN])


def test_an_expired_api_token_is_refused(
    client: TestClient, org: Organisation, admin_token: str, clock: FrozenClock
) -> None:
    created = client.post(
        "/api/v1/orgs/jetstax/tokens",
        json={"name": "short", "scopes": ["policy:read"], "expires_in_days": 1},
        headers=bearer(admin_token),
    ).json()
    assert client.get("/api/v1/orgs/jetstax", headers=bearer(created["token"])).status_code == 200
    clock.advance(dt.timedelta(days=1))
    assert client.get("/api/v1/orgs/jetstax", headers=bearer(created["token"])).status_code == 401
