"""The database engine and its transactions, the same on SQLite and PostgreSQL.

SQLite (the embedded default) runs in WAL mode with ``synchronous=FULL``: readers never wait
for the writer and a committed write survives a power cut. Write transactions start with
``BEGIN IMMEDIATE`` so that two writers queue on the lock instead of failing halfway.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import ClauseElement

from privaat.errors import UsageError

_WRITE = "privaat_write"
log = logging.getLogger("privaat.store")
T = TypeVar("T")

#: ``session.info`` keys of work to run just before and just after a write transaction
#: commits: name → callable(session). See :func:`on_commit`.
BEFORE_COMMIT = "privaat.before_commit"
AFTER_COMMIT = "privaat.after_commit"


def on_commit(
    session: Session, name: str, work: Callable[[Session], object], *, after: bool
) -> None:
    """Run ``work(session)`` once when ``Store.transaction()`` commits this session.

    Before the commit it is part of the transaction; after it, it runs in a transaction of
    its own, and a failure there is logged (without its message) and does not undo the first.
    """
    session.info.setdefault(AFTER_COMMIT if after else BEFORE_COMMIT, {})[name] = work


def psycopg_connection(session: Session | Connection) -> psycopg.Connection[Any] | None:
    """The psycopg connection under a session's transaction (or a connection) on
    PostgreSQL; else None.

    For the hottest statements only: SQL sent straight through psycopg (which prepares it on
    the server after a few uses) skips SQLAlchemy's own work per statement, which costs more
    CPU than the database spends on a one-row statement. Same connection, same transaction.
    """
    conn = session.connection() if isinstance(session, Session) else session
    if conn.dialect.name != "postgresql":
        return None
    driver = conn.connection.driver_connection
    return driver if isinstance(driver, psycopg.Connection) else None


_POSTGRESQL = make_url("postgresql+psycopg://").get_dialect()()


def postgresql_sql(statement: ClauseElement) -> str:
    """A Core statement as psycopg runs it (``%(name)s`` parameters), for
    :func:`psycopg_connection`. Its results come back without SQLAlchemy's type processing."""
    return str(statement.compile(dialect=_POSTGRESQL))


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets its pragmas and explicit transactions."""
    try:
        parsed = make_url(url)
    except Exception:  # SQLAlchemy raises ArgumentError with the URL in it
        raise UsageError("the database URL is not valid") from None
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _sqlite_setup(engine)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise UsageError("privaat's store runs on SQLite or PostgreSQL")
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        write = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Store:
    """privaat's own database: an engine, and transactions on it.

    ``transaction()`` is for work that writes (audit entries included); ``reading()`` for
    pure reads. Both commit or roll back as a whole; code inside never commits.
    """

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.dialect = self.engine.dialect.name
        #: Copied into every session's ``info``: services of the running process that work
        #: after a commit can use (the server's audit sealer).
        self.session_info: dict[str, object] = {}
        self._write = sessionmaker(
            self.engine.execution_options(**{_WRITE: True}),
            expire_on_commit=False,
            info=self.session_info,
        )
        self._read = sessionmaker(self.engine, expire_on_commit=False, info=self.session_info)
        # Connections of quick_read() not in use; list.pop and append are atomic, so threads
        # can share it without a lock. It holds as many as ever ran at once (the event loop
        # reads one at a time: one per worker process).
        self._idle_quick: list[Connection] = []

    @contextmanager
    def transaction(self, on: Connection | None = None) -> Iterator[Session]:
        """A write transaction, on a pooled connection or on ``on`` (from
        :meth:`connect_for_writes`), which a thread that writes all the time keeps: no pool
        checkout and no ping per transaction."""
        with self._write(bind=on) if on is not None else self._write() as session:
            with session.begin():
                yield session
                for work in session.info.pop(BEFORE_COMMIT, {}).values():
                    work(session)
            for name, work in session.info.pop(AFTER_COMMIT, {}).items():
                try:
                    with session.begin():
                        work(session)
                except Exception as exc:  # the first transaction stands; say what failed
                    log.warning("%s after commit failed: %s", name, type(exc).__name__)

    def connect_for_writes(self) -> Connection:
        """A connection of its own for :meth:`transaction`; the caller closes it."""
        return self.engine.execution_options(**{_WRITE: True}).connect()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    def quick_read(self, read: Callable[[Connection], T]) -> T:
        """``read(connection)``: a read of one statement (the hot consent check).

        On PostgreSQL the connection is one the store keeps for these reads, in autocommit:
        no BEGIN and COMMIT, no pool checkout and no ping per read, which together cost more
        than the read. A connection the database dropped (a restart) is replaced and the
        read repeated once, as the pool's ping would have done. On SQLite: a short
        transaction on a pooled connection.
        """
        if self.dialect == "sqlite":
            with self.engine.connect() as conn, conn.begin():
                return read(conn)
        try:
            conn = self._idle_quick.pop()
        except IndexError:
            conn = self._new_quick()
        try:
            return read(conn)
        except (DBAPIError, psycopg.OperationalError):
            if not _dropped(conn):
                raise
            conn.invalidate()
            conn.close()
            conn = self._new_quick()
            return read(conn)
        finally:
            self._idle_quick.append(conn)

    def _new_quick(self) -> Connection:
        return self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def dispose(self) -> None:
        while self._idle_quick:
            self._idle_quick.pop().close()
        self.engine.dispose()


def _dropped(conn: Connection) -> bool:
    """Whether the database closed the connection (as opposed to refusing a statement)."""
    if conn.invalidated:
        return True
    driver = conn.connection.driver_connection
    return isinstance(driver, psycopg.Connection) and (driver.broken or driver.closed)
