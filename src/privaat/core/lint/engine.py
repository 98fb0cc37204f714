"""Rule registry and runner."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from privaat.core.policy.model import Policy
from privaat.core.yamlsource import Path


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Hit:
    """What a rule reports: where, what is wrong, and the one-line fix."""

    path: Path
    message: str
    fix: str


@dataclass(frozen=True, slots=True)
class Finding:
    """A lint finding: a rule's hit with the rule's code and severity."""

    code: str
    severity: Severity
    path: Path
    message: str
    fix: str


RuleFunc = Callable[[Policy], Iterable[Hit]]


@dataclass(frozen=True, slots=True)
class RuleInfo:
    code: str
    severity: Severity
    title: str
    source: str  # the article or statute the rule enforces
    check: RuleFunc


RULES: dict[str, RuleInfo] = {}


def rule(code: str, severity: Severity, title: str, source: str) -> Callable[[RuleFunc], RuleFunc]:
    """Register a lint rule under a stable code."""

    def register(func: RuleFunc) -> RuleFunc:
        if code in RULES:
            raise ValueError(f"lint rule {code} is registered twice")
        RULES[code] = RuleInfo(code, severity, title, source, func)
        return func

    return register


def lint(policy: Policy, *, disabled: Iterable[str] = ()) -> list[Finding]:
    """Run every registered rule; findings in order of severity, then code."""
    load_builtin_rules()
    skip = set(disabled)
    findings = [
        Finding(info.code, info.severity, hit.path, hit.message, hit.fix)
        for info in RULES.values()
        if info.code not in skip
        for hit in info.check(policy)
    ]
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(findings, key=lambda f: (order[f.severity], f.code))


def load_builtin_rules() -> None:
    """Register the built-in rules: importing their modules runs their @rule decorators."""
    importlib.import_module("privaat.core.lint.rules")
