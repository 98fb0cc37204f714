"""Bearer tokens: made unguessable, stored only as a hash, resolved to a principal.

A token is ``pvt_`` followed by 256 random bits (URL-safe base64). The store keeps its
SHA-256: a token is high-entropy, so a fast hash is safe and lookups stay one indexed read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from privaat.core.access import ROLE_SCOPES, Role, Scope
from privaat.engine.principal import Principal
from privaat.errors import AuthenticationFailed
from privaat.store.models import ApiToken, Membership, Staff

PREFIX = "pvt_"


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(text: str) -> frozenset[Scope]:
    return frozenset(Scope(s) for s in text.split())


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

    token = new_token()
    row = ApiToken(
        kind="api",
        token_sha256=token_hash(token),
        name=name,
        org_id=org_id,
        scopes=" ".join(sorted(scopes)),
        created_at=now,
        created_by=actor,
        expires_at=now + ttl,
    )
    session.add(row)
    session.flush()
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
