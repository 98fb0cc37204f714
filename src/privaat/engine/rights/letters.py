"""What privaat writes to a person about their request, in Dutch, English or French.

Each message is a plain-text Jinja template per language (``templates/KIND.LANG.txt.j2``)
with a ``subject`` block and a body; the body extends the language's ``_letter`` layout
(greeting, signature, reference). Dates are written as the language writes them (Babel),
in Belgian and Dutch time. The register is formal: "u" in Dutch, "vous" in French.

:func:`notify` renders a message for a request and queues it in the outbox, addressed to
the person's e-mail address; when privaat knows none, nothing is queued and it says so
(the organisation then answers through the channel the request came in).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Final

from babel.dates import format_date, format_time
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.orm import Session

from privaat.core.deadlines import TIMEZONE
from privaat.core.law import AUTHORITIES
from privaat.core.policy import Policy
from privaat.core.policy.model import LANGUAGES, Lang
from privaat.core.requests import RequestKind
from privaat.engine.rights import outbox, records
from privaat.i18n import LOCALES
from privaat.store.models import Organisation, OutboxMessage, RightsRequest

TEMPLATES: Final = Path(__file__).parent / "templates"


class LetterKind(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"
    VERIFICATION_CODE = "verification_code"
    VERIFICATION_LINK = "verification_link"
    EXTENSION = "extension"
    REJECTION = "rejection"
    REPLY = "reply"  # the answer that closes a request (engine/rights/replies.py)


#: Each kind of request as the person's language names it after "concerning".
KIND_NAMES: Final[dict[Lang, dict[RequestKind, str]]] = {
    "nl": {
        RequestKind.ACCESS: "inzage in uw persoonsgegevens",
        RequestKind.PORTABILITY: "de overdracht van uw persoonsgegevens",
        RequestKind.RECTIFICATION: "de rectificatie van uw persoonsgegevens",
        RequestKind.ERASURE: "het wissen van uw persoonsgegevens",
        RequestKind.RESTRICTION: "de beperking van de verwerking van uw persoonsgegevens",
        RequestKind.OBJECTION: "uw bezwaar tegen de verwerking van uw persoonsgegevens",
        RequestKind.WITHDRAWAL: "de intrekking van uw toestemming",
        RequestKind.REVIEW: "een menselijke herbeoordeling van een geautomatiseerd besluit",
    },
    "en": {
        RequestKind.ACCESS: "access to your personal data",
        RequestKind.PORTABILITY: "the portability of your personal data",
        RequestKind.RECTIFICATION: "the rectification of your personal data",
        RequestKind.ERASURE: "the erasure of your personal data",
        RequestKind.RESTRICTION: "the restriction of the processing of your personal data",
        RequestKind.OBJECTION: "your objection to the processing of your personal data",
        RequestKind.WITHDRAWAL: "the withdrawal of your consent",
        RequestKind.REVIEW: "a human review of an automated decision",
    },
    "fr": {
        RequestKind.ACCESS: "l'accès à vos données à caractère personnel",
        RequestKind.PORTABILITY: "la portabilité de vos données à caractère personnel",
        RequestKind.RECTIFICATION: "la rectification de vos données à caractère personnel",
        RequestKind.ERASURE: "l'effacement de vos données à caractère personnel",
        RequestKind.RESTRICTION: "la limitation du traitement de vos données à caractère personnel",
        RequestKind.OBJECTION: "votre opposition au traitement de vos données à caractère "
        "personnel",
        RequestKind.WITHDRAWAL: "le retrait de votre consentement",
        RequestKind.REVIEW: "une intervention humaine dans une décision automatisée",
    },
}

_ANY_AUTHORITY: Final[dict[Lang, str]] = {
    "nl": "de bevoegde toezichthoudende autoriteit",
    "en": "the competent supervisory authority",
    "fr": "l'autorité de contrôle compétente",
}


@dataclass(frozen=True, slots=True)
class Letter:
    subject: str
    body: str


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=False,  # plain text, never HTML
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def language(code: str) -> Lang:
    """A letter's language: the request's, or Dutch for anything privaat does not write."""
    for lang in LANGUAGES:
        if lang == code:
            return lang
    return "nl"


def render(kind: LetterKind, lang: Lang, **context: object) -> Letter:
    """One message in `lang` (StrictUndefined: a missing value is an error, not a blank)."""
    template = _environment().get_template(f"{LetterKind(kind).value}.{lang}.txt.j2")
    subject = "".join(template.blocks["subject"](template.new_context(dict(context)))).strip()
    body = template.render(**context).strip() + "\n"
    return Letter(" ".join(subject.split()), body)


def day(at: dt.datetime, lang: Lang) -> str:
    """A date as `lang` writes it, e.g. "21 december 2026", in Belgian and Dutch time."""
    return format_date(at.astimezone(TIMEZONE).date(), format="long", locale=LOCALES[lang])


def moment(at: dt.datetime, lang: Lang) -> str:
    """A date and a time as `lang` writes them, in Belgian and Dutch time."""
    local = at.astimezone(TIMEZONE)
    when = format_time(local, format="short", locale=LOCALES[lang])
    return f"{format_date(local.date(), format='long', locale=LOCALES[lang])}, {when}"


def authority(policy: Policy | None, lang: Lang) -> tuple[str, str | None]:
    """The supervisory authority a person can complain to: its current name and website."""
    if policy is None:
        return _ANY_AUTHORITY[lang], None
    known = AUTHORITIES.get(policy.supervisory_authority.key)
    while known is not None and known.renamed_to is not None:
        known = AUTHORITIES.get(known.renamed_to)
    if known is not None:
        return known.name.get(lang) or known.name["en"], known.website
    stated = policy.supervisory_authority
    return stated.name or stated.key, stated.website


def sender(org: Organisation, policy: Policy | None) -> tuple[str, str | None]:
    """Who signs: the controller's name, and the address for questions about privacy."""
    if policy is None:
        return org.name, None
    controller = policy.controller
    return controller.name, controller.privacy_contact or controller.contact.email


def notify(
    session: Session,
    request: RightsRequest,
    kind: LetterKind,
    *,
    org: Organisation,
    policy: Policy | None,
    now: dt.datetime,
    **context: object,
) -> OutboxMessage | None:
    """Queue `kind` for the person behind `request`; None when no e-mail address is known."""
    to = records.contact_email(session, request)
    if to is None:
        return None
    lang = language(request.language)
    organisation, contact = sender(org, policy)
    letter = render(
        kind,
        lang,
        organisation=organisation,
        contact=contact,
        reference=request.reference,
        request_kind=KIND_NAMES[lang][RequestKind(request.kind)],
        received=day(request.received_at, lang),
        due=day(records.due(request), lang),
        **context,
    )
    return outbox.queue(
        session,
        org_id=request.org_id,
        request_id=request.id,
        kind=kind.value,
        to=to,
        subject=letter.subject,
        body=letter.body,
        language=lang,
        now=now,
    )
