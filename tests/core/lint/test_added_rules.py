"""PV112, PV308, PV503, PV708, PV809: rules that the seed policies showed were missing."""

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


def consent_purpose(data: Data, *, implied: bool) -> int:
    data["purposes"].append(
        {
            "id": "newsletter",
            "name": T,
            "legal_basis": "consent",
            "consent": {"mechanism": T, "withdrawal": T, "implied": implied},
        }
    )
    data["activities"][0]["purposes"].append("newsletter")
    return len(data["purposes"]) - 1


def test_pv112_consent_inferred_from_use(data: Data, hits: Hits) -> None:
    i = consent_purpose(data, implied=True)
    [finding] = hits("PV112")
    assert finding.path == ("purposes", i, "consent", "implied")
    assert "'newsletter'" in finding.message


def test_pv112_explicit_consent_is_fine(data: Data, paths: Paths) -> None:
    consent_purpose(data, implied=False)
    assert paths("PV112") == []


def add_billing(data: Data) -> None:
    data["categories"].append({"key": "user.financial.bank_account", "label": T})
    data["activities"][0]["categories"].append("user.financial.bank_account")
    data["retention"][0]["categories"].append("user.financial.bank_account")


def test_pv308_billing_without_invoice_hold(data: Data, hits: Hits) -> None:
    add_billing(data)
    [finding] = hits("PV308")
    assert finding.path == ("activities", 0, "categories", 2)
    assert "P10Y" in finding.fix


@pytest.mark.parametrize("kind", ["invoices", "accounting", "fiscal"])
def test_pv308_hold_present(data: Data, paths: Paths, kind: str) -> None:
    add_billing(data)
    data["holds"] = [
        {
            "id": "books",
            "kind": kind,
            "description": T,
            "statute": "be-wbtw-art60" if kind == "invoices" else "be-wer-art-iii-88",
            "duration": "P10Y",
            "country": "BE",
            "categories": ["user.financial.bank_account"],
        }
    ]
    data["retention"][0]["holds"] = ["books"]
    assert paths("PV308") == []


def test_pv308_processor_activity_and_foreign_jurisdiction(data: Data, paths: Paths) -> None:
    add_billing(data)
    data["activities"][0]["role"] = "processor"
    data["activities"][0]["on_behalf_of"] = T
    assert paths("PV308") == []


def test_pv308_not_for_jurisdictions_privaat_does_not_know(data: Data, paths: Paths) -> None:
    add_billing(data)
    data["jurisdiction"] = "DE"
    data["supervisory_authority"] = {"key": "be-gba"}
    assert paths("PV308") == []


def add_cookie(data: Data, **extra: Any) -> int:
    cookie = {
        "name": "lang",
        "provider": "first_party",
        "category": "functional",
        "purpose": T,
        "consent_required": False,
    }
    data.setdefault("cookies", []).append(cookie | extra)
    return len(data["cookies"]) - 1


def test_pv503_cookie_without_lifetime(data: Data, hits: Hits) -> None:
    i = add_cookie(data)
    [finding] = hits("PV503")
    assert finding.path == ("cookies", i)


@pytest.mark.parametrize("lifetime", ["session", "P1Y"])
def test_pv503_cookie_with_lifetime(data: Data, paths: Paths, lifetime: str) -> None:
    add_cookie(data, lifetime=lifetime)
    assert paths("PV503") == []


def test_pv708_rights_for_customers_only(data: Data, hits: Hits) -> None:
    data["subjects"].append({"id": "visitor", "label": T})
    data["rights"]["subjects"] = ["customer"]
    [finding] = hits("PV708")
    assert finding.path == ("rights", "subjects")
    assert "left out: visitor" in finding.message


def test_pv708_rights_for_every_group(data: Data, paths: Paths) -> None:
    data["subjects"].append({"id": "visitor", "label": T})
    data["rights"]["subjects"] = ["customer", "visitor"]
    assert paths("PV708") == []
    data["rights"]["subjects"] = []
    assert paths("PV708") == []


def test_pv809_controller_without_address(data: Data, hits: Hits) -> None:
    del data["controller"]["address"]
    [finding] = hits("PV809")
    assert finding.path == ("controller",)


def test_pv809_controller_with_address(data: Data, paths: Paths) -> None:
    assert paths("PV809") == []
