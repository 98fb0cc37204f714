"""The audit trail: append-only, hash-chained entries of who did what to whose data.

Each organisation has its own chain (chain id = organisation id); chain 0 records what
happens to the install itself (staff logins, organisations created). An entry's hash covers
its own fields and the previous entry's hash, so a changed, removed, inserted or reordered
entry breaks every hash after it.

Appending and chaining are two steps, so that writers never queue on a chain while they
work. :func:`append` inserts the record into ``audit_pending`` inside the writer's own
transaction: it is committed (or rolled back) with the change it records, and takes no lock.
:func:`seal` then moves pending records into their chain, in the order they committed: it
locks the chain's head row, hashes every pending record after the head, inserts them into
``audit_entry``, deletes them from ``audit_pending`` and moves the head, in one short
transaction. ``Store.transaction()`` runs it for the chains a transaction appended to, right
after the commit (on SQLite, where writers are serialised anyway, just before it); one seal
takes every record pending on the chain, so under load a few seals chain many writers'
records. ``privaat audit verify`` seals what is left first, and reports it if it cannot.

The hash of an entry is the hex SHA-256 of the UTF-8 bytes of its *material*: ten fields
joined by U+001F (the unit separator)::

    prev_hash ␟ chain ␟ seq ␟ at ␟ actor ␟ action ␟ org_id ␟ subject_id ␟ target ␟ detail

``at`` is UTC as ``YYYY-MM-DD HH:MM:SS.ffffff``; a missing ``org_id``, ``subject_id`` or
``target`` is the empty string and a present one is prefixed with ``+`` (so that a NULL and
an empty value differ); ``detail`` is canonical JSON. No field of an appended entry holds a
control character (JSON escapes them in ``detail``), so the material is unambiguous. The
definition is deliberately one flat string: :mod:`privaat.engine.audit_verify` has the
database build the same material while it streams, which is what makes verifying a million
entries take seconds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from privaat.errors import InvalidInput
from privaat.store.db import on_commit
from privaat.store.models import AuditEntry, AuditHead, AuditPending

GENESIS = "0" * 64
INSTALL_CHAIN = 0
SEP = "\x1f"

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_detail(detail: Mapping[str, object]) -> str:
    """``detail`` as canonical JSON: sorted keys, no spaces, UTF-8 as is."""
    return _CANONICAL.encode(detail) if detail else "{}"


def chain_of(org_id: int | None) -> int:
    """The chain an organisation's entries go to (the install's for ``None``)."""
    return INSTALL_CHAIN if org_id is None else org_id


def utc_stamp(at: dt.datetime) -> str:
    """``at`` as the audit chain hashes it: UTC, ``YYYY-MM-DD HH:MM:SS.ffffff``."""
    if at.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _optional(value: object) -> str:
    return "" if value is None else f"+{value}"


def entry_material(
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
    """What an entry's hash is taken over (see the module's docstring)."""
    stamp = utc_stamp(at)
    return _material(
        prev_hash, chain, seq, stamp, actor, action, org_id, subject_id, target, detail
    )


def _material(
    prev_hash: str,
    chain: int,
    seq: int,
    stamp: str,
    actor: str,
    action: str,
    org_id: int | None,
    subject_id: int | None,
    target: str | None,
    detail: str,
) -> str:
    return SEP.join(
        (
            prev_hash,
            str(chain),
            str(seq),
            stamp,
            actor,
            action,
            _optional(org_id),
            _optional(subject_id),
            _optional(target),
            detail,
        )
    )


def material_hash(material: str) -> str:
    return hashlib.sha256(material.encode()).hexdigest()


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
    return material_hash(
        entry_material(
            prev_hash,
            chain=chain,
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            org_id=org_id,
            subject_id=subject_id,
            target=target,
            detail=detail,
        )
    )


def append(session: Session, record: AuditRecord) -> None:
    """Record one thing that happened, in the caller's transaction (chained after commit)."""
    append_many(session, [record])


#: ``session.info`` key of the chains a transaction appended to (``Store`` seals them).
PENDING_CHAINS = "privaat.audit.pending_chains"

_PENDING_COLUMNS = ("chain", "at", "actor", "action", "org_id", "subject_id", "target", "detail")
_COPY_PENDING = f"COPY audit_pending ({', '.join(_PENDING_COLUMNS)}) FROM STDIN"


#: A batch this large is chained at once, in the caller's transaction (see append_many).
CHAIN_NOW_FROM = 16


def append_many(session: Session, records: Sequence[AuditRecord]) -> None:
    """Record many things, in order, in the caller's transaction.

    A few records (a request's) go to the pending inbox without any lock and are chained
    after the commit. A batch of ``CHAIN_NOW_FROM`` or more (an import, a sweep) is chained
    at once: its transaction takes the chain's head lock until it commits, which a bulk
    writer can afford and which saves moving every record twice.
    """
    if not records:
        return
    by_chain: dict[int, list[tuple[Any, ...]]] = {}
    for record in records:
        _check_labels(record)
        if record.at.tzinfo is None:
            raise ValueError("audit times must be timezone-aware")
        detail = canonical_detail(record.detail)
        try:
            detail.encode()
        except UnicodeEncodeError:  # a lone surrogate in the detail: not storable text
            raise InvalidInput(f"the audit detail of {record.action} is not valid text") from None
        by_chain.setdefault(chain_of(record.org_id), []).append(
            (
                record.at,
                record.actor,
                record.action,
                record.org_id,
                record.subject_id,
                record.target,
                detail,
            )
        )
    if len(records) >= CHAIN_NOW_FROM:
        for chain in sorted(by_chain):  # a fixed lock order: no deadlock between chains
            _seal_chain(session, chain)  # what is pending goes first, this transaction's too
            head = _lock_head(session, chain)
            assert head is not None
            seq, prev = _chain_rows(session, chain, *head, by_chain[chain])
            _move_head(session, chain, seq, prev)
        return
    rows = [(chain, *row) for chain, chain_rows in by_chain.items() for row in chain_rows]
    _insert(session, rows, AuditPending, _PENDING_COLUMNS, _COPY_PENDING)
    session.info.setdefault(PENDING_CHAINS, set()).update(by_chain)
    # SQLite serialises writers anyway: chain before the commit. Elsewhere, after it.
    sqlite = session.get_bind().dialect.name == "sqlite"
    on_commit(session, "audit seal", _seal_appended, after=not sqlite)


def _chain_rows(
    session: Session, chain: int, seq: int, prev: str, rows: Sequence[tuple[Any, ...]]
) -> tuple[int, str]:
    """Hash ``rows`` (at, actor, action, org_id, subject_id, target, detail) onto the chain
    after (seq, prev), insert them, and return the new end of the chain."""
    entries: list[tuple[Any, ...]] = []
    sha256 = hashlib.sha256
    last_at: dt.datetime | None = None
    stamp = ""
    for at, actor, action, org_id, subject_id, target, detail in rows:
        seq += 1
        if at != last_at:  # a burst usually shares one time: format it once
            stamp, last_at = utc_stamp(at), at
        material = _material(
            prev, chain, seq, stamp, actor, action, org_id, subject_id, target, detail
        )
        digest = sha256(material.encode()).hexdigest()
        entries.append(
            (chain, seq, at, actor, action, org_id, subject_id, target, detail, prev, digest)
        )
        prev = digest
    _insert(session, entries, AuditEntry, _COLUMNS, _COPY)
    return seq, prev


def _move_head(session: Session, chain: int, seq: int, prev: str) -> None:
    session.execute(update(AuditHead).where(AuditHead.chain == chain).values(seq=seq, hash=prev))


def _seal_appended(session: Session) -> None:
    # Skip a chain another session is sealing: waiting for it would make writers queue
    # again. What that seal missed is taken by the next one (a later writer's, the server's
    # periodic sealer, or ``privaat audit verify``).
    seal(session, session.info.pop(PENDING_CHAINS, ()), wait=False)


def seal(session: Session, chains: Iterable[int] | None = None, *, wait: bool = True) -> int:
    """Chain every pending record of ``chains`` (default: all), oldest first; the count.

    Locks each chain's head for the rest of the caller's transaction, in chain order. With
    ``wait=False`` a chain whose head another transaction holds is skipped.
    """
    if chains is None:
        chains = session.execute(select(AuditPending.chain).distinct()).scalars().all()
    sealed = 0
    for chain in sorted(set(chains)):
        sealed += _seal_chain(session, chain, wait=wait)
    return sealed


_PENDING_OF = (
    select(
        AuditPending.id,
        AuditPending.at,
        AuditPending.actor,
        AuditPending.action,
        AuditPending.org_id,
        AuditPending.subject_id,
        AuditPending.target,
        AuditPending.detail,
    )
    .where(AuditPending.chain == bindparam("chain"))
    .order_by(AuditPending.id)
    .limit(bindparam("limit"))
)
_SEAL_BATCH = 5_000


def _seal_chain(session: Session, chain: int, *, wait: bool = True) -> int:
    head = _lock_head(session, chain, wait=wait)  # first: then every earlier commit is visible
    if head is None:
        return 0
    seq, prev = head
    total = 0
    while True:
        pending = session.execute(_PENDING_OF, {"chain": chain, "limit": _SEAL_BATCH}).all()
        if not pending:
            break
        seq, prev = _chain_rows(session, chain, seq, prev, [tuple(p[1:]) for p in pending])
        # By id, never by range: a record that commits while this runs has a lower id than
        # the last one read here and must stay pending for the next seal.
        session.execute(delete(AuditPending).where(AuditPending.id.in_([p[0] for p in pending])))
        total += len(pending)
        if len(pending) < _SEAL_BATCH:
            break
    if total:
        _move_head(session, chain, seq, prev)
    return total


def pending_count(session: Session, chain: int | None = None) -> int:
    """How many records wait to be chained (in ``chain``, or in all)."""
    query = select(func.count()).select_from(AuditPending)
    if chain is not None:
        query = query.where(AuditPending.chain == chain)
    return int(session.execute(query).scalar_one())


_COLUMNS = (
    "chain",
    "seq",
    "at",
    "actor",
    "action",
    "org_id",
    "subject_id",
    "target",
    "detail",
    "prev_hash",
    "hash",
)
_COPY = f"COPY audit_entry ({', '.join(_COLUMNS)}) FROM STDIN"
_COPY_FROM = 16  # rows; fewer go in one INSERT (COPY costs one more round trip)


def _insert(
    session: Session,
    rows: list[tuple[Any, ...]],
    table: type[AuditEntry] | type[AuditPending],
    columns: tuple[str, ...],
    copy_sql: str,
) -> None:
    """The rows in one statement: COPY on PostgreSQL for a batch, else an executemany."""
    conn = session.connection()
    if conn.dialect.name == "postgresql" and len(rows) >= _COPY_FROM:
        import psycopg

        driver = conn.connection.driver_connection
        if isinstance(driver, psycopg.Connection):
            # about three times the rows per second of psycopg's executemany
            with driver.cursor() as cursor, cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
            return
    conn.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])


def _check_labels(record: AuditRecord) -> None:
    for name, value in (("actor", record.actor), ("action", record.action)):
        if not value or _CONTROL.search(value):
            raise InvalidInput(f"an audit {name} must be non-empty text without control characters")
    if record.target is not None and _CONTROL.search(record.target):
        raise InvalidInput("an audit target cannot hold control characters")


def _lock_head(session: Session, chain: int, *, wait: bool = True) -> tuple[int, str] | None:
    query = select(AuditHead.seq, AuditHead.hash).where(AuditHead.chain == chain)
    row = session.execute(query.with_for_update(skip_locked=not wait)).one_or_none()
    if row is None:
        if not wait and session.execute(query).first() is not None:
            return None  # another session holds it
        _create_head(session, chain)
        row = session.execute(query.with_for_update()).one()
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


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class AuditLine:
    """One stored entry, as the log shows it (``detail`` is the canonical JSON text)."""

    seq: int
    at: dt.datetime
    actor: str
    action: str
    subject_id: int | None
    target: str | None
    detail: str
    prev_hash: str
    hash: str

    def detail_object(self) -> dict[str, Any]:
        """The detail as a JSON object (text that is not one, edited by hand, comes back
        whole under ``"unparsed"``: verify reports the edit)."""
        try:
            value = json.loads(self.detail)
        except ValueError:
            value = None
        return value if isinstance(value, dict) else {"unparsed": self.detail}


_LINE_COLUMNS = (
    AuditEntry.seq,
    AuditEntry.at,
    AuditEntry.actor,
    AuditEntry.action,
    AuditEntry.subject_id,
    AuditEntry.target,
    AuditEntry.detail,
    AuditEntry.prev_hash,
    AuditEntry.hash,
)


def entries_after(session: Session, chain: int, after_seq: int, limit: int) -> list[AuditLine]:
    """Up to ``limit`` entries of a chain with ``seq > after_seq``, oldest first."""
    rows = session.execute(
        select(*_LINE_COLUMNS)
        .where(AuditEntry.chain == chain, AuditEntry.seq > after_seq)
        .order_by(AuditEntry.seq)
        .limit(limit)
    )
    return [AuditLine(*row) for row in rows]


def latest_entries(session: Session, chain: int, limit: int) -> list[AuditLine]:
    """The last ``limit`` entries of a chain, oldest first."""
    rows = session.execute(
        select(*_LINE_COLUMNS)
        .where(AuditEntry.chain == chain)
        .order_by(AuditEntry.seq.desc())
        .limit(limit)
    )
    return [AuditLine(*row) for row in reversed(rows.all())]
