"""What an access request must tell the person besides their data (GDPR Art. 15(1)-(2)).

Given the policy and the data categories actually found, this selects the processing
activities that use those categories, and from them the purposes with their legal bases,
the recipients (with their countries and transfer safeguards), the retention rules, the
sources, and the automated decisions. Pure: no database, no rendering.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TypeVar

from privaat.core.policy.model import (
    Activity,
    AutomatedDecision,
    DataCategory,
    Policy,
    Purpose,
    Recipient,
    RetentionRule,
    Source,
)

T = TypeVar("T")


def related(a: str, b: str) -> bool:
    """Two category keys name overlapping data: equal, or one is the other's parent."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


@dataclass(frozen=True, slots=True)
class AccessReport:
    categories: tuple[DataCategory, ...]
    activities: tuple[Activity, ...]
    purposes: tuple[Purpose, ...]
    recipients: tuple[Recipient, ...]
    retention: tuple[RetentionRule, ...]
    sources: tuple[Source, ...]
    decisions: tuple[AutomatedDecision, ...]


def access_report(policy: Policy, found: Collection[str]) -> AccessReport:
    """The Art. 15 information for the data categories ``found`` in the person's data."""
    categories = tuple(c for c in policy.categories if any(related(c.key, f) for f in found))
    keys = [c.key for c in categories] or list(found)
    activities = tuple(
        a for a in policy.activities if any(related(k, c) for k in keys for c in a.categories)
    )
    purpose_ids = _ordered(pid for a in activities for pid in a.purposes)
    recipient_ids = _ordered(rid for a in activities for rid in a.recipients)
    recipient_ids += [
        r.id
        for r in policy.recipients
        if r.id not in recipient_ids
        and any(related(k, c) for k in keys for c in r.categories)
        and any(p in purpose_ids for p in r.purposes)
    ]
    rule_ids = _ordered(rid for a in activities for rid in a.retention)
    return AccessReport(
        categories=categories,
        activities=activities,
        purposes=tuple(p for p in policy.purposes if p.id in purpose_ids),
        recipients=tuple(r for r in policy.recipients if r.id in recipient_ids),
        retention=tuple(r for r in policy.retention if r.id in rule_ids),
        sources=tuple(_ordered(s for a in activities for s in a.sources)),
        decisions=tuple(
            d for d in policy.automated_decisions if any(p in purpose_ids for p in d.purposes)
        ),
    )


def _ordered(items: Iterable[T]) -> list[T]:
    """Items without repeats, in first-seen order."""
    out: list[T] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out
