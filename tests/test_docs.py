"""Docs that cannot drift: the generated references must match the code (STYLE.md, habit 9)."""

from __future__ import annotations

import re
from pathlib import Path

from privaat.cli import app
from privaat.cli.reference import cli_markdown
from privaat.core.lint.docs import rules_markdown
from privaat.core.policy.reference import reference_markdown

ROOT = Path(__file__).parents[1]
REGENERATE = "regenerate with: {cmd}"


def test_policy_reference_is_current() -> None:
    current = (ROOT / "docs" / "policy-reference.md").read_text(encoding="utf-8")
    assert current == reference_markdown(), REGENERATE.format(
        cmd="privaat policy reference > docs/policy-reference.md"
    )


def test_cli_reference_is_current() -> None:
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == cli_markdown(app), REGENERATE.format(
        cmd="privaat cli-reference > docs/cli.md"
    )


def test_lint_rules_reference_is_current() -> None:
    lint_rules = (ROOT / "docs" / "lint-rules.md").read_text(encoding="utf-8")
    assert lint_rules == rules_markdown(), REGENERATE.format(
        cmd="privaat policy rules > docs/lint-rules.md"
    )


def test_every_model_key_is_documented() -> None:
    from privaat.core.policy.model import Policy

    text = reference_markdown()
    for name in Policy.model_fields:
        assert f"| `{name}` |" in text


def test_readme_quick_start_matches_ci() -> None:
    """The README's test command is exactly what CI runs."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = re.findall(r"```sh\n(python3 -m venv[^\n]+)\n```", readme)
    assert len(commands) == 2, commands
    assert commands[1] in ci


def test_readme_links_resolve() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\((docs/[^)]+)\)", readme):
        assert (ROOT / target).is_file(), target
