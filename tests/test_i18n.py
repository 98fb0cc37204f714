"""Durations, plurals, dates and lists in each language's own words."""

from __future__ import annotations

import datetime as dt

import pytest

from privaat.core.duration import Duration
from privaat.core.policy.model import Lang
from privaat.i18n import Words, translations


@pytest.mark.parametrize(
    ("iso", "nl", "en", "fr"),
    [
        ("P1Y", "1 jaar", "1 year", "1 an"),
        ("P3Y", "3 jaar", "3 years", "3 ans"),
        ("P1M", "1 maand", "1 month", "1 mois"),
        ("P6M", "6 maanden", "6 months", "6 mois"),
        ("P1D", "1 dag", "1 day", "1 jour"),
        ("P14D", "14 dagen", "14 days", "14 jours"),
        ("P2W", "14 dagen", "14 days", "14 jours"),
        ("P1Y6M", "1 jaar en 6 maanden", "1 year and 6 months", "1 an et 6 mois"),
        (
            "P2Y1M3D",
            "2 jaar, 1 maand en 3 dagen",
            "2 years, 1 month and 3 days",
            "2 ans, 1 mois et 3 jours",
        ),
        ("P0D", "onmiddellijk", "immediately", "immédiatement"),
    ],
)
def test_durations(iso: str, nl: str, en: str, fr: str) -> None:
    d = Duration.parse(iso)
    assert [Words(lang).duration(d) for lang in ("nl", "en", "fr")] == [nl, en, fr]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("nl", "2 januari 2024"), ("en", "2 January 2024"), ("fr", "2 janvier 2024")],
)
def test_dates_in_long_form(lang: Lang, expected: str) -> None:
    assert Words(lang).date(dt.date(2024, 1, 2)) == expected


def test_countries_and_lists() -> None:
    nl, fr = Words("nl"), Words("fr")
    assert nl.country("US") == "Verenigde Staten"
    assert fr.country("BE") == "Belgique"
    assert nl.join(["a", "b"], "or") == "a of b"
    assert fr.lead("Nom") == "Nom\u00a0:"
    assert nl.lead("Naam") == "Naam:"


def test_catalogs_load_once_and_english_is_the_source() -> None:
    assert translations("nl") is translations("nl")
    assert translations("en").gettext("Your rights") == "Your rights"
    assert translations("nl").gettext("Your rights") == "Uw rechten"
    assert translations("fr").gettext("Your rights") == "Vos droits"
