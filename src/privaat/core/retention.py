"""Retention as the policy states it and the data map binds it: which rows have expired today.

A retention rule of the policy says how long data may be kept after a trigger (collection,
the person's last activity, the end of a contract, a named event such as a cancellation, the
end of a procedure, or a fixed schedule) and what happens then (delete, anonymise, or count
into anonymous statistics and delete). The data map binds a rule to a table (``retention:``
on the table): which column the period runs from, which rows are in the state the trigger
names, and, for a rule the policy states without a maximum, the period the company applies.

This module is pure: it compiles the bindings of a map into :class:`Sweep` values for one
day. A row *has expired* on ``today`` when the day its period started is before the sweep's
``cutoff``: the period ``P`` applied to a start day ``d`` ends on ``P.add_to(d)`` (calendar
months, as the law counts them), and the row may be kept up to the day before that. So a row
collected on 15 March 2023 under ``P3Y`` goes on 15 March 2026, not a day earlier. A
schedule (``schedule: P1Y``) clears everything started before the latest boundary of the
schedule (1 January for years, the first of the month for months), so "at least once a
year" means on 1 January.

A statutory hold wins over every rule: rows under the table's hold are kept (their fields
the hold does not need are masked) and reported with the day the hold ends. Where a rule and
a hold disagree, the sweep says so (:func:`conflicts`) instead of choosing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from privaat.core.datamap.model import DataMap, Retain, RetentionScope, Table
from privaat.core.duration import Duration
from privaat.core.policy.model import (
    Policy,
    RetentionAction,
    RetentionRule,
    StatutoryHold,
    Trigger,
)
from privaat.errors import UsageError

#: Triggers whose start is a date column the binding names with ``from``.
DATED_TRIGGERS = frozenset({Trigger.CONTRACT_END, Trigger.EVENT, Trigger.PROCEDURE_END})


@dataclass(frozen=True, slots=True)
class Sweep:
    """One retention rule bound to one table, evaluated for one day."""

    store: str
    table: str
    rule: RetentionRule
    binding: Retain
    today: dt.date
    #: rows whose period started before this day have expired
    cutoff: dt.date
    #: the period applied (None: a schedule alone)
    period: Duration | None
    #: the table's statutory hold, which wins over the rule
    hold: StatutoryHold | None
    #: the column the period runs from (None for last_activity: the person's activity)
    start: str | None
    #: the holds some table of the store is under (documents kept there keep what they
    #: reference: a deletion masks such rows instead, an erasure leaves held rows)
    store_holds: frozenset[str] = frozenset()
    #: person scope: tables of the store under a hold that no rule binds (their held rows
    #: stay after the person is erased, and nothing deletes them when the hold ends)
    unswept_holds: tuple[str, ...] = ()
    #: the rule is bound to this table more than once (each from its own column)
    several: bool = False

    @property
    def action(self) -> RetentionAction:
        return self.rule.action

    @property
    def scope(self) -> RetentionScope:
        return self.binding.scope

    @property
    def key(self) -> str:
        """The sweep's name in reports and progress: ``rule:store.table``, and ``@column``
        when the rule is bound to the table more than once (from different columns)."""
        name = f"{self.rule.id}:{self.store}.{self.table}"
        return f"{name}@{self.start}" if self.several else name

    def expires_on(self, start: dt.date) -> dt.date:
        """The first day a row whose period started on ``start`` may no longer be kept."""
        ends: list[dt.date] = []
        if self.period is not None:
            ends.append(self.period.add_to(start))
        if self.rule.trigger is Trigger.SCHEDULE and self.rule.schedule is not None:
            ends.append(next_boundary(self.rule.schedule, start))
        return min(ends)


def period_of(rule: RetentionRule, binding: Retain) -> Duration | None:
    """The period the binding applies: its ``after``, else the policy's maximum."""
    return binding.after if binding.after is not None else rule.maximum


def cutoff(rule: RetentionRule, period: Duration | None, today: dt.date) -> dt.date:
    """Rows whose period started before the returned day have expired on ``today``."""
    days: list[dt.date] = []
    if period is not None:
        days.append(period.oldest_within(today))
    if rule.trigger is Trigger.SCHEDULE and rule.schedule is not None:
        days.append(last_boundary(rule.schedule, today))
    if not days:
        raise UsageError(f"retention rule {rule.id!r} has no period: bind it with after")
    return max(days)


def last_boundary(every: Duration, today: dt.date) -> dt.date:
    """The latest day of the schedule on or before ``today``.

    Years and months count from 1 January 1970 (``P1Y``: every 1 January, ``P6M``: 1 January
    and 1 July, ``P1M``: the first of every month); days from Monday 5 January 1970.
    """
    if every.total_months and not every.days:
        index = (today.year - 1970) * 12 + today.month - 1
        index -= index % every.total_months
        return dt.date(1970 + index // 12, index % 12 + 1, 1)
    step = max(1, int(every.approx_days()))
    epoch = dt.date(1970, 1, 5)
    return epoch + dt.timedelta(days=(today - epoch).days // step * step)


def next_boundary(every: Duration, start: dt.date) -> dt.date:
    """The first day of the schedule after ``start``."""
    if every.total_months and not every.days:
        return every.add_to(last_boundary(every, start))
    step = max(1, int(every.approx_days()))
    return last_boundary(every, start) + dt.timedelta(days=step)


def start_column(table: Table, rule: RetentionRule, binding: Retain) -> str | None:
    """The column a row's period runs from (None: the person's last activity)."""
    if rule.trigger is Trigger.LAST_ACTIVITY:
        return None
    return binding.from_column or table.created


def sweeps(
    policy: Policy,
    datamap: DataMap,
    today: dt.date,
    rules: Iterable[str] | None = None,
) -> list[Sweep]:
    """Every binding of the map as a sweep for ``today``, in map order; ``rules`` keeps only
    those rules (an unknown rule id is a UsageError)."""
    wanted = None if rules is None else set(rules)
    if wanted is not None:
        unknown = sorted(wanted - {r.id for r in policy.retention})
        if unknown:
            raise UsageError(f"no retention rule {unknown[0]!r} in the policy")
    out: list[Sweep] = []
    for store in datamap.stores:
        store_holds = frozenset(t.hold.id for t in store.tables if t.hold is not None)
        for table in store.tables:
            for binding in table.retention:
                if wanted is not None and binding.rule not in wanted:
                    continue
                rule = policy.retention_rule(binding.rule)
                if rule is None:
                    raise UsageError(
                        f"{store.id}.{table.name}: no retention rule {binding.rule!r} in the policy"
                    )
                period = period_of(rule, binding)
                hold = policy.hold(table.hold.id) if table.hold is not None else None
                out.append(
                    Sweep(
                        store=store.id,
                        table=table.name,
                        rule=rule,
                        binding=binding,
                        today=today,
                        cutoff=cutoff(rule, period, today),
                        period=period,
                        hold=hold,
                        start=start_column(table, rule, binding),
                        store_holds=store_holds,
                        several=sum(b.rule == binding.rule for b in table.retention) > 1,
                        unswept_holds=tuple(
                            t.name for t in store.tables if t.hold is not None and not t.retention
                        )
                        if binding.scope is RetentionScope.PERSON
                        else (),
                    )
                )
    return out


def conflicts(sweep: Sweep) -> list[str]:
    """Where the rule and a statutory hold disagree: said, not settled by guessing."""
    out: list[str] = [
        f"the person's rows in {name!r} stay under its hold after the erasure, and no rule "
        f"deletes them when the hold ends: bind a rule to {name!r} (from its document date)"
        for name in sweep.unswept_holds
    ]
    rule, hold = sweep.rule, sweep.hold
    for named in rule.holds:
        # a hold declared on another table of the store is in force: the documents under it
        # stay, and so do the rows they reference
        if (hold is None or hold.id != named) and named not in sweep.store_holds:
            out.append(
                f"rule {rule.id!r} names hold {named!r}, which no table of store "
                f"{sweep.store!r} is under: rows the law keeps may be deleted here"
            )
    if hold is not None:
        if hold.id not in rule.holds:
            out.append(
                f"table {sweep.table!r} is under hold {hold.id!r}, which rule {rule.id!r} does "
                "not name: the hold wins and rows stay until it ends"
            )
        if sweep.period is not None and hold.duration.longer_than(sweep.period):
            out.append(
                f"rule {rule.id!r} ends after {sweep.period}, hold {hold.id!r} keeps documents "
                f"for {hold.duration}: the hold wins; fields it does not need are masked"
            )
    return out
