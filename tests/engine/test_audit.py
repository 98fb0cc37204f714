"""The audit chain on SQLite and PostgreSQL: appends, concurrent appends, and verify finding
every kind of hand edit (raw SQL on the real database, as an intruder would do it)."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Connection, delete, insert, select, text, update

from privaat.engine import audit_verify
from privaat.engine.audit import (
    GENESIS,
    AuditRecord,
    Sealer,
    append,
    append_many,
    canonical_detail,
    entry_hash,
    pending_count,
    seal,
)
from privaat.engine.audit_verify import BATCH, ChainReport, ProblemKind, verify
from privaat.errors import InvalidInput
from privaat.store.db import Store
from privaat.store.models import AuditEntry, AuditHead

START = dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)
CHAIN = 7  # an organisation's chain (organisation id 7)
N = 12  # entries in it
SECRET = "alice@example.com"  # personal data in a detail: never in a report


def record(n: int, org_id: int | None = CHAIN) -> AuditRecord:
    """Entries that differ in every field, NULLs and empty values included."""
    return AuditRecord(
        actor=f"token:{n % 3 + 1}" if n % 2 else "staff:1",
        action="subject.read" if n % 3 else "consent.given",
        at=START + dt.timedelta(seconds=n, microseconds=0 if n % 4 else 123_456),
        org_id=org_id,
        subject_id=None if n % 5 == 0 else n * 10,
        target=None if n % 3 == 0 else ("" if n == 4 else f"subject:{n * 10}"),
        detail={} if n % 6 == 0 else {"fields": ["email"], "to": SECRET, "n": n, "ü": "😀"},
    )


def fill(store: Store, n: int = N, org_id: int | None = CHAIN) -> None:
    with store.transaction() as session:
        for i in range(1, n + 1):
            append(session, record(i, org_id))


def chain_report(store: Store, batch_size: int = BATCH) -> ChainReport:
    report = verify(store.engine, batch_size=batch_size)
    assert report.chain(0).intact  # the install's chain is never touched here
    return report.chain(CHAIN)


def row_hash(conn: Connection, seq: int) -> str:
    return str(
        conn.execute(
            select(AuditEntry.hash).where(AuditEntry.chain == CHAIN, AuditEntry.seq == seq)
        ).scalar_one()
    )


def forged_hash(prev: str, seq: int, actor: str = "staff:666") -> str:
    return entry_hash(
        prev,
        chain=CHAIN,
        seq=seq,
        at=START,
        actor=actor,
        action="subject.read",
        org_id=CHAIN,
        subject_id=None,
        target=None,
        detail="{}",
    )


def forge(conn: Connection, seq: int, prev: str) -> None:
    conn.execute(
        insert(AuditEntry).values(
            chain=CHAIN,
            seq=seq,
            at=START,
            actor="staff:666",
            action="subject.read",
            org_id=CHAIN,
            subject_id=None,
            target=None,
            detail="{}",
            prev_hash=prev,
            hash=forged_hash(prev, seq),
        )
    )


def renumber(conn: Connection, from_seq: int, by: int) -> None:
    """seq += by for every entry from ``from_seq`` on (in two steps: seq is unique)."""
    sql = "UPDATE audit_entry SET seq = {} WHERE chain = :c AND {}"
    conn.execute(text(sql.format("-seq", "seq >= :s")), {"c": CHAIN, "s": from_seq})
    conn.execute(text(sql.format("-seq + :by", "seq < 0")), {"c": CHAIN, "by": by})


def sql(statement: str, **params: object) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        conn.execute(text(statement), {"c": CHAIN, **params})

    return run


def swap(a: int, b: int) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        for old, new in ((a, -1), (b, a), (-1, b)):
            conn.execute(
                text("UPDATE audit_entry SET seq = :new WHERE chain = :c AND seq = :old"),
                {"c": CHAIN, "old": old, "new": new},
            )

    return run


def set_time(conn: Connection) -> None:
    conn.execute(
        update(AuditEntry)
        .where(AuditEntry.chain == CHAIN, AuditEntry.seq == 5)
        .values(at=START - dt.timedelta(days=1))
    )


def removed_and_renumbered(conn: Connection) -> None:
    sql("DELETE FROM audit_entry WHERE chain = :c AND seq = 5")(conn)
    renumber(conn, 6, -1)
    conn.execute(update(AuditHead).where(AuditHead.chain == CHAIN).values(seq=N - 1))


def forged_in_the_middle(conn: Connection) -> None:
    renumber(conn, 5, 1)
    forge(conn, 5, row_hash(conn, 4))


def forged_at_the_end(conn: Connection) -> None:
    forge(conn, N + 1, row_hash(conn, N))


def rewritten_with_a_new_hash(conn: Connection) -> None:
    row = conn.execute(
        select(AuditEntry).where(AuditEntry.chain == CHAIN, AuditEntry.seq == 5)
    ).one()
    digest = entry_hash(
        row.prev_hash,
        chain=CHAIN,
        seq=5,
        at=row.at,
        actor="staff:666",
        action=row.action,
        org_id=row.org_id,
        subject_id=row.subject_id,
        target=row.target,
        detail=row.detail,
    )
    conn.execute(
        update(AuditEntry)
        .where(AuditEntry.chain == CHAIN, AuditEntry.seq == 5)
        .values(actor="staff:666", hash=digest)
    )


def head_moved_back(conn: Connection) -> None:
    conn.execute(
        update(AuditHead).where(AuditHead.chain == CHAIN).values(seq=10, hash=row_hash(conn, 10))
    )


FAKE = "f" * 64
CHANGED, MISSING = ProblemKind.CHANGED, ProblemKind.MISSING
REORDERED, INSERTED, HEAD = ProblemKind.REORDERED, ProblemKind.INSERTED, ProblemKind.HEAD_MISMATCH

TAMPERING: list[tuple[str, Callable[[Connection], None], int, ProblemKind]] = [
    ("actor", sql("UPDATE audit_entry SET actor = 'staff:9' WHERE chain = :c AND seq = 5"), 5, CHANGED),
    ("detail", sql("UPDATE audit_entry SET detail = '{}' WHERE chain = :c AND seq = 5"), 5, CHANGED),
    ("time", set_time, 5, CHANGED),
    ("subject", sql("UPDATE audit_entry SET subject_id = 1 WHERE chain = :c AND seq = 5"), 5, CHANGED),
    ("null-target-to-empty", sql("UPDATE audit_entry SET target = '' WHERE chain = :c AND seq = 3"), 3, CHANGED),
    ("empty-target-to-null", sql("UPDATE audit_entry SET target = NULL WHERE chain = :c AND seq = 4"), 4, CHANGED),
    ("own-hash", sql("UPDATE audit_entry SET hash = :h WHERE chain = :c AND seq = 5", h=FAKE), 5, CHANGED),
    ("prev-hash", sql("UPDATE audit_entry SET prev_hash = :h WHERE chain = :c AND seq = 5", h=FAKE), 5, CHANGED),
    ("rewritten-with-new-hash", rewritten_with_a_new_hash, 5, CHANGED),
    ("middle-deleted", sql("DELETE FROM audit_entry WHERE chain = :c AND seq = 5"), 5, MISSING),
    ("three-deleted", sql("DELETE FROM audit_entry WHERE chain = :c AND seq BETWEEN 5 AND 7"), 5, MISSING),
    ("first-deleted", sql("DELETE FROM audit_entry WHERE chain = :c AND seq = 1"), 1, MISSING),
    ("last-deleted", sql("DELETE FROM audit_entry WHERE chain = :c AND seq = :n", n=N), N, MISSING),
    ("all-deleted", sql("DELETE FROM audit_entry WHERE chain = :c"), 1, MISSING),
    ("moved-to-another-chain", sql("UPDATE audit_entry SET chain = 99 WHERE chain = :c AND seq = 5"), 5, MISSING),
    ("deleted-and-renumbered", removed_and_renumbered, 5, MISSING),
    ("swapped-neighbours", swap(5, 6), 5, REORDERED),
    ("swapped-far-apart", swap(3, 9), 3, REORDERED),
    ("moved-to-the-end", sql("UPDATE audit_entry SET seq = :n WHERE chain = :c AND seq = 5", n=N + 1), 5, REORDERED),
    ("forged-in-the-middle", forged_in_the_middle, 5, INSERTED),
    ("forged-at-the-end", forged_at_the_end, N + 1, INSERTED),
    ("head-moved-back", head_moved_back, 11, INSERTED),
    ("head-hash", sql("UPDATE audit_head SET hash = :h WHERE chain = :c", h=FAKE), N, HEAD),
    ("head-deleted", sql("DELETE FROM audit_head WHERE chain = :c"), N, HEAD),
]  # fmt: skip


def test_an_untouched_chain_verifies(store: Store) -> None:
    fill(store, 3, org_id=None)
    fill(store)
    report = verify(store.engine)
    assert report.intact
    assert [(c.chain, c.entries, c.verified) for c in report.chains] == [(0, 3, 3), (CHAIN, N, N)]
    assert report.entries == N + 3
    ours = report.chain(CHAIN)
    assert ours.head_seq == N
    with store.reading() as session:
        last = session.execute(select(AuditHead.hash).where(AuditHead.chain == CHAIN)).scalar()
    assert ours.head_hash == last


@pytest.mark.parametrize("batch_size", [4, BATCH], ids=["batches-of-4", "batches-default"])
@pytest.mark.parametrize(
    ("edit", "seq", "kind"), [t[1:] for t in TAMPERING], ids=[t[0] for t in TAMPERING]
)
def test_verify_names_the_first_edited_entry(
    store: Store,
    edit: Callable[[Connection], None],
    seq: int,
    kind: ProblemKind,
    batch_size: int,
) -> None:
    fill(store, 3, org_id=None)
    fill(store)
    assert chain_report(store, batch_size).intact
    with store.engine.begin() as conn:
        edit(conn)
    report = chain_report(store, batch_size)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (seq, kind), report.problem.message
    assert report.verified >= seq - 1  # everything before the problem was checked
    for personal in (SECRET, "staff:", "token:", "subject:"):
        assert personal not in report.problem.message


def test_the_hash_definition_is_fixed() -> None:
    """A known answer: changing how entries are hashed breaks every stored chain."""
    at = dt.datetime(2026, 11, 21, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    material = "\x1f".join(
        [
            *(GENESIS, "1", "1", "2026-11-21 10:00:00.000000", "staff:1", "subject.read"),
            *("+1", "+42", "", '{"fields":["email"]}'),
        ]
    )
    expected = hashlib.sha256(material.encode()).hexdigest()
    assert expected == "4af57c8bd4feec67605fb5d412032b194de85d76edefba8c9344193efc8dcfeb"
    got = entry_hash(
        GENESIS,
        chain=1,
        seq=1,
        at=at,
        actor="staff:1",
        action="subject.read",
        org_id=1,
        subject_id=42,
        target=None,
        detail=canonical_detail({"fields": ["email"]}),
    )
    assert got == expected


def test_stored_entries_hash_as_defined(store: Store) -> None:
    """What the database gives back hashes to what was stored: Python's definition and the
    material the database builds for verify agree on NULLs, empty text, time zones, Unicode."""
    with store.transaction() as session:
        append_many(session, [record(i) for i in range(1, N + 1)])
        paris = dt.timezone(dt.timedelta(hours=2))
        append(session, AuditRecord("cli", "x.y", dt.datetime(2026, 7, 1, 12, tzinfo=paris), CHAIN))
    with store.reading() as session:
        rows = session.execute(
            select(AuditEntry).where(AuditEntry.chain == CHAIN).order_by(AuditEntry.seq)
        ).scalars()
        prev = GENESIS
        for row in rows:
            assert row.prev_hash == prev
            assert row.hash == entry_hash(
                prev,
                chain=CHAIN,
                seq=row.seq,
                at=row.at,
                actor=row.actor,
                action=row.action,
                org_id=row.org_id,
                subject_id=row.subject_id,
                target=row.target,
                detail=row.detail,
            )
            prev = row.hash
    assert verify(store.engine).intact


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"actor": "staff:1\n"}, "actor"),
        ({"action": ""}, "action"),
        ({"target": "subject:1\x1f2"}, "target"),
        ({"detail": {"x": "\ud800"}}, "not valid text"),
    ],
    ids=["newline-in-actor", "empty-action", "separator-in-target", "lone-surrogate"],
)
def test_appends_refuse_what_would_make_the_hash_ambiguous(
    store: Store, changes: dict[str, Any], message: str
) -> None:
    bad = replace(AuditRecord("cli", "x.y", START, CHAIN), **changes)
    with pytest.raises(InvalidInput, match=message), store.transaction() as session:
        append(session, bad)
    assert verify(store.engine).entries == 0


def test_a_naive_time_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"), store.transaction() as session:
        append(session, AuditRecord("cli", "x.y", dt.datetime(2026, 1, 1), CHAIN))


def test_a_batch_goes_to_each_records_chain(store: Store) -> None:
    mixed = [record(i, org_id=(None, CHAIN, 8)[i % 3]) for i in range(1, 61)]
    with store.transaction() as session:
        append_many(session, mixed)
    with store.transaction() as session:
        append_many(session, mixed[:40])  # a second batch continues each chain
    report = verify(store.engine)
    assert report.intact
    assert {c.chain: c.entries for c in report.chains} == {0: 33, CHAIN: 34, 8: 33}


@pytest.mark.parametrize("batch", [1, 5], ids=["single-appends", "batches-of-5"])
def test_concurrent_appends_never_fork_the_chain(store: Store, batch: int) -> None:
    """Writers in parallel threads, each in its own transaction, on a chain that does not
    exist yet (so they also race to create its head): one chain, numbered 1..N."""
    writers, rounds = 6, 10
    barrier = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            barrier.wait()
            for n in range(rounds):
                with store.transaction() as session:
                    append_many(session, [record(worker * 1000 + n * 10 + i) for i in range(batch)])
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    total = writers * rounds * batch
    with store.transaction() as session:  # a writer's seal skips a busy chain;
        seal(session)  # the next seal (here, as verify's caller does) takes the rest
    report = verify(store.engine)
    assert report.intact, report
    assert report.chain(CHAIN).entries == total
    with store.reading() as session:
        seqs = session.execute(
            select(AuditEntry.seq).where(AuditEntry.chain == CHAIN).order_by(AuditEntry.seq)
        ).scalars()
        assert list(seqs) == list(range(1, total + 1))


def test_verify_sees_a_snapshot_while_appends_go_on(store: Store) -> None:
    fill(store)
    stop = threading.Event()
    failures: list[BaseException] = []

    def write() -> None:
        try:
            n = 0
            while not stop.is_set():
                with store.transaction() as session:
                    append_many(session, [record(n + i) for i in range(3)])
                n += 3
        except BaseException as exc:
            failures.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        reports = [verify(store.engine, batch_size=2) for _ in range(5)]
    finally:
        stop.set()
        writer.join()
    assert failures == []
    assert all(r.intact for r in reports), [r.chains for r in reports if not r.intact]
    assert verify(store.engine).intact


def test_verify_one_chain_on_a_connection_with_progress(store: Store) -> None:
    fill(store, 3, org_id=None)
    fill(store)
    seen: list[tuple[int, int]] = []
    with store.engine.connect() as conn:
        report = verify(
            conn, CHAIN, progress=lambda done, total: seen.append((done, total)), batch_size=5
        )
    assert [c.chain for c in report.chains] == [CHAIN]
    assert seen == [(5, N), (10, N), (N, N)]
    empty = verify(store.engine, 12345)
    assert empty.intact
    assert empty.chain(12345).entries == 0


def test_postgres_without_chunked_streaming_uses_a_server_side_cursor(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libpq before 17 cannot stream in chunks: the fallback finds the same problems."""
    monkeypatch.setattr(audit_verify, "_libpq_streams_chunks", lambda: False)
    fill(store)
    assert verify(store.engine, batch_size=5).intact
    with store.engine.begin() as conn:
        conn.execute(delete(AuditEntry).where(AuditEntry.chain == CHAIN, AuditEntry.seq == 7))
    problem = verify(store.engine, CHAIN, batch_size=5).chain(CHAIN).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (7, MISSING)


def test_the_sealer_chains_every_writer_in_rounds(store: Store) -> None:
    """Writers hand their chain to the sealer after the commit; a writer alone answers
    sealed; what many writers asked for is sealed by the time the sealer stops; then
    writers seal their own chain again."""
    sealer = Sealer(store, every=5)  # on SQLite writers chain inside their transaction
    sealer.start()
    writers, rounds = 6, 10
    failures: list[BaseException] = []
    with store.transaction() as session:
        append(session, record(0))
    with store.reading() as session:  # alone, the writer waited for its round
        assert pending_count(session) == 0

    def write(worker: int) -> None:
        try:
            for n in range(rounds):
                with store.transaction() as session:
                    append(session, record(worker * 1000 + n))
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sealer.stop()
    assert failures == []
    with store.reading() as session:  # stopping ran the rounds asked for
        assert pending_count(session) == 0
    report = verify(store.engine)
    assert report.intact, report
    assert report.chain(CHAIN).entries == 1 + writers * rounds
    with store.transaction() as session:
        append(session, record(1))  # no sealer: the writer seals after its commit
    with store.reading() as session:
        assert pending_count(session) == 0
