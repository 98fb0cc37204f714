"""Bearer tokens: made unguessable, stored only as a hash, resolved to a principal.

A token is ``pvt_`` followed by 256 random bits (URL-safe base64). The store keeps its
SHA-256: a token is high-entropy, so a fast hash is safe and lookups stay one indexed read.

Three kinds share the table: ``api`` (an application's token, scoped, in one organisation),
``session`` (a staff member after login) and ``setup`` (a one-time enrolment token, never a
bearer token). Every kind expires; revoked tokens are kept for the record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Literal

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from privaat.core.access import ROLE_SCOPES, Role, Scope
from privaat.engine.principal import Principal
from privaat.errors import AuthenticationFailed, InvalidInput, NotFound, PermissionDenied
from privaat.store.models import ApiToken, Membership, Staff

PREFIX = "pvt_"


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(text: str) -> frozenset[Scope]:
    return frozenset(Scope(s) for s in text.split())


TokenKind = Literal["api", "session", "setup"]


def issue_token(
    session: Session,
    *,
    kind: TokenKind,
    name: str,
    now: dt.datetime,
    ttl: dt.timedelta,
    actor: str,
    org_id: int | None = None,
    staff_id: int | None = None,
    scopes: frozenset[Scope] = frozenset(),
) -> tuple[ApiToken, str]:
    """Store a new token of any kind (not audited: the caller records why it was issued)."""
    token = new_token()
    row = ApiToken(
        kind=kind,
        token_sha256=token_hash(token),
        name=name,
        org_id=org_id,
        staff_id=staff_id,
        scopes=" ".join(sorted(scopes)),
        created_at=now,
        created_by=actor,
        expires_at=now + ttl,
    )
    session.add(row)
    session.flush()
    return row, token


def find_live(session: Session, token: str, kind: TokenKind, now: dt.datetime) -> ApiToken:
    """The unrevoked, unexpired token row of ``kind``; AuthenticationFailed otherwise."""
    if not token.startswith(PREFIX) or len(token) > 200:
        raise AuthenticationFailed("invalid or expired token")
    row = session.execute(
        select(ApiToken).where(ApiToken.token_sha256 == token_hash(token), ApiToken.kind == kind)
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise AuthenticationFailed("invalid or expired token")
    return row


def revoke_where(session: Session, now: dt.datetime, *conditions: ColumnElement[bool]) -> int:
    """Revoke every live token matching ``conditions``; the number revoked."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.revoked_at.is_(None), *conditions)
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def resolve(session: Session, token: str, now: dt.datetime) -> Principal:
    """The principal behind a bearer token; AuthenticationFailed if none is valid."""
    if not token.startswith(PREFIX) or len(token) > 200:
        raise AuthenticationFailed("invalid token")
    row = session.execute(
        select(ApiToken).where(ApiToken.token_sha256 == token_hash(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise AuthenticationFailed("invalid or expired token")
    if row.kind == "api" and row.org_id is not None:
        return Principal("token", row.id, {row.org_id: parse_scopes(row.scopes)})
    if row.kind == "session" and row.staff_id is not None:
        staff = session.get(Staff, row.staff_id)
        if staff is None or not staff.active:
            raise AuthenticationFailed("invalid or expired token")
        memberships = session.execute(
            select(Membership.org_id, Membership.role).where(Membership.staff_id == staff.id)
        ).all()
        grants = {m.org_id: ROLE_SCOPES[Role(m.role)] for m in memberships}
        return Principal("staff", staff.id, grants)
    raise AuthenticationFailed("invalid or expired token")


def issue_api_token(
    session: Session,
    *,
    org_id: int,
    scopes: frozenset[Scope],
    name: str,
    now: dt.datetime,
    actor: str,
    ttl: dt.timedelta,
) -> tuple[ApiToken, str]:
    """A new API token for an application; the token text is returned once, never stored."""
    from privaat.engine.audit import AuditRecord, append

    row, token = issue_token(
        session,
        kind="api",
        name=name,
        now=now,
        ttl=ttl,
        actor=actor,
        org_id=org_id,
        scopes=scopes,
    )
    append(
        session,
        AuditRecord(
            actor,
            "token.issued",
            now,
            org_id=org_id,
            target=f"token:{row.id}",
            detail={
                "name": name,
                "scopes": sorted(scopes),
                "expires_at": row.expires_at.isoformat(),
            },
        ),
    )
    return row, token


MAX_TOKEN_DAYS = 3650


def grant_api_token(
    session: Session,
    *,
    org_id: int,
    name: str,
    scopes: frozenset[Scope],
    held: frozenset[Scope],
    days: int,
    now: dt.datetime,
    actor: str,
) -> tuple[ApiToken, str]:
    """An API token made by a caller holding ``held``: it can grant only what it holds."""
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise InvalidInput("a token's name has 1 to 200 characters")
    if not scopes:
        raise InvalidInput("a token needs at least one permission")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidInput(f"a token lives 1 to {MAX_TOKEN_DAYS} days")
    beyond = scopes - held
    if beyond:
        raise PermissionDenied(
            "a token cannot get a permission its maker lacks: " + ", ".join(sorted(beyond))
        )
    return issue_api_token(
        session,
        org_id=org_id,
        scopes=scopes,
        name=name,
        now=now,
        actor=actor,
        ttl=dt.timedelta(days=days),
    )


def api_tokens(session: Session, org_id: int) -> list[ApiToken]:
    """An organisation's API tokens, revoked and expired ones included, oldest first."""
    return list(
        session.execute(
            select(ApiToken)
            .where(ApiToken.org_id == org_id, ApiToken.kind == "api")
            .order_by(ApiToken.id)
        ).scalars()
    )


def revoke_api_token(
    session: Session, *, org_id: int, token_id: int, now: dt.datetime, actor: str
) -> ApiToken:
    """Revoke one of an organisation's API tokens (revoking twice changes nothing)."""
    from privaat.engine.audit import AuditRecord, append

    row = session.get(ApiToken, token_id, with_for_update=True)
    if row is None or row.kind != "api" or row.org_id != org_id:
        raise NotFound(f"no API token {token_id} in this organisation")
    if row.revoked_at is None:
        row.revoked_at = now
        append(
            session,
            AuditRecord(actor, "token.revoked", now, org_id=org_id, target=f"token:{row.id}"),
        )
    return row
