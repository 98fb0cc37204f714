"""PV2xx: data categories."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from privaat.core.lint import Finding
from privaat.core.yamlsource import Path

Data = dict[str, Any]
Hits = Callable[[str], list[Finding]]
Paths = Callable[[str], list[Path]]
T = {"nl": "tekst", "en": "text", "fr": "texte"}


def add_category(
    data: Data, key: str, *, kept: bool = True, used: bool = True, **extra: Any
) -> int:
    """Declare a category, kept by the retention rule and used by the activity unless told."""
    data["categories"].append({"key": key, "label": T, **extra})
    if kept:
        data["retention"][0]["categories"].append(key)
    if used:
        data["activities"][0]["categories"].append(key)
    return len(data["categories"]) - 1


def test_pv201_category_without_retention(data: Data, hits: Hits) -> None:
    i = add_category(data, "user.contact.phone_number", kept=False)
    [finding] = hits("PV201")
    assert finding.path == ("categories", i, "key")
    assert "'user.contact.phone_number'" in finding.message


def test_pv201_category_with_retention(data: Data, paths: Paths) -> None:
    add_category(data, "user.contact.phone_number")
    assert paths("PV201") == []


def test_pv201_a_hold_is_not_a_retention_rule(data: Data, paths: Paths) -> None:
    i = add_category(data, "user.financial", kept=False)
    data["holds"] = [
        {
            "id": "invoices",
            "kind": "invoices",
            "description": T,
            "statute": "be-wbtw-art60",
            "duration": "P10Y",
            "country": "BE",
            "categories": ["user.financial"],
        }
    ]
    assert paths("PV201") == [("categories", i, "key")]


def test_pv202_special_category_without_condition(data: Data, hits: Hits) -> None:
    i = add_category(data, "user.health_and_medical", special=True)
    [finding] = hits("PV202")
    assert finding.path == ("categories", i, "art9_condition")
    assert "'user.health_and_medical'" in finding.message


def test_pv202_condition_given(data: Data, paths: Paths) -> None:
    add_category(data, "user.health_and_medical", special=True, art9_condition="health_care")
    assert paths("PV202") == []


def test_pv203_special_key_not_marked(data: Data, hits: Hits) -> None:
    i = add_category(data, "user.demographic.religious_belief")
    [finding] = hits("PV203")
    assert finding.path == ("categories", i, "special")


def test_pv203_ordinary_key_not_marked(data: Data, paths: Paths) -> None:
    add_category(data, "user.demographic.gender")
    assert paths("PV203") == []


def test_pv204_key_extends_taxonomy(data: Data, hits: Hits) -> None:
    i = add_category(data, "user.contact.organization.vat")
    [finding] = hits("PV204")
    assert finding.path == ("categories", i, "key")
    assert "'user.contact.organization'" in finding.message


def test_pv204_known_key(data: Data, paths: Paths) -> None:
    add_category(data, "user.contact.organization")
    assert paths("PV204") == []


def test_pv205_category_used_by_no_activity(data: Data, hits: Hits) -> None:
    i = add_category(data, "user.contact.phone_number", used=False)
    [finding] = hits("PV205")
    assert finding.path == ("categories", i, "key")


def test_pv205_category_used(paths: Paths) -> None:
    assert paths("PV205") == []


def test_pv206_criminal_flag_or_key(data: Data, paths: Paths) -> None:
    i = add_category(data, "user.criminal_history")
    j = add_category(data, "user.content.private", criminal=True)
    assert paths("PV206") == [("categories", i, "key"), ("categories", j, "key")]


def test_pv206_no_criminal_data(data: Data, paths: Paths) -> None:
    add_category(data, "user.content.private")
    assert paths("PV206") == []
