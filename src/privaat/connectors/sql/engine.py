"""Reaching a store's database: its URL, and an engine that behaves the same on each.

The URL comes from the environment variable the map names (``url_env``, so that passwords
stay out of the map) or from ``url``; a relative SQLite path is relative to the map's
folder. The driver is privaat's own for each kind: psycopg 3 for PostgreSQL, PyMySQL for
MySQL / MariaDB, the standard library for SQLite, and the URL's dialect must be the store's.

On SQLite, foreign keys are enforced (``PRAGMA foreign_keys = ON``) and transactions are
real: privaat emits BEGIN itself (``BEGIN IMMEDIATE`` for writes), so that the reads of an
erasure plan and its writes are one transaction. SQL parameters never appear in error
messages (``hide_parameters``): they are personal data.

A pooled connection is checked with a ping only when it has been idle for more than
``PING_IDLE`` seconds (a dead one is replaced transparently): a request checks out a
connection several times in a row, and a ping on every checkout would cost a round trip
each time. Reads on PostgreSQL run in autocommit (:func:`reading`): each statement sees its
own snapshot, as it would inside a READ COMMITTED transaction, without a BEGIN and a
ROLLBACK round trip per request.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError

from privaat.connectors.base import ConnectContext
from privaat.core.datamap.model import Store
from privaat.errors import UsageError

#: store.connector -> (accepted URL backends, the driver privaat uses)
DRIVERS: dict[str, tuple[frozenset[str], str]] = {
    "postgresql": (frozenset({"postgresql"}), "postgresql+psycopg"),
    "mysql": (frozenset({"mysql", "mariadb"}), "+pymysql"),
    "sqlite": (frozenset({"sqlite"}), "sqlite+pysqlite"),
}
#: Execution option asking SQLite for a write transaction from the start.
WRITE = {"privaat_write": True}
#: A pooled connection idle for longer than this (seconds) is pinged before it is used.
PING_IDLE = 2.0
_USED = "privaat_used"


def database_url(store: Store, context: ConnectContext) -> URL:
    """The store's URL with privaat's driver (UsageError when it cannot be had)."""
    if store.url_env is not None:
        raw = context.environ.get(store.url_env)
        if not raw:
            raise UsageError(
                f"store {store.id!r}: the environment variable {store.url_env} that holds "
                "its database URL is not set"
            )
    elif store.url is not None:
        raw = store.url
    else:
        raise UsageError(f"store {store.id!r}: the data map names no url or url_env")
    try:
        url = make_url(raw)
    except ArgumentError:
        raise UsageError(f"store {store.id!r}: the database URL cannot be read") from None
    backends, driver = DRIVERS.get(store.connector, (frozenset(), ""))
    backend = url.get_backend_name()
    if backend not in backends:
        raise UsageError(
            f"store {store.id!r}: a {store.connector} store needs a {store.connector} URL, "
            f"not {backend}"
        )
    url = url.set(drivername=backend + driver if driver.startswith("+") else driver)
    if backend == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database)
        if not path.is_absolute():
            url = url.set(database=str(context.base_dir / path))
    return url


def create(url: URL) -> Engine:
    """An engine for the store; SQLite gets real transactions and enforced foreign keys."""
    engine = sa.create_engine(url, hide_parameters=True)
    if url.get_backend_name() == "sqlite":
        _sqlite_transactions(engine)
    else:
        _ping_when_idle(engine)
    return engine


def reading(engine: Engine) -> Connection:
    """A connection for reads: autocommit on PostgreSQL (no BEGIN / ROLLBACK round trips)."""
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
    return conn


def _ping_when_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling, but only for connections idle a while."""

    @event.listens_for(engine, "connect")
    def _connected(dbapi_connection: Any, record: Any) -> None:
        record.info[_USED] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_USED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if time.monotonic() - record.info.get(_USED, 0.0) <= PING_IDLE:
            return
        dialect = engine.dialect
        try:
            dialect.do_ping(dbapi_connection)
            if dialect.name == "postgresql":
                dbapi_connection.rollback()  # the ping opened a transaction
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):
                raise sa.exc.DisconnectionError() from None  # the pool retries afresh
            raise
        record.info[_USED] = time.monotonic()


def _sqlite_transactions(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # privaat emits BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("privaat_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def streamable(conn: Connection) -> None:
    """Make ``conn`` able to hold a server-side cursor: on PostgreSQL a cursor lives in a
    transaction, so an autocommit read connection goes back to READ COMMITTED."""
    if (
        conn.dialect.name == "postgresql"
        and conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
    ):
        conn.commit()  # ends SQLAlchemy's own (autocommit) transaction: no round trip
        conn.execution_options(isolation_level=conn.default_isolation_level)
