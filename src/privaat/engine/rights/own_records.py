"""What a rights request changes in privaat's own records.

- restriction (Art. 18): a Restriction of the subject, which the consent check that
  applications call answers with "restricted";
- objection (Art. 21) and withdrawal of consent (Art. 7(3)): an event in the consent ledger
  per purpose, with the request as its provenance;
- human review of an automated decision (Art. 22(3)): a task for a staff member.

Runs inside the transaction that marks the request's step done, so it happens exactly once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from privaat.core.policy.model import Policy
from privaat.core.requests import RequestKind
from privaat.engine import consent, subjects
from privaat.engine.orgs import PolicyCache
from privaat.store.models import ManualTask, Restriction, RightsRequest


def _subject(session: Session, request: RightsRequest, now: dt.datetime) -> int:
    """The request's subject in privaat, created when the person was not known yet."""
    if request.subject_id is None:
        request.subject_id = subjects.ensure(
            session,
            request.org_id,
            subjects.IdentityKind(request.identity_kind),
            request.identity_value,
            now=now,
            actor="system",
        )
    return request.subject_id


def _event(kind: RequestKind) -> consent.EventKind:
    if kind is RequestKind.OBJECTION:
        return consent.EventKind.OBJECTED
    return consent.EventKind.WITHDRAWN


def default_purposes(policy: Policy, kind: RequestKind) -> list[str]:
    """The purposes an objection or withdrawal covers when the person named none: every
    purpose that accepts it (the consent ledger's own rule)."""
    return [p.id for p in policy.purposes if consent.accepts(p, _event(kind))]


def apply(
    session: Session,
    request_id: int,
    kind: RequestKind,
    details: Mapping[str, Any],
    *,
    policy: Policy,
    now: dt.datetime,
    policies: PolicyCache | None,
) -> list[dict[str, Any]]:
    """Record the request's effect; the plan lines of what was done."""
    request = session.get_one(RightsRequest, request_id)
    if kind is RequestKind.RESTRICTION:
        subject_id = _subject(session, request, now)
        active = session.execute(
            select(Restriction.id).where(
                Restriction.org_id == request.org_id,
                Restriction.subject_id == subject_id,
                Restriction.lifted_at.is_(None),
            )
        ).first()
        if active is None:
            session.add(
                Restriction(
                    org_id=request.org_id,
                    subject_id=subject_id,
                    request_id=request.id,
                    reason=f"request {request.reference}",
                    created_at=now,
                )
            )
        return [{"store": "privaat", "step": "restrict", "rows": 1}]
    if kind in (RequestKind.OBJECTION, RequestKind.WITHDRAWAL):
        subject_id = _subject(session, request, now)
        purposes = list(details.get("purposes") or default_purposes(policy, kind))
        event = _event(kind)
        lines: list[dict[str, Any]] = []
        for purpose in purposes:
            consent.record(
                session,
                org=request.org_id,
                subject_id=subject_id,
                purpose=purpose,
                kind=event,
                proof=consent.Proof(
                    consent.Channel.STAFF,
                    now,
                    language=request.language,
                    provenance=f"rights request {request.reference}",
                ),
                actor="system",
                now=now,
                policies=policies or PolicyCache(),
                idempotency_key=f"request:{request.reference}:{purpose}",
            )
            lines.append({"store": "privaat", "step": event.value, "purpose": purpose, "rows": 1})
        return lines
    if kind is RequestKind.REVIEW:
        decision = details.get("decision", "")
        session.add(
            ManualTask(
                org_id=request.org_id,
                request_id=request.id,
                store="privaat",
                instructions=f"Human review of automated decision {decision!s} for request "
                f"{request.reference}: look at the decision, hear the person, decide anew.",
                created_at=now,
            )
        )
        return [{"store": "privaat", "step": "manual", "rows": 1}]
    return []
