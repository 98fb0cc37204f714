"""Docs that cannot drift: the generated references must match the code (STYLE.md, habit 9)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema

from privaat.cli import app
from privaat.cli.reference import cli_markdown
from privaat.core.lint.docs import rules_markdown
from privaat.core.policy.reference import json_schema, reference_markdown
from privaat.core.yamlsource import parse
from privaat.settings import Settings, settings_markdown

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


def test_settings_reference_is_current() -> None:
    current = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert current == settings_markdown(), REGENERATE.format(
        cmd="privaat settings-reference > docs/settings.md"
    )


def test_every_setting_is_described() -> None:
    undocumented = [n for n, f in Settings.model_fields.items() if not f.description]
    assert not undocumented


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


def test_json_schema_is_current() -> None:
    current = json.loads((ROOT / "docs" / "policy.schema.json").read_text(encoding="utf-8"))
    assert current == json_schema(), REGENERATE.format(
        cmd="privaat policy schema > docs/policy.schema.json"
    )


def _as_json(data: Any) -> Any:
    return json.loads(json.dumps(data, default=str))


def test_every_example_and_fixture_matches_the_json_schema() -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    files = [
        *(ROOT / "src" / "privaat" / "examples").glob("*.yaml"),
        *(ROOT / "tests" / "fixtures").glob("*.yaml"),
    ]
    assert len(files) >= 8
    for path in files:
        data = _as_json(parse(path.read_text(encoding="utf-8"), str(path)).data)
        errors = [e.message for e in validator.iter_errors(data)]
        assert errors == [], (path.name, errors[:3])


def test_json_schema_refuses_what_the_loader_refuses() -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    fixture = ROOT / "tests" / "fixtures" / "minimal.yaml"
    data = _as_json(parse(fixture.read_text(encoding="utf-8"), "m").data)
    data["controller"]["colour"] = "blue"
    data["retention"][0]["maximum"] = "three years"
    data["purposes"][0]["legal_basis"] = "vibes"
    assert len(list(validator.iter_errors(data))) == 3
