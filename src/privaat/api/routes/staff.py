"""Routes: an organisation's staff members, their roles, and its API tokens (staff:admin).

A change takes effect at once in this process (its cache of callers is dropped); other
processes of the same install notice within ``auth_cache_seconds``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from privaat.api.deps import OrgAccess, ServicesDep, require
from privaat.core.access import Role, Scope
from privaat.engine import staff, tokens
from privaat.store.models import ApiToken

router = APIRouter(prefix="/api/v1/orgs/{org}", tags=["staff access"])

StaffAdmin = Annotated[OrgAccess, require(Scope.STAFF_ADMIN)]
StaffId = Annotated[int, Path(ge=1, le=2**62, description="The staff member's id.")]
TokenId = Annotated[int, Path(ge=1, le=2**62, description="The API token's id.")]

NO_STORE = {"Cache-Control": "no-store"}


class StaffIn(BaseModel):
    email: str = Field(max_length=320)
    name: str = Field(min_length=1, max_length=200)
    role: Role


class RoleIn(BaseModel):
    role: Role


class StaffOut(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    enrolled: bool = Field(description="False until the person finished setting up.")


class InvitationOut(StaffOut):
    new_account: bool
    setup_token: str | None = Field(
        description="For POST /api/v1/auth/setup; shown once. Null when the person already "
        "has an account (or a pending invitation from another organisation)."
    )
    setup_expires_at: dt.datetime | None


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[Scope] = Field(min_length=1, description="Only permissions the caller holds.")
    expires_in_days: int | None = Field(
        None, ge=1, le=tokens.MAX_TOKEN_DAYS, description="Default: the install's setting."
    )


class TokenOut(BaseModel):
    id: int
    name: str
    scopes: list[Scope]
    created_at: dt.datetime
    created_by: str
    expires_at: dt.datetime
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The bearer token: shown once, stored only as a hash.")


def _staff_out(m: staff.Member) -> StaffOut:
    return StaffOut(id=m.staff_id, email=m.email, name=m.name, role=m.role, enrolled=m.enrolled)


def _token_out(row: ApiToken) -> TokenOut:
    return TokenOut(
        id=row.id,
        name=row.name,
        scopes=sorted(tokens.parse_scopes(row.scopes)),
        created_at=row.created_at,
        created_by=row.created_by,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


@router.get("/staff", summary="The organisation's staff members and their roles")
def list_staff(access: StaffAdmin, services: ServicesDep) -> list[StaffOut]:
    with services.store.reading() as session:
        return [_staff_out(m) for m in staff.members(session, access.org_id)]


@router.post(
    "/staff",
    status_code=201,
    summary="Invite a person with a role",
    description="A new person gets a setup token (72 hours, shown once) to pass on; they "
    "finish with POST /api/v1/auth/setup and /api/v1/auth/setup/confirm. A person who "
    "already has an account simply gains the role here.",
)
def invite_staff(
    body: StaffIn, access: StaffAdmin, services: ServicesDep, response: Response
) -> InvitationOut:
    with services.store.transaction() as session:
        invitation = staff.create_staff(
            session,
            email=body.email,
            name=body.name,
            org_id=access.org_id,
            role=body.role,
            now=services.clock.now(),
            actor=access.actor,
        )
        person = invitation.staff
        out = InvitationOut(
            id=person.id,
            email=person.email,
            name=person.name,
            role=invitation.role,
            enrolled=person.active,
            new_account=invitation.new_account,
            setup_token=invitation.setup_token,
            setup_expires_at=invitation.setup_expires_at,
        )
    services.forget_principals()
    response.headers.update(NO_STORE)
    return out


@router.patch("/staff/{staff_id}", summary="Change a staff member's role here")
def change_role(
    staff_id: StaffId, body: RoleIn, access: StaffAdmin, services: ServicesDep
) -> StaffOut:
    with services.store.transaction() as session:
        changed = staff.change_role(
            session,
            org_id=access.org_id,
            staff_id=staff_id,
            role=body.role,
            now=services.clock.now(),
            actor=access.actor,
        )
    services.forget_principals()
    return _staff_out(changed)


@router.delete(
    "/staff/{staff_id}",
    status_code=204,
    summary="Take a staff member out of the organisation",
    description="The last admin cannot be removed. A person left in no organisation loses "
    "their sessions too.",
)
def remove_staff(staff_id: StaffId, access: StaffAdmin, services: ServicesDep) -> None:
    with services.store.transaction() as session:
        staff.remove_member(
            session,
            org_id=access.org_id,
            staff_id=staff_id,
            now=services.clock.now(),
            actor=access.actor,
        )
    services.forget_principals()


@router.get("/tokens", summary="The organisation's API tokens (never their secret)")
def list_tokens(access: StaffAdmin, services: ServicesDep) -> list[TokenOut]:
    with services.store.reading() as session:
        return [_token_out(row) for row in tokens.api_tokens(session, access.org_id)]


@router.post(
    "/tokens",
    status_code=201,
    summary="Create an API token",
    description="The token is in this answer only. It can hold only permissions the caller "
    "holds here (403 otherwise).",
)
def create_token(
    body: TokenIn, access: StaffAdmin, services: ServicesDep, response: Response
) -> TokenCreatedOut:
    days = body.expires_in_days or services.settings.token_ttl_days
    with services.store.transaction() as session:
        row, token = tokens.grant_api_token(
            session,
            org_id=access.org_id,
            name=body.name,
            scopes=frozenset(body.scopes),
            held=access.scopes,
            days=days,
            now=services.clock.now(),
            actor=access.actor,
        )
        out = TokenCreatedOut(**_token_out(row).model_dump(), token=token)
    response.headers.update(NO_STORE)
    return out


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke an API token")
def revoke_token(token_id: TokenId, access: StaffAdmin, services: ServicesDep) -> None:
    with services.store.transaction() as session:
        tokens.revoke_api_token(
            session,
            org_id=access.org_id,
            token_id=token_id,
            now=services.clock.now(),
            actor=access.actor,
        )
    services.forget_principals()
