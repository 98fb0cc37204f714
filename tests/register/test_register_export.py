"""The Art. 30 register in every format: every required item is there, for every record."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from privaat.core.policy import Policy, read_policy
from privaat.core.policy.model import Lang, Role
from privaat.i18n import Words
from privaat.register import export_ropa
from privaat.register.columns import CONTROLLER_COLUMNS, PROCESSOR_COLUMNS, Column

FIXTURES = Path(__file__).parents[1] / "fixtures"

#: The items Art. 30(1) GDPR requires in a controller record (plus the legal basis per
#: purpose, the data sources and the special-category flags), by column key.
ART30_1 = (
    "controller",  # (a) name and contact details of the controller
    "joint_controllers",  # (a) ... the joint controller
    "representative",  # (a) ... the controller's representative
    "dpo",  # (a) ... the data protection officer
    "purposes",  # (b)
    "legal_basis",
    "data_subjects",  # (c) categories of data subjects
    "data_categories",  # (c) categories of personal data
    "special_categories",
    "sources",
    "recipients",  # (d) categories of recipients, including in third countries
    "transfers",  # (e) transfers to third countries and their safeguards
    "retention",  # (f) envisaged time limits for erasure, in words
    "retention_iso",  # (f) ... as ISO 8601 durations
    "security",  # (g) general description of the security measures
)

#: The items Art. 30(2) GDPR requires in a processor record, by column key.
ART30_2 = (
    "processor",  # (a) name and contact details of the processor
    "controllers",  # (a) ... of each controller on whose behalf it acts
    "representative",  # (a)
    "dpo",  # (a)
    "processing",  # (b) categories of processing
    "transfers",  # (c)
    "security",  # (d)
)

POLICIES = ("minimal.yaml", "processor.yaml")


def load(name: str) -> Policy:
    return read_policy(FIXTURES / name).policy


def expected_counts(policy: Policy) -> tuple[int, int]:
    processors = sum(1 for a in policy.activities if a.role is Role.PROCESSOR)
    return len(policy.activities) - processors, processors


@pytest.fixture(params=POLICIES)
def policy(request: pytest.FixtureRequest) -> Policy:
    name: str = request.param
    return load(name)


def assert_filled(record: dict[str, Any], required: tuple[str, ...], where: str) -> None:
    for key in required:
        assert key in record, f"{where}: no {key}"
        value = record[key]
        assert isinstance(value, str), f"{where}: {key} is {value!r}"
        assert value.strip(), f"{where}: {key} is empty"


# --------------------------------------------------------------------------- csv


def test_csv_has_every_item_for_every_record(policy: Policy) -> None:
    data = export_ropa(policy, "csv")
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark, for Excel"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    controllers = [r for r in rows if r["record_type"] == "controller"]
    processors = [r for r in rows if r["record_type"] == "processor"]
    assert (len(controllers), len(processors)) == expected_counts(policy)
    assert len(rows) == len(controllers) + len(processors)
    for row in controllers:
        assert_filled(row, ART30_1, f"csv controller {row['activity_id']}")
    for row in processors:
        assert_filled(row, ART30_2, f"csv processor {row['activity_id']}")


def test_csv_header_is_stable_keys_and_rows_have_one_cell_per_column() -> None:
    data = export_ropa(load("processor.yaml"), "csv").decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(data, newline="")))
    header = table[0]
    assert header[0] == "record_type"
    assert set(ART30_1) | set(ART30_2) <= set(header)
    assert len(header) == len(set(header))
    assert all(len(row) == len(header) for row in table)
    assert "\r\n" in data


def test_csv_joins_multiple_values_with_semicolons() -> None:
    data = export_ropa(load("processor.yaml"), "csv", lang="en").decode("utf-8-sig")
    row = next(
        r for r in csv.DictReader(io.StringIO(data, newline="")) if r["activity_id"] == "customers"
    )
    assert row["purposes"].split("; ")[:2] == ["Providing hosting", "Invoicing"]
    assert row["data_categories"].count("; ") == 3


# --------------------------------------------------------------------------- xlsx


def sheet_records(ws: Worksheet, columns: tuple[Column, ...], lang: Lang) -> list[dict[str, Any]]:
    header = [c.value for c in ws[1]]
    assert header == [Words(lang)._(c.label) for c in columns]
    keys = [c.key for c in columns]
    return [dict(zip(keys, row, strict=True)) for row in ws.iter_rows(min_row=2, values_only=True)]


def test_xlsx_has_the_sheets_and_every_item_for_every_record(policy: Policy) -> None:
    wb = load_workbook(io.BytesIO(export_ropa(policy, "xlsx")))
    assert wb.sheetnames == ["Controller records", "Processor records", "Policy"]
    lang = policy.languages[0]
    controller_ws, processor_ws = wb["Controller records"], wb["Processor records"]
    controllers = sheet_records(controller_ws, CONTROLLER_COLUMNS, lang)
    processors = sheet_records(processor_ws, PROCESSOR_COLUMNS, lang)
    assert (len(controllers), len(processors)) == expected_counts(policy)
    for record in controllers:
        assert_filled(record, ART30_1, f"xlsx controller {record['activity_id']}")
    for record in processors:
        assert_filled(record, ART30_2, f"xlsx processor {record['activity_id']}")
    for ws in (controller_ws, processor_ws):
        assert ws.freeze_panes == "A2"
        assert all(cell.font.bold for cell in ws[1])
        letters = [get_column_letter(i + 1) for i in range(ws.max_column)]
        assert all(ws.column_dimensions[letter].width >= 8 for letter in letters)


def test_xlsx_policy_sheet_names_the_controller_version_and_date() -> None:
    policy = load("processor.yaml")
    wb = load_workbook(io.BytesIO(export_ropa(policy, "xlsx", lang="en")))
    values = {row[0]: row[1] for row in wb["Policy"].iter_rows(values_only=True)}
    assert values["Name"] == "Hostkot"
    assert values["Legal name"] == "Hostkot BV"
    assert values["Policy version"] == "2024.2"
    assert values["Policy date"] == "2024-06-01"
    assert values["VAT number"] == "BE0123456749"
    assert str(values["Data protection officer"]).startswith("Jan Peeters")


def test_xlsx_is_the_same_bytes_for_the_same_policy() -> None:
    policy = load("processor.yaml")
    first = export_ropa(policy, "xlsx")
    assert export_ropa(policy, "xlsx") == first
    props = load_workbook(io.BytesIO(first)).properties
    assert props.created == dt.datetime(2024, 6, 1)
    assert props.modified == dt.datetime(2024, 6, 1)


# --------------------------------------------------------------------------- json


def test_json_has_every_item_for_every_record(policy: Policy) -> None:
    doc = json.loads(export_ropa(policy, "json"))
    assert set(doc) >= {
        "controller",
        "policy_version",
        "policy_date",
        "controller_records",
        "processor_records",
    }
    assert doc["policy_version"] == policy.version
    assert doc["policy_date"] == policy.date.isoformat()
    assert doc["controller"]["name"] == policy.controller.name
    counts = (len(doc["controller_records"]), len(doc["processor_records"]))
    assert counts == expected_counts(policy)
    for kind, required in (("controller", ART30_1), ("processor", ART30_2)):
        for record in doc[f"{kind}_records"]:
            where = f"json {kind} {record['activity_id']}"
            assert record["record_type"] == kind
            assert set(required) <= set(record), where  # each item as data...
            assert_filled(record["text"], required, where)  # ...and as the register's text


def test_json_records_are_structured() -> None:
    doc = json.loads(export_ropa(load("processor.yaml"), "json"))
    customers = doc["controller_records"][0]
    assert [p["id"] for p in customers["purposes"]] == ["service", "invoicing", "newsletter"]
    bases = {b["purpose"]: b["legal_basis"] for b in customers["legal_basis"]}
    assert bases == {
        "service": "contract",
        "invoicing": "legal_obligation",
        "newsletter": "consent",
    }
    (transfer,) = customers["transfers"]
    assert (transfer["recipient_id"], transfer["country"], transfer["mechanism"]) == (
        "mailer",
        "US",
        "scc",
    )
    assert customers["retention"]["holds"][0]["duration"] == "P10Y"
    hosting = doc["processor_records"][0]
    assert hosting["controllers"] == "Onze hostingklanten"


# --------------------------------------------------------------------------- json-ld

#: Every DPV term the export may use, each checked against the DPV 2.1 term lists
#: (w3c/dpv 2.1/dpv/dpv.csv, 2.1/pd/pd.csv, 2.1/legal/eu/gdpr/modules/*.csv).
VERIFIED_TERMS = frozenset(
    {
        # dpv classes
        "dpv:ROPA", "dpv:Process", "dpv:Purpose", "dpv:DirectMarketing", "dpv:PersonalData",
        "dpv:SpecialCategoryPersonalData", "dpv:DataSubject", "dpv:Organisation",
        "dpv:DataController", "dpv:DataProcessor", "dpv:DataSubProcessor",
        "dpv:JointDataControllers", "dpv:ThirdParty", "dpv:Authority", "dpv:OrganisationalUnit",
        "dpv:DataProtectionOfficer", "dpv:Representative", "dpv:StorageDuration",
        "dpv:StorageDeletion", "dpv:TemporalDuration", "dpv:UntilEventDuration",
        "dpv:IndeterminateDuration", "dpv:TechnicalMeasure", "dpv:OrganisationalMeasure",
        "dpv:Law", "dpv:Justification", "dpv:DataTransferLegalBasis", "dpv:CrossBorderTransfer",
        "dpv:Profiling", "dpv:DataSubjectDataSource", "dpv:DataControllerDataSource",
        "dpv:ThirdPartyDataSource", "dpv:PublicDataSource",
        # dpv properties
        "dpv:hasProcess", "dpv:hasPurpose", "dpv:hasLegalBasis", "dpv:hasPersonalData",
        "dpv:hasDataSubject", "dpv:hasDataSource", "dpv:hasRecipient", "dpv:hasDataController",
        "dpv:hasDataProcessor", "dpv:hasJointDataControllers", "dpv:hasStorageCondition",
        "dpv:hasDuration", "dpv:hasTechnicalOrganisationalMeasure", "dpv:hasOrganisationalMeasure",
        "dpv:hasCountry", "dpv:hasThirdCountry", "dpv:hasProcessing", "dpv:hasDataExporter",
        "dpv:hasDataImporter", "dpv:hasJustification", "dpv:hasApplicableLaw", "dpv:hasEntity",
        "dpv:hasName", "dpv:hasAddress", "dpv:hasContact", "dpv:hasIdentifier",
        "dpv:hasDataProtectionOfficer", "dpv:hasRepresentative",
        # eu-gdpr legal bases and transfer tools
        "eu-gdpr:A6-1-a", "eu-gdpr:A6-1-b", "eu-gdpr:A6-1-c", "eu-gdpr:A6-1-d", "eu-gdpr:A6-1-e",
        "eu-gdpr:A6-1-f", "eu-gdpr:A9-2-a", "eu-gdpr:A9-2-b", "eu-gdpr:A9-2-c", "eu-gdpr:A9-2-d",
        "eu-gdpr:A9-2-e", "eu-gdpr:A9-2-f", "eu-gdpr:A9-2-g", "eu-gdpr:A9-2-h", "eu-gdpr:A9-2-i",
        "eu-gdpr:A9-2-j", "eu-gdpr:AdequacyDecision", "eu-gdpr:A46-2-b", "eu-gdpr:A46-2-c",
        "eu-gdpr:StandardContractualClauses", "eu-gdpr:BindingCorporateRules",
        # pd personal-data concepts
        "pd:Name", "pd:Contact", "pd:EmailAddress", "pd:TelephoneNumber", "pd:PhysicalAddress",
        "pd:Street", "pd:City", "pd:PostalCode", "pd:Region", "pd:Country", "pd:DeviceBased",
        "pd:IPAddress", "pd:Financial", "pd:BankAccount", "pd:FinancialAccountNumber",
        "pd:CreditCardNumber", "pd:BirthDate", "pd:Demographic", "pd:AgeRange", "pd:Gender",
        "pd:Language", "pd:MaritalStatus", "pd:EthnicOrigin", "pd:ReligiousBelief",
        "pd:PoliticalOpinion", "pd:SexualPreference", "pd:Health", "pd:Genetic", "pd:Biometric",
        "pd:Fingerprint", "pd:Retina", "pd:Criminal", "pd:Location", "pd:Behavioral",
        "pd:BrowserHistory", "pd:Purchase", "pd:Username", "pd:Password", "pd:Authenticating",
        "pd:OfficialID", "pd:Passport", "pd:Picture", "pd:Job", "pd:PrivacyPreference",
    }
)  # fmt: skip

_TERM = re.compile(r"^(dpv|eu-gdpr|pd|loc):")


def walk(value: object) -> Iterator[object]:
    yield value
    if isinstance(value, dict):
        for k, v in value.items():
            if k != "@context":
                yield k
                yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


def nodes(value: object) -> Iterator[dict[str, Any]]:
    """Every node object: a dict that is neither a value object nor the context."""
    for item in walk(value):
        if isinstance(item, dict) and "@value" not in item:
            yield item


def processes(doc: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = doc["dpv:hasProcess"]
    return found


@pytest.fixture(params=POLICIES)
def jsonld(request: pytest.FixtureRequest) -> tuple[Policy, dict[str, Any]]:
    policy = load(request.param)
    return policy, json.loads(export_ropa(policy, "jsonld"))


def test_jsonld_has_context_and_a_type_on_every_node(
    jsonld: tuple[Policy, dict[str, Any]],
) -> None:
    _, doc = jsonld
    context = doc["@context"]
    assert context["dpv"] == "https://w3id.org/dpv#"
    assert context["eu-gdpr"] == "https://w3id.org/dpv/legal/eu/gdpr#"
    assert context["pd"] == "https://w3id.org/dpv/pd#"
    assert context["loc"] == "https://w3id.org/dpv/loc#"
    assert doc["@type"] == "dpv:ROPA"
    for node in nodes(doc):
        assert "@type" in node, f"node without @type: {node}"


def test_jsonld_uses_only_verified_dpv_terms(jsonld: tuple[Policy, dict[str, Any]]) -> None:
    _, doc = jsonld
    used = {v for v in walk(doc) if isinstance(v, str) and _TERM.match(v)}
    countries = {v for v in used if v.startswith("loc:")}
    assert all(re.fullmatch(r"loc:[A-Z]{2}", c) for c in countries)
    assert used - countries <= VERIFIED_TERMS, sorted(used - countries - VERIFIED_TERMS)


def test_jsonld_has_one_process_per_record_with_the_art30_terms(
    jsonld: tuple[Policy, dict[str, Any]],
) -> None:
    policy, doc = jsonld
    found = processes(doc)
    assert [p["dct:identifier"] for p in found] == [
        a.id for a in policy.activities if a.role is not Role.PROCESSOR
    ] + [a.id for a in policy.activities if a.role is Role.PROCESSOR]
    for process in found:
        assert process["@type"] == "dpv:Process"
        for term in (
            "dpv:hasPurpose",
            "dpv:hasPersonalData",
            "dpv:hasDataSubject",
            "dpv:hasDataSource",
            "dpv:hasStorageCondition",
            "dpv:hasTechnicalOrganisationalMeasure",
            "dpv:hasDataController",
        ):
            assert process.get(term), f"{process['dct:identifier']}: no {term}"
        if process["privaat:recordType"] == "processor":
            assert process["dpv:hasDataProcessor"] == "_:organisation"
        else:
            assert process["dpv:hasDataController"] == "_:organisation"
        for purpose in process["dpv:hasPurpose"]:
            assert purpose["dpv:hasLegalBasis"][0].startswith("eu-gdpr:A6-1-")
        durations = [
            c for c in process["dpv:hasStorageCondition"] if c["@type"] == "dpv:StorageDuration"
        ]
        assert durations
        assert all(c["dpv:hasDuration"]["@type"] for c in durations)
    (org,) = doc["dpv:hasEntity"]
    assert org["@id"] == "_:organisation"
    assert org["dpv:hasName"] == policy.controller.name


def by_id(doc: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in nodes(doc) if n.get("@id") == node_id)


def test_jsonld_describes_transfers_holds_special_data_and_roles() -> None:
    doc = json.loads(export_ropa(load("processor.yaml"), "jsonld"))
    customers = by_id(doc, "_:activity-customers")
    (transfer,) = customers["dpv:hasProcess"]
    assert transfer["dpv:hasProcessing"] == "dpv:CrossBorderTransfer"
    assert transfer["dpv:hasThirdCountry"] == "loc:US"
    assert transfer["dpv:hasDataImporter"] == "_:recipient-mailer"
    assert transfer["dpv:hasLegalBasis"] == ["eu-gdpr:A46-2-c"]
    assert transfer["dpv:hasOrganisationalMeasure"]["@type"] == "eu-gdpr:StandardContractualClauses"
    hold = by_id(doc, "_:hold-invoices")
    assert hold["dpv:hasDuration"]["rdf:value"] == {"@value": "P10Y", "@type": "xsd:duration"}
    assert hold["dpv:hasApplicableLaw"]["dct:identifier"] == "be-wbtw-art60"
    assert set(customers["dpv:hasDataProcessor"]) == {
        "_:recipient-mailer",
        "_:recipient-accountant",
    }
    newsletter = by_id(doc, "_:purpose-newsletter")
    assert newsletter["@type"] == ["dpv:Purpose", "dpv:DirectMarketing"]

    events = by_id(doc, "_:activity-events")
    health = by_id(events, "_:data-user-health_and_medical")
    assert health["@type"] == ["dpv:SpecialCategoryPersonalData", "pd:Health"]
    assert health["dpv:hasLegalBasis"] == ["eu-gdpr:A9-2-a"]
    joint = events["dpv:hasJointDataControllers"]
    assert joint["@type"] == "dpv:JointDataControllers"
    assert joint["dpv:hasDataController"] == ["_:organisation", "_:recipient-partner"]

    hosting = by_id(doc, "_:activity-hosting")
    assert hosting["dpv:hasDataController"]["@type"] == "dpv:DataController"
    assert hosting["dpv:hasDataSource"] == [
        "dpv:DataControllerDataSource",
        "dpv:DataSubjectDataSource",
    ]
    mechanisms = {
        t["dpv:hasThirdCountry"]: t["dpv:hasLegalBasis"] for t in hosting["dpv:hasProcess"]
    }
    assert mechanisms == {
        "loc:CH": ["eu-gdpr:AdequacyDecision"],
        "loc:US": ["eu-gdpr:AdequacyDecision"],
    }
    (org,) = doc["dpv:hasEntity"]
    assert set(org["@type"]) == {"dpv:Organisation", "dpv:DataController", "dpv:DataProcessor"}
    assert org["dpv:hasDataProtectionOfficer"]["dpv:hasName"] == "Jan Peeters"
