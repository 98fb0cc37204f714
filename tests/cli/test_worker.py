"""``privaat worker`` and the procrastinate queue on PostgreSQL: real worker processes.

A fresh PostgreSQL database for this module, its schema and the queue's tables made by
``privaat db upgrade`` as an operator would. Locally a missing PostgreSQL skips; under
CI=true it fails.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, select, text

from privaat import queue
from privaat.core.deadlines import local_date
from privaat.settings import Settings
from privaat.store.db import Store
from privaat.store.models import AuditEntry, Base, RetentionRun
from tests.conftest import POSTGRES_ADMIN_URL, TEST_SECRET, _unavailable
from tests.engine.scheduling import COMPANY_ENV, company_rows, make_company, make_org

QUEUE_TABLES = (
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_jobs",
    "procrastinate_workers",
)
FINISHED = ("succeeded", "failed", "aborted", "cancelled")


def privaat(
    *args: str, env: dict[str, str], cwd: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "privaat", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def _environment(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIVAAT_")}
    return {"PRIVAAT_ENVIRONMENT": "test", "PRIVAAT_SECRET_KEY": TEST_SECRET, **env, **values}


# --------------------------------------------------------------------------- refusals


def test_the_worker_refuses_without_the_procrastinate_queue(tmp_path: Path) -> None:
    env = _environment(PRIVAAT_DATABASE_URL=f"sqlite:///{tmp_path / 'privaat.sqlite3'}")
    result = privaat("worker", env=env, cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: privaat worker runs the procrastinate queue: set "
        "PRIVAAT_TASK_QUEUE=procrastinate (with the inprocess default, `privaat serve` runs "
        "the schedule itself)"
    ]


def test_the_procrastinate_queue_needs_postgresql(tmp_path: Path) -> None:
    env = _environment(
        PRIVAAT_DATABASE_URL=f"sqlite:///{tmp_path / 'privaat.sqlite3'}",
        PRIVAAT_TASK_QUEUE="procrastinate",
    )
    result = privaat("worker", env=env, cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: settings: PRIVAAT_TASK_QUEUE=procrastinate needs privaat's store on "
        "PostgreSQL: set PRIVAAT_DATABASE_URL to postgresql+psycopg://user@host/db"
    ]


def test_a_schedule_that_is_no_time_of_day_is_refused(tmp_path: Path) -> None:
    env = _environment(
        PRIVAAT_DATABASE_URL=f"sqlite:///{tmp_path / 'privaat.sqlite3'}",
        PRIVAAT_RETENTION_SCHEDULE="3 am",
    )
    result = privaat("worker", env=env, cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert "retention_schedule: expected a time of day as HH:MM" in result.stderr


def test_the_cron_ticks_hourly_at_the_schedule_s_minute() -> None:
    assert queue.cron(Settings(retention_schedule="3:30")) == "30 * * * *"
    assert queue.cron(Settings(retention_schedule="off")) is None
    assert Settings(retention_schedule=" 03:05 ").retention_schedule == "03:05"


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="module")
def fresh_database() -> Iterator[str]:
    """A PostgreSQL database of this module's own, left empty: ``db upgrade`` fills it."""
    name = f"privaat_queue_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server: a skip locally, a failure in CI
        admin.dispose()
        _unavailable(f"PostgreSQL at {POSTGRES_ADMIN_URL} is not available: {type(exc).__name__}")
    yield admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def upgrades(fresh_database: str, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """What two ``privaat db upgrade`` in a row printed."""
    cwd = tmp_path_factory.mktemp("upgrade")
    env = _environment(PRIVAAT_DATABASE_URL=fresh_database, PRIVAAT_TASK_QUEUE="procrastinate")
    return [privaat("db", "upgrade", env=env, cwd=cwd).stdout for _ in range(2)]


@pytest.fixture
def database(fresh_database: str, upgrades: list[str]) -> Iterator[str]:
    yield fresh_database
    engine = create_engine(fresh_database)
    tables = ", ".join(f'"{t}"' for t in [*QUEUE_TABLES, *Base.metadata.tables])
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def store(database: str) -> Iterator[Store]:
    store = Store(database)
    yield store
    store.dispose()


def _settings(database: str, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        database_url=database,
        secret_key=TEST_SECRET,
        task_queue="procrastinate",
        export_dir=tmp_path / "exports",
    )


class Workers:
    """``privaat worker`` processes of one test, each logging to its own file."""

    def __init__(self, database: str, company: str, tmp_path: Path) -> None:
        self.env = _environment(
            PRIVAAT_DATABASE_URL=database,
            PRIVAAT_TASK_QUEUE="procrastinate",
            PRIVAAT_RETENTION_SCHEDULE="00:00",  # always past: due as soon as it starts
            PRIVAAT_EXPORT_DIR=str(tmp_path / "exports"),
            **{COMPANY_ENV: company},
        )
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen[str]] = []

    def start(self, concurrency: int = 2) -> subprocess.Popen[str]:
        log = (self.tmp_path / f"worker-{len(self.processes)}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "privaat", "worker", "--concurrency", str(concurrency)],
            env=self.env,
            cwd=self.tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        log.close()
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.tmp_path.glob("worker-*.log")))

    def stop(self, process: subprocess.Popen[str]) -> int:
        process.send_signal(signal.SIGTERM)
        return process.wait(timeout=30)

    def kill_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def company(tmp_path: Path) -> str:
    return make_company(tmp_path / "company.sqlite3", expired=5_000)


@pytest.fixture
def workers(database: str, company: str, tmp_path: Path) -> Iterator[Workers]:
    made = Workers(database, company, tmp_path)
    yield made
    made.kill_all()


def _query(database: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(queue.conninfo(Settings(database_url=database))) as conn:
        return conn.execute(sql, params).fetchall()


def _jobs(database: str, task: str) -> dict[int, str]:
    rows = _query(database, "SELECT id, status FROM procrastinate_jobs WHERE task_name = %s", task)
    return {int(job_id): str(status) for job_id, status in rows}


def _wait(condition: Callable[[], bool], workers: Workers, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out; the workers said:\n" + workers.logs()
        time.sleep(0.05)


def _all_finished(database: str) -> bool:
    sweeps = _jobs(database, queue.SWEEP_TASK)
    ticks = _jobs(database, queue.SCHEDULE_TASK)
    return bool(ticks) and all(s in FINISHED for s in [*sweeps.values(), *ticks.values()])


def _intervals(database: str) -> list[tuple[dt.datetime, dt.datetime]]:
    """When each sweep job worked: from its start to its end, in start order."""
    rows = _query(
        database,
        "SELECT e.job_id, e.type::text, e.at FROM procrastinate_events e "
        "JOIN procrastinate_jobs j ON j.id = e.job_id WHERE j.task_name = %s ORDER BY e.id",
        queue.SWEEP_TASK,
    )
    started = {job: at for job, kind, at in rows if kind == "started"}
    ended = {job: at for job, kind, at in rows if kind in FINISHED}
    assert started.keys() == ended.keys()
    return sorted((started[job], ended[job]) for job in started)


def _runs(store: Store, org_id: int) -> list[RetentionRun]:
    with store.reading() as session:
        return list(
            session.scalars(
                select(RetentionRun).where(RetentionRun.org_id == org_id).order_by(RetentionRun.id)
            )
        )


def test_db_upgrade_creates_the_queue_s_tables_once(upgrades: list[str]) -> None:
    first, second = upgrades
    assert "the task queue's tables were created" in first
    assert "the task queue's tables exist" in second


def test_two_workers_never_run_an_organisation_s_sweep_at_once(
    database: str, store: Store, company: str, workers: Workers, tmp_path: Path
) -> None:
    org_id = make_org(store, "jensdev", dt.datetime.now(dt.UTC), base=tmp_path)
    app = queue.make_app(_settings(database, tmp_path), store)
    with app.open():
        first = queue.defer_sweep(app, org_id)
        assert first is not None
        assert queue.defer_sweep(app, org_id) is None  # the queueing lock: one waits at most
        # A second job for the same organisation in the queue at the same time (deferred by
        # hand, past the queueing lock): the lock alone keeps the two apart.
        second = app.configure_task(
            queue.SWEEP_TASK, lock=queue.sweep_lock(org_id), task_kwargs={"org_id": org_id}
        ).defer()
    one, two = workers.start(), workers.start()  # each could run both jobs at once
    _wait(lambda: _all_finished(database), workers)
    assert workers.stop(one) == 0, workers.logs()
    assert workers.stop(two) == 0, workers.logs()

    sweeps = _jobs(database, queue.SWEEP_TASK)
    assert {first, second} <= sweeps.keys()
    assert set(sweeps.values()) == {"succeeded"}, workers.logs()
    worked = _intervals(database)
    for (_, end), (start, _) in itertools.pairwise(worked):
        assert end <= start, f"two sweep jobs overlapped: {worked}"

    [run] = _runs(store, org_id)  # the later jobs found nothing due
    assert run.status == "done"
    assert run.day == local_date(dt.datetime.now(dt.UTC))
    assert run.started_by == "schedule"
    with store.reading() as session:
        actions = list(
            session.scalars(
                select(AuditEntry.action).where(AuditEntry.action.like("retention.run.%"))
            )
        )
    assert actions == ["retention.run.started", "retention.run.finished"]
    assert company_rows(company) == 2
    assert _query(database, "SELECT count(*) FROM procrastinate_workers") == [(0,)]
    assert "gone-" not in workers.logs()  # no personal value in the workers' logs


def test_the_periodic_tick_defers_the_due_sweep(
    database: str, store: Store, company: str, workers: Workers, tmp_path: Path
) -> None:
    org_id = make_org(store, "jensdev", dt.datetime.now(dt.UTC), base=tmp_path)
    worker = workers.start()
    _wait(lambda: [r.status for r in _runs(store, org_id)] == ["done"], workers)
    _wait(lambda: _all_finished(database), workers)
    assert workers.stop(worker) == 0
    assert set(_jobs(database, queue.SCHEDULE_TASK).values()) == {"succeeded"}
    assert set(_jobs(database, queue.SWEEP_TASK).values()) == {"succeeded"}
    assert "retention schedule: 1 due, 1 sweeps deferred" in workers.logs()


def test_sigterm_stops_a_sweep_after_its_batch_and_the_next_worker_resumes_it(
    database: str, store: Store, company: str, workers: Workers, tmp_path: Path
) -> None:
    org_id = make_org(store, "jensdev", dt.datetime.now(dt.UTC), base=tmp_path)
    # Hold the company database's write lock: the sweep waits at its first batch.
    held = sqlite3.connect(company.removeprefix("sqlite:///"), isolation_level=None)
    try:
        held.execute("BEGIN IMMEDIATE")
        worker = workers.start()
        _wait(lambda: [r.status for r in _runs(store, org_id)] == ["running"], workers)
        worker.send_signal(signal.SIGTERM)
        time.sleep(0.5)
    finally:
        held.execute("ROLLBACK")
        held.close()
    assert worker.wait(timeout=30) == 0, workers.logs()
    [run] = _runs(store, org_id)
    assert run.status == "failed"  # stopped; to be resumed
    sweeps = _jobs(database, queue.SWEEP_TASK)
    assert sorted(sweeps.values()) == ["aborted", "todo"], workers.logs()
    assert company_rows(company) > 2

    again = workers.start()
    _wait(lambda: [r.status for r in _runs(store, org_id)] == ["done"], workers)
    _wait(lambda: _all_finished(database), workers)
    assert workers.stop(again) == 0
    [resumed] = _runs(store, org_id)
    assert resumed.id == run.id
    assert company_rows(company) == 2
