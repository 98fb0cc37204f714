"""Rules on automated individual decisions (Art. 13(2)(f), 22 GDPR).

Only decisions with legal or similarly significant effects fall under Art. 22, so both
rules look at those alone.
"""

from __future__ import annotations

from collections.abc import Iterator

from privaat.core.lint.engine import Hit, Severity, rule
from privaat.core.policy.model import Policy, Right


@rule(
    "PV601",
    Severity.ERROR,
    "automated decision with legal or similar effect without a human-review route",
    "GDPR Art. 22(3)",
)
def no_human_review(policy: Policy) -> Iterator[Hit]:
    for i, decision in enumerate(policy.automated_decisions):
        if decision.legal_effect and decision.human_review is None:
            yield Hit(
                ("automated_decisions", i, "human_review"),
                f"automated decision {decision.id!r} has legal or similar effects but no way "
                "to obtain human intervention",
                "add human_review: how to obtain human intervention, give one's view "
                "and contest the decision",
            )


@rule(
    "PV602",
    Severity.ERROR,
    "automated decisions exist but the human_review right is not listed",
    "GDPR Art. 13(2)(f), Art. 22(3)",
)
def human_review_right_missing(policy: Policy) -> Iterator[Hit]:
    decisions = [d.id for d in policy.automated_decisions if d.legal_effect]
    if decisions and Right.HUMAN_REVIEW not in policy.rights.rights:
        yield Hit(
            ("rights", "rights"),
            f"the policy takes automated decisions ({', '.join(decisions)}) but does not list "
            "the right to human review",
            "add human_review to rights.rights",
        )
