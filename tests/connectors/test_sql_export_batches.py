"""Exports of more rows than one batch: the first batch in one query, the rest streamed after
its last key (SQLite, PostgreSQL and MariaDB)."""

from __future__ import annotations

import datetime as dt
from itertools import islice

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from privaat.connectors.base import Connector
from privaat.connectors.sql.export import STREAM_BATCH
from privaat.errors import UsageError
from tests import companydb
from tests.connectors.conftest import JAN

EXTRA = 2 * STREAM_BATCH + 7


def _add_logins(engine: Engine) -> None:
    at = dt.datetime(2025, 1, 1)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(companydb.logins),
            [
                {"id": i, "client_id": 1, "ip": "192.0.2.1", "at": at}
                for i in range(1000, 1000 + EXTRA)
            ],
        )


def test_a_collection_larger_than_a_batch_streams_every_row_once_in_key_order(
    connector: Connector, company_engine: Engine
) -> None:
    _add_logins(company_engine)
    planned = {line.table: line.rows for line in connector.plan_access(JAN) if not line.detail}

    read: dict[tuple[str, bool], list[int]] = {}
    for collection in connector.export(JAN):
        at = collection.columns.index("id")
        read[(collection.table, collection.mentions)] = [row[at] for row in collection.rows]

    logins = read[("logins", False)]
    assert logins == sorted(logins)
    assert len(set(logins)) == len(logins) == planned["logins"] == 2 + EXTRA
    assert read[("tickets", True)] == [3]  # the collections after it still come
    assert len(read[("activity_log", False)]) == 3


def test_a_large_collection_left_half_read_is_closed_and_the_export_goes_on(
    connector: Connector, company_engine: Engine
) -> None:
    _add_logins(company_engine)
    left = None
    tables = []
    for collection in connector.export(JAN):
        tables.append(collection.table)
        if collection.table == "logins":
            assert len(list(islice(collection.rows, STREAM_BATCH + 5))) == STREAM_BATCH + 5
            left = collection
        else:
            list(collection.rows)

    assert tables.index("logins") < tables.index("tickets") < tables.index("activity_log")
    assert left is not None
    with pytest.raises(UsageError, match="before asking"):
        list(left.rows)
