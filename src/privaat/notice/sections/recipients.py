"""Who receives the data, and how transfers outside the EEA are safeguarded (Art. 13(1)(e)-(f))."""

from __future__ import annotations

from privaat.core.law import EEA
from privaat.core.policy.model import Recipient, TransferMechanism
from privaat.notice.context import NoticeContext
from privaat.notice.labels import RECIPIENT_ROLE, TRANSFER
from privaat.notice.view import Block, Line, Paragraph, Section, plain


def recipients(ctx: NoticeContext) -> Section:
    w = ctx.w
    if not ctx.policy.recipients:
        return Section(
            "recipients",
            plain(w._("Who receives your personal data")),
            (Paragraph(plain(w._("We do not disclose your personal data to anyone else."))),),
        )
    return Section(
        "recipients",
        plain(w._("Who receives your personal data")),
        (Paragraph(plain(w._("The following recipients receive personal data from us."))),),
        tuple(_recipient(ctx, r) for r in ctx.policy.recipients),
    )


def _recipient(ctx: NoticeContext, r: Recipient) -> Section:
    w = ctx.w
    blocks: list[Block] = []
    if r.description is not None and not r.category_only:
        blocks.append(Paragraph(ctx.text(r.description)))
    details = ctx.fields(
        ctx.field(w._("Role"), plain(w._(RECIPIENT_ROLE[r.role]))),
        ctx.field(w._("Country"), plain(w.country(r.country))),
        ctx.field(
            w._("Transfer outside the European Economic Area")
            if r.country not in EEA
            else w._("Transfer safeguard"),
            *_transfer(ctx, r),
        ),
        ctx.many(w._("Data they receive"), (ctx.category(k) for k in r.categories)),
        ctx.many(w._("For the purposes"), (ctx.purpose(p) for p in r.purposes)),
        ctx.field(w._("Data processing agreement (Art. 28 GDPR)"), _agreement(ctx, r)),
        ctx.field(
            w._("Their privacy notice"),
            ctx.web(r.privacy_policy) if not r.category_only else (),
        ),
    )
    if details:
        blocks.append(details)
    return Section(f"recipient-{r.id}", ctx.recipient(r), tuple(blocks))


def _agreement(ctx: NoticeContext, r: Recipient) -> Line:
    """The data processing agreement, as far as the policy states it."""
    w = ctx.w
    if r.dpa_signed is not None:
        return plain(w._("Signed on %(date)s.", date=w.date(r.dpa_signed)))
    if r.dpa_in_place:
        return plain(w._("A data processing agreement has been concluded."))
    return ()


def _transfer(ctx: NoticeContext, r: Recipient) -> tuple[Line, ...]:
    """The safeguard, for a recipient outside the EEA or one the policy gives a mechanism.

    Only the mechanism the policy states: an adequacy decision for the recipient's country
    is not assumed, since the policy does not rely on it.
    """
    w = ctx.w
    if r.country in EEA and r.transfer is TransferMechanism.NONE:
        return ()
    mechanism = r.transfer
    lines: list[Line] = [plain(w._(TRANSFER[mechanism]))]
    lines.append(ctx.local(r.transfer_detail))
    if mechanism in (TransferMechanism.SCC, TransferMechanism.BCR):
        lines.append(plain(w._("You can obtain a copy of these safeguards from us.")))
    return tuple(lines)
