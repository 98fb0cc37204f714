"""``create_app(settings)``: the whole HTTP API, built from injected settings, store and clock."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from privaat import __version__
from privaat.api import problems
from privaat.api.deps import Services
from privaat.api.routes import ROUTERS
from privaat.core.clock import Clock, SystemClock
from privaat.engine.audit import pending_count, seal
from privaat.settings import Settings
from privaat.store.db import Store

log = logging.getLogger("privaat.api")

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
    sealer = AuditSealer(services.store, services.settings.audit_seal_seconds)
    sealer.start()
    try:
        yield
    finally:
        sealer.stop()


class AuditSealer:
    """Chains the audit records that writers' own seals skipped, every few seconds.

    A writer seals its chain right after its commit unless another seal holds the chain;
    this thread takes what such a moment left pending, so that no record waits longer than
    ``audit_seal_seconds``. Not needed on SQLite, where records are chained at commit.
    """

    def __init__(self, store: Store, every: float) -> None:
        self.store = store
        self.every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.store.dialect != "sqlite":
            self._thread = threading.Thread(target=self._run, name="audit-sealer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                with self.store.reading() as session:
                    if not pending_count(session):
                        continue
                with self.store.transaction() as session:
                    seal(session)
            except Exception as exc:  # keep going; the records stay pending, nothing is lost
                log.warning("audit seal failed: %s", type(exc).__name__)


def create_app(
    settings: Settings, *, store: Store | None = None, clock: Clock | None = None
) -> FastAPI:
    """Build the API. The store's schema must be migrated already (``privaat db upgrade``)."""
    services = Services(
        settings=settings,
        store=store or Store(settings.database_url),
        clock=clock or SystemClock(),
    )
    app = FastAPI(
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
    problems.install(app)
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/healthz", tags=["service"], summary="Liveness: the service answers")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
