"""`privaat policy render` writes the notice, as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .helpers import FIXTURES, parse_html


def test_render_rich_policy_in_french_html() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "privaat",
            "policy",
            "render",
            str(FIXTURES / "rich.yaml"),
            "--lang",
            "fr",
            "--format",
            "html",
        ],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    html = result.stdout.decode("utf-8")
    page = parse_html(html)
    assert page.find("html")[0].attrs["lang"] == "fr"
    assert "Déclaration de confidentialité de Nimbus Hosting" in page.text


def test_render_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "notice.md"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "privaat",
            "policy",
            "render",
            str(FIXTURES / "minimal.yaml"),
            "--format",
            "md",
            "-o",
            str(out),
        ],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert out.read_text(encoding="utf-8").startswith("# Privacyverklaring van Voorbeeld BV\n")
