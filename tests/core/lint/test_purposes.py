"""PV1xx: purposes and their lawful basis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from privaat.core.lint import Finding
from privaat.core.yamlsource import Path

Data = dict[str, Any]
Hits = Callable[[str], list[Finding]]
Paths = Callable[[str], list[Path]]
T = {"nl": "tekst", "en": "text", "fr": "texte"}


def add_purpose(data: Data, purpose: Data, *, used: bool = True) -> int:
    """Add a purpose (used by the first activity unless told otherwise); return its index."""
    data["purposes"].append({"name": T, **purpose})
    if used:
        data["activities"][0]["purposes"].append(purpose["id"])
    return len(data["purposes"]) - 1


def test_pv101_purpose_without_basis(data: Data, hits: Hits) -> None:
    data["purposes"][0]["legal_basis"] = []
    [finding] = hits("PV101")
    assert finding.path == ("purposes", 0, "legal_basis")
    assert "'service'" in finding.message


def test_pv101_one_basis_is_fine(data: Data, paths: Paths) -> None:
    data["purposes"][0]["legal_basis"] = ["contract"]
    assert paths("PV101") == []


def test_pv102_two_bases(data: Data, hits: Hits) -> None:
    data["purposes"][0]["legal_basis"] = ["contract", "legitimate_interest"]
    data["purposes"][0]["legitimate_interest"] = {"interest": T, "balancing": T}
    [finding] = hits("PV102")
    assert finding.path == ("purposes", 0, "legal_basis")
    assert "contract, legitimate_interest" in finding.message


def test_pv102_one_basis_is_fine(paths: Paths) -> None:
    assert paths("PV102") == []


def test_pv103_consent_without_withdrawal(data: Data, hits: Hits) -> None:
    i = add_purpose(data, {"id": "news", "legal_basis": "consent", "consent": {"mechanism": T}})
    [finding] = hits("PV103")
    assert finding.path == ("purposes", i, "consent", "withdrawal")
    assert "'news'" in finding.message


def test_pv103_withdrawal_given(data: Data, paths: Paths) -> None:
    consent = {"mechanism": T, "withdrawal": T}
    add_purpose(data, {"id": "news", "legal_basis": "consent", "consent": consent})
    assert paths("PV103") == []


def test_pv103_leaves_missing_consent_detail_to_pv106(data: Data, paths: Paths) -> None:
    i = add_purpose(data, {"id": "news", "legal_basis": "consent"})
    assert paths("PV103") == []
    assert paths("PV106") == [("purposes", i, "consent")]


def test_pv104_legitimate_interest_without_detail(data: Data, paths: Paths) -> None:
    i = add_purpose(data, {"id": "fraud", "legal_basis": "legitimate_interest"})
    assert paths("PV104") == [("purposes", i, "legitimate_interest")]


def test_pv104_legitimate_interest_without_balancing(data: Data, hits: Hits) -> None:
    detail = {"interest": T}
    i = add_purpose(
        data, {"id": "fraud", "legal_basis": "legitimate_interest", "legitimate_interest": detail}
    )
    [finding] = hits("PV104")
    assert finding.path == ("purposes", i, "legitimate_interest", "balancing")
    assert finding.fix.startswith("add legitimate_interest.balancing")


def test_pv104_balancing_given(data: Data, paths: Paths) -> None:
    detail = {"interest": T, "balancing": T}
    add_purpose(
        data, {"id": "fraud", "legal_basis": "legitimate_interest", "legitimate_interest": detail}
    )
    assert paths("PV104") == []


def test_pv105_legal_obligation_without_statute(data: Data, paths: Paths) -> None:
    i = add_purpose(data, {"id": "tax", "legal_basis": "legal_obligation"})
    j = add_purpose(
        data,
        {"id": "tax2", "legal_basis": "legal_obligation", "legal_obligation": {"statutes": []}},
    )
    assert paths("PV105") == [
        ("purposes", i, "legal_obligation", "statutes"),
        ("purposes", j, "legal_obligation", "statutes"),
    ]


def test_pv105_statute_named(data: Data, paths: Paths) -> None:
    add_purpose(
        data,
        {
            "id": "tax",
            "legal_basis": "legal_obligation",
            "legal_obligation": {"statutes": ["be-wib92"]},
        },
    )
    assert paths("PV105") == []


def test_pv106_consent_without_mechanism(data: Data, hits: Hits) -> None:
    i = add_purpose(data, {"id": "news", "legal_basis": "consent"})
    [finding] = hits("PV106")
    assert finding.path == ("purposes", i, "consent")
    assert "'news'" in finding.message


def test_pv106_mechanism_given(data: Data, paths: Paths) -> None:
    consent = {"mechanism": T, "withdrawal": T}
    add_purpose(data, {"id": "news", "legal_basis": "consent", "consent": consent})
    assert paths("PV106") == []


def test_pv107_purpose_used_by_no_activity(data: Data, hits: Hits) -> None:
    i = add_purpose(data, {"id": "spare", "legal_basis": "contract"}, used=False)
    [finding] = hits("PV107")
    assert finding.path == ("purposes", i, "id")
    assert "'spare'" in finding.message


def test_pv107_purpose_used(data: Data, paths: Paths) -> None:
    add_purpose(data, {"id": "spare", "legal_basis": "contract"}, used=True)
    assert paths("PV107") == []


def test_pv108_marketing_without_objection(data: Data, hits: Hits) -> None:
    i = add_purpose(
        data,
        {
            "id": "mailing",
            "legal_basis": "legitimate_interest",
            "legitimate_interest": {"interest": T, "balancing": T},
            "marketing": True,
        },
    )
    [finding] = hits("PV108")
    assert finding.path == ("purposes", i, "legitimate_interest", "objection")
    assert "'mailing'" in finding.message


def test_pv108_objection_given_or_not_marketing(data: Data, paths: Paths) -> None:
    add_purpose(
        data,
        {
            "id": "mailing",
            "legal_basis": "legitimate_interest",
            "legitimate_interest": {"interest": T, "balancing": T, "objection": T},
            "marketing": True,
        },
    )
    add_purpose(
        data,
        {
            "id": "fraud",
            "legal_basis": "legitimate_interest",
            "legitimate_interest": {"interest": T, "balancing": T},
        },
    )
    assert paths("PV108") == []


def _soft_opt_in(basis: str) -> Data:
    purpose: Data = {"id": "upsell", "legal_basis": basis, "soft_opt_in": True, "marketing": True}
    if basis == "legitimate_interest":
        purpose["legitimate_interest"] = {"interest": T, "balancing": T, "objection": T}
    else:
        purpose["consent"] = {"mechanism": T, "withdrawal": T}
    return purpose


def test_pv109_soft_opt_in_on_consent(data: Data, hits: Hits) -> None:
    i = add_purpose(data, _soft_opt_in("consent"))
    [finding] = hits("PV109")
    assert finding.path == ("purposes", i, "soft_opt_in")


def test_pv109_soft_opt_in_to_prospects(data: Data, hits: Hits) -> None:
    data["subjects"].append({"id": "prospect", "label": T})
    data["activities"][0]["subjects"].append("prospect")
    add_purpose(data, _soft_opt_in("legitimate_interest"))
    [finding] = hits("PV109")
    assert finding.path == ("activities", 0, "subjects", 1)
    assert "'prospect'" in finding.message


def test_pv109_soft_opt_in_to_existing_customers(data: Data, paths: Paths) -> None:
    data["subjects"].append({"id": "prospect", "label": T})
    data["activities"].append(
        {
            "id": "leads",
            "name": T,
            "purposes": ["service"],
            "subjects": ["prospect"],
            "categories": ["user.name"],
        }
    )
    add_purpose(data, _soft_opt_in("legitimate_interest"))
    assert paths("PV109") == []


def test_pv110_marketing_on_contract(data: Data, hits: Hits) -> None:
    data["purposes"][0]["marketing"] = True
    [finding] = hits("PV110")
    assert finding.path == ("purposes", 0, "legal_basis")


def test_pv110_marketing_on_legitimate_interest(data: Data, paths: Paths) -> None:
    add_purpose(data, _soft_opt_in("legitimate_interest"))
    assert paths("PV110") == []


def test_pv111_controller_activity_without_purpose(data: Data, hits: Hits) -> None:
    data["activities"][0]["purposes"] = []
    [finding] = hits("PV111")
    assert finding.path == ("activities", 0, "purposes")
    assert "'customers'" in finding.message


def test_pv111_processor_activity_needs_no_purpose(data: Data, paths: Paths) -> None:
    data["activities"][0]["purposes"] = []
    data["activities"][0]["role"] = "processor"
    data["activities"][0]["on_behalf_of"] = T
    assert paths("PV111") == []
