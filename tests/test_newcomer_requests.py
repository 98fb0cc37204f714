"""The rights-request issue's definition of done, as a newcomer does it, with real processes.

A newcomer points ``privaat datamap generate`` at a real company database (PostgreSQL, full
of the traps of tests/companydb.py), reviews the proposed map (the two categories the
generator flagged for review get one of the policy's own), checks it, loads it, files an
access and an erasure request, reads the plans, and gets a complete export and a verified
erasure.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests import companydb
from tests.conftest import TEST_SECRET, _unavailable


def _run(cwd: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "privaat", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def company_postgres(company_servers: dict[str, str]) -> str:
    url = company_servers["postgresql"]
    if url.startswith("unavailable"):
        _unavailable(f"PostgreSQL for the company database is {url}")
    engine = create_engine(url)
    companydb.metadata.drop_all(engine)
    companydb.metadata.create_all(engine)
    with engine.begin() as conn:
        companydb.seed(conn)
    engine.dispose()
    return url


def test_generate_review_check_load_then_access_and_erasure(
    company_postgres: str, tmp_path: Path
) -> None:
    database_name = company_postgres.rsplit("/", 1)[1]
    variable = f"{database_name.upper()}_DATABASE_URL"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIVAAT_")}
    env |= {
        "PRIVAAT_ENVIRONMENT": "test",
        "PRIVAAT_SECRET_KEY": TEST_SECRET,
        "PRIVAAT_EXPORT_DIR": str(tmp_path / "exports"),
        variable: company_postgres,
    }
    store = ("--database", f"sqlite:///{tmp_path / 'privaat.sqlite3'}")
    _run(tmp_path, env, "init", "--example", "jensdev")

    # 1. The proposal, from the live schema and sampled values.
    _run(tmp_path, env, "datamap", "generate", company_postgres, "--policy", "jensdev.yaml",
         "-o", "map.yaml")  # fmt: skip
    proposed = (tmp_path / "map.yaml").read_text()
    assert f"url_env: {variable}" in proposed
    assert "password" not in proposed
    assert companydb.PERSON.email not in proposed  # sampled values never reach the file

    # 2. The review: the generator flagged two categories the policy lacks.
    flagged = re.findall(r"category: (user\.[a-z_.]+),[^\n]*review: \1 is not", proposed)
    assert sorted(flagged) == ["user.device.ip_address", "user.id"]
    reviewed = proposed.replace("category: user.id,", "category: user.contact.organization,")
    reviewed = reviewed.replace(
        "category: user.device.ip_address,", "category: user.behavior.browsing_history,"
    )
    (tmp_path / "map.yaml").write_text(reviewed)
    checked = _run(tmp_path, env, "datamap", "check", "map.yaml", "--policy", "jensdev.yaml")
    assert "0 error(s)" in checked

    # 3. Into force, for the organisation.
    _run(tmp_path, env, "org", "create", "jensdev", "--name", "JENSDEV", "--policy",
         "jensdev.yaml", *store)  # fmt: skip
    _run(tmp_path, env, "datamap", "load", "jensdev", "map.yaml", *store)

    def request(kind: str) -> tuple[str, str]:
        filed = _run(tmp_path, env, "request", "file", "jensdev", "--kind", kind, "--email",
                     companydb.PERSON.email, "--language", "nl", *store)  # fmt: skip
        reference = filed.split()[0]
        _run(tmp_path, env, "request", "verify", "jensdev", reference, "--override",
             "--reason", "ID card seen at the desk", *store)  # fmt: skip
        plan = _run(tmp_path, env, "request", "plan", "jensdev", reference, *store)
        return reference, plan

    # 4. Access: the plan, then a complete export.
    reference, plan = request("access")
    assert "clients" in plan
    assert "mention" in plan  # Eva's ticket that mentions Jan
    _run(tmp_path, env, "request", "execute", "jensdev", reference, *store)
    [archive_path] = (tmp_path / "exports").rglob(f"{reference}.zip")
    with zipfile.ZipFile(archive_path) as archive:
        data = "\n".join(
            archive.read(n).decode() for n in archive.namelist() if n.startswith("data/")
        )
        assert "summary.html" in archive.namelist()
    for value in companydb.planted_values():
        assert value in data, value

    # 5. Erasure: the plan shows the hold, the execution proves what is left.
    reference, plan = request("erasure")
    assert re.search(r"invoices\s+hold\s+1\s+until \d{4}-01-01", plan), plan
    assert _row_count(company_postgres, "logins", 1) == 2  # planning changed nothing
    done = _run(tmp_path, env, "request", "execute", "jensdev", reference, *store)
    assert "search after erasure: 0 unexplained hit(s)" in done
    assert _row_count(company_postgres, "logins", 1) == 0
    assert _row_count(company_postgres, "invoices", 1) == 1  # the held invoice
    audit = _run(tmp_path, env, "audit", "verify", *store)
    assert "intact" in audit


def _row_count(url: str, table: str, client_id: int) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.scalar(
            text(f"SELECT count(*) FROM {table} WHERE client_id = :c"), {"c": client_id}
        )
    engine.dispose()
    return int(count or 0)
