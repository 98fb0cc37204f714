"""Building the register's records: parties, purposes, transfers, retention, languages."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from privaat.cli import app
from privaat.core.duration import Duration
from privaat.core.policy import Policy, load_policy
from privaat.core.policy.model import Lang, RecipientRole
from privaat.errors import UsageError
from privaat.i18n import Words
from privaat.register import build_register, export_ropa
from privaat.register.columns import record_texts
from privaat.register.labels import RECIPIENT_ROLE
from privaat.register.records import ControllerRecord, ProcessorRecord
from privaat.register.to_jsonld import pd_concept

FIXTURES = Path(__file__).parents[1] / "fixtures"


def data(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load((FIXTURES / name).read_text(encoding="utf-8"))
    return loaded


def policy_of(name: str, edit: Callable[[dict[str, Any]], None] | None = None) -> Policy:
    raw = data(name)
    if edit is not None:
        edit(raw)
    return load_policy(json.dumps(raw, default=str)).policy


def controller_record(policy: Policy, activity: str, lang: str = "en") -> ControllerRecord:
    register = build_register(policy, lang)
    return next(r for r in register.controller_records if r.activity_id == activity)


def processor_record(policy: Policy, activity: str, lang: str = "en") -> ProcessorRecord:
    register = build_register(policy, lang)
    return next(r for r in register.processor_records if r.activity_id == activity)


def recipient(raw: dict[str, Any], rid: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in raw["recipients"] if r["id"] == rid)
    return found


# --------------------------------------------------------------------------- languages


def test_texts_default_to_the_policys_first_language() -> None:
    register = build_register(policy_of("processor.yaml"))
    assert register.lang == "nl"
    assert register.controller_records[0].activity == "Klantenbeheer"


@pytest.mark.parametrize(
    ("lang", "activity", "basis"),
    [
        ("nl", "Klantenbeheer", "Uitvoering van een overeenkomst (art. 6.1.b AVG)"),
        ("en", "Customer management", "Performance of a contract (Art. 6(1)(b) GDPR)"),
        ("fr", "Gestion des clients", "Exécution d'un contrat (art. 6.1.b RGPD)"),
    ],
)
def test_a_chosen_language_is_used_throughout(lang: str, activity: str, basis: str) -> None:
    record = controller_record(policy_of("minimal.yaml"), "customers", lang)
    assert record.activity == activity
    assert record.purposes[0].legal_basis_text == basis


def test_a_text_missing_in_the_language_falls_back_to_the_policys_languages() -> None:
    # processor.yaml is published in nl and en only.
    record = controller_record(policy_of("processor.yaml"), "customers", "fr")
    assert record.activity == "Klantenbeheer"
    assert record.purposes[0].legal_basis_text.startswith("Exécution d'un contrat")


def test_an_unknown_language_or_format_is_a_usage_error() -> None:
    policy = policy_of("minimal.yaml")
    with pytest.raises(UsageError, match="unknown language"):
        export_ropa(policy, "csv", lang="de")
    with pytest.raises(UsageError, match="unknown register format"):
        export_ropa(policy, "pdf")


def test_duration_words() -> None:
    assert Words("en").duration(Duration(years=1, months=6)) == "1 year and 6 months"
    assert Words("nl").duration(Duration(years=2)) == "2 jaar"
    assert Words("fr").duration(Duration(months=3, days=1)) == "3 mois et 1 jour"
    assert Words("en").duration(Duration()) == "immediately"
    assert Words("nl").duration(Duration()) == "onmiddellijk"
    assert Words("fr").duration(Duration()) == "immédiatement"


# --------------------------------------------------------------------------- parties


def test_missing_dpo_and_representative_are_stated_not_left_blank() -> None:
    record = controller_record(policy_of("minimal.yaml"), "customers")
    texts = record_texts(record, "en")
    assert texts["dpo"] == "no data protection officer appointed"
    assert texts["representative"] == "not required (established in the EEA)"
    assert texts["joint_controllers"] == "no joint controller"
    assert texts["transfers"] == "no transfers outside the EEA"


def test_a_controller_outside_the_eea_without_representative_is_stated() -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["controller"]["address"]["country"] = "US"

    texts = record_texts(controller_record(policy_of("minimal.yaml", edit), "customers"), "en")
    assert texts["representative"] == "no representative designated"


def test_controller_party_has_name_address_and_privacy_contact() -> None:
    record = controller_record(policy_of("processor.yaml"), "customers")
    assert record.controller.name == "Hostkot"
    assert record.controller.email == "privacy@hostkot.be"
    assert record.controller.text == (
        "Hostkot (Hostkot BV) — Veldstraat 10, 9000 Gent, BE — privacy@hostkot.be"
        " — +32 9 765 43 21 — https://hostkot.be"
    )
    assert record.dpo is not None
    assert record.dpo.text == "Jan Peeters — dpo@hostkot.be — +32 9 765 43 29"


def test_joint_controllers_come_from_joint_controller_recipients() -> None:
    record = controller_record(policy_of("processor.yaml"), "events")
    assert [p.name for p in record.joint_controllers] == ["Digitaal Gent vzw"]


def test_joint_controllers_fall_back_to_on_behalf_of() -> None:
    def edit(raw: dict[str, Any]) -> None:
        events = next(a for a in raw["activities"] if a["id"] == "events")
        events["recipients"] = []
        events["on_behalf_of"] = {"nl": "Stad Gent", "en": "City of Ghent"}

    record = controller_record(policy_of("processor.yaml", edit), "events")
    assert [p.name for p in record.joint_controllers] == ["City of Ghent"]


def test_processor_record_names_the_controllers_and_the_processing() -> None:
    record = processor_record(policy_of("processor.yaml"), "hosting")
    assert record.controllers == "Our hosting customers"
    assert record.processing == (
        "Web hosting and e-mail — Storage and availability of websites and mailboxes"
        " (Hosting for customers)"
    )
    assert [r.name for r in record.sub_processors] == ["Swiss Backup AG", "Desk Support Inc."]
    texts = record_texts(record, "en")
    assert texts["processor"].startswith("Hostkot (Hostkot BV)")


# --------------------------------------------------------------------------- purposes and data


def test_legal_basis_per_purpose_carries_its_detail() -> None:
    record = controller_record(policy_of("processor.yaml"), "customers")
    assert [p.basis_line for p in record.purposes] == [
        "Providing hosting: Performance of a contract (Art. 6(1)(b) GDPR) — The hosting contract",
        "Invoicing: Legal obligation (Art. 6(1)(c) GDPR)"
        " — Belgian VAT Code, art. 60 (keeping invoices, 10 years)",
        "Newsletter: Consent (Art. 6(1)(a) GDPR) — Checkbox at sign-up",
    ]


def test_legitimate_interest_detail_and_no_single_basis() -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["purposes"].append(
            {
                "id": "fraud",
                "name": {"en": "Fraud prevention"},
                "legal_basis": "legitimate_interest",
                "legitimate_interest": {
                    "interest": {"en": "Preventing abuse"},
                    "balancing": {"en": "Limited data, short retention"},
                },
            }
        )
        raw["purposes"].append(
            {"id": "both", "name": {"en": "Two bases"}, "legal_basis": ["contract", "consent"]}
        )
        raw["activities"][0]["purposes"] += ["fraud", "both"]

    record = controller_record(policy_of("minimal.yaml", edit), "customers")
    lines = [p.basis_line for p in record.purposes]
    assert lines[1] == (
        "Fraud prevention: Legitimate interest (Art. 6(1)(f) GDPR)"
        " — Preventing abuse — Limited data, short retention"
    )
    assert lines[2] == "Two bases: no single legal basis"


def test_special_and_criminal_data_are_flagged() -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["categories"] += [
            {"key": "user.health_and_medical", "label": {"en": "Health"}, "special": True},
            {"key": "user.criminal_history", "label": {"en": "Record"}, "criminal": True},
        ]
        raw["activities"][0]["categories"] += ["user.health_and_medical", "user.criminal_history"]

    record = controller_record(policy_of("minimal.yaml", edit), "customers")
    assert [c.flag_text for c in record.special_categories] == [
        "Health (user.health_and_medical): no Art. 9(2) GDPR condition stated",
        "Record (user.criminal_history): criminal convictions and offences (Art. 10 GDPR)",
    ]
    explicit = controller_record(policy_of("processor.yaml"), "events").special_categories
    assert [c.flag_text for c in explicit] == [
        "Accessibility needs (user.health_and_medical): explicit consent (Art. 9(2)(a) GDPR)"
    ]


def test_sources_and_their_detail() -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["activities"][0]["sources"] = ["data_subject", "public"]
        raw["activities"][0]["source_detail"] = {"en": "the KBO register"}

    texts = record_texts(controller_record(policy_of("minimal.yaml", edit), "customers"), "en")
    assert texts["sources"] == "the data subject; public sources (the KBO register)"


def test_fideslang_keys_map_to_dpv_personal_data_concepts() -> None:
    assert pd_concept("user.contact.email") == "pd:EmailAddress"
    assert pd_concept("user.contact.address.street") == "pd:Street"
    assert pd_concept("user.name.first") == "pd:Name"  # through its ancestor
    assert pd_concept("user.content.private") is None


# --------------------------------------------------------------------------- transfers


def test_transfers_name_the_third_country_and_the_safeguard() -> None:
    record = controller_record(policy_of("processor.yaml"), "customers")
    (transfer,) = record.transfers
    assert transfer.text == (
        "Mailchimp (Intuit Inc.) → US: standard contractual clauses (Art. 46(2)(c) GDPR)"
        " — Standard contractual clauses 2021/914, module 2"
    )
    recipients = {r.id: r.third_country for r in record.recipients}
    assert recipients == {"mailer": True, "accountant": False, "tax-office": False}


def test_a_derogation_carries_its_art49_documentation() -> None:
    def edit(raw: dict[str, Any]) -> None:
        mailer = recipient(raw, "mailer")
        mailer["transfer"] = "derogation"
        mailer["transfer_detail"] = {"en": "Occasional transfer, assessed on 2024-05-01"}

    (transfer,) = controller_record(policy_of("processor.yaml", edit), "customers").transfers
    assert transfer.documentation == "Occasional transfer, assessed on 2024-05-01"
    assert transfer.text.endswith(
        "derogation (Art. 49 GDPR) — documentation of suitable safeguards"
        " (Art. 49(1) second subparagraph GDPR): Occasional transfer, assessed on 2024-05-01"
    )
    doc = json.loads(export_ropa(policy_of("processor.yaml", edit), "jsonld", lang="en"))
    process = next(p for p in doc["dpv:hasProcess"] if p["dct:identifier"] == "customers")
    (node,) = process["dpv:hasProcess"]
    assert node["dpv:hasLegalBasis"] == ["dpv:DataTransferLegalBasis"]
    assert node["dpv:hasJustification"]["@type"] == "dpv:Justification"


def test_an_undocumented_derogation_and_a_missing_mechanism_are_visible() -> None:
    def edit(raw: dict[str, Any]) -> None:
        mailer = recipient(raw, "mailer")
        mailer["transfer"] = "derogation"
        del mailer["transfer_detail"]
        accountant = recipient(raw, "accountant")
        accountant["country"] = "IN"

    record = controller_record(policy_of("processor.yaml", edit), "customers")
    texts = [t.text for t in record.transfers]
    assert texts[0].endswith("(Art. 49(1) second subparagraph GDPR): not documented")
    assert texts[1] == "Boekhoudkantoor Claes → IN: no transfer mechanism"


def test_bcr_transfer_in_jsonld() -> None:
    def edit(raw: dict[str, Any]) -> None:
        recipient(raw, "mailer")["transfer"] = "bcr"

    doc = json.loads(export_ropa(policy_of("processor.yaml", edit), "jsonld"))
    process = next(p for p in doc["dpv:hasProcess"] if p["dct:identifier"] == "customers")
    (node,) = process["dpv:hasProcess"]
    assert node["dpv:hasLegalBasis"] == ["eu-gdpr:A46-2-b"]
    assert node["dpv:hasOrganisationalMeasure"]["@type"] == "eu-gdpr:BindingCorporateRules"


# --------------------------------------------------------------------------- retention


def test_retention_in_words_and_iso_with_the_holds() -> None:
    record = controller_record(policy_of("processor.yaml"), "customers")
    texts = record_texts(record, "en")
    assert texts["retention"].split("; ") == [
        "Two years after the contract ends: at most 2 years after the end of the contract,"
        " then deleted",
        "Until unsubscribing: at most 30 days after uitschrijving, then deleted",
        "Invoices: kept by law for 10 years from 1 January after the year of the document"
        " — Belgian VAT Code, art. 60 (keeping invoices, 10 years)",
    ]
    assert texts["retention_iso"].split("; ") == [
        "contract-end: P2Y after contract_end, delete",
        "newsletter-unsubscribe: P30D after uitschrijving, delete",
        "invoices: P10Y statutory hold from end of year",
    ]


def test_holds_come_from_the_activity_and_its_rules_once() -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["activities"][0]["holds"] = []  # the rule contract-end still names the hold

    record = controller_record(policy_of("processor.yaml", edit), "customers")
    assert [h.id for h in record.holds] == ["invoices"]
    assert [h.id for h in controller_record(policy_of("processor.yaml"), "customers").holds] == [
        "invoices"
    ]


def test_a_sweep_rule_a_minimum_and_anonymisation_in_french() -> None:
    def edit(raw: dict[str, Any]) -> None:
        rule = raw["retention"][0]
        rule.update(
            {"trigger": "schedule", "schedule": "P1Y", "minimum": "P6M", "action": "anonymise"}
        )
        del rule["maximum"]

    record = controller_record(policy_of("minimal.yaml", edit), "customers", "fr")
    (rule,) = record.retention
    assert rule.text == (
        "Deux ans après la fin du contrat: supprimées lors d'un nettoyage tous les 1 an"
        " (au moins 6 mois), puis anonymisées"
    )
    assert rule.iso == "contract-end: no maximum after schedule, anonymise"


def test_a_record_without_retention_says_so() -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["activities"][0]["retention"] = []

    texts = record_texts(controller_record(policy_of("minimal.yaml", edit), "customers"), "en")
    assert texts["retention"] == texts["retention_iso"] == "no retention rule recorded"


# --------------------------------------------------------------------------- command line


def test_cli_exports_jsonld_and_writes_xlsx(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["policy", "ropa", str(FIXTURES / "processor.yaml"), "--format", "jsonld"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["@type"] == "dpv:ROPA"
    out = tmp_path / "register.xlsx"
    result = runner.invoke(
        app, ["policy", "ropa", str(FIXTURES / "minimal.yaml"), "--format", "xlsx", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"PK")


# --------------------------------------------------------------------------- new policy fields


def test_a_controller_without_address_keeps_its_country_and_prints_no_placeholder() -> None:
    def edit(raw: dict[str, Any]) -> None:
        del raw["controller"]["address"]

    policy = policy_of("processor.yaml", edit)
    record = controller_record(policy, "customers")
    assert record.controller.address is None
    assert record.controller.country == "BE"  # from the jurisdiction
    assert record.controller.text == (
        "Hostkot (Hostkot BV) — BE — privacy@hostkot.be — +32 9 765 43 21 — https://hostkot.be"
    )
    texts = record_texts(record, "en")
    assert texts["representative"] == "not required (established in the EEA)"
    assert "None" not in texts["controller"]
    doc = json.loads(export_ropa(policy, "jsonld", lang="en"))
    (org,) = doc["dpv:hasEntity"]
    assert "dpv:hasAddress" not in org
    assert org["dpv:hasCountry"] == "loc:BE"


@pytest.mark.parametrize(
    ("lang", "concluded", "signed"),
    [
        ("nl", "verwerkersovereenkomst gesloten", "verwerkersovereenkomst gesloten op 2023-06-01"),
        ("en", "data processing agreement concluded", "data processing agreement signed on 2023-06-01"),
        ("fr", "contrat de sous-traitance conclu", "contrat de sous-traitance signé le 2023-06-01"),
    ],
)  # fmt: skip
def test_an_agreement_without_date_is_recorded_without_a_date(
    lang: Lang, concluded: str, signed: str
) -> None:
    record = processor_record(policy_of("rich.yaml"), "customer-websites", lang)
    entries = {r.id: r for r in record.sub_processors}
    backup, datacenter = entries["backup"], entries["datacenter"]
    assert (backup.dpa_signed, backup.dpa_in_place) == (None, True)
    assert backup.text.endswith(f", FI, {concluded})")
    assert datacenter.dpa_in_place
    assert datacenter.text.endswith(f", BE, {signed})")
    # neither a date nor an agreement: nothing is claimed
    customers = controller_record(policy_of("rich.yaml"), "customers", lang)
    bureau = next(r for r in customers.recipients if r.id == "credit-bureau")
    assert not bureau.dpa_in_place
    role = Words(lang)._(RECIPIENT_ROLE[RecipientRole.CONTROLLER])
    assert bureau.text == f"Graydon Belgium NV ({role}, BE)"


def test_an_agreement_without_date_in_jsonld() -> None:
    doc = json.loads(export_ropa(policy_of("rich.yaml"), "jsonld", lang="en"))
    process = next(p for p in doc["dpv:hasProcess"] if p["dct:identifier"] == "customer-websites")
    nodes = {r["dct:identifier"]: r for r in process["dpv:hasRecipient"]}
    assert nodes["backup"]["privaat:dpaInPlace"] is True
    assert "privaat:dpaSigned" not in nodes["backup"]
    assert nodes["datacenter"]["privaat:dpaSigned"]["@value"] == "2023-06-01"


@pytest.mark.parametrize(
    ("lang", "label", "expected"),
    [
        ("nl", "uw uitschrijving voor de nieuwsbrief", "Tot 1 maand na uw uitschrijving: maximaal 1 maand na uw uitschrijving voor de nieuwsbrief, daarna verwijderd"),
        ("en", "your unsubscribing from the newsletter", "Up to 1 month after you unsubscribe: at most 1 month after your unsubscribing from the newsletter, then deleted"),
        ("fr", "votre désinscription de la newsletter", "Jusqu'à 1 mois après votre désinscription: au maximum 1 mois après votre désinscription de la newsletter, puis supprimées"),
    ],
)  # fmt: skip
def test_a_named_event_is_recorded_by_its_label(lang: str, label: str, expected: str) -> None:
    (rule,) = controller_record(policy_of("rich.yaml"), "newsletter", lang).retention
    assert rule.text == expected
    assert (rule.event, rule.event_label) == ("newsletter_unsubscribed", label)
    # the ISO line keeps the stable key
    assert rule.iso == "unsubscribed: P1M after newsletter_unsubscribed, delete"


def test_a_named_event_without_label_falls_back_to_its_key() -> None:
    def edit(raw: dict[str, Any]) -> None:
        rule = next(r for r in raw["retention"] if r["id"] == "unsubscribed")
        del rule["event_label"]

    (rule,) = controller_record(policy_of("rich.yaml", edit), "newsletter").retention
    assert rule.event_label is None
    assert "at most 1 month after newsletter_unsubscribed" in rule.text


def test_a_zero_maximum_reads_immediately_or_while_the_procedure_runs() -> None:
    def edit(raw: dict[str, Any]) -> None:
        for rule in raw["retention"]:
            if rule["id"] in ("unsubscribed", "procedure-end"):
                rule["maximum"] = "P0D"
                rule.pop("minimum", None)

    policy = policy_of("rich.yaml", edit)
    expected = {
        "nl": ("onmiddellijk na uw uitschrijving voor de nieuwsbrief", "alleen zolang de procedure loopt"),
        "en": ("immediately after your unsubscribing from the newsletter", "only while the procedure runs"),
        "fr": ("immédiatement après votre désinscription de la newsletter", "uniquement pendant la durée de la procédure"),
    }  # fmt: skip
    for lang, (at_once, during) in expected.items():
        (unsubscribed,) = controller_record(policy, "newsletter", lang).retention
        (procedure,) = controller_record(policy, "recruitment", lang).retention
        assert unsubscribed.text.split(": ", 1)[1].startswith(f"{at_once}, ")
        assert procedure.text.split(": ", 1)[1].startswith(f"{during}, ")
        assert unsubscribed.maximum == procedure.maximum == "P0D"


@pytest.mark.parametrize(
    ("lang", "implied"),
    [
        ("nl", "toestemming afgeleid uit het gebruik van de website of dienst"),
        ("en", "consent inferred from use of the website or service"),
        ("fr", "consentement déduit de l'utilisation du site ou du service"),
    ],
)
def test_consent_inferred_from_use_is_recorded(lang: str, implied: str) -> None:
    policy = policy_of("rich.yaml")
    (analytics,) = controller_record(policy, "website", lang).purposes
    assert analytics.basis_detail is not None
    assert analytics.basis_detail.endswith(f" — {implied}")
    (newsletter,) = controller_record(policy, "newsletter", lang).purposes
    assert implied not in (newsletter.basis_detail or "")
