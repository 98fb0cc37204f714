"""Policies for lint tests: the clean minimal fixture, edited as plain data, then loaded.

A test edits ``data`` (the fixture as a dict, fresh for each test) and calls ``hits(code)``,
which dumps the data (JSON is valid YAML), loads it through ``load_policy`` (so every edit
must still be a valid policy) and returns the findings of that rule.
"""

from __future__ import annotations

import copy
import json
import typing
from collections.abc import Callable
from pathlib import Path as FilePath
from typing import Any

import pytest
from pydantic import BaseModel

from privaat.core.lint import Finding, lint
from privaat.core.policy import Policy, load_policy
from privaat.core.yamlsource import Path, parse

FIXTURE = FilePath(__file__).parents[2] / "fixtures" / "minimal.yaml"
_BASE: dict[str, Any] = parse(FIXTURE.read_text(encoding="utf-8"), str(FIXTURE)).data


def build(data: dict[str, Any]) -> Policy:
    """Load edited policy data as a policy file would be loaded."""
    return load_policy(json.dumps(data, default=str), "policy.yaml").policy


def _model_in(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def in_schema(path: Path) -> bool:
    """True when every step of `path` is a field or list index the policy schema has."""
    model: type[BaseModel] | None = Policy
    in_list = False
    for part in path:
        if isinstance(part, int):
            if not in_list:
                return False
            in_list = False
            continue
        if model is None or in_list or part not in model.model_fields:
            return False
        annotation = model.model_fields[part].annotation
        in_list = typing.get_origin(annotation) is list
        model = _model_in(typing.get_args(annotation)[0] if in_list else annotation)
    return True


def check_finding(finding: Finding) -> None:
    """What every finding owes its reader: a real place, a message, a one-line fix."""
    assert in_schema(finding.path), finding
    assert finding.message, finding
    assert finding.fix, finding
    assert "\n" not in finding.fix + finding.message, finding


@pytest.fixture
def data() -> dict[str, Any]:
    """The minimal fixture as plain data, for the test to edit."""
    return copy.deepcopy(_BASE)


@pytest.fixture
def policy(data: dict[str, Any]) -> Callable[[], Policy]:
    """The policy as `data` stands when called."""
    return lambda: build(data)


@pytest.fixture
def findings(data: dict[str, Any]) -> Callable[[], list[Finding]]:
    """Every finding on the policy as `data` stands when called, each checked for form."""

    def run() -> list[Finding]:
        found = lint(build(data))
        for finding in found:
            check_finding(finding)
        return found

    return run


@pytest.fixture
def hits(findings: Callable[[], list[Finding]]) -> Callable[[str], list[Finding]]:
    """Findings of one rule on the policy as `data` stands when called."""
    return lambda code: [f for f in findings() if f.code == code]


@pytest.fixture
def paths(hits: Callable[[str], list[Finding]]) -> Callable[[str], list[Path]]:
    """Paths of one rule's findings on the policy as `data` stands when called."""

    def run(code: str) -> list[Path]:
        return [f.path for f in hits(code)]

    return run
