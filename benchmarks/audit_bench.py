"""Benchmark the audit chain: appends per second and the time to verify a million entries.

    .venv/bin/python benchmarks/audit_bench.py [--postgres URL] [--entries 1000000]

Runs on SQLite (a file in a temporary directory) and on PostgreSQL (a database
``privaat_bench_audit`` created through the admin URL and dropped at the end; ``--no-postgres``
skips it). For each it migrates an empty store, then measures:

- batched appends: the chain is filled with ``--entries`` entries by ``append_many``, ``--batch``
  records per transaction, each with its own time, subject and detail;
- single appends: ``--single`` transactions of one ``append`` each (every commit is durable:
  SQLite ``synchronous=FULL``, PostgreSQL ``synchronous_commit=on``);
- verify: ``verify()`` over the whole store (``--runs`` times; the median counts).

Targets (PRODUCT.md): at least 20,000 appends/s; verify 1,000,000 entries in at most 5 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from privaat.engine.audit import AuditRecord, append, append_many
from privaat.engine.audit_verify import verify
from privaat.store.db import Store
from privaat.store.migrate import upgrade

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DATABASE = "privaat_bench_audit"
START = dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)
ACTIONS = ("subject.read", "consent.given", "consent.withdrawn", "request.received", "data.erased")
FIELDS = (["email"], ["email", "name"], ["name", "phone", "address"])


@dataclass(frozen=True)
class Result:
    backend: str
    version: str
    entries: int
    batched_per_s: float
    single_per_s: float
    verify_runs: tuple[float, ...]

    @property
    def verify_s(self) -> float:
        return statistics.median(self.verify_runs)


def records(first: int, count: int, org_id: int) -> list[AuditRecord]:
    """``count`` plausible records: a staff member or a token reading and changing data."""
    out = []
    for n in range(first, first + count):
        out.append(
            AuditRecord(
                actor=f"token:{n % 7 + 1}" if n % 3 else f"staff:{n % 5 + 1}",
                action=ACTIONS[n % len(ACTIONS)],
                at=START + dt.timedelta(milliseconds=n),
                org_id=org_id,
                subject_id=n % 100_000 + 1,
                target=f"subject:{n % 100_000 + 1}",
                detail={"fields": FIELDS[n % len(FIELDS)], "purpose": "service", "n": n},
            )
        )
    return out


def fill(store: Store, entries: int, batch: int) -> float:
    """Append ``entries`` to chain 1 in transactions of ``batch``; appends per second."""
    elapsed = 0.0
    done = 0
    width = 0
    while done < entries:
        todo = records(done, min(batch, entries - done), org_id=1)
        started = time.perf_counter()
        with store.transaction() as session:
            append_many(session, todo)
        elapsed += time.perf_counter() - started  # building the records is not appending
        done += len(todo)
        if done % (batch * 100) == 0 or done == entries:
            line = f"  filled {done:,}/{entries:,}"
            width = len(line)
            print(line, end="\r", file=sys.stderr, flush=True)
    print(" " * width, end="\r", file=sys.stderr)
    return entries / elapsed


def single(store: Store, count: int) -> float:
    """``count`` transactions of one append each (chain 2); appends per second."""
    todo = records(0, count, org_id=2)
    started = time.perf_counter()
    for record in todo:
        with store.transaction() as session:
            append(session, record)
    return count / (time.perf_counter() - started)


def measure(backend: str, url: str, args: argparse.Namespace) -> Result:
    store = Store(url)
    try:
        upgrade(store.engine)
        print(f"{backend}: appending {args.entries:,} entries...", file=sys.stderr)
        batched = fill(store, args.entries, args.batch)
        singles = single(store, args.single)
        if store.dialect == "postgresql":
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE audit_entry"))  # what autovacuum does soon after
        runs = []
        for _ in range(args.runs):
            started = time.perf_counter()
            report = verify(store.engine)
            runs.append(time.perf_counter() - started)
            if not report.intact or report.entries != args.entries + args.single:
                raise SystemExit(f"{backend}: verify did not pass: {report}")
        return Result(backend, _version(store), report.entries, batched, singles, tuple(runs))
    finally:
        store.dispose()


def _version(store: Store) -> str:
    if store.dialect == "sqlite":
        return sqlite3.sqlite_version
    with store.engine.connect() as conn:
        return str(conn.execute(text("SHOW server_version")).scalar()).split()[0]


def machine() -> str:
    model = "unknown CPU"
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    return (
        f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, load average {load}"
    )


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
        yield admin.url.set(database=DATABASE).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        admin.dispose()


def table(results: list[Result]) -> str:
    lines = [
        "| backend | entries | batched appends/s | single appends/s | verify (median) "
        "| verify runs |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        runs = ", ".join(f"{s:.2f}" for s in r.verify_runs)
        lines.append(
            f"| {r.backend} {r.version} | {r.entries:,} | {r.batched_per_s:,.0f} | {r.single_per_s:,.0f} "
            f"| {r.verify_s:.2f} s | {runs} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=ADMIN_URL, help="an admin URL of PostgreSQL")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1_000, help="records per transaction")
    parser.add_argument("--single", type=int, default=2_000, help="one-append transactions")
    parser.add_argument("--runs", type=int, default=5, help="verify runs")
    args = parser.parse_args()

    before = machine()
    results = []
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.sqlite3"
            results.append(measure("SQLite", f"sqlite:///{path}", args))
    if not args.no_postgres:
        with postgres_database(args.postgres) as url:
            results.append(measure("PostgreSQL", url, args))

    print(f"before: {before}")
    print(f"after:  {machine()}")
    print(f"{args.batch} records per transaction in the batched appends")
    print(table(results))
    print("targets: >= 20,000 appends/s (batched); verify 1,000,000 entries <= 5 s")


if __name__ == "__main__":
    main()
