"""Carrying requests out over HTTP: plan, execute, the staff and the person's downloads, the
tasks; on the demo's sample company database, with privaat's store on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text

from privaat.core.access import Scope
from privaat.core.clock import FrozenClock
from privaat.engine import datamaps, orgs
from privaat.examples import company, example_text
from privaat.store.db import Store
from privaat.store.models import Organisation, OutboxMessage
from tests.conftest import TokenFactory, bearer

BASE = "/api/v1/orgs/jensdev"
AN = company.PEOPLE[0][1]


@pytest.fixture
def jensdev(store: Store, clock: FrozenClock, tmp_path: Path) -> Organisation:
    """JENSDEV with the demo's company database (in tmp_path) and its data map in force."""
    company.create(tmp_path / "company.sqlite3", clock.now().date())
    with store.transaction() as session:
        org = orgs.create_org(session, "jensdev", "JENSDEV", now=clock.now(), actor="cli")
        orgs.load_version(session, org, example_text("jensdev"), now=clock.now(), actor="cli")
        datamaps.load_datamap_version(
            session,
            org,
            company.datamap_text(),
            file="datamap.yaml",
            base_dir=tmp_path,
            now=clock.now(),
            actor="cli",
        )
    return org


def _verified(client: TestClient, token: str, kind: str, **extra: object) -> str:
    filed = client.post(
        f"{BASE}/requests",
        json={"kind": kind, "email": AN, "language": "fr", **extra},
        headers=bearer(token),
    )
    assert filed.status_code == 201, filed.text
    reference = str(filed.json()["reference"])
    verified = client.post(
        f"{BASE}/requests/{reference}/verification/override",
        json={"reason": "carte d'identité vue au guichet"},
        headers=bearer(token),
    )
    assert verified.status_code == 200, verified.text
    return reference


def _rows(tmp_path: Path, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(f"sqlite:///{tmp_path / 'company.sqlite3'}")
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(sql))]
    engine.dispose()
    return rows


def test_erasure_planned_then_executed_over_http(
    client: TestClient, jensdev: Organisation, token_for: TokenFactory, tmp_path: Path
) -> None:
    token = token_for(jensdev)
    reference = _verified(client, token, "erasure")
    planned = client.post(f"{BASE}/requests/{reference}/plan", headers=bearer(token))
    assert planned.status_code == 200, planned.text
    steps = {(line["table"], line["step"]) for line in planned.json()["plan"]["lines"]}
    assert {("customers", "mask"), ("invoices", "hold"), ("newsletter", "delete")} <= steps
    assert _rows(tmp_path, "SELECT count(*) FROM newsletter WHERE email = 'an@example.org'") == [
        (1,)
    ]
    again = client.get(f"{BASE}/requests/{reference}/plan", headers=bearer(token))
    assert again.json()["plan"] == planned.json()["plan"]

    done = client.post(f"{BASE}/requests/{reference}/execute", headers=bearer(token))
    assert done.status_code == 200, done.text
    assert done.json()["result"]["verify"]["unexplained"] == 0
    assert _rows(tmp_path, "SELECT count(*) FROM newsletter WHERE email = 'an@example.org'") == [
        (0,)
    ]
    assert _rows(tmp_path, "SELECT count(*) FROM invoices WHERE customer_id = 1") == [(1,)]
    shown = client.get(f"{BASE}/requests/{reference}", headers=bearer(token)).json()
    assert shown["status"] == "done"
    twice = client.post(f"{BASE}/requests/{reference}/execute", headers=bearer(token))
    assert twice.status_code == 409
    assert twice.headers["content-type"] == "application/problem+json"


def test_access_export_for_staff_and_for_the_person(
    client: TestClient, jensdev: Organisation, token_for: TokenFactory, store: Store
) -> None:
    token = token_for(jensdev)
    reference = _verified(client, token, "access")
    assert (
        client.post(f"{BASE}/requests/{reference}/plan", headers=bearer(token)).status_code == 200
    )
    assert (
        client.post(f"{BASE}/requests/{reference}/execute", headers=bearer(token)).status_code
        == 200
    )

    staff = client.get(f"{BASE}/requests/{reference}/export", headers=bearer(token))
    assert staff.status_code == 200
    assert staff.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(staff.content)) as archive:
        customers = json.loads(archive.read("data/billing/customers.json"))
        summary = archive.read("summary.html").decode()
    assert customers[0]["email"] == AN
    assert '<html lang="fr">' in summary

    with store.reading() as session:
        reply = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply")).one()
    link = re.search(r"http://testserver(/p/jensdev/export/\S+)", reply.body)
    assert link, reply.body
    person = client.get(link.group(1))  # no token: the signed link is the authorisation
    assert person.status_code == 200
    assert person.content == staff.content
    forged = client.get(link.group(1)[:-3] + "xyz")
    assert forged.status_code == 400
    other_org = client.get(link.group(1).replace("/jensdev/", "/jetstax/"))
    assert other_org.status_code == 400


def test_planning_needs_verification_and_executing_needs_its_scope(
    client: TestClient, jensdev: Organisation, token_for: TokenFactory
) -> None:
    writer = token_for(jensdev, frozenset({Scope.REQUESTS_WRITE, Scope.REQUESTS_READ}))
    filed = client.post(
        f"{BASE}/requests", json={"kind": "erasure", "email": AN}, headers=bearer(writer)
    )
    reference = filed.json()["reference"]
    unverified = client.post(f"{BASE}/requests/{reference}/plan", headers=bearer(writer))
    assert unverified.status_code == 409
    assert "verify" in unverified.json()["detail"]
    client.post(
        f"{BASE}/requests/{reference}/verification/override",
        json={"reason": "known customer, called back"},
        headers=bearer(writer),
    )
    assert (
        client.post(f"{BASE}/requests/{reference}/plan", headers=bearer(writer)).status_code == 200
    )
    refused = client.post(f"{BASE}/requests/{reference}/execute", headers=bearer(writer))
    assert refused.status_code == 403


def test_a_reply_without_an_address_becomes_a_task_that_staff_sign_off(
    client: TestClient, jensdev: Organisation, token_for: TokenFactory
) -> None:
    token = token_for(jensdev)
    # A restriction by phone: no store work, and privaat knows no address to reply to.
    filed = client.post(
        f"{BASE}/requests",
        json={"kind": "restriction", "phone": "+32470999999", "language": "nl"},
        headers=bearer(token),
    )
    reference = filed.json()["reference"]
    client.post(
        f"{BASE}/requests/{reference}/verification/override",
        json={"reason": "called back on the number"},
        headers=bearer(token),
    )
    client.post(f"{BASE}/requests/{reference}/plan", headers=bearer(token))
    client.post(f"{BASE}/requests/{reference}/execute", headers=bearer(token))
    [task] = client.get(f"{BASE}/tasks", headers=bearer(token)).json()
    assert "Send the answer" in task["instructions"]
    done = client.post(
        f"{BASE}/tasks/{task['id']}/done", json={"note": "posted"}, headers=bearer(token)
    )
    assert done.status_code == 200
    assert done.json()["done_by"].startswith("token:")
    assert client.get(f"{BASE}/tasks", headers=bearer(token)).json() == []
