"""PV7xx: data-subject rights, deadlines and channels."""

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


@pytest.mark.parametrize("deadline", ["P2M", "P45D", "P1M5D", "P1Y"])
def test_pv701_deadline_too_long(data: Data, paths: Paths, deadline: str) -> None:
    data["rights"]["deadline"] = deadline
    assert paths("PV701") == [("rights", "deadline")]


@pytest.mark.parametrize("deadline", ["P1M", "P30D", "P31D", "P4W", "P14D"])
def test_pv701_deadline_within_a_month(data: Data, paths: Paths, deadline: str) -> None:
    data["rights"]["deadline"] = deadline
    assert paths("PV701") == []


@pytest.mark.parametrize("deadline", ["P30D", "P4W"])
def test_pv702_deadline_in_days(data: Data, hits: Hits, deadline: str) -> None:
    data["rights"]["deadline"] = deadline
    [finding] = hits("PV702")
    assert finding.path == ("rights", "deadline")
    assert finding.fix == "set rights.deadline: P1M"


@pytest.mark.parametrize("deadline", ["P1M", "P1M2D"])
def test_pv702_deadline_in_months(data: Data, paths: Paths, deadline: str) -> None:
    data["rights"]["deadline"] = deadline
    assert paths("PV702") == []


@pytest.mark.parametrize("extension", ["P3M", "P90D"])
def test_pv703_extension_too_long(data: Data, paths: Paths, extension: str) -> None:
    data["rights"]["extension"] = extension
    assert paths("PV703") == [("rights", "extension")]


@pytest.mark.parametrize("extension", ["P2M", "P60D", None])
def test_pv703_extension_within_two_months(data: Data, paths: Paths, extension: str | None) -> None:
    data["rights"]["extension"] = extension
    assert paths("PV703") == []


def test_pv704_right_missing(data: Data, hits: Hits) -> None:
    data["rights"]["rights"].remove("portability")
    data["rights"]["rights"].remove("complaint")
    [finding] = hits("PV704")
    assert finding.path == ("rights", "rights")
    assert "portability, complaint" in finding.message


def test_pv704_withdraw_consent_needed_with_a_consent_purpose(data: Data, hits: Hits) -> None:
    data["rights"]["rights"].remove("withdraw_consent")
    assert hits("PV704") == []
    data["purposes"].append(
        {
            "id": "news",
            "name": T,
            "legal_basis": "consent",
            "consent": {"mechanism": T, "withdrawal": T},
        }
    )
    [finding] = hits("PV704")
    assert "withdraw_consent" in finding.message


def test_pv704_all_rights_listed(paths: Paths) -> None:
    assert paths("PV704") == []


def test_pv705_id_document(data: Data, hits: Hits) -> None:
    data["rights"]["verification"] = ["email_code", "id_document"]
    [finding] = hits("PV705")
    assert finding.path == ("rights", "verification", 1)


def test_pv705_no_id_document(data: Data, paths: Paths) -> None:
    data["rights"]["verification"] = ["account_login", "in_person"]
    assert paths("PV705") == []


@pytest.mark.parametrize("kind", ["email", "post", "registered_post"])
def test_pv706_channel_without_address(data: Data, paths: Paths, kind: str) -> None:
    data["rights"]["channels"].append({"kind": kind})
    assert paths("PV706") == [("rights", "channels", 1, "address")]


@pytest.mark.parametrize("kind", ["account", "web_form", "phone"])
def test_pv706_channel_needing_no_address(data: Data, paths: Paths, kind: str) -> None:
    data["rights"]["channels"].append({"kind": kind})
    assert paths("PV706") == []
