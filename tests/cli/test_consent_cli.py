"""``privaat consent import`` and ``expire`` as a user runs them: real processes and stores."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from privaat.core.clock import FrozenClock
from privaat.engine import consent, orgs, subjects
from privaat.engine.orgs import PolicyCache
from privaat.store.db import Store
from privaat.store.models import ConsentEvent, Organisation
from tests.engine.variants import NEWSLETTER_EXPIRES, jetstax_with

LIST = """\
email,purpose,status,occurred_at
an@example.be,newsletter,given,2024-03-01
not-an-address,newsletter,given,2024-03-01
jan@example.be,direct_marketing,objected,2024-03-02T10:00:00Z
jan@example.be,newsletter,sometimes,2024-03-02
"""


def privaat(database_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "privaat", "consent", *args, "--database", database_url],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def events(store: Store) -> int:
    with store.reading() as session:
        return int(session.scalar(select(func.count()).select_from(ConsentEvent)) or 0)


def test_import_reports_bad_rows_and_imports_the_good_ones(
    store: Store, org: Organisation, database_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "list.csv"
    file.write_text(LIST, encoding="utf-8")
    args = ("import", str(file), "--org", "jetstax", "--source", "Mailchimp export 2024-05-01")
    result = privaat(database_url, tmp_path, *args)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{file}:3: email: not a valid e-mail address")
    assert lines[1] == f"{file}:5: status: must be given, withdrawn or objected"
    assert lines[2] == f"{file}: 2 imported, 0 already there, 2 failed (4 rows)"
    assert "Traceback" not in result.stderr
    assert events(store) == 2

    good = tmp_path / "good.csv"
    good.write_text("\n".join(LIST.splitlines()[:2]) + "\n", encoding="utf-8")
    again = privaat(
        database_url, tmp_path, "import", str(good), "--org", "jetstax", "--source", "x"
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.strip() == f"{good}: 0 imported, 1 already there, 0 failed (1 rows)"
    assert events(store) == 2


def test_import_of_an_unusable_file(
    store: Store, org: Organisation, database_url: str, tmp_path: Path
) -> None:
    missing = privaat(
        database_url, tmp_path, "import", "nope.csv", "--org", "jetstax", "--source", "x"
    )
    assert missing.returncode == 2
    assert "nope.csv:1:1: error: no such file" in missing.stderr

    latin = tmp_path / "latin.csv"
    latin.write_bytes("email,purpose,status,occurred_at\nrené@x.be,a,b,c\n".encode("latin-1"))
    unreadable = privaat(
        database_url, tmp_path, "import", str(latin), "--org", "jetstax", "--source", "x"
    )
    assert unreadable.returncode == 2
    assert f"{latin}:2:" in unreadable.stderr
    assert "UTF-8" in unreadable.stderr

    header = tmp_path / "header.csv"
    header.write_text("emial,purpose,status,occurred_at\n", encoding="utf-8")
    wrong = privaat(
        database_url, tmp_path, "import", str(header), "--org", "jetstax", "--source", "x"
    )
    assert wrong.returncode == 1
    assert f"{header}:1: emial: unknown column 'emial'; did you mean 'email'?" in wrong.stdout

    nobody = privaat(
        database_url, tmp_path, "import", str(header), "--org", "nope", "--source", "x"
    )
    assert nobody.returncode == 1
    assert "no organisation 'nope'" in nobody.stderr
    assert events(store) == 0


def test_expire_records_lapsed_consents(
    store: Store, org: Organisation, clock: FrozenClock, database_url: str, tmp_path: Path
) -> None:
    now = dt.datetime.now(dt.UTC)
    with store.transaction() as session:
        current = session.get(Organisation, org.id)
        assert current is not None
        orgs.load_version(
            session, current, jetstax_with(NEWSLETTER_EXPIRES), now=clock.now(), actor="cli"
        )
        sid = subjects.ensure(
            session, org.id, subjects.IdentityKind.EMAIL, "an@example.be", now=now, actor="cli"
        )
        consent.record(
            session,
            org=current,
            subject_id=sid,
            purpose="newsletter",
            kind=consent.EventKind.GIVEN,
            proof=consent.Proof(consent.Channel.STAFF, now - dt.timedelta(days=800)),
            actor="cli",
            now=now,
            policies=PolicyCache(),
        )
    result = privaat(database_url, tmp_path, "expire", "--org", "jetstax")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1 consent expired"
    again = privaat(database_url, tmp_path, "expire", "--org", "jetstax")
    assert again.stdout.strip() == "0 consents expired"
