"""PV6xx: automated decisions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from privaat.core.lint import Finding
from privaat.core.yamlsource import Path

Data = dict[str, Any]
Hits = Callable[[str], list[Finding]]
Paths = Callable[[str], list[Path]]
T = {"nl": "tekst", "en": "text", "fr": "texte"}


def add_decision(data: Data, *, right: bool = True, **extra: Any) -> int:
    """A credit decision with legal effect and a human-review route, unless told otherwise."""
    decision = {
        "id": "credit",
        "name": T,
        "logic": T,
        "consequences": T,
        "purposes": ["service"],
        "human_review": T,
    }
    data["automated_decisions"] = [decision | extra]
    if right:
        data["rights"]["rights"].append("human_review")
    return 0


def test_clean_decision(data: Data, paths: Paths) -> None:
    add_decision(data)
    assert paths("PV601") == []
    assert paths("PV602") == []


def test_pv601_no_human_review(data: Data, hits: Hits) -> None:
    i = add_decision(data, human_review=None)
    [finding] = hits("PV601")
    assert finding.path == ("automated_decisions", i, "human_review")
    assert "'credit'" in finding.message


def test_pv601_no_legal_effect(data: Data, paths: Paths) -> None:
    add_decision(data, human_review=None, legal_effect=False)
    assert paths("PV601") == []


def test_pv602_right_not_listed(data: Data, hits: Hits) -> None:
    add_decision(data, right=False)
    [finding] = hits("PV602")
    assert finding.path == ("rights", "rights")
    assert "credit" in finding.message


def test_pv602_no_decision_with_legal_effect(data: Data, paths: Paths) -> None:
    add_decision(data, right=False, legal_effect=False)
    assert paths("PV602") == []
