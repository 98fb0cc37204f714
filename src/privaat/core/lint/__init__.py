"""The policy linter: rules drawn from the GDPR and from Belgian and Dutch law.

A rule is a function from a Policy to findings, registered under a stable code
with a severity and a title. Built-in rules register themselves the same way a
plugin would, through :func:`rule`. Codes never change meaning once released.
"""

from privaat.core.lint.engine import (
    RULES,
    Finding,
    Hit,
    RuleInfo,
    Severity,
    lint,
    load_builtin_rules,
    rule,
)

__all__ = ["RULES", "Finding", "Hit", "RuleInfo", "Severity", "lint", "load_builtin_rules", "rule"]
