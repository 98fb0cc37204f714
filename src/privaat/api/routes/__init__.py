"""The API's routers, one module per area."""

from fastapi import APIRouter

from privaat.api.routes import (
    audit,
    auth,
    consent,
    datamap,
    orgs,
    public,
    request_work,
    requests,
    retention,
    staff,
    subjects,
)

ROUTERS: list[APIRouter] = [
    auth.router,
    orgs.router,
    subjects.router,
    consent.router,
    public.router,
    staff.router,
    audit.router,
    datamap.router,
    requests.router,
    request_work.router,
    retention.router,
]
