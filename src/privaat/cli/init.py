"""``privaat init``: start from one of the bundled example policies."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from privaat.errors import UsageError
from privaat.examples import EXAMPLES, example_text


def init_command(
    example: Annotated[
        str, typer.Option("--example", help=f"One of: {', '.join(EXAMPLES)}.")
    ] = "jetstax",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: NAME.yaml).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write one of the bundled example policies to start from."""
    target = output or Path(f"{example}.yaml")
    text = example_text(example)
    if target.exists() and not force:
        raise UsageError(
            f"{target} exists; pass --force to overwrite it or --output to choose another"
        )
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror}") from None
    typer.echo(f"wrote {target} (example: {example}); next: privaat policy check {target}")
