"""Automated decisions, cookies, security, children, legislation, other commitments, changes."""

from __future__ import annotations

from privaat.core.policy.model import (
    AutomatedDecision,
    Cookie,
    CookieCategory,
    MeasureKind,
    StatuteStatus,
)
from privaat.notice.context import NoticeContext
from privaat.notice.labels import COOKIE_CATEGORY, MEASURE_KIND
from privaat.notice.view import (
    Block,
    Bullets,
    Line,
    Paragraph,
    Section,
    Table,
    concat,
    plain,
)


def decisions(ctx: NoticeContext) -> Section:
    w, p = ctx.w, ctx.policy
    blocks: list[Block] = []
    if not p.automated_decisions:
        blocks.append(
            Paragraph(
                plain(
                    w._(
                        "We do not take decisions that have legal or similarly significant "
                        "effects for you based solely on automated processing."
                    )
                )
            )
        )
    profiled = [x for x in p.purposes if x.profiling]
    if profiled:
        blocks += [
            Paragraph(plain(w._("We use profiling for the following purposes:"))),
            Bullets(tuple(ctx.purpose(x.id) for x in profiled)),
        ]
    return Section(
        "decisions",
        plain(w._("Automated decisions and profiling")),
        tuple(blocks),
        tuple(_decision(ctx, d) for d in p.automated_decisions),
    )


def _decision(ctx: NoticeContext, d: AutomatedDecision) -> Section:
    w = ctx.w
    effect = (
        w._("This decision has legal effects for you or similarly significantly affects you.")
        if d.legal_effect
        else w._("This decision has no legal or similarly significant effects for you.")
    )
    details = ctx.fields(
        ctx.field(w._("How the decision is made"), ctx.text(d.logic)),
        ctx.field(w._("What it means for you"), ctx.text(d.consequences), plain(effect)),
        ctx.many(w._("Purposes"), (ctx.purpose(x) for x in d.purposes)),
        # Only the route the policy states; none is made up when it states none.
        ctx.field(w._("Human intervention"), ctx.local(d.human_review)),
    )
    return Section(f"decision-{d.id}", ctx.text(d.name), (details,) if details else ())


def cookies(ctx: NoticeContext) -> Section | None:
    w, p = ctx.w, ctx.policy
    if not p.cookies:
        return None
    # The table, not a general promise, says which cookies wait for consent.
    intro = w._(
        "Our website uses cookies and similar technologies. The table shows for each of them "
        "who places it, why, how long it lasts and whether it is placed only after your consent."
    )
    return Section(
        "cookies",
        plain(w._("Cookies")),
        (
            Paragraph(plain(intro)),
            Table(
                "cookies-table",
                w._("Cookies on our website"),
                (
                    w._("Name"),
                    w._("Placed by"),
                    w._("Category"),
                    w._("Purpose"),
                    w._("Lifetime"),
                    w._("Consent"),
                ),
                tuple(_cookie(ctx, c) for c in p.cookies),
            ),
        ),
    )


def _cookie(ctx: NoticeContext, c: Cookie) -> tuple[Line, ...]:
    w, p = ctx.w, ctx.policy
    if c.provider == "first_party":
        provider: Line = plain(w._("%(name)s (ourselves)", name=p.controller.name))
    else:
        provider = ctx.recipient_ref(c.provider)
    if c.lifetime is None:
        lifetime = w.pgettext("cookie lifetime", "Not stated")
    elif c.lifetime == "session":
        lifetime = w._("Until you close your browser")
    else:
        lifetime = w.duration(c.lifetime)
    if c.consent_required:
        consent = w._("Only after your consent")
    elif c.category is CookieCategory.STRICTLY_NECESSARY:
        consent = w._("Not needed")
    else:
        # The policy says it is set without consent; whether it may be is the linter's call.
        consent = w._("Placed without asking for your consent")
    return (
        plain(c.name),
        provider,
        plain(w._(COOKIE_CATEGORY[c.category])),
        ctx.text(c.purpose),
        plain(lifetime),
        plain(consent),
    )


def security(ctx: NoticeContext) -> Section | None:
    w, measures = ctx.w, ctx.policy.security
    if not measures:
        return None
    details = ctx.fields(
        *(
            ctx.many(
                w._(MEASURE_KIND[kind]), (ctx.text(m.label) for m in measures if m.kind is kind)
            )
            for kind in MeasureKind
        )
    )
    blocks: list[Block] = [
        Paragraph(
            plain(
                w._(
                    "We protect your personal data with the following technical and "
                    "organisational measures (Art. 32 GDPR):"
                )
            )
        )
    ]
    if details:
        blocks.append(details)
    return Section("security", plain(w._("How we protect your personal data")), tuple(blocks))


def children(ctx: NoticeContext) -> Section | None:
    w, kids = ctx.w, ctx.policy.children
    if kids is None:
        return None
    blocks: list[Block] = [
        Paragraph(
            plain(
                w.ngettext(
                    "If you are under %(num)d year of age, we need the consent of your parent "
                    "or guardian to process your data on the basis of consent for our online "
                    "services (Art. 8 GDPR).",
                    "If you are under %(num)d years of age, we need the consent of your parent "
                    "or guardian to process your data on the basis of consent for our online "
                    "services (Art. 8 GDPR).",
                    kids.min_age,
                )
            )
        )
    ]
    if kids.statement is not None:
        blocks.append(Paragraph(ctx.text(kids.statement)))
    return Section("children", plain(w._("Children")), tuple(blocks))


def legislation(ctx: NoticeContext) -> Section | None:
    w, cited = ctx.w, ctx.policy.statutes
    if not cited:
        return None
    items: list[Line] = []
    for c in cited:
        notes = []
        if c.status is StatuteStatus.HISTORICAL:
            notes.append(w._("no longer in force"))
        if c.quote:
            notes.append(w._("referred to as “%(quote)s”", quote=c.quote))
        suffix = f" ({', '.join(notes)})" if notes else ""
        items.append(plain(ctx.statute(c.statute) + suffix))
    return Section(
        "legislation",
        plain(w._("Legislation we refer to")),
        (Bullets(tuple(items)),),
    )


def statements(ctx: NoticeContext) -> Section | None:
    """The policy's other promises, each as the policy words it."""
    w, stated = ctx.w, ctx.policy.statements
    if not stated:
        return None
    return Section(
        "commitments",
        plain(w._("Further commitments")),
        (Bullets(tuple(ctx.text(s.text) for s in stated)),),
    )


def changes(ctx: NoticeContext) -> Section:
    w, p = ctx.w, ctx.policy
    blocks: list[Block] = []
    if p.changes is not None:
        blocks.append(Paragraph(ctx.text(p.changes.notice)))
    blocks.append(
        Paragraph(
            concat(
                plain(
                    w._(
                        "This is version %(version)s of this notice, in force since %(date)s.",
                        version=p.version,
                        date=w.date(p.date),
                    )
                )
            )
        )
    )
    return Section("changes", plain(w._("Changes to this notice")), tuple(blocks))
