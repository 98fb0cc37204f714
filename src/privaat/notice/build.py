"""Build the notice's view model from a policy: the order of the sections and the header."""

from __future__ import annotations

from dataclasses import replace

from privaat.core.policy.model import Lang, Policy
from privaat.i18n import Words
from privaat.notice.context import NoticeContext
from privaat.notice.sections import activities, extras, identity, purposes, recipients, rights
from privaat.notice.sections import retention as retention_section
from privaat.notice.view import Line, Notice, Paragraph, Section, plain


def build_notice(policy: Policy, lang: Lang, words: Words | None = None) -> Notice:
    """Everything the notice says, in `lang`, as a typed structure."""
    w = words if words is not None else Words(lang)
    ctx = NoticeContext(policy, w)
    parts: list[Section | None] = [
        identity.controller(ctx),
        purposes.subjects(ctx),
        purposes.categories(ctx),
        purposes.purposes(ctx),
        activities.controller_activities(ctx),
        recipients.recipients(ctx),
        retention_section.retention(ctx),
        extras.decisions(ctx),
        extras.cookies(ctx),
        extras.security(ctx),
        rights.rights(ctx),
        extras.children(ctx),
        activities.processor_activities(ctx),
        extras.legislation(ctx),
        extras.statements(ctx),
        extras.changes(ctx),
    ]
    sections = tuple(
        replace(s, number=str(n))
        for n, s in enumerate((s for s in parts if s is not None), start=1)
    )
    return Notice(
        lang=lang,
        title=w._("Privacy notice of %(name)s", name=policy.controller.name),
        meta=_meta(policy, w),
        intro=(Paragraph(plain(_intro(policy, w))),),
        sections=sections,
    )


def _meta(policy: Policy, w: Words) -> tuple[Line, ...]:
    lines = [
        plain(
            w._(
                "Version %(version)s, in force since %(date)s.",
                version=policy.version,
                date=w.date(policy.date),
            )
        )
    ]
    others = [lang for lang in policy.languages if lang != w.lang]
    if others:
        lines.append(
            plain(
                w._(
                    "This notice is also available in %(languages)s.",
                    languages=w.join(w.language(x) for x in others),
                )
            )
        )
    return tuple(lines)


def _intro(policy: Policy, w: Words) -> str:
    return w._(
        "In this notice, we, %(name)s, explain which personal data we process, why and on what "
        "legal basis, how long we keep them, who receives them and which rights you have. It "
        "gives the information required by Articles 13 and 14 of the General Data Protection "
        "Regulation (GDPR).",
        name=policy.controller.name,
    )
