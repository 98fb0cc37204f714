"""``privaat request plan|execute`` and ``privaat task``: carrying rights requests out.

``plan`` prints what the request would do, per store and table, and changes nothing in the
company's stores; ``execute`` carries it out (the stores' URLs come from the environment
variables the data map names) and prints what each step did. ``task`` lists and signs off
the work left to a person.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import typer
from sqlalchemy import select

from privaat.cli.requests import ACTOR, OrgArgument, RefArgument, _store
from privaat.cli.service import DatabaseOption
from privaat.core.clock import SystemClock
from privaat.engine import orgs
from privaat.engine.rights import holds, records
from privaat.engine.rights.execute import Runtime, execute_request, plan_request
from privaat.errors import NotFound
from privaat.store.models import HeldRecord, ManualTask, RightsRequest

task_app = typer.Typer(
    no_args_is_help=True,
    help="Work left to a person (manual stores, replies without an e-mail address).",
    rich_markup_mode=None,
)


def _line(line: Mapping[str, Any]) -> str:
    where = f"{line.get('store', '')} {line.get('table') or line.get('purpose') or ''}"
    rows = line.get("rows")
    parts = [f"  {where:<34} {line.get('step', ''):<9} {'' if rows is None else rows:>7}"]
    if line.get("columns"):
        parts.append(f"[{', '.join(line['columns'])}]")
    if line.get("until"):
        parts.append(f"until {line['until']}")
    if line.get("detail"):
        parts.append(str(line["detail"]))
    return "  ".join(parts).rstrip()


def _print_lines(lines: Sequence[Mapping[str, Any]]) -> None:
    for line in lines:
        typer.echo(_line(line))


def _org_id(store: Any, org: str) -> int:
    with store.reading() as session:
        return orgs.org_by_slug(session, org).id


def plan_command(org: OrgArgument, reference: RefArgument, database: DatabaseOption = None) -> None:
    """Show what a verified request would do, per store and table; nothing changes."""
    with _store(database) as (settings, store):
        made = plan_request(store, _org_id(store, org), reference, Runtime(settings, SystemClock()))
    typer.echo(f"plan of {reference} ({made['kind']}); nothing has changed yet:")
    _print_lines(made["lines"])
    if not made["lines"]:
        typer.echo("  (nothing found for this person)")
    typer.echo(f"carry it out with: privaat request execute {org} {reference}")


def execute_command(
    org: OrgArgument, reference: RefArgument, database: DatabaseOption = None
) -> None:
    """Carry out a planned request (or resume one that stopped) and show what it did."""
    with _store(database) as (settings, store):
        result = execute_request(
            store, _org_id(store, org), reference, Runtime(settings, SystemClock())
        )
    for step, outcome in result.items():
        typer.echo(f"{step}:")
        if not isinstance(outcome, Mapping):
            continue
        _print_lines(outcome.get("lines", []))
        if "unexplained" in outcome:
            kept = [hit for hit in outcome.get("remaining", []) if hit.get("held")]
            typer.echo(
                f"  search after erasure: {outcome['unexplained']} unexplained hit(s), "
                f"{len(kept)} place(s) kept under a statutory hold"
            )
        if outcome.get("recipients_to_inform"):
            names = ", ".join(outcome["recipients_to_inform"])
            typer.echo(f"  inform these recipients of the change (Art. 19 GDPR): {names}")
        if "queued" in outcome:
            typer.echo(
                "  reply queued in the outbox"
                if outcome["queued"]
                else "  no e-mail address known: a task asks a person to send the reply"
            )
    typer.echo(f"{reference}: done")


@task_app.command("list")
def task_list_command(
    org: OrgArgument,
    all_tasks: Annotated[bool, typer.Option("--all", help="Also tasks done already.")] = False,
    database: DatabaseOption = None,
) -> None:
    """List the tasks left to a person."""
    with _store(database) as (_settings, store), store.reading() as session:
        org_id = orgs.org_by_slug(session, org).id
        query = select(ManualTask).where(ManualTask.org_id == org_id)
        if not all_tasks:
            query = query.where(ManualTask.done_at.is_(None))
        rows = session.scalars(query.order_by(ManualTask.id)).all()
        for task in rows:
            state = f"done {task.done_at:%Y-%m-%d} by {task.done_by}" if task.done_at else "open"
            typer.echo(f"{task.id}  {state}  {task.store}: {task.instructions}")
    if not rows:
        typer.echo("no tasks")


@task_app.command("done")
def task_done_command(
    org: OrgArgument,
    task_id: Annotated[int, typer.Argument(metavar="ID", min=1)],
    note: Annotated[str, typer.Option("--note", help="What was done, by hand.")],
    database: DatabaseOption = None,
) -> None:
    """Sign off a task done by hand (audited)."""
    now = SystemClock().now()
    with _store(database) as (_settings, store), store.transaction() as session:
        org_id = orgs.org_by_slug(session, org).id
        task = session.get(ManualTask, task_id)
        if task is None or task.org_id != org_id:
            raise NotFound(f"no task {task_id} in {org}")
        if task.done_at is None:
            task.done_at, task.done_by = now, ACTOR
            task.note = records.reason_text(note, "a note")
            if task.request_id is not None:
                row = session.get_one(RightsRequest, task.request_id)
                records.audit(session, row, "request.task.done", actor=ACTOR, now=now)
    typer.echo(f"task {task_id} done")


def holds_command(
    org: OrgArgument,
    run: Annotated[
        bool, typer.Option("--run", help="Erase what was kept under holds that have ended.")
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """List what erasures kept under statutory holds; with --run, erase what is due."""
    with _store(database) as (settings, store):
        org_id = _org_id(store, org)
        runtime = Runtime(settings, SystemClock())
        if run:
            done = holds.run_due(store, org_id, runtime)
            typer.echo(f"{done.deleted} row(s) erased for {done.requests} request(s)")
        with store.reading() as session:
            rows = session.scalars(
                select(HeldRecord)
                .where(HeldRecord.org_id == org_id, HeldRecord.deleted_at.is_(None))
                .order_by(HeldRecord.until, HeldRecord.id)
            ).all()
    for held in rows:
        until = held.until.isoformat() if held.until else "no date: review by hand"
        count = len(json.loads(held.keys))
        typer.echo(
            f"  {held.store} {held.table_name}: {count} row(s), hold {held.hold}, until {until}"
        )
    if not rows:
        typer.echo("nothing is kept under a hold")
