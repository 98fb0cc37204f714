"""The retention schedule: which organisations are due for today's sweep, and running them.

Both ways of running scheduled work share this module (``PRIVAAT_TASK_QUEUE``): the
in-process :class:`Scheduler` of ``privaat serve`` (the embedded default) calls
:func:`run_due` about every minute; with procrastinate, the workers' periodic task
(:mod:`privaat.queue`) defers one job per organisation that :func:`due_organisations` names,
and each job calls :func:`run_if_due`.

An organisation is due once the day's schedule time (``PRIVAAT_RETENTION_SCHEDULE``, Brussels
time) has passed, when it has a policy in force and a data map that binds at least one
retention rule, and no full run (every rule, not a ``--rule`` run) of today is done. A run
that did not finish keeps it due: the next sweep resumes it. A sweep another process is
running (its lease, :func:`privaat.engine.retention.lease`) is skipped, not waited for; one
organisation's failure never stops the others. The log says which organisation and what
kind of outcome, with counts; never a value or a key.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Collection
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from privaat.core.deadlines import TIMEZONE
from privaat.engine import datamaps, retention
from privaat.engine.rights.execute import Runtime
from privaat.errors import Conflict
from privaat.store.db import Store
from privaat.store.models import DataMapVersion, Organisation, RetentionRun

log = logging.getLogger("privaat.schedule")

Outcome = Literal["done", "skipped", "failed", "not due"]

#: How long the in-process scheduler leaves an organisation whose sweep failed alone.
RETRY_AFTER = dt.timedelta(minutes=15)


class Stopped(Exception):
    """The scheduler is stopping: the sweep stops after its current batch (and resumes)."""


# --------------------------------------------------------------------------- due


def today_if_past_schedule(runtime: Runtime) -> dt.date | None:
    """Today in Brussels once the schedule time has passed; None before it, or when off."""
    at = runtime.settings.retention_time
    if at is None:
        return None
    local = runtime.clock.now().astimezone(TIMEZONE)
    return local.date() if local.time() >= at else None


def due_organisations(store: Store, runtime: Runtime) -> list[int]:
    """The organisations whose retention sweep of today is due, by id."""
    today = today_if_past_schedule(runtime)
    if today is None:
        return []
    with store.reading() as session:
        done = _done_on(session, today)
        candidates = [
            org_id
            for org_id in session.scalars(
                select(Organisation.id)
                .where(
                    Organisation.active_policy_id.is_not(None),
                    Organisation.id.in_(select(DataMapVersion.org_id)),
                )
                .order_by(Organisation.id)
            )
            if org_id not in done
        ]
        return [org_id for org_id in candidates if _binds_retention(session, org_id, runtime)]


def is_due(store: Store, org_id: int, runtime: Runtime) -> bool:
    """Whether one organisation's sweep of today is due (checked again just before it runs)."""
    today = today_if_past_schedule(runtime)
    if today is None:
        return False
    with store.reading() as session:
        org = session.get(Organisation, org_id)
        if org is None or org.active_policy_id is None:
            return False
        return org_id not in _done_on(session, today, org_id) and _binds_retention(
            session, org_id, runtime
        )


def _done_on(session: Session, day: dt.date, org_id: int | None = None) -> set[int]:
    """Organisations with a finished full run (every rule) of ``day``."""
    query = select(RetentionRun.org_id).where(
        RetentionRun.day == day, RetentionRun.status == "done", RetentionRun.rules.is_(None)
    )
    if org_id is not None:
        query = query.where(RetentionRun.org_id == org_id)
    return set(session.scalars(query))


def _binds_retention(session: Session, org_id: int, runtime: Runtime) -> bool:
    loaded = datamaps.active_datamap(session, org_id, cache=runtime.maps)
    if loaded is None:
        return False
    return any(table.retention for s in loaded.datamap.stores for table in s.tables)


# --------------------------------------------------------------------------- run


def run_if_due(
    store: Store,
    org_id: int,
    runtime: Runtime,
    *,
    started_by: str = "schedule",
    should_stop: Callable[[], bool] | None = None,
) -> Outcome:
    """Run the organisation's sweep of today if it is still due; its outcome.

    Conflict (another process sweeps it) is ``skipped``; any other error is ``failed`` and
    logged by kind (the run records it and is resumed next time). :class:`Stopped` goes
    through: the caller is shutting down.
    """
    if not is_due(store, org_id, runtime):
        return "not due"

    def progress(_sweep: str, _rows: int) -> None:
        if should_stop is not None and should_stop():
            raise Stopped

    try:
        made = retention.run(
            store, org_id, runtime, started_by=started_by, progress=progress, unless_done=True
        )
    except Conflict:
        log.info("retention sweep of organisation %s skipped: another process runs it", org_id)
        return "skipped"
    except Stopped:
        raise
    except Exception as exc:
        log.warning("retention sweep of organisation %s failed: %s", org_id, type(exc).__name__)
        return "failed"
    rows = sum(int(s.get("rows", 0)) for s in made.get("sweeps", []))
    log.info(
        "retention sweep of organisation %s done: run %s, %s sweeps, %s rows",
        org_id,
        made.get("run"),
        len(made.get("sweeps", [])),
        rows,
    )
    return "done"


def run_due(
    store: Store,
    runtime: Runtime,
    started_by: str = "schedule",
    *,
    exclude: Collection[int] = (),
    should_stop: Callable[[], bool] | None = None,
) -> dict[int, Outcome]:
    """Run the sweep of every due organisation, one after another: org id → outcome."""
    outcomes: dict[int, Outcome] = {}
    try:
        due = due_organisations(store, runtime)
    except Exception as exc:  # the store is away: the next check tries again
        log.warning("retention schedule check failed: %s", type(exc).__name__)
        return outcomes
    for org_id in due:
        if org_id in exclude:
            continue
        if should_stop is not None and should_stop():
            break
        outcomes[org_id] = run_if_due(
            store, org_id, runtime, started_by=started_by, should_stop=should_stop
        )
    return outcomes


# --------------------------------------------------------------------------- in-process


class Scheduler:
    """The in-process schedule (``PRIVAAT_TASK_QUEUE=inprocess``): a daemon thread that runs
    :func:`run_due` at start and then every ``every`` seconds.

    ``stop`` ends it cleanly: a sweep in progress stops after its current batch (its run is
    marked failed and the next check resumes it). An organisation whose sweep failed is left
    alone for :data:`RETRY_AFTER`, so that a store that is away is not retried every minute.
    """

    def __init__(self, store: Store, runtime: Runtime, *, every: float = 60.0) -> None:
        self.store = store
        self.runtime = runtime
        self.every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failed: dict[int, dt.datetime] = {}
        #: Checks made so far (for tests and diagnostics).
        self.ticks = 0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.runtime.settings.retention_time is None:
            return  # PRIVAAT_RETENTION_SCHEDULE=off
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="retention-schedule", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

    def tick(self) -> dict[int, Outcome]:
        """One check: the due organisations' sweeps, except those that failed lately."""
        now = self.runtime.clock.now()
        waiting = {org for org, at in self._failed.items() if now - at < RETRY_AFTER}
        outcomes = run_due(self.store, self.runtime, exclude=waiting, should_stop=self._stop.is_set)
        for org_id, outcome in outcomes.items():
            if outcome == "failed":
                self._failed[org_id] = now
            else:
                self._failed.pop(org_id, None)
        self.ticks += 1
        return outcomes

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Stopped:
                return
            except Exception as exc:  # never let the thread die: the next check tries again
                log.warning("retention schedule check failed: %s", type(exc).__name__)
            self._stop.wait(self.every)
