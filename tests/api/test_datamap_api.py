"""An organisation's data map over HTTP: PUT a YAML file, GET the one in force."""

from __future__ import annotations

from fastapi.testclient import TestClient

from privaat.core.access import ALL_SCOPES, Scope
from privaat.store.models import Organisation
from tests.conftest import TokenFactory, bearer

URL = "/api/v1/orgs/jetstax/datamap"
YAML = {"Content-Type": "application/yaml"}

#: A small map in the categories of the Jetstax example policy.
MAP = """\
datamap: 1
organisation: jetstax
stores:
  - id: shop
    connector: postgresql
    url_env: SHOP_DATABASE_URL
    tables:
      - name: customers
        primary_key: [id]
        person: true
        links:
          - {column: email, identity: email}
        fields:
          - {column: email, category: user.contact.email, erase: unique_random}
          - {column: name, category: user.name}
      - name: orders
        primary_key: [id]
        links:
          - {column: customer_id, to: customers.id}
"""


def test_put_then_get(client: TestClient, org: Organisation, admin_token: str) -> None:
    headers = {**bearer(admin_token), **YAML}
    first = client.put(URL, content=MAP, headers=headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["number"], body["stores"], body["tables"]) == (1, ["shop"], 2)
    assert body["loaded_by"].startswith("token:")
    second = client.put(URL, content=MAP.replace("      - name: orders", "      - name: sales"))
    assert second.status_code == 401
    second = client.put(URL, content=MAP.replace("name: orders", "name: sales"), headers=headers)
    assert second.json()["number"] == 2
    got = client.get(URL, headers=bearer(admin_token))
    assert got.status_code == 200
    assert got.json()["number"] == 2
    assert "name: sales" in got.json()["source"]


def test_an_invalid_map_is_422_with_lines_and_columns(
    client: TestClient, org: Organisation, admin_token: str
) -> None:
    headers = {**bearer(admin_token), **YAML}
    bad = MAP.replace("identity: email}", "identity: mail}").replace(
        "category: user.name}", "category: user.nickname}"
    )
    response = client.put(URL, content=bad, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [(e["line"], e["column"]) for e in errors] == [(12, 39)]
    assert "did you mean 'email'" in errors[0]["message"]
    unknown = client.put(URL, content=MAP.replace("user.name}", "user.nickname}"), headers=headers)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["message"] == (
        "data category 'user.nickname' is not a category of the policy"
    )
    syntax = client.put(URL, content="datamap: [1\n", headers=headers)
    assert syntax.status_code == 422
    assert syntax.json()["errors"][0]["line"] >= 1
    binary = client.put(URL, content=b"\xff\xfe", headers=headers)
    assert binary.status_code == 422
    assert client.get(URL, headers=bearer(admin_token)).status_code == 404


def test_the_body_must_be_yaml(client: TestClient, org: Organisation, admin_token: str) -> None:
    response = client.put(URL, json={"source": MAP}, headers=bearer(admin_token))
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"


def test_scopes(client: TestClient, org: Organisation, token_for: TokenFactory) -> None:
    reader = token_for(org, frozenset({Scope.DATAMAP_READ}))
    writer = token_for(org, ALL_SCOPES - {Scope.DATAMAP_WRITE})
    assert client.put(URL, content=MAP, headers={**bearer(reader), **YAML}).status_code == 403
    assert client.put(URL, content=MAP, headers={**bearer(writer), **YAML}).status_code == 403
    no_read = token_for(org, ALL_SCOPES - {Scope.DATAMAP_READ})
    assert client.get(URL, headers=bearer(no_read)).status_code == 403
    assert client.get(URL, headers=bearer(reader)).status_code == 404  # none loaded yet
