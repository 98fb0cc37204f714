"""The issue's definition of done, as a newcomer lives it, with real processes.

Run ``privaat serve --demo``, open /docs, record and withdraw a consent, see its proof;
``privaat audit verify`` passes, and fails once the database is edited by hand.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx2 as httpx

from tests.servers import serving


def privaat(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "privaat", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_demo_records_consent_with_proof_and_the_audit_trail_proves_it(
    tmp_path: Path,
) -> None:
    with serving("--demo", cwd=tmp_path) as server:
        log = server.log()
        token = re.search(r"API token\s+(pvt_\S+)", log)
        assert token, log
        headers = {"Authorization": f"Bearer {token.group(1)}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
            assert client.get("/docs").status_code == 200
            assert "/api/v1/orgs/{org}/consents" in client.get("/openapi.json").json()["paths"]

            given = client.post(
                "/api/v1/orgs/jetstax/consents",
                json={
                    "email": "newcomer@example.org",
                    "purpose": "newsletter",
                    "action": "given",
                    "ip": "203.0.113.77",
                    "user_agent": "Mozilla/5.0",
                    "language": "nl",
                },
            )
            assert given.status_code == 201, given.text
            check = client.get(
                "/api/v1/orgs/jetstax/consent",
                params={"purpose": "newsletter", "email": "newcomer@example.org"},
            ).json()
            assert check["allowed"] is True

            withdrawn = client.post(
                "/api/v1/orgs/jetstax/consents",
                json={
                    "email": "newcomer@example.org",
                    "purpose": "newsletter",
                    "action": "withdrawn",
                },
            )
            assert withdrawn.status_code == 201
            check = client.get(
                "/api/v1/orgs/jetstax/consent",
                params={"purpose": "newsletter", "email": "newcomer@example.org"},
            ).json()
            assert (check["allowed"], check["state"]) == (False, "withdrawn")

            subject = given.json()["subject_id"]
            ledger = client.get(f"/api/v1/orgs/jetstax/subjects/{subject}/consents").json()
            proof = ledger["history"][0]["proof"]
            assert proof["ip"] == "203.0.113.0"  # truncated before storage
            assert proof["user_agent"] == "Mozilla/5.0"
            assert re.fullmatch(r"[0-9a-f]{64}", proof["notice_sha256"])
            assert proof["policy_version"] == 1
            assert [e["kind"] for e in ledger["history"]] == ["given", "withdrawn"]

            # the links privaat hands out point at the server that made them
            link = client.post(
                "/api/v1/orgs/jetstax/consents/double-opt-in",
                json={"email": "later@example.org", "purpose": "newsletter", "language": "fr"},
            ).json()["confirmation_url"]
            assert link.startswith(f"{server.url}/p/jetstax/confirm/")
            page = httpx.get(link, headers={"Accept": "text/html"})
            assert page.status_code == 200
            assert 'lang="fr"' in page.text

    database = tmp_path / "privaat-demo" / "privaat.sqlite3"
    url = f"sqlite:///{database}"
    verified = privaat("audit", "verify", "--database", url, cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert re.search(r"chain jetstax: \d+ entries, intact", verified.stdout), verified.stdout

    with sqlite3.connect(database) as conn:  # someone edits the trail by hand
        conn.execute("UPDATE audit_entry SET actor = 'staff:99' WHERE seq = 3 AND chain > 0")
    broken = privaat("audit", "verify", "--database", url, cwd=tmp_path)
    assert broken.returncode == 1
    assert "broken at seq 3 (changed)" in broken.stdout
