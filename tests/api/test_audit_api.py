"""An organisation's audit trail over HTTP: pages of it, its verification, and both recorded."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from privaat.core.access import ALL_SCOPES, Scope
from privaat.core.clock import FrozenClock
from privaat.engine import orgs
from privaat.store.db import Store
from privaat.store.models import Organisation
from tests.conftest import TokenFactory, bearer

AUDIT = "/api/v1/orgs/jetstax/audit"
# What the fixtures leave in jetstax's chain: org.created, policy.loaded, token.issued.
SETUP = ["org.created", "policy.loaded", "token.issued"]


def test_the_trail_comes_in_linked_pages(
    client: TestClient, org: Organisation, admin_token: str
) -> None:
    page = client.get(AUDIT, headers=bearer(admin_token))
    assert page.status_code == 200, page.text
    body = page.json()
    assert [e["action"] for e in body["entries"]] == SETUP
    assert body["next_after_seq"] is None
    first, second, _third = body["entries"]
    assert first["seq"] == 1
    assert first["prev_hash"] == "0" * 64
    assert second["prev_hash"] == first["hash"]
    assert second["detail"]["number"] == 1  # a JSON object, not its text
    assert set(first) == {
        "seq",
        "at",
        "actor",
        "action",
        "subject_id",
        "target",
        "detail",
        "prev_hash",
        "hash",
    }

    two = client.get(AUDIT, params={"limit": 2}, headers=bearer(admin_token)).json()
    assert [e["seq"] for e in two["entries"]] == [1, 2]
    assert two["next_after_seq"] == 2
    rest = client.get(AUDIT, params={"after_seq": 2}, headers=bearer(admin_token)).json()
    assert [e["action"] for e in rest["entries"]] == ["token.issued", "audit.read", "audit.read"]


def test_each_read_of_the_trail_is_recorded(
    client: TestClient, org: Organisation, admin_token: str
) -> None:
    client.get(AUDIT, params={"limit": 2}, headers=bearer(admin_token))
    entries = client.get(AUDIT, params={"after_seq": 3}, headers=bearer(admin_token)).json()
    [read] = entries["entries"]
    assert read["action"] == "audit.read"
    assert read["actor"].startswith("token:")
    assert read["detail"] == {"after_seq": 0, "entries": 2, "to_seq": 2}


def test_page_limits_are_checked(client: TestClient, org: Organisation, admin_token: str) -> None:
    for params in ({"limit": 1001}, {"limit": 0}, {"after_seq": -1}):
        response = client.get(AUDIT, params=params, headers=bearer(admin_token))
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"


def test_the_trail_needs_audit_read_in_that_organisation(
    client: TestClient,
    store: Store,
    clock: FrozenClock,
    org: Organisation,
    token_for: TokenFactory,
) -> None:
    without = token_for(org, ALL_SCOPES - {Scope.AUDIT_READ})
    for path in (AUDIT, f"{AUDIT}/verify"):
        assert client.get(path, headers=bearer(without)).status_code == 403
    with store.transaction() as session:
        other = orgs.create_org(session, "acme", "Acme", now=clock.now(), actor="cli")
    theirs = token_for(other)
    assert client.get(AUDIT, headers=bearer(theirs)).status_code == 404
    assert client.get("/api/v1/orgs/acme/audit", headers=bearer(theirs)).status_code == 200


def test_verify_passes_then_names_the_edited_entry(
    client: TestClient, store: Store, org: Organisation, admin_token: str
) -> None:
    ok = client.get(f"{AUDIT}/verify", headers=bearer(admin_token))
    assert ok.status_code == 200, ok.text
    assert ok.json() | {"head_hash": None} == {
        "intact": True,
        "entries": 3,
        "verified": 3,
        "head_seq": 3,
        "head_hash": None,
        "problem": None,
    }
    head = ok.json()["head_hash"]
    recorded = client.get(AUDIT, params={"after_seq": 3}, headers=bearer(admin_token)).json()
    assert recorded["entries"][0]["action"] == "audit.verified"
    assert recorded["entries"][0]["detail"] == {
        "intact": True,
        "entries": 3,
        "head_seq": 3,
        "head_hash": head,
    }

    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_entry SET detail = 'edited' WHERE chain = :c AND seq = 2"),
            {"c": org.id},
        )
    broken = client.get(f"{AUDIT}/verify", headers=bearer(admin_token)).json()
    assert broken["intact"] is False
    assert broken["verified"] == 1
    assert broken["problem"]["seq"] == 2
    assert broken["problem"]["kind"] == "changed"
    page = client.get(AUDIT, params={"limit": 2}, headers=bearer(admin_token)).json()
    assert page["entries"][1]["detail"] == {"unparsed": "edited"}
