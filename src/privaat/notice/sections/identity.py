"""Who is responsible: the controller, its DPO and its EU representative (Art. 13(1)(a)-(b))."""

from __future__ import annotations

from privaat.core.policy.model import Person
from privaat.notice.context import NoticeContext
from privaat.notice.view import Block, Paragraph, Section, plain


def controller(ctx: NoticeContext) -> Section:
    w, c = ctx.w, ctx.policy.controller
    ids, contact = c.identifiers, c.contact
    blocks: list[Block] = [
        Paragraph(plain(w._("The controller responsible for processing your personal data is:")))
    ]
    main_country = ctx.policy.jurisdiction
    details = ctx.fields(
        ctx.field(w._("Name"), plain(c.name)),
        ctx.field(
            w._("Registered name"), ctx.opt(c.legal_name if c.legal_name != c.name else None)
        ),
        ctx.field(w._("Address"), ctx.address(c.address)),
        ctx.field(
            w._("Main establishment"),
            plain(w.country(main_country))
            if c.address is None or main_country != c.address.country
            else (),
        ),
        ctx.field(w._("Enterprise number (KBO/BCE)"), ctx.opt(ids.kbo)),
        ctx.field(w._("Chamber of Commerce number (KvK)"), ctx.opt(ids.kvk)),
        ctx.field(w._("VAT number"), ctx.opt(ids.vat)),
        ctx.field(w._("E-mail"), ctx.email(contact.email)),
        ctx.field(w._("Phone"), ctx.phone(contact.phone)),
        ctx.field(w._("Website"), ctx.web(contact.website)),
        ctx.field(w._("Postal address"), ctx.address(contact.address)),
        ctx.field(w._("For privacy questions and requests"), ctx.email(c.privacy_contact)),
    )
    if details:
        blocks.append(details)

    subsections = []
    if c.dpo is not None:
        subsections.append(
            Section(
                "dpo",
                plain(w._("Data protection officer")),
                (
                    Paragraph(
                        plain(
                            w._(
                                "You can contact our data protection officer with any question "
                                "about the processing of your personal data or about your rights."
                            )
                        )
                    ),
                    *_person(ctx, c.dpo),
                ),
            )
        )
    if c.representative is not None:
        subsections.append(
            Section(
                "representative",
                plain(w._("Our representative in the European Union")),
                (
                    Paragraph(
                        plain(
                            w._(
                                "As we are not established in the European Union, we have "
                                "appointed a representative there (Art. 27 GDPR). You can "
                                "contact them about any question on data protection."
                            )
                        )
                    ),
                    *_person(ctx, c.representative),
                ),
            )
        )
    return Section(
        "controller",
        plain(w._("Who is responsible for your personal data")),
        tuple(blocks),
        tuple(subsections),
    )


def _person(ctx: NoticeContext, person: Person) -> tuple[Block, ...]:
    w = ctx.w
    details = ctx.fields(
        ctx.field(w._("Name"), plain(person.name)),
        ctx.field(w._("E-mail"), ctx.email(person.email)),
        ctx.field(w._("Phone"), ctx.phone(person.phone)),
        ctx.field(w._("Address"), ctx.address(person.address)),
    )
    return (details,) if details else ()
