"""Routes: retention. The plan of today's sweep, starting a sweep, and the reports of runs.

``GET …/retention/plan`` is the dry run (counts, held rows and until when, example keys,
conflicts between rules and holds; never a personal value). ``POST …/retention/run`` starts
the organisation's sweep in the background and answers at once (202): the run is then
followed with ``GET …/retention/runs``; a second start while one works is a 409. Running a
sweep needs its own scope: it deletes from the company's databases.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from privaat.api.deps import OrgAccess, ServicesDep, require
from privaat.api.routes.request_work import runtime
from privaat.core.access import Scope
from privaat.core.clock import FrozenClock
from privaat.engine import retention
from privaat.engine.rights.execute import Runtime
from privaat.errors import NotFound
from privaat.store.models import RetentionRun

router = APIRouter()
api = APIRouter(prefix="/api/v1/orgs", tags=["retention"])
log = logging.getLogger(__name__)

Rules = Annotated[
    list[str] | None,
    Query(description="Only these retention rules (repeat the parameter for several)."),
]


class RunOut(BaseModel):
    id: int
    day: dt.date
    status: str = Field(description="running, done or failed (a failed run is resumed).")
    started_by: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    error: str | None


class StartedOut(BaseModel):
    status: str = Field(
        description="started: the sweep runs in the background of this process; queued: a "
        "worker runs it (task_queue procrastinate); already queued: one waits already."
    )
    runs: str = Field(description="Where to follow it.")


@api.get(
    "/{org}/retention/plan",
    summary="The dry run: what today's sweep would delete, anonymise, count or keep",
)
def plan(
    access: Annotated[OrgAccess, require(Scope.RETENTION_READ)],
    services: ServicesDep,
    rule: Rules = None,
    on: Annotated[dt.date | None, Query(description="Plan for a later day instead.")] = None,
) -> dict[str, Any]:
    run_time: Runtime = runtime(services, access.slug)
    if on is not None:
        clock = FrozenClock(dt.datetime.combine(on, dt.time(12), tzinfo=dt.UTC))
        run_time = Runtime(services.settings, clock, environ=run_time.environ)
    return retention.plan(services.store, access.org_id, run_time, rule)


@api.post(
    "/{org}/retention/run",
    status_code=202,
    summary="Start the organisation's sweep (or finish one that stopped)",
    description="Answers at once; follow the run with GET …/retention/runs. 409 while "
    "another sweep of the organisation works.",
)
def run(
    access: Annotated[OrgAccess, require(Scope.RETENTION_RUN)],
    services: ServicesDep,
    rule: Rules = None,
) -> StartedOut:
    run_time = runtime(services, access.slug)
    retention.check(services.store, access.org_id, run_time, rule)
    retention.check_free(services.store, access.org_id)
    store, org_id, actor = services.store, access.org_id, access.actor
    runs_url = f"/api/v1/orgs/{access.slug}/retention/runs"
    if services.settings.task_queue == "procrastinate" and rule is None:
        from privaat import queue  # the worker processes run it

        app = queue.make_app(services.settings, store)
        with app.open():
            queued = queue.defer_sweep(app, org_id)
        return StartedOut(status="queued" if queued else "already queued", runs=runs_url)

    def work() -> None:
        try:
            retention.run(store, org_id, run_time, rule, started_by=actor)
        except Exception as exc:  # recorded on the run; the log names the kind only
            log.warning("retention run of organisation %s stopped: %s", org_id, type(exc).__name__)

    threading.Thread(target=work, name=f"retention-{org_id}", daemon=True).start()
    return StartedOut(status="started", runs=runs_url)


@api.get("/{org}/retention/runs", summary="The latest retention runs and their state")
def runs(
    access: Annotated[OrgAccess, require(Scope.RETENTION_READ)],
    services: ServicesDep,
) -> list[RunOut]:
    return [
        RunOut.model_validate(row, from_attributes=True)
        for row in retention.runs(services.store, access.org_id)
    ]


@api.get("/{org}/retention/runs/{run_id}", summary="A finished run's report")
def report(
    run_id: Annotated[int, Path(ge=1, le=2**62)],
    access: Annotated[OrgAccess, require(Scope.RETENTION_READ)],
    services: ServicesDep,
) -> dict[str, Any]:
    with services.store.reading() as session:
        row = session.get(RetentionRun, run_id)
        if row is None or row.org_id != access.org_id:
            raise NotFound("no such retention run")
        if row.report is None:
            raise NotFound(f"retention run {run_id} has not finished ({row.status})")
        out: dict[str, Any] = json.loads(row.report)
        return out


router.include_router(api)
