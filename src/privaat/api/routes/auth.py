"""Routes: staff enrolment (setup token → password and TOTP), login, logout, who am I."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field
from sqlalchemy import select

from privaat.api.deps import PrincipalDep, Services, ServicesDep, bearer
from privaat.core.access import Role
from privaat.engine import staff
from privaat.engine.secrets_box import SecretBox
from privaat.errors import AuthenticationFailed, UsageError
from privaat.store.models import ApiToken, Membership, Organisation, Staff

router = APIRouter(prefix="/api/v1/auth", tags=["staff access"])

#: Responses that carry a secret are never stored by a cache or a browser.
NO_STORE = {"Cache-Control": "no-store"}


@functools.lru_cache(maxsize=4)
def _box(secret_key: str) -> SecretBox:
    return SecretBox(secret_key)


def secret_box(services: Services) -> SecretBox:
    """The box that seals TOTP secrets, keyed from the install's secret key."""
    return _box(services.settings.secret_key.get_secret_value())


Code = Annotated[str, Field(min_length=1, max_length=16, description="The 6-digit TOTP code.")]
Password = Annotated[str, Field(min_length=1, max_length=staff.MAX_PASSWORD)]
SetupToken = Annotated[str, Field(min_length=1, max_length=200)]


class LoginIn(BaseModel):
    email: str = Field(max_length=320)
    password: Password
    code: Code


class SessionOut(BaseModel):
    token: str = Field(description="The session's bearer token: shown once.")
    expires_at: dt.datetime


class SetupIn(BaseModel):
    setup_token: SetupToken
    password: str = Field(
        min_length=staff.MIN_PASSWORD,
        max_length=staff.MAX_PASSWORD,
        description=f"At least {staff.MIN_PASSWORD} characters.",
    )


class SetupOut(BaseModel):
    staff_id: int
    totp_secret: str = Field(description="Base32 secret for the authenticator app: shown once.")
    totp_uri: str = Field(description="The same as an otpauth:// address (for a QR code).")
    digits: int = staff.TOTP_DIGITS
    period: int = staff.TOTP_INTERVAL


class SetupConfirmIn(BaseModel):
    setup_token: SetupToken
    code: Code


class GrantOut(BaseModel):
    org: str
    role: Role | None = Field(description="The staff member's role; null for an API token.")
    scopes: list[str]


class MeOut(BaseModel):
    kind: Literal["staff", "token"]
    id: int
    email: str | None = None
    name: str | None = None
    grants: list[GrantOut]


@router.post(
    "/setup",
    summary="Enrolment, step 1: choose a password, receive the TOTP secret",
    description="With the setup token from an invitation. Calling it again before step 2 "
    "replaces the password and the secret.",
)
def setup(body: SetupIn, services: ServicesDep, response: Response) -> SetupOut:
    with services.store.transaction() as session:
        enrolment = staff.begin_setup(
            session,
            setup_token=body.setup_token,
            password=body.password,
            now=services.clock.now(),
            box=secret_box(services),
        )
    response.headers.update(NO_STORE)
    return SetupOut(
        staff_id=enrolment.staff_id,
        totp_secret=enrolment.totp_secret,
        totp_uri=enrolment.totp_uri,
    )


@router.post(
    "/setup/confirm",
    status_code=204,
    summary="Enrolment, step 2: confirm a TOTP code; the account is active",
    description="The setup token stops working. Log in with POST /api/v1/auth/login.",
)
def setup_confirm(body: SetupConfirmIn, services: ServicesDep) -> None:
    with services.store.transaction() as session:
        staff.finish_setup(
            session,
            setup_token=body.setup_token,
            code=body.code,
            now=services.clock.now(),
            box=secret_box(services),
        )


@router.post(
    "/login",
    summary="Log in with e-mail, password and TOTP code; receive a session token",
    description="Any mistake answers 401 'invalid credentials'. Five in a row lock the "
    "account for 15 minutes; a code works once.",
)
def login(body: LoginIn, services: ServicesDep, response: Response) -> SessionOut:
    ttl = dt.timedelta(seconds=services.settings.session_ttl_seconds)
    with services.store.transaction() as session:
        issued = staff.login(
            session,
            email=body.email,
            password=body.password,
            code=body.code,
            now=services.clock.now(),
            ttl=ttl,
            box=secret_box(services),
        )
    if issued is None:  # the refusal (count, lockout, audit) is committed first
        raise AuthenticationFailed("invalid credentials")
    response.headers.update(NO_STORE)
    return SessionOut(token=issued.token, expires_at=issued.expires_at)


@router.post("/logout", status_code=204, summary="End the caller's own session")
def logout(
    principal: PrincipalDep,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    if principal.kind != "staff" or credentials is None:
        raise UsageError("an API token is revoked with DELETE /api/v1/orgs/{org}/tokens/{id}")
    with services.store.transaction() as session:
        staff.logout(session, credentials.credentials, now=services.clock.now())
    services.forget_principals()


@router.get("/me", summary="Who the caller is, and what they may do where")
def me(principal: PrincipalDep, services: ServicesDep) -> MeOut:
    with services.store.reading() as session:
        slugs: dict[int, str] = {
            row.id: row.slug
            for row in session.execute(
                select(Organisation.id, Organisation.slug).where(
                    Organisation.id.in_(list(principal.grants))
                )
            )
        }
        grants = sorted(
            (slugs[org_id], sorted(scopes))
            for org_id, scopes in principal.grants.items()
            if org_id in slugs
        )
        if principal.kind == "token":
            token = session.get(ApiToken, principal.id)
            assert token is not None
            return MeOut(
                kind="token",
                id=principal.id,
                name=token.name,
                grants=[GrantOut(org=o, role=None, scopes=s) for o, s in grants],
            )
        person = session.get(Staff, principal.id)
        assert person is not None
        by_slug = {
            slugs[row.org_id]: Role(row.role)
            for row in session.execute(
                select(Membership.org_id, Membership.role).where(
                    Membership.staff_id == principal.id
                )
            )
            if row.org_id in slugs
        }
        return MeOut(
            kind="staff",
            id=person.id,
            email=person.email,
            name=person.name,
            grants=[GrantOut(org=o, role=by_slug.get(o), scopes=s) for o, s in grants],
        )
