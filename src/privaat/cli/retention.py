"""``privaat retention plan|run|report|runs``: the policy's storage limits, carried out.

``plan`` shows, per retention rule and table, how many rows would go today (or on a later
day with ``--on``), how many a statutory hold keeps and until when, a few example keys, and
where a rule and a hold disagree; nothing changes. ``run`` carries the sweeps out in batches
with a progress bar, resumes a run that stopped, and prints the report it keeps; the audit
trail records it. ``report`` shows a finished run's report again, ``runs`` the latest runs.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from privaat.cli.request_work import _org_id, _print_lines
from privaat.cli.requests import OrgArgument, _store
from privaat.cli.service import DatabaseOption
from privaat.core.clock import FrozenClock, SystemClock
from privaat.engine import retention
from privaat.engine.rights.execute import Runtime
from privaat.errors import UsageError

app = typer.Typer(
    no_args_is_help=True,
    help="Retention: delete what has outlived the policy's storage limits, keep what the law "
    "says must be kept.",
    rich_markup_mode=None,
)

RuleOption = Annotated[
    list[str] | None,
    typer.Option("--rule", help="Only this retention rule (repeat for several)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _summary(sweep: Mapping[str, Any]) -> str:
    period = sweep.get("period") or "schedule"
    return (
        f"{sweep['rule']} on {sweep['store']}.{sweep['table']}: {sweep['action']} "
        f"({sweep.get('trigger', '')} + {period}; started before {sweep['cutoff']})"
    )


def _print_sweeps(sweeps: Sequence[Mapping[str, Any]], *, none: str) -> None:
    for sweep in sweeps:
        typer.echo(_summary(sweep))
        _print_lines(sweep["lines"])
        if not sweep["lines"]:
            typer.echo(f"  {none}")
        for conflict in sweep.get("conflicts", []):
            typer.echo(f"  conflict: {conflict}")


def _print_unbound(unbound: Sequence[str]) -> None:
    if unbound:
        typer.echo("not bound to any table of the data map (not enforced): " + ", ".join(unbound))


@app.command("plan")
def plan_command(
    org: OrgArgument,
    rule: RuleOption = None,
    on: Annotated[
        str | None,
        typer.Option("--on", metavar="DATE", help="Plan for a later day (YYYY-MM-DD)."),
    ] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Show what a sweep would delete, anonymise or keep; nothing changes."""
    clock: Any = SystemClock()
    if on is not None:
        try:
            day = dt.date.fromisoformat(on)
        except ValueError:
            raise UsageError(f"--on {on!r} is not a date (YYYY-MM-DD)") from None
        clock = FrozenClock(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC))
    with _store(database) as (settings, store):
        made = retention.plan(store, _org_id(store, org), Runtime(settings, clock), rule)
    if as_json:
        typer.echo(json.dumps(made, indent=2, default=str))
        return
    typer.echo(f"retention plan for {made['day']}; nothing has changed yet:")
    _print_sweeps(made["sweeps"], none="(nothing has expired)")
    _print_unbound(made["unbound"])
    if not made["sweeps"]:
        typer.echo("no retention rule is bound to a table: add retention to the data map")
    else:
        typer.echo(f"carry it out with: privaat retention run {org}")


@contextmanager
def _progress(enabled: bool) -> Iterator[retention.Progress | None]:
    if not enabled:
        yield None
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        transient=False,
    ) as bar:
        tasks: dict[str, Any] = {}

        def report(key: str, rows: int) -> None:
            if key not in tasks:
                tasks[key] = bar.add_task(key, total=None)
            bar.update(tasks[key], completed=rows)

        yield report


@app.command("run")
def run_command(
    org: OrgArgument,
    rule: RuleOption = None,
    as_json: JsonOption = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
    database: DatabaseOption = None,
) -> None:
    """Carry out today's sweep (or finish one that stopped) and print its report."""
    with _store(database) as (settings, store), _progress(not (quiet or as_json)) as progress:
        made = retention.run(
            store,
            _org_id(store, org),
            Runtime(settings, SystemClock()),
            rule,
            started_by="cli",
            progress=progress,
        )
    _print_report(made, as_json)


def _print_report(made: Mapping[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(made, indent=2, default=str))
        return
    typer.echo(f"retention run {made['run']} for {made['day']}, finished {made['finished_at']}:")
    _print_sweeps(made["sweeps"], none="(nothing had expired)")
    typer.echo(
        f"held rows of erasure requests deleted: {made.get('held_rows_deleted', 0)}; "
        f"expired exports removed: {made.get('exports_removed', 0)}"
    )
    _print_unbound(made.get("unbound", []))


@app.command("report")
def report_command(
    org: OrgArgument,
    run: Annotated[int | None, typer.Argument(metavar="[RUN]", help="A run's number.")] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Show a finished run's report (the latest by default)."""
    with _store(database) as (_settings, store):
        made = retention.report(store, _org_id(store, org), run)
    _print_report(made, as_json)


@app.command("runs")
def runs_command(org: OrgArgument, database: DatabaseOption = None) -> None:
    """List the latest retention runs."""
    with _store(database) as (_settings, store):
        found = retention.runs(store, _org_id(store, org))
    if not found:
        typer.echo("no retention run yet")
    for row in found:
        finished = row.finished_at.isoformat(timespec="seconds") if row.finished_at else "-"
        typer.echo(
            f"{row.id:>5}  {row.day.isoformat()}  {row.status:<8} {row.started_by:<10} "
            f"finished {finished}" + (f"  ({row.error})" if row.error else "")
        )
