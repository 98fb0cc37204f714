"""PV4xx: recipients, processor agreements and transfers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from privaat.core.lint import Finding
from privaat.core.yamlsource import Path

Data = dict[str, Any]
Hits = Callable[[str], list[Finding]]
Paths = Callable[[str], list[Path]]


def add_recipient(data: Data, *, used: bool = True, **extra: Any) -> int:
    """A US processor certified under the DPF, with a DPA, unless told otherwise."""
    recipient = {
        "id": "mailer",
        "name": "Mailer Inc.",
        "role": "processor",
        "country": "US",
        "dpa_signed": "2024-01-01",
        "transfer": "dpf",
    } | extra
    data.setdefault("recipients", []).append(recipient)
    if used:
        data["activities"][0].setdefault("recipients", []).append(recipient["id"])
    return len(data["recipients"]) - 1


def test_clean_recipient(data: Data, hits: Hits) -> None:
    add_recipient(data)
    for code in ("PV401", "PV402", "PV403", "PV404", "PV405"):
        assert hits(code) == []


def test_pv401_outside_eea_without_mechanism(data: Data, hits: Hits) -> None:
    i = add_recipient(data, transfer="none")
    [finding] = hits("PV401")
    assert finding.path == ("recipients", i, "transfer")
    assert "'mailer'" in finding.message
    assert "dpf" in finding.fix


@pytest.mark.parametrize(
    "extra",
    [
        {"country": "IE", "transfer": "none"},
        {"country": "NO", "transfer": "none"},  # EEA, not EU
        {"role": "internal", "transfer": "none"},
        {"transfer": "scc"},
    ],
)
def test_pv401_not_a_transfer_or_covered(data: Data, paths: Paths, extra: Data) -> None:
    add_recipient(data, **extra)
    assert paths("PV401") == []


@pytest.mark.parametrize("role", ["processor", "sub_processor"])
def test_pv402_processor_without_dpa(data: Data, paths: Paths, role: str) -> None:
    i = add_recipient(data, role=role, dpa_signed=None)
    assert paths("PV402") == [("recipients", i, "dpa_signed")]


def test_pv402_undated_dpa_counts(data: Data, paths: Paths) -> None:
    add_recipient(data, role="processor", dpa_signed=None, dpa_in_place=True)
    assert paths("PV402") == []


@pytest.mark.parametrize("role", ["controller", "authority", "internal"])
def test_pv402_not_a_processor(data: Data, paths: Paths, role: str) -> None:
    add_recipient(data, role=role, dpa_signed=None)
    assert paths("PV402") == []


@pytest.mark.parametrize(("country", "fix"), [("US", "dpf"), ("IN", "scc")])
def test_pv403_adequacy_without_decision(data: Data, hits: Hits, country: str, fix: str) -> None:
    i = add_recipient(data, country=country, transfer="adequacy")
    [finding] = hits("PV403")
    assert finding.path == ("recipients", i, "transfer")
    assert country in finding.message
    assert fix in finding.fix


@pytest.mark.parametrize("country", ["CH", "GB", "JP"])
def test_pv403_adequate_country(data: Data, paths: Paths, country: str) -> None:
    add_recipient(data, country=country, transfer="adequacy")
    assert paths("PV403") == []


def test_pv404_recipient_used_by_no_activity(data: Data, hits: Hits) -> None:
    i = add_recipient(data, used=False)
    [finding] = hits("PV404")
    assert finding.path == ("recipients", i, "id")
    assert "'mailer'" in finding.message


def test_pv404_recipient_used(data: Data, paths: Paths) -> None:
    add_recipient(data, used=True)
    assert paths("PV404") == []


@pytest.mark.parametrize("country", ["GB", "IN", "DE"])
def test_pv405_dpf_outside_us(data: Data, paths: Paths, country: str) -> None:
    i = add_recipient(data, country=country)
    assert paths("PV405") == [("recipients", i, "transfer")]


def test_pv405_dpf_in_us(data: Data, paths: Paths) -> None:
    add_recipient(data)
    assert paths("PV405") == []
