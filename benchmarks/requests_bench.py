"""Rights requests inside the engine, on the reference shop dataset in PostgreSQL.

Targets (PRODUCT.md, on the shop data of ../shared/bench/: 100,000 customers, about 3.4
million rows): access median <= 20 ms and p99 <= 100 ms inside the engine; erasure median
<= 50 ms, one transaction per store; 100 requests at once >= 200 requests/s with none
failing; 10,000 erasures in bulk <= 60 s; memory flat for a subject with 1,000,000 rows.

What it does:

1. makes the template database ``privaat_bench_shop`` from shop.postgres.sql if it is not
   there yet (about 30 s), then copies it to a scratch database for this run (erasures
   change it);
2. access: for ``--access`` random customers one after another, finds the person (every
   identity across the map) and writes the complete export ZIP (JSON + CSV per table and
   the Art. 15 summary) to a temporary file, timing each request end to end;
3. 100 access requests at once from ``--threads`` threads, each with its own connector, and
   again from ``--processes`` worker processes (as ``privaat serve --workers`` runs them);
4. erasure: ``--erase`` single erasures one after another, each its own transaction;
5. bulk: ``--bulk`` erasures in batches of ``--batch`` persons, one transaction per batch;
6. memory: gives one customer 1,000,000 extra login rows and exports that person, reporting
   the time and the growth of the process's resident size, then exports them again under
   tracemalloc for the peak of traced Python memory.

Export archives are written to a temporary folder and left there until the run ends (the
service keeps them for download; deleting them is no part of a request).

    .venv/bin/python benchmarks/requests_bench.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import random
import resource
import statistics
import subprocess
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import create_engine, text

from privaat.connectors.base import ConnectContext, Connector, Person
from privaat.connectors.registry import connect
from privaat.core.datamap.loader import read_datamap
from privaat.core.policy.loader import load_policy
from privaat.engine.rights.execute import find_person
from privaat.engine.rights.export import ExportedTable, write_export
from privaat.engine.rights.summary import summary_files
from privaat.examples import example_text
from privaat.notice.render import render_notice

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TEMPLATE = "privaat_bench_shop"
SCRATCH = "privaat_bench_shop_run"
HERE = Path(__file__).parent
SHOP_SQL = HERE.parent.parent / "shared" / "bench" / "shop.postgres.sql"
CUSTOMERS = 100_000
POLICY = load_policy(example_text("jensdev")).policy
#: The notice is rendered once per policy version and cached in the service.
NOTICE = render_notice(POLICY, "nl", "html")


def _admin(sql: str) -> None:
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def prepare() -> str:
    engine = create_engine(ADMIN_URL)
    with engine.connect() as conn:
        exists = conn.scalar(text(f"SELECT 1 FROM pg_database WHERE datname = '{TEMPLATE}'"))
    engine.dispose()
    if not exists:
        print(f"creating {TEMPLATE} from {SHOP_SQL} (about 30 s) ...", flush=True)
        _admin(f'CREATE DATABASE "{TEMPLATE}"')
        subprocess.run(
            [
                "psql",
                "-q",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                TEMPLATE,
                "-f",
                str(SHOP_SQL),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    _admin(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{SCRATCH}" TEMPLATE "{TEMPLATE}"')
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{SCRATCH}"


def connector(url: str) -> Connector:
    loaded = read_datamap(HERE / "shop.datamap.yaml", policy=POLICY)
    context = ConnectContext(
        policy=POLICY,
        base_dir=HERE,
        environ={"SHOP_DATABASE_URL": url},
        masking_key=b"benchmark-masking-key-0123456789",
        today=dt.date.today(),
    )
    return connect(loaded.datamap.stores[0], context)


def person(n: int) -> Person:
    return Person.of(email=f"customer{n}@example.com")


def access(conn: Connector, who: Person, folder: Path) -> int:
    """One access request inside the engine: find the person, write the whole export."""
    found = find_person({"shop": conn}, who)

    def summary(tables: tuple[ExportedTable, ...]) -> list[tuple[str, str]]:
        return summary_files(
            POLICY,
            "nl",
            tables,
            reference="BENCH",
            received=dt.date.today(),
            portability=False,
            notice_html=NOTICE,
        )

    # The archive stays, as the service keeps it for the person to download; the run's
    # temporary folder is removed at the end (deleting files is no part of a request).
    path = folder / f"{uuid.uuid4().hex}.zip"
    result = write_export(path, conn.export(found), portability=False, summary=summary)
    return sum(t.rows for t in result.tables)


_worker: tuple[Connector, Path] | None = None


def _start_worker(url: str, folder: str) -> None:
    """A worker process's own connector, warmed up (plan compiled, pool open)."""
    global _worker
    _worker = (connector(url), Path(folder))
    access(_worker[0], person(3), _worker[1])


def _worker_access(n: int) -> bool:
    assert _worker is not None
    try:
        access(_worker[0], person(n), _worker[1])
    except Exception:  # counted by the caller, the run goes on
        return False
    return True


def _ready(_n: int) -> bool:
    return True


def at_once_in_processes(
    url: str, folder: Path, ids: Sequence[int], processes: int
) -> tuple[float, int]:
    """Requests sent at once to ``processes`` workers (as the service runs): (seconds, failed)."""
    context = multiprocessing.get_context("spawn")  # no connection is shared with a fork
    with context.Pool(processes, initializer=_start_worker, initargs=(url, str(folder))) as pool:
        pool.map(_ready, range(processes * 4), chunksize=1)  # every worker up and warm
        start = time.perf_counter()
        done = pool.map(_worker_access, ids, chunksize=1)
        took = time.perf_counter() - start
    return took, done.count(False)


def timed(work: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        out.append((time.perf_counter() - start) * 1000)
    return out


def describe(name: str, ms: Sequence[float]) -> str:
    ordered = sorted(ms)

    def p(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return (
        f"{name}: n={len(ms)} median {statistics.median(ms):.1f} ms, p90 {p(0.9):.1f} ms, "
        f"p99 {p(0.99):.1f} ms, max {ordered[-1]:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--access", type=int, default=300)
    parser.add_argument("--at-once", type=int, default=100)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--erase", type=int, default=300)
    parser.add_argument("--bulk", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--memory-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    url = prepare()
    rng = random.Random(7)
    picks = rng.sample(
        range(1, CUSTOMERS + 1), args.access + args.at_once + args.erase + args.bulk + 1
    )
    access_ids = picks[: args.access]
    at_once_ids = picks[args.access : args.access + args.at_once]
    erase_ids = picks[args.access + args.at_once : args.access + args.at_once + args.erase]
    bulk_ids = picks[args.access + args.at_once + args.erase : -1]
    memory_id = picks[-1]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        conn = connector(url)
        access(conn, person(1), folder)  # warm up: compile the plan, open the pool
        rows = []
        queue = iter(access_ids)

        def one() -> None:
            rows.append(access(conn, person(next(queue)), folder))

        ms = timed(one, len(access_ids))
        print(
            describe("access (find + full export ZIP)", ms),
            f"rows/request {statistics.mean(rows):.0f}",
            flush=True,
        )

        conns = [connector(url) for _ in range(args.threads)]
        for c in conns:
            access(c, person(2), folder)
        failures = 0

        def worker(index: int, ids: Sequence[int]) -> int:
            failed = 0
            for n in ids:
                try:
                    access(conns[index], person(n), folder)
                except Exception:  # counted, the run goes on
                    failed += 1
            return failed

        shares = [at_once_ids[i :: args.threads] for i in range(args.threads)]
        start = time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            failures = sum(pool.map(worker, range(args.threads), shares))
        took = time.perf_counter() - start
        print(
            f"{args.at_once} access requests at once ({args.threads} threads): {took:.2f} s, "
            f"{args.at_once / took:.0f} requests/s, {failures} failed",
            flush=True,
        )
        for c in conns:
            c.close()

        took, failures = at_once_in_processes(url, folder, at_once_ids, args.processes)
        print(
            f"{args.at_once} access requests at once ({args.processes} processes, as "
            f"`privaat serve --workers {args.processes}` runs): {took:.2f} s, "
            f"{args.at_once / took:.0f} requests/s, {failures} failed",
            flush=True,
        )

        queue = iter(erase_ids)
        ms = timed(lambda: conn.erase([person(next(queue))]), len(erase_ids))
        print(describe("erasure (one transaction each)", ms), flush=True)

        start = time.perf_counter()
        for i in range(0, len(bulk_ids), args.batch):
            conn.erase([person(n) for n in bulk_ids[i : i + args.batch]])
        took = time.perf_counter() - start
        print(
            f"bulk erasure: {len(bulk_ids)} persons in batches of {args.batch}: {took:.1f} s "
            f"({len(bulk_ids) / took:.0f} persons/s)",
            flush=True,
        )
        left = conn.plan_access(person(bulk_ids[0]))
        assert all(line.rows == 0 for line in left), left

        engine = create_engine(url)
        with engine.begin() as db:
            db.execute(
                text(
                    "INSERT INTO login_history (customer_id, ip, at) SELECT :c, '10.0.0.1', "
                    "now() - g * interval '1 second' FROM generate_series(1, :n) g"
                ),
                {"c": memory_id, "n": args.memory_rows},
            )
            db.execute(text("ANALYZE login_history"))
        engine.dispose()
        # Timed without tracing first (tracemalloc slows every allocation down many times),
        # then again under tracemalloc for the peak of Python memory.
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        exported = access(conn, person(memory_id), folder)
        took = time.perf_counter() - start
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        start = time.perf_counter()
        access(conn, person(memory_id), folder)
        traced = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"memory: one person with {exported:,} rows exported in {took:.1f} s "
            f"({exported / took:,.0f} rows/s), max RSS grew {(rss_after - rss_before) / 1024:.1f} "
            f"MiB; under tracemalloc {traced:.1f} s, traced peak {peak / 2**20:.1f} MiB",
            flush=True,
        )
        conn.close()
    _admin(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')


if __name__ == "__main__":
    main()
