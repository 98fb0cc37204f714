"""Rules on recipients, processor agreements and transfers outside the EEA (Art. 28, 44-49 GDPR).

Internal recipients (the organisation's own departments) need no agreement and make no
transfer, so the transfer and DPA rules skip them.
"""

from __future__ import annotations

from collections.abc import Iterator

from privaat.core.law import ADEQUATE, ADEQUATE_IF_CERTIFIED, EEA
from privaat.core.lint.engine import Hit, Severity, rule
from privaat.core.policy.model import Policy, Recipient, RecipientRole, TransferMechanism

_PROCESSORS = frozenset({RecipientRole.PROCESSOR, RecipientRole.SUB_PROCESSOR})


def _transfers(policy: Policy) -> Iterator[tuple[int, Recipient]]:
    """Recipients outside the organisation and outside the EEA, with their index."""
    for i, recipient in enumerate(policy.recipients):
        if recipient.role is not RecipientRole.INTERNAL and recipient.country not in EEA:
            yield i, recipient


@rule(
    "PV401",
    Severity.ERROR,
    "recipient outside the EEA without a transfer mechanism",
    "GDPR Art. 44-46",
)
def transfer_without_mechanism(policy: Policy) -> Iterator[Hit]:
    for i, recipient in _transfers(policy):
        if recipient.transfer is TransferMechanism.NONE:
            if recipient.country in ADEQUATE_IF_CERTIFIED:
                fix = "set transfer: dpf if the recipient is DPF-certified, else scc"
            elif recipient.country in ADEQUATE:
                fix = "set transfer: adequacy"
            else:
                fix = "set transfer: scc (standard contractual clauses) or bcr"
            yield Hit(
                ("recipients", i, "transfer"),
                f"recipient {recipient.id!r} is in {recipient.country}, outside the EEA, "
                "and no transfer mechanism is named",
                fix,
            )


@rule(
    "PV402",
    Severity.ERROR,
    "processor or sub-processor without a DPA",
    "GDPR Art. 28(3)",
)
def processor_without_dpa(policy: Policy) -> Iterator[Hit]:
    for i, recipient in enumerate(policy.recipients):
        has_dpa = recipient.dpa_signed is not None or recipient.dpa_in_place
        if recipient.role in _PROCESSORS and not has_dpa:
            yield Hit(
                ("recipients", i, "dpa_signed"),
                f"{recipient.role.value.replace('_', '-')} {recipient.id!r} has no signed "
                "data processing agreement",
                "sign an Art. 28 agreement and set dpa_signed: the date it was signed "
                "(or dpa_in_place: true when the date is unknown)",
            )


@rule(
    "PV403",
    Severity.ERROR,
    "adequacy claimed for a country without an adequacy decision",
    "GDPR Art. 45; Commission Implementing Decision (EU) 2023/1795",
)
def adequacy_without_decision(policy: Policy) -> Iterator[Hit]:
    for i, recipient in _transfers(policy):
        if recipient.transfer is TransferMechanism.ADEQUACY and recipient.country not in ADEQUATE:
            if recipient.country in ADEQUATE_IF_CERTIFIED:
                why = "is adequate only for organisations certified under the DPF"
                fix = "set transfer: dpf if the recipient is certified, else scc"
            else:
                why = "has no adequacy decision"
                fix = "set transfer: scc (standard contractual clauses) or bcr"
            yield Hit(
                ("recipients", i, "transfer"),
                f"recipient {recipient.id!r} claims adequacy, but {recipient.country} {why}",
                fix,
            )


@rule("PV404", Severity.WARNING, "recipient used by no activity", "GDPR Art. 30(1)(d)")
def unused_recipient(policy: Policy) -> Iterator[Hit]:
    used = {rid for activity in policy.activities for rid in activity.recipients}
    for i, recipient in enumerate(policy.recipients):
        if recipient.id not in used:
            yield Hit(
                ("recipients", i, "id"),
                f"recipient {recipient.id!r} receives data from no activity",
                f"list {recipient.id!r} in the recipients of the activity that discloses to it, "
                "or remove the recipient",
            )


@rule(
    "PV405",
    Severity.ERROR,
    "dpf mechanism for a recipient outside the US",
    "Commission Implementing Decision (EU) 2023/1795",
)
def dpf_outside_us(policy: Policy) -> Iterator[Hit]:
    for i, recipient in enumerate(policy.recipients):
        if recipient.role is RecipientRole.INTERNAL:
            continue
        if (
            recipient.transfer is TransferMechanism.DPF
            and recipient.country not in ADEQUATE_IF_CERTIFIED
        ):
            if recipient.country in EEA:
                fix = "set transfer: none (no transfer within the EEA)"
            elif recipient.country in ADEQUATE:
                fix = "set transfer: adequacy"
            else:
                fix = "set transfer: scc (standard contractual clauses) or bcr"
            yield Hit(
                ("recipients", i, "transfer"),
                f"recipient {recipient.id!r} is in {recipient.country}, but the Data Privacy "
                "Framework only covers US organisations",
                fix,
            )
