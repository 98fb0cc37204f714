"""Organisations and policy versions over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient

from privaat.examples import example_text
from privaat.store.models import Organisation
from tests.conftest import bearer


def test_a_caller_sees_its_organisation_and_the_active_policy(
    client: TestClient, org: Organisation, admin_token: str
) -> None:
    response = client.get("/api/v1/orgs", headers=bearer(admin_token))
    assert response.status_code == 200
    [only] = response.json()
    assert only["slug"] == "jetstax"
    assert only["active_policy"] == 1
    assert "consent:write" in only["scopes"]


def test_no_token_is_401_problem(client: TestClient, org: Organisation) -> None:
    response = client.get("/api/v1/orgs/jetstax")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"


def test_loading_a_new_version_keeps_the_old_one(
    client: TestClient, org: Organisation, admin_token: str
) -> None:
    source = example_text("jetstax").replace("version:", "version: '2099.1'\n_old_version:", 1)
    bad = client.post(
        "/api/v1/orgs/jetstax/policies", json={"source": source}, headers=bearer(admin_token)
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["errors"][0]["line"] >= 1

    good = client.post(
        "/api/v1/orgs/jetstax/policies",
        json={"source": example_text("jetstax")},
        headers=bearer(admin_token),
    )
    assert good.status_code == 201, good.text
    assert good.json()["number"] == 2
    listed = client.get("/api/v1/orgs/jetstax/policies", headers=bearer(admin_token)).json()
    assert [(v["number"], v["active"]) for v in listed] == [(1, False), (2, True)]
    one = client.get("/api/v1/orgs/jetstax/policies/1", headers=bearer(admin_token)).json()
    assert one["source"] == example_text("jetstax")


def test_the_notice_comes_with_its_hash(
    client: TestClient, org: Organisation, admin_token: str
) -> None:
    response = client.get("/api/v1/orgs/jetstax/notice?lang=fr", headers=bearer(admin_token))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert len(response.headers["x-notice-sha256"]) == 64
    assert 'lang="fr"' in response.text


def test_a_version_number_beyond_the_column_is_refused_not_a_server_error(
    client: TestClient, org: Organisation, admin_token: str
) -> None:
    # found by schemathesis: PostgreSQL's integer ends at 2**31 - 1
    response = client.get("/api/v1/orgs/jetstax/policies/2147483648", headers=bearer(admin_token))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
