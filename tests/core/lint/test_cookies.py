"""PV5xx: cookies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from privaat.core.lint import Finding
from privaat.core.yamlsource import Path

Data = dict[str, Any]
Hits = Callable[[str], list[Finding]]
Paths = Callable[[str], list[Path]]
T = {"nl": "tekst", "en": "text", "fr": "texte"}


def add_cookie(data: Data, **extra: Any) -> int:
    cookie = {
        "name": "_pk_id",
        "provider": "first_party",
        "category": "analytics",
        "purpose": T,
        "lifetime": "P13M",
        "consent_required": True,
    }
    data.setdefault("cookies", []).append(cookie | extra)
    return len(data["cookies"]) - 1


@pytest.mark.parametrize("category", ["analytics", "marketing"])
def test_pv501_cookie_without_consent(data: Data, hits: Hits, category: str) -> None:
    i = add_cookie(data, category=category, consent_required=False)
    [finding] = hits("PV501")
    assert finding.path == ("cookies", i, "consent_required")
    assert "'_pk_id'" in finding.message


@pytest.mark.parametrize(
    "extra",
    [
        {"category": "analytics", "consent_required": True},
        {"category": "strictly_necessary", "consent_required": False},
        {"category": "functional", "consent_required": False},
    ],
)
def test_pv501_consent_asked_or_not_needed(data: Data, paths: Paths, extra: Data) -> None:
    add_cookie(data, **extra)
    assert paths("PV501") == []


@pytest.mark.parametrize("lifetime", ["P2Y", "P14M", "P400D"])
def test_pv502_consent_cookie_lives_too_long(data: Data, paths: Paths, lifetime: str) -> None:
    i = add_cookie(data, lifetime=lifetime)
    assert paths("PV502") == [("cookies", i, "lifetime")]


@pytest.mark.parametrize(
    "extra",
    [
        {"lifetime": "P13M"},
        {"lifetime": "P1Y1M"},
        {"lifetime": "P395D"},
        {"lifetime": "session"},
        {"lifetime": "P2Y", "category": "strictly_necessary", "consent_required": False},
    ],
)
def test_pv502_short_enough_or_no_consent(data: Data, paths: Paths, extra: Data) -> None:
    add_cookie(data, **extra)
    assert paths("PV502") == []
