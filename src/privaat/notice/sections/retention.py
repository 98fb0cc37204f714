"""How long data are kept: retention rules and statutory holds (Art. 13(2)(a))."""

from __future__ import annotations

from privaat.core.duration import Duration
from privaat.core.policy.model import RetentionRule, StatutoryHold, Trigger
from privaat.notice.context import NoticeContext
from privaat.notice.labels import ACTION, HOLD_KIND, TRIGGER
from privaat.notice.view import DASH, Block, Line, Paragraph, Section, Table, concat, plain


def retention(ctx: NoticeContext) -> Section:
    w = ctx.w
    subsections = [_rule(ctx, r) for r in ctx.policy.retention]
    if ctx.policy.holds:
        subsections.append(_holds(ctx))
    return Section(
        "retention",
        plain(w._("How long we keep your personal data")),
        (
            Paragraph(
                plain(
                    w._(
                        "We keep personal data no longer than we need them for the purposes for "
                        "which we process them. The periods below apply."
                    )
                )
            ),
        ),
        tuple(subsections),
    )


def event(ctx: NoticeContext, r: RetentionRule) -> Line:
    """What starts the period: the named event (its label, else its key) or the trigger."""
    if r.trigger is Trigger.EVENT and r.event_label is not None:
        return ctx.text(r.event_label)
    if r.trigger is Trigger.EVENT and r.event:
        return plain(r.event)
    return plain(ctx.w._(TRIGGER[r.trigger]))


def _rule(ctx: NoticeContext, r: RetentionRule) -> Section:
    w = ctx.w
    start = event(ctx, r)
    maximum = _duration(ctx, r.maximum)
    if r.maximum is not None and r.maximum == Duration():
        # Kept no longer than the trigger itself: say so, rather than "0 days from".
        if r.trigger is Trigger.PROCEDURE_END:
            maximum = plain(w._("only while the procedure runs"))
        else:
            maximum = concat(plain(w._("immediately after")), start, sep=" ")
        start = ()
    details = ctx.fields(
        ctx.many(w._("Data"), (ctx.category(k) for k in r.categories)),
        ctx.many(w._("Whose data"), (ctx.subject(s) for s in r.subjects)),
        ctx.field(w._("Maximum period"), maximum),
        ctx.field(w._("Minimum period"), _duration(ctx, r.minimum)),
        ctx.field(w._("Counted from"), start),
        ctx.field(w._("Clean-up interval"), _duration(ctx, r.schedule)),
        ctx.field(w._("At the end of the period"), plain(w._(ACTION[r.action]))),
        ctx.many(
            w._("Unless the law obliges us to keep them longer"), (ctx.hold_ref(h) for h in r.holds)
        ),
    )
    blocks: tuple[Block, ...] = (details,) if details else ()
    return Section(f"retention-{r.id}", ctx.text(r.description), blocks)


def _holds(ctx: NoticeContext) -> Section:
    w = ctx.w
    rows = tuple(_hold_row(ctx, h) for h in ctx.policy.holds)
    return Section(
        "holds",
        plain(w._("Records the law obliges us to keep")),
        (
            Paragraph(
                plain(
                    w._(
                        "The law obliges us to keep some records for a fixed period, even if you "
                        "ask us to erase them. During that period we use them only to meet that "
                        "obligation."
                    )
                )
            ),
            Table(
                "holds-table",
                w._("Statutory retention periods"),
                (
                    w._("Records"),
                    w._("Kind"),
                    w._("Statutory provision"),
                    w._("Period"),
                    w._("Data"),
                ),
                rows,
            ),
        ),
    )


def _hold_row(ctx: NoticeContext, h: StatutoryHold) -> tuple[Line, ...]:
    w = ctx.w
    duration = w.duration(h.duration)
    period = (
        w._(
            "%(duration)s, counted from 1 January of the year after the record",
            duration=duration,
        )
        if h.from_end_of_year
        else w._("%(duration)s from the date of the record", duration=duration)
    )
    return (
        ctx.text(h.description),
        plain(w._(HOLD_KIND[h.kind])),
        plain(f"{ctx.statute(h.statute)}{DASH}{w.country(h.country)}"),
        plain(period),
        concat(*(ctx.category(k) for k in h.categories), sep=", "),
    )


def _duration(ctx: NoticeContext, value: Duration | None) -> Line:
    return plain(ctx.w.duration(value)) if value is not None else ()
