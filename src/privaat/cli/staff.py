"""``privaat staff``: (to be filled)."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="staff commands.")
org_app = typer.Typer(no_args_is_help=True, help="Organisations.")
token_app = typer.Typer(no_args_is_help=True, help="API tokens.")
