"""Policy diff: what changed, purpose by purpose, and when consent must be asked again."""

from __future__ import annotations

import ast
import copy
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

import privaat.core.policy.diff as diff_module
from privaat.cli import app
from privaat.core.policy import Policy, load_policy
from privaat.core.policy.diff import (
    BECAME_CONSENT,
    LONGER_RETENTION,
    MARKETING_ON,
    MORE_CATEGORIES,
    MORE_RECIPIENTS,
    NEW_PURPOSE,
    NO_WIDENING,
    PROFILING_ON,
    TEXT_CHANGED,
    UNCHANGED,
    PolicyDiff,
    PurposeChange,
    diff_policies,
)

FIXTURE = Path(__file__).parents[1] / "fixtures" / "minimal.yaml"

Edit = Callable[[dict[str, Any]], None]


def base() -> dict[str, Any]:
    """minimal.yaml plus a consent-based newsletter with its own activity and recipient."""
    data: dict[str, Any] = YAML(typ="safe").load(FIXTURE.read_text(encoding="utf-8"))
    data["purposes"].append(
        {
            "id": "newsletter",
            "name": {"nl": "Nieuwsbrief", "en": "Newsletter", "fr": "Lettre d'information"},
            "description": {
                "nl": "Maandelijks nieuws",
                "en": "Monthly news",
                "fr": "Nouvelles mensuelles",
            },
            "legal_basis": "consent",
            "consent": {
                "mechanism": {"nl": "Vinkje", "en": "Checkbox", "fr": "Case à cocher"},
                "withdrawal": {"nl": "Link", "en": "Link", "fr": "Lien"},
            },
        }
    )
    data["activities"].append(
        {
            "id": "mailing",
            "name": {"nl": "Mailing", "en": "Mailing", "fr": "Envoi"},
            "purposes": ["newsletter"],
            "subjects": ["customer"],
            "categories": ["user.contact.email"],
            "recipients": ["mailer"],
            "retention": ["newsletter-rule"],
        }
    )
    data["recipients"] = [
        {
            "id": "mailer",
            "name": "Mailer NV",
            "role": "processor",
            "country": "BE",
            "categories": ["user.contact.email"],
            "purposes": ["newsletter"],
        }
    ]
    data["retention"].append(
        {
            "id": "newsletter-rule",
            "description": {"nl": "Een jaar", "en": "One year", "fr": "Un an"},
            "categories": ["user.contact.email"],
            "maximum": "P1Y",
            "trigger": "last_activity",
        }
    )
    return data


def policy(data: dict[str, Any]) -> Policy:
    return load_policy(json.dumps(data, default=str)).policy


def compare(edit: Edit, old_edit: Edit | None = None) -> PolicyDiff:
    old = base()
    if old_edit is not None:
        old_edit(old)
    new = copy.deepcopy(old)
    new["version"] = "1.1"
    new["date"] = "2024-06-01"
    edit(new)
    return diff_policies(policy(old), policy(new))


def purpose_of(data: dict[str, Any], pid: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in data["purposes"] if p["id"] == pid)
    return found


def activity_of(data: dict[str, Any], aid: str) -> dict[str, Any]:
    found: dict[str, Any] = next(a for a in data["activities"] if a["id"] == aid)
    return found


def newsletter(result: PolicyDiff) -> PurposeChange:
    found = result.purpose("newsletter")
    assert found is not None
    return found


def codes(change: PurposeChange) -> list[str]:
    assert change.reconsent is not None
    return [r.code for r in change.reconsent.reasons]


def needs_reconsent(change: PurposeChange) -> bool:
    assert change.reconsent is not None
    return change.reconsent.needed


# --------------------------------------------------------------------------- no change


def test_identical_policies_have_no_changes() -> None:
    result = compare(lambda d: None)
    assert not result.sections
    assert [p.status for p in result.purposes] == ["unchanged", "unchanged"]
    assert not result.has_changes
    assert result.reconsent_needed == ()
    assert codes(newsletter(result)) == [UNCHANGED]
    service = result.purpose("service")
    assert service is not None
    assert service.reconsent is None
    assert result.render_text().endswith(
        "Summary: 0 purpose(s) added, 0 removed, 0 changed, 2 unchanged; "
        "no re-consent needed; 0 other change(s)."
    )


# --------------------------------------------------------------------------- each reason


def test_a_new_consent_purpose_needs_consent() -> None:
    def edit(d: dict[str, Any]) -> None:
        d["purposes"].append(
            {
                "id": "surveys",
                "name": {"nl": "Enquêtes", "en": "Surveys", "fr": "Enquêtes"},
                "legal_basis": "consent",
            }
        )
        activity_of(d, "mailing")["purposes"].append("surveys")

    result = compare(edit)
    surveys = result.purpose("surveys")
    assert surveys is not None
    assert surveys.status == "added"
    assert codes(surveys) == [NEW_PURPOSE]
    assert result.reconsent_needed == ("surveys",)
    assert {c.field for c in surveys.changes} >= {"name.en", "legal_basis", "categories"}


@pytest.mark.parametrize(
    ("field", "lang", "message"),
    [
        ("name", "en", "the name changed (en)"),
        ("name", "nl", "the name changed (nl)"),
        ("description", "fr", "the description changed (fr)"),
    ],
)
def test_a_changed_name_or_description_in_any_language_needs_consent(
    field: str, lang: str, message: str
) -> None:
    def edit(d: dict[str, Any]) -> None:
        purpose_of(d, "newsletter")[field][lang] += " and offers"

    change = newsletter(compare(edit))
    assert change.status == "changed"
    assert codes(change) == [TEXT_CHANGED]
    assert change.reconsent is not None
    assert change.reconsent.reasons[0].message == message
    assert [c.field for c in change.changes] == [f"{field}.{lang}"]


def test_a_description_added_where_there_was_none_needs_consent() -> None:
    def old(d: dict[str, Any]) -> None:
        del purpose_of(d, "newsletter")["description"]

    def edit(d: dict[str, Any]) -> None:
        purpose_of(d, "newsletter")["description"] = {"en": "Monthly news and offers"}

    change = newsletter(compare(edit, old))
    assert codes(change) == [TEXT_CHANGED]
    assert change.reconsent is not None
    assert change.reconsent.reasons[0].message == "the description changed (en)"


def test_a_purpose_that_becomes_consent_based_needs_consent() -> None:
    def old(d: dict[str, Any]) -> None:
        p = purpose_of(d, "newsletter")
        p["legal_basis"] = "legitimate_interest"
        p["legitimate_interest"] = {"interest": {"en": "Keeping customers informed"}}
        del p["consent"]

    def edit(d: dict[str, Any]) -> None:
        p = purpose_of(d, "newsletter")
        p["legal_basis"] = "consent"
        del p["legitimate_interest"]
        p["consent"] = {"mechanism": {"en": "Checkbox"}}

    change = newsletter(compare(edit, old))
    assert codes(change) == [BECAME_CONSENT]
    assert change.reconsent is not None
    assert change.reconsent.reasons[0].message == (
        "the legal basis became consent (was legitimate_interest)"
    )


def test_a_purpose_that_stops_being_consent_based_gets_no_decision() -> None:
    def edit(d: dict[str, Any]) -> None:
        p = purpose_of(d, "newsletter")
        p["legal_basis"] = "legitimate_interest"
        p["legitimate_interest"] = {"interest": {"en": "Keeping customers informed"}}

    change = newsletter(compare(edit))
    assert change.status == "changed"
    assert change.reconsent is None


def test_more_data_categories_need_consent() -> None:
    def edit(d: dict[str, Any]) -> None:
        activity_of(d, "mailing")["categories"].append("user.name")

    change = newsletter(compare(edit))
    assert codes(change) == [MORE_CATEGORIES]
    assert change.reconsent is not None
    assert change.reconsent.reasons[0].message == "more data categories: user.name"


def test_a_purpose_moved_into_a_wider_activity_needs_consent() -> None:
    def edit(d: dict[str, Any]) -> None:
        activity_of(d, "customers")["purposes"].append("newsletter")

    # The customers activity also keeps the e-mail address two years instead of one.
    assert codes(newsletter(compare(edit))) == [MORE_CATEGORIES, LONGER_RETENTION]


def test_more_recipients_need_consent() -> None:
    def edit(d: dict[str, Any]) -> None:
        d["recipients"].append(
            {"id": "tracker", "name": "Tracker Inc.", "role": "processor", "country": "BE"}
        )
        activity_of(d, "mailing")["recipients"].append("tracker")

    change = newsletter(compare(edit))
    assert codes(change) == [MORE_RECIPIENTS]
    assert [c.render() for c in change.changes] == ["recipients: + tracker"]


def test_a_recipient_that_names_the_purpose_counts_as_a_recipient_for_it() -> None:
    def edit(d: dict[str, Any]) -> None:
        d["recipients"].append(
            {
                "id": "printer",
                "name": "Printer BV",
                "role": "processor",
                "country": "BE",
                "purposes": ["newsletter"],
            }
        )

    assert codes(newsletter(compare(edit))) == [MORE_RECIPIENTS]


def test_a_recipient_of_the_activity_for_another_purpose_does_not_count() -> None:
    def edit(d: dict[str, Any]) -> None:
        d["recipients"].append(
            {
                "id": "bookkeeper",
                "name": "Bookkeeper BV",
                "role": "processor",
                "country": "BE",
                "purposes": ["service"],
            }
        )
        activity_of(d, "mailing")["recipients"].append("bookkeeper")

    result = compare(edit)
    assert not needs_reconsent(newsletter(result))
    assert newsletter(result).status == "unchanged"


@pytest.mark.parametrize(
    ("maximum", "needed", "message"),
    [
        ("P2Y", True, "data kept longer: user.contact.email (P1Y -> P2Y)"),
        ("P18M", True, "data kept longer: user.contact.email (P1Y -> P18M)"),
        (None, True, "data kept longer: user.contact.email (P1Y -> no maximum)"),
        ("P6M", False, None),
        ("P365D", False, None),  # the same year, counted in days
    ],
)
def test_longer_retention_needs_consent(maximum: str | None, needed: bool, message: str) -> None:
    def edit(d: dict[str, Any]) -> None:
        rule = next(r for r in d["retention"] if r["id"] == "newsletter-rule")
        if maximum is None:
            del rule["maximum"]
        else:
            rule["maximum"] = maximum

    change = newsletter(compare(edit))
    assert needs_reconsent(change) is needed
    if needed:
        assert codes(change) == [LONGER_RETENTION]
        assert change.reconsent is not None
        assert change.reconsent.reasons[0].message == message
    else:
        assert codes(change) == [NO_WIDENING]


def test_a_longer_rule_attached_to_the_purposes_activity_needs_consent() -> None:
    def edit(d: dict[str, Any]) -> None:
        activity_of(d, "mailing")["retention"].append("contract-end")  # P2Y on the same e-mail

    assert codes(newsletter(compare(edit))) == [LONGER_RETENTION]


@pytest.mark.parametrize(
    ("flag", "code"), [("profiling", PROFILING_ON), ("marketing", MARKETING_ON)]
)
def test_switching_on_profiling_or_marketing_needs_consent(flag: str, code: str) -> None:
    def edit(d: dict[str, Any]) -> None:
        purpose_of(d, "newsletter")[flag] = True

    change = newsletter(compare(edit))
    assert codes(change) == [code]
    assert [c.render() for c in change.changes] == [f"{flag}: false -> true"]


def test_several_reasons_are_all_given_in_a_stable_order() -> None:
    def edit(d: dict[str, Any]) -> None:
        p = purpose_of(d, "newsletter")
        p["name"]["en"] = "News and offers"
        p["profiling"] = True
        p["marketing"] = True
        activity_of(d, "mailing")["categories"].append("user.name")

    result = compare(edit)
    assert codes(newsletter(result)) == [TEXT_CHANGED, MORE_CATEGORIES, PROFILING_ON, MARKETING_ON]
    assert result.reconsent_needed == ("newsletter",)


# --------------------------------------------------------------------------- no re-consent


def remove_mailer(d: dict[str, Any]) -> None:
    activity_of(d, "mailing")["recipients"] = []
    d["recipients"][0]["purposes"] = []


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(remove_mailer, id="recipient-removed"),
        pytest.param(
            lambda d: next(r for r in d["retention"] if r["id"] == "newsletter-rule").update(
                maximum="P3M"
            ),
            id="retention-shorter",
        ),
        pytest.param(
            lambda d: purpose_of(d, "newsletter")["consent"].update(
                mechanism={"nl": "Vakje", "en": "Tick box", "fr": "Case"}
            ),
            id="consent-mechanism-reworded",
        ),
        pytest.param(
            lambda d: purpose_of(d, "newsletter")["consent"].update(double_opt_in=True),
            id="double-opt-in-added",
        ),
    ],
)
def test_removals_and_rewording_of_consent_detail_need_no_consent(edit: Edit) -> None:
    change = newsletter(compare(edit))
    assert change.status == "changed"
    assert not needs_reconsent(change)
    assert codes(change) == [NO_WIDENING]


def test_less_data_needs_no_consent() -> None:
    def old(d: dict[str, Any]) -> None:
        activity_of(d, "mailing")["categories"].append("user.name")

    def edit(d: dict[str, Any]) -> None:
        activity_of(d, "mailing")["categories"].remove("user.name")

    change = newsletter(compare(edit, old))
    assert change.status == "changed"
    assert codes(change) == [NO_WIDENING]
    assert change.reconsent is not None
    assert "categories" in change.reconsent.reasons[0].message


def test_switching_marketing_off_needs_no_consent() -> None:
    def old(d: dict[str, Any]) -> None:
        purpose_of(d, "newsletter")["marketing"] = True

    def edit(d: dict[str, Any]) -> None:
        purpose_of(d, "newsletter")["marketing"] = False

    assert codes(newsletter(compare(edit, old))) == [NO_WIDENING]


def test_whitespace_is_not_a_change() -> None:
    def edit(d: dict[str, Any]) -> None:
        purpose_of(d, "newsletter")["name"]["en"] = "Newsletter "
        purpose_of(d, "newsletter")["description"]["en"] = "Monthly   news"

    change = newsletter(compare(edit))
    assert change.status == "unchanged"
    assert codes(change) == [UNCHANGED]


def test_a_translation_in_a_newly_published_language_needs_no_consent() -> None:
    def old(d: dict[str, Any]) -> None:
        d["languages"] = ["nl", "en"]
        del purpose_of(d, "newsletter")["name"]["fr"]

    def edit(d: dict[str, Any]) -> None:
        d["languages"] = ["nl", "en", "fr"]
        purpose_of(d, "newsletter")["name"]["fr"] = "Lettre d'information"

    result = compare(edit, old)
    change = newsletter(result)
    assert [c.field for c in change.changes] == ["name.fr"]
    assert codes(change) == [NO_WIDENING]
    policy_section = result.section("policy")
    assert policy_section is not None
    assert [c.render() for c in policy_section.items[0].changes] == ["languages: + fr"]


def test_cosmetic_changes_elsewhere_need_no_consent() -> None:
    def edit(d: dict[str, Any]) -> None:
        d["controller"]["contact"]["phone"] = "+32 9 000 00 00"
        d["categories"][1]["label"]["en"] = "Full name"
        d["rights"]["deadline"] = "P30D"

    result = compare(edit)
    assert codes(newsletter(result)) == [UNCHANGED]
    assert result.reconsent_needed == ()
    assert result.has_changes
    assert [s.section for s in result.sections] == ["controller", "categories", "rights"]


def test_a_changed_non_consent_purpose_gets_no_decision() -> None:
    def edit(d: dict[str, Any]) -> None:
        purpose_of(d, "service")["name"]["en"] = "Delivering the service"

    result = compare(edit)
    service = result.purpose("service")
    assert service is not None
    assert service.status == "changed"
    assert service.reconsent is None
    assert result.reconsent_needed == ()


def test_a_removed_purpose_is_reported_without_a_decision() -> None:
    def edit(d: dict[str, Any]) -> None:
        d["purposes"] = [p for p in d["purposes"] if p["id"] != "newsletter"]
        activity_of(d, "mailing")["purposes"] = ["service"]
        d["recipients"][0]["purposes"] = []

    change = newsletter(compare(edit))
    assert (change.status, change.changes, change.reconsent) == ("removed", (), None)
    assert change.name == "Nieuwsbrief"


# --------------------------------------------------------------------------- other sections


def test_section_changes_are_listed_item_by_item() -> None:
    def edit(d: dict[str, Any]) -> None:
        d["controller"]["name"] = "Voorbeeld Groep BV"
        d["supervisory_authority"] = {"key": "be-gba", "name": "GBA"}
        d["categories"].append({"key": "user.contact.phone_number", "label": {"en": "Phone"}})
        d["recipients"][0]["country"] = "NL"
        d["retention"][0]["maximum"] = "P3Y"
        d["holds"] = [
            {
                "id": "invoices",
                "kind": "invoices",
                "description": {"en": "Invoices"},
                "statute": "be-wbtw-art60",
                "duration": "P10Y",
                "country": "BE",
                "categories": ["user.name"],
            }
        ]
        d["cookies"] = [
            {
                "name": "_ga",
                "provider": "mailer",
                "category": "analytics",
                "purpose": {"en": "Statistics"},
                "lifetime": "P2Y",
                "consent_required": True,
            }
        ]
        d["rights"]["channels"].append({"kind": "post", "address": "Kerkstraat 1, Gent"})

    result = compare(edit)
    summary = {
        s.section: [(i.key, i.status, [c.field for c in i.changes]) for i in s.items]
        for s in result.sections
    }
    assert summary == {
        "controller": [("controller", "changed", ["name"])],
        "supervisory_authority": [("supervisory_authority", "changed", ["name"])],
        "categories": [("user.contact.phone_number", "added", [])],
        "retention": [("contract-end", "changed", ["maximum"])],
        "holds": [("invoices", "added", [])],
        "recipients": [("mailer", "changed", ["country"])],
        "cookies": [("_ga (mailer)", "added", [])],
        "rights": [("rights", "changed", ["channels[1].address", "channels[1].kind"])],
    }
    # The contract rule got longer, but the service purpose rests on a contract.
    assert result.reconsent_needed == ()


def test_removed_items_and_sections() -> None:
    def old(d: dict[str, Any]) -> None:
        d["children"] = {"min_age": 13}

    def edit(d: dict[str, Any]) -> None:
        del d["children"]
        d["security"] = []

    result = compare(edit, old)
    summary = {s.section: [(i.key, i.status) for i in s.items] for s in result.sections}
    assert summary == {"security": [("tls", "removed")], "children": [("children", "removed")]}


# --------------------------------------------------------------------------- output


def test_as_dict_is_json_ready_and_stable() -> None:
    def edit(d: dict[str, Any]) -> None:
        purpose_of(d, "newsletter")["name"]["en"] = "News"
        activity_of(d, "mailing")["categories"].append("user.name")
        d["controller"]["contact"]["phone"] = "+32 9 000 00 00"

    first = compare(edit).as_dict()
    assert json.dumps(first) == json.dumps(compare(edit).as_dict())
    assert first["old"] == {"version": "1.0", "date": "2024-01-01"}
    assert first["new"] == {"version": "1.1", "date": "2024-06-01"}
    assert first["reconsent_needed"] == ["newsletter"]
    assert first["summary"] == {
        "purposes_added": 0,
        "purposes_removed": 0,
        "purposes_changed": 1,
        "purposes_unchanged": 1,
        "reconsent_needed": 1,
        "other_changes": 2,  # the controller, and the mailing activity
    }
    purposes = first["purposes"]
    assert isinstance(purposes, list)
    assert [p["id"] for p in purposes] == ["newsletter", "service"]
    assert purposes[0]["reconsent"] == {
        "needed": True,
        "reasons": [
            {"code": TEXT_CHANGED, "message": "the name changed (en)"},
            {"code": MORE_CATEGORIES, "message": "more data categories: user.name"},
        ],
    }
    assert purposes[0]["changes"][0] == {
        "field": "categories",
        "old": ["user.contact.email"],
        "new": ["user.contact.email", "user.name"],
    }


def test_render_text_has_a_block_per_purpose_and_a_summary() -> None:
    def edit(d: dict[str, Any]) -> None:
        purpose_of(d, "newsletter")["name"]["en"] = "News"
        purpose_of(d, "service")["name"]["en"] = "Delivering the service"
        d["controller"]["contact"]["phone"] = "+32 9 000 00 00"

    assert compare(edit).render_text().splitlines() == [
        "Policy 1.0 (2024-01-01) -> 1.1 (2024-06-01)",
        "",
        "Purpose newsletter (Nieuwsbrief): changed",
        '  name.en: "Newsletter" -> "News"',
        "  RE-CONSENT NEEDED: the name changed (en)",
        "",
        "Purpose service (Dienstverlening): changed",
        '  name.en: "Providing the service" -> "Delivering the service"',
        "",
        "Other changes",
        "  controller",
        "    ~ controller",
        '        contact.phone: "+32 9 123 45 67" -> "+32 9 000 00 00"',
        "",
        "Summary: 0 purpose(s) added, 0 removed, 2 changed, 0 unchanged; "
        "re-consent needed for 1 purpose (newsletter); 1 other change(s).",
    ]


def test_render_text_explains_a_consent_purpose_that_needs_nothing() -> None:
    text = compare(remove_mailer).render_text()
    assert "  recipients: - mailer\n" in text
    assert "  re-consent not needed: the changes do not widen what people agreed to" in text


def test_cli_diff_in_text_and_json(tmp_path: Path) -> None:
    old, new = base(), base()
    purpose_of(new, "newsletter")["profiling"] = True
    (tmp_path / "a.yaml").write_text(json.dumps(old, default=str), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(json.dumps(new, default=str), encoding="utf-8")
    runner = CliRunner()
    args = ["policy", "diff", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "RE-CONSENT NEEDED: profiling was switched on" in result.stdout
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["reconsent_needed"] == ["newsletter"]


def test_the_diff_module_is_pure() -> None:
    tree = ast.parse(Path(diff_module.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    for name in imported:
        top = name.split(".")[0]
        assert top in sys.stdlib_module_names or name.startswith("privaat.core"), name
