"""PV9xx: the languages the notice is published in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from privaat.core.lint import Finding
from privaat.core.lint.rules.languages import localized_texts
from privaat.core.policy import Policy
from privaat.core.yamlsource import Path

Data = dict[str, Any]
Hits = Callable[[str], list[Finding]]
Paths = Callable[[str], list[Path]]


def test_walker_finds_texts_in_lists_and_nested_models(policy: Callable[[], Policy]) -> None:
    found = {path: label for path, label, _ in localized_texts(policy())}
    assert found[("subjects", 0, "label")] == "subjects['customer'].label"
    assert found[("purposes", 0, "contract")] == "purposes['service'].contract"
    assert found[("activities", 0, "provision", "consequence")] == (
        "activities['customers'].provision.consequence"
    )
    assert found[("categories", 1, "label")] == "categories['user.name'].label"
    assert found[("retention", 0, "description")] == "retention['contract-end'].description"
    assert len(found) == 9  # every text of the minimal fixture, and nothing else


def test_walker_finds_texts_in_optional_sections(data: Data, policy: Callable[[], Policy]) -> None:
    data["changes"] = {"notice": {"en": "By e-mail."}}
    data["rights"]["self_service"] = {"en": "In your account."}
    found = {path: label for path, label, _ in localized_texts(policy())}
    assert found[("changes", "notice")] == "changes.notice"
    assert found[("rights", "self_service")] == "rights.self_service"


def test_pv901_text_missing_a_language(data: Data, hits: Hits) -> None:
    del data["purposes"][0]["name"]["fr"]
    del data["activities"][0]["provision"]["consequence"]["en"]
    del data["activities"][0]["provision"]["consequence"]["fr"]
    first, second = hits("PV901")
    assert first.path == ("purposes", 0, "name")
    assert "purposes['service'].name" in first.message
    assert "no fr text" in first.message
    assert second.path == ("activities", 0, "provision", "consequence")
    assert "no en, fr text" in second.message


def test_pv901_language_not_published(data: Data, paths: Paths) -> None:
    data["languages"] = ["nl", "en"]
    del data["purposes"][0]["name"]["fr"]
    assert paths("PV901") == []


def test_pv901_all_languages_present(paths: Paths) -> None:
    assert paths("PV901") == []
