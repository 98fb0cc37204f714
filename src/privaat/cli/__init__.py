"""The ``privaat`` command: parse arguments, call the core, present. Nothing else."""

from __future__ import annotations

import sys

import typer

from privaat.cli import audit as audit_commands
from privaat.cli import consent as consent_commands
from privaat.cli import datamap as datamap_commands
from privaat.cli import db as db_commands
from privaat.cli import policy as policy_commands
from privaat.cli import request_work
from privaat.cli import requests as request_commands
from privaat.cli import retention as retention_commands
from privaat.cli import staff as staff_commands
from privaat.cli.demo import demo_command
from privaat.cli.errors import exit_code_for, print_error
from privaat.cli.init import init_command
from privaat.cli.serve import serve_command
from privaat.cli.worker import worker_command
from privaat.errors import PrivaatError

app = typer.Typer(
    name="privaat",
    help="privaat makes a company's privacy policy true: one checked, versioned policy file "
    "that renders the notice, the Art. 30 register, and drives enforcement.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(policy_commands.app, name="policy")
app.add_typer(db_commands.app, name="db")
app.add_typer(staff_commands.org_app, name="org")
app.add_typer(staff_commands.app, name="staff")
app.add_typer(staff_commands.token_app, name="token")
app.add_typer(consent_commands.app, name="consent")
app.add_typer(audit_commands.app, name="audit")
app.add_typer(datamap_commands.app, name="datamap")
request_commands.app.command("plan")(request_work.plan_command)
request_commands.app.command("execute")(request_work.execute_command)
request_commands.app.command("holds")(request_work.holds_command)
app.add_typer(request_commands.app, name="request")
app.add_typer(request_work.task_app, name="task")
app.add_typer(request_commands.outbox_app, name="outbox")
app.add_typer(retention_commands.app, name="retention")
app.command("serve")(serve_command)
app.command("worker")(worker_command)
app.command("init")(init_command)
app.command("demo")(demo_command)


def _show_version(value: bool) -> None:
    if value:
        from privaat import __version__

        typer.echo(f"privaat {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        help="Show the version and exit.",
        callback=_show_version,
        is_eager=True,
    ),
) -> None:
    """privaat makes a company's privacy policy true: one checked, versioned policy file that
    renders the notice, the Art. 30 register, and drives enforcement."""


@app.command("cli-reference", hidden=True)
def _cli_reference() -> None:
    """Print the command-line reference (Markdown)."""
    from privaat.cli.reference import cli_markdown

    typer.echo(cli_markdown(app), nl=False)


@app.command("settings-reference", hidden=True)
def _settings_reference() -> None:
    """Print the settings reference (Markdown)."""
    from privaat.settings import settings_markdown

    typer.echo(settings_markdown(), nl=False)


def main() -> None:
    """Entry point: map privaat's errors to exit codes; a user mistake never shows a traceback."""
    try:
        app()  # standalone: usage errors exit 2 with one line, as click does
    except PrivaatError as exc:
        print_error(exc)
        sys.exit(exit_code_for(exc))
