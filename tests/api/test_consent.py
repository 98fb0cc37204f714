"""The consent ledger over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from privaat.api import create_app
from privaat.api.fastpath import ConsentFastPath
from privaat.core.access import ALL_SCOPES, Scope
from privaat.core.clock import FrozenClock
from privaat.engine import orgs, tokens
from privaat.engine.audit import pending_count
from privaat.engine.audit_verify import verify
from privaat.examples import example_text
from privaat.settings import Settings
from privaat.store.db import Store
from privaat.store.models import AuditEntry, ConsentEvent, Organisation
from tests.conftest import TokenFactory, bearer, drop_connections
from tests.engine.variants import NEWSLETTER_EXPIRES, NEWSLETTER_REWORDED, jetstax_with

BASE = "/api/v1/orgs/jetstax"
JSON = "application/json"


def post_consent(
    client: TestClient, token: str, headers: dict[str, str] | None = None, **body: Any
) -> Any:
    if not body.keys() & {"email", "phone", "customer_number", "subject_id"}:
        body["email"] = "an@example.be"
    body.setdefault("purpose", "newsletter")
    body.setdefault("action", "given")
    return client.post(f"{BASE}/consents", json=body, headers={**bearer(token), **(headers or {})})


def check(client: TestClient, token: str, purpose: str = "newsletter", **who: Any) -> Any:
    who = who or {"email": "an@example.be"}
    response = client.get(
        f"{BASE}/consent", params={"purpose": purpose, **who}, headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    return response.json()


def count(store: Store, table: type[object], *where: Any) -> int:
    with store.reading() as session:
        return int(session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def test_giving_and_withdrawing_with_proof(
    client: TestClient, org: Organisation, admin_token: str, store: Store, clock: FrozenClock
) -> None:
    assert check(client, admin_token)["state"] == "none"
    given = post_consent(
        client,
        admin_token,
        ip="203.0.113.77",
        user_agent="Mozilla/5.0",
        channel="web_form",
        language="en",
    )
    assert given.status_code == 201, given.text
    event = given.json()
    notice = client.get(f"{BASE}/notice?lang=en", headers=bearer(admin_token))
    assert event["proof"] == {
        "ip": "203.0.113.0",
        "user_agent": "Mozilla/5.0",
        "notice_sha256": notice.headers["x-notice-sha256"],
        "policy_version": 1,
        "provenance": None,
    }
    assert (event["kind"], event["channel"], event["gpc_objections"]) == ("given", "web_form", [])
    assert event["actor"].startswith("token:")
    decided = check(client, admin_token)
    assert decided == {
        "allowed": True,
        "purpose": "newsletter",
        "basis": "consent",
        "state": "given",
        "reason": "consent_given",
        "needs_reconsent": False,
        "since": "2026-11-21T10:00:00Z",
        "expires_at": None,
    }

    clock.advance(dt.timedelta(minutes=5))
    withdrawn = post_consent(client, admin_token, action="withdrawn", ip="2001:db8:1:2::5")
    assert withdrawn.status_code == 201
    assert withdrawn.json()["proof"]["ip"] == "2001:db8:1::"
    assert check(client, admin_token)["reason"] == "withdrawn"

    ledger = client.get(
        f"{BASE}/subjects/{event['subject_id']}/consents", headers=bearer(admin_token)
    )
    assert ledger.status_code == 200
    body = ledger.json()
    assert [e["kind"] for e in body["history"]] == ["given", "withdrawn"]
    assert body["history"][0] == {k: v for k, v in event.items() if k != "gpc_objections"}
    assert body["states"] == [
        {
            "purpose": "newsletter",
            "state": "withdrawn",
            "event_id": withdrawn.json()["id"],
            "since": "2026-11-21T10:05:00Z",
            "needs_reconsent": False,
        }
    ]


def test_reading_the_ledger_is_audited_and_checking_is_not(
    client: TestClient, org: Organisation, admin_token: str, store: Store
) -> None:
    subject_id = post_consent(client, admin_token).json()["subject_id"]
    before = count(store, AuditEntry)
    for _ in range(3):
        check(client, admin_token)
    assert count(store, AuditEntry) == before
    client.get(f"{BASE}/subjects/{subject_id}/consents", headers=bearer(admin_token))
    assert count(store, AuditEntry, AuditEntry.action == "consent.read") == 1


def test_global_privacy_control_header_objects_to_marketing_only(
    client: TestClient, org: Organisation, admin_token: str
) -> None:
    response = post_consent(
        client, admin_token, headers={"Sec-GPC": "1"}, groups=["customers"], ip="203.0.113.77"
    )
    assert response.status_code == 201, response.text
    objections = response.json()["gpc_objections"]
    # the consent given in this same request wins over the browser's signal
    assert [(o["purpose"], o["kind"], o["channel"]) for o in objections] == [
        ("direct_marketing", "objected", "gpc")
    ]
    assert objections[0]["proof"]["ip"] == "203.0.113.0"
    assert check(client, admin_token)["allowed"] is True
    assert check(client, admin_token, "direct_marketing")["reason"] == "objected"
    assert check(client, admin_token, "performance")["allowed"] is True


def test_the_gpc_endpoint_objects_to_every_marketing_purpose(
    client: TestClient, org: Organisation, admin_token: str
) -> None:
    response = client.post(
        f"{BASE}/consents/gpc",
        json={"email": "visitor@example.be", "user_agent": "Firefox"},
        headers=bearer(admin_token),
    )
    assert response.status_code == 201, response.text
    assert sorted(o["purpose"] for o in response.json()["objections"]) == [
        "direct_marketing",
        "newsletter",
    ]
    again = client.post(
        f"{BASE}/consents/gpc", json={"email": "visitor@example.be"}, headers=bearer(admin_token)
    )
    assert again.json()["objections"] == []


def test_an_idempotency_key_records_once(
    client: TestClient, org: Organisation, admin_token: str, store: Store
) -> None:
    key = {"Idempotency-Key": "signup-7f3a"}
    first = post_consent(client, admin_token, headers=key)
    second = post_consent(client, admin_token, headers=key)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert count(store, ConsentEvent) == 1
    other = post_consent(client, admin_token, headers=key, purpose="direct_marketing")
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"


def test_soft_opt_in_for_customers_and_consent_for_prospects(
    client: TestClient, org: Organisation, admin_token: str
) -> None:
    auth = bearer(admin_token)
    customer = client.post(
        f"{BASE}/subjects",
        json={"email": "klant@example.be", "groups": ["customers"]},
        headers=auth,
    ).json()
    client.post(
        f"{BASE}/subjects", json={"email": "lead@example.be", "groups": ["prospects"]}, headers=auth
    )
    yes = check(client, admin_token, "direct_marketing", subject_id=customer["id"])
    assert (yes["allowed"], yes["reason"]) == (True, "soft_opt_in")
    no = check(client, admin_token, "direct_marketing", email="lead@example.be")
    assert (no["allowed"], no["reason"]) == (False, "no_consent")

    objected = post_consent(
        client,
        admin_token,
        subject_id=customer["id"],
        purpose="direct_marketing",
        action="objected",
    )
    assert objected.status_code == 201, objected.text
    stopped = check(client, admin_token, "direct_marketing", email="klant@example.be")
    assert (stopped["allowed"], stopped["state"]) == (False, "objected")
    post_consent(client, admin_token, email="lead@example.be", purpose="direct_marketing")
    assert check(client, admin_token, "direct_marketing", email="lead@example.be")["allowed"]


def test_a_changed_text_asks_for_consent_again(
    client: TestClient, org: Organisation, admin_token: str, clock: FrozenClock
) -> None:
    post_consent(client, admin_token)
    clock.advance(dt.timedelta(days=1))
    loaded = client.post(
        f"{BASE}/policies",
        json={"source": jetstax_with(NEWSLETTER_REWORDED)},
        headers=bearer(admin_token),
    )
    assert loaded.json()["reconsent"] == ["newsletter"]
    stale = check(client, admin_token)
    assert (stale["allowed"], stale["reason"], stale["needs_reconsent"]) == (
        False,
        "reconsent_needed",
        True,
    )
    again = post_consent(client, admin_token)
    assert again.json()["proof"]["policy_version"] == 2
    fresh = check(client, admin_token)
    assert (fresh["allowed"], fresh["needs_reconsent"]) == (True, False)


def test_consent_lapses_and_the_sweep_records_it(
    client: TestClient, org: Organisation, store: Store, clock: FrozenClock
) -> None:
    with store.transaction() as session:  # a token that outlives the consent
        _row, admin_token = tokens.issue_api_token(
            session,
            org_id=org.id,
            scopes=ALL_SCOPES,
            name="long",
            now=clock.now(),
            actor="cli",
            ttl=dt.timedelta(days=800),
        )
    client.post(
        f"{BASE}/policies",
        json={"source": jetstax_with(NEWSLETTER_EXPIRES)},
        headers=bearer(admin_token),
    )
    post_consent(client, admin_token)
    assert check(client, admin_token)["expires_at"] == "2027-11-21T10:00:00Z"
    clock.advance(dt.timedelta(days=366))
    lapsed = check(client, admin_token)
    assert (lapsed["allowed"], lapsed["state"], lapsed["since"]) == (
        False,
        "expired",
        "2027-11-21T10:00:00Z",
    )
    swept = client.post(f"{BASE}/consents/expire", headers=bearer(admin_token))
    assert swept.json() == {"expired": 1}
    assert client.post(f"{BASE}/consents/expire", headers=bearer(admin_token)).json() == {
        "expired": 0
    }


GOOD_AND_BAD = """\
email,purpose,status,occurred_at,ip
an@example.be,newsletter,given,2024-03-01,203.0.113.77
not-an-address,newsletter,given,2024-03-01,
piet@example.be,newsletter,given,2024-03-01,999.1.1.1
"""


def test_importing_a_list_reports_bad_rows(
    client: TestClient, org: Organisation, admin_token: str, store: Store
) -> None:
    response = client.post(
        f"{BASE}/consents/import",
        params={"source": "Mailchimp export 2024-05-01"},
        content=GOOD_AND_BAD.encode(),
        headers={**bearer(admin_token), "Content-Type": "text/csv; charset=utf-8"},
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["imported"], report["failed"], report["duplicates"]) == (1, 2, 0)
    assert [(e["line"], e["column"]) for e in report["errors"]] == [(3, "email"), (4, "ip")]
    decided = check(client, admin_token)
    assert (decided["allowed"], decided["since"]) == (True, "2024-03-01T00:00:00Z")
    assert count(store, ConsentEvent, ConsentEvent.provenance == "Mailchimp export 2024-05-01") == 1


@pytest.mark.parametrize(
    ("content", "content_type", "params", "status"),
    [
        (b"an@example.be,newsletter,given,2024-03-01\n", "text/csv", {"source": "x"}, 422),
        (b"emial,purpose,status,occurred_at\n", "text/csv", {"source": "x"}, 422),
        (GOOD_AND_BAD.encode(), "text/csv", {}, 422),
        (GOOD_AND_BAD.encode(), "application/json", {"source": "x"}, 415),
        (
            "email,purpose,status,occurred_at\nrené@x.be,a,b,c\n".encode("latin-1"),
            "text/csv",
            {"source": "x"},
            400,
        ),
    ],
)
def test_an_unusable_import_is_a_problem(
    client: TestClient,
    org: Organisation,
    admin_token: str,
    content: bytes,
    content_type: str,
    params: dict[str, str],
    status: int,
) -> None:
    response = client.post(
        f"{BASE}/consents/import",
        params=params,
        content=content,
        headers={**bearer(admin_token), "Content-Type": content_type},
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"purpose": "nope"}, "'nope'"),
        ({"purpose": "service"}, "contract"),
        ({"action": "expired"}, None),
        ({"email": "not-an-address"}, "e-mail"),
        ({"subject_id": 1, "email": "a@example.be"}, None),
        ({"occurred_at": "2026-01-01T10:00:00"}, None),
        ({"occurred_at": "2099-01-01T10:00:00Z"}, "future"),
        ({"ip": "300.1.2.3"}, "ip"),
        ({"notice_sha256": "abc"}, None),
        ({"groups": ["Customers!"]}, None),
        ({"groups": ["martians"]}, "martians"),
        ({"channel": "import"}, None),
        ({"unexpected": 1}, None),
    ],
)
def test_bad_input_is_422_problem(
    client: TestClient, org: Organisation, admin_token: str, body: dict[str, Any], says: str | None
) -> None:
    response = post_consent(client, admin_token, **body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if says:
        assert says in response.json()["detail"]


def test_a_check_needs_exactly_one_subject(
    client: TestClient, org: Organisation, admin_token: str
) -> None:
    auth = bearer(admin_token)
    cases: list[dict[str, str | int]] = [
        {"purpose": "newsletter"},
        {"purpose": "newsletter", "email": "a@example.be", "subject_id": 1},
        {"purpose": "Newsletter!", "email": "a@example.be"},
        {"purpose": "nope", "email": "a@example.be"},
    ]
    for params in cases:
        response = client.get(f"{BASE}/consent", params=params, headers=auth)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"


def test_each_route_needs_its_scope(
    client: TestClient, org: Organisation, token_for: TokenFactory
) -> None:
    checker = token_for(org, frozenset({Scope.CONSENT_CHECK}))
    assert check(client, checker)["allowed"] is False
    denied = [
        post_consent(client, checker),
        client.post(
            f"{BASE}/consents/gpc", json={"email": "a@example.be"}, headers=bearer(checker)
        ),
        client.post(f"{BASE}/consents/expire", headers=bearer(checker)),
        client.get(f"{BASE}/subjects/1/consents", headers=bearer(checker)),
        client.post(
            f"{BASE}/consents/import",
            params={"source": "x"},
            content=b"email,purpose,status,occurred_at\n",
            headers={**bearer(checker), "Content-Type": "text/csv"},
        ),
    ]
    assert [r.status_code for r in denied] == [403] * 5


def test_one_organisation_cannot_reach_another(
    client: TestClient,
    org: Organisation,
    admin_token: str,
    store: Store,
    clock: FrozenClock,
    token_for: TokenFactory,
) -> None:
    with store.transaction() as session:
        other = orgs.create_org(session, "other-org", "Other BV", now=clock.now(), actor="cli")
        orgs.load_version(session, other, example_text("jetstax"), now=clock.now(), actor="cli")
    other_token = token_for(other)
    theirs = client.post(
        "/api/v1/orgs/other-org/consents",
        json={"email": "an@example.be", "purpose": "newsletter", "action": "given"},
        headers=bearer(other_token),
    )
    assert theirs.status_code == 201
    subject_id = theirs.json()["subject_id"]

    auth = bearer(admin_token)
    # A's token on B's routes: as if B did not exist
    for response in (
        client.get(
            "/api/v1/orgs/other-org/consent",
            params={"purpose": "newsletter", "email": "an@example.be"},
            headers=auth,
        ),
        client.post(
            "/api/v1/orgs/other-org/consents",
            json={"email": "an@example.be", "purpose": "newsletter", "action": "withdrawn"},
            headers=auth,
        ),
        client.get(f"/api/v1/orgs/other-org/subjects/{subject_id}/consents", headers=auth),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    # B's subject through A's routes: not there
    assert client.get(f"{BASE}/subjects/{subject_id}/consents", headers=auth).status_code == 404
    assert post_consent(client, admin_token, subject_id=subject_id).status_code == 404
    assert check(client, admin_token, subject_id=subject_id)["state"] == "none"
    assert check(client, admin_token)["state"] == "none"
    own = client.get(
        "/api/v1/orgs/other-org/consent",
        params={"purpose": "newsletter", "email": "an@example.be"},
        headers=bearer(other_token),
    )
    assert own.json()["state"] == "given"


# --------------------------------------------------------------------------- the fast check


@pytest.fixture
def cached_client(settings: Settings, store: Store, clock: FrozenClock) -> Iterator[TestClient]:
    """A client of an app that caches callers, as served: the check's fast path answers."""
    cached = settings.model_copy(update={"auth_cache_seconds": 60})
    with TestClient(create_app(cached, store=store, clock=clock)) as client:
        yield client


def answer(response: Any) -> tuple[int, str, bytes]:
    return response.status_code, response.headers["content-type"], response.content


#: Queries, and whether the fast path answers them (else the route does).
CHECKS: list[tuple[dict[str, str], bool]] = [
    ({"purpose": "newsletter", "email": "an@example.be"}, True),
    ({"purpose": "newsletter", "email": "AN@Example.BE"}, True),
    ({"purpose": "newsletter", "email": "nobody@example.be"}, True),
    ({"purpose": "newsletter", "subject_id": "1"}, True),
    ({"purpose": "newsletter", "subject_id": "999"}, True),
    ({"purpose": "newsletter", "phone": "+32 470 12 34 56"}, True),
    ({"purpose": "newsletter", "customer_number": "C-1"}, True),
    ({"purpose": "newsletter", "email": "an@example.be", "other": "x"}, True),
    ({"purpose": "direct_marketing", "email": "an@example.be"}, True),
    ({"purpose": "statistics", "subject_id": "1"}, True),
    ({"purpose": "service", "email": "nobody@example.be"}, True),
    # a value the route accepts in more ways than the fast path reads
    ({"purpose": "newsletter", "subject_id": "007"}, False),
    # what the route refuses: the fast path leaves each to it
    ({"purpose": "newsletter"}, False),
    ({"purpose": "newsletter", "email": "an@example.be", "subject_id": "1"}, False),
    ({"purpose": "newsletter", "email": "an@example.be", "phone": "+32470123456"}, False),
    ({"purpose": "Newsletter!", "email": "an@example.be"}, False),
    ({"purpose": "nope", "email": "an@example.be"}, False),
    ({"purpose": "newsletter", "email": ""}, False),
    ({"purpose": "newsletter", "email": "not-an-address"}, False),
    ({"purpose": "newsletter", "subject_id": "0"}, False),
    ({"purpose": "newsletter", "subject_id": str(2**62 + 1)}, False),
    ({"purpose": "newsletter", "email": "x" * 321}, False),
    ({"email": "an@example.be"}, False),
]


@pytest.mark.parametrize(
    ("params", "fast_path"),
    CHECKS,
    ids=lambda p: "&".join(f"{k}={v[:12]}" for k, v in p.items()) if isinstance(p, dict) else "",
)
def test_the_fast_check_answers_exactly_as_the_route(
    cached_client: TestClient,
    org: Organisation,
    admin_token: str,
    monkeypatch: pytest.MonkeyPatch,
    params: dict[str, str],
    fast_path: bool,
) -> None:
    assert post_consent(cached_client, admin_token).status_code == 201
    headers = bearer(admin_token)
    fast: list[bytes] = []
    answered = ConsentFastPath._check

    async def spy(self: ConsentFastPath, scope: Any, slug: str) -> bytes | None:
        body = await answered(self, scope, slug)
        if body is not None:
            fast.append(body)
        return body

    async def never(*_args: Any) -> bytes | None:
        return None

    monkeypatch.setattr(ConsentFastPath, "_check", spy)
    quick = cached_client.get(f"{BASE}/consent", params=params, headers=headers)
    monkeypatch.setattr(ConsentFastPath, "_check", never)
    routed = cached_client.get(f"{BASE}/consent", params=params, headers=headers)
    assert answer(quick) == answer(routed)
    assert bool(fast) == fast_path


def test_the_fast_check_repeats_no_parameter_and_serves_only_callers_it_knows(
    cached_client: TestClient, org: Organisation, admin_token: str, token_for: TokenFactory
) -> None:
    twice = cached_client.get(
        f"{BASE}/consent?purpose=newsletter&purpose=direct_marketing&email=an@example.be",
        headers=bearer(admin_token),
    )
    assert twice.json()["purpose"] == "direct_marketing"  # what FastAPI makes of it: the last
    unknown = cached_client.get(
        f"{BASE}/consent", params={"purpose": "newsletter", "email": "a@example.be"}
    )
    assert unknown.status_code == 401
    assert unknown.headers["content-type"] == "application/problem+json"
    writer = token_for(org, frozenset({Scope.CONSENT_WRITE}))
    for _ in range(2):  # the second time its caller is cached: still refused
        refused = cached_client.get(
            f"{BASE}/consent",
            params={"purpose": "newsletter", "email": "a@example.be"},
            headers=bearer(writer),
        )
        assert refused.status_code == 403
    assert cached_client.post(f"{BASE}/consent", headers=bearer(admin_token)).status_code == 405


def test_the_check_survives_the_database_dropping_its_connection(
    cached_client: TestClient, org: Organisation, admin_token: str, store: Store
) -> None:
    assert check(cached_client, admin_token)["state"] == "none"
    drop_connections(store)
    assert check(cached_client, admin_token)["state"] == "none"


def test_a_write_is_chained_when_it_answers(
    client: TestClient, org: Organisation, admin_token: str, store: Store
) -> None:
    """The server's sealer seals writers in rounds; a writer still answers sealed."""
    for n in range(3):
        assert post_consent(client, admin_token, email=f"p{n}@example.be").status_code == 201
        with store.reading() as session:
            assert pending_count(session) == 0
    assert count(store, AuditEntry, AuditEntry.action == "consent.given") == 3
    assert verify(store.engine).intact


#: Writes, and whether the fast path answers them (else the route does).
WRITES: list[tuple[dict[str, Any], dict[str, str], bool]] = [
    ({"action": "given", "ip": "203.0.113.9", "user_agent": "UA"}, {}, True),
    ({"action": "withdrawn", "channel": "web_form", "language": "en"}, {}, True),
    ({"purpose": "direct_marketing", "action": "objected"}, {}, True),
    ({"action": "given", "groups": ["customers"]}, {}, True),
    ({"action": "given"}, {"Sec-GPC": "1"}, True),
    ({"action": "given"}, {"Idempotency-Key": "k-1"}, True),
    ({"action": "given", "occurred_at": "2026-11-21T09:00:00+01:00"}, {}, True),
    # what the route refuses: the fast path leaves each to it, having written nothing
    ({"action": "given", "purpose": "nope"}, {}, False),
    ({"action": "objected", "purpose": "end_user_data"}, {}, False),
    ({"action": "maybe"}, {}, False),
    ({"action": "given", "occurred_at": "2030-01-01T00:00:00Z"}, {}, False),
    ({"action": "given", "groups": ["martians"]}, {}, False),
    ({"action": "given", "unexpected": 1}, {}, False),
    ({"action": "given"}, {"Idempotency-Key": ""}, False),
    ({"action": "given"}, {"Sec-GPC": "x" * 17}, False),
]


@pytest.mark.parametrize(("body", "headers", "fast_path"), WRITES)
def test_the_fast_write_answers_as_the_route(
    cached_client: TestClient,
    org: Organisation,
    admin_token: str,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    body: dict[str, Any],
    headers: dict[str, str],
    fast_path: bool,
) -> None:
    """The same write by the fast path and by the route (for another person, so that both
    record): the same answer but for the new ids, and the same events in the store."""
    assert check(cached_client, admin_token)["state"] == "none"  # caches the caller
    routed_by_app: list[int] = []
    record_fast = ConsentFastPath._record

    async def spy(self: ConsentFastPath, scope: Any, receive: Any, send: Any, slug: str) -> None:
        app = self.app

        async def to_route(scope: Any, receive: Any, send: Any) -> None:
            routed_by_app.append(count(store, ConsentEvent) - before)
            await app(scope, receive, send)

        before = count(store, ConsentEvent)
        self.app = to_route
        try:
            await record_fast(self, scope, receive, send, slug)
        finally:
            self.app = app

    def answer_of(who: str) -> tuple[int, str, dict[str, Any]]:
        sent = {k: f"{v}-{who}" if k == "Idempotency-Key" and v else v for k, v in headers.items()}
        email = f"{who}@example.be"
        response = post_consent(cached_client, admin_token, sent, email=email, **body)
        payload = response.json()
        for event in [payload, *payload.get("gpc_objections", [])]:
            event.pop("id", None)
            event.pop("subject_id", None)
        return response.status_code, response.headers["content-type"], payload

    monkeypatch.setattr(ConsentFastPath, "_record", spy)
    quick = answer_of("fast")
    assert routed_by_app == ([] if fast_path else [0])  # the route's turn: nothing written
    monkeypatch.setattr(ConsentFastPath, "_record", _route_only)
    routed = answer_of("route")
    assert quick == routed
    if fast_path and "Idempotency-Key" in headers:  # a retry: the first event again
        monkeypatch.setattr(ConsentFastPath, "_record", spy)
        assert answer_of("fast") == quick


async def _route_only(
    self: ConsentFastPath, scope: Any, receive: Any, send: Any, _slug: str
) -> None:
    await self.app(scope, receive, send)


def test_a_write_the_fast_path_cannot_read_goes_to_the_route(
    cached_client: TestClient, org: Organisation, admin_token: str
) -> None:
    assert check(cached_client, admin_token)["state"] == "none"  # caches the caller
    url, auth = f"{BASE}/consents", bearer(admin_token)
    broken = cached_client.post(
        url, content=b'{"email": "a@example.be",', headers={**auth, "Content-Type": JSON}
    )
    assert broken.status_code == 422
    assert broken.json()["errors"][0]["loc"][0] == "body"
    as_text = cached_client.post(
        url,
        content=b'{"email": "a@example.be", "purpose": "newsletter", "action": "given"}',
        headers={**auth, "Content-Type": "text/plain"},
    )
    assert as_text.status_code == 422
    big = {"email": "a@example.be", "purpose": "newsletter", "action": "given"}
    big["user_agent"] = "x" * 70_000
    too_big = cached_client.post(url, json=big, headers=auth)
    assert too_big.status_code == 422  # longer than the model allows, as before
