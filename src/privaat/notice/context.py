"""What every section builder needs: the policy, the wording, and small helpers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from privaat.core.law import STATUTES
from privaat.core.policy.model import LANGUAGES, Address, Lang, Policy, Recipient, pick
from privaat.i18n import Words
from privaat.notice.labels import RECIPIENT_KIND
from privaat.notice.view import Field, Fields, Line, Span, linked, plain

_EMAIL = re.compile(r"^[^@\s<>()\[\]\"'`\\]+@[^@\s<>()\[\]\"'`\\]+\.[A-Za-z]{2,}$")
_URL = re.compile(r"^https?://[^\s<>\"'`\\]+$", re.IGNORECASE)
_HOST = re.compile(r"^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:/[^\s<>\"'`\\]*)?$", re.I)
_PHONE = re.compile(r"^\+?[\d\s().\-/]{6,}$")


@dataclass(frozen=True, slots=True)
class NoticeContext:
    policy: Policy
    w: Words

    # -- the policy's own texts

    def text(self, value: Mapping[Lang, str]) -> Line:
        """A localized text in the notice's language, or the first available one."""
        found = pick(value, self.w.lang, (*self.policy.languages, *LANGUAGES))
        if found is None:
            return ()
        lang, text = found
        return plain(text) if lang == self.w.lang else (Span(text, lang=lang),)

    def category(self, key: str) -> Line:
        found = self.policy.category(key)
        return self.text(found.label) if found else plain(key)

    def subject(self, sid: str) -> Line:
        found = self.policy.subject(sid)
        return self.text(found.label) if found else plain(sid)

    def purpose(self, pid: str) -> Line:
        """A purpose's name, linked to where the notice explains it."""
        found = self.policy.purpose(pid)
        return linked(self.text(found.name), f"#purpose-{pid}") if found else plain(pid)

    def recipient_ref(self, rid: str) -> Line:
        found = self.policy.recipient(rid)
        return linked(self.recipient(found), f"#recipient-{rid}") if found else plain(rid)

    def retention_ref(self, rid: str) -> Line:
        found = self.policy.retention_rule(rid)
        return linked(self.text(found.description), f"#retention-{rid}") if found else plain(rid)

    def hold_ref(self, hid: str) -> Line:
        found = self.policy.hold(hid)
        return linked(self.text(found.description), "#holds") if found else plain(hid)

    def recipient(self, recipient: Recipient) -> Line:
        """The recipient's name, or only its kind when the policy keeps the name out."""
        if not recipient.category_only:
            return plain(recipient.name)
        if recipient.description is not None:
            return self.text(recipient.description)
        return plain(self.w._(RECIPIENT_KIND[recipient.role]))

    def statute(self, key: str) -> str:
        statute = STATUTES.get(key)
        found = pick(statute.title, self.w.lang) if statute else None
        return found[1] if found else key

    # -- contact details, linked when they are safe to link

    def address(self, address: Address | None) -> Line:
        """A postal address on one line, or nothing when the policy gives none."""
        if address is None:
            return ()
        return plain(
            ", ".join(
                (
                    address.street,
                    f"{address.postcode} {address.city}",
                    self.w.country(address.country),
                )
            )
        )

    def email(self, value: str | None) -> Line:
        if value is None:
            return ()
        if _EMAIL.match(value):
            return (Span(value, "link", f"mailto:{value}"),)
        return plain(value)

    def web(self, value: str | None) -> Line:
        if value is None:
            return ()
        if _URL.match(value):
            return (Span(value, "link", value),)
        if _HOST.match(value):
            return (Span(value, "link", f"https://{value}"),)
        return plain(value)

    def phone(self, value: str | None) -> Line:
        if value is None:
            return ()
        if _PHONE.match(value):
            number = re.sub(r"[^\d+]", "", value.replace("(0)", "", 1))
            return (Span(value, "link", f"tel:{number}"),)
        return plain(value)

    def contact(self, value: str | None) -> Line:
        """An address of any kind: e-mail, web address, phone number or plain text."""
        if value is None:
            return ()
        for make in (self.email, self.web, self.phone):
            line = make(value)
            if line[0].href:
                return line
        return plain(value)

    # -- building blocks

    def field(self, label: str, *values: Line) -> Field | None:
        """A labelled value, or None when there is nothing to show."""
        kept = tuple(v for v in values if v)
        return Field(label, self.w.lead(label), kept) if kept else None

    def fields(self, *items: Field | None) -> Fields | None:
        kept = tuple(f for f in items if f is not None)
        return Fields(kept) if kept else None

    def many(self, label: str, lines: Iterable[Line]) -> Field | None:
        return self.field(label, *lines)

    def opt(self, value: str | None) -> Line:
        """A plain value, or nothing when the policy leaves it out."""
        return plain(value) if value else ()

    def local(self, value: Mapping[Lang, str] | None) -> Line:
        """A localized text, or nothing when the policy leaves it out."""
        return self.text(value) if value is not None else ()
