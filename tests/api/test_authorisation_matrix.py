"""Every endpoint is authorised: the whole endpoint × role matrix, walked for real.

``EXPECTED`` is written by hand, on purpose: it is the reviewable statement of who may call
what. A route missing from it (or listed but gone) fails the first test, with the lines to
paste. The other tests call every route as every kind of caller, with a plausible request
(path parameters filled in, an empty JSON body) and check only the authorisation outcome:

- no token: 401 (a public route: anything but 401/403);
- a token of another organisation: 404 on an organisation's routes, as if it did not exist;
- a caller lacking the route's scope: 403; a caller holding it: neither 401 nor 403
  (a 404 for a made-up id or a 422 for the empty body means it got past authorisation).

Callers: a real logged-in staff member of each role, and an API token holding exactly that
role's scopes; for each scope, a token holding all scopes but that one (must get 403) and a
token holding only that one (must get through). The matrix runs on SQLite only: the
authorisation logic does not depend on the database, and the suites on both backends
already cover the store.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any, Literal

import pytest
from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi.testclient import TestClient

from privaat.api import create_app
from privaat.core.access import ALL_SCOPES, ROLE_SCOPES, Role, Scope
from privaat.core.clock import FrozenClock
from privaat.engine import orgs
from privaat.settings import Settings
from privaat.store.db import Store
from privaat.store.models import Organisation
from tests.api.staffing import enrol, login
from tests.conftest import TEST_SECRET, TokenFactory, bearer

Access = Scope | Literal["public", "authenticated"]

EXPECTED: dict[tuple[str, str], Access] = {
    # The service and its documentation.
    ("GET", "/healthz"): "public",
    ("GET", "/openapi.json"): "public",
    ("GET", "/docs"): "public",
    ("GET", "/docs/oauth2-redirect"): "public",
    ("GET", "/redoc"): "public",
    # Staff access: enrolment and login are how one gets a token.
    ("POST", "/api/v1/auth/setup"): "public",
    ("POST", "/api/v1/auth/setup/confirm"): "public",
    ("POST", "/api/v1/auth/login"): "public",
    ("POST", "/api/v1/auth/logout"): "authenticated",
    ("GET", "/api/v1/auth/me"): "authenticated",
    # Organisations and their policies.
    ("GET", "/api/v1/orgs"): "authenticated",
    ("GET", "/api/v1/orgs/{org}"): Scope.POLICY_READ,
    ("GET", "/api/v1/orgs/{org}/policies"): Scope.POLICY_READ,
    ("POST", "/api/v1/orgs/{org}/policies"): Scope.POLICY_WRITE,
    ("GET", "/api/v1/orgs/{org}/policies/{number}"): Scope.POLICY_READ,
    ("GET", "/api/v1/orgs/{org}/notice"): Scope.POLICY_READ,
    # Staff members and API tokens of an organisation.
    ("GET", "/api/v1/orgs/{org}/staff"): Scope.STAFF_ADMIN,
    ("POST", "/api/v1/orgs/{org}/staff"): Scope.STAFF_ADMIN,
    ("PATCH", "/api/v1/orgs/{org}/staff/{staff_id}"): Scope.STAFF_ADMIN,
    ("DELETE", "/api/v1/orgs/{org}/staff/{staff_id}"): Scope.STAFF_ADMIN,
    ("GET", "/api/v1/orgs/{org}/tokens"): Scope.STAFF_ADMIN,
    ("POST", "/api/v1/orgs/{org}/tokens"): Scope.STAFF_ADMIN,
    ("DELETE", "/api/v1/orgs/{org}/tokens/{token_id}"): Scope.STAFF_ADMIN,
    # Data subjects.
    ("POST", "/api/v1/orgs/{org}/subjects"): Scope.SUBJECTS_WRITE,
    ("GET", "/api/v1/orgs/{org}/subjects"): Scope.SUBJECTS_READ,
    ("GET", "/api/v1/orgs/{org}/subjects/{subject_id}"): Scope.SUBJECTS_READ,
    # The consent ledger: the hot check, the history with its proof, recording and import.
    ("GET", "/api/v1/orgs/{org}/consent"): Scope.CONSENT_CHECK,
    ("GET", "/api/v1/orgs/{org}/subjects/{subject_id}/consents"): Scope.CONSENT_READ,
    ("POST", "/api/v1/orgs/{org}/consents"): Scope.CONSENT_WRITE,
    ("POST", "/api/v1/orgs/{org}/consents/gpc"): Scope.CONSENT_WRITE,
    ("POST", "/api/v1/orgs/{org}/consents/expire"): Scope.CONSENT_WRITE,
    ("POST", "/api/v1/orgs/{org}/consents/import"): Scope.CONSENT_IMPORT,
    # The audit trail.
    ("GET", "/api/v1/orgs/{org}/audit"): Scope.AUDIT_READ,
    ("GET", "/api/v1/orgs/{org}/audit/verify"): Scope.AUDIT_READ,
    # The data map: where the organisation's personal data lives.
    ("PUT", "/api/v1/orgs/{org}/datamap"): Scope.DATAMAP_WRITE,
    ("GET", "/api/v1/orgs/{org}/datamap"): Scope.DATAMAP_READ,
    # Consent links: made by an application, followed by the data subject (signed links).
    ("POST", "/api/v1/orgs/{org}/consents/double-opt-in"): Scope.CONSENT_WRITE,
    ("POST", "/api/v1/orgs/{org}/unsubscribe-links"): Scope.CONSENT_WRITE,
    ("GET", "/p/{org}/confirm/{token}"): "public",
    ("POST", "/p/{org}/confirm/{token}"): "public",
    ("GET", "/u/{token}"): "public",
    ("POST", "/u/{token}"): "public",
    # Rights requests: intake, verification, deadlines; the person verifies without a token.
    ("POST", "/api/v1/orgs/{org}/requests"): Scope.REQUESTS_WRITE,
    ("GET", "/api/v1/orgs/{org}/requests"): Scope.REQUESTS_READ,
    ("GET", "/api/v1/orgs/{org}/requests/{reference}"): Scope.REQUESTS_READ,
    ("POST", "/api/v1/orgs/{org}/requests/{reference}/verification"): Scope.REQUESTS_WRITE,
    ("POST", "/api/v1/orgs/{org}/requests/{reference}/verification/override"): (
        Scope.REQUESTS_WRITE
    ),
    ("POST", "/api/v1/orgs/{org}/requests/{reference}/extend"): Scope.REQUESTS_WRITE,
    ("POST", "/api/v1/orgs/{org}/requests/{reference}/reject"): Scope.REQUESTS_WRITE,
    ("POST", "/api/v1/orgs/{org}/requests/{reference}/cancel"): Scope.REQUESTS_WRITE,
    ("POST", "/api/v1/orgs/{org}/requests/{reference}/verify"): "public",
    # Carrying requests out: the dry run, execution (changes the company's stores), exports.
    ("POST", "/api/v1/orgs/{org}/requests/{reference}/plan"): Scope.REQUESTS_WRITE,
    ("GET", "/api/v1/orgs/{org}/requests/{reference}/plan"): Scope.REQUESTS_READ,
    ("POST", "/api/v1/orgs/{org}/requests/{reference}/execute"): Scope.REQUESTS_EXECUTE,
    ("GET", "/api/v1/orgs/{org}/requests/{reference}/export"): Scope.REQUESTS_READ,
    ("GET", "/p/{org}/export/{token}"): "public",
    ("GET", "/api/v1/orgs/{org}/tasks"): Scope.REQUESTS_READ,
    ("POST", "/api/v1/orgs/{org}/tasks/{task_id}/done"): Scope.REQUESTS_EXECUTE,
    # Retention: plans and reports hold counts and keys, never a personal value.
    ("GET", "/api/v1/orgs/{org}/retention/plan"): Scope.RETENTION_READ,
    ("POST", "/api/v1/orgs/{org}/retention/run"): Scope.RETENTION_RUN,
    ("GET", "/api/v1/orgs/{org}/retention/runs"): Scope.RETENTION_READ,
    ("GET", "/api/v1/orgs/{org}/retention/runs/{run_id}"): Scope.RETENTION_READ,
    ("GET", "/p/{org}/verify/{token}"): "public",
    ("POST", "/p/{org}/verify/{token}"): "public",
}

#: Routes under an organisation that a data subject calls without a token (a code they were
#: mailed is their authorisation).
PUBLIC_UNDER_ORG = {("POST", "/api/v1/orgs/{org}/requests/{reference}/verify")}

#: Routes that end the caller's own credentials: called after every other route.
LAST = {("POST", "/api/v1/auth/logout")}

ORG = "jetstax"
DUMMY_ID = "999999"  # a path parameter that names nothing: an int and a plausible string
PARAM = re.compile(r"{(\w+)(?::\w+)?}")

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


# --------------------------------------------------------------------------- the routes


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path template) of every route the app answers, included routers too."""
    iterate = getattr(fastapi_routing, "iter_route_contexts", None)
    routes: Iterator[Any] = iterate(app.routes) if iterate else iter(app.routes)
    found: set[tuple[str, str]] = set()
    for route in routes:
        methods: set[str] = set(getattr(route, "methods", None) or ())
        if "GET" in methods:
            methods.discard("HEAD")  # Starlette answers HEAD wherever GET is
        found.update((method, route.path) for method in methods)
    return found


def test_the_table_lists_every_route_and_only_routes() -> None:
    settings = Settings(environment="test", secret_key=TEST_SECRET, database_url="sqlite://")
    actual = app_routes(create_app(settings))
    missing = sorted(actual - EXPECTED.keys())
    stale = sorted(EXPECTED.keys() - actual)
    message = []
    if missing:
        message.append(
            "routes missing from EXPECTED in tests/api/test_authorisation_matrix.py; add them "
            "with the scope each requires (or 'public' / 'authenticated'):"
        )
        message += [f'    ("{m}", "{p}"): Scope.???,' for m, p in missing]
    if stale:
        message.append("EXPECTED lists routes the app does not have; remove them:")
        message += [f'    ("{m}", "{p}")' for m, p in stale]
    if message:
        pytest.fail("\n".join(message), pytrace=False)


def test_every_organisation_route_needs_a_scope_and_every_scoped_route_is_one() -> None:
    for (method, path), access in EXPECTED.items():
        if isinstance(access, Scope):
            assert path.startswith("/api/v1/orgs/{org}"), (method, path)
        elif path.startswith("/api/v1/orgs/{org}") and (method, path) not in PUBLIC_UNDER_ORG:
            pytest.fail(f"{method} {path} is under an organisation but needs no scope")


# --------------------------------------------------------------------------- calling them


def _call(client: TestClient, method: str, path: str, token: str | None) -> int:
    url = PARAM.sub(lambda m: ORG if m.group(1) == "org" else DUMMY_ID, path)
    headers = bearer(token) if token else {}
    body: dict[str, Any] | None = {} if method in {"POST", "PUT", "PATCH"} else None
    response = client.request(method, url, headers=headers, json=body, follow_redirects=False)
    return response.status_code


def _in_order() -> list[tuple[tuple[str, str], Access]]:
    return sorted(EXPECTED.items(), key=lambda item: (item[0] in LAST, item[0]))


def _check(
    client: TestClient, token: str, who: str, held: frozenset[Scope], problems: list[str]
) -> None:
    """Call every route as one caller holding ``held`` in the organisation."""
    for (method, path), access in _in_order():
        if access == "public":
            continue
        status = _call(client, method, path, token)
        if status >= 500:
            problems.append(f"{who}: {method} {path} failed with {status}")
        elif isinstance(access, Scope) and access not in held:
            if status != 403:
                problems.append(f"{who}: {method} {path} needs {access.value}: got {status}")
        elif status in (401, 403):
            problems.append(f"{who}: {method} {path} should be allowed: got {status}")


@sqlite_only
@pytest.mark.parametrize("role", list(Role))
def test_a_role_may_do_exactly_what_its_scopes_allow(
    role: Role,
    client: TestClient,
    org: Organisation,
    store: Store,
    clock: FrozenClock,
    token_for: TokenFactory,
) -> None:
    problems: list[str] = []
    _staff_id, secret = enrol(store, clock, org, role, f"{role.value}@example.com")
    session = login(client, clock, f"{role.value}@example.com", secret)
    token = token_for(org, ROLE_SCOPES[role])
    _check(client, token, f"API token of {role.value}", ROLE_SCOPES[role], problems)
    _check(client, session, f"staff session of {role.value}", ROLE_SCOPES[role], problems)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@sqlite_only
def test_each_scoped_route_needs_exactly_its_scope(
    client: TestClient, org: Organisation, token_for: TokenFactory
) -> None:
    problems: list[str] = []
    for scope in Scope:
        _check(
            client,
            token_for(org, ALL_SCOPES - {scope}),
            f"all but {scope}",
            ALL_SCOPES - {scope},
            problems,
        )
        _check(
            client,
            token_for(org, frozenset({scope})),
            f"only {scope}",
            frozenset({scope}),
            problems,
        )
    _check(client, token_for(org, frozenset()), "no scope", frozenset(), problems)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@sqlite_only
def test_no_token_is_401_and_another_organisation_is_404(
    client: TestClient,
    org: Organisation,
    store: Store,
    clock: FrozenClock,
    token_for: TokenFactory,
) -> None:
    with store.transaction() as session:
        acme = orgs.create_org(session, "acme", "Acme", now=clock.now(), actor="cli")
    expired = token_for(org)
    clock.advance(dt.timedelta(days=31))  # token_for's tokens live 30 days
    _staff_id, secret = enrol(store, clock, acme, Role.ADMIN, "admin@acme.example")
    outsiders = {
        "API token of another organisation": token_for(acme),
        "admin session of another organisation": login(client, clock, "admin@acme.example", secret),
    }
    problems: list[str] = []
    for (method, path), access in _in_order():
        for who, token in [
            ("no token", None),
            ("an expired token", expired),
            ("a made-up token", "pvt_" + "x" * 43),
        ]:
            status = _call(client, method, path, token)
            if access == "public" and status in (401, 403):
                problems.append(f"{who}: {method} {path} is public: got {status}")
            if access != "public" and status != 401:
                problems.append(f"{who}: {method} {path} needs a token: got {status}")
        for who, token in outsiders.items():
            status = _call(client, method, path, token)
            if isinstance(access, Scope) and status != 404:
                problems.append(f"{who}: {method} {path} must not be seen: got {status}")
            if access == "authenticated" and status in (401, 403):
                problems.append(f"{who}: {method} {path} should be allowed: got {status}")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
