"""Extending a request's deadline, and finding the requests whose deadline is near or past.

An extension (Art. 12(3)) is decided once, for one or two further months counted from
receipt, before the first deadline has passed, with its reason; the person is told in the
same transaction (the notice, with the reason and the new date, is queued in the outbox).
A policy that promises a shorter extension (``rights.extension``) is held to it. The reason
is kept with the request; the audit trail records who extended it, by how much, until when.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from privaat.core import deadlines
from privaat.core.requests import OPEN, RequestStatus
from privaat.engine.orgs import PolicyCache
from privaat.engine.rights import letters, records
from privaat.errors import Conflict, InvalidInput
from privaat.store.models import Organisation, RightsRequest


@dataclass(frozen=True, slots=True)
class Extended:
    request: RightsRequest
    notified: bool  # False: no e-mail address known; tell the person another way


def extend(
    session: Session,
    request: RightsRequest,
    months: int,
    reason: str,
    *,
    org: Organisation,
    now: dt.datetime,
    actor: str,
    policies: PolicyCache | None = None,
) -> Extended:
    """Extend the deadline by `months` (1 or 2) and queue the notice to the person."""
    text = records.reason_text(reason, "the reason for an extension")
    if RequestStatus(request.status) not in OPEN:
        raise Conflict(f"the request is {request.status}: its deadline no longer runs")
    refusal = deadlines.extension_refusal(
        due_at=request.due_at, extended_until=request.extended_until, now=now
    )
    if refusal is not None:
        raise Conflict(refusal)
    policy = records.policy_of(session, org, policies)
    promised = policy.rights.extension if policy is not None else None
    longest = deadlines.longest_extension(promised)
    if months not in range(1, longest + 1):
        if longest == 0:
            raise InvalidInput("the policy promises no extension of a month or more")
        raise InvalidInput(f"an extension is 1 to {longest} month(s)")
    request.extended_until = deadlines.extended_due(request.received_at, months, promised)
    request.extension_reason = text
    lang = letters.language(request.language)
    message = letters.notify(
        session,
        request,
        letters.LetterKind.EXTENSION,
        org=org,
        policy=policy,
        now=now,
        reason=text,
        new_due=letters.day(request.extended_until, lang),
        months=months,
    )
    records.audit(
        session,
        request,
        "request.extended",
        actor=actor,
        now=now,
        months=months,
        extended_until=request.extended_until.isoformat(),
        notified=message is not None,
    )
    return Extended(request, message is not None)


def needing_attention(
    session: Session, org_id: int, *, now: dt.datetime, within_days: int = 7, limit: int = 200
) -> list[RightsRequest]:
    """Open requests that are overdue or due within `within_days`, the most urgent first."""
    rows, _total = records.listing(
        session,
        org_id,
        records.Filters(overdue=True, due_within_days=within_days),
        now=now,
        limit=limit,
    )
    return rows
