"""The reader's rights, how to exercise them, and where to complain (Art. 13(2)(b)-(d))."""

from __future__ import annotations

from privaat.core.law import AUTHORITIES
from privaat.core.policy.model import Channel, ChannelKind, LegalBasis, Right, pick
from privaat.notice.context import NoticeContext
from privaat.notice.labels import CHANNEL, RIGHT, VERIFICATION
from privaat.notice.view import (
    DASH,
    Block,
    Bullets,
    Field,
    Line,
    Paragraph,
    Section,
    concat,
    plain,
    strong,
)


def rights(ctx: NoticeContext) -> Section:
    w, r = ctx.w, ctx.policy.rights
    items = tuple(
        concat(strong(w._(RIGHT[right][0])), plain(w._(RIGHT[right][1])), sep=DASH)
        for right in r.rights
    )
    blocks: list[Block] = [
        Paragraph(plain(w._("You have the following rights regarding your personal data:"))),
        Bullets(items),
    ]
    if r.subjects:
        groups = ("".join(s.text for s in ctx.subject(sid)) for sid in r.subjects)
        blocks.append(
            Paragraph(
                plain(
                    w._(
                        "We grant these rights to the following groups: %(groups)s. The GDPR, "
                        "however, gives them to everyone whose personal data we process.",
                        groups=w.join(groups),
                    )
                )
            )
        )
    blocks.append(Paragraph(plain(w._("Exercising your rights is free of charge."))))
    subsections = [_exercise(ctx)]
    withdraw = _withdraw(ctx)
    if withdraw is not None:
        subsections.append(withdraw)
    subsections.append(_complaint(ctx))
    return Section("rights", plain(w._("Your rights")), tuple(blocks), tuple(subsections))


def _exercise(ctx: NoticeContext) -> Section:
    w, r = ctx.w, ctx.policy.rights
    channels = ctx.fields(*(_channel(ctx, c) for c in r.channels))
    blocks: list[Block] = [Paragraph(plain(w._("You can send us your request:")))]
    if channels:
        blocks.append(channels)
    blocks.append(
        Paragraph(
            plain(
                w._(
                    "We answer your request within %(deadline)s of receiving it.",
                    deadline=w.duration(r.deadline),
                )
            )
        )
    )
    if r.extension is not None:
        blocks.append(
            Paragraph(
                plain(
                    w._(
                        "If your request is complex or we receive many requests, we may extend "
                        "this period by at most %(extension)s. We will then tell you so, with the "
                        "reasons, before the first period ends.",
                        extension=w.duration(r.extension),
                    )
                )
            )
        )
    if r.verification:
        blocks.append(
            Paragraph(
                plain(
                    w._(
                        "To make sure that we give your data only to you, we check your identity "
                        "by %(methods)s.",
                        methods=w.join((w._(VERIFICATION[v]) for v in r.verification), "or"),
                    )
                )
            )
        )
    if r.self_service is not None:
        blocks.append(
            Paragraph(
                concat(strong(w._("What you can do yourself:")), ctx.text(r.self_service), sep=" ")
            )
        )
    if r.notes is not None:
        blocks.append(Paragraph(ctx.text(r.notes)))
    return Section("exercise", plain(w._("How to exercise your rights")), tuple(blocks))


def _channel(ctx: NoticeContext, channel: Channel) -> Field:
    """A way to send a request, with where to send it; an account alone when it has no address."""
    label = ctx.w._(CHANNEL[channel.kind])
    address = _address(ctx, channel)
    if not address:
        return Field(label, label, ())
    return Field(label, ctx.w.lead(label), (address,))


def _address(ctx: NoticeContext, channel: Channel) -> Line:
    """Where to send a request; the controller's own details when the channel names none.

    A channel is listed even when neither it nor the controller gives an address: the
    notice then says that the address is not stated. An account needs no address (the
    reader signs in), so it is then named alone.
    """
    w, c = ctx.w, ctx.policy.controller
    kind = channel.kind
    if channel.address is not None:
        if kind in (ChannelKind.POST, ChannelKind.REGISTERED_POST):
            return plain(channel.address)
        return ctx.contact(channel.address)
    if kind is ChannelKind.EMAIL:
        found = ctx.email(c.privacy_contact or c.contact.email)
    elif kind in (ChannelKind.POST, ChannelKind.REGISTERED_POST):
        postal = ctx.address(c.contact.address or c.address)
        found = concat(plain(c.legal_name or c.name), postal, sep=", ") if postal else ()
    elif kind is ChannelKind.PHONE:
        found = ctx.phone(c.contact.phone)
        if not found:
            return plain(w._("number not stated"))
    else:
        found = ctx.web(c.contact.website)
        if not found:
            return () if kind is ChannelKind.ACCOUNT else plain(w._("web address not stated"))
    return found or plain(w._("address not stated"))


def _withdraw(ctx: NoticeContext) -> Section | None:
    w = ctx.w
    consented = [p for p in ctx.policy.purposes if LegalBasis.CONSENT in p.legal_basis]
    if not consented and Right.WITHDRAW_CONSENT not in ctx.policy.rights.rights:
        return None
    blocks: list[Block] = [
        Paragraph(
            plain(
                w._(
                    "Where we process your personal data on the basis of your consent, you can "
                    "withdraw it at any time, as easily as you gave it. The withdrawal does not "
                    "affect the lawfulness of the processing before it."
                )
            )
        )
    ]
    if consented:
        blocks += [
            Paragraph(plain(w._("This concerns the following purposes:"))),
            Bullets(tuple(ctx.purpose(p.id) for p in consented)),
        ]
    return Section("withdraw", plain(w._("Withdrawing your consent")), tuple(blocks))


def _complaint(ctx: NoticeContext) -> Section:
    """The supervisory authority as the policy names it, completed from what privaat knows."""
    w, stated = ctx.w, ctx.policy.supervisory_authority
    known = AUTHORITIES.get(stated.key)
    found = pick(known.name, w.lang) if known else None
    name = stated.name or (found[1] if found else stated.key)
    website = stated.website or (known.website if known else None)
    email = stated.email or (known.email if known else None)
    address = known.address if known else None
    details = ctx.fields(
        ctx.field(w._("Name"), plain(name)),
        ctx.field(w._("Address"), ctx.opt(address)),
        ctx.field(w._("Website"), ctx.web(website)),
        ctx.field(w._("E-mail"), ctx.email(email)),
    )
    blocks: list[Block] = [
        Paragraph(
            plain(
                w._(
                    "If you believe that we do not process your personal data lawfully, you have "
                    "the right to lodge a complaint with the supervisory authority:"
                )
            )
        )
    ]
    if details:
        blocks.append(details)
    return Section("complaint", plain(w._("Complaints")), tuple(blocks))
