"""``privaat org``, ``privaat staff`` and ``privaat token`` as an operator runs them: real
processes on a SQLite file, then the API on the same file takes what they printed."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from privaat.api import create_app
from privaat.core.clock import SystemClock
from privaat.engine import staff
from privaat.settings import Settings
from tests.api.staffing import PASSWORD
from tests.conftest import TEST_SECRET, bearer


@pytest.fixture
def database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'privaat.sqlite3'}"


def privaat(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIVAAT_")}
    env |= {"PRIVAAT_ENVIRONMENT": "test", "PRIVAAT_SECRET_KEY": TEST_SECRET}
    return subprocess.run(
        [sys.executable, "-m", "privaat", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
    )


def api(database: str) -> TestClient:
    settings = Settings(
        environment="test", database_url=database, secret_key=TEST_SECRET, auth_cache_seconds=0
    )
    return TestClient(create_app(settings))


def test_an_operator_sets_up_an_organisation_staff_and_a_token(
    tmp_path: Path, database: str
) -> None:
    db = ("--database", database)
    created = privaat(
        tmp_path, "org", "create", "jetstax", "--name", "Jetstax BV", "--example", "jetstax", *db
    )
    assert created.returncode == 0, created.stderr
    assert "created organisation jetstax with policy version 1" in created.stdout
    bare = privaat(tmp_path, "org", "create", "acme", "--name", "Acme", *db)
    assert bare.returncode == 0, bare.stderr
    listed = privaat(tmp_path, "org", "list", *db)
    assert listed.stdout.splitlines()[0].split()[:2] == ["acme", "-"]
    assert listed.stdout.splitlines()[1].split()[:2] == ["jetstax", "v1"]

    added = privaat(
        tmp_path, "staff", "add", "Ann@Example.com", "--org", "jetstax", "--role", "admin", *db
    )
    assert added.returncode == 0, added.stderr
    setup_token = added.stdout.strip()
    assert setup_token.startswith("pvt_")
    assert len(added.stdout.splitlines()) == 1  # the secret alone on standard output
    assert setup_token not in added.stderr
    assert "is admin in jetstax" in added.stderr

    members = privaat(tmp_path, "staff", "list", "--org", "jetstax", *db)
    assert members.stdout.split()[:4] == ["1", "admin", "pending", "ann@example.com"]

    issued = privaat(
        tmp_path,
        "token",
        "create",
        "--org",
        "jetstax",
        "--name",
        "webshop",
        "--scope",
        "consent:check",
        "--scope",
        "policy:read",
        "--days",
        "10",
        *db,
    )
    assert issued.returncode == 0, issued.stderr
    api_token = issued.stdout.strip()
    assert api_token not in issued.stderr
    token_id = issued.stderr.split("token:")[1].split()[0]

    with api(database) as client:
        # The setup token from the CLI enrols Ann through the API.
        setup = client.post(
            "/api/v1/auth/setup", json={"setup_token": setup_token, "password": PASSWORD}
        )
        assert setup.status_code == 200, setup.text
        assert setup.json()["staff_id"] == 1
        me = client.get("/api/v1/auth/me", headers=bearer(api_token)).json()
        assert me["grants"] == [
            {"org": "jetstax", "role": None, "scopes": ["consent:check", "policy:read"]}
        ]

        tokens = privaat(tmp_path, "token", "list", "--org", "jetstax", *db)
        assert tokens.stdout.split()[:2] == [token_id, "active"]
        assert api_token not in tokens.stdout
        revoked = privaat(tmp_path, "token", "revoke", token_id, "--org", "jetstax", *db)
        assert revoked.returncode == 0, revoked.stderr
        assert client.get("/api/v1/auth/me", headers=bearer(api_token)).status_code == 401

        # Ann lost her phone: the operator starts her enrolment over.
        reset = privaat(tmp_path, "staff", "reset", "ann@example.com", *db)
        assert reset.returncode == 0, reset.stderr
        again = client.post(
            "/api/v1/auth/setup",
            json={"setup_token": reset.stdout.strip(), "password": PASSWORD},
        )
        assert again.status_code == 200
        assert again.json()["totp_secret"] != setup.json()["totp_secret"]
        code = staff.current_code(again.json()["totp_secret"], SystemClock().now())
        confirmed = client.post(
            "/api/v1/auth/setup/confirm",
            json={"setup_token": reset.stdout.strip(), "code": code},
        )
        assert confirmed.status_code == 204


def test_operator_mistakes_are_one_line_and_an_exit_code(tmp_path: Path, database: str) -> None:
    policy = tmp_path / "broken.yaml"
    policy.write_text("version: 1\nnot: [a policy\n", encoding="utf-8")
    cases = [
        ("org create jetstax --name J --example jetstax", 0, ""),
        ("org create jetstax --name J", 1, "exists already"),
        (f"org create x1 --name X --policy {policy}", 2, "broken.yaml:"),
        (f"org create x2 --name X --policy {policy} --example jetstax", 2, "not both"),
        ("staff add a@example.com --org nope --role admin", 1, "no organisation"),
        ("staff add a@example.com --org jetstax --role boss", 2, "boss"),
        ("staff add not-an-address --org jetstax --role admin", 1, "e-mail"),
        ("token create --org jetstax --name x --scope root", 2, "root"),
        ("token create --org jetstax --name x --days 3651", 2, "3650"),
        ("token revoke 999 --org jetstax", 1, "no API token 999"),
    ]
    for args, code, text in cases:
        result = privaat(tmp_path, *shlex.split(args), "--database", database)
        assert result.returncode == code, (args, result.stderr)
        assert text in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    # The refused policy left no organisation behind.
    listed = privaat(tmp_path, "org", "list", "--database", database)
    assert [line.split()[0] for line in listed.stdout.splitlines()] == ["jetstax"]
