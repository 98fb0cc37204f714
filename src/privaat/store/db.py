"""The database engine and its transactions, the same on SQLite and PostgreSQL.

SQLite (the embedded default) runs in WAL mode with ``synchronous=FULL``: readers never wait
for the writer and a committed write survives a power cut. Write transactions start with
``BEGIN IMMEDIATE`` so that two writers queue on the lock instead of failing halfway.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from privaat.errors import UsageError

_WRITE = "privaat_write"
log = logging.getLogger("privaat.store")

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
        self._write = sessionmaker(
            self.engine.execution_options(**{_WRITE: True}), expire_on_commit=False
        )
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        # One-statement reads need no transaction: on PostgreSQL no BEGIN and no COMMIT.
        self._quick = (
            self._read
            if self.dialect == "sqlite"
            else sessionmaker(
                self.engine.execution_options(isolation_level="AUTOCOMMIT"),
                expire_on_commit=False,
            )
        )

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._write() as session:
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

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    @contextmanager
    def quick_read(self) -> Iterator[Session]:
        """A session for a read of one statement (the hot consent check): no transaction
        round trips where the database allows it."""
        with self._quick() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
