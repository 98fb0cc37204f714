"""The rule set as a whole: matches the catalogue, is clean on the minimal policy, never crashes."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path as FilePath
from typing import Any

from privaat.core.lint import RULES, Finding, Severity, lint, load_builtin_rules
from privaat.core.policy import Policy

Data = dict[str, Any]
Findings = Callable[[], list[Finding]]
T = {"nl": "tekst", "en": "text", "fr": "texte"}

load_builtin_rules()

CATALOGUE = FilePath(__file__).parents[3] / "docs" / "lint-catalogue.md"
_ENTRY = re.compile(r"^- (PV\d{3}) \[(error|warning|info)\] (.+)$", re.MULTILINE)


def catalogue() -> dict[str, tuple[str, str]]:
    """Code -> (severity, description) as docs/lint-catalogue.md lists them."""
    text = CATALOGUE.read_text(encoding="utf-8")
    return {code: (severity, title) for code, severity, title in _ENTRY.findall(text)}


def test_every_registered_rule_is_in_the_catalogue_and_back() -> None:
    assert sorted(RULES) == sorted(catalogue())


def test_severities_match_the_catalogue() -> None:
    listed = catalogue()
    assert {code: info.severity.value for code, info in RULES.items()} == {
        code: severity for code, (severity, _) in listed.items()
    }


def test_every_rule_is_described() -> None:
    for code, info in RULES.items():
        assert re.fullmatch(r"PV\d{3}", code), code
        assert info.code == code
        assert isinstance(info.severity, Severity)
        assert info.title.strip(), code
        assert info.source.strip(), code
        assert callable(info.check)


def test_minimal_policy_is_clean(findings: Findings) -> None:
    assert findings() == []


def test_sparse_policy_does_not_crash(data: Data, findings: Findings) -> None:
    """Every optional part empty or absent: rules report, none raise."""
    for key in ("purposes", "retention", "security"):
        data[key] = []
    data["languages"] = ["en"]
    data["controller"] = {
        "name": "Bare",
        "address": {"street": "Straat 1", "postcode": "1000", "city": "Brussel", "country": "BE"},
        "contact": {},
    }
    data["activities"] = [
        {
            "id": "bare",
            "name": {"en": "Bare"},
            "subjects": ["customer"],
            "categories": ["user.name"],
        }
    ]
    data["rights"] = {"rights": [], "deadline": "P1M", "channels": [{"kind": "web_form"}]}
    codes = {f.code for f in findings()}
    assert {"PV111", "PV201", "PV304", "PV704", "PV805", "PV808"} <= codes


def _everything_wrong(data: Data) -> None:
    """Edit the minimal policy so that every rule but PV805 and PV308 (BE/NL only) fires."""
    data["jurisdiction"] = "FR"  # PV801 (Belgian authority), PV807
    data["supervisory_authority"] = {"key": "be-cbpl"}  # PV802
    data["statutes"] = [{"statute": "be-privacywet-1992"}]  # PV803
    data["children"] = {"min_age": 13}  # PV804: France says 15
    data["controller"]["identifiers"] = {"kbo": "0123.456.789"}  # PV806
    del data["controller"]["contact"]["email"]  # PV808
    del data["controller"]["address"]  # PV809
    data["rights"] = {
        "rights": ["access"],  # PV602, PV704
        "deadline": "P45D",  # PV701, PV702
        "extension": "P3M",  # PV703
        "verification": ["id_document"],  # PV705
        "channels": [{"kind": "post"}],  # PV706
        "subjects": ["customer"],  # PV708
    }
    data["subjects"].append({"id": "prospect", "label": {"nl": "Prospecten"}})  # PV901
    data["categories"] += [
        {"key": "user.health_and_medical", "label": T, "special": True},  # PV202
        {"key": "user.biometric", "label": T},  # PV203
        {"key": "user.name.nickname", "label": T, "criminal": True},  # PV201, PV204, PV205, PV206
    ]
    data["purposes"] = [
        {"id": "none", "name": T, "legal_basis": []},  # PV101, PV111 below
        {"id": "two", "name": T, "legal_basis": ["contract", "consent"]},  # PV102, PV106
        {
            "id": "news",
            "name": T,
            "legal_basis": "consent",
            "consent": {"mechanism": T, "implied": True},  # PV103, PV112
        },
        {"id": "li", "name": T, "legal_basis": "legitimate_interest", "marketing": True},  # PV104/8
        {"id": "law", "name": T, "legal_basis": "legal_obligation"},  # PV105
        {"id": "unused", "name": T, "legal_basis": "contract", "contract": T},  # PV107
        {"id": "upsell", "name": T, "legal_basis": "consent", "soft_opt_in": True},  # PV109
        {"id": "ads", "name": T, "legal_basis": "contract", "marketing": True},  # PV110
    ]
    data["activities"] = [
        {
            "id": "all",
            "name": T,
            "purposes": ["two", "news", "li", "law", "upsell", "ads"],
            "subjects": ["customer", "prospect"],
            "categories": ["user.contact.email", "user.name", "user.health_and_medical"],
            "recipients": ["cloud"],
            "retention": ["min", "none"],
        },
        {"id": "bare", "name": T, "subjects": ["customer"], "categories": ["user.biometric"]},
    ]
    data["retention"] = [
        {
            "id": "min",
            "description": T,
            "categories": ["user.contact.email", "user.name", "user.health_and_medical"],
            "minimum": "P1Y",  # PV301
            "trigger": "event",  # PV303
        },
        {"id": "none", "description": T, "categories": ["user.biometric"], "trigger": "collection"},
    ]  # PV302, and PV307 with the hold below
    data["holds"] = [
        {
            "id": "invoices",
            "kind": "invoices",
            "description": T,
            "statute": "be-wbtw-art60",
            "duration": "P7Y",  # PV305
            "from_end_of_year": False,  # PV306
            "country": "BE",
            "categories": ["user.name"],
        }
    ]
    recipient = {"name": "X", "role": "processor", "dpa_signed": "2024-01-01"}
    data["recipients"] = [
        recipient | {"id": "cloud", "country": "US", "transfer": "adequacy"},  # PV403
        recipient | {"id": "crm", "country": "IN", "dpa_signed": None},  # PV401, PV402, PV404
        recipient | {"id": "uk", "country": "GB", "transfer": "dpf"},  # PV405
    ]
    data["cookies"] = [
        {
            "name": "_ga",
            "provider": "cloud",
            "category": "analytics",
            "purpose": T,
            "lifetime": "P2Y",
            "consent_required": False,  # PV501
        },
        {
            "name": "_fbp",
            "provider": "first_party",
            "category": "marketing",
            "purpose": T,
            "lifetime": "P2Y",  # PV502
            "consent_required": True,
        },
        {
            "name": "lang",
            "provider": "first_party",
            "category": "functional",
            "purpose": T,
            "consent_required": False,  # PV503: no lifetime
        },
    ]
    data["automated_decisions"] = [
        {"id": "score", "name": T, "logic": T, "consequences": T}  # PV601, PV602
    ]


def test_policy_with_everything_wrong(data: Data, findings: Findings) -> None:
    _everything_wrong(data)
    codes = {f.code for f in findings()}
    assert codes == set(RULES) - {"PV805", "PV308"}


def test_disabled_rules_are_skipped(data: Data, policy: Callable[[], Policy]) -> None:
    _everything_wrong(data)
    codes = {f.code for f in lint(policy(), disabled=["PV901", "PV101"])}
    assert "PV901" not in codes
    assert "PV101" not in codes
    assert "PV102" in codes
