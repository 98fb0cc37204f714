"""Retention over HTTP on the demo's sample company: the plan, a sweep started in the
background, its run and report; a second start while one works is a 409."""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from privaat.core.clock import FrozenClock
from privaat.engine import datamaps, orgs
from privaat.examples import company, example_text
from privaat.store.db import Store
from privaat.store.models import Organisation, SweepLease
from tests.conftest import TokenFactory, bearer

BASE = "/api/v1/orgs/jensdev/retention"


@pytest.fixture
def jensdev(store: Store, clock: FrozenClock, tmp_path: Path) -> Organisation:
    """JENSDEV with the demo's company database, dated from the real today (a sweep started
    over HTTP runs on the server's clock day)."""
    company.create(tmp_path / "company.sqlite3", dt.date.today())
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


def _count(tmp_path: Path, table: str) -> int:
    engine = create_engine(f"sqlite:///{tmp_path / 'company.sqlite3'}")
    with engine.connect() as conn:
        found = int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    engine.dispose()
    return found


def test_plan_then_a_background_run_and_its_report(
    client: TestClient,
    jensdev: Organisation,
    token_for: TokenFactory,
    tmp_path: Path,
    clock: FrozenClock,
) -> None:
    token = token_for(jensdev)
    clock.at = dt.datetime.combine(dt.date.today(), dt.time(12), tzinfo=dt.UTC)
    before = _count(tmp_path, "hosting_accounts")
    planned = client.get(f"{BASE}/plan", headers=bearer(token))
    assert planned.status_code == 200, planned.text
    sweeps = {s["sweep"]: s for s in planned.json()["sweeps"]}
    hosting = sweeps["hosting_data:billing.hosting_accounts"]
    going = sum(line["rows"] for line in hosting["lines"] if line["step"] == "delete")
    assert going >= 1
    assert _count(tmp_path, "hosting_accounts") == before  # a plan changes nothing

    later = client.get(f"{BASE}/plan", params={"on": "2099-01-01"}, headers=bearer(token))
    assert later.json()["day"] == "2099-01-01"

    started = client.post(f"{BASE}/run", headers=bearer(token))
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "started"
    deadline = time.monotonic() + 30
    runs: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        runs = client.get(f"{BASE}/runs", headers=bearer(token)).json()
        if runs and runs[0]["status"] != "running":
            break
        time.sleep(0.1)
    assert runs, "no run was recorded"
    assert runs[0]["status"] == "done", runs
    assert _count(tmp_path, "hosting_accounts") == before - going

    report = client.get(f"{BASE}/runs/{runs[0]['id']}", headers=bearer(token))
    assert report.status_code == 200
    done = {s["sweep"]: s for s in report.json()["sweeps"]}
    assert done["hosting_data:billing.hosting_accounts"]["rows"] == going


def test_a_second_start_while_one_works_is_a_conflict(
    client: TestClient, jensdev: Organisation, token_for: TokenFactory, store: Store
) -> None:
    token = token_for(jensdev)
    with store.transaction() as session:  # a live process of this machine holds the lease
        session.add(
            SweepLease(
                org_id=jensdev.id,
                holder=f"{socket.gethostname()}:{os.getpid()}:test",
                expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
            )
        )
    refused = client.post(f"{BASE}/run", headers=bearer(token))
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"{BASE}/runs", headers=bearer(token)).json() == []


def test_an_unknown_rule_is_refused_before_anything_runs(
    client: TestClient, jensdev: Organisation, token_for: TokenFactory
) -> None:
    token = token_for(jensdev)
    for response in (
        client.get(f"{BASE}/plan", params={"rule": "nope"}, headers=bearer(token)),
        client.post(f"{BASE}/run", params={"rule": "nope"}, headers=bearer(token)),
    ):
        assert 400 <= response.status_code < 500
        assert "no retention rule 'nope'" in response.json()["detail"]
    assert client.get(f"{BASE}/runs", headers=bearer(token)).json() == []
    missing = client.get(f"{BASE}/runs/12345", headers=bearer(token))
    assert missing.status_code == 404
