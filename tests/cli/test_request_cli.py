"""``privaat request`` and ``privaat outbox`` as an operator runs them: real processes, real
stores (SQLite and PostgreSQL), a real SMTP server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from privaat.core.clock import FrozenClock
from privaat.engine import subjects
from privaat.engine.subjects import IdentityKind
from privaat.store.db import Store
from privaat.store.models import Organisation, OutboxMessage, RightsRequest
from tests.conftest import TEST_SECRET
from tests.engine.rights.smtp import smtp_server


def privaat(
    database_url: str, cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PRIVAAT_")}
    clean |= {"PRIVAAT_ENVIRONMENT": "test", "PRIVAAT_SECRET_KEY": TEST_SECRET, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "privaat", *args, "--database", database_url],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean,
        check=False,
    )


def reference_of(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[0]


def code_mailed(store: Store) -> str:
    with store.reading() as session:
        body = (
            session.execute(
                select(OutboxMessage.body)
                .where(OutboxMessage.kind == "verification_code")
                .order_by(OutboxMessage.id.desc())
            )
            .scalars()
            .first()
        )
    assert body is not None
    found = re.search(r"^    (\d{6})$", body, re.MULTILINE)
    assert found
    return found.group(1)


def test_a_request_from_filing_to_verified_and_delivered(
    store: Store, org: Organisation, database_url: str, tmp_path: Path
) -> None:
    db = database_url
    filed = privaat(
        db,
        tmp_path,
        "request",
        "file",
        "jetstax",
        "--kind",
        "erasure",
        "--email",
        "An@Example.be",
        "--language",
        "fr",
    )
    ref = reference_of(filed)
    assert re.fullmatch(
        r"[A-Za-z0-9_-]{22}  erasure +received  due 2\d{3}-\d\d-\d\d .*", filed.stdout.strip()
    )

    shown = privaat(db, tmp_path, "request", "show", "jetstax", ref)
    assert shown.returncode == 0, shown.stderr
    assert "identity: email an@example.be" in shown.stdout
    assert "message 1: acknowledgement (fr) queued" in shown.stdout

    sent = privaat(db, tmp_path, "request", "verify", "jetstax", ref, "--send", "code")
    assert sent.returncode == 0, sent.stderr
    assert "code queued for the person" in sent.stdout
    code = code_mailed(store)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = privaat(db, tmp_path, "request", "verify", "jetstax", ref, "--code", wrong)
    assert refused.returncode == 1
    assert refused.stderr.strip().startswith("error: the code is wrong")
    assert "Traceback" not in refused.stderr
    verified = privaat(db, tmp_path, "request", "verify", "jetstax", ref, "--code", code)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.strip() == f"{ref}: verified"

    with smtp_server() as (inbox, port, _tls):
        env = {"PRIVAAT_SMTP_URL": f"smtp://127.0.0.1:{port}", "PRIVAAT_MAIL_FROM": "p@x.example"}
        delivered = privaat(db, tmp_path, "outbox", "send", env=env)
        outcome = delivered.stdout + delivered.stderr
        assert delivered.returncode == 0, outcome
        assert delivered.stdout.strip() == "2 sent, 0 failed, 0 waiting", outcome
        assert [to for to, _m in inbox.received] == [["an@example.be"], ["an@example.be"]]
        assert inbox.received[0][1]["Subject"] == "Accusé de réception de votre demande"
    assert "an@example.be" not in delivered.stdout + delivered.stderr

    listed = privaat(db, tmp_path, "request", "list", "jetstax", "--status", "verified")
    assert listed.stdout.split()[0] == ref


def test_override_extend_reject_and_the_lists(
    store: Store, org: Organisation, clock: FrozenClock, database_url: str, tmp_path: Path
) -> None:
    db = database_url
    with store.transaction() as session:
        subjects.ensure(
            session, org.id, IdentityKind.CUSTOMER_NUMBER, "C-9", now=clock.now(), actor="cli"
        )
    filed = privaat(
        db,
        tmp_path,
        "request",
        "file",
        "jetstax",
        "--kind",
        "objection",
        "--customer-number",
        "C-9",
        "--detail",
        "purpose=direct_marketing,statistics",
    )
    ref = reference_of(filed)
    assert "no e-mail address known" in filed.stderr
    with store.reading() as session:
        row = session.execute(select(RightsRequest)).scalar_one()
    assert row.details == '{"purposes": ["direct_marketing", "statistics"]}'
    assert row.subject_id is not None

    no_mail = privaat(db, tmp_path, "request", "verify", "jetstax", ref, "--send", "code")
    assert no_mail.returncode == 1
    assert "staff override" in no_mail.stderr
    misuse = privaat(db, tmp_path, "request", "verify", "jetstax", ref, "--override")
    assert misuse.returncode == 2
    assert "--override needs --reason" in misuse.stderr
    override = privaat(
        db, tmp_path, "request", "verify", "jetstax", ref, "--override", "--reason", "called back"
    )
    assert override.returncode == 0, override.stderr

    extended = privaat(
        db,
        tmp_path,
        "request",
        "extend",
        "jetstax",
        ref,
        "--months",
        "2",
        "--reason",
        "six systems",
    )
    assert extended.returncode == 0, extended.stderr
    assert "(extended)" in extended.stdout
    again = privaat(
        db, tmp_path, "request", "extend", "jetstax", ref, "--months", "1", "--reason", "more"
    )
    assert again.returncode == 1
    assert again.stderr.strip() == (
        "error: the request has been extended already (an extension is decided once)"
    )

    soon = privaat(db, tmp_path, "request", "list", "jetstax", "--due-within", "7")
    assert soon.stdout == ""  # due in three months
    assert "no requests" in soon.stderr
    everything = privaat(db, tmp_path, "request", "list", "jetstax")
    assert everything.stdout.split()[0] == ref

    rejected = privaat(db, tmp_path, "request", "reject", "jetstax", ref, "--reason", "unfounded")
    assert rejected.returncode == 0, rejected.stderr
    assert " rejected " in rejected.stdout
    closed = privaat(db, tmp_path, "request", "cancel", "jetstax", ref, "--reason", "x")
    assert closed.returncode == 1
    assert "a request that is rejected cannot become cancelled" in closed.stderr


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_mistakes_are_one_line(
    store: Store, org: Organisation, database_url: str, tmp_path: Path
) -> None:
    db = database_url
    cases = [
        (("request", "file", "jetstax", "--kind", "access"), 2, "exactly one of --email"),
        (("request", "file", "jetstax", "--kind", "access", "--email", "nope"), 1, "e-mail"),
        (
            ("request", "file", "nobody", "--kind", "access", "--email", "a@b.be"),
            1,
            "no organisation 'nobody'",
        ),
        (("request", "show", "jetstax", "x" * 22), 1, "no request with this reference"),
        (
            (
                "request",
                "file",
                "jetstax",
                "--kind",
                "access",
                "--email",
                "a@b.be",
                "--detail",
                "x",
            ),
            2,
            "KEY=VALUE",
        ),
        (("outbox", "send"), 2, "PRIVAAT_SMTP_URL is not set"),
    ]
    for args, code, message in cases:
        result = privaat(db, tmp_path, *args)
        assert result.returncode == code, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
