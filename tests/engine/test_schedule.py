"""The retention schedule: which organisations are due, running them, and the in-process
scheduler of ``privaat serve`` (SQLite and PostgreSQL for privaat's store)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from privaat.api import create_app
from privaat.core.clock import FrozenClock
from privaat.engine import retention, schedule
from privaat.engine.rights.execute import Runtime
from privaat.settings import Settings
from privaat.store.db import Store
from privaat.store.models import AuditEntry, RetentionRun
from tests.conftest import TEST_SECRET
from tests.engine.scheduling import (
    COMPANY_ENV,
    DATAMAP_UNBOUND,
    company_rows,
    make_company,
    make_org,
)

# 21 November: Brussels is at UTC+1, so the default 03:00 is 02:00 UTC.
BEFORE = dt.datetime(2026, 11, 21, 1, 59, tzinfo=dt.UTC)
AFTER = dt.datetime(2026, 11, 21, 2, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 21)


@pytest.fixture
def company(tmp_path: Path) -> str:
    return make_company(tmp_path / "company.sqlite3")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(AFTER)


def _runtime(
    database_url: str, company: str, clock: FrozenClock, tmp_path: Path, **settings: Any
) -> Runtime:
    return Runtime(
        Settings(
            environment="test",
            database_url=database_url,
            secret_key=TEST_SECRET,
            export_dir=tmp_path / "exports",
            **settings,
        ),
        clock,
        environ={COMPANY_ENV: company},
    )


@pytest.fixture
def runtime(database_url: str, company: str, clock: FrozenClock, tmp_path: Path) -> Runtime:
    return _runtime(database_url, company, clock, tmp_path)


@pytest.fixture
def org_id(store: Store, tmp_path: Path) -> int:
    return make_org(store, "jensdev", AFTER - dt.timedelta(days=1), base=tmp_path)


def _runs(store: Store, org_id: int) -> list[RetentionRun]:
    with store.reading() as session:
        return list(
            session.scalars(
                select(RetentionRun).where(RetentionRun.org_id == org_id).order_by(RetentionRun.id)
            )
        )


def _wait(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


# --------------------------------------------------------------------------- due


def test_before_the_schedule_time_nothing_is_due(
    store: Store, org_id: int, runtime: Runtime, clock: FrozenClock
) -> None:
    clock.at = BEFORE
    assert schedule.due_organisations(store, runtime) == []


def test_from_the_schedule_time_on_the_organisation_is_due(
    store: Store, org_id: int, runtime: Runtime, clock: FrozenClock
) -> None:
    assert schedule.due_organisations(store, runtime) == [org_id]
    clock.at = dt.datetime(2026, 11, 21, 22, 59, tzinfo=dt.UTC)  # 23:59 in Brussels
    assert schedule.due_organisations(store, runtime) == [org_id]


def test_the_schedule_is_brussels_time_in_summer_too(
    store: Store, org_id: int, runtime: Runtime, clock: FrozenClock
) -> None:
    clock.at = dt.datetime(2026, 7, 1, 0, 59, tzinfo=dt.UTC)  # 02:59 (UTC+2)
    assert schedule.due_organisations(store, runtime) == []
    clock.at = dt.datetime(2026, 7, 1, 1, 0, tzinfo=dt.UTC)  # 03:00
    assert schedule.due_organisations(store, runtime) == [org_id]


def test_done_today_is_not_due_until_tomorrow(
    store: Store, org_id: int, runtime: Runtime, clock: FrozenClock
) -> None:
    retention.run(store, org_id, runtime)
    assert schedule.due_organisations(store, runtime) == []
    assert not schedule.is_due(store, org_id, runtime)
    clock.at = AFTER + dt.timedelta(hours=23)  # 02:00 in Brussels the next day
    assert schedule.due_organisations(store, runtime) == []
    clock.at = AFTER + dt.timedelta(days=1)
    assert schedule.due_organisations(store, runtime) == [org_id]


def test_an_unfinished_run_is_due(store: Store, org_id: int, runtime: Runtime) -> None:
    with store.transaction() as session:
        session.add(
            RetentionRun(
                org_id=org_id,
                day=TODAY,
                status="failed",
                started_by="schedule",
                started_at=AFTER,
                error="OperationalError",
            )
        )
    assert schedule.due_organisations(store, runtime) == [org_id]


def test_a_run_of_some_rules_only_does_not_count_as_the_day_s_sweep(
    store: Store, org_id: int, runtime: Runtime
) -> None:
    retention.run(store, org_id, runtime, ["hosting_data"])
    assert schedule.due_organisations(store, runtime) == [org_id]


def test_without_a_bound_rule_or_a_map_or_when_off_nothing_is_due(
    store: Store,
    database_url: str,
    company: str,
    clock: FrozenClock,
    runtime: Runtime,
    tmp_path: Path,
) -> None:
    make_org(store, "unbound", AFTER, datamap=DATAMAP_UNBOUND, base=tmp_path)
    make_org(store, "nomap", AFTER, datamap=None, base=tmp_path)
    assert schedule.due_organisations(store, runtime) == []
    due = make_org(store, "bound", AFTER, base=tmp_path)
    assert schedule.due_organisations(store, runtime) == [due]
    off = _runtime(database_url, company, clock, tmp_path, retention_schedule="off")
    assert schedule.due_organisations(store, off) == []


# --------------------------------------------------------------------------- run_due


def test_run_due_runs_each_due_sweep_once(
    store: Store, org_id: int, runtime: Runtime, company: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="privaat.schedule")
    assert company_rows(company) == 5
    assert schedule.run_due(store, runtime) == {org_id: "done"}
    assert company_rows(company) == 2  # three expired accounts went
    [run] = _runs(store, org_id)
    assert (run.status, run.day, run.started_by, run.rules) == ("done", TODAY, "schedule", None)
    assert schedule.run_due(store, runtime) == {}
    assert len(_runs(store, org_id)) == 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"organisation {org_id} done" in logged
    assert "3 rows" in logged
    assert ".example" not in logged  # no domain, no e-mail address


def test_a_sweep_another_process_holds_is_skipped(
    store: Store, org_id: int, runtime: Runtime
) -> None:
    with retention.lease(store, org_id, runtime):
        assert schedule.run_due(store, runtime) == {org_id: "skipped"}
    assert _runs(store, org_id) == []
    assert schedule.run_due(store, runtime) == {org_id: "done"}


def test_one_failure_does_not_stop_the_others(
    store: Store,
    database_url: str,
    clock: FrozenClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = make_org(store, "first", AFTER, base=tmp_path)
    second = make_org(store, "second", AFTER, base=tmp_path)
    missing = tmp_path / "nowhere" / "company.sqlite3"  # its folder does not exist
    broken = _runtime(database_url, f"sqlite:///{missing}", clock, tmp_path)
    assert schedule.run_due(store, broken) == {first: "failed", second: "failed"}
    assert [r.status for r in _runs(store, first)] == ["failed"]
    assert "failed: " in caplog.text

    company = make_company(tmp_path / "company2.sqlite3")
    working = _runtime(database_url, company, clock, tmp_path)
    with retention.lease(store, first, working):
        assert schedule.run_due(store, working) == {first: "skipped", second: "done"}
    assert schedule.run_due(store, working) == {first: "done"}  # the failed run resumed
    [resumed] = _runs(store, first)
    assert resumed.status == "done"


def test_a_stop_ends_the_sweep_after_its_batch_and_it_resumes(
    store: Store, org_id: int, runtime: Runtime
) -> None:
    assert schedule.run_due(store, runtime, should_stop=lambda: True) == {}  # none started
    assert _runs(store, org_id) == []
    with pytest.raises(schedule.Stopped):
        schedule.run_if_due(store, org_id, runtime, should_stop=lambda: True)
    [run] = _runs(store, org_id)
    assert run.status == "failed"
    assert schedule.run_due(store, runtime) == {org_id: "done"}
    [again] = _runs(store, org_id)
    assert (again.id, again.status) == (run.id, "done")


# --------------------------------------------------------------------------- in-process


def test_the_scheduler_runs_a_due_sweep_once_a_day(
    store: Store, org_id: int, runtime: Runtime, clock: FrozenClock
) -> None:
    clock.at = BEFORE
    scheduler = schedule.Scheduler(store, runtime, every=0.01)
    scheduler.start()
    try:
        _wait(lambda: scheduler.ticks >= 3)
        assert _runs(store, org_id) == []
        clock.at = AFTER
        _wait(lambda: [r.status for r in _runs(store, org_id)] == ["done"])
        ticks = scheduler.ticks
        _wait(lambda: scheduler.ticks >= ticks + 5)
        assert len(_runs(store, org_id)) == 1
        clock.at = AFTER + dt.timedelta(days=1)
        _wait(lambda: [r.status for r in _runs(store, org_id)] == ["done", "done"])
    finally:
        scheduler.stop()
    assert not scheduler.running
    [first, second] = _runs(store, org_id)
    assert (first.day, second.day) == (TODAY, TODAY + dt.timedelta(days=1))
    with store.reading() as session:
        started = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "retention.run.started")
        ).all()
    assert len(started) == 2


def test_a_failed_sweep_waits_before_the_scheduler_tries_again(
    store: Store, org_id: int, database_url: str, clock: FrozenClock, tmp_path: Path
) -> None:
    broken = _runtime(database_url, f"sqlite:///{tmp_path / 'no' / 'db'}", clock, tmp_path)
    scheduler = schedule.Scheduler(store, broken, every=3600)
    assert scheduler.tick() == {org_id: "failed"}
    assert scheduler.tick() == {}
    clock.advance(schedule.RETRY_AFTER)
    assert scheduler.tick() == {org_id: "failed"}


def test_off_starts_no_thread(store: Store, database_url: str, tmp_path: Path) -> None:
    off = _runtime(database_url, "", FrozenClock(AFTER), tmp_path, retention_schedule="off")
    scheduler = schedule.Scheduler(store, off)
    scheduler.start()
    assert not scheduler.running
    scheduler.stop()


def test_serve_s_app_runs_the_schedule_in_process(
    store: Store, org_id: int, runtime: Runtime, clock: FrozenClock
) -> None:
    app = create_app(runtime.settings, store=store, clock=clock, schedule=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(COMPANY_ENV, runtime.environ[COMPANY_ENV])
        with TestClient(app):
            scheduler = app.state.scheduler
            assert isinstance(scheduler, schedule.Scheduler)
            assert scheduler.running
            _wait(lambda: [r.status for r in _runs(store, org_id)] == ["done"])
        assert not scheduler.running


def test_the_api_alone_runs_no_schedule(store: Store, runtime: Runtime) -> None:
    app = create_app(runtime.settings, store=store)
    with TestClient(app):
        assert app.state.scheduler is None
