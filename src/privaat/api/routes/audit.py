"""Routes: an organisation's audit trail, and the check of its hash chain.

Reading the trail is recorded in it. The trail says which staff member or token did what to
which subject, so a read of it is a read of personal data, and the issue's rule ("reads of
personal data included") applies to it as to any other: ``GET /audit`` appends
``audit.read`` (the range returned) in the same transaction as the read, and
``GET /audit/verify`` appends ``audit.verified`` (the result and the head it checked) once
the check is done. The entry a read writes is not part of what that read returns; the
next page shows it. The verify record also anchors the head's hash inside the chain, so
a later cut of the tail must rewrite more than the head row.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from privaat.api.deps import OrgAccess, ServicesDep, require
from privaat.core.access import Scope
from privaat.engine.audit import AuditRecord, append, entries_after, seal
from privaat.engine.audit_verify import ChainReport, verify

router = APIRouter(prefix="/api/v1/orgs", tags=["audit"])

MAX_PAGE = 1000


class AuditEntryOut(BaseModel):
    seq: int = Field(description="Position in the organisation's chain, from 1.")
    at: dt.datetime
    actor: str = Field(description="Who: staff:N, token:N, subject, cli, system...")
    action: str = Field(description="What: subject.read, consent.given, policy.loaded...")
    subject_id: int | None = Field(description="Whose data, when it concerns a data subject.")
    target: str | None
    detail: dict[str, Any]
    prev_hash: str = Field(description="The hash of the entry before (64 zeros for the first).")
    hash: str = Field(description="SHA-256 over this entry and prev_hash.")


class AuditPage(BaseModel):
    entries: list[AuditEntryOut]
    next_after_seq: int | None = Field(
        description="Pass as after_seq for the next page; null when this page is the last."
    )


class ProblemOut(BaseModel):
    seq: int
    kind: str = Field(description="changed, missing, reordered, inserted or head mismatch.")
    message: str


class VerifyOut(BaseModel):
    intact: bool
    entries: int = Field(description="Entries stored in the chain.")
    verified: int = Field(description="Entries found intact, from 1 up to the first problem.")
    head_seq: int | None
    head_hash: str | None
    problem: ProblemOut | None


@router.get(
    "/{org}/audit",
    summary="The organisation's audit trail, oldest first",
    description="Entries with seq > after_seq, at most `limit` (1000) per page. "
    "The read itself is recorded in the trail (audit.read).",
)
def list_audit(
    access: Annotated[OrgAccess, require(Scope.AUDIT_READ)],
    services: ServicesDep,
    after_seq: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> AuditPage:
    with services.store.transaction() as session:
        lines = entries_after(session, access.org_id, after_seq, limit)
        detail: dict[str, object] = {"after_seq": after_seq, "entries": len(lines)}
        if lines:
            detail["to_seq"] = lines[-1].seq
        append(
            session,
            AuditRecord(
                access.actor, "audit.read", services.clock.now(), access.org_id, detail=detail
            ),
        )
    return AuditPage(
        entries=[
            AuditEntryOut(
                seq=line.seq,
                at=line.at,
                actor=line.actor,
                action=line.action,
                subject_id=line.subject_id,
                target=line.target,
                detail=line.detail_object(),
                prev_hash=line.prev_hash,
                hash=line.hash,
            )
            for line in lines
        ],
        next_after_seq=lines[-1].seq if len(lines) == limit else None,
    )


@router.get(
    "/{org}/audit/verify",
    summary="Verify the organisation's audit chain",
    description="Checks every entry's hash and link, the numbering and the chain's head, "
    "and names the first entry that is wrong. The check is recorded (audit.verified).",
)
def verify_audit(
    access: Annotated[OrgAccess, require(Scope.AUDIT_READ)], services: ServicesDep
) -> VerifyOut:
    with services.store.transaction() as session:  # chain what is still pending first
        seal(session, [access.org_id])
    report = verify(services.store.engine, access.org_id).chain(access.org_id)
    with services.store.transaction() as session:
        append(
            session,
            AuditRecord(
                access.actor,
                "audit.verified",
                services.clock.now(),
                access.org_id,
                detail=_verified_detail(report),
            ),
        )
    problem = report.problem
    return VerifyOut(
        intact=report.intact,
        entries=report.entries,
        verified=report.verified,
        head_seq=report.head_seq,
        head_hash=report.head_hash,
        problem=None
        if problem is None
        else ProblemOut(seq=problem.seq, kind=str(problem.kind), message=problem.message),
    )


def _verified_detail(report: ChainReport) -> dict[str, object]:
    detail: dict[str, object] = {
        "intact": report.intact,
        "entries": report.entries,
        "head_seq": report.head_seq,
        "head_hash": report.head_hash,
    }
    if report.problem is not None:
        detail["problem"] = {"seq": report.problem.seq, "kind": str(report.problem.kind)}
    return detail
