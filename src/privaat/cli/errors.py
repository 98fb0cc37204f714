"""Map privaat's error tree to exit codes and one readable line each."""

from __future__ import annotations

import typer

from privaat.errors import (
    InvalidDocument,
    PrivaatError,
    StoreFailed,
    UnreadableInput,
    UsageError,
)

#: Exit codes of every privaat command.
EXIT_OK = 0
EXIT_FINDINGS = 1  # the input is understood and has errors (schema or lint)
EXIT_UNREADABLE = 2  # the input could not be read, or the command was misused
EXIT_STORE = 3  # a company database or tool failed; nothing was left half-done


def exit_code_for(exc: PrivaatError) -> int:
    if isinstance(exc, InvalidDocument):
        return EXIT_FINDINGS
    if isinstance(exc, UnreadableInput | UsageError):
        return EXIT_UNREADABLE
    if isinstance(exc, StoreFailed):
        return EXIT_STORE
    return EXIT_FINDINGS


def print_error(exc: PrivaatError) -> None:
    if isinstance(exc, InvalidDocument):
        for issue in exc.issues:
            typer.echo(str(issue), err=True)
        n = len(exc.issues)
        typer.echo(f"{n} schema error{'s' if n != 1 else ''}", err=True)
    elif isinstance(exc, UnreadableInput):
        typer.echo(str(exc.issue), err=True)
    else:
        typer.echo(f"error: {exc}", err=True)
