"""Whose data, which data and why: subject groups, data categories, purposes and legal bases."""

from __future__ import annotations

from privaat.core.policy.model import LegalBasis, Purpose
from privaat.notice.context import NoticeContext
from privaat.notice.labels import ART9_CONDITION, LEGAL_BASIS
from privaat.notice.view import (
    DASH,
    Block,
    Bullets,
    Field,
    Line,
    Paragraph,
    Section,
    Span,
    bold,
    concat,
    plain,
)


def subjects(ctx: NoticeContext) -> Section:
    w = ctx.w
    items = tuple(
        concat(bold(ctx.text(s.label)), ctx.local(s.description), sep=DASH)
        for s in ctx.policy.subjects
    )
    return Section(
        "subjects",
        plain(w._("Whose personal data we process")),
        (
            Paragraph(plain(w._("We process personal data of the following groups of people:"))),
            Bullets(items),
        ),
    )


def categories(ctx: NoticeContext) -> Section:
    w = ctx.w
    items: list[Line] = []
    for c in ctx.policy.categories:
        notes: list[str] = []
        if c.special:
            if c.art9_condition is not None:
                notes.append(
                    w._(
                        "Special category of personal data (Art. 9 GDPR), processed on the "
                        "basis of %(condition)s.",
                        condition=w._(ART9_CONDITION[c.art9_condition]),
                    )
                )
            else:
                notes.append(w._("Special category of personal data (Art. 9 GDPR)."))
        elif c.art9_condition is not None:
            notes.append(
                w._(
                    "Processed on the basis of %(condition)s.",
                    condition=w._(ART9_CONDITION[c.art9_condition]),
                )
            )
        if c.criminal:
            notes.append(w._("Data relating to criminal convictions and offences (Art. 10 GDPR)."))
        if c.encrypted:
            notes.append(w._("Stored encrypted."))
        if not c.provided_by_subject:
            notes.append(w._("Not provided by you."))
        items.append(
            concat(
                bold(ctx.text(c.label)),
                concat(
                    _sentence(ctx.local(c.description)),
                    plain(" ".join(notes)) if notes else (),
                    sep=" ",
                ),
                sep=DASH,
            )
        )
    return Section(
        "data",
        plain(w._("Which personal data we process")),
        (
            Paragraph(
                plain(
                    w._(
                        "We process the following categories of personal data. Under each "
                        "activity below you can see which of them we use for what."
                    )
                )
            ),
            Bullets(tuple(items)),
        ),
    )


def purposes(ctx: NoticeContext) -> Section:
    w = ctx.w
    blocks: tuple[Block, ...] = (
        Paragraph(
            plain(
                w._(
                    "We process personal data only for the purposes below, each on a legal "
                    "basis of Art. 6 GDPR."
                )
            )
        ),
    )
    if not ctx.policy.purposes:
        blocks = (Paragraph(plain(w._("This notice states no purposes."))),)
    return Section(
        "purposes",
        plain(w._("Why we process your personal data and on what legal basis")),
        blocks,
        tuple(_purpose(ctx, p) for p in ctx.policy.purposes),
    )


def _purpose(ctx: NoticeContext, p: Purpose) -> Section:
    w = ctx.w
    blocks: list[Block] = []
    if p.description is not None:
        blocks.append(Paragraph(ctx.text(p.description)))
    bases = tuple(plain(w._(LEGAL_BASIS[b])) for b in p.legal_basis)
    fields: list[Field | None] = [
        ctx.field(w._("Legal basis"), *bases)
        if bases
        else ctx.field(w._("Legal basis"), plain(w._("No legal basis is stated."))),
        ctx.field(w._("The contract"), ctx.local(p.contract)),
    ]
    if (li := p.legitimate_interest) is not None:
        fields += [
            ctx.field(w._("Our legitimate interest"), ctx.text(li.interest)),
            ctx.field(w._("Balancing of interests"), ctx.local(li.balancing)),
            ctx.field(
                w._("Your right to object"),
                ctx.local(li.objection)
                or plain(
                    w._(
                        "You can object to this processing at any time on grounds relating to "
                        "your particular situation; we then stop unless we have compelling "
                        "legitimate grounds that override your interests."
                    )
                ),
            ),
        ]
    elif LegalBasis.LEGITIMATE_INTEREST in p.legal_basis:
        fields.append(
            ctx.field(w._("Our legitimate interest"), plain(w._("The interest is not stated.")))
        )
    if (lo := p.legal_obligation) is not None:
        fields.append(
            ctx.field(w._("Statutory provisions"), *(plain(ctx.statute(s)) for s in lo.statutes))
        )
    if (consent := p.consent) is not None:
        implied = (
            plain(
                w._("We consider that you give your consent by using our website or our services.")
            )
            if consent.implied
            else ()
        )
        fields += [
            ctx.field(w._("How you give your consent"), ctx.text(consent.mechanism), implied),
            ctx.field(
                w._("Confirmation (double opt-in)"),
                plain(
                    w._(
                        "We first send you an e-mail with a confirmation link; your consent "
                        "only takes effect once you have clicked it."
                    )
                )
                if consent.double_opt_in
                else (),
            ),
            ctx.field(
                w._("How long your consent lasts"),
                plain(
                    w._(
                        "Your consent lapses after %(duration)s unless you renew it.",
                        duration=w.duration(consent.expires_after),
                    )
                )
                if consent.expires_after is not None
                else (),
            ),
            # Only what the policy states: the general right to withdraw is in "Your rights".
            ctx.field(w._("How you withdraw your consent"), ctx.local(consent.withdrawal)),
        ]
    if p.marketing:
        fields.append(
            ctx.field(
                w._("Direct marketing"),
                plain(
                    w._(
                        "You can object to direct marketing at any time, free of charge and "
                        "without giving reasons, and we will then stop (Art. 21(2) GDPR). We "
                        "treat a Global Privacy Control signal from your browser as such an "
                        "objection."
                    )
                ),
            )
        )
    if p.soft_opt_in:
        fields.append(ctx.field(w._("Existing customers"), plain(_soft_opt_in(ctx))))
    if p.profiling:
        fields.append(
            ctx.field(
                w._("Profiling"),
                plain(
                    w._(
                        "For this purpose we evaluate certain personal aspects of you by "
                        "automated means (profiling)."
                    )
                ),
            )
        )
    details = ctx.fields(*fields)
    if details:
        blocks.append(details)
    return Section(f"purpose-{p.id}", ctx.text(p.name), tuple(blocks))


def _soft_opt_in(ctx: NoticeContext) -> str:
    w = ctx.w
    groups = [
        "".join(s.text for s in ctx.text(g.label))
        for g in ctx.policy.subjects
        if g.existing_customers
    ]
    if groups:
        return w._(
            "If you are already our customer (%(groups)s), we may send you these messages about "
            "similar products and services without asking for your consent first. Every message "
            "lets you unsubscribe free of charge.",
            groups=w.join(groups),
        )
    return w._(
        "If you are already our customer, we may send you these messages about similar products "
        "and services without asking for your consent first. Every message lets you unsubscribe "
        "free of charge."
    )


def _sentence(line: Line) -> Line:
    """A text that ends like a sentence, so that further sentences can follow it."""
    if not line or line[-1].text.rstrip().endswith((".", "!", "?", "…", ":", ";")):
        return line
    last = line[-1]
    return (*line[:-1], Span(last.text + ".", last.kind, last.href, last.lang))
