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
records. In the server a :class:`Sealer` thread does that sealing for all of a process's
writers, one round at a time (see there). ``privaat audit verify`` seals what is left
first, and reports it if it cannot.

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
import logging
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from privaat.errors import InvalidInput
from privaat.store.db import Store, on_commit, postgresql_sql, psycopg_connection
from privaat.store.models import AuditEntry, AuditHead, AuditPending, table

log = logging.getLogger("privaat.audit")

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


def append_many(
    session: Session, records: Sequence[AuditRecord], *, chain: bool | None = None
) -> None:
    """Record many things, in order, in the caller's transaction.

    A few records (a request's) go to the pending inbox without any lock and are chained
    after the commit. A batch of ``CHAIN_NOW_FROM`` or more (an import, a sweep) is chained
    at once: its transaction takes the chain's head lock until it commits, which a bulk
    writer can afford and which saves moving every record twice. ``chain`` decides instead
    of the count: True chains at once (a group of consent writes, which should not cost the
    sealer a round of its own), False goes to the inbox.
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
    if chain if chain is not None else len(records) >= CHAIN_NOW_FROM:
        for chain_id in sorted(by_chain):  # a fixed lock order: no deadlock between chains
            # what is pending goes first, this transaction's too
            head = _seal_chain(session, chain_id)[1]
            assert head is not None
            _chain_rows(session, chain_id, *head, by_chain[chain_id], move_head=True)
        return
    rows = [(chain, *row) for chain, chain_rows in by_chain.items() for row in chain_rows]
    _insert(session, rows, AuditPending, _PENDING_COLUMNS, _COPY_PENDING)
    session.info.setdefault(PENDING_CHAINS, set()).update(by_chain)
    # SQLite serialises writers anyway: chain before the commit. Elsewhere, after it.
    sqlite = session.get_bind().dialect.name == "sqlite"
    on_commit(session, "audit seal", _seal_appended, after=not sqlite)


def _chain_rows(
    session: Session,
    chain: int,
    seq: int,
    prev: str,
    rows: Sequence[tuple[Any, ...]],
    *,
    move_head: bool = False,
) -> tuple[int, str]:
    """Hash ``rows`` (at, actor, action, org_id, subject_id, target, detail) onto the chain
    after (seq, prev), insert them, and return the new end of the chain; with ``move_head``
    the head moves there too (on PostgreSQL in the same statement)."""
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
    driver = psycopg_connection(session) if move_head and len(entries) < _COPY_FROM else None
    if driver is not None:
        arrays = [list(column) for column in zip(*entries, strict=True)]
        moved = {"seq": seq, "hash": prev, "chain": chain}
        driver.execute(_MOVE_AND_INSERT, [*moved.values(), *arrays])
        return seq, prev
    _insert(session, entries, AuditEntry, _COLUMNS, _COPY)
    if move_head:
        _move_head(session, chain, seq, prev)
    return seq, prev


def _move_head(session: Session, chain: int, seq: int, prev: str) -> None:
    session.connection().execute(_MOVE_HEAD, {"chain_id": chain, "new_seq": seq, "new_hash": prev})


def _seal_appended(session: Session) -> None:
    chains: set[int] = session.info.pop(PENDING_CHAINS, set())
    sealer = session.info.get(SEALER)
    if isinstance(sealer, Sealer) and sealer.seal_committed(chains):
        return
    # Skip a chain another session is sealing: waiting for it would make writers queue
    # again. What that seal missed is taken by the next one (a later writer's, the server's
    # periodic sealer, or ``privaat audit verify``).
    _commit_without_flush(session)
    seal(session, chains, wait=False)


def _commit_without_flush(session: Session) -> None:
    """Let this transaction (a seal of its own) commit without waiting for the disk.

    A seal only moves records that are durable already, in ``audit_pending``: a crash can
    lose a whole seal, never half of one (one transaction), and the records are then still
    pending and sealed again. A later commit that waits for the disk makes it durable too
    (the log is written in order). A writer that waits for its seal waits for one flush,
    its own, instead of two.
    PostgreSQL only; SQLite seals inside the writer's transaction.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_NO_FLUSH)


_NO_FLUSH = text("SET LOCAL synchronous_commit = off")


def seal(session: Session, chains: Iterable[int] | None = None, *, wait: bool = True) -> int:
    """Chain every pending record of ``chains`` (default: all), oldest first; the count.

    Locks each chain's head for the rest of the caller's transaction, in chain order. With
    ``wait=False`` a chain whose head another transaction holds is skipped.
    """
    if chains is None:
        chains = session.execute(select(AuditPending.chain).distinct()).scalars().all()
    sealed = 0
    for chain in sorted(set(chains)):
        sealed += _seal_chain(session, chain, wait=wait)[0]
    return sealed


_HEAD = table(AuditHead)
_PENDING = table(AuditPending)

# Built once: the seal runs these for every round, and building them anew (and the ORM's
# bulk update and delete) cost more than the database work.
_HEAD_ROW = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.chain == bindparam("chain"))
_LOCK_HEAD = _HEAD_ROW.with_for_update()
_TRY_LOCK_HEAD = _HEAD_ROW.with_for_update(skip_locked=True)
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.chain == bindparam("chain_id"))
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)
# Reads and removes the oldest pending records of a chain in one statement. It sees what
# committed before it began: a record that commits while the seal runs stays pending for the
# next seal (taking them by id range instead could take it in the wrong place).
_TAKE_PENDING = (
    delete(_PENDING)
    .where(
        _PENDING.c.id.in_(
            select(_PENDING.c.id)
            .where(_PENDING.c.chain == bindparam("chain"))
            .order_by(_PENDING.c.id)
            .limit(bindparam("limit"))
        )
    )
    .returning(
        _PENDING.c.id,
        _PENDING.c.at,
        _PENDING.c.actor,
        _PENDING.c.action,
        _PENDING.c.org_id,
        _PENDING.c.subject_id,
        _PENDING.c.target,
        _PENDING.c.detail,
    )
)
_LOCK_HEAD_PG = postgresql_sql(_LOCK_HEAD)
_TAKE_PENDING_PG = postgresql_sql(_TAKE_PENDING)
_SEAL_BATCH = 5_000


def _seal_chain(
    session: Session, chain: int, *, wait: bool = True
) -> tuple[int, tuple[int, str] | None]:
    """Chain what is pending on ``chain``: how many, and the head after them (None when
    another session holds the head and ``wait`` is false)."""
    head = _lock_head(session, chain, wait=wait)  # first: then every earlier commit is visible
    if head is None:
        return 0, None
    seq, prev = head
    conn = session.connection()
    driver = psycopg_connection(session)  # every group of consent writes looks: see _lock_head
    total = 0
    while True:
        params = {"chain": chain, "limit": _SEAL_BATCH}
        if driver is not None:
            rows: Iterable[Sequence[Any]] = driver.execute(_TAKE_PENDING_PG, params).fetchall()
        else:
            rows = conn.execute(_TAKE_PENDING, params)
        taken = sorted(rows, key=lambda p: int(p[0]))  # RETURNING gives no order: chain by id
        if not taken:
            break
        seq, prev = _chain_rows(session, chain, seq, prev, [tuple(p[1:]) for p in taken])
        total += len(taken)
        if len(taken) < _SEAL_BATCH:
            break
    if total:
        _move_head(session, chain, seq, prev)
    return total, (seq, prev)


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
_COPY_FROM = 1_000  # rows; fewer go in one INSERT of arrays (COPY costs one more round trip)


def _insert(
    session: Session,
    rows: list[tuple[Any, ...]],
    table: type[AuditEntry] | type[AuditPending],
    columns: tuple[str, ...],
    copy_sql: str,
) -> None:
    """The rows in one statement: through psycopg on PostgreSQL (COPY for a batch), else an
    executemany."""
    driver = psycopg_connection(session)
    if driver is None:
        values = [dict(zip(columns, row, strict=True)) for row in rows]
        session.connection().execute(insert(table), values)
    elif len(rows) >= _COPY_FROM:
        # about three times the rows per second of psycopg's executemany
        with driver.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
    elif len(rows) == 1:
        # a request's record: SQLAlchemy's work per statement would cost more than the insert
        driver.execute(_insert_sql(table.__tablename__, columns), rows[0])
    else:
        # a group's or a seal's records: one statement of arrays (an executemany sends, and
        # the client pays a system call for, every row)
        arrays = [list(column) for column in zip(*rows, strict=True)]
        driver.execute(_insert_arrays_sql(table.__tablename__, columns), arrays)


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    marks = ", ".join(["%s"] * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"


_ARRAY_TYPES = {"chain": "bigint", "seq": "bigint", "org_id": "bigint", "subject_id": "bigint"}


def _insert_arrays_sql(table: str, columns: tuple[str, ...]) -> str:
    arrays = ", ".join(
        f"%b::{'timestamptz' if name == 'at' else _ARRAY_TYPES.get(name, 'text')}[]"
        for name in columns
    )
    return f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays})"


# The entries and the head they end at, in one statement (one round trip less per append).
_MOVE_AND_INSERT = (
    "WITH moved AS (UPDATE audit_head SET seq = %s, hash = %s WHERE chain = %s) "
    + _insert_arrays_sql("audit_entry", _COLUMNS)
)


def _check_labels(record: AuditRecord) -> None:
    for name, value in (("actor", record.actor), ("action", record.action)):
        if not value or _CONTROL.search(value):
            raise InvalidInput(f"an audit {name} must be non-empty text without control characters")
    if record.target is not None and _CONTROL.search(record.target):
        raise InvalidInput("an audit target cannot hold control characters")


def _lock_head(session: Session, chain: int, *, wait: bool = True) -> tuple[int, str] | None:
    params = {"chain": chain}
    # Straight through psycopg on PostgreSQL when the head exists: every group of consent
    # writes takes it, and SQLAlchemy's work per statement cost more than the lock.
    driver = psycopg_connection(session) if wait else None
    if driver is not None and (found := driver.execute(_LOCK_HEAD_PG, params).fetchone()):
        return int(found[0]), str(found[1])
    conn = session.connection()
    row = conn.execute(_LOCK_HEAD if wait else _TRY_LOCK_HEAD, params).one_or_none()
    if row is None:
        if not wait and conn.execute(_HEAD_ROW, params).first() is not None:
            return None  # another session holds it
        _create_head(session, chain)
        row = conn.execute(_LOCK_HEAD, params).one()
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


# --------------------------------------------------------------------------- the sealer

#: ``Store.session_info`` key of the process's running :class:`Sealer`.
SEALER = "privaat.audit.sealer"


class Sealer:
    """Seals the audit chains for all writers of a process, one round at a time.

    Sealing right after each commit costs every write a second transaction (seven
    statements, the head lock included). Here a writer that committed asks for the next
    round: one round seals what every writer committed before it began, as a database's
    group commit flushes many commits at once. A writer alone (no round running or asked
    for) waits for its round, at most ``every`` seconds, and so answers chained, as before.
    When writers are many it answers at once: the round after the running one takes its
    record a few milliseconds later (waiting for it made writers queue behind the sealer;
    the seal after commit skipped a busy chain too). A round skips a chain another process
    is sealing; every ``every`` seconds the thread also seals whatever is pending anywhere,
    so no record waits longer than that. Stopping runs the rounds still asked for. (A group
    of consent writes, ``consent.record_many``, chains its records in its own transaction.)

    Not for SQLite, where records are chained inside the writer's transaction.
    """

    def __init__(self, store: Store, every: float) -> None:
        self.store = store
        self.every = every
        # One lock, two conditions: an arriving writer wakes only the sealer, and the end of
        # a round wakes only the writers (one condition for both woke every waiting writer
        # at each arrival).
        lock = threading.Lock()
        self._asked_changed = threading.Condition(lock)
        self._round_ended = threading.Condition(lock)
        self._asked: set[int] = set()  # chains the next round seals
        self._begun = 0  # rounds begun
        self._ended = 0  # rounds ended
        self._for_writers = False  # whether the round running (if any) seals writers' chains
        self._running = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.store.dialect == "sqlite":
            return
        self._running = True
        self._thread = threading.Thread(target=self._run, name="audit-sealer", daemon=True)
        self._thread.start()
        self.store.session_info[SEALER] = self

    def stop(self) -> None:
        self.store.session_info.pop(SEALER, None)
        with self._asked_changed:
            self._running = False
            self._asked_changed.notify_all()
            self._round_ended.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def seal_committed(self, chains: set[int]) -> bool:
        """Have ``chains`` sealed by the next round (waiting for it if the sealer was idle);
        False if the sealer is not running.

        The next round begins after this call, so it sees the caller's committed records.
        """
        with self._asked_changed:
            if not self._running:
                return False
            busy = bool(self._asked) or (self._begun > self._ended and self._for_writers)
            self._asked.update(chains)
            target = self._begun + 1
            self._asked_changed.notify()
            if not busy:
                self._round_ended.wait_for(
                    lambda: self._ended >= target or not self._running, timeout=self.every
                )
        return True

    def _run(self) -> None:
        sweep_at = time.monotonic() + self.every
        while True:
            with self._asked_changed:
                self._asked_changed.wait_for(
                    lambda: self._asked or not self._running,
                    timeout=max(0.0, sweep_at - time.monotonic()),
                )
                if not self._running and not self._asked:
                    return
                chains, self._asked = self._asked, set()
                self._for_writers = bool(chains)
                self._begun += 1
                this_round = self._begun
            try:
                if chains:
                    self._seal(chains)
                if time.monotonic() >= sweep_at:
                    self._sweep()
                    sweep_at = time.monotonic() + self.every
            finally:
                with self._round_ended:
                    self._ended = this_round
                    self._round_ended.notify_all()

    def _seal(self, chains: set[int]) -> None:
        try:
            with self.store.transaction() as session:
                _commit_without_flush(session)
                seal(session, chains, wait=False)
        except Exception as exc:  # the records stay pending; the sweep takes them
            log.warning("audit seal failed: %s", type(exc).__name__)

    def _sweep(self) -> None:
        """Seal every chain's pending records, waiting for other seals' locks."""
        try:
            with self.store.reading() as session:
                if not pending_count(session):
                    return
            with self.store.transaction() as session:
                _commit_without_flush(session)
                seal(session)
        except Exception as exc:  # keep going; the records stay pending, nothing is lost
            log.warning("audit seal failed: %s", type(exc).__name__)


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
