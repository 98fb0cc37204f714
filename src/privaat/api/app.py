"""``create_app(settings)``: the whole HTTP API, built from injected settings, store and clock."""

from __future__ import annotations

from fastapi import FastAPI

from privaat import __version__
from privaat.api import problems
from privaat.api.deps import Services
from privaat.api.routes import ROUTERS
from privaat.core.clock import Clock, SystemClock
from privaat.settings import Settings
from privaat.store.db import Store

DESCRIPTION = """\
privaat's API: organisations and their policy versions, data subjects, the consent ledger
(with its proof, double opt-in, one-click unsubscribe and Global Privacy Control), staff
access and the hash-chained audit trail.

Authenticate with **Authorize** and a bearer token: an API token, or the session token that
`POST /api/v1/auth/login` returns. Errors are `application/problem+json` (RFC 9457).
"""


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
