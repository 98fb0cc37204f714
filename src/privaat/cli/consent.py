"""``privaat consent``: import an existing consent list, expire lapsed consents.

Both act on the store directly as ``cli`` (the audit trail's actor). ``import`` prints each
bad row as ``FILE:LINE: column: message`` and a one-line summary; it exits 1 when a row
failed (the good rows are imported all the same), 2 when the file cannot be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from privaat.cli.service import DatabaseOption, load_settings, open_store
from privaat.core.clock import SystemClock
from privaat.engine import consent, orgs
from privaat.engine.consent_import import MAX_BYTES, import_csv
from privaat.engine.orgs import PolicyCache
from privaat.errors import InvalidInput, SourceIssue, UnreadableInput

ACTOR = "cli"

app = typer.Typer(
    no_args_is_help=True,
    help="The consent ledger: import existing lists, expire lapsed consents.",
    rich_markup_mode=None,
)

OrgOption = Annotated[str, typer.Option("--org", help="The organisation's slug.")]


@app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="The CSV file: a header row with email (or phone or customer_number), "
            "purpose, status (given, withdrawn, objected) and occurred_at; optionally ip, "
            "user_agent, language and groups.",
            show_default=False,
        ),
    ],
    org: OrgOption,
    source: Annotated[
        str,
        typer.Option(
            "--source", help="Where the list comes from, e.g. 'Mailchimp export 2024-05-01'."
        ),
    ],
    database: DatabaseOption = None,
) -> None:
    """Import a consent list (CSV, UTF-8) with its provenance; bad rows are reported, not imported."""
    try:
        size = file.stat().st_size
        data = file.open("rb")
    except FileNotFoundError:
        raise UnreadableInput(SourceIssue(str(file), 1, 1, "no such file")) from None
    except OSError as exc:
        raise UnreadableInput(
            SourceIssue(str(file), 1, 1, f"cannot read: {exc.strerror}")
        ) from None
    with data:
        if size > MAX_BYTES:
            raise UnreadableInput(
                SourceIssue(str(file), 1, 1, f"the file is larger than {MAX_BYTES // 2**20} MB")
            )
        store = open_store(load_settings(database_url=database))
        try:
            with store.transaction() as session:
                report = import_csv(
                    session,
                    org=orgs.org_by_slug(session, org),
                    data=data,
                    source=source,
                    actor=ACTOR,
                    now=SystemClock().now(),
                    policies=PolicyCache(),
                    name=str(file),
                )
        except InvalidInput as exc:
            for issue in exc.issues:
                column = issue.loc[-1] if len(issue.loc) > 1 else "header"
                typer.echo(f"{file}:1: {column}: {issue.message}")
            if not exc.issues:
                typer.echo(f"{file}: {exc}")
            raise typer.Exit(1) from None
        finally:
            store.dispose()
    for error in report.errors:
        typer.echo(f"{file}:{error.line}: {error.column}: {error.message}")
    if report.errors_truncated:
        typer.echo(f"{file}: (only the first {len(report.errors)} errors are shown)")
    typer.echo(
        f"{file}: {report.imported} imported, {report.duplicates} already there, "
        f"{report.failed} failed ({report.rows} rows)"
    )
    if report.failed:
        raise typer.Exit(1)


@app.command("expire")
def expire_command(org: OrgOption, database: DatabaseOption = None) -> None:
    """Record the consents that lapsed (their purpose's expires_after) as expired."""
    store = open_store(load_settings(database_url=database))
    try:
        with store.transaction() as session:
            count = consent.expire_due(
                session,
                org=orgs.org_by_slug(session, org),
                now=SystemClock().now(),
                policies=PolicyCache(),
                actor=ACTOR,
            )
    finally:
        store.dispose()
    typer.echo(f"{count} consent{'s' if count != 1 else ''} expired")
