"""The audit trail: append-only, hash-chained entries of who did what to whose data.

Each organisation has its own chain (chain id = organisation id); chain 0 records what
happens to the install itself (staff logins, organisations created). An entry's hash covers
its own fields and the previous entry's hash, so a changed, removed, inserted or reordered
entry breaks every hash after it. Appending locks the chain's head row for the rest of the
transaction, so concurrent writers append one after the other and nothing forks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from privaat.store.models import AuditEntry, AuditHead

GENESIS = "0" * 64
INSTALL_CHAIN = 0


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One thing that happened, before it is chained."""

    actor: str  # staff:1, token:2, subject, cli, system
    action: str  # consent.given, subject.read, policy.loaded...
    at: dt.datetime
    org_id: int | None = None
    subject_id: int | None = None
    target: str | None = None
    detail: Mapping[str, object] = field(default_factory=dict)


def canonical_detail(detail: Mapping[str, object]) -> str:
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(
    prev_hash: str,
    *,
    chain: int,
    seq: int,
    at: dt.datetime,
    actor: str,
    action: str,
    org_id: int | None,
    subject_id: int | None,
    target: str | None,
    detail: str,
) -> str:
    """The hash of one entry: SHA-256 over the previous hash and the entry's fields."""
    stamp = at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    body = json.dumps(
        [chain, seq, stamp, actor, action, org_id, subject_id, target, detail],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def append(session: Session, record: AuditRecord) -> None:
    """Append one record to its organisation's chain (or the install's)."""
    append_many(session, [record])


def append_many(session: Session, records: Sequence[AuditRecord]) -> None:
    """Append records in order; records of several chains may be mixed."""
    by_chain: dict[int, list[AuditRecord]] = {}
    for record in records:
        chain = INSTALL_CHAIN if record.org_id is None else record.org_id
        by_chain.setdefault(chain, []).append(record)
    for chain in sorted(by_chain):  # a fixed lock order: no deadlock between chains
        _append_chain(session, chain, by_chain[chain])


def _append_chain(session: Session, chain: int, records: list[AuditRecord]) -> None:
    seq, prev = _lock_head(session, chain)
    rows = []
    for record in records:
        seq += 1
        detail = canonical_detail(record.detail)
        digest = entry_hash(
            prev,
            chain=chain,
            seq=seq,
            at=record.at,
            actor=record.actor,
            action=record.action,
            org_id=record.org_id,
            subject_id=record.subject_id,
            target=record.target,
            detail=detail,
        )
        rows.append(
            {
                "chain": chain,
                "seq": seq,
                "at": record.at,
                "actor": record.actor,
                "action": record.action,
                "org_id": record.org_id,
                "subject_id": record.subject_id,
                "target": record.target,
                "detail": detail,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    session.execute(insert(AuditEntry), rows)
    session.execute(update(AuditHead).where(AuditHead.chain == chain).values(seq=seq, hash=prev))


def _lock_head(session: Session, chain: int) -> tuple[int, str]:
    query = select(AuditHead.seq, AuditHead.hash).where(AuditHead.chain == chain).with_for_update()
    row = session.execute(query).one_or_none()
    if row is None:
        _create_head(session, chain)
        row = session.execute(query).one()
    return int(row.seq), str(row.hash)


def _create_head(session: Session, chain: int) -> None:
    values = {"chain": chain, "seq": 0, "hash": GENESIS}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(AuditHead).values(values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(AuditHead).values(values).on_conflict_do_nothing())
