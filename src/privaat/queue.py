"""The task queue of production installs (``PRIVAAT_TASK_QUEUE=procrastinate``).

procrastinate keeps its jobs in privaat's own PostgreSQL database: no broker to run. Its
schema is created by ``privaat db upgrade`` (:func:`ensure_schema`), and ``privaat worker``
runs the jobs, in as many processes and on as many machines as wanted.

Two tasks:

- ``privaat.retention_schedule``, periodic: every hour at the minute of
  ``PRIVAAT_RETENTION_SCHEDULE`` (a Brussels time of day is a whole number of hours from
  UTC, so the first tick at or after it is the schedule time itself, whatever the season).
  It defers one ``privaat.retention_sweep`` job per organisation that is due
  (:func:`privaat.engine.schedule.due_organisations`). However many workers run, the tick is
  deferred once (procrastinate records each periodic tick), and a due organisation that
  failed is deferred again at the next tick.
- ``privaat.retention_sweep(org_id)``: the organisation's sweep of today, if it is still due
  (:func:`privaat.engine.schedule.run_if_due`). A worker that is told to stop (SIGTERM)
  stops the sweep after its current batch and queues it again: the next worker resumes it.

Two workers never run the same organisation's sweep at once: its jobs carry the lock
``retention:<org>`` (procrastinate starts no job while another with the same lock works) and
the queueing lock ``retention:<org>`` (at most one waits in the queue). The engine's sweep
lease (:func:`privaat.engine.retention.lease`) is the second guard, against a sweep started
from the command line or the API at the same time.
"""

from __future__ import annotations

import asyncio
import logging

import psycopg
from procrastinate import App, JobContext, PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued, JobAborted
from procrastinate.job_context import AbortReason
from procrastinate.jobs import JobDeferrer
from procrastinate.schema import SchemaManager
from sqlalchemy.engine import make_url

from privaat.core.clock import Clock, SystemClock
from privaat.engine import schedule
from privaat.engine.datamaps import DataMapCache
from privaat.engine.orgs import PolicyCache
from privaat.engine.rights.execute import Runtime
from privaat.settings import Settings
from privaat.store.db import Store

log = logging.getLogger("privaat.queue")

SWEEP_TASK = "privaat.retention_sweep"
SCHEDULE_TASK = "privaat.retention_schedule"

#: A worker that starts less than this after a tick it missed still defers it.
MAX_DELAY_SECONDS = 3600


def conninfo(settings: Settings) -> str:
    """libpq's form of ``PRIVAAT_DATABASE_URL`` (SQLAlchemy's names the driver)."""
    url = make_url(settings.database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def sweep_lock(org_id: int) -> str:
    return f"retention:{org_id}"


def cron(settings: Settings) -> str | None:
    """The periodic task's cron: hourly at the schedule's minute; None when it is off."""
    at = settings.retention_time
    return None if at is None else f"{at.minute} * * * *"


def make_app(settings: Settings, store: Store, *, clock: Clock | None = None) -> App:
    """The procrastinate app of this install: its tasks work on ``store``."""
    app = App(
        connector=PsycopgConnector(conninfo=conninfo(settings)),
        periodic_defaults={"max_delay": MAX_DELAY_SECONDS},
    )
    runtime = Runtime(settings, clock or SystemClock(), policies=PolicyCache(), maps=DataMapCache())

    @app.task(name=SWEEP_TASK, pass_context=True)
    def retention_sweep(context: JobContext, org_id: int) -> str:
        try:
            return schedule.run_if_due(
                store, org_id, runtime, started_by="schedule", should_stop=context.should_abort
            )
        except schedule.Stopped:
            # The worker stops: queue the sweep again, for another worker (or this one,
            # restarted) to resume it. An abort asked for by hand waits for the next tick.
            if context.abort_reason() is AbortReason.SHUTDOWN:
                defer_sweep(app, org_id)
            raise JobAborted from None

    every_hour = cron(settings)
    if every_hour is not None:

        @app.periodic(cron=every_hour)
        @app.task(name=SCHEDULE_TASK)
        async def retention_schedule(timestamp: int) -> int:
            due = await asyncio.to_thread(schedule.due_organisations, store, runtime)
            deferred = 0
            for org_id in due:
                if await defer_sweep_async(app, org_id) is not None:
                    deferred += 1
            log.info("retention schedule: %s due, %s sweeps deferred", len(due), deferred)
            return deferred

    return app


def _sweep_job(app: App, org_id: int) -> JobDeferrer:
    lock = sweep_lock(org_id)
    return app.configure_task(
        SWEEP_TASK, lock=lock, queueing_lock=lock, task_kwargs={"org_id": org_id}
    )


def defer_sweep(app: App, org_id: int) -> int | None:
    """Queue the organisation's sweep; its job id, or None when one already waits."""
    try:
        job_id = _sweep_job(app, org_id).defer()
    except AlreadyEnqueued:
        return None
    return job_id


async def defer_sweep_async(app: App, org_id: int) -> int | None:
    """:func:`defer_sweep` from a coroutine (the periodic task)."""
    try:
        job_id = await _sweep_job(app, org_id).defer_async()
    except AlreadyEnqueued:
        return None
    return job_id


# --------------------------------------------------------------------------- schema

#: Taken while the schema is checked and created: two upgrades at once create it once.
_SCHEMA_LOCK = 7_346_211_901


def has_schema(settings: Settings) -> bool:
    with psycopg.connect(conninfo(settings)) as conn:
        row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
    return bool(row and row[0])


def ensure_schema(settings: Settings) -> bool:
    """Create procrastinate's tables in privaat's database unless they exist; True if made.

    Its schema is that of the installed procrastinate (pinned to one minor version in
    privaat's dependencies); a later procrastinate version brings its own migrations, which
    this does not apply (see docs/retention.md).
    """
    with psycopg.connect(conninfo(settings)) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
        if row and row[0]:
            return False
        conn.execute(SchemaManager.get_schema())
    return True
