"""Fixed wording in the reader's language: gettext catalogs, plurals, durations, dates, countries.

Every sentence privaat adds to the policy's own texts, in the notice and in the Art. 30
register, goes through a :class:`Words`. Messages are English msgids with ``%(name)s``
placeholders; ``pybabel extract`` (see babel.cfg) finds them through the ``_``,
``pgettext``, ``ngettext`` and ``N_`` calls.

The catalogs are read straight from the .po files: there is no build step. Each is
parsed with Babel, compiled to an in-memory .mo and loaded as
:class:`gettext.GNUTranslations`, once per language. English is the source language
(the msgids), so it needs no catalog. Fuzzy entries are left out, as ``msgfmt`` would:
an unchecked guess never reaches a reader.
"""

from __future__ import annotations

import datetime as dt
import gettext
from collections.abc import Iterable
from functools import cache
from importlib.resources import files
from io import BytesIO
from typing import Literal

from babel import Locale
from babel.dates import format_date
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from privaat.core.duration import Duration
from privaat.core.policy.model import Lang

DOMAIN = "messages"
SOURCE_LANGUAGE: Lang = "en"

#: The Babel locale used for dates, lists and country names of each language.
LOCALES: dict[Lang, str] = {"nl": "nl", "en": "en_GB", "fr": "fr"}


@cache
def translations(lang: Lang) -> gettext.NullTranslations:
    """The translations of `lang`; identity for the source language."""
    if lang == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    resource = files("privaat").joinpath(f"locale/{lang}/LC_MESSAGES/{DOMAIN}.po")
    with resource.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def N_(message: str) -> str:
    """Mark `message` for extraction; it is translated where it is used."""
    return message


class Words:
    """privaat's fixed wording in one language."""

    def __init__(self, lang: Lang, catalog: gettext.NullTranslations | None = None) -> None:
        self.lang: Lang = lang
        self.catalog = catalog if catalog is not None else translations(lang)
        self.locale = Locale.parse(LOCALES[lang])

    def _(self, message: str, /, **values: object) -> str:
        """Translate `message`, then fill in its ``%(name)s`` placeholders."""
        text = self.catalog.gettext(message)
        return text % values if values else text

    def pgettext(self, context: str, message: str, /, **values: object) -> str:
        """Translate `message` as it reads in `context` (a word that differs by use)."""
        text = self.catalog.pgettext(context, message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        """Translate with the plural form for `n`; ``%(num)d`` is `n` itself."""
        return self.catalog.ngettext(singular, plural, n) % {"num": n, **values}

    def duration(self, d: Duration) -> str:
        """A duration in words: "3 jaar", "1 an et 6 mois", "14 days"; P0D is "immediately"."""
        if not (d.years or d.months or d.days):
            return self._("immediately")
        parts = []
        if d.years:
            parts.append(self.ngettext("%(num)d year", "%(num)d years", d.years))
        if d.months:
            parts.append(self.ngettext("%(num)d month", "%(num)d months", d.months))
        if d.days:
            parts.append(self.ngettext("%(num)d day", "%(num)d days", d.days))
        return self.join(parts)

    def date(self, value: dt.date) -> str:
        return format_date(value, format="long", locale=self.locale)

    def country(self, code: str) -> str:
        return str(self.locale.territories.get(code, code))

    def language(self, code: str) -> str:
        return str(self.locale.languages.get(code, code))

    def join(self, items: Iterable[str], style: Literal["standard", "or"] = "standard") -> str:
        """Join words as a sentence does: "a, b en c" (or "a, b of c")."""
        return format_list(list(items), style=style, locale=self.locale)

    def lead(self, label: str) -> str:
        """A label followed by a colon, as the language writes it ("Nom :")."""
        return self._("%(label)s:", label=label)
