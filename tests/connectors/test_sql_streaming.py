"""Exports stream: memory stays flat however many rows a person has (SQLite, 200,000 rows)."""

from __future__ import annotations

import datetime as dt
import tracemalloc
from pathlib import Path

import sqlalchemy as sa

from privaat.connectors.registry import connect
from privaat.core.datamap.model import DataMap
from privaat.core.policy.model import Policy
from tests import companydb
from tests.connectors.conftest import JAN, billing, context_for

LOG_ROWS = 200_000
#: Generous: holding 200,000 rows of five values would take well over 50 MB.
PEAK_BYTES = 15_000_000


def test_exporting_many_rows_keeps_memory_flat(
    sqlite_company: str, company_map: DataMap, jensdev: Policy, tmp_path: Path
) -> None:
    engine = sa.create_engine(sqlite_company)
    at = dt.datetime(2025, 1, 1)
    with engine.begin() as conn:
        for start in range(100, LOG_ROWS + 100, 20_000):
            conn.execute(
                sa.insert(companydb.activity_log),
                [
                    {"id": i, "rel_type": "client", "rel_id": 1, "message": "Page viewed", "at": at}
                    for i in range(start, start + 20_000)
                ],
            )
    engine.dispose()
    connector = connect(
        billing(company_map, sqlite_company), context_for(jensdev, sqlite_company, tmp_path)
    )
    try:
        planned = {line.table: line.rows for line in connector.plan_access(JAN)}
        tracemalloc.start()
        counted = 0
        for collection in connector.export(JAN):
            for _row in collection.rows:
                if collection.table == "activity_log":
                    counted += 1
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        connector.close()

    assert counted == planned["activity_log"] == LOG_ROWS + 3
    assert peak < PEAK_BYTES, f"peak {peak:,} bytes"
