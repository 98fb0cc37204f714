"""``privaat datamap ...`` as a user runs it: real processes, real databases, exit codes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from sqlalchemy import make_url

from tests import companydb
from tests.conftest import TEST_SECRET

FIXTURES = Path(__file__).parents[1] / "fixtures"
HAND = FIXTURES / "datamaps" / "company.yaml"
FIDES = FIXTURES / "datamaps" / "fides_shop.yaml"
JENSDEV = Path(__file__).parents[2] / "src" / "privaat" / "examples" / "jensdev.yaml"


def privaat(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PRIVAAT_")}
    environ |= {"PRIVAAT_ENVIRONMENT": "test", "PRIVAAT_SECRET_KEY": TEST_SECRET, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "privaat", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        check=False,
    )


def _connector(url: str) -> str:
    return {"postgresql": "postgresql", "mysql": "mysql"}.get(
        make_url(url).get_backend_name(), "sqlite"
    )


def test_generate_then_check_a_live_database(tmp_path: Path, company_url: str) -> None:
    out = tmp_path / "proposed.yaml"
    generated = privaat(tmp_path, "datamap", "generate", company_url, "-o", str(out))
    assert generated.returncode == 0, generated.stderr
    assert "proposed 12 table(s)" in generated.stderr
    text = out.read_text(encoding="utf-8")
    assert "guessed: true" in text
    for value in companydb.planted_values():
        assert value not in text
        assert value not in generated.stderr
    env_name = next(
        row.split(":", 1)[1].split("#")[0].strip()
        for row in text.splitlines()
        if row.strip().startswith("url_env:")
    )
    checked = privaat(tmp_path, "datamap", "check", str(out), env={env_name: company_url})
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Traceback" not in checked.stderr


def test_generate_with_a_policy_flags_what_the_policy_lacks(
    tmp_path: Path, company_url: str
) -> None:
    result = privaat(
        tmp_path, "datamap", "generate", company_url, "--policy", str(JENSDEV), "--sample", "50"
    )
    assert result.returncode == 0, result.stderr
    assert "review: user.device.ip_address is not a category of the policy" in result.stdout
    checked_file = tmp_path / "m.yaml"
    checked_file.write_text(result.stdout, encoding="utf-8")
    check = privaat(tmp_path, "datamap", "check", str(checked_file), "--policy", str(JENSDEV))
    assert check.returncode == 1
    assert f"{checked_file}:" in check.stdout
    assert "data category 'user.device.ip_address' is not a category of the policy" in check.stdout


def test_check_the_hand_written_map(tmp_path: Path, company_url: str) -> None:
    source = HAND.read_text(encoding="utf-8").replace(
        "connector: sqlite", f"connector: {_connector(company_url)}"
    )
    good = tmp_path / "company.yaml"
    good.write_text(source, encoding="utf-8")
    env = {"COMPANY_DATABASE_URL": company_url}
    clean = privaat(tmp_path, "datamap", "check", str(good), "--policy", str(JENSDEV), env=env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(source.replace("- name: logins", "- name: login"), encoding="utf-8")
    failed = privaat(tmp_path, "datamap", "check", str(bad), env=env)
    assert failed.returncode == 1
    line = next(r for r in failed.stdout.splitlines() if "DM101" in r)
    assert line.startswith(f"{bad}:")
    assert ": error DM101: table 'login' does not exist in the database" in line
    assert "    fix: did you mean 'logins'?" in failed.stdout
    as_json = privaat(tmp_path, "datamap", "check", str(bad), "--format", "json", env=env)
    payload = json.loads(as_json.stdout)
    assert payload["summary"]["errors"] == 1
    assert payload["findings"][0]["code"] == "DM101"


def test_check_reports_schema_errors_and_unreadable_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        HAND.read_text(encoding="utf-8").replace("identity: email}", "identity: mail}", 1)
    )
    result = privaat(tmp_path, "datamap", "check", str(bad))
    assert result.returncode == 1
    assert result.stdout.startswith(f"{bad}:14:39: error: ")
    assert "'mail' is not allowed; did you mean 'email'?" in result.stdout
    assert "1 schema error;" in result.stdout
    assert "Traceback" not in result.stderr
    missing = privaat(tmp_path, "datamap", "check", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2
    assert "no such file" in missing.stderr
    unset = privaat(tmp_path, "datamap", "check", str(HAND))
    assert unset.returncode == 1
    assert "DM001" in unset.stdout


def test_generate_refuses_bad_urls_in_one_line(tmp_path: Path) -> None:
    result = privaat(tmp_path, "datamap", "generate", "postgresql+psycopg://u:s3cret@127.0.0.1:1/x")
    assert result.returncode == 2
    assert "s3cret" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: cannot read the database")
    empty = tmp_path / "empty.sqlite3"
    with closing(sqlite3.connect(empty)) as conn:
        conn.execute("CREATE TABLE settings (k TEXT PRIMARY KEY, v TEXT)")
        conn.commit()
    nothing = privaat(tmp_path, "datamap", "generate", f"sqlite:///{empty}")
    assert nothing.returncode == 2
    assert "found no table that holds personal data" in nothing.stderr
    nonsense = privaat(tmp_path, "datamap", "generate", "not a url")
    assert nonsense.returncode == 2
    assert "not a database URL" in nonsense.stderr


def test_import_fides(tmp_path: Path) -> None:
    out = tmp_path / "from_fides.yaml"
    result = privaat(tmp_path, "datamap", "import-fides", str(FIDES), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "converted 6 collection(s) in 1 store(s)" in result.stderr
    assert "person: true" in out.read_text(encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("dataset:\n  - fides_key: x\n    collections: 3\n", encoding="utf-8")
    failed = privaat(tmp_path, "datamap", "import-fides", str(broken))
    assert failed.returncode == 1
    assert failed.stderr.startswith(f"{broken}:3:")


def test_load_and_show_a_map_for_an_organisation(tmp_path: Path) -> None:
    db = ("--database", f"sqlite:///{tmp_path / 'privaat.sqlite3'}")
    created = privaat(
        tmp_path, "org", "create", "jensdev", "--name", "JENSDEV", "--example", "jensdev", *db
    )
    assert created.returncode == 0, created.stderr
    nothing = privaat(tmp_path, "datamap", "show", "jensdev", *db)
    assert nothing.returncode == 1
    assert "has no data map yet" in nothing.stderr
    loaded = privaat(tmp_path, "datamap", "load", "jensdev", str(HAND), *db)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "loaded data map version 1 for jensdev (10 table(s))"
    again = privaat(tmp_path, "datamap", "load", "jensdev", str(HAND), *db)
    assert "version 2" in again.stdout
    shown = privaat(tmp_path, "datamap", "show", "jensdev", *db)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == HAND.read_text(encoding="utf-8")
    assert shown.stderr.startswith("data map version 2, loaded ")
    bad = tmp_path / "bad.yaml"
    bad.write_text(HAND.read_text(encoding="utf-8").replace("user.name", "user.nam", 1))
    refused = privaat(tmp_path, "datamap", "load", "jensdev", str(bad), *db)
    assert refused.returncode == 1
    assert f"{bad}:" in refused.stderr
    assert "not a category of the policy" in refused.stderr
    unknown = privaat(tmp_path, "datamap", "load", "nobody", str(HAND), *db)
    assert unknown.returncode == 1
    assert "no organisation 'nobody'" in unknown.stderr
