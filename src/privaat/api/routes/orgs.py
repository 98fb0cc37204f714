"""Routes: organisations, their policy versions and their notice."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from privaat.api.deps import OrgAccess, PrincipalDep, ServicesDep, require
from privaat.core.access import Scope
from privaat.engine import notices, orgs
from privaat.errors import NotFound
from privaat.store.models import Organisation, PolicyVersion

router = APIRouter(prefix="/api/v1/orgs", tags=["organisations"])


class OrgOut(BaseModel):
    slug: str
    name: str
    active_policy: int | None = Field(description="Number of the policy version in force.")
    scopes: list[str] = Field(description="What the caller may do in this organisation.")


class PolicyIn(BaseModel):
    source: str = Field(max_length=2_000_000, description="The policy file (YAML).")


class FindingOut(BaseModel):
    code: str
    severity: str
    path: str
    message: str
    fix: str


class PolicyVersionOut(BaseModel):
    number: int
    version: str
    sha256: str
    loaded_at: dt.datetime
    loaded_by: str
    active: bool


class PolicyLoadedOut(PolicyVersionOut):
    findings: list[FindingOut]
    reconsent: list[str] = Field(description="Purposes whose consents now need re-consent.")


class PolicySourceOut(PolicyVersionOut):
    source: str


def _version_out(row: PolicyVersion, active_id: int | None) -> PolicyVersionOut:
    return PolicyVersionOut(
        number=row.number,
        version=row.version,
        sha256=row.sha256,
        loaded_at=row.loaded_at,
        loaded_by=row.loaded_by,
        active=row.id == active_id,
    )


@router.get("", summary="The organisations the caller may act in")
def list_orgs(principal: PrincipalDep, services: ServicesDep) -> list[OrgOut]:
    with services.store.reading() as session:
        rows = session.execute(
            select(Organisation)
            .where(Organisation.id.in_(list(principal.grants)))
            .order_by(Organisation.slug)
        ).scalars()
        return [
            OrgOut(
                slug=o.slug,
                name=o.name,
                active_policy=_number(session, o.active_policy_id),
                scopes=sorted(principal.scopes_in(o.id)),
            )
            for o in rows
        ]


def _number(session: Session, version_id: int | None) -> int | None:
    if version_id is None:
        return None
    row = session.get(PolicyVersion, version_id)
    return row.number if row else None


@router.get("/{org}", summary="One organisation")
def get_org(
    access: Annotated[OrgAccess, require(Scope.POLICY_READ)], services: ServicesDep
) -> OrgOut:
    with services.store.reading() as session:
        org = session.get(Organisation, access.org_id)
        assert org is not None
        return OrgOut(
            slug=org.slug,
            name=org.name,
            active_policy=_number(session, org.active_policy_id),
            scopes=sorted(access.scopes),
        )


@router.post(
    "/{org}/policies",
    status_code=201,
    summary="Load a new policy version and make it active",
    description="The file is checked first: schema errors refuse it (422 with file:line:column "
    "for each). Lint findings are returned but do not refuse it. Earlier versions are kept; "
    "consents for purposes that changed in a way that needs new consent are flagged.",
)
def load_policy(
    body: PolicyIn,
    access: Annotated[OrgAccess, require(Scope.POLICY_WRITE)],
    services: ServicesDep,
) -> PolicyLoadedOut:
    with services.store.transaction() as session:
        org = session.get(Organisation, access.org_id)
        assert org is not None
        loaded = orgs.load_version(
            session,
            org,
            body.source,
            now=services.clock.now(),
            actor=access.actor,
            cache=services.policies,
        )
        base = _version_out(loaded.version, org.active_policy_id)
    return PolicyLoadedOut(
        **base.model_dump(),
        findings=[
            FindingOut(
                code=f.code,
                severity=f.severity.value,
                path=".".join(str(p) for p in f.path),
                message=f.message,
                fix=f.fix,
            )
            for f in loaded.findings
        ],
        reconsent=list(loaded.reconsent),
    )


@router.get("/{org}/policies", summary="Every policy version, oldest first")
def list_policies(
    access: Annotated[OrgAccess, require(Scope.POLICY_READ)], services: ServicesDep
) -> list[PolicyVersionOut]:
    with services.store.reading() as session:
        org = session.get(Organisation, access.org_id)
        assert org is not None
        return [_version_out(v, org.active_policy_id) for v in orgs.versions(session, org.id)]


@router.get("/{org}/policies/{number}", summary="One policy version with its source")
def get_policy(
    number: Annotated[int, Path(ge=1, le=2**31 - 1)],
    access: Annotated[OrgAccess, require(Scope.POLICY_READ)],
    services: ServicesDep,
) -> PolicySourceOut:
    with services.store.reading() as session:
        org = session.get(Organisation, access.org_id)
        assert org is not None
        row = session.execute(
            select(PolicyVersion).where(
                PolicyVersion.org_id == org.id, PolicyVersion.number == number
            )
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(f"no policy version {number}")
        return PolicySourceOut(
            **_version_out(row, org.active_policy_id).model_dump(), source=row.source
        )


@router.get(
    "/{org}/notice",
    summary="The privacy notice of the active policy",
    response_class=Response,
    responses={200: {"content": {"text/html": {}, "text/markdown": {}}}},
)
def get_notice(
    access: Annotated[OrgAccess, require(Scope.POLICY_READ)],
    services: ServicesDep,
    lang: Literal["nl", "en", "fr"] = "nl",
    format: Literal["html", "md"] = "html",
) -> Response:
    with services.store.reading() as session:
        org = session.get(Organisation, access.org_id)
        assert org is not None
        policy = orgs.active_policy(session, org, services.policies)
        assert org.active_policy_id is not None
        text, digest = notices.notice(org.active_policy_id, policy, lang, format)
    media = "text/html" if format == "html" else "text/markdown"
    return Response(text, media_type=f"{media}; charset=utf-8", headers={"X-Notice-SHA256": digest})
