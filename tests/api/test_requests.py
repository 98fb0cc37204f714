"""Rights requests over HTTP: intake, listing, reading (audited), verification by code, link
and override, extension, rejection, cancellation; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from privaat.api.routes.public import PAGE_HEADERS
from privaat.core.access import Scope
from privaat.core.clock import FrozenClock
from privaat.engine import orgs
from privaat.engine.audit import latest_entries
from privaat.store.db import Store
from privaat.store.models import Organisation, OutboxMessage
from tests.conftest import TokenFactory, bearer

BASE = "/api/v1/orgs/jetstax/requests"
EMAIL = "an.peeters@example.be"


def file(client: TestClient, token: str, **body: Any) -> dict[str, Any]:
    payload = {"kind": "access", "email": EMAIL, "language": "en", **body}
    response = client.post(BASE, json=payload, headers=bearer(token))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def outbox(store: Store, kind: str) -> list[OutboxMessage]:
    with store.reading() as session:
        return list(
            session.execute(
                select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
            ).scalars()
        )


def mailed_code(store: Store) -> str:
    found = re.search(r"^    (\d{6})$", outbox(store, "verification_code")[-1].body, re.MULTILINE)
    assert found
    return found.group(1)


def mailed_link(store: Store) -> str:
    found = re.search(r"http://testserver(/p/\S+)", outbox(store, "verification_link")[-1].body)
    assert found
    return found.group(1)


def test_filing_a_request(client: TestClient, admin_token: str, clock: FrozenClock) -> None:
    body = file(client, admin_token, phone=None, details={}, channel="portal")
    assert body["status"] == "received"
    assert body["identity"] == {"kind": "email", "value": EMAIL}
    assert body["channel"] == "portal"
    assert body["subject_id"] is None
    assert body["due"] == body["due_at"] == "2026-12-21T22:59:59.999999Z"
    assert body["overdue"] is False
    assert [m["kind"] for m in body["messages"]] == ["acknowledgement"]
    assert body["messages"][0]["sent_at"] is None
    assert body["created_by"].startswith("token:")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"kind": "access"}, 422),
        ({"kind": "access", "email": EMAIL, "phone": "+32470123456"}, 422),
        ({"kind": "access", "email": "not-an-address"}, 422),
        ({"kind": "access", "phone": "12345"}, 422),
        ({"kind": "complaint", "email": EMAIL}, 422),
        ({"kind": "objection", "email": EMAIL, "details": {"purposes": ["service"]}}, 422),
        ({"kind": "access", "email": EMAIL, "language": "de"}, 422),
        ({"kind": "access", "email": EMAIL, "colour": "blue"}, 422),
    ],
)
def test_a_bad_request_is_a_problem(
    client: TestClient, admin_token: str, body: dict[str, Any], status: int
) -> None:
    response = client.post(BASE, json=body, headers=bearer(admin_token))
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


def test_listing_shows_no_identity_and_filters_by_urgency(
    client: TestClient,
    admin_token: str,
    clock: FrozenClock,
    org: Organisation,
    token_for: TokenFactory,
) -> None:
    first = file(client, admin_token)["reference"]
    clock.advance(dt.timedelta(days=20))
    second = file(client, admin_token, kind="erasure")["reference"]
    clock.advance(dt.timedelta(days=8))
    headers = bearer(admin_token)
    page = client.get(BASE, headers=headers).json()
    assert page["total"] == 2
    assert [r["reference"] for r in page["items"]] == [first, second]
    assert EMAIL not in str(page)
    assert "identity" not in page["items"][0]
    soon = client.get(BASE, params={"due_within_days": 7}, headers=headers).json()
    assert [r["reference"] for r in soon["items"]] == [first]
    clock.advance(dt.timedelta(days=4))
    headers = bearer(token_for(org))  # the first token lived 30 days
    overdue = client.get(BASE, params={"overdue": "true"}, headers=headers).json()
    assert [(r["reference"], r["overdue"]) for r in overdue["items"]] == [(first, True)]
    erasures = client.get(BASE, params={"kind": "erasure"}, headers=headers).json()
    assert [r["reference"] for r in erasures["items"]] == [second]
    paged = client.get(BASE, params={"limit": 1, "offset": 1}, headers=headers).json()
    assert (paged["total"], [r["reference"] for r in paged["items"]]) == (2, [second])
    received = client.get(BASE, params={"status": "verified"}, headers=headers).json()
    assert received["total"] == 0


def test_reading_a_request_is_audited(
    client: TestClient, admin_token: str, store: Store, org: Organisation
) -> None:
    ref = file(client, admin_token)["reference"]
    response = client.get(f"{BASE}/{ref}", headers=bearer(admin_token))
    assert response.status_code == 200
    assert response.json()["identity"]["value"] == EMAIL
    with store.transaction() as session:
        last = latest_entries(session, org.id, 1)[0]
    assert (last.action, last.target) == ("request.read", f"request:{ref}")
    missing = client.get(f"{BASE}/{'x' * 22}", headers=bearer(admin_token))
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_a_request_of_another_organisation_is_not_found(
    client: TestClient,
    admin_token: str,
    store: Store,
    clock: FrozenClock,
    token_for: TokenFactory,
) -> None:
    ref = file(client, admin_token)["reference"]
    with store.transaction() as session:
        acme = orgs.create_org(session, "acme", "Acme", now=clock.now(), actor="cli")
    other = token_for(acme)
    response = client.get(f"/api/v1/orgs/acme/requests/{ref}", headers=bearer(other))
    assert response.status_code == 404
    verify = client.post(f"/api/v1/orgs/acme/requests/{ref}/verify", json={"code": "123456"})
    assert verify.status_code == 404


def test_the_person_verifies_with_the_mailed_code(
    client: TestClient, admin_token: str, store: Store
) -> None:
    ref = file(client, admin_token)["reference"]
    sent = client.post(
        f"{BASE}/{ref}/verification", json={"method": "code"}, headers=bearer(admin_token)
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["expires_at"] == "2026-11-21T10:30:00Z"
    code = mailed_code(store)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = client.post(f"{BASE}/{ref}/verify", json={"code": wrong})
    unknown = client.post(f"{BASE}/{'y' * 22}/verify", json={"code": code})
    no_org = client.post(f"/api/v1/orgs/nobody/requests/{ref}/verify", json={"code": code})
    for response in (refused, unknown, no_org):  # one answer for every failure
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == refused.json()["detail"]
    assert client.post(f"{BASE}/{ref}/verify", json={"code": "12345"}).status_code == 422
    verified = client.post(f"{BASE}/{ref}/verify", json={"code": code})
    assert verified.status_code == 200
    assert verified.json() == {"reference": ref, "status": "verified"}
    again = client.post(f"{BASE}/{ref}/verify", json={"code": code})
    assert again.status_code == 200  # a second press of the button
    body = client.get(f"{BASE}/{ref}", headers=bearer(admin_token)).json()
    assert (body["status"], body["verified_by"]) == ("verified", "code")


def test_the_tries_are_counted_even_though_each_fails(
    client: TestClient, admin_token: str, store: Store
) -> None:
    ref = file(client, admin_token)["reference"]
    client.post(f"{BASE}/{ref}/verification", json={}, headers=bearer(admin_token))
    code = mailed_code(store)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert client.post(f"{BASE}/{ref}/verify", json={"code": wrong}).status_code == 404
    assert client.post(f"{BASE}/{ref}/verify", json={"code": code}).status_code == 404
    body = client.get(f"{BASE}/{ref}", headers=bearer(admin_token)).json()
    assert body["status"] == "received"


@pytest.mark.parametrize(
    ("lang", "title", "button", "done"),
    [
        ("nl", "Bevestig uw verzoek", "Ja, ik heb dit verzoek ingediend", "is bevestigd"),
        ("en", "Confirm your request", "Yes, I made this request", "is confirmed"),
        ("fr", "Confirmez votre demande", "Oui, j’ai introduit cette demande", "est confirmée"),
    ],
)
def test_the_person_verifies_through_the_link_page(
    client: TestClient,
    admin_token: str,
    store: Store,
    lang: str,
    title: str,
    button: str,
    done: str,
) -> None:
    ref = file(client, admin_token, language=lang)["reference"]
    client.post(f"{BASE}/{ref}/verification", json={"method": "link"}, headers=bearer(admin_token))
    path = mailed_link(store)
    page = client.get(path, headers={"accept": "text/html"})
    assert page.status_code == 200
    for header, value in PAGE_HEADERS.items():
        assert page.headers[header] == value
    assert f'<html lang="{lang}">' in page.text
    assert title in page.text
    assert button in page.text
    assert EMAIL not in page.text
    body = client.get(f"{BASE}/{ref}", headers=bearer(admin_token)).json()
    assert body["status"] == "received"  # opening the page changes nothing
    confirmed = client.post(path, headers={"accept": "text/html"})
    assert confirmed.status_code == 200
    assert done in confirmed.text
    assert client.get(path, headers={"accept": "text/html"}).status_code == 200
    body = client.get(f"{BASE}/{ref}", headers=bearer(admin_token)).json()
    assert (body["status"], body["verified_by"]) == ("verified", "link")


def test_a_bad_or_expired_link(
    client: TestClient, admin_token: str, store: Store, clock: FrozenClock
) -> None:
    ref = file(client, admin_token)["reference"]
    client.post(f"{BASE}/{ref}/verification", json={"method": "link"}, headers=bearer(admin_token))
    path = mailed_link(store)
    tampered = path[:-3] + ("abc" if not path.endswith("abc") else "xyz")
    page = client.get(tampered, headers={"accept": "text/html", "accept-language": "fr"})
    assert page.status_code == 400
    assert "Ce lien est incomplet ou n’est pas valide." in page.text
    program = client.post(tampered)
    assert program.status_code == 400
    assert program.headers["content-type"] == "application/problem+json"
    assert client.get(path.replace("/jetstax/", "/acme/")).status_code == 400
    clock.advance(dt.timedelta(minutes=31))
    expired = client.post(path, headers={"accept": "text/html"})
    assert expired.status_code == 400
    assert "This confirmation link has expired." in expired.text
    body = client.get(f"{BASE}/{ref}", headers=bearer(admin_token)).json()
    assert body["status"] == "received"


def test_staff_override_extension_and_rejection(
    client: TestClient, admin_token: str, store: Store, clock: FrozenClock
) -> None:
    headers = bearer(admin_token)
    ref = file(client, admin_token, customer_number="C-1", email=None)["reference"]
    no_mail = client.post(f"{BASE}/{ref}/verification", json={}, headers=headers)
    assert no_mail.status_code == 409
    assert "staff override" in no_mail.json()["detail"]
    empty = client.post(f"{BASE}/{ref}/verification/override", json={"reason": ""}, headers=headers)
    assert empty.status_code == 422
    blank = client.post(
        f"{BASE}/{ref}/verification/override", json={"reason": "  "}, headers=headers
    )
    assert blank.status_code == 422
    verified = client.post(
        f"{BASE}/{ref}/verification/override",
        json={"reason": "ID card shown at the desk"},
        headers=headers,
    )
    assert verified.status_code == 200
    assert verified.json()["verification_note"] == "ID card shown at the desk"
    assert verified.json()["verified_by"].startswith("token:")

    mailed = file(client, admin_token, language="nl")["reference"]
    clock.advance(dt.timedelta(days=10))
    extended = client.post(
        f"{BASE}/{mailed}/extend", json={"months": 2, "reason": "Zes systemen."}, headers=headers
    )
    assert extended.status_code == 200, extended.text
    body = extended.json()
    assert body["extended_until"] == body["due"] == "2027-02-21T22:59:59.999999Z"
    assert [m["kind"] for m in body["messages"]] == ["acknowledgement", "extension"]
    again = client.post(
        f"{BASE}/{mailed}/extend", json={"months": 1, "reason": "more"}, headers=headers
    )
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    three = client.post(
        f"{BASE}/{mailed}/extend", json={"months": 3, "reason": "x"}, headers=headers
    )
    assert three.status_code == 422

    rejected = client.post(
        f"{BASE}/{mailed}/reject", json={"reason": "Kennelijk ongegrond."}, headers=headers
    )
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["closing_note"] == "Kennelijk ongegrond."
    assert "Gegevensbeschermingsautoriteit" in outbox(store, "rejection")[0].body
    twice = client.post(f"{BASE}/{mailed}/reject", json={"reason": "x"}, headers=headers)
    assert twice.status_code == 409

    cancelled = client.post(f"{BASE}/{ref}/cancel", json={"reason": "a duplicate"}, headers=headers)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"


def test_support_may_handle_requests_but_not_with_read_only_access(
    client: TestClient, org: Organisation, token_for: TokenFactory
) -> None:
    reader = token_for(org, frozenset({Scope.REQUESTS_READ}))
    response = client.post(BASE, json={"kind": "access", "email": EMAIL}, headers=bearer(reader))
    assert response.status_code == 403
    assert client.get(BASE, headers=bearer(reader)).status_code == 200
