"""The gettext catalogs of the notice, read straight from the .po files.

There is no build step: each catalog is parsed with Babel, compiled to an
in-memory .mo and loaded as :class:`gettext.GNUTranslations`, once per language.
English is the source language (the msgids), so it needs no catalog.

Fuzzy entries are left out, as ``msgfmt`` would: an unchecked guess never
reaches a data subject.
"""

from __future__ import annotations

import gettext
from functools import cache
from importlib.resources import files
from io import BytesIO

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from privaat.core.policy.model import Lang

DOMAIN = "messages"
SOURCE_LANGUAGE: Lang = "en"


def po_path(lang: str) -> str:
    """Where the catalog of `lang` lives inside the package."""
    return f"locale/{lang}/LC_MESSAGES/{DOMAIN}.po"


@cache
def translations(lang: Lang) -> gettext.NullTranslations:
    """The translations of `lang`; identity for the source language."""
    if lang == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    resource = files("privaat").joinpath(po_path(lang))
    with resource.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)
