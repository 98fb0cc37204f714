"""``create_app(settings)``: the whole HTTP API, built from injected settings, store and clock."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from privaat import __version__
from privaat.api import problems
from privaat.api.deps import Services
from privaat.api.fastpath import ConsentFastPath, ConsentWriter
from privaat.api.routes import ROUTERS
from privaat.core.clock import Clock, SystemClock
from privaat.engine.audit import Sealer
from privaat.engine.datamaps import DataMapCache
from privaat.engine.rights.execute import Runtime
from privaat.engine.schedule import Scheduler
from privaat.settings import Settings
from privaat.store.db import Store

DESCRIPTION = """\
privaat's API: organisations and their policy versions, data subjects, the consent ledger
(with its proof, double opt-in, one-click unsubscribe and Global Privacy Control), staff
access and the hash-chained audit trail.

Authenticate with **Authorize** and a bearer token: an API token, or the session token that
`POST /api/v1/auth/login` returns. Errors are `application/problem+json` (RFC 9457).
"""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    services: Services = app.state.services
    # Seals the audit records of this process's writers in rounds, and every
    # audit_seal_seconds whatever is left pending (engine/audit.py, Sealer).
    sealer = Sealer(services.store, services.settings.audit_seal_seconds)
    sealer.start()
    # The retention schedule, in this process when no task queue runs it (engine/schedule.py).
    scheduler: Scheduler | None = None
    if app.state.schedule and services.settings.task_queue == "inprocess":
        runtime = Runtime(
            services.settings, services.clock, policies=services.policies, maps=DataMapCache()
        )
        scheduler = Scheduler(services.store, runtime)
        scheduler.start()
    app.state.scheduler = scheduler
    try:
        yield
    finally:
        if scheduler is not None:
            scheduler.stop()
        app.state.consent_writer.close()  # before the sealer: its last groups ask for a round
        sealer.stop()


# FastAPI's own OpenTelemetry (0.16x) would record every request's URL, and a consent check's
# query string holds an e-mail address: no personal data leaves through it. Its check per
# request was also 2 % of a worker under load. (Older FastAPI has no such setting.)
_NO_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    schedule: bool = False,
) -> FastAPI:
    """Build the API. The store's schema must be migrated already (``privaat db upgrade``).

    With ``schedule`` (what ``privaat serve`` asks for) and ``PRIVAAT_TASK_QUEUE=inprocess``,
    the app also runs the retention schedule while it lives.
    """
    services = Services(
        settings=settings,
        store=store or Store(settings.database_url),
        clock=clock or SystemClock(),
    )
    app = FastAPI(
        **_NO_TELEMETRY,
        lifespan=_lifespan,
        title="privaat",
        version=__version__,
        description=DESCRIPTION,
        responses={
            "default": {
                "description": "A problem (RFC 9457)",
                "content": {problems.PROBLEM: {"schema": problems.PROBLEM_SCHEMA}},
            }
        },
    )
    app.state.services = services
    app.state.schedule = schedule
    problems.install(app)
    for router in ROUTERS:
        app.include_router(router)
    # The consent check and write, the API's busiest calls, answered without the
    # framework's per-request work where that changes nothing (see ConsentFastPath).
    # Writes are recorded in groups, one transaction each (see ConsentWriter).
    app.state.consent_writer = writer = ConsentWriter(services)
    app.add_middleware(ConsentFastPath, services=services, writer=writer)

    @app.get("/healthz", tags=["service"], summary="Liveness: the service answers")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
