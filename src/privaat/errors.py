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


@dataclass(frozen=True, slots=True)
class FieldIssue:
    """One problem with one field of a request (``loc`` is the path to the field)."""

    loc: tuple[str | int, ...]
    message: str


class InvalidInput(PrivaatError):
    """A request whose values are wrong (a bad e-mail, an unknown purpose...)."""

    def __init__(self, message: str, issues: list[FieldIssue] | None = None) -> None:
        super().__init__(message)
        self.issues = issues or []


class NotFound(PrivaatError):
    """What was asked for does not exist, or is not visible to the caller."""


class Conflict(PrivaatError):
    """The request contradicts the current state (a duplicate, a confirmed link used again)."""


class AuthenticationFailed(PrivaatError):
    """No valid credentials: a missing, unknown, expired or revoked token, or a wrong login."""


class PermissionDenied(PrivaatError):
    """Valid credentials without the permission the action needs."""


class LinkInvalid(PrivaatError):
    """A signed link that was tampered with, is expired, or belongs to something else."""


class StoreFailed(PrivaatError):
    """A company database or tool did not do what was asked (unreachable, an error answer).

    The message names the store and the kind of failure, never personal values or secrets.
    """
