"""One error tree for privaat.

Errors carry data, never HTTP codes or exit codes: each edge (CLI, API, web)
maps them once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourceIssue:
    """One problem at a place in an input file (1-based line and column)."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: error: {self.message}"


class PrivaatError(Exception):
    """Base of every error privaat raises on purpose."""


class UnreadableInput(PrivaatError):
    """An input that could not be read or parsed at all (I/O, encoding, size, syntax)."""

    def __init__(self, issue: SourceIssue) -> None:
        super().__init__(str(issue))
        self.issue = issue


class InvalidDocument(PrivaatError):
    """A document that parsed but does not satisfy its schema or its references."""

    def __init__(self, issues: list[SourceIssue]) -> None:
        super().__init__("\n".join(str(i) for i in issues))
        self.issues = issues


class UsageError(PrivaatError):
    """A request that cannot be honoured as asked (unknown example, unsupported language...)."""
