"""Routes: an organisation's data map (load a new version, read the one in force)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from privaat.api.deps import OrgAccess, ServicesDep, require
from privaat.core.access import Scope
from privaat.core.datamap.loader import load_datamap
from privaat.core.yamlsource import MAX_BYTES
from privaat.engine import datamaps
from privaat.errors import InvalidDocument, NotFound, SourceIssue, UnreadableInput
from privaat.store.models import DataMapVersion, Organisation

router = APIRouter(prefix="/api/v1/orgs", tags=["data map"])

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")


class DataMapVersionOut(BaseModel):
    number: int = Field(description="1, 2, 3... per organisation; the newest is in force.")
    sha256: str
    loaded_at: dt.datetime
    loaded_by: str
    stores: list[str] = Field(description="The ids of the map's stores.")
    tables: int = Field(description="How many tables the map describes, over all stores.")


class DataMapSourceOut(DataMapVersionOut):
    source: str = Field(description="The data-map file (YAML) as loaded.")


def _out(row: DataMapVersion, stores: list[str], tables: int) -> DataMapVersionOut:
    return DataMapVersionOut(
        number=row.number,
        sha256=row.sha256,
        loaded_at=row.loaded_at,
        loaded_by=row.loaded_by,
        stores=stores,
        tables=tables,
    )


async def _read_capped(request: Request) -> bytes:
    too_big = HTTPException(413, f"the data map is larger than {MAX_BYTES // 2**20} MB")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BYTES:
        raise too_big
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > MAX_BYTES:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


@router.put(
    "/{org}/datamap",
    summary="Load a new data-map version and make it the one in force",
    description="The body is the data-map file (`Content-Type: application/yaml`, UTF-8). It "
    "is checked first, against the organisation's active policy: any error refuses it (422, "
    "with line and column for each). Earlier versions are kept. The live databases are not "
    "contacted; `privaat datamap check` does that.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/yaml": {"schema": {"type": "string"}}},
        }
    },
)
async def put_datamap(
    request: Request,
    access: Annotated[OrgAccess, require(Scope.DATAMAP_WRITE)],
    services: ServicesDep,
) -> DataMapVersionOut:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in YAML_TYPES:
        raise HTTPException(415, "send the data map as application/yaml")
    body = await _read_capped(request)
    try:
        text = body.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise InvalidDocument(
            [SourceIssue("datamap.yaml", 1, 1, "not UTF-8; send the file as UTF-8")]
        ) from None

    def work() -> DataMapVersionOut:
        with services.store.transaction() as session:
            org = session.get(Organisation, access.org_id)
            assert org is not None
            try:
                result = datamaps.load_datamap_version(
                    session,
                    org,
                    text,
                    file="datamap.yaml",
                    base_dir=Path.cwd(),
                    now=services.clock.now(),
                    actor=access.actor,
                    policies=services.policies,
                )
            except UnreadableInput as exc:  # a YAML syntax error is an issue in the file too
                raise InvalidDocument([exc.issue]) from None
            stores = [s.id for s in result.loaded.datamap.stores]
            tables = sum(len(s.tables) for s in result.loaded.datamap.stores)
            return _out(result.version, stores, tables)

    return await run_in_threadpool(work)


@router.get("/{org}/datamap", summary="The data map in force, with its source")
def get_datamap(
    access: Annotated[OrgAccess, require(Scope.DATAMAP_READ)], services: ServicesDep
) -> DataMapSourceOut:
    with services.store.reading() as session:
        row = datamaps.active_version(session, access.org_id)
        if row is None:
            raise NotFound("this organisation has no data map yet")
        loaded = load_datamap(row.source, f"datamap-v{row.number}.yaml")
        stores = [s.id for s in loaded.datamap.stores]
        tables = sum(len(s.tables) for s in loaded.datamap.stores)
        return DataMapSourceOut(**_out(row, stores, tables).model_dump(), source=row.source)
