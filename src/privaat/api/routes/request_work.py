"""Routes: carrying out rights requests. Plan, execute, download, and the manual tasks.

``POST …/requests/{reference}/plan`` is the dry run: it finds the person in every store of
the data map and stores what would be exported, deleted, masked, kept under a hold or left
to a person; nothing changes. ``POST …/execute`` carries the plan out (resuming where a
stopped run left off). Executing needs its own scope: it changes the company's databases.

The person downloads an export with the signed link of the reply letter
(``/p/{org}/export/{token}``, no account needed, until the export expires); staff download
it with ``GET …/requests/{reference}/export`` (audited).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from privaat.api.deps import OrgAccess, Services, ServicesDep, require
from privaat.api.routes.requests import Reference
from privaat.core.access import Scope
from privaat.engine.rights import records
from privaat.engine.rights.downloads import INVALID, DownloadSigner
from privaat.engine.rights.execute import Runtime, execute_request, plan_request
from privaat.errors import LinkInvalid, NotFound
from privaat.store.models import ExportFile, ManualTask, Organisation, RightsRequest

router = APIRouter()
api = APIRouter(prefix="/api/v1/orgs", tags=["requests"])

ZIP = "application/zip"


class PlanOut(BaseModel):
    """What the request will do, per store and table (or what privaat records itself)."""

    reference: str
    status: str
    plan: dict[str, Any]


class ResultOut(BaseModel):
    reference: str
    status: str
    result: dict[str, Any] = Field(
        description="Per step: what it did (store steps, verify, reply)."
    )


class TaskOut(BaseModel):
    id: int
    store: str
    instructions: str
    created_at: dt.datetime
    done_at: dt.datetime | None
    done_by: str | None
    note: str | None


class TaskDoneIn(BaseModel):
    note: str = Field(min_length=1, max_length=2000, description="What was done, by hand.")


def signer(services: Services) -> DownloadSigner:
    return DownloadSigner(
        services.settings.secret_key.get_secret_value(), services.settings.base_url
    )


def runtime(services: Services, org_slug: str) -> Runtime:
    """How the API executes: the server's environment holds the stores' URLs."""
    sign = signer(services)
    return Runtime(
        services.settings,
        services.clock,
        environ=dict(os.environ),
        policies=services.policies,
        download_link=lambda export: sign.url(org_slug, export),
    )


def _slug(services: Services, org_id: int) -> str:
    with services.store.reading() as session:
        return session.get_one(Organisation, org_id).slug


@api.post(
    "/{org}/requests/{reference}/plan",
    summary="The dry run: what the request would change, per store and table",
    description="The request must be verified. Nothing changes in the company's stores; the "
    "plan is kept with the request and shown again by GET.",
)
def plan(
    reference: Reference,
    access: Annotated[OrgAccess, require(Scope.REQUESTS_WRITE)],
    services: ServicesDep,
) -> PlanOut:
    made = plan_request(
        services.store, access.org_id, reference, runtime(services, _slug(services, access.org_id))
    )
    return PlanOut(reference=reference, status="planned", plan=made)


@api.get("/{org}/requests/{reference}/plan", summary="The request's stored plan")
def stored_plan(
    reference: Reference,
    access: Annotated[OrgAccess, require(Scope.REQUESTS_READ)],
    services: ServicesDep,
) -> PlanOut:
    with services.store.reading() as session:
        row = records.get(session, access.org_id, reference)
        if row.plan is None:
            raise NotFound("the request has no plan yet: POST …/plan makes one")
        return PlanOut(reference=reference, status=row.status, plan=json.loads(row.plan))


@api.post(
    "/{org}/requests/{reference}/execute",
    summary="Carry out a planned request (or resume one that stopped)",
    description="Each store's part is one transaction there and is done exactly once; a "
    "store that fails leaves the request executing, and calling this again resumes it.",
)
def execute(
    reference: Reference,
    access: Annotated[OrgAccess, require(Scope.REQUESTS_EXECUTE)],
    services: ServicesDep,
) -> ResultOut:
    result = execute_request(
        services.store, access.org_id, reference, runtime(services, _slug(services, access.org_id))
    )
    return ResultOut(reference=reference, status="done", result=result)


@api.get(
    "/{org}/requests/{reference}/export",
    summary="Download the request's export (ZIP; audited)",
    response_class=FileResponse,
    responses={200: {"content": {ZIP: {}}}},
)
def download(
    reference: Reference,
    access: Annotated[OrgAccess, require(Scope.REQUESTS_READ)],
    services: ServicesDep,
) -> FileResponse:
    now = services.clock.now()
    with services.store.transaction() as session:
        row = records.get(session, access.org_id, reference)
        export = session.scalars(
            select(ExportFile).where(ExportFile.request_id == row.id).order_by(ExportFile.id.desc())
        ).first()
        if export is None or not os.path.isfile(export.path):
            raise NotFound("this request has no export")
        records.audit(session, row, "request.export.read", actor=access.actor, now=now)
        path = export.path
    return FileResponse(path, media_type=ZIP, filename=f"{reference}.zip")


@router.get(
    "/p/{org}/export/{token}",
    tags=["public"],
    summary="The person's download of their export (the signed link of the reply letter)",
    response_class=FileResponse,
    responses={200: {"content": {ZIP: {}}}},
)
def person_download(org: str, token: str, services: ServicesDep) -> FileResponse:
    now = services.clock.now()
    try:
        org_id = services.org_id(org)
    except NotFound:
        raise LinkInvalid(INVALID) from None
    with services.store.transaction() as session:
        export = signer(services).open(session, org_id, token, now)
        request_ref = session.get_one(RightsRequest, export.request_id)
        records.audit(session, request_ref, "request.export.downloaded", actor="subject", now=now)
        path = export.path
        name = request_ref.reference
    return FileResponse(path, media_type=ZIP, filename=f"{name}.zip")


@api.get("/{org}/tasks", summary="Work left to a person: manual stores, replies without e-mail")
def tasks(
    access: Annotated[OrgAccess, require(Scope.REQUESTS_READ)],
    services: ServicesDep,
    open_only: Annotated[bool, Query(description="Only tasks not done yet.")] = True,
) -> list[TaskOut]:
    with services.store.reading() as session:
        query = select(ManualTask).where(ManualTask.org_id == access.org_id)
        if open_only:
            query = query.where(ManualTask.done_at.is_(None))
        rows = session.scalars(query.order_by(ManualTask.id)).all()
        return [TaskOut.model_validate(r, from_attributes=True) for r in rows]


@api.post("/{org}/tasks/{task_id}/done", summary="Sign off a task done by hand (audited)")
def task_done(
    task_id: Annotated[int, Path(ge=1, le=2**62)],
    body: TaskDoneIn,
    access: Annotated[OrgAccess, require(Scope.REQUESTS_EXECUTE)],
    services: ServicesDep,
) -> TaskOut:
    now = services.clock.now()
    with services.store.transaction() as session:
        task = session.get(ManualTask, task_id)
        if task is None or task.org_id != access.org_id:
            raise NotFound(f"no task {task_id}")
        if task.done_at is None:
            task.done_at = now
            task.done_by = access.actor
            task.note = body.note
            if task.request_id is not None:
                row = session.get_one(RightsRequest, task.request_id)
                records.audit(session, row, "request.task.done", actor=access.actor, now=now)
        return TaskOut.model_validate(task, from_attributes=True)


router.include_router(api)
