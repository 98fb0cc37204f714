"""The SQL connector for PostgreSQL, MySQL / MariaDB and SQLite, on SQLAlchemy Core.

``connect(store, context)`` resolves the store's URL, reflects the live schema once, checks
the data map against it (a table or column the database lacks is a UsageError naming the
store, table and column) and compiles the map into a query plan that every request reuses.

The modules, one concept each:

- ``engine``: the URL (``url_env`` or ``url``) and an engine that behaves the same everywhere;
- ``schema``: the reflected tables, columns, keys and foreign keys with their ON DELETE rules;
- ``compile``: the map checked and compiled: locate order, key tables, delete order;
- ``dialect``: SQL that differs per database (set membership, JSON paths, case, LIKE);
- ``locate``: links as conditions, the person's rows, identity expansion to a fixpoint;
- ``export``: access plans and streamed exports;
- ``erase``: erasure plans and their execution (holds, foreign keys, masking instead);
- ``batch``: a batch of erasures planned set-based (the batch located as one, rows
  attributed to persons by the values they matched on) and carried out with one statement
  per table and step;
- ``mask``: masking rows in batches; ``held``: rows under a statutory hold;
- ``rectify``: corrected values everywhere they are copied; ``search``: the proof.
"""

from __future__ import annotations

from sqlalchemy import exc as sa_exc

from privaat.connectors.base import ConnectContext, Connector
from privaat.connectors.sql.compile import compile_store
from privaat.connectors.sql.connector import SqlConnector, _code
from privaat.connectors.sql.engine import create, database_url
from privaat.connectors.sql.schema import reflect
from privaat.core.datamap.model import Store
from privaat.errors import StoreFailed

__all__ = ["SqlConnector", "connect"]


def connect(store: Store, context: ConnectContext) -> Connector:
    """A connector for a PostgreSQL, MySQL / MariaDB or SQLite store of the data map."""
    engine = create(database_url(store, context))
    try:
        with engine.connect() as conn:
            live = reflect(conn, store.schema_name)
        plan = compile_store(store, live, store.connector, context.policy, context.today)
    except sa_exc.DBAPIError as exc:
        engine.dispose()
        raise StoreFailed(
            f"store {store.id!r}: cannot read the database schema ({_code(exc)})"
        ) from None
    except BaseException:
        engine.dispose()
        raise
    return SqlConnector(store, context, engine, plan)
