"""PV8xx: the controller, its supervisory authority and the national law it cites."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path as FilePath
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privaat.core.lint import Finding
from privaat.core.lint.rules.controller import bad_identifier
from privaat.core.policy import read_policy
from privaat.core.policy.model import Identifiers
from privaat.core.yamlsource import Path

Data = dict[str, Any]
Hits = Callable[[str], list[Finding]]
Paths = Callable[[str], list[Path]]
T = {"nl": "tekst", "en": "text", "fr": "texte"}


def test_pv801_authority_of_another_country(data: Data, hits: Hits) -> None:
    data["jurisdiction"] = "NL"
    [finding] = hits("PV801")
    assert finding.path == ("supervisory_authority", "key")
    assert "'be-gba'" in finding.message
    assert finding.fix == "set supervisory_authority.key: nl-ap"


def test_pv801_authority_of_the_jurisdiction(data: Data, paths: Paths) -> None:
    data["jurisdiction"] = "NL"
    data["supervisory_authority"]["key"] = "nl-ap"
    assert paths("PV801") == []


@pytest.mark.parametrize(("jurisdiction", "key"), [("BE", "be-cbpl"), ("NL", "nl-cbp")])
def test_pv802_renamed_key(data: Data, hits: Hits, jurisdiction: str, key: str) -> None:
    data["jurisdiction"] = jurisdiction
    data["supervisory_authority"]["key"] = key
    [finding] = hits("PV802")
    assert finding.path == ("supervisory_authority", "key")
    assert key in finding.message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "de Privacycommissie"),
        ("name", "Commission de la protection de la vie privée"),
        ("website", "https://www.privacycommission.be/nl"),
        ("email", "commission@privacycommission.be"),
    ],
)
def test_pv802_stale_name(data: Data, hits: Hits, field: str, value: str) -> None:
    data["supervisory_authority"][field] = value
    [finding] = hits("PV802")
    assert finding.path == ("supervisory_authority", field)
    assert value in finding.message


def test_pv802_fix_gives_the_current_name(data: Data, hits: Hits) -> None:
    data["supervisory_authority"]["name"] = "Privacycommissie"
    [finding] = hits("PV802")
    assert finding.fix == "set supervisory_authority.name: Gegevensbeschermingsautoriteit (GBA)"


def test_pv802_stale_email_without_a_current_one(data: Data, hits: Hits) -> None:
    data["jurisdiction"] = "NL"
    data["supervisory_authority"] = {"key": "nl-ap", "email": "info@cbpweb.nl"}
    [finding] = hits("PV802")
    assert finding.path == ("supervisory_authority", "email")
    assert finding.fix == "remove supervisory_authority.email"


def test_pv802_current_authority(data: Data, paths: Paths) -> None:
    data["supervisory_authority"] |= {
        "name": "Gegevensbeschermingsautoriteit",
        "website": "https://www.gegevensbeschermingsautoriteit.be",
        "email": "contact@apd-gba.be",
    }
    assert paths("PV802") == []


def test_pv803_repealed_statute_cited_as_in_force(data: Data, hits: Hits) -> None:
    data["statutes"] = [{"statute": "be-kaderwet-2018"}, {"statute": "be-privacywet-1992"}]
    [finding] = hits("PV803")
    assert finding.path == ("statutes", 1, "statute")
    assert "be-kaderwet-2018" in finding.fix


def test_pv803_repealed_statute_as_obligation_or_hold(data: Data, paths: Paths) -> None:
    data["purposes"].append(
        {
            "id": "register",
            "name": T,
            "legal_basis": "legal_obligation",
            "legal_obligation": {"statutes": ["nl-uavg", "nl-wbp"]},
        }
    )
    data["holds"] = [
        {
            "id": "old",
            "kind": "other",
            "description": T,
            "statute": "be-privacywet-1992",
            "duration": "P1Y",
            "country": "BE",
            "categories": ["user.name"],
        }
    ]
    assert paths("PV803") == [
        ("purposes", 1, "legal_obligation", "statutes", 1),
        ("holds", 0, "statute"),
    ]


def test_pv803_repealed_statute_cited_as_history(data: Data, paths: Paths) -> None:
    data["statutes"] = [
        {"statute": "be-privacywet-1992", "status": "historical"},
        {"statute": "eu-gdpr"},
    ]
    assert paths("PV803") == []


@pytest.mark.parametrize(("jurisdiction", "age"), [("BE", 16), ("NL", 13), ("FR", 16)])
def test_pv804_child_age_not_the_countrys(
    data: Data, hits: Hits, jurisdiction: str, age: int
) -> None:
    data["jurisdiction"] = jurisdiction
    data["children"] = {"min_age": age}
    [finding] = hits("PV804")
    assert finding.path == ("children", "min_age")


@pytest.mark.parametrize(
    ("jurisdiction", "children"),
    [("BE", {"min_age": 13}), ("NL", {"min_age": 16}), ("BE", None), ("US", {"min_age": 13})],
)
def test_pv804_child_age_right_or_unknown(
    data: Data, paths: Paths, jurisdiction: str, children: Data | None
) -> None:
    data["jurisdiction"] = jurisdiction
    data["children"] = children
    assert paths("PV804") == []


@pytest.mark.parametrize(("jurisdiction", "field"), [("BE", "kbo"), ("NL", "kvk")])
def test_pv805_no_company_number(data: Data, hits: Hits, jurisdiction: str, field: str) -> None:
    data["jurisdiction"] = jurisdiction
    data["controller"]["identifiers"] = {"vat": "BE0123456749"}
    [finding] = hits("PV805")
    assert finding.path == ("controller", "identifiers", field)
    assert "'Voorbeeld BV'" in finding.message


@pytest.mark.parametrize(
    ("jurisdiction", "identifiers"),
    [("BE", {"kbo": "0123456749"}), ("NL", {"kvk": "12345678"}), ("FR", {})],
)
def test_pv805_company_number_given_or_unknown(
    data: Data, paths: Paths, jurisdiction: str, identifiers: Data
) -> None:
    data["jurisdiction"] = jurisdiction
    data["controller"]["identifiers"] = identifiers
    assert paths("PV805") == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kbo", "0123.456.789"),  # bad checksum
        ("kbo", "2123.456.749"),  # must start with 0 or 1
        ("kvk", "1234567"),
        ("kvk", "KVK12345678"),
        ("vat", "BE0123456789"),
        ("vat", "0123456749"),  # no country prefix
        ("vat", "NL004495446B01"),  # bad checksum
        ("vat", "FR00303265045"),
    ],
)
def test_pv806_bad_identifier(data: Data, hits: Hits, field: str, value: str) -> None:
    data["controller"]["identifiers"] = {field: value}
    [finding] = hits("PV806")
    assert finding.path == ("controller", "identifiers", field)
    assert value in finding.message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kbo", "0123.456.749"),
        ("kbo", "0123456749"),
        ("kvk", "12345678"),
        ("kvk", "1234 5678"),
        ("vat", "BE 0123.456.749"),
        ("vat", "NL004495445B01"),
        ("vat", "FR40303265045"),
    ],
)
def test_pv806_good_identifier(data: Data, paths: Paths, field: str, value: str) -> None:
    data["controller"]["identifiers"] = {field: value}
    assert paths("PV806") == []


def test_pv807_jurisdiction_unknown(data: Data, paths: Paths) -> None:
    data["jurisdiction"] = "FR"
    assert paths("PV807") == [("jurisdiction",)]


@pytest.mark.parametrize("jurisdiction", ["BE", "NL"])
def test_pv807_jurisdiction_known(data: Data, paths: Paths, jurisdiction: str) -> None:
    data["jurisdiction"] = jurisdiction
    assert paths("PV807") == []


def test_pv808_no_privacy_email(data: Data, hits: Hits) -> None:
    del data["controller"]["contact"]["email"]
    data["rights"]["channels"] = [{"kind": "web_form", "address": "https://voorbeeld.be/privacy"}]
    [finding] = hits("PV808")
    assert finding.path == ("controller", "privacy_contact")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("privacy_contact", "privacy@voorbeeld.be"),
        ("dpo", {"name": "DPO", "email": "dpo@voorbeeld.be"}),
    ],
)
def test_pv808_privacy_email_of_controller(
    data: Data, paths: Paths, key: str, value: str | Data
) -> None:
    del data["controller"]["contact"]["email"]
    data["rights"]["channels"] = [{"kind": "web_form", "address": "https://voorbeeld.be/privacy"}]
    data["controller"][key] = value
    assert paths("PV808") == []


def test_pv808_privacy_email_as_rights_channel(data: Data, paths: Paths) -> None:
    del data["controller"]["contact"]["email"]
    assert paths("PV808") == []


_MINIMAL = read_policy(FilePath(__file__).parents[2] / "fixtures" / "minimal.yaml").policy


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1).filter(str.strip))
def test_pv806_never_crashes(number: str) -> None:
    identifiers = Identifiers(kbo=number, kvk=number, vat=number)
    controller = _MINIMAL.controller.model_copy(update={"identifiers": identifiers})
    policy = _MINIMAL.model_copy(update={"controller": controller})
    for hit in bad_identifier(policy):
        assert hit.path[:2] == ("controller", "identifiers")
