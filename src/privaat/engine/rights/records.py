"""Finding rights requests, moving them between statuses, and auditing what happens to them.

A request is found by its organisation and its reference (unguessable, shown to the person).
A reference that is not shaped like one is not looked up. Status changes go through
:func:`move` (the core's transition table); the audit entries of a request name it by its
reference and never hold the person's identity, new values or free-text reasons.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from privaat.core.deadlines import effective_due
from privaat.core.policy import Policy
from privaat.core.requests import OPEN, RequestKind, RequestStatus, check_move
from privaat.engine.audit import AuditRecord, append
from privaat.engine.orgs import PolicyCache, active_policy
from privaat.engine.subjects import IdentityKind
from privaat.errors import InvalidInput, NotFound
from privaat.store.models import Organisation, RightsRequest, SubjectIdentity

#: 16 random bytes, URL-safe base64: 22 characters, 128 bits.
REFERENCE_BYTES: Final = 16
REFERENCE: Final = re.compile(r"^[A-Za-z0-9_-]{16,32}$")

#: Longest free text (a reason, a note) kept with a request.
MAX_REASON: Final = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def new_reference() -> str:
    """A fresh reference that never starts with "-", which a command line would read as an
    option (``privaat request verify ORG -n7cy…`` fails)."""
    while True:
        reference = secrets.token_urlsafe(REFERENCE_BYTES)
        if not reference.startswith("-"):
            return reference


def get(session: Session, org_id: int, reference: str, *, lock: bool = False) -> RightsRequest:
    """The organisation's request with this reference (NotFound otherwise); ``lock`` holds
    its row until the transaction ends, so that two changes of status queue."""
    if not REFERENCE.match(reference):
        raise NotFound("no request with this reference")
    query = select(RightsRequest).where(
        RightsRequest.org_id == org_id, RightsRequest.reference == reference
    )
    row = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if row is None:
        raise NotFound("no request with this reference")
    return row


def move(request: RightsRequest, new: RequestStatus) -> None:
    """Change the request's status (Conflict for a move the status machine does not allow)."""
    check_move(request.status, new)
    request.status = new.value


def audit(
    session: Session,
    request: RightsRequest,
    action: str,
    *,
    actor: str,
    now: dt.datetime,
    **detail: object,
) -> None:
    append(
        session,
        AuditRecord(
            actor,
            action,
            now,
            org_id=request.org_id,
            subject_id=request.subject_id,
            target=f"request:{request.reference}",
            detail=detail,
        ),
    )


def reason_text(reason: str | None, what: str = "a reason") -> str:
    """A reason as it is kept: trimmed, not empty, at most MAX_REASON printable characters."""
    text = (reason or "").strip()
    if not text:
        raise InvalidInput(f"{what} is required")
    if len(text) > MAX_REASON or _CONTROL.search(text) or not printable(text):
        raise InvalidInput(f"{what} is at most {MAX_REASON} printable characters")
    return text


def printable(text: str) -> bool:
    """Storable text: no NUL or other control characters but tab and line ends, and valid
    UTF-8 (no lone surrogates)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return not _CONTROL.search(text)


def policy_of(session: Session, org: Organisation, policies: PolicyCache | None) -> Policy | None:
    """The organisation's active policy, or None when it has not loaded one yet."""
    return active_policy(session, org, policies) if org.active_policy_id is not None else None


def organisation(session: Session, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("no such organisation")
    return org


def details_of(request: RightsRequest) -> dict[str, Any]:
    try:
        value = json.loads(request.details or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def contact_email(session: Session, request: RightsRequest) -> str | None:
    """The e-mail address privaat can write to about this request: the one the request
    names, else one the organisation knows for its subject; None when there is none."""
    if request.identity_kind == IdentityKind.EMAIL.value:
        return request.identity_value
    if request.subject_id is None:
        return None
    found: str | None = session.execute(
        select(SubjectIdentity.value)
        .where(
            SubjectIdentity.org_id == request.org_id,
            SubjectIdentity.subject_id == request.subject_id,
            SubjectIdentity.kind == IdentityKind.EMAIL.value,
        )
        .order_by(SubjectIdentity.id)
        .limit(1)
    ).scalar_one_or_none()
    return found


def due(request: RightsRequest) -> dt.datetime:
    """The deadline in force for this request (the extended one, if it was extended)."""
    return effective_due(request.due_at, request.extended_until)


# --------------------------------------------------------------------------- listing


@dataclass(frozen=True, slots=True)
class Filters:
    """Which requests to list. ``overdue`` and ``due_within_days`` select open requests and
    combine with each other as "or" (overdue, or due within N days), with the rest as "and"."""

    statuses: Collection[RequestStatus] = ()
    kinds: Collection[RequestKind] = ()
    overdue: bool = False
    due_within_days: int | None = None


_DUE = func.coalesce(RightsRequest.extended_until, RightsRequest.due_at)


def _where(org_id: int, filters: Filters, now: dt.datetime) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [RightsRequest.org_id == org_id]
    if filters.statuses:
        conditions.append(RightsRequest.status.in_([s.value for s in filters.statuses]))
    if filters.kinds:
        conditions.append(RightsRequest.kind.in_([k.value for k in filters.kinds]))
    urgent: list[ColumnElement[bool]] = []
    if filters.overdue:
        urgent.append(now > _DUE)
    if filters.due_within_days is not None:
        if filters.due_within_days < 0:
            raise InvalidInput("due_within_days must not be negative")
        until = now + dt.timedelta(days=filters.due_within_days)
        urgent.append(_DUE.between(now, until))
    if urgent:
        conditions.append(RightsRequest.status.in_([s.value for s in OPEN]))
        conditions.append(or_(*urgent))
    return conditions


def listing(
    session: Session,
    org_id: int,
    filters: Filters,
    *,
    now: dt.datetime,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[RightsRequest], int]:
    """One page of the organisation's requests, the most urgent first, and how many match."""
    conditions = _where(org_id, filters, now)
    total = int(
        session.execute(
            select(func.count()).select_from(RightsRequest).where(*conditions)
        ).scalar_one()
    )
    query: Select[RightsRequest] = (
        select(RightsRequest)
        .where(*conditions)
        .order_by(_DUE, RightsRequest.id)
        .limit(limit)
        .offset(offset)
    )
    return list(session.execute(query).scalars()), total
