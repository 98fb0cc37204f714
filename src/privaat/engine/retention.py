"""Retention sweeps of an organisation: plan, run, resume, report, and one at a time.

``plan`` compiles the policy's retention rules over the active data map for today
(:mod:`privaat.core.retention`) and asks each store's connector what each sweep would do:
per rule and table, how many rows would go, how many are held and until when, a few example
keys, and where a rule and a statutory hold disagree. Nothing changes.

``run`` carries the sweeps out. It is recorded as a :class:`RetentionRun` for one day, with
a :class:`RetentionProgress` per sweep that is updated after every committed batch (the rows
done and the last primary key). A run that stopped (killed, a failed store) is resumed by
the next ``run``: the same day, the same rules, each sweep after its last key, so that the
end state equals that of an uninterrupted run. After a kill, the counts of the one batch
committed in the company's store but not yet recorded here are missing from the report;
the rows themselves are gone as they should be. After the sweeps, ``run`` also ends the
holds of erasure requests that have run out (:func:`privaat.engine.rights.holds.run_due`)
and deletes access exports past their expiry.

Only one run of an organisation works at a time, whatever starts it (the command line, the
in-process scheduler, a queue worker): a :class:`SweepLease` row names the holder and
expires unless the holder renews it after each batch; a holder on this machine whose process
is gone loses it at once. The audit trail gets the start, each sweep's counts per table and
step (never a value or a key), and the end.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import secrets
import socket
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from privaat.connectors.base import PlanLine, Retainer, merge_lines
from privaat.core.datamap.loader import LoadedDataMap
from privaat.core.deadlines import local_date
from privaat.core.retention import Sweep, conflicts, sweeps
from privaat.engine import datamaps
from privaat.engine.audit import AuditRecord, append
from privaat.engine.rights import holds, records
from privaat.engine.rights.execute import Runtime, line_json, open_connectors
from privaat.errors import Conflict, UsageError
from privaat.store.db import Store
from privaat.store.models import ExportFile, RetentionProgress, RetentionRun, SweepLease

#: How long a lease lasts unless renewed (each batch renews it).
LEASE_SECONDS = 300

#: Called after each batch: the sweep's key, rows done so far in it.
Progress = Callable[[str, int], None]


@dataclass(frozen=True, slots=True)
class SweepPlan:
    """What one rule would do in one table today."""

    sweep: Sweep
    lines: list[PlanLine]
    conflicts: list[str]

    def as_json(self) -> dict[str, Any]:
        s = self.sweep
        return {
            "sweep": s.key,
            "rule": s.rule.id,
            "store": s.store,
            "table": s.table,
            "trigger": s.rule.trigger.value,
            "action": s.action.value,
            "scope": s.scope.value,
            "period": str(s.period) if s.period is not None else None,
            "cutoff": s.cutoff.isoformat(),
            "lines": [line_json(line) for line in self.lines],
            "conflicts": self.conflicts,
        }


class _DayClock:
    """A clock that stays on one day (a resumed run counts to its own day)."""

    def __init__(self, day: dt.date) -> None:
        self.at = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)

    def now(self) -> dt.datetime:
        return self.at


# --------------------------------------------------------------------------- plan


def plan(
    store: Store, org_id: int, runtime: Runtime, rules: Sequence[str] | None = None
) -> dict[str, Any]:
    """What a sweep would do today, per rule and table; nothing changes."""
    day = local_date(runtime.clock.now())
    policy, loaded, found = _sweeps(store, org_id, runtime, day, rules)
    out: list[dict[str, Any]] = []
    with open_connectors(loaded, policy, org_id=org_id, runtime=runtime) as conns:
        for sweep in found:
            connector = conns[sweep.store]
            lines = connector.plan_retention(sweep) if isinstance(connector, Retainer) else []
            out.append(SweepPlan(sweep, lines, conflicts(sweep)).as_json())
    return {"day": day.isoformat(), "sweeps": out, "unbound": _unbound(policy, found)}


def _sweeps(
    store: Store, org_id: int, runtime: Runtime, day: dt.date, rules: Sequence[str] | None
) -> tuple[Any, LoadedDataMap, list[Sweep]]:
    with store.reading() as session:
        org = records.organisation(session, org_id)
        policy = records.policy_of(session, org, runtime.policies)
        loaded = datamaps.active_datamap(session, org_id, cache=runtime.maps)
    if policy is None:
        raise UsageError("the organisation has no policy loaded")
    if loaded is None:
        raise UsageError(
            "the organisation has no data map loaded: load one with `privaat datamap load`"
        )
    return policy, loaded, sweeps(policy, loaded.datamap, day, rules)


def _unbound(policy: Any, found: list[Sweep]) -> list[str]:
    """Retention rules of the policy no table of the data map binds: not enforced."""
    bound = {s.rule.id for s in found}
    return [r.id for r in policy.retention if r.id not in bound]


# --------------------------------------------------------------------------- run


def run(
    store: Store,
    org_id: int,
    runtime: Runtime,
    rules: Sequence[str] | None = None,
    *,
    started_by: str = "cli",
    progress: Progress | None = None,
    unless_done: bool = False,
) -> dict[str, Any]:
    """Run (or resume) the organisation's sweep; the finished run's report. With
    ``unless_done`` (the schedule), a full run already done today is not run again: its
    report is returned (checked while holding the lease, so two schedulers run it once)."""
    check(store, org_id, runtime, rules)  # a missing policy or map, an unknown rule: no run
    with lease(store, org_id, runtime) as renew:
        if unless_done and rules is None:
            done = _done_today(store, org_id, local_date(runtime.clock.now()))
            if done is not None:
                return done
        run_id, day, wanted = _open_run(store, org_id, runtime, rules, started_by)
        day_runtime = dataclasses.replace(runtime, clock=_DayClock(day))
        try:
            policy, loaded, found = _sweeps(store, org_id, day_runtime, day, wanted)
            with open_connectors(loaded, policy, org_id=org_id, runtime=day_runtime) as conns:
                for sweep in found:
                    connector = conns[sweep.store]
                    if isinstance(connector, Retainer):
                        _run_sweep(store, run_id, sweep, connector, renew, progress)
            extra = _housekeeping(store, org_id, runtime)
        except BaseException as exc:
            _fail(store, run_id, exc, runtime)
            raise
        return _finish(store, org_id, run_id, found, policy, extra, runtime)


def check(store: Store, org_id: int, runtime: Runtime, rules: Sequence[str] | None = None) -> None:
    """UsageError when the organisation cannot sweep: no policy, no data map, unknown rule."""
    _sweeps(store, org_id, runtime, local_date(runtime.clock.now()), rules)


def _done_today(store: Store, org_id: int, day: dt.date) -> dict[str, Any] | None:
    with store.reading() as session:
        row = session.scalars(
            select(RetentionRun).where(
                RetentionRun.org_id == org_id,
                RetentionRun.day == day,
                RetentionRun.status == "done",
                RetentionRun.rules.is_(None),
            )
        ).first()
        if row is None or row.report is None:
            return None
        out: dict[str, Any] = json.loads(row.report)
        return out


def _open_run(
    store: Store,
    org_id: int,
    runtime: Runtime,
    rules: Sequence[str] | None,
    started_by: str,
) -> tuple[int, dt.date, list[str] | None]:
    """The unfinished run to resume, or a new one for today."""
    now = runtime.clock.now()
    with store.transaction() as session:
        unfinished = session.scalars(
            select(RetentionRun)
            .where(RetentionRun.org_id == org_id, RetentionRun.status != "done")
            .order_by(RetentionRun.id.desc())
            .limit(1)
        ).first()
        if unfinished is not None:
            resumed: list[str] | None = json.loads(unfinished.rules) if unfinished.rules else None
            if rules is not None and sorted(rules) != sorted(resumed or []):
                raise Conflict(
                    f"retention run {unfinished.id} of {unfinished.day.isoformat()} did not "
                    "finish: run it again without --rule (or with the same rules) to finish it"
                    " first"
                )
            unfinished.status = "running"
            unfinished.error = None
            _audit(session, org_id, "retention.run.resumed", now, run=unfinished.id)
            return unfinished.id, unfinished.day, resumed
        row = RetentionRun(
            org_id=org_id,
            day=local_date(now),
            rules=json.dumps(sorted(rules)) if rules is not None else None,
            status="running",
            started_by=started_by,
            started_at=now,
        )
        session.add(row)
        session.flush()
        _audit(
            session,
            org_id,
            "retention.run.started",
            now,
            run=row.id,
            day=row.day.isoformat(),
            rules=",".join(sorted(rules)) if rules is not None else "all",
        )
        return row.id, row.day, list(rules) if rules is not None else None


def _run_sweep(
    store: Store,
    run_id: int,
    sweep: Sweep,
    connector: Retainer,
    renew: Callable[[], None],
    progress: Progress | None,
) -> None:
    with store.transaction() as session:
        row = _progress_row(session, run_id, sweep.key)
        if row.done:
            return
        after = tuple(json.loads(row.last_key)) if row.last_key else None
        rows = row.rows
    if progress is not None:
        progress(sweep.key, rows)
    for batch in connector.sweep(sweep, after=after):
        with store.transaction() as session:
            row = _progress_row(session, run_id, sweep.key)
            row.rows += batch.rows
            if batch.last is not None:
                row.last_key = json.dumps(list(batch.last), default=str)
            done = [_line(d) for d in json.loads(row.lines)]
            row.lines = json.dumps(
                [line_json(line) for line in merge_lines([*done, *batch.lines])], default=str
            )
            rows = row.rows
        renew()
        if progress is not None:
            progress(sweep.key, rows)
    with store.transaction() as session:
        row = _progress_row(session, run_id, sweep.key)
        row.done = True


def _line(data: dict[str, Any]) -> PlanLine:
    from privaat.connectors.base import Step

    until = data.get("until")
    return PlanLine(
        store=data["store"],
        table=data["table"],
        step=Step(data["step"]),
        rows=int(data["rows"]),
        columns=tuple(data.get("columns") or ()),
        detail=data.get("detail") or "",
        until=dt.date.fromisoformat(until) if until else None,
        examples=tuple(data.get("examples") or ()),
    )


def _progress_row(session: Session, run_id: int, key: str) -> RetentionProgress:
    row = session.scalars(
        select(RetentionProgress).where(
            RetentionProgress.run_id == run_id, RetentionProgress.sweep == key
        )
    ).first()
    if row is None:
        row = RetentionProgress(run_id=run_id, sweep=key, rows=0, lines="[]", done=False)
        session.add(row)
        session.flush()
    return row


def _housekeeping(store: Store, org_id: int, runtime: Runtime) -> dict[str, int]:
    """Holds of erasure requests that ended, and expired access exports."""
    ended = holds.run_due(store, org_id, runtime)
    now = runtime.clock.now()
    removed = 0
    with store.transaction() as session:
        expired = list(
            session.scalars(
                select(ExportFile).where(ExportFile.org_id == org_id, ExportFile.expires_at <= now)
            )
        )
        for export in expired:
            Path(export.path).unlink(missing_ok=True)
            removed += 1
        if expired:
            session.execute(delete(ExportFile).where(ExportFile.id.in_([e.id for e in expired])))
    return {"held_rows_deleted": ended.deleted, "exports_removed": removed}


def _finish(
    store: Store,
    org_id: int,
    run_id: int,
    found: list[Sweep],
    policy: Any,
    extra: dict[str, int],
    runtime: Runtime,
) -> dict[str, Any]:
    now = runtime.clock.now()
    with store.transaction() as session:
        run_row = session.get(RetentionRun, run_id)
        assert run_row is not None
        rows = {
            p.sweep: p
            for p in session.scalars(
                select(RetentionProgress).where(RetentionProgress.run_id == run_id)
            )
        }
        report_sweeps = []
        for sweep in found:
            progress = rows.get(sweep.key)
            lines = json.loads(progress.lines) if progress is not None else []
            report_sweeps.append(
                {
                    "sweep": sweep.key,
                    "rule": sweep.rule.id,
                    "store": sweep.store,
                    "table": sweep.table,
                    "trigger": sweep.rule.trigger.value,
                    "action": sweep.action.value,
                    "scope": sweep.scope.value,
                    "period": str(sweep.period) if sweep.period is not None else None,
                    "cutoff": sweep.cutoff.isoformat(),
                    "rows": progress.rows if progress is not None else 0,
                    "lines": lines,
                    "conflicts": conflicts(sweep),
                }
            )
            counts = {f"{ln['table']}.{ln['step']}": ln["rows"] for ln in lines}
            _audit(
                session, org_id, "retention.sweep.done", now, run=run_id, sweep=sweep.key, **counts
            )
        report = {
            "run": run_id,
            "day": run_row.day.isoformat(),
            "started_at": run_row.started_at.isoformat(),
            "finished_at": now.isoformat(),
            "sweeps": report_sweeps,
            "unbound": _unbound(policy, found),
            **extra,
        }
        run_row.status = "done"
        run_row.finished_at = now
        run_row.report = json.dumps(report, default=str)
        _audit(session, org_id, "retention.run.finished", now, run=run_id, **extra)
    return report


def _fail(store: Store, run_id: int, exc: BaseException, runtime: Runtime) -> None:
    with store.transaction() as session:
        row = session.get(RetentionRun, run_id)
        if row is not None:
            row.status = "failed"
            row.error = str(exc)[:2000] or type(exc).__name__


def _audit(session: Session, org_id: int, action: str, now: dt.datetime, **detail: object) -> None:
    append(session, AuditRecord("system", action, now, org_id=org_id, detail=detail))


# --------------------------------------------------------------------------- reports


def runs(store: Store, org_id: int, limit: int = 20) -> list[RetentionRun]:
    with store.reading() as session:
        return list(
            session.scalars(
                select(RetentionRun)
                .where(RetentionRun.org_id == org_id)
                .order_by(RetentionRun.id.desc())
                .limit(limit)
            )
        )


def report(store: Store, org_id: int, run_id: int | None = None) -> dict[str, Any]:
    """A finished run's report (the latest when no id is given)."""
    with store.reading() as session:
        query = select(RetentionRun).where(
            RetentionRun.org_id == org_id, RetentionRun.status == "done"
        )
        if run_id is not None:
            query = query.where(RetentionRun.id == run_id)
        row = session.scalars(query.order_by(RetentionRun.id.desc()).limit(1)).first()
        if row is None or row.report is None:
            raise UsageError("no finished retention run" + (f" {run_id}" if run_id else ""))
        out: dict[str, Any] = json.loads(row.report)
        return out


# --------------------------------------------------------------------------- lease


def holder_name() -> str:
    """This process, as a lease names it: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@contextmanager
def lease(store: Store, org_id: int, runtime: Runtime) -> Iterator[Callable[[], None]]:
    """Hold the organisation's sweep lease for the block; yields a function that renews it."""
    me = holder_name()
    _acquire(store, org_id, me, runtime)

    def renew() -> None:
        with store.transaction() as session:
            session.execute(
                update(SweepLease)
                .where(SweepLease.org_id == org_id, SweepLease.holder == me)
                .values(expires_at=_expiry(runtime))
            )

    try:
        yield renew
    finally:
        with store.transaction() as session:
            session.execute(
                delete(SweepLease).where(SweepLease.org_id == org_id, SweepLease.holder == me)
            )


def check_free(store: Store, org_id: int) -> None:
    """Conflict when a live process holds the organisation's sweep lease."""
    now = dt.datetime.now(dt.UTC)
    with store.reading() as session:
        current = session.get(SweepLease, org_id)
        if current is not None and current.expires_at > now and _alive(current.holder):
            raise Conflict("a retention sweep of this organisation is running")


def _expiry(runtime: Runtime) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=LEASE_SECONDS)


def _acquire(store: Store, org_id: int, me: str, runtime: Runtime) -> None:
    now = dt.datetime.now(dt.UTC)  # leases are about real time, not the injected day
    with store.transaction() as session:
        current = session.get(SweepLease, org_id)
        if current is None:
            session.add(SweepLease(org_id=org_id, holder=me, expires_at=_expiry(runtime)))
            try:
                session.flush()
            except IntegrityError:
                raise Conflict("another retention sweep of this organisation started") from None
            return
        if current.expires_at > now and _alive(current.holder):
            raise Conflict(
                f"a retention sweep of this organisation is running ({current.holder}); "
                "it renews its lease after every batch"
            )
        taken = session.connection().execute(
            update(SweepLease)
            .where(SweepLease.org_id == org_id, SweepLease.holder == current.holder)
            .values(holder=me, expires_at=_expiry(runtime))
        )
        if taken.rowcount != 1:
            raise Conflict("another retention sweep of this organisation started")


def _alive(holder: str) -> bool:
    """False when the holder is a process of this machine that no longer exists."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
