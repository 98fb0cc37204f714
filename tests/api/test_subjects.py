"""Subjects over HTTP: find or create by identity, audited reads, isolation between organisations."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from privaat.core.clock import FrozenClock
from privaat.engine import orgs
from privaat.examples import example_text
from privaat.store.db import Store
from privaat.store.models import AuditEntry, Organisation
from tests.conftest import TokenFactory, bearer

SUBJECTS = "/api/v1/orgs/jetstax/subjects"


def audit_actions(store: Store, action: str) -> list[AuditEntry]:
    with store.reading() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_subject_is_created_once_and_found_by_any_identity(
    client: TestClient, org: Organisation, admin_token: str, store: Store
) -> None:
    auth = bearer(admin_token)
    made = client.post(
        SUBJECTS, json={"email": " An@Example.BE", "groups": ["customers"]}, headers=auth
    )
    assert made.status_code == 201, made.text
    subject = made.json()
    assert subject["created"] is True
    assert subject["identities"] == [{"kind": "email", "value": "an@example.be"}]
    assert subject["groups"] == ["customers"]

    again = client.post(
        SUBJECTS,
        json={"email": "an@example.be", "phone": "+32 470 12 34 56", "language": "nl"},
        headers=auth,
    )
    assert again.status_code == 200, again.text
    assert again.json()["id"] == subject["id"]
    assert again.json()["created"] is False
    assert {"kind": "phone", "value": "+32470123456"} in again.json()["identities"]
    assert again.json()["language"] == "nl"

    found = client.get(SUBJECTS, params={"phone": "0032 470 12 34 56"}, headers=auth)
    assert found.status_code == 200
    assert found.json()["id"] == subject["id"]
    one = client.get(f"{SUBJECTS}/{subject['id']}", headers=auth)
    assert one.status_code == 200
    assert one.json()["groups"] == ["customers"]
    reads = audit_actions(store, "subject.read")
    assert [r.subject_id for r in reads] == [subject["id"], subject["id"]]
    assert all("example.be" not in r.detail for r in reads)


def test_identities_of_two_subjects_are_a_conflict(
    client: TestClient, org: Organisation, admin_token: str
) -> None:
    auth = bearer(admin_token)
    client.post(SUBJECTS, json={"email": "a@example.be"}, headers=auth)
    client.post(SUBJECTS, json={"phone": "+32470123456"}, headers=auth)
    both = client.post(
        SUBJECTS, json={"email": "a@example.be", "phone": "+32470123456"}, headers=auth
    )
    assert both.status_code == 409
    assert both.headers["content-type"] == "application/problem+json"


def test_a_lookup_that_finds_nobody_is_404_and_still_audited(
    client: TestClient, org: Organisation, admin_token: str, store: Store
) -> None:
    missing = client.get(
        SUBJECTS, params={"email": "nobody@example.be"}, headers=bearer(admin_token)
    )
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    [entry] = audit_actions(store, "subject.read")
    assert (entry.subject_id, json.loads(entry.detail)) == (None, {"found": False})


def test_malformed_input_is_422_problem(
    client: TestClient, org: Organisation, admin_token: str
) -> None:
    auth = bearer(admin_token)
    cases = [
        client.post(SUBJECTS, json={}, headers=auth),
        client.post(SUBJECTS, json={"email": "not-an-address"}, headers=auth),
        client.post(SUBJECTS, json={"phone": "0470123456"}, headers=auth),
        client.post(SUBJECTS, json={"email": "a@example.be", "groups": ["martians"]}, headers=auth),
        client.post(SUBJECTS, json={"email": "a@example.be", "name": "An"}, headers=auth),
        client.post(SUBJECTS, json={"email": "x" * 400}, headers=auth),
        client.get(SUBJECTS, headers=auth),
        client.get(
            SUBJECTS, params={"email": "a@example.be", "phone": "+32470123456"}, headers=auth
        ),
        client.get(f"{SUBJECTS}/0", headers=auth),
        client.get(f"{SUBJECTS}/abc", headers=auth),
    ]
    for response in cases:
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert "martians" in cases[3].json()["detail"]


def test_another_organisation_sees_nothing(
    client: TestClient,
    org: Organisation,
    admin_token: str,
    store: Store,
    clock: FrozenClock,
    token_for: TokenFactory,
) -> None:
    with store.transaction() as session:
        other = orgs.create_org(session, "other-org", "Other BV", now=clock.now(), actor="cli")
        orgs.load_version(session, other, example_text("jensdev"), now=clock.now(), actor="cli")
    other_token = token_for(other)
    theirs = client.post(
        "/api/v1/orgs/other-org/subjects",
        json={"email": "an@example.be"},
        headers=bearer(other_token),
    ).json()
    auth = bearer(admin_token)
    assert client.get(f"{SUBJECTS}/{theirs['id']}", headers=auth).status_code == 404
    assert client.get(SUBJECTS, params={"email": "an@example.be"}, headers=auth).status_code == 404
    for path in (
        "/api/v1/orgs/other-org/subjects",
        f"/api/v1/orgs/other-org/subjects/{theirs['id']}",
    ):
        response = client.get(path, params={"email": "an@example.be"}, headers=auth)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    blocked = client.post(
        "/api/v1/orgs/other-org/subjects", json={"email": "x@example.be"}, headers=auth
    )
    assert blocked.status_code == 404
