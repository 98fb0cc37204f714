"""PV3xx: retention rules and statutory holds."""

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


def add_hold(data: Data, **extra: Any) -> int:
    hold = {
        "id": "invoices",
        "kind": "invoices",
        "description": T,
        "statute": "be-wbtw-art60",
        "duration": "P10Y",
        "country": "BE",
        "categories": ["user.name"],
    }
    data.setdefault("holds", []).append(hold | extra)
    return len(data["holds"]) - 1


def test_pv301_minimum_without_maximum(data: Data, hits: Hits) -> None:
    rule = data["retention"][0]
    del rule["maximum"]
    rule["minimum"] = "P1Y"
    [finding] = hits("PV301")
    assert finding.path == ("retention", 0, "maximum")
    assert "'contract-end'" in finding.message


def test_pv301_minimum_and_maximum(data: Data, paths: Paths) -> None:
    data["retention"][0]["minimum"] = "P1Y"
    assert paths("PV301") == []


def test_pv302_no_duration(data: Data, hits: Hits) -> None:
    del data["retention"][0]["maximum"]
    [finding] = hits("PV302")
    assert finding.path == ("retention", 0, "maximum")
    assert hits("PV301") == []


def test_pv302_minimum_alone_is_pv301s(data: Data, paths: Paths) -> None:
    del data["retention"][0]["maximum"]
    data["retention"][0]["minimum"] = "P6M"
    assert paths("PV302") == []


def test_pv303_event_without_name(data: Data, paths: Paths) -> None:
    data["retention"][0]["trigger"] = "event"
    assert paths("PV303") == [("retention", 0, "event")]


def test_pv303_schedule_without_schedule(data: Data, paths: Paths) -> None:
    data["retention"][0]["trigger"] = "schedule"
    assert paths("PV303") == [("retention", 0, "schedule")]


def test_pv303_event_named(data: Data, paths: Paths) -> None:
    data["retention"][0]["trigger"] = "event"
    data["retention"][0]["event"] = "account closed"
    assert paths("PV303") == []


def test_pv304_controller_activity_without_retention(data: Data, hits: Hits) -> None:
    data["activities"][0]["retention"] = []
    [finding] = hits("PV304")
    assert finding.path == ("activities", 0, "retention")
    assert "'customers'" in finding.message


def test_pv304_processor_activity(data: Data, paths: Paths) -> None:
    data["activities"][0]["retention"] = []
    data["activities"][0]["role"] = "processor"
    assert paths("PV304") == []


@pytest.mark.parametrize(
    ("country", "kind", "duration"),
    [("BE", "invoices", "P7Y"), ("BE", "accounting", "P5Y"), ("NL", "fiscal", "P6Y11M")],
)
def test_pv305_hold_shorter_than_statute(
    data: Data, hits: Hits, country: str, kind: str, duration: str
) -> None:
    data["retention"][0]["holds"] = ["invoices"]
    i = add_hold(data, country=country, kind=kind, duration=duration)
    [finding] = hits("PV305")
    assert finding.path == ("holds", i, "duration")
    assert "'invoices'" in finding.message


@pytest.mark.parametrize(
    ("country", "kind", "duration"),
    [
        ("BE", "invoices", "P10Y"),
        ("BE", "invoices", "P3650D"),  # 10 years in days, within the tolerance
        ("NL", "fiscal", "P84M"),
        ("BE", "other", "P1Y"),  # no statute known for this kind
    ],
)
def test_pv305_hold_long_enough_or_unknown(
    data: Data, paths: Paths, country: str, kind: str, duration: str
) -> None:
    add_hold(data, country=country, kind=kind, duration=duration)
    assert paths("PV305") == []


def test_pv306_hold_not_from_end_of_year(data: Data, paths: Paths) -> None:
    i = add_hold(data, from_end_of_year=False)
    assert paths("PV306") == [("holds", i, "from_end_of_year")]


def test_pv306_hold_from_end_of_year(data: Data, paths: Paths) -> None:
    add_hold(data)
    add_hold(data, id="other", kind="other", from_end_of_year=False)
    assert paths("PV306") == []


def test_pv307_rule_ignores_hold(data: Data, hits: Hits) -> None:
    add_hold(data)
    [finding] = hits("PV307")
    assert finding.path == ("retention", 0, "holds")
    assert "'invoices'" in finding.message
    assert "user.name" in finding.message


def test_pv307_rule_names_hold(data: Data, paths: Paths) -> None:
    add_hold(data)
    data["retention"][0]["holds"] = ["invoices"]
    assert paths("PV307") == []


def test_pv307_hold_on_other_categories(data: Data, paths: Paths) -> None:
    data["categories"].append({"key": "user.financial", "label": T})
    add_hold(data, categories=["user.financial"])
    assert paths("PV307") == []
