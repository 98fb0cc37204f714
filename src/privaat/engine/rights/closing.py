"""Closing a request without executing it: rejected (with reasons) or cancelled.

A rejection is a decision the person must be told, with its reasons and their right to
complain to the supervisory authority and to go to court (Art. 12(4)): the letter is queued
in the outbox in their language. A cancellation (the person withdrew the request, or it was
filed twice) sends nothing. Either reason is kept with the request, not in the audit trail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from privaat.core.requests import RequestStatus
from privaat.engine.orgs import PolicyCache
from privaat.engine.rights import letters, records
from privaat.store.models import Organisation, RightsRequest


@dataclass(frozen=True, slots=True)
class Closed:
    request: RightsRequest
    notified: bool  # a rejection letter was queued (False: no e-mail address, or a cancel)


def reject(
    session: Session,
    request: RightsRequest,
    reason: str,
    *,
    org: Organisation,
    now: dt.datetime,
    actor: str,
    policies: PolicyCache | None = None,
) -> Closed:
    """Reject the request with `reason` and queue the letter that tells the person why."""
    text = records.reason_text(reason, "the reason for a rejection")
    records.move(request, RequestStatus.REJECTED)
    request.closing_note = text
    request.completed_at = now
    policy = records.policy_of(session, org, policies)
    lang = letters.language(request.language)
    authority, website = letters.authority(policy, lang)
    message = letters.notify(
        session,
        request,
        letters.LetterKind.REJECTION,
        org=org,
        policy=policy,
        now=now,
        reason=text,
        authority=authority,
        authority_website=website,
    )
    records.audit(
        session, request, "request.rejected", actor=actor, now=now, notified=message is not None
    )
    return Closed(request, message is not None)


def cancel(
    session: Session, request: RightsRequest, reason: str, *, now: dt.datetime, actor: str
) -> Closed:
    """Cancel the request (the person withdrew it, or it is a duplicate); nothing is sent."""
    text = records.reason_text(reason, "the reason for a cancellation")
    records.move(request, RequestStatus.CANCELLED)
    request.closing_note = text
    request.completed_at = now
    records.audit(session, request, "request.cancelled", actor=actor, now=now)
    return Closed(request, False)
