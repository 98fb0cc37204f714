"""The processing activities: purposes x subjects x data x sources x recipients x retention.

Activities where the organisation is (joint) controller come in one section; those it
carries out as a processor for its customers in another, since the reader's rights
then run through the customer (Art. 28 GDPR).
"""

from __future__ import annotations

from privaat.core.policy.model import Activity, Role
from privaat.notice.context import NoticeContext
from privaat.notice.labels import REQUIREMENT, SOURCE
from privaat.notice.view import Block, Line, Paragraph, Section, concat, plain


def controller_activities(ctx: NoticeContext) -> Section:
    w = ctx.w
    return Section(
        "activities",
        plain(w._("Our processing activities")),
        (
            Paragraph(
                plain(
                    w._(
                        "For each activity you can see for which purposes we process which "
                        "personal data of whom, where the data come from, who receives them and "
                        "how long we keep them."
                    )
                )
            ),
        ),
        tuple(_activity(ctx, a) for a in ctx.policy.activities if a.role is not Role.PROCESSOR),
    )


def processor_activities(ctx: NoticeContext) -> Section | None:
    w = ctx.w
    mine = [a for a in ctx.policy.activities if a.role is Role.PROCESSOR]
    if not mine:
        return None
    return Section(
        "processor",
        plain(w._("When we process data on behalf of our customers")),
        (
            Paragraph(
                plain(
                    w._(
                        "For the activities in this section we are a processor (Art. 28 GDPR): "
                        "we process the personal data only on behalf of our customers and on "
                        "their documented instructions. Our customer is the controller and "
                        "decides why and how the data are processed; its own privacy notice "
                        "applies."
                    )
                )
            ),
            Paragraph(
                plain(
                    w._(
                        "If you want to exercise your rights regarding these data, please "
                        "contact the organisation concerned. We help it to answer your request."
                    )
                )
            ),
        ),
        tuple(_activity(ctx, a) for a in mine),
    )


def _activity(ctx: NoticeContext, a: Activity) -> Section:
    w = ctx.w
    blocks: list[Block] = []
    if a.description is not None:
        blocks.append(Paragraph(ctx.text(a.description)))
    if a.role is Role.JOINT_CONTROLLER:
        blocks.append(
            Paragraph(
                plain(
                    w._(
                        "We carry out this activity as joint controllers: together with another "
                        "organisation we decide why and how the data are processed "
                        "(Art. 26 GDPR)."
                    )
                )
            )
        )
    on_behalf_label = w._("On behalf of") if a.role is Role.PROCESSOR else w._("Together with")
    provision: tuple[Line, ...] = ()
    if a.provision is not None:
        provision = (
            plain(w._(REQUIREMENT[a.provision.requirement])),
            concat(
                plain(w._("If you do not provide them:")),
                ctx.local(a.provision.consequence),
                sep=" ",
            )
            if a.provision.consequence is not None
            else (),
        )
    details = ctx.fields(
        ctx.field(on_behalf_label, ctx.local(a.on_behalf_of)),
        ctx.many(w._("Purposes"), (ctx.purpose(pid) for pid in a.purposes)),
        ctx.many(w._("Whose data"), (ctx.subject(sid) for sid in a.subjects)),
        ctx.many(w._("Which data"), (ctx.category(key) for key in a.categories)),
        ctx.field(
            w._("Where the data come from"),
            *(plain(w._(SOURCE[s])) for s in a.sources),
            ctx.local(a.source_detail),
        ),
        ctx.many(w._("Recipients"), (ctx.recipient_ref(r) for r in a.recipients)),
        ctx.many(w._("How long we keep them"), (ctx.retention_ref(r) for r in a.retention)),
        ctx.many(w._("What the law obliges us to keep longer"), (ctx.hold_ref(h) for h in a.holds)),
        ctx.many(w._("Where the data are kept"), (plain(s) for s in a.systems)),
        ctx.field(w._("Providing the data"), *provision),
    )
    if details:
        blocks.append(details)
    return Section(f"activity-{a.id}", ctx.text(a.name), tuple(blocks))
