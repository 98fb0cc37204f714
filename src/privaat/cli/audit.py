"""``privaat audit``: verify the audit trail's hash chains, and read the trail.

``verify`` first chains the records still pending (see :mod:`privaat.engine.audit`), then
only reads; with ``--read-only`` it changes nothing and can run against a copy or a read-only
replica, and reports the pending records it could not check. ``log`` is a read of the trail like any other and is recorded in it
(``audit.read`` by ``cli``, in the same transaction). Progress goes to standard error, and
only on a terminal; standard output holds the result alone.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from privaat.cli.service import DatabaseOption, load_settings, open_store
from privaat.core.clock import SystemClock
from privaat.engine.audit import (
    INSTALL_CHAIN,
    AuditLine,
    AuditRecord,
    append,
    latest_entries,
    pending_count,
    seal,
)
from privaat.engine.audit_verify import ChainReport, Progress, VerifyReport, verify
from privaat.errors import UsageError
from privaat.store.db import Store
from privaat.store.models import Organisation

ACTOR = "cli"
INSTALL = "install"

app = typer.Typer(
    no_args_is_help=True,
    help="The audit trail: verify its hash chains, read it.",
    rich_markup_mode=None,
)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


OrgOption = Annotated[
    str | None,
    typer.Option(
        "--org",
        help="The organisation's slug (default: every chain for verify, the install's for log).",
        show_default=False,
    ),
]
FormatOption = Annotated[
    OutputFormat, typer.Option("--format", help="text for people, json for machines.")
]


@contextmanager
def _store(database: str | None) -> Iterator[Store]:
    store = open_store(load_settings(database_url=database))
    try:
        yield store
    finally:
        store.dispose()


def _chain_names(store: Store) -> dict[int, str]:
    with store.reading() as session:
        rows = session.execute(select(Organisation.id, Organisation.slug)).tuples().all()
    return {INSTALL_CHAIN: INSTALL} | dict(rows)


def _chain_for(names: dict[int, str], slug: str | None) -> int:
    if slug is None:
        return INSTALL_CHAIN
    for chain, name in names.items():
        if name == slug and chain != INSTALL_CHAIN:
            return chain
    raise UsageError(f"no organisation {slug!r}")


@app.command("verify")
def verify_command(
    org: OrgOption = None,
    output_format: FormatOption = OutputFormat.text,
    database: DatabaseOption = None,
    read_only: Annotated[
        bool,
        typer.Option(
            "--read-only", help="Do not chain pending records first (for a copy or a replica)."
        ),
    ] = False,
) -> None:
    """Check every entry's hash and link, the numbering and each chain's head.

    Prints one line per chain; exits 1 when a chain is broken, naming the first entry that
    is wrong and how (changed, missing, reordered, inserted, head mismatch).
    """
    with _store(database) as store:
        names = _chain_names(store)
        chain = None if org is None else _chain_for(names, org)
        if not read_only:
            with store.transaction() as session:
                seal(session, None if chain is None else [chain])
        with _progress() as progress:
            report = verify(store.engine, chain, progress=progress)
        with store.reading() as session:
            pending = pending_count(session, chain)
    if output_format is OutputFormat.json:
        typer.echo(json.dumps(_report_json(report, names), indent=2))
    elif not report.chains:
        typer.echo("no audit entries yet")
    else:
        for chain_report in report.chains:
            typer.echo(_report_line(chain_report, names))
    if pending and output_format is not OutputFormat.json:
        typer.echo(f"{pending} record(s) wait to be chained and were not checked")
    if not report.intact:
        raise typer.Exit(1)


def _name(names: dict[int, str], chain: int) -> str:
    return names.get(chain, f"#{chain}")


def _report_line(report: ChainReport, names: dict[int, str]) -> str:
    name = _name(names, report.chain)
    if report.problem is None:
        return f"chain {name}: {report.entries} entries, intact"
    p = report.problem
    return f"chain {name}: broken at seq {p.seq} ({p.kind}): {p.message}"


def _report_json(report: VerifyReport, names: dict[int, str]) -> dict[str, Any]:
    return {
        "intact": report.intact,
        "entries": report.entries,
        "chains": [
            {
                "chain": _name(names, c.chain),
                "chain_id": c.chain,
                "intact": c.intact,
                "entries": c.entries,
                "verified": c.verified,
                "head": None if c.head_seq is None else {"seq": c.head_seq, "hash": c.head_hash},
                "problem": None
                if c.problem is None
                else {
                    "seq": c.problem.seq,
                    "kind": str(c.problem.kind),
                    "message": c.problem.message,
                },
            }
            for c in report.chains
        ],
    }


@contextmanager
def _progress() -> Iterator[Progress | None]:
    """A progress bar on standard error when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    bar = Progress(
        "verifying",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("verify", total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield update


@app.command("log")
def log_command(
    org: OrgOption = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=10_000, help="How many of the last entries.")
    ] = 20,
    output_format: FormatOption = OutputFormat.text,
    database: DatabaseOption = None,
) -> None:
    """The last entries of a chain, oldest first (the read is recorded in the chain)."""
    with _store(database) as store:
        chain = _chain_for(_chain_names(store), org)
        with store.transaction() as session:
            lines = latest_entries(session, chain, limit)
            _record_read(session, chain, lines)
    if output_format is OutputFormat.json:
        typer.echo(json.dumps([_line_json(line) for line in lines], indent=2, ensure_ascii=False))
        return
    for line in lines:
        typer.echo(_line_text(line))


def _record_read(session: Session, chain: int, lines: list[AuditLine]) -> None:
    detail: dict[str, object] = {"entries": len(lines)}
    if lines:
        detail |= {"from_seq": lines[0].seq, "to_seq": lines[-1].seq}
    org_id = None if chain == INSTALL_CHAIN else chain
    append(session, AuditRecord(ACTOR, "audit.read", SystemClock().now(), org_id, detail=detail))


def _line_text(line: AuditLine) -> str:
    parts = [str(line.seq), line.at.isoformat(timespec="seconds"), line.actor, line.action]
    if line.subject_id is not None:
        parts.append(f"subject:{line.subject_id}")
    if line.target is not None:
        parts.append(line.target)
    if line.detail != "{}":
        parts.append(line.detail)
    return "  ".join(parts)


def _line_json(line: AuditLine) -> dict[str, Any]:
    return {
        "seq": line.seq,
        "at": line.at.isoformat(),
        "actor": line.actor,
        "action": line.action,
        "subject_id": line.subject_id,
        "target": line.target,
        "detail": line.detail_object(),
        "prev_hash": line.prev_hash,
        "hash": line.hash,
    }
