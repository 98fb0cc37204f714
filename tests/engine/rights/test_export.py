"""The access / portability archive: every row in JSON and CSV, a summary, flat memory."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from privaat.connectors.base import Collection
from privaat.core.policy.loader import load_policy
from privaat.core.policy.model import Lang
from privaat.engine.rights.export import ExportedTable, SummaryWriter, write_export
from privaat.engine.rights.summary import summary_files
from privaat.examples import example_text

POLICY = load_policy(example_text("jensdev")).policy


def _clients() -> Collection:
    rows: list[tuple[Any, ...]] = [
        (1, "jan.peeters@example.be", "Jan", decimal.Decimal("12.50"), dt.datetime(2024, 3, 1, 9)),
    ]
    return Collection(
        "billing",
        "clients",
        ("id", "email", "firstname", "balance", "created_at"),
        {"email": "user.contact.email", "firstname": "user.name"},
        iter(rows),
        provided=frozenset({"email", "firstname"}),
    )


def _logins(n: int) -> Collection:
    rows: Iterator[tuple[Any, ...]] = (
        (i, f"203.0.113.{i % 250}", {"ua": "x" * 20}) for i in range(n)
    )
    return Collection(
        "billing",
        "logins",
        ("id", "ip", "meta"),
        {"ip": "user.behavior.browsing_history"},
        rows,
        provided=frozenset(),
    )


def _summary(lang: Lang, portability: bool = False) -> SummaryWriter:
    def write(tables: tuple[ExportedTable, ...]) -> list[tuple[str, str]]:
        return summary_files(
            POLICY,
            lang,
            tables,
            reference="R-TEST",
            received=dt.date(2026, 11, 22),
            portability=portability,
        )

    return write


def test_the_archive_holds_every_row_as_json_and_csv(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    result = write_export(path, [_clients(), _logins(3)], portability=False, summary=_summary("en"))
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        assert names == {
            "data/billing/clients.json",
            "data/billing/clients.csv",
            "data/billing/logins.json",
            "data/billing/logins.csv",
            "summary.html",
            "notice.html",
        }
        clients = json.loads(archive.read("data/billing/clients.json"))
        assert clients == [
            {
                "id": 1,
                "email": "jan.peeters@example.be",
                "firstname": "Jan",
                "balance": "12.50",
                "created_at": "2024-03-01T09:00:00",
            }
        ]
        logins = list(csv.reader(io.StringIO(archive.read("data/billing/logins.csv").decode())))
        assert logins[0] == ["id", "ip", "meta"]
        assert logins[1] == ["0", "203.0.113.0", '{"ua": "xxxxxxxxxxxxxxxxxxxx"}']
        assert len(logins) == 4
        summary = archive.read("summary.html").decode()
    assert [(t.table, t.rows) for t in result.tables] == [("clients", 1), ("logins", 3)]
    assert result.size == path.stat().st_size
    assert "R-TEST" in summary
    assert "billing / clients" in summary
    # Art. 15 information for the categories found: a purpose, a recipient, the authority.
    assert "Customer management" in summary or "customer" in summary.lower()
    assert "WHMCS" in summary
    assert POLICY.supervisory_authority.name
    assert POLICY.supervisory_authority.name in summary


def test_portability_keeps_only_what_the_person_provided(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    write_export(path, [_clients(), _logins(2)], portability=True, summary=_summary("en", True))
    with zipfile.ZipFile(path) as archive:
        clients = json.loads(archive.read("data/billing/clients.json"))
        logins = json.loads(archive.read("data/billing/logins.json"))
    assert clients == [{"email": "jan.peeters@example.be", "firstname": "Jan"}]
    assert logins == [{}, {}]


def test_an_empty_table_is_valid_json(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    write_export(path, [_logins(0)], portability=False, summary=_summary("fr"))
    with zipfile.ZipFile(path) as archive:
        assert json.loads(archive.read("data/billing/logins.json")) == []
        assert '<html lang="fr">' in archive.read("summary.html").decode()


def test_memory_stays_flat_for_many_log_rows(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    tracemalloc.start()
    try:
        write_export(path, [_logins(100_000)], portability=False, summary=_summary("nl"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The rows alone would take about 50 MB; the CSV spools to disk above 8 MB.
    assert peak < 16 * 1024 * 1024
    with zipfile.ZipFile(path) as archive, archive.open("data/billing/logins.csv") as raw:
        lines = sum(1 for _ in raw)
    assert lines == 100_001
