"""Rules on retention periods and statutory holds (Art. 5(1)(e), 13(2)(a), 17(3) GDPR)."""

from __future__ import annotations

from collections.abc import Iterator

from privaat.core.law import HOLD_MINIMUMS
from privaat.core.lint.engine import Hit, Severity, rule
from privaat.core.policy.model import Policy, Role, Trigger


@rule(
    "PV301",
    Severity.ERROR,
    "retention stated as a minimum with no maximum",
    "GDPR Art. 5(1)(e), Art. 13(2)(a)",
)
def minimum_only(policy: Policy) -> Iterator[Hit]:
    for i, rule_ in enumerate(policy.retention):
        if rule_.minimum is not None and rule_.maximum is None:
            yield Hit(
                ("retention", i, "maximum"),
                f"retention rule {rule_.id!r} says data is kept at least {rule_.minimum}, "
                "but not how long at most",
                "add maximum: the longest time the data is kept after the trigger",
            )


@rule(
    "PV302",
    Severity.ERROR,
    "retention rule with no duration",
    "GDPR Art. 5(1)(e), Art. 13(2)(a)",
)
def no_duration(policy: Policy) -> Iterator[Hit]:
    for i, rule_ in enumerate(policy.retention):
        if rule_.minimum is None and rule_.maximum is None:
            yield Hit(
                ("retention", i, "maximum"),
                f"retention rule {rule_.id!r} states no period ('as long as necessary')",
                "add maximum: a period such as P2Y, counted from the trigger",
            )


@rule(
    "PV303",
    Severity.ERROR,
    "trigger event without event name, or trigger schedule without schedule",
    "GDPR Art. 13(2)(a)",
)
def trigger_incomplete(policy: Policy) -> Iterator[Hit]:
    for i, rule_ in enumerate(policy.retention):
        if rule_.trigger is Trigger.EVENT and rule_.event is None:
            yield Hit(
                ("retention", i, "event"),
                f"retention rule {rule_.id!r} starts at an event but does not name it",
                "add event: the event that starts the period (e.g. account closed)",
            )
        elif rule_.trigger is Trigger.SCHEDULE and rule_.schedule is None:
            yield Hit(
                ("retention", i, "schedule"),
                f"retention rule {rule_.id!r} runs on a schedule but does not say how often",
                "add schedule: how often the sweep runs (e.g. P1Y)",
            )


@rule(
    "PV304",
    Severity.WARNING,
    "controller activity with no retention rule",
    "GDPR Art. 5(1)(e), Art. 30(1)(f)",
)
def activity_without_retention(policy: Policy) -> Iterator[Hit]:
    for i, activity in enumerate(policy.activities):
        if activity.role is not Role.PROCESSOR and not activity.retention:
            yield Hit(
                ("activities", i, "retention"),
                f"activity {activity.id!r} names no retention rule",
                "add retention: the ids of the retention rules that limit this activity's data",
            )


@rule(
    "PV305",
    Severity.ERROR,
    "statutory hold shorter than the statute",
    "BE VAT Code art. 60; BE WER art. III.88; NL AWR art. 52; NL BW 2 art. 10",
)
def hold_too_short(policy: Policy) -> Iterator[Hit]:
    for i, hold in enumerate(policy.holds):
        statute = HOLD_MINIMUMS.get((hold.country, hold.kind))
        if statute is not None and statute.minimum.longer_than(hold.duration):
            yield Hit(
                ("holds", i, "duration"),
                f"hold {hold.id!r} keeps {hold.kind} for {hold.duration}, but {statute.statute} "
                f"requires {statute.minimum} in {hold.country}",
                f"set duration: {statute.minimum}",
            )


@rule(
    "PV306",
    Severity.WARNING,
    "hold not counted from 1 January after the year where the law counts so",
    "BE VAT Code art. 60; BE WER art. III.88; NL AWR art. 52; NL BW 2 art. 10",
)
def hold_not_from_year_end(policy: Policy) -> Iterator[Hit]:
    for i, hold in enumerate(policy.holds):
        statute = HOLD_MINIMUMS.get((hold.country, hold.kind))
        if statute is not None and statute.from_end_of_year and not hold.from_end_of_year:
            yield Hit(
                ("holds", i, "from_end_of_year"),
                f"hold {hold.id!r} counts from the document date, but {statute.statute} "
                "counts from 1 January after the year of the document",
                "set from_end_of_year: true",
            )


@rule(
    "PV307",
    Severity.WARNING,
    "retention rule removes a category a hold keeps, without naming the hold",
    "GDPR Art. 17(3)(b)",
)
def rule_ignores_hold(policy: Policy) -> Iterator[Hit]:
    for i, rule_ in enumerate(policy.retention):
        for hold in policy.holds:
            if hold.id in rule_.holds:
                continue
            shared = [key for key in rule_.categories if key in hold.categories]
            if shared:
                yield Hit(
                    ("retention", i, "holds"),
                    f"retention rule {rule_.id!r} would {rule_.action.value} "
                    f"{', '.join(shared)}, which hold {hold.id!r} must keep",
                    f"add {hold.id!r} to the holds of retention rule {rule_.id!r}",
                )


_BILLING_PREFIXES = ("user.financial", "user.payment")
_BOOKKEEPING_HOLDS = frozenset({"invoices", "fiscal", "accounting"})


@rule(
    "PV308",
    Severity.WARNING,
    "billing data processed but no statutory hold for invoices or accounts",
    "BE VAT Code art. 60; BE Code of Economic Law art. III.88; NL AWR art. 52",
)
def billing_without_hold(policy: Policy) -> Iterator[Hit]:
    if policy.jurisdiction not in {"BE", "NL"}:
        return
    if any(hold.kind in _BOOKKEEPING_HOLDS for hold in policy.holds):
        return
    for i, activity in enumerate(policy.activities):
        if activity.role is Role.PROCESSOR:
            continue
        for j, key in enumerate(activity.categories):
            if any(key == p or key.startswith(p + ".") for p in _BILLING_PREFIXES):
                minimum = HOLD_MINIMUMS.get((policy.jurisdiction, "invoices"))
                years = f"{minimum.minimum} " if minimum else ""
                yield Hit(
                    ("activities", i, "categories", j),
                    f"activity {activity.id!r} processes billing data ({key}), but no statutory "
                    "hold keeps invoices or accounts; an erasure or a retention sweep would "
                    "delete records the law requires to keep",
                    f"add a hold of kind invoices ({years}in {policy.jurisdiction}) for the "
                    "billing categories",
                )
                return
