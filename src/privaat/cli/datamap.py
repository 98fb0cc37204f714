"""``privaat datamap ...``: propose, check, import, load and show data maps.

``generate`` and ``check`` read the company's own database (the URL is never printed with
its password, and no sampled value is ever printed); ``load`` and ``show`` act on privaat's
store as ``cli``, the audit trail's actor. Exit codes as everywhere: 0 fine, 1 the map has
errors, 2 the input cannot be read or the command was misused.
"""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from privaat.cli.errors import EXIT_FINDINGS, EXIT_OK
from privaat.cli.service import DatabaseOption, load_settings, open_store
from privaat.core.clock import SystemClock
from privaat.core.datamap.loader import read_datamap
from privaat.core.policy import Policy, read_policy
from privaat.errors import InvalidDocument, NotFound, SourceIssue, UnreadableInput, UsageError

ACTOR = "cli"

app = typer.Typer(
    help="The data map: where the company's personal data lives (propose, check, load).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

MapFile = Annotated[Path, typer.Argument(help="The data-map YAML file.", show_default=False)]
PolicyOption = Annotated[
    Path | None,
    typer.Option("--policy", help="The policy file whose categories and holds the map uses."),
]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
]


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def _policy(path: Path | None) -> Policy | None:
    return read_policy(path).policy if path is not None else None


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None
    typer.echo(f"wrote {output}", err=True)


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise UnreadableInput(SourceIssue(str(path), 1, 1, "no such file")) from None
    except IsADirectoryError:
        raise UnreadableInput(SourceIssue(str(path), 1, 1, "is a directory, not a file")) from None
    except UnicodeDecodeError:
        raise UnreadableInput(SourceIssue(str(path), 1, 1, "not UTF-8 text")) from None
    except OSError as exc:
        raise UnreadableInput(
            SourceIssue(str(path), 1, 1, f"cannot read: {exc.strerror}")
        ) from None


@app.command("generate")
def generate(
    url: Annotated[
        str,
        typer.Argument(
            help="The database, e.g. postgresql+psycopg://user@host/db, "
            "mysql+pymysql://user@host/db or sqlite:///file.sqlite3. Read only.",
            show_default=False,
        ),
    ],
    output: OutputOption = None,
    policy: PolicyOption = None,
    sample: Annotated[
        int, typer.Option("--sample", min=0, max=10_000, help="Rows sampled per table.")
    ] = 200,
    schema: Annotated[
        str | None, typer.Option("--schema", help="The database schema (default: the usual).")
    ] = None,
) -> None:
    """Propose a data map by introspecting a live database and sampling its values.

    Tables, keys and declared foreign keys come from the schema; person tables, identity
    columns, undeclared links, JSON paths, free text and categories are guessed from names
    and sampled values, each marked guessed: true with the reason in a comment. Sampled
    values are never written out. With --policy, categories are mapped to the policy's.
    """
    from privaat.connectors.introspect import generate as propose_map

    loaded_policy = _policy(policy)
    proposal = propose_map(url, sample=sample, policy=loaded_policy, schema=schema)
    if not proposal.tables:
        raise UsageError(
            "found no table that holds personal data (or none privaat can recognise); write "
            "the map by hand, see docs/datamap.md"
        )
    _write(proposal.yaml, output)
    typer.echo(
        f"proposed {proposal.tables} table(s) with {proposal.links} link(s), {proposal.guessed} "
        f"of them guessed; {proposal.review} note(s) to review",
        err=True,
    )


@app.command("check")
def check(
    file: MapFile,
    policy: PolicyOption = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="text for people, json for machines.")
    ] = OutputFormat.text,
) -> None:
    """Validate a data map, then check it against the live schema of each database it names.

    Schema errors come first (as file:line:col); then each database is read (its URL from
    url_env in the environment, or url) and every table, column, key, link type, JSON
    column and hold date is checked. Warnings (missing lower() indexes, tables that look
    personal but are not mapped) do not fail the check.
    Exit 0 when there is no error, 1 on errors, 2 when a file cannot be read.
    """
    from privaat.engine.datamap_check import Severity, check_datamap

    loaded_policy = _policy(policy)
    try:
        loaded = read_datamap(file, policy=loaded_policy)
    except InvalidDocument as exc:
        if output_format is OutputFormat.json:
            rows = [{**_issue_row(i), "severity": "error", "code": "schema"} for i in exc.issues]
            typer.echo(json.dumps({"file": str(file), "valid": False, "findings": rows}, indent=2))
        else:
            for issue in exc.issues:
                typer.echo(str(issue))
            n = len(exc.issues)
            typer.echo(f"{n} schema error{'s' if n != 1 else ''}; fix them to check the databases")
        raise typer.Exit(EXIT_FINDINGS) from None
    findings = check_datamap(loaded, environ=os.environ)
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    warnings = len(findings) - errors
    if output_format is OutputFormat.json:
        rows = [
            {
                "file": f.file,
                "line": f.line,
                "column": f.column,
                "code": f.code,
                "severity": f.severity.value,
                "message": f.message,
                "fix": f.fix,
            }
            for f in findings
        ]
        typer.echo(
            json.dumps(
                {
                    "file": str(file),
                    "valid": True,
                    "findings": rows,
                    "summary": {"errors": errors, "warnings": warnings},
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        for finding in findings:
            typer.echo(str(finding))
            typer.echo(f"    fix: {finding.fix}")
        typer.echo(
            "clean: the map matches the databases"
            if not findings
            else f"{errors} error(s), {warnings} warning(s)"
        )
    raise typer.Exit(EXIT_FINDINGS if errors else EXIT_OK)


def _issue_row(issue: SourceIssue) -> dict[str, object]:
    return {
        "file": issue.file,
        "line": issue.line,
        "column": issue.column,
        "message": issue.message,
    }


@app.command("import-fides")
def import_fides_command(
    file: Annotated[Path, typer.Argument(help="The Fides dataset YAML file.", show_default=False)],
    output: OutputOption = None,
) -> None:
    """Convert a Fides dataset file (fideslang) into a privaat data map.

    Identity fields become identity links, references become links, data categories become
    fields; what Fides cannot say (the database engine, erasure strategies) is marked
    "review:" in a comment.
    """
    from privaat.core.datamap.fides import import_fides

    result = import_fides(_read_text(file), str(file))
    _write(result.yaml, output)
    stores = len(result.datamap.stores)
    tables = sum(len(s.tables) for s in result.datamap.stores)
    typer.echo(
        f"converted {tables} collection(s) in {stores} store(s); {len(result.left_out)} left "
        f"out; {result.review} note(s) to review",
        err=True,
    )


@app.command("load")
def load(
    org: Annotated[str, typer.Argument(help="The organisation's slug.", show_default=False)],
    file: MapFile,
    database: DatabaseOption = None,
) -> None:
    """Load a data map as the organisation's next version, checked against its active policy.

    A map with any error is refused (nothing is stored). Relative SQLite paths in the map
    stay relative to the map file's folder.
    """
    from privaat.engine import datamaps, orgs

    text = _read_text(file)
    store = open_store(load_settings(database_url=database))
    try:
        with store.transaction() as session:
            organisation = orgs.org_by_slug(session, org)
            result = datamaps.load_datamap_version(
                session,
                organisation,
                text,
                file=str(file),
                base_dir=file.resolve().parent,
                now=SystemClock().now(),
                actor=ACTOR,
            )
            number = result.version.number
            tables = sum(len(s.tables) for s in result.loaded.datamap.stores)
    finally:
        store.dispose()
    typer.echo(f"loaded data map version {number} for {org} ({tables} table(s))")


@app.command("show")
def show(
    org: Annotated[str, typer.Argument(help="The organisation's slug.", show_default=False)],
    database: DatabaseOption = None,
) -> None:
    """Print the organisation's data map in force (its YAML); the version goes to stderr."""
    from privaat.engine import datamaps, orgs

    store = open_store(load_settings(database_url=database))
    try:
        with store.reading() as session:
            organisation = orgs.org_by_slug(session, org)
            row = datamaps.active_version(session, organisation.id)
            if row is None:
                raise NotFound(
                    f"organisation {org!r} has no data map yet; load one with: "
                    f"privaat datamap load {org} FILE"
                )
            source, number, at, by = row.source, row.number, row.loaded_at, row.loaded_by
    finally:
        store.dispose()
    typer.echo(f"data map version {number}, loaded {at:%Y-%m-%d %H:%M} by {by}", err=True)
    sys.stdout.write(source if source.endswith("\n") else source + "\n")
    sys.stdout.flush()
