"""The privaat command as a user runs it: real processes, real files, exit codes and output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parents[1] / "fixtures" / "minimal.yaml"


def privaat(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "privaat", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_check_clean_policy_exits_0() -> None:
    result = privaat("policy", "check", str(FIXTURE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "clean" in result.stdout


def test_check_schema_errors_exit_1_with_positions(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        FIXTURE.read_text()
        .replace("purposes: [service]", "purposes: [nope]")
        .replace("legal_basis: contract", "legal_basis: contrct")
    )
    result = privaat("policy", "check", str(bad))
    assert result.returncode == 1
    assert f"{bad}:" in result.stdout
    assert "legal_basis" in result.stdout
    assert "Traceback" not in result.stderr


def test_check_lint_error_exit_1_with_code_and_fix(tmp_path: Path) -> None:
    bad = tmp_path / "nobasis.yaml"
    bad.write_text(FIXTURE.read_text().replace("legal_basis: contract", "legal_basis: []"))
    result = privaat("policy", "check", str(bad))
    assert result.returncode == 1
    line = next(row for row in result.stdout.splitlines() if "PV101" in row)
    assert line.startswith(f"{bad}:")
    assert ": error PV101: " in line
    assert "    fix: " in result.stdout


def test_check_json_format(tmp_path: Path) -> None:
    bad = tmp_path / "nobasis.yaml"
    bad.write_text(FIXTURE.read_text().replace("legal_basis: contract", "legal_basis: []"))
    result = privaat("policy", "check", str(bad), "--format", "json")
    payload = json.loads(result.stdout)
    assert payload["valid"] is True
    codes = {f["code"] for f in payload["findings"]}
    assert "PV101" in codes
    finding = next(f for f in payload["findings"] if f["code"] == "PV101")
    assert {"line", "column", "severity", "message", "fix"} <= finding.keys()
    assert payload["summary"]["errors"] >= 1


def test_check_json_schema_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(FIXTURE.read_text().replace("jurisdiction: BE", "jurisdiction: 12"))
    result = privaat("policy", "check", str(bad), "--format", "json")
    assert result.returncode == 1
    payload = json.loads(result.stdout)
    assert payload["valid"] is False
    assert payload["schema_errors"][0]["line"] == 4


@pytest.mark.parametrize(
    "content",
    [b"privaat: [1\n", b"\xff\xfe bad bytes", b"a: b\na: c\n"],
    ids=["malformed-yaml", "not-utf8", "duplicate-key"],
)
def test_unreadable_input_exits_2_with_one_line(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(content)
    result = privaat("policy", "check", str(bad))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{bad}:")
    assert "Traceback" not in result.stderr


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = privaat("policy", "check", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert "no such file" in result.stderr


def test_unsupported_language_exits_2() -> None:
    result = privaat("policy", "render", str(FIXTURE), "--lang", "de")
    assert result.returncode == 2
    assert "'de' is not one of" in result.stderr
    assert "Traceback" not in result.stderr


def test_init_writes_example_and_refuses_overwrite(tmp_path: Path) -> None:
    first = privaat("init", "--example", "jsm", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    written = tmp_path / "jsm.yaml"
    assert "JSM" in written.read_text(encoding="utf-8")
    again = privaat("init", "--example", "jsm", cwd=tmp_path)
    assert again.returncode == 2
    assert "--force" in again.stderr
    check = privaat("policy", "check", str(written))
    assert check.returncode in (0, 1)
    assert "schema error" not in check.stdout


def test_init_unknown_example_exits_2(tmp_path: Path) -> None:
    result = privaat("init", "--example", "acme", cwd=tmp_path)
    assert result.returncode == 2
    assert "choose one of: jetstax" in result.stderr


def test_version() -> None:
    result = privaat("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("privaat ")


def test_render_writes_html_file(tmp_path: Path) -> None:
    target = tmp_path / "privacy.fr.html"
    result = privaat(
        "policy", "render", str(FIXTURE), "--lang", "fr", "--format", "html", "-o", str(target)
    )
    assert result.returncode == 0, result.stderr
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="fr"' in page
    assert "Voorbeeld BV" in page


def test_render_refuses_language_the_policy_does_not_publish(tmp_path: Path) -> None:
    nl_only = tmp_path / "nl.yaml"
    nl_only.write_text(FIXTURE.read_text().replace("languages: [nl, en, fr]", "languages: [nl]"))
    result = privaat("policy", "render", str(nl_only), "--lang", "fr")
    assert result.returncode == 2
    assert "published in nl, not fr" in result.stderr


def test_render_refuses_invalid_policy(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(FIXTURE.read_text().replace("purposes: [service]", "purposes: [nope]"))
    result = privaat("policy", "render", str(bad))
    assert result.returncode == 1
    assert "unknown purpose 'nope'" in result.stderr
    assert result.stdout == ""


def test_ropa_xlsx_and_json(tmp_path: Path) -> None:
    import openpyxl

    xlsx = tmp_path / "register.xlsx"
    result = privaat("policy", "ropa", str(FIXTURE), "--format", "xlsx", "-o", str(xlsx))
    assert result.returncode == 0, result.stderr
    book = openpyxl.load_workbook(xlsx)
    assert "Controller records" in book.sheetnames
    as_json = privaat("policy", "ropa", str(FIXTURE), "--format", "json", "--lang", "en")
    payload = json.loads(as_json.stdout)
    assert payload["controller_records"]


def test_diff_reports_reconsent(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    new = tmp_path / "new.yaml"
    base = FIXTURE.read_text()
    consent = (
        "  - id: news\n"
        "    name: {nl: Nieuwsbrief, en: Newsletter, fr: Lettre}\n"
        "    legal_basis: consent\n"
        "    consent:\n"
        "      mechanism: {nl: Vakje, en: Box, fr: Case}\n"
        "      withdrawal: {nl: Link, en: Link, fr: Lien}\n"
    )
    old_text = base.replace("activities:\n", consent + "activities:\n").replace(
        "purposes: [service]", "purposes: [service, news]"
    )
    old.write_text(old_text)
    new.write_text(old_text.replace("Nieuwsbrief, en: Newsletter", "Nieuwsbrief+, en: Newsletter+"))
    text = privaat("policy", "diff", str(old), str(new))
    assert text.returncode == 0, text.stderr
    assert "RE-CONSENT NEEDED" in text.stdout
    as_json = privaat("policy", "diff", str(old), str(new), "--format", "json")
    assert json.loads(as_json.stdout)


def test_demo_publishes_everything(tmp_path: Path) -> None:
    result = privaat("demo", "--example", "sendtex", "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    for lang in ("nl", "en", "fr"):
        assert "Sendtex" in (out / f"notice.{lang}.html").read_text(encoding="utf-8")
        assert (out / f"notice.{lang}.md").stat().st_size > 1000
    for fmt in ("csv", "xlsx", "json", "jsonld"):
        assert (out / f"ropa.{fmt}").stat().st_size > 100
    assert "PV803" in result.stdout


def test_check_lists_errors_first_then_in_file_order() -> None:
    example = Path(__file__).parents[2] / "src" / "privaat" / "examples" / "jsm.yaml"
    result = privaat("policy", "check", str(example), "--format", "json")
    rows = json.loads(result.stdout)["findings"]
    rank = {"error": 0, "warning": 1, "info": 2}
    keys = [(rank[r["severity"]], r["line"], r["column"]) for r in rows]
    assert keys == sorted(keys)
    assert result.returncode == 1


def test_closed_pipe_ends_quietly() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "privaat", "policy", "schema"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # the reader goes away before privaat writes anything
    _, err = proc.communicate()
    assert b"Traceback" not in err
    assert b"BrokenPipeError" not in err
    assert proc.returncode != 0
