"""Rules on purposes and their lawful basis (Art. 5, 6, 7, 13 GDPR)."""

from __future__ import annotations

from collections.abc import Iterator

from privaat.core.lint.engine import Hit, Severity, rule
from privaat.core.policy.model import LegalBasis, Policy


@rule("PV101", Severity.ERROR, "purpose without a legal basis", "GDPR Art. 6(1)")
def no_basis(policy: Policy) -> Iterator[Hit]:
    for i, purpose in enumerate(policy.purposes):
        if not purpose.legal_basis:
            yield Hit(
                ("purposes", i, "legal_basis"),
                f"purpose {purpose.id!r} has no legal basis",
                "set legal_basis to exactly one of: " + ", ".join(b.value for b in LegalBasis),
            )


@rule("PV102", Severity.ERROR, "purpose with more than one legal basis", "GDPR Art. 6(1)")
def two_bases(policy: Policy) -> Iterator[Hit]:
    for i, purpose in enumerate(policy.purposes):
        if len(purpose.legal_basis) > 1:
            names = ", ".join(b.value for b in purpose.legal_basis)
            yield Hit(
                ("purposes", i, "legal_basis"),
                f"purpose {purpose.id!r} claims {len(purpose.legal_basis)} legal bases ({names})",
                "split it into one purpose per basis, or keep the one the processing rests on",
            )
