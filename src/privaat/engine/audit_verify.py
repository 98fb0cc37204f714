"""Verify the audit chains: every entry's hash, every link, the numbering and each chain's head.

``verify`` streams each chain in ``seq`` order inside one read-only snapshot. The database
builds each entry's hash material (the same string :func:`privaat.engine.audit.entry_material`
defines, see that module) so that Python only fetches three values per entry and runs
SHA-256 over one string: a million entries verify in a few seconds on SQLite and PostgreSQL,
in memory that does not grow with the chain.

At the first entry that is wrong the chain is broken: the report says where (a ``seq``) and
how, told apart by what still links to what:

- ``changed``: the entry no longer matches its own hash (a field was edited), or it was
  rewritten with a new hash and the next entry still links to the original;
- ``missing``: entries were removed: a gap in the numbering, a link to an entry that is not
  there any more, or a head that says the chain is longer than it is;
- ``reordered``: an entry links to one that now comes after it (entries moved or swapped);
- ``inserted``: an entry that was not in the chain (the next one links past it), or entries
  after the head that the head does not know;
- ``head mismatch``: the chain's head row does not match its last entry.

Reports hold sequence numbers and hashes only, never an entry's content. What a hash chain
cannot show on its own is a tail cut off *and* the head rewritten to match: keep the head
hash that ``privaat audit verify --format json`` prints somewhere else to catch that too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import islice
from typing import Any, cast

from sqlalchemy import Connection, Engine, func, select

from privaat.engine.audit import GENESIS, SEP
from privaat.store.models import AuditEntry, AuditHead

#: Rows fetched per round trip (and between two progress calls).
BATCH = 5_000

#: How far a renumbered entry is searched for when telling a removal from an edit.
_RENUMBER_SEARCH = 1_000

_PG_MATERIAL = (
    "concat(prev_hash, chr(31), chain, chr(31), seq, chr(31), "
    "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), chr(31), actor, chr(31), "
    "action, chr(31), '+' || org_id, chr(31), '+' || subject_id, chr(31), '+' || target, "
    "chr(31), detail)"
)
# SQLite stores ``at`` as UTC text in exactly the hashed form; printf renders NULL as ''.
_SQLITE_MATERIAL = (
    f"printf('{SEP.join(['%s'] * 10)}', prev_hash, chain, seq, at, actor, action, "
    "'+' || org_id, '+' || subject_id, '+' || target, detail)"
)
_CHAIN_QUERY = "SELECT seq, hash, {material} FROM audit_entry WHERE chain = {param} ORDER BY seq"

Progress = Callable[[int, int], None]


class ProblemKind(StrEnum):
    CHANGED = "changed"
    MISSING = "missing"
    REORDERED = "reordered"
    INSERTED = "inserted"
    HEAD_MISMATCH = "head mismatch"


@dataclass(frozen=True, slots=True)
class Problem:
    """The first thing wrong with a chain: where, what kind, and one sentence."""

    seq: int
    kind: ProblemKind
    message: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    chain: int
    entries: int  # entries stored in the chain
    verified: int  # entries checked and found intact, from seq 1 up to the first problem
    head_seq: int | None
    head_hash: str | None
    problem: Problem | None

    @property
    def intact(self) -> bool:
        return self.problem is None


@dataclass(frozen=True, slots=True)
class VerifyReport:
    chains: tuple[ChainReport, ...]

    @property
    def intact(self) -> bool:
        return all(c.intact for c in self.chains)

    @property
    def entries(self) -> int:
        return sum(c.entries for c in self.chains)

    def chain(self, chain: int) -> ChainReport:
        return next(c for c in self.chains if c.chain == chain)


def verify(
    bind: Engine | Connection,
    chain: int | None = None,
    *,
    progress: Progress | None = None,
    batch_size: int = BATCH,
) -> VerifyReport:
    """Verify every chain (or one), in one snapshot; ``progress(done, total)`` per batch.

    With an engine, the check runs in a read-only REPEATABLE READ transaction of its own on
    PostgreSQL (SQLite's read transactions are snapshots already), so appends that happen
    meanwhile are neither seen nor mistaken for damage. A connection is used as it is.
    """
    if isinstance(bind, Connection):
        return _verify(bind, chain, progress, batch_size)
    options: dict[str, Any] = {}
    if bind.dialect.name == "postgresql":
        options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    with bind.connect().execution_options(**options) as conn, conn.begin():
        return _verify(conn, chain, progress, batch_size)


def _verify(
    conn: Connection, only: int | None, progress: Progress | None, batch_size: int
) -> VerifyReport:
    query = select(AuditHead.chain, AuditHead.seq, AuditHead.hash)
    if only is not None:
        query = query.where(AuditHead.chain == only)
    heads = {int(c): (int(s), str(h)) for c, s, h in conn.execute(query)}
    chains = {only} if only is not None else set(heads) | set(_entry_chains(conn))
    total = sum(seq for seq, _hash in heads.values())
    done = 0

    def tick(rows: int) -> None:
        nonlocal done
        done += rows
        if progress is not None:
            progress(done, max(total, done))

    reports = [
        _verify_chain(conn, c, heads.get(c), batch_size, tick)
        for c in sorted(chains)  # chains of the install first, then by organisation
    ]
    return VerifyReport(tuple(reports))


def _entry_chains(conn: Connection) -> Iterator[int]:
    """The chains that have entries: one index seek each, not a scan of every entry."""
    after: int | None = None
    while True:
        query = select(func.min(AuditEntry.chain))
        if after is not None:
            query = query.where(AuditEntry.chain > after)
        found = conn.execute(query).scalar()
        if found is None:
            return
        after = int(found)
        yield after


@dataclass(frozen=True, slots=True)
class _Break:
    """The first row that failed, and what came before it."""

    expected: int  # the seq it should have had
    prev_hash: str  # the hash it should have linked to
    prev_material: str | None  # the material of the entry before it
    seq: Any  # what it has (an int unless the column was edited to something else)
    digest: str
    material: str

    @property
    def links_to(self) -> str:
        return self.material.split(SEP, 1)[0]


def _verify_chain(
    conn: Connection,
    chain: int,
    head: tuple[int, str] | None,
    batch_size: int,
    tick: Callable[[int], None],
) -> ChainReport:
    sha256 = hashlib.sha256
    expected = 1  # the seq of the next entry
    prev = GENESIS  # the hash of the last good entry
    link = GENESIS + SEP  # how the next entry's material must start
    prev_material: str | None = None
    broken: _Break | None = None
    wanted: str | None = None  # after a break: the hash the failing row links to...
    found_at: Any = None  # ...and where it turned up later, if it did
    read = 0
    for batch in _batches(conn, chain, batch_size):
        rest: Sequence[Any] = batch
        if broken is None:
            # The hot loop: one comparison of the seq, one of the link, one SHA-256.
            for seq, digest, material in batch:
                if (
                    seq != expected
                    or not material.startswith(link)
                    or sha256(material.encode()).hexdigest() != digest
                ):
                    broken = _Break(expected, prev, prev_material, seq, digest, material)
                    wanted = broken.links_to
                    rest = batch[expected - read :]  # the rows after the failing one
                    break
                prev = digest
                link = digest + SEP
                prev_material = material
                expected += 1
        if broken is not None and found_at is None:
            for seq, digest, _material in rest:
                if digest == wanted:
                    found_at = seq
                    break
        read += len(batch)
        tick(len(batch))
    verified = expected - 1
    if broken is not None:
        problem: Problem | None = _diagnose(broken, found_at)
    else:
        problem = _check_head(conn, chain, head, verified, prev)
    return ChainReport(
        chain=chain,
        entries=read,
        verified=verified,
        head_seq=head[0] if head else None,
        head_hash=head[1] if head else None,
        problem=problem,
    )


def _batches(conn: Connection, chain: int, size: int) -> Iterator[Sequence[Any]]:
    """A chain's ``(seq, hash, material)`` rows in ``seq`` order, ``size`` at a time.

    Straight from the driver's cursor, inside the connection's transaction: SQLAlchemy's
    result rows would cost more than the hashing (a million entries are read here)."""
    if conn.dialect.name == "postgresql":
        yield from _pg_batches(conn, chain, size)
        return
    query = _CHAIN_QUERY.format(material=_SQLITE_MATERIAL, param="?")
    cursor = conn.connection.cursor()
    try:
        cursor.execute(query, (chain,))
        while batch := cursor.fetchmany(size):
            yield batch
    finally:
        cursor.close()


def _pg_batches(conn: Connection, chain: int, size: int) -> Iterator[Sequence[Any]]:
    """With libpq 17+ rows arrive in chunks while the server goes on producing them (about
    twice as fast as the round trips of a server-side cursor, the fallback)."""
    import psycopg

    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    query = _CHAIN_QUERY.format(material=_PG_MATERIAL, param="%s")
    if _libpq_streams_chunks():
        with driver.cursor() as cursor:
            rows = cast(Generator[Any, None, None], cursor.stream(query, (chain,), size=size))
            try:
                while batch := list(islice(rows, size)):
                    yield batch
            finally:
                rows.close()  # stopped early: psycopg cancels the query
        return
    with driver.cursor(name="privaat_audit_verify") as named:
        named.itersize = size
        named.execute(query, (chain,))
        while batch := named.fetchmany(size):
            yield batch


def _libpq_streams_chunks() -> bool:
    import psycopg

    return psycopg.pq.version() >= 170000


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _span(first: int, last: int) -> str:
    return f"entry {first}" if first == last else f"entries {first}-{last}"


def _diagnose(b: _Break, found_at: Any) -> Problem:
    """Tell apart what happened at the first failing row (see the module's docstring)."""
    e = b.expected
    if not isinstance(b.seq, int):
        return Problem(e, ProblemKind.CHANGED, f"the entry after {e - 1} has no valid number")
    if b.seq < e:
        return Problem(
            b.seq,
            ProblemKind.REORDERED,
            f"an entry numbered {b.seq} comes before entry {e}: entries were renumbered",
        )
    if b.seq > e:
        if found_at is not None:
            return Problem(
                e,
                ProblemKind.REORDERED,
                f"entry {e} is out of place: entry {b.seq} links to the entry now numbered "
                f"{found_at}",
            )
        after = f"entry {b.seq} follows entry {e - 1}"
        if e == 1:
            after = f"the chain starts at entry {b.seq}"
        return Problem(
            e,
            ProblemKind.MISSING,
            f"{_span(e, b.seq - 1)} {'is' if b.seq - 1 == e else 'are'} missing: {after}",
        )
    self_ok = hashlib.sha256(b.material.encode()).hexdigest() == b.digest
    if b.links_to == b.prev_hash:
        return Problem(
            e,
            ProblemKind.CHANGED,
            f"entry {e} does not match its hash: it was edited after it was written",
        )
    if b.prev_material is not None and b.links_to == b.prev_material.split(SEP, 1)[0]:
        return Problem(
            e - 1,
            ProblemKind.INSERTED,
            f"entry {e - 1} was inserted: entry {e} links past it to the entry before",
        )
    if found_at is not None:
        return Problem(
            e,
            ProblemKind.REORDERED,
            f"entry {e} is out of order: it links to the entry now numbered {found_at}",
        )
    if self_ok:
        return Problem(
            e - 1,
            ProblemKind.CHANGED,
            f"entry {e - 1} was rewritten with a new hash: entry {e} still links to the original",
        )
    was = _original_seq(b.material, b.digest, e)
    if was is not None and was > e:
        return Problem(
            e,
            ProblemKind.MISSING,
            f"{_plural(was - e, 'entry was', 'entries were')} removed before entry {e} and the "
            f"later ones renumbered (entry {e} was entry {was})",
        )
    if was is not None:
        return Problem(
            was,
            ProblemKind.INSERTED,
            f"{_plural(e - was, 'entry was', 'entries were')} inserted before entry {e} "
            f"(it was entry {was})",
        )
    return Problem(
        e,
        ProblemKind.CHANGED,
        f"entry {e} does not match its hash and does not link to entry {e - 1}: it was edited",
    )


def _original_seq(material: str, digest: str, seq: int) -> int | None:
    """The seq an entry had when it was hashed, if it was renumbered by a little."""
    parts = material.split(SEP)
    if len(parts) != 10:
        return None
    for distance in range(1, _RENUMBER_SEARCH + 1):
        for candidate in (seq + distance, seq - distance):
            if candidate < 1:
                continue
            parts[2] = str(candidate)
            if hashlib.sha256(SEP.join(parts).encode()).hexdigest() == digest:
                return candidate
    return None


def _check_head(
    conn: Connection, chain: int, head: tuple[int, str] | None, last: int, last_hash: str
) -> Problem | None:
    """Every entry is intact: does the head agree on where the chain ends?"""
    if head is None:
        if last == 0:
            return None
        return Problem(last, ProblemKind.HEAD_MISMATCH, f"the chain has {last} entries but no head")
    head_seq, head_hash = head
    if head_seq == last:
        if head_hash == last_hash:
            return None
        return Problem(
            last, ProblemKind.HEAD_MISMATCH, f"the head does not match entry {last}, the last one"
        )
    if head_seq > last:
        if last == 0:
            return Problem(
                1,
                ProblemKind.MISSING,
                f"{_span(1, head_seq)} {'is' if head_seq == 1 else 'are'} missing: "
                f"the chain is empty but its head says it has {head_seq}",
            )
        return Problem(
            last + 1,
            ProblemKind.MISSING,
            f"{_span(last + 1, head_seq)} at the end {'is' if head_seq == last + 1 else 'are'} "
            f"missing: the head says the chain ends at {head_seq}",
        )
    at_head = GENESIS
    if head_seq > 0:
        at_head = conn.execute(
            select(AuditEntry.hash).where(AuditEntry.chain == chain, AuditEntry.seq == head_seq)
        ).scalar_one()
    if at_head == head_hash:
        return Problem(
            head_seq + 1,
            ProblemKind.INSERTED,
            f"{_span(head_seq + 1, last)} came after the head: added without moving it",
        )
    return Problem(
        head_seq,
        ProblemKind.HEAD_MISMATCH,
        f"the head says the chain ends at {head_seq}, but it goes on to {last}",
    )
