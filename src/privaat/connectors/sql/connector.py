"""The SQL connector: one store of the data map in PostgreSQL, MySQL / MariaDB or SQLite.

Each method takes one connection from the engine's pool for the whole request (never one
per table or row) and runs set-based statements compiled from the map (see compile.py);
reads run in autocommit on PostgreSQL (engine.py). Methods that change data run in one
transaction for the whole batch and roll back on any error; a batch of erasures is planned
set-based across its persons where the store allows it (batch.py), else person by person. Database errors are re-raised as privaat errors that name the store and the kind of
failure, never the statement's values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from privaat.connectors.base import (
    Collection,
    ConnectContext,
    Hit,
    Outcome,
    Person,
    PlanLine,
    Rectification,
    SweepBatch,
    merge_lines,
)
from privaat.connectors.sql import erase as erasing
from privaat.connectors.sql import export as exporting
from privaat.connectors.sql import rectify as rectifying
from privaat.connectors.sql import retain as retaining
from privaat.connectors.sql import search as searching
from privaat.connectors.sql.batch import plan_batch
from privaat.connectors.sql.compile import QueryPlan
from privaat.connectors.sql.engine import WRITE, reading
from privaat.connectors.sql.locate import locate
from privaat.core.datamap.model import RetentionScope, Store
from privaat.core.retention import Sweep
from privaat.errors import Conflict, StoreFailed

#: Persons erased per transaction by a person-scope retention sweep.
PERSON_BATCH = 200


class SqlConnector:
    """A store of the data map in a SQL database (see the package docs)."""

    def __init__(
        self, store: Store, context: ConnectContext, engine: Engine, plan: QueryPlan
    ) -> None:
        self.store = store
        self.context = context
        self.engine = engine
        self.plan = plan

    def close(self) -> None:
        self.engine.dispose()

    def expand(self, person: Person) -> Person:
        with self._errors("expand"), reading(self.engine) as conn:
            return locate(conn, self.plan, person, expand_only=True).person

    def plan_access(self, person: Person) -> list[PlanLine]:
        with self._errors("plan an access"), reading(self.engine) as conn:
            return exporting.plan_access(conn, self.plan, person)

    def export(self, person: Person) -> Iterator[Collection]:
        with self._errors("export"), reading(self.engine) as conn:
            yield from exporting.export(conn, self.plan, person)

    def plan_erasure(self, persons: Sequence[Person]) -> list[list[PlanLine]]:
        with self._errors("plan an erasure"), reading(self.engine) as conn:
            plans = self._plans(conn, persons)
            return [list(p.outcome().lines) for p in plans]

    def erase(self, persons: Sequence[Person]) -> list[Outcome]:
        with (
            self._errors("erase"),
            self.engine.connect().execution_options(**WRITE) as conn,
            conn.begin(),
        ):
            plans = self._plans(conn, persons)
            erasing.run(conn, plans, self.plan.dialect)
            return [p.outcome() for p in plans]

    def rectify(self, person: Person, changes: Sequence[Rectification]) -> Outcome:
        with (
            self._errors("rectify"),
            self.engine.connect().execution_options(**WRITE) as conn,
            conn.begin(),
        ):
            return rectifying.rectify(conn, self.plan, person, changes)

    def search(self, person: Person, keys: Mapping[str, Sequence[Any]] | None = None) -> list[Hit]:
        with self._errors("search"), reading(self.engine) as conn:
            return searching.search(conn, self.plan, person, keys)

    def plan_retention(self, sweep: Sweep) -> list[PlanLine]:
        with self._errors("plan a retention sweep"), reading(self.engine) as conn:
            return retaining.plan(conn, self.plan, sweep)

    def sweep(self, sweep: Sweep, after: tuple[Any, ...] | None = None) -> Iterator[SweepBatch]:
        if sweep.scope is RetentionScope.PERSON:
            yield from self._sweep_persons(sweep, after)
            return
        with self._errors("run a retention sweep"):
            yield from retaining.run(self._writing, self.plan, sweep, self._key, after=after)

    def _sweep_persons(self, sweep: Sweep, after: tuple[Any, ...] | None) -> Iterator[SweepBatch]:
        last = after
        while True:
            with self._errors("run a retention sweep"), reading(self.engine) as conn:
                batch = retaining.expired_persons(conn, self.plan, sweep, PERSON_BATCH, last)
            if not batch:
                break
            outcomes = self.erase([person for _, person in batch])
            lines = merge_lines(line for outcome in outcomes for line in outcome.lines)
            last = batch[-1][0]
            yield SweepBatch(tuple(lines), len(batch), last)
        with self._errors("run a retention sweep"):
            yield from retaining.leftovers(self._writing, self.plan, sweep, self._key)

    def _writing(self) -> Connection:
        return self.engine.connect().execution_options(**WRITE)

    def _plans(self, conn: Connection, persons: Sequence[Person]) -> list[erasing.PersonErasure]:
        """The batch planned set-based when the store allows it, else person by person."""
        planned = plan_batch(conn, self.plan, persons, self._key)
        if planned is not None:
            return planned
        return [erasing.plan_person(conn, self.plan, p, self._key) for p in persons]

    @property
    def _key(self) -> bytes:
        return self.context.masking_key

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sa_exc.IntegrityError as exc:
            raise Conflict(
                f"store {self.store.id!r}: the database refused to {doing}: a constraint would "
                f"be violated ({_code(exc)}); nothing was changed"
            ) from None
        except sa_exc.DBAPIError as exc:
            raise StoreFailed(
                f"store {self.store.id!r}: the database failed to {doing} ({_code(exc)}); "
                "nothing was changed"
            ) from None


def _code(exc: sa_exc.DBAPIError) -> str:
    """The driver's error class and code: enough to diagnose, without the values."""
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or (
        orig.args[0] if orig is not None and orig.args and isinstance(orig.args[0], int) else None
    )
    name = type(orig).__name__ if orig is not None else type(exc).__name__
    return f"{name} {code}" if code is not None else name
