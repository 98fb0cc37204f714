"""A request whose process is killed halfway resumes and finishes exactly once.

``privaat request execute`` runs as a real process against the demo's company database,
which another connection holds locked, so the erasure is inside its store transaction when
the process is killed (SIGKILL: no cleanup runs). Then the lock goes, the command runs
again, and the end state is that of one uninterrupted run: the person's rows gone, one reply
letter, every step done once, the audit trail intact.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from privaat.core.clock import FrozenClock
from privaat.engine import datamaps, orgs
from privaat.engine.rights import intake, records, verify
from privaat.engine.rights.execute import Runtime, plan_request
from privaat.examples import company, example_text
from privaat.settings import Settings
from privaat.store.db import Store
from privaat.store.models import AuditEntry, OutboxMessage, RequestStep
from tests.conftest import TEST_SECRET

AN = company.PEOPLE[0][1]


def _command(database_url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "privaat", *args, "--database", database_url]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIVAAT_")}
    return env | {"PRIVAAT_ENVIRONMENT": "test", "PRIVAAT_SECRET_KEY": TEST_SECRET}


def _newsletter_rows(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        (count,) = conn.execute("SELECT count(*) FROM newsletter WHERE email = ?", (AN,)).fetchone()
    return int(count)


def test_killed_mid_erasure_resumes_and_finishes_once(
    store: Store, clock: FrozenClock, database_url: str, tmp_path: Path
) -> None:
    now = clock.now()
    database = tmp_path / "company.sqlite3"
    company.create(database, now.date())
    with store.transaction() as session:
        org = orgs.create_org(session, "jensdev", "JENSDEV", now=now, actor="cli")
        orgs.load_version(session, org, example_text("jensdev"), now=now, actor="cli")
        datamaps.load_datamap_version(
            session,
            org,
            company.datamap_text(),
            file="datamap.yaml",
            base_dir=tmp_path,
            now=now,
            actor="cli",
        )
        filed = intake.file_request(
            session,
            org=org,
            kind="erasure",
            identity_kind="email",
            identity_value=AN,
            language="nl",
            channel="api",
            details=None,
            now=now,
            actor="staff:1",
        )
        reference = filed.request.reference
        verify.override(
            session,
            records.get(session, org.id, reference, lock=True),
            "ID seen",
            now=now,
            actor="staff:1",
        )
    settings = Settings(environment="test", database_url=database_url, secret_key=TEST_SECRET)
    plan_request(store, org.id, reference, Runtime(settings, clock))

    lock = sqlite3.connect(database, timeout=0)
    lock.execute("BEGIN IMMEDIATE")  # the company's application is busy writing
    command, env = _command(database_url, "request", "execute", "jensdev", reference), _env()
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with store.reading() as session:
                steps = session.scalar(select(func.count()).select_from(RequestStep))
            if steps:
                break
            time.sleep(0.1)
        assert steps, "the execution never started"
        time.sleep(0.5)  # it is now waiting for the company database, inside its work
        assert process.poll() is None
        process.kill()
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        lock.rollback()
        lock.close()

    with store.reading() as session:
        assert records.get(session, org.id, reference).status == "executing"
    assert _newsletter_rows(database) == 1  # nothing half-erased

    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert again.stdout.rstrip().endswith(f"{reference}: done")
    assert _newsletter_rows(database) == 0
    audited = subprocess.run(
        _command(database_url, "audit", "verify"),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert audited.returncode == 0, audited.stdout + audited.stderr
    with store.reading() as session:
        assert records.get(session, org.id, reference).status == "done"
        replies = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "reply")
        )
        attempts = set(session.scalars(select(RequestStep.attempts)))
        done_entries = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "request.done")
        )
    assert replies == 1
    assert attempts == {1}
    assert done_entries == 1
