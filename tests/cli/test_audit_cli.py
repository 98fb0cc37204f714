"""``privaat audit`` as an operator runs it: the real console script on a SQLite file, which
is then edited by hand with the sqlite3 module, as someone covering their tracks would."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from privaat.engine import orgs
from privaat.engine.audit import AuditRecord, append_many
from privaat.store.db import Store
from privaat.store.migrate import upgrade

START = dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)
READS = 30  # subject reads recorded in jetstax's chain, after org.created


def privaat(*args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("privaat")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "privaat"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIVAAT_")}
    return subprocess.run([*command, *args], capture_output=True, text=True, env=env, check=False)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A store with two organisations' chains and the install's."""
    file = tmp_path / "privaat.sqlite3"
    store = Store(f"sqlite:///{file}")
    upgrade(store.engine)
    with store.transaction() as session:
        jetstax = orgs.create_org(session, "jetstax", "Jetstax BV", now=START, actor="cli")
        orgs.create_org(session, "acme", "Acme", now=START, actor="cli")
        append_many(
            session,
            [
                AuditRecord(
                    "token:1",
                    "subject.read",
                    START + dt.timedelta(minutes=n),
                    jetstax.id,
                    subject_id=n,
                    target=f"subject:{n}",
                    detail={"fields": ["email"], "email": "alice@example.com"},
                )
                for n in range(1, READS + 1)
            ],
        )
        append_many(session, [AuditRecord("staff:1", "staff.login", START)])
    store.dispose()
    return file


def edit(path: Path, script: str) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(script)
    conn.close()


def test_verify_passes_then_fails_after_a_hand_edit(path: Path) -> None:
    database = f"sqlite:///{path}"
    ok = privaat("audit", "verify", "--database", database)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines() == [
        "chain install: 1 entries, intact",
        f"chain jetstax: {READS + 1} entries, intact",
        "chain acme: 1 entries, intact",
    ]
    assert ok.stderr == ""  # no terminal: no progress bar

    jetstax_id = _org_id(path, "jetstax")
    edit(path, f"UPDATE audit_entry SET actor = 'staff:2' WHERE chain = {jetstax_id} AND seq = 7")
    broken = privaat("audit", "verify", "--database", database)
    assert broken.returncode == 1
    lines = broken.stdout.splitlines()
    assert lines[0] == "chain install: 1 entries, intact"
    assert lines[1].startswith("chain jetstax: broken at seq 7 (changed): ")
    assert lines[2] == "chain acme: 1 entries, intact"
    assert "alice" not in broken.stdout
    assert "Traceback" not in broken.stderr


@pytest.mark.parametrize(
    ("statement", "line"),
    [
        ("DELETE FROM audit_entry WHERE chain = {c} AND seq = 12", "broken at seq 12 (missing)"),
        ("DELETE FROM audit_entry WHERE chain = {c} AND seq = 31", "broken at seq 31 (missing)"),
        (
            "UPDATE audit_entry SET seq = -1 WHERE chain = {c} AND seq = 4;"
            "UPDATE audit_entry SET seq = 4 WHERE chain = {c} AND seq = 5;"
            "UPDATE audit_entry SET seq = 5 WHERE chain = {c} AND seq = -1;",
            "broken at seq 4 (reordered)",
        ),
        ("UPDATE audit_head SET hash = 'x' WHERE chain = {c}", "broken at seq 31 (head mismatch)"),
    ],
    ids=["middle-deleted", "last-deleted", "swapped", "head-edited"],
)
def test_verify_of_one_organisation_names_the_seq_and_kind(
    path: Path, statement: str, line: str
) -> None:
    edit(path, statement.format(c=_org_id(path, "jetstax")))
    result = privaat("audit", "verify", "--org", "jetstax", "--database", f"sqlite:///{path}")
    assert result.returncode == 1
    [only] = result.stdout.splitlines()
    assert only.startswith(f"chain jetstax: {line}: ")


def test_verify_json_gives_the_heads_to_keep(path: Path) -> None:
    result = privaat("audit", "verify", "--format", "json", "--database", f"sqlite:///{path}")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["intact"] is True
    assert payload["entries"] == READS + 3
    jetstax = next(c for c in payload["chains"] if c["chain"] == "jetstax")
    assert jetstax["head"]["seq"] == READS + 1
    assert len(jetstax["head"]["hash"]) == 64
    assert jetstax["problem"] is None


def test_an_unknown_organisation_is_a_usage_error(path: Path) -> None:
    result = privaat("audit", "verify", "--org", "nope", "--database", f"sqlite:///{path}")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: no organisation 'nope'"


def test_log_lists_the_last_entries_and_records_the_read(path: Path) -> None:
    database = f"sqlite:///{path}"
    text = privaat("audit", "log", "--org", "jetstax", "--limit", "3", "--database", database)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert [line.split("  ")[:4] for line in lines] == [
        [str(seq), (START + dt.timedelta(minutes=seq - 1)).isoformat(), "token:1", "subject.read"]
        for seq in (READS - 1, READS, READS + 1)
    ]
    as_json = privaat(
        "audit", "log", "--org", "jetstax", "--format", "json", "--database", database
    )
    entries = json.loads(as_json.stdout)
    read = entries[-1]
    assert (read["seq"], read["actor"], read["action"]) == (READS + 2, "cli", "audit.read")
    assert read["detail"] == {"entries": 3, "from_seq": READS - 1, "to_seq": READS + 1}
    assert entries[0]["detail"]["fields"] == ["email"]
    install = privaat("audit", "log", "--database", database)
    assert install.stdout.strip().split("  ")[2:4] == ["staff:1", "staff.login"]
    assert privaat("audit", "verify", "--database", database).returncode == 0


def _org_id(path: Path, slug: str) -> int:
    with sqlite3.connect(path) as conn:
        (org_id,) = conn.execute("SELECT id FROM organisation WHERE slug = ?", (slug,)).fetchone()
    conn.close()
    return int(org_id)
