"""Retention sweeps: privaat's batched delete against one raw DELETE of the same rows.

Target (PRODUCT.md and the retention issue): "PostgreSQL, 10 million expired rows: throughput
at least half that of one raw DELETE of the same rows, no statement holding a lock for more
than 1 s, memory flat. Report the same for SQLite and MariaDB."

What it does, per backend:

1. creates a scratch database (PostgreSQL, MariaDB) or file (SQLite) and in it two identical
   log tables, ``access_log`` (swept by privaat) and ``access_log_raw`` (deleted raw): a
   ``bigint`` primary key ``id``, ``created_at`` (a timestamp, indexed: see below), an
   ``account_id`` (set on 30 % of the rows, the link to the person), two fields of personal
   data (``ip``, ``user_agent``) and two that are not (``path``, ``status``). ``--rows``
   rows are expired (their ``created_at`` spread over the year before the cutoff) and
   ``--keep`` times as many are not (the last 28 days), with ids in time order as a log's
   are. The rows are generated inside the database (PostgreSQL ``generate_series``, MariaDB
   the SEQUENCE engine in chunks of a million, SQLite a recursive CTE), the keys and the
   ``created_at`` index built after the load, then the tables analysed (and, on PostgreSQL,
   vacuumed and checkpointed, so that neither measurement pays for the load's hint bits or
   checkpoint);
2. raw: one ``DELETE FROM access_log_raw WHERE created_at < :cutoff`` in one transaction,
   timed with its commit; the table is then dropped (PostgreSQL: and a checkpoint taken) so
   that its clean-up does not run during the sweep;
3. privaat: the example policy ``jixawstudio`` (rule ``server-logs``, which states no
   maximum) bound to ``access_log`` with ``after: P30D`` in a data map held in memory, loaded
   with ``load_datamap``, the sweep from ``privaat.core.retention.sweeps``, the connector
   from the registry, and ``connector.sweep(sweep)`` iterated: the time from asking for a
   batch to getting it is one committed transaction (the batch's rows found, deleted,
   committed), the bound on how long any of its locks is held; the last one is the probe
   that finds nothing left. A thread samples the process's resident size every 20 ms, and on
   PostgreSQL a second connection samples ``pg_stat_activity`` every 20 ms for the age of
   the sweep's open transaction;
4. checks that every expired row is gone from both tables and every other row is still
   there.

Why ``created_at`` is indexed: a log table that is queried or cleaned by time has one, and
it is the index a raw ``DELETE ... WHERE created_at < cutoff`` uses (without it the raw
delete scans the table, which favours privaat: its keyset walk reads the primary key). The
index also costs both deletes the same upkeep (InnoDB and SQLite maintain it on delete).
``--no-index`` measures without it.

Memory: ``ru_maxrss`` before and after the sweep (growth of the process's peak), the peak
of the sampled resident size over its value before the sweep, and with ``--tracemalloc``
the peak of traced Python memory during the sweep (which slows the sweep: its time is then
not the one to report). The database servers' memory is theirs, not the sweep's. Read the
resident-size figures from a run of one backend: in ``--backend all`` the heap an earlier
backend grew hides a later one's growth (tracemalloc's peak is per sweep).

    .venv/bin/python benchmarks/retention_bench.py --backend all
    .venv/bin/python benchmarks/retention_bench.py --backend postgresql --rows 10000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from privaat.connectors.base import ConnectContext, Retainer
from privaat.connectors.registry import connect
from privaat.core.datamap.loader import load_datamap
from privaat.core.policy.loader import load_policy
from privaat.core.retention import Sweep, sweeps
from privaat.examples import example_text

BACKENDS = ("postgresql", "mysql", "sqlite")
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MY_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/mysql"
DATABASE = "privaat_bench_retention"
#: the application name of the sweep's connections, which the sampler looks for
APPLICATION = "privaat_bench_sweep"
TODAY = dt.date(2026, 11, 22)
SWEPT, RAW = "access_log", "access_log_raw"
#: the expired rows' created_at spans this many seconds before the cutoff's eve
EXPIRED_SPAN = 365 * 86_400
KEPT_SPAN = 28 * 86_400
#: MariaDB rows per INSERT ... SELECT of the load
MY_CHUNK = 1_000_000
SAMPLE_SECONDS = 0.02
PAGE = os.sysconf("SC_PAGE_SIZE")

DATAMAP = """\
datamap: 1
stores:
  - id: logs
    connector: {connector}
    url_env: BENCH_DATABASE_URL
    tables:
      - name: accounts
        primary_key: [id]
        person: true
        links:
          - {{column: email, identity: email}}
        fields:
          - {{column: email, category: user.contact.email}}
      - name: access_log
        primary_key: [id]
        links:
          - {{column: account_id, to: accounts.id}}
        fields:
          - {{column: ip, category: user.device.ip_address}}
          - {{column: user_agent, category: user.device.connection}}
        created: created_at
        retention:
          - {{rule: server-logs, after: P30D}}
"""


# --------------------------------------------------------------------------- backends


@dataclass
class Layout:
    """The rows to load: ids 1..expired are expired, the next ``kept`` are not."""

    expired: int
    kept: int
    cutoff: dt.datetime
    indexed: bool

    @property
    def total(self) -> int:
        return self.expired + self.kept

    @property
    def expired_from(self) -> dt.datetime:
        return self.cutoff - dt.timedelta(days=1, seconds=EXPIRED_SPAN)

    @property
    def kept_from(self) -> dt.datetime:
        return self.cutoff + dt.timedelta(days=1)


class Backend(ABC):
    """A database to load, delete raw from and sweep; one subclass per kind."""

    name = ""
    label = ""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.engine: Engine | None = None

    # the scratch database
    @abstractmethod
    def create(self) -> None:
        """Create the scratch database."""

    @abstractmethod
    def drop(self) -> None:
        """Drop the scratch database."""

    @abstractmethod
    def url(self) -> str:
        """The scratch database's URL."""

    def sweep_url(self) -> str:
        return self.url()

    def db(self) -> Engine:
        if self.engine is None:
            self.engine = sa.create_engine(self.url())
        return self.engine

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None

    # the tables
    @abstractmethod
    def columns(self) -> str:
        """The table's column definitions, in this dialect."""

    @abstractmethod
    def load(self, table: str) -> None:
        """Fill ``table`` with the expired and the kept rows."""

    def after_load(self) -> None:
        """Statistics (and on PostgreSQL vacuum + checkpoint) before measuring; nothing by
        default."""
        return

    def after_raw(self) -> None:
        """The raw table goes, so that its clean-up does not overlap the sweep."""
        with self.db().begin() as conn:
            conn.execute(sa.text(f"DROP TABLE {RAW}"))

    @abstractmethod
    def version(self) -> str:
        """The server's name and version, for the results."""

    @abstractmethod
    def expression(self, g: str) -> str:
        """The SELECT list generating row ``g``'s columns (after its id)."""

    def setup(self) -> None:
        self.create()
        with self.db().begin() as conn:
            conn.execute(
                sa.text("CREATE TABLE accounts (id bigint PRIMARY KEY, email varchar(200))")
            )
            conn.execute(
                sa.text(
                    "INSERT INTO accounts (id, email) VALUES "
                    + ", ".join(f"({i}, 'user{i}@example.com')" for i in range(1, 1001))
                )
            )
            for table in (SWEPT, RAW):
                conn.execute(sa.text(f"CREATE TABLE {table} ({self.columns()})"))
        for table in (SWEPT, RAW):
            self.load(table)
            self.keys(table)
        self.after_load()

    def keys(self, table: str) -> None:
        with self.db().begin() as conn:
            conn.execute(sa.text(f"CREATE UNIQUE INDEX {table}_pk ON {table} (id)"))
            if self.layout.indexed:
                conn.execute(sa.text(f"CREATE INDEX {table}_created_at ON {table} (created_at)"))

    def raw_delete(self) -> int:
        with self.db().begin() as conn:
            result = conn.execute(
                sa.text(f"DELETE FROM {RAW} WHERE created_at < :cutoff"),
                {"cutoff": self.layout.cutoff},
            )
            return int(result.rowcount)

    def counts(self, table: str) -> tuple[int, int]:
        """(expired rows left, other rows left)."""
        with self.db().connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT sum(CASE WHEN created_at < :cutoff THEN 1 ELSE 0 END), "
                    f"sum(CASE WHEN created_at >= :cutoff THEN 1 ELSE 0 END) FROM {table}"
                ),
                {"cutoff": self.layout.cutoff},
            ).one()
        return int(row[0] or 0), int(row[1] or 0)

    def size(self, table: str) -> str:
        return ""

    @contextmanager
    def transactions(self) -> Iterator[Callable[[], float]]:
        """Samples the age of the sweep's open transaction; the context gives the maximum."""
        yield lambda: float("nan")


class Postgres(Backend):
    name = "postgresql"
    label = "PostgreSQL"

    def _admin(self, sql: str) -> None:
        engine = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(sql))
        engine.dispose()

    def create(self) -> None:
        self.drop()
        self._admin(f'CREATE DATABASE "{DATABASE}"')

    def drop(self) -> None:
        self.close()
        self._admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')

    def url(self) -> str:
        return PG_ADMIN.rsplit("/", 1)[0] + f"/{DATABASE}"

    def sweep_url(self) -> str:
        return self.url() + f"?application_name={APPLICATION}"

    def columns(self) -> str:
        return (
            "id bigint NOT NULL, created_at timestamp NOT NULL, account_id bigint, "
            "ip text NOT NULL, user_agent text NOT NULL, path text NOT NULL, "
            "status smallint NOT NULL"
        )

    def expression(self, g: str) -> str:
        lay = self.layout
        return (
            f"CASE WHEN {g} <= {lay.expired} "
            f"THEN timestamp '{lay.expired_from:%Y-%m-%d %H:%M:%S}' "
            f"+ make_interval(secs => ({g} - 1) * {EXPIRED_SPAN}::float8 / {lay.expired}) "
            f"ELSE timestamp '{lay.kept_from:%Y-%m-%d %H:%M:%S}' "
            f"+ make_interval(secs => ({g} - {lay.expired} - 1) * {KEPT_SPAN}::float8 "
            f"/ {max(lay.kept, 1)}) END, "
            f"CASE WHEN {g} % 10 < 3 THEN {g} % 1000 + 1 END, "
            f"'10.' || ({g} / 65536) % 256 || '.' || ({g} / 256) % 256 || '.' || {g} % 256, "
            "'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/' "
            f"|| (100 + {g} % 30) || '.0.' || {g} % 5000 || '.0 Safari/537.36', "
            f"'/shop/item/' || {g} % 10000, "
            f"CASE WHEN {g} % 50 = 0 THEN 404 ELSE 200 END"
        )

    def load(self, table: str) -> None:
        with self.db().begin() as conn:
            conn.execute(
                sa.text(
                    f"INSERT INTO {table} SELECT g, {self.expression('g')} "
                    f"FROM generate_series(1, {self.layout.total}::bigint) g"
                )
            )

    def keys(self, table: str) -> None:
        with self.db().begin() as conn:
            conn.execute(sa.text(f"ALTER TABLE {table} ADD PRIMARY KEY (id)"))
            if self.layout.indexed:
                conn.execute(sa.text(f"CREATE INDEX {table}_created_at ON {table} (created_at)"))

    def after_load(self) -> None:
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("VACUUM (FREEZE, ANALYZE)"))
            conn.execute(sa.text("CHECKPOINT"))
        engine.dispose()

    def after_raw(self) -> None:
        super().after_raw()
        self._admin("CHECKPOINT")

    def version(self) -> str:
        with self.db().connect() as conn:
            return str(conn.scalar(sa.text("SHOW server_version"))).split()[0]

    def size(self, table: str) -> str:
        with self.db().connect() as conn:
            value = conn.scalar(
                sa.text(f"SELECT pg_size_pretty(pg_total_relation_size('{table}'))")
            )
        return f"{value} per table"

    @contextmanager
    def transactions(self) -> Iterator[Callable[[], float]]:
        longest = [0.0]
        stop = threading.Event()
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        query = sa.text(
            "SELECT extract(epoch FROM max(clock_timestamp() - xact_start)) "
            "FROM pg_stat_activity WHERE application_name = :app AND xact_start IS NOT NULL"
        )

        def sample() -> None:
            with engine.connect() as conn:
                while not stop.is_set():
                    age = conn.scalar(query, {"app": APPLICATION})
                    if age is not None:
                        longest[0] = max(longest[0], float(age))
                    stop.wait(SAMPLE_SECONDS)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        try:
            yield lambda: longest[0]
        finally:
            stop.set()
            thread.join()
            engine.dispose()


class MariaDB(Backend):
    name = "mysql"
    label = "MariaDB"

    def _admin(self, sql: str) -> None:
        engine = sa.create_engine(MY_ADMIN)
        with engine.begin() as conn:
            conn.execute(sa.text(sql))
        engine.dispose()

    def create(self) -> None:
        self.drop()
        self._admin(f"CREATE DATABASE {DATABASE}")

    def drop(self) -> None:
        self.close()
        self._admin(f"DROP DATABASE IF EXISTS {DATABASE}")

    def url(self) -> str:
        return MY_ADMIN.rsplit("/", 1)[0] + f"/{DATABASE}"

    def columns(self) -> str:
        # the primary key is declared up front: InnoDB clusters on it, and the rows come in
        # key order; the created_at index is built after the load
        return (
            "id bigint NOT NULL PRIMARY KEY, created_at datetime NOT NULL, account_id bigint, "
            "ip varchar(45) NOT NULL, user_agent varchar(255) NOT NULL, "
            "path varchar(255) NOT NULL, status smallint NOT NULL"
        )

    def expression(self, g: str) -> str:
        lay = self.layout
        return (
            f"CASE WHEN {g} <= {lay.expired} "
            f"THEN TIMESTAMP'{lay.expired_from:%Y-%m-%d %H:%M:%S}' "
            f"+ INTERVAL (({g} - 1) * {EXPIRED_SPAN} DIV {lay.expired}) SECOND "
            f"ELSE TIMESTAMP'{lay.kept_from:%Y-%m-%d %H:%M:%S}' "
            f"+ INTERVAL (({g} - {lay.expired} - 1) * {KEPT_SPAN} DIV {max(lay.kept, 1)}) "
            "SECOND END, "
            f"CASE WHEN {g} % 10 < 3 THEN {g} % 1000 + 1 END, "
            f"CONCAT('10.', ({g} DIV 65536) % 256, '.', ({g} DIV 256) % 256, '.', {g} % 256), "
            "CONCAT('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/', 100 + {g} % 30, '.0.', {g} % 5000, '.0 Safari/537.36'), "
            f"CONCAT('/shop/item/', {g} % 10000), "
            f"CASE WHEN {g} % 50 = 0 THEN 404 ELSE 200 END"
        )

    def load(self, table: str) -> None:
        total = self.layout.total
        for start in range(0, total, MY_CHUNK):
            n = min(MY_CHUNK, total - start)
            g = f"(seq + {start})"
            with self.db().begin() as conn:
                conn.execute(
                    sa.text(
                        f"INSERT INTO {table} SELECT {g}, {self.expression(g)} "
                        f"FROM mysql.seq_1_to_{n}"
                    )
                )

    def keys(self, table: str) -> None:
        if self.layout.indexed:
            with self.db().begin() as conn:
                conn.execute(sa.text(f"CREATE INDEX {table}_created_at ON {table} (created_at)"))

    def after_load(self) -> None:
        with self.db().begin() as conn:
            conn.execute(sa.text(f"ANALYZE TABLE {SWEPT}, {RAW}"))

    def version(self) -> str:
        with self.db().connect() as conn:
            return str(conn.scalar(sa.text("SELECT version()"))).split("-")[0]

    def size(self, table: str) -> str:
        with self.db().connect() as conn:
            value = conn.scalar(
                sa.text(
                    "SELECT data_length + index_length FROM information_schema.tables "
                    "WHERE table_schema = :db AND table_name = :t"
                ),
                {"db": DATABASE, "t": table},
            )
        return f"{int(value or 0) / 2**20:,.0f} MB per table"


class SQLite(Backend):
    name = "sqlite"
    label = "SQLite"

    def __init__(self, layout: Layout) -> None:
        super().__init__(layout)
        self.folder = tempfile.mkdtemp(prefix="privaat-retention-")
        self.path = Path(self.folder) / "bench.sqlite3"

    def create(self) -> None:
        self.drop()
        self.path.parent.mkdir()

    def drop(self) -> None:
        self.close()
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)
        if self.path.parent.exists():
            self.path.parent.rmdir()

    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def columns(self) -> str:
        return (
            "id INTEGER NOT NULL PRIMARY KEY, created_at DATETIME NOT NULL, account_id BIGINT, "
            "ip TEXT NOT NULL, user_agent TEXT NOT NULL, path TEXT NOT NULL, "
            "status SMALLINT NOT NULL"
        )

    def expression(self, g: str) -> str:
        lay = self.layout
        return (
            f"CASE WHEN {g} <= {lay.expired} "
            f"THEN datetime('{lay.expired_from:%Y-%m-%d %H:%M:%S}', "
            f"'+' || (({g} - 1) * {EXPIRED_SPAN} / {lay.expired}) || ' seconds') "
            f"ELSE datetime('{lay.kept_from:%Y-%m-%d %H:%M:%S}', "
            f"'+' || (({g} - {lay.expired} - 1) * {KEPT_SPAN} / {max(lay.kept, 1)}) "
            "|| ' seconds') END, "
            f"CASE WHEN {g} % 10 < 3 THEN {g} % 1000 + 1 END, "
            f"'10.' || ({g} / 65536) % 256 || '.' || ({g} / 256) % 256 || '.' || {g} % 256, "
            "'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/' "
            f"|| (100 + {g} % 30) || '.0.' || {g} % 5000 || '.0 Safari/537.36', "
            f"'/shop/item/' || {g} % 10000, "
            f"CASE WHEN {g} % 50 = 0 THEN 404 ELSE 200 END"
        )

    def load(self, table: str) -> None:
        # an INTEGER PRIMARY KEY is the rowid: the rows go in key order, no index to build
        with self.db().begin() as conn:
            conn.execute(
                sa.text(
                    f"INSERT INTO {table} WITH RECURSIVE c(g) AS "
                    f"(SELECT 1 UNION ALL SELECT g + 1 FROM c WHERE g < {self.layout.total}) "
                    f"SELECT g, {self.expression('g')} FROM c"
                )
            )

    def keys(self, table: str) -> None:
        if self.layout.indexed:
            with self.db().begin() as conn:
                conn.execute(sa.text(f"CREATE INDEX {table}_created_at ON {table} (created_at)"))

    def after_load(self) -> None:
        with self.db().begin() as conn:
            conn.execute(sa.text("ANALYZE"))

    def version(self) -> str:
        with self.db().connect() as conn:
            return str(conn.scalar(sa.text("SELECT sqlite_version()")))

    def size(self, table: str) -> str:
        return f"{self.path.stat().st_size / 2**20:,.0f} MB (the file, both tables)"


KINDS: dict[str, Callable[[Layout], Backend]] = {
    "postgresql": Postgres,
    "mysql": MariaDB,
    "sqlite": SQLite,
}


# --------------------------------------------------------------------------- measuring


def rss() -> int:
    """The process's resident size now, in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def maxrss() -> int:
    """The process's peak resident size so far, in bytes (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@contextmanager
def rss_sampler() -> Iterator[Callable[[], int]]:
    peak = [rss()]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], rss())
            stop.wait(SAMPLE_SECONDS)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield lambda: peak[0]
    finally:
        stop.set()
        thread.join()


@dataclass
class Result:
    backend: str
    version: str
    rows: int
    kept: int
    indexed: bool
    load_s: float = 0.0
    table_size: str = ""
    raw_rows: int = 0
    raw_s: float = 0.0
    sweep_rows: int = 0
    sweep_s: float = 0.0
    batches: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    xact_max: float = float("nan")
    maxrss_growth: int = 0
    rss_growth: int = 0
    traced_peak: int | None = None
    load_avg: tuple[float, float, float] = (0.0, 0.0, 0.0)
    correct: bool = False

    @property
    def raw_rate(self) -> float:
        return self.raw_rows / self.raw_s if self.raw_s else 0.0

    @property
    def sweep_rate(self) -> float:
        return self.sweep_rows / self.sweep_s if self.sweep_s else 0.0

    @property
    def ratio(self) -> float:
        return self.sweep_rate / self.raw_rate if self.raw_rate else 0.0

    @property
    def p99(self) -> float:
        if len(self.batches) < 2:
            return max(self.batches, default=0.0)
        return statistics.quantiles(self.batches, n=100, method="inclusive")[98]


def build(backend: Backend) -> tuple[Retainer, Sweep]:
    """The connector and the sweep, through the same path as ``privaat retention run``."""
    policy = load_policy(example_text("jixawstudio")).policy
    text = DATAMAP.format(connector=backend.name)
    loaded = load_datamap(text, file="retention-bench.datamap.yaml", policy=policy)
    found = sweeps(policy, loaded.datamap, TODAY)
    assert len(found) == 1, found
    context = ConnectContext(
        policy=policy,
        base_dir=Path.cwd(),
        environ={"BENCH_DATABASE_URL": backend.sweep_url()},
        masking_key=b"benchmark-masking-key-0123456789",
        today=TODAY,
    )
    connector = connect(loaded.datamap.stores[0], context)
    assert isinstance(connector, Retainer)
    return connector, found[0]


def cutoff_of() -> dt.datetime:
    policy = load_policy(example_text("jixawstudio")).policy
    loaded = load_datamap(DATAMAP.format(connector="sqlite"), policy=policy)
    (sweep,) = sweeps(policy, loaded.datamap, TODAY)
    return dt.datetime.combine(sweep.cutoff, dt.time())


def run(kind: str, rows: int, keep: float, indexed: bool, traced: bool) -> Result:
    layout = Layout(rows, round(rows * keep), cutoff_of(), indexed)
    backend = KINDS[kind](layout)
    say = print
    started = time.perf_counter()
    say(f"[{kind}] loading 2 x {layout.total:,} rows ...", flush=True)
    backend.setup()
    result = Result(kind, backend.version(), rows, layout.kept, indexed)
    result.load_s = time.perf_counter() - started
    result.table_size = backend.size(SWEPT)
    say(f"[{kind}] loaded in {result.load_s:.0f} s ({result.table_size})", flush=True)
    try:
        say(f"[{kind}] raw DELETE ... (load {os.getloadavg()[0]:.2f})", flush=True)
        started = time.perf_counter()
        result.raw_rows = backend.raw_delete()
        result.raw_s = time.perf_counter() - started
        say(f"[{kind}] raw: {result.raw_rows:,} rows in {result.raw_s:.1f} s", flush=True)
        raw_counts = backend.counts(RAW)
        backend.after_raw()

        connector, sweep = build(backend)
        say(f"[{kind}] privaat sweep ... (load {os.getloadavg()[0]:.2f})", flush=True)
        gc.collect()
        before_max = maxrss()
        if traced:
            tracemalloc.start()
        with backend.transactions() as xact, rss_sampler() as peak:
            base = rss()
            started = time.perf_counter()
            batches = connector.sweep(sweep)
            while True:
                t0 = time.perf_counter()
                batch = next(batches, None)
                took = time.perf_counter() - t0
                if batch is None:
                    result.batches.append(took)  # the last select, which found nothing
                    break
                result.batches.append(took)
                result.sizes.append(batch.rows)
                result.sweep_rows += batch.rows
            result.sweep_s = time.perf_counter() - started
            result.rss_growth = peak() - base
            result.xact_max = xact()
        if traced:
            result.traced_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        result.maxrss_growth = maxrss() - before_max
        result.load_avg = os.getloadavg()
        close = getattr(connector, "close", None)
        if close is not None:
            close()
        say(
            f"[{kind}] privaat: {result.sweep_rows:,} rows in {result.sweep_s:.1f} s, "
            f"{len(result.sizes)} batches; slowest: {slowest(result)}",
            flush=True,
        )
        swept_counts = backend.counts(SWEPT)
        result.correct = (
            result.raw_rows == rows
            and result.sweep_rows == rows
            and raw_counts == (0, layout.kept)
            and swept_counts == (0, layout.kept)
        )
        if not result.correct:
            say(
                f"[{kind}] WRONG: raw {result.raw_rows} {raw_counts}, "
                f"swept {result.sweep_rows} {swept_counts}, expected (0, {layout.kept})"
            )
    finally:
        backend.drop()
    return result


# --------------------------------------------------------------------------- report


def slowest(result: Result, n: int = 3) -> str:
    """The slowest batches: number (1-based), rows, seconds; the last is the final probe."""
    sizes = [*result.sizes, 0]
    order = sorted(range(len(result.batches)), key=lambda i: -result.batches[i])[:n]
    return ", ".join(
        f"#{i + 1}/{len(result.batches)} {sizes[i]:,} rows {result.batches[i]:.2f} s" for i in order
    )


def mib(n: int | None) -> str:
    return "-" if n is None else f"{n / 2**20:.1f}"


def report(results: list[Result]) -> None:
    print()
    print(
        "| backend | expired rows (+kept) | raw DELETE s | raw rows/s | privaat s | "
        "privaat rows/s | ratio | batches (size) | max batch s | p99 batch s | "
        "longest xact s | maxrss growth MiB | peak RSS growth MiB | traced peak MiB | "
        "load avg | correct |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for r in results:
        sizes = f"{min(r.sizes):,}-{max(r.sizes):,}" if r.sizes else "-"
        xact = "-" if r.xact_max != r.xact_max else f"{r.xact_max:.2f}"
        print(
            f"| {r.backend} {r.version}{'' if r.indexed else ' (no index)'} "
            f"| {r.rows:,} (+{r.kept:,}) "
            f"| {r.raw_s:.1f} | {r.raw_rate:,.0f} | {r.sweep_s:.1f} | {r.sweep_rate:,.0f} "
            f"| {r.ratio:.2f} | {len(r.sizes)} ({sizes}) | {max(r.batches, default=0):.2f} "
            f"| {r.p99:.2f} | {xact} | {mib(r.maxrss_growth)} | {mib(r.rss_growth)} "
            f"| {mib(r.traced_peak)} | {' '.join(f'{x:.2f}' for x in r.load_avg)} "
            f"| {'yes' if r.correct else 'NO'} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--backend", choices=[*BACKENDS, "all"], default="postgresql")
    parser.add_argument(
        "--rows", type=int, default=10_000_000, help="expired rows (default 10,000,000)"
    )
    parser.add_argument(
        "--keep", type=float, default=0.1, help="rows not expired, per expired row (0.1)"
    )
    parser.add_argument("--no-index", action="store_true", help="no index on created_at")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="trace Python memory (slows the sweep)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per backend (reloaded)")
    args = parser.parse_args(argv)
    kinds = BACKENDS if args.backend == "all" else (args.backend,)
    print(f"{os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results: list[Result] = []
    for kind in kinds:
        for _ in range(args.repeat):
            results.append(run(kind, args.rows, args.keep, not args.no_index, args.tracemalloc))
    report(results)
    return 0 if all(r.correct for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
