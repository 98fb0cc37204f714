"""Every retention promise of the five example policies, carried out on the company's own
systems and proven by travelling in time.

Per company and rule: rows are put in at dates, the plan of the day before expiry shows
nothing going and a run leaves everything; the plan of the expiry day shows exactly the rows
that go (and held rows with the day their hold ends), and a run removes exactly those. Rows
under a statutory hold stay until the hold ends: 1 January after the document's year plus 10
years for Belgian invoices (JENSDEV), plus 7 years for the Dutch fiscal hold (JixawStudio).
JENSDEV and JSM run on SQLite, PostgreSQL and MariaDB; the others on SQLite.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from privaat.core.datamap.loader import load_datamap
from privaat.core.policy import load_policy
from privaat.examples import EXAMPLES, example_text
from privaat.store.db import Store
from tests.retention_examples.conftest import MAPS, Company, open_company

D = dt.date
T = dt.datetime


def sweep_of(made: dict[str, Any], rule: str, table: str) -> dict[str, Any]:
    """The rule's sweep of the table; a rule bound twice (two starts) as one, its lines
    together."""
    found: list[dict[str, Any]] = [
        s for s in made["sweeps"] if s["rule"] == rule and s["table"] == table
    ]
    assert found, [s["sweep"] for s in made["sweeps"]]
    return {**found[0], "lines": [line for s in found for line in s["lines"]]}


def steps(made: dict[str, Any], rule: str, table: str) -> dict[tuple[str, str], int]:
    """(table, step) -> rows, over the sweep's lines (a plan's or a run's)."""
    out: dict[tuple[str, str], int] = {}
    for line in sweep_of(made, rule, table)["lines"]:
        key = (line["table"], line["step"])
        out[key] = out.get(key, 0) + int(line["rows"])
    return out


def held_until(made: dict[str, Any], rule: str, table: str) -> list[tuple[int, str | None]]:
    return [
        (int(line["rows"]), line["until"])
        for line in sweep_of(made, rule, table)["lines"]
        if line["step"] == "hold"
    ]


# --------------------------------------------------------------------------- every rule bound


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_retention_rule_of_the_example_is_bound(name: str) -> None:
    """A rule added to an example policy and not bound by its map fails here."""
    policy = load_policy(example_text(name)).policy
    path = MAPS / f"{name}.yaml"
    loaded = load_datamap(path.read_text(encoding="utf-8"), str(path), base_dir=MAPS, policy=policy)
    bound = {
        binding.rule
        for store in loaded.datamap.stores
        for table in store.tables
        for binding in table.retention
    }
    assert bound == {rule.id for rule in policy.retention}


# --------------------------------------------------------------------------- JENSDEV


def jensdev(url: str, store: Store, tmp_path: Path) -> Company:
    company = open_company("jensdev", url, store, tmp_path)
    company.insert(
        "customers",
        *(
            {
                "id": i,
                "customer_number": f"C-{1000 + i}",
                "email": f"klant{i}@example.be",
                "name": f"Klant {i}",
                "company": f"Bedrijf {i} BV",
                "vat": f"BE0{i}23456789",
                "address": f"Kerkstraat {i}, 9000 Gent",
                "phone": f"+3247000000{i}",
                "created_at": T(2012, 3, 1, 9),
                "contract_ended_on": ended,
            }
            for i, ended in ((1, D(2016, 4, 30)), (2, None), (3, D(2020, 9, 30)))
        ),
    )
    return company


def test_jensdev_contact_form_history_is_cleared_every_1_january(
    everywhere: str, privaat_store: Store, tmp_path: Path
) -> None:
    company = jensdev(everywhere, privaat_store, tmp_path)
    company.insert(
        "contact_submissions",
        *(
            {
                "id": i,
                "name": "Piet",
                "email": f"piet{i}@example.be",
                "message": "Offerte?",
                "submitted_at": at,
            }
            for i, at in (
                (1, T(2025, 3, 10, 14)),
                (2, T(2025, 12, 31, 23, 30)),
                (3, T(2026, 1, 1, 8, 15)),
            )
        ),
    )
    rule = "contact_form_history"
    before = company.plan(D(2025, 12, 31), [rule])
    assert steps(before, rule, "contact_submissions") == {}
    company.run(D(2025, 12, 31), [rule])
    assert company.ids("contact_submissions") == {1, 2, 3}

    on = company.plan(D(2026, 1, 1), [rule])
    assert sweep_of(on, rule, "contact_submissions")["cutoff"] == "2026-01-01"
    assert steps(on, rule, "contact_submissions") == {("contact_submissions", "delete"): 2}
    done = company.run(D(2026, 1, 1), [rule])
    assert steps(done, rule, "contact_submissions") == {("contact_submissions", "delete"): 2}
    assert company.ids("contact_submissions") == {3}


def test_jensdev_hosting_data_goes_14_days_after_the_cancellation(
    everywhere: str, privaat_store: Store, tmp_path: Path
) -> None:
    company = jensdev(everywhere, privaat_store, tmp_path)
    company.insert(
        "hosting_accounts",
        *(
            {
                "id": i,
                "customer_id": customer,
                "domain": f"site{i}.example",
                "username": f"web{i}",
                "disk_mb": 1024,
                "created_at": T(2020, 1, 1),
                "cancelled_at": cancelled,
            }
            for i, customer, cancelled in (
                (10, 2, T(2026, 2, 1, 10)),
                (11, 2, T(2026, 2, 10, 9)),
                (12, 3, None),  # still running
            )
        ),
    )
    company.insert(
        "mailboxes",
        *(
            {
                "id": i,
                "hosting_account_id": account,
                "address": f"info@site{account}.example",
                "forward_to": "klant2@example.be",
                "used_mb": 100,
            }
            for i, account in ((100, 10), (101, 10), (102, 12))
        ),
    )
    rule = "hosting_data"
    assert steps(company.plan(D(2026, 2, 14), [rule]), rule, "hosting_accounts") == {}
    company.run(D(2026, 2, 14), [rule])
    assert company.ids("hosting_accounts") == {10, 11, 12}

    on = company.plan(D(2026, 2, 15), [rule])
    assert steps(on, rule, "hosting_accounts") == {
        ("hosting_accounts", "delete"): 1,
        ("mailboxes", "delete"): 2,
    }
    company.run(D(2026, 2, 15), [rule])
    assert company.ids("hosting_accounts") == {11, 12}
    assert company.ids("mailboxes") == {102}
    assert company.ids("customers") == {1, 2, 3}  # the customer stays: only the hosting goes

    assert steps(company.plan(D(2026, 2, 23), [rule]), rule, "hosting_accounts") == {}
    company.run(D(2026, 2, 24), [rule])
    assert company.ids("hosting_accounts") == {12}


def test_jensdev_hosting_data_goes_at_once_when_the_customer_approves(
    everywhere: str, privaat_store: Store, tmp_path: Path
) -> None:
    """ "Pas na goedkeuring van jou [...], of ten laatste 14 dagen na opzegging": the rule
    bound twice, from the approval (at once) and from the cancellation (14 days)."""
    company = jensdev(everywhere, privaat_store, tmp_path)
    company.insert(
        "hosting_accounts",
        *(
            {
                "id": i,
                "customer_id": 2,
                "domain": f"site{i}.example",
                "username": f"web{i}",
                "disk_mb": 1024,
                "created_at": T(2020, 1, 1),
                "cancelled_at": T(2026, 3, 1, 9),
                "deletion_approved_at": approved,
            }
            for i, approved in ((20, T(2026, 3, 3, 16)), (21, None))
        ),
    )
    rule = "hosting_data"
    assert steps(company.plan(D(2026, 3, 2), [rule]), rule, "hosting_accounts") == {}
    made = company.plan(D(2026, 3, 3), [rule])
    assert {s["sweep"] for s in made["sweeps"]} == {
        "hosting_data:jensdev.hosting_accounts@cancelled_at",
        "hosting_data:jensdev.hosting_accounts@deletion_approved_at",
    }
    assert steps(made, rule, "hosting_accounts") == {("hosting_accounts", "delete"): 1}
    company.run(D(2026, 3, 3), [rule])
    assert company.ids("hosting_accounts") == {21}  # approved today: gone the same day
    company.run(D(2026, 3, 14), [rule])
    assert company.ids("hosting_accounts") == {21}
    company.run(D(2026, 3, 15), [rule])  # 14 days after the cancellation
    assert company.ids("hosting_accounts") == set()


def _invoice(i: int, customer: int, issued: dt.date) -> dict[str, Any]:
    return {
        "id": i,
        "customer_id": customer,
        "number": f"F{issued.year}-{i:04d}",
        "issued_on": issued,
        "buyer_name": f"Klant {customer}",
        "buyer_vat": f"BE0{customer}23456789",
        "buyer_address": f"Kerkstraat {customer}, 9000 Gent",
        "buyer_email": f"klant{customer}@example.be",
        "total": 121,
    }


def test_jensdev_invoices_stay_until_1_january_after_their_year_plus_10(
    everywhere: str, privaat_store: Store, tmp_path: Path
) -> None:
    company = jensdev(everywhere, privaat_store, tmp_path)
    company.insert(
        "invoices",
        _invoice(1, 2, D(2015, 11, 30)),  # the rule ends 2025-11-30, the hold 2026-01-01
        _invoice(2, 2, D(2016, 12, 31)),  # the rule ends 2026-12-31, the hold 2027-01-01
    )
    company.insert(
        "invoice_lines",
        {"id": 1, "invoice_id": 1, "description": "Hosting 2015", "amount": 100},
        {"id": 2, "invoice_id": 2, "description": "Hosting 2017", "amount": 100},
    )
    rule = "customer_records"
    before = company.plan(D(2025, 11, 29), [rule])
    assert steps(before, rule, "invoices") == {}

    on = company.plan(D(2025, 11, 30), [rule])
    assert held_until(on, rule, "invoices") == [(1, "2026-01-01")]
    assert steps(on, rule, "invoices") == {("invoices", "hold"): 1, ("invoices", "mask"): 1}
    company.run(D(2025, 11, 30), [rule])
    # kept under the hold; the e-mail address, which the hold does not need, is masked
    assert company.select("SELECT id, buyer_name, buyer_email FROM invoices ORDER BY id") == [
        (1, "Klant 2", None),
        (2, "Klant 2", "klant2@example.be"),
    ]

    last_day = company.plan(D(2025, 12, 31), [rule])
    assert held_until(last_day, rule, "invoices") == [(1, "2026-01-01")]
    company.run(D(2025, 12, 31), [rule])
    assert company.ids("invoices") == {1, 2}

    released = company.plan(D(2026, 1, 1), [rule])
    assert steps(released, rule, "invoices") == {
        ("invoices", "delete"): 1,
        ("invoice_lines", "cascade"): 1,  # ON DELETE CASCADE
    }
    company.run(D(2026, 1, 1), [rule])
    assert company.ids("invoices") == {2}
    assert company.ids("invoice_lines") == {2}

    assert held_until(company.plan(D(2026, 12, 31), [rule]), rule, "invoices") == [
        (1, "2027-01-01")
    ]
    company.run(D(2027, 1, 1), [rule])
    assert company.ids("invoices") == set()


def test_jensdev_customer_records_go_10_years_after_the_contract_ended(
    everywhere: str, privaat_store: Store, tmp_path: Path
) -> None:
    company = jensdev(everywhere, privaat_store, tmp_path)
    company.insert(
        "invoices",
        _invoice(1, 1, D(2014, 3, 31)),  # the hold ended on 2025-01-01
        _invoice(2, 1, D(2016, 4, 30)),  # held until 2027-01-01
    )
    company.insert(
        "hosting_accounts",
        {
            "id": 10,
            "customer_id": 1,
            "domain": "klant1.example",
            "username": "web10",
            "disk_mb": 512,
            "created_at": T(2012, 3, 1),
            "cancelled_at": T(2016, 4, 30),
        },
    )
    rule = "customer_records"
    before = company.plan(D(2026, 4, 29), [rule])
    assert steps(before, rule, "customers") == {}
    company.run(D(2026, 4, 29), [rule])  # invoice 1 went with its own period
    assert company.ids("customers") == {1, 2, 3}
    assert company.ids("invoices") == {2}

    on = company.plan(D(2026, 4, 30), [rule])
    # the held invoice stays, and its customer with it (masked); the hosting account goes
    assert steps(on, rule, "customers") == {
        ("customers", "mask"): 1,
        ("hosting_accounts", "delete"): 1,
    }
    company.run(D(2026, 4, 30), [rule])
    assert company.ids("hosting_accounts") == set()
    # the held invoice still points at the customer: kept, every personal field masked
    assert company.select("SELECT id, name, phone, address FROM customers WHERE id = 1") == [
        (1, "-", None, None)
    ]
    assert company.ids("invoices") == {2}

    company.run(D(2027, 1, 1), [rule])  # the hold ends: the invoice, then its customer
    assert company.ids("invoices") == set()
    assert company.ids("customers") == {2, 3}


# --------------------------------------------------------------------------- JSM


def jsm_customer(i: int, created: dt.datetime, last_login: dt.datetime | None) -> dict[str, Any]:
    return {
        "id": i,
        "email": f"klant{i}@example.be",
        "first_name": f"Voornaam{i}",
        "last_name": f"Achternaam{i}",
        "gender": "v",
        "language": "nl",
        "phone": f"+3247100000{i}",
        "address": f"Stationsstraat {i}, 2800 Mechelen",
        "created_at": created,
        "last_login_at": last_login,
    }


def test_jsm_customers_go_after_3_years_without_any_activity(
    everywhere: str, privaat_store: Store, tmp_path: Path
) -> None:
    company = open_company("jsm", everywhere, privaat_store, tmp_path)
    company.insert(
        "customers",
        jsm_customer(1, T(2021, 1, 10), T(2022, 3, 15, 10)),  # last seen 2022-03-15
        jsm_customer(2, T(2020, 5, 1), T(2022, 1, 1)),  # a ticket on 2023-02-01
        jsm_customer(3, T(2019, 4, 1), T(2021, 1, 1)),  # clicked the newsletter 2024-05-05
        jsm_customer(4, T(2022, 3, 15, 8), None),  # registered, never came back
        jsm_customer(5, T(2015, 2, 1), T(2016, 1, 1)),  # a contract still billed
    )
    company.insert(
        "orders",
        {
            "id": 1,
            "customer_id": 1,
            "product": "wifi-router",
            "amount": 89,
            "delivery_address": "Stationsstraat 1, 2800 Mechelen",
            "ordered_at": T(2021, 6, 1),
        },
    )
    company.insert(
        "tickets",
        {
            "id": 1,
            "customer_id": 2,
            "email": None,
            "subject": "Storing",
            "body": "Bel me op +32471000002.",
            "created_at": T(2023, 2, 1, 9),
        },
        {
            "id": 2,
            "customer_id": None,
            "email": "iemand@example.org",
            "subject": "Prijs?",
            "body": "Wat kost een installatie?",
            "created_at": T(2025, 1, 1),
        },
    )
    company.insert(
        "newsletter",
        {
            "id": 1,
            "email": "klant3@example.be",
            "subscribed_at": T(2019, 4, 1),
            "last_click_at": T(2024, 5, 5, 20),
        },
    )
    company.insert(
        "contracts",
        {
            "id": 1,
            "customer_id": 5,
            "product": "glasvezel + onderhoud",
            "installation_address": "Stationsstraat 5, 2800 Mechelen",
            "iban": "BE68539007547034",
            "started_on": D(2015, 2, 1),
            "last_billed_on": D(2025, 3, 1),
            "ended_on": None,
        },
    )
    rule = "inactivity"
    assert steps(company.plan(D(2025, 3, 14), [rule]), rule, "customers") == {}
    company.run(D(2025, 3, 14), [rule])
    assert company.ids("customers") == {1, 2, 3, 4, 5}

    on = company.plan(D(2025, 3, 15), [rule])
    sweep = sweep_of(on, rule, "customers")
    assert sweep["cutoff"] == "2022-03-16"  # whatever started before it has expired
    assert [(line["rows"], line["examples"]) for line in sweep["lines"]] == [(2, ["1", "4"])]
    done = company.run(D(2025, 3, 15), [rule])
    assert sweep_of(done, rule, "customers")["rows"] == 2
    assert company.ids("customers") == {2, 3, 5}
    assert company.ids("orders") == set()

    assert steps(company.plan(D(2026, 1, 31), [rule]), rule, "customers") == {}
    company.run(D(2026, 2, 1), [rule])
    assert company.ids("customers") == {3, 5}
    assert company.ids("tickets") == {2}  # the guest's ticket is nobody's customer record


def test_jsm_contracts_go_10_years_after_they_ended_even_when_the_customer_went(
    everywhere: str, privaat_store: Store, tmp_path: Path
) -> None:
    company = open_company("jsm", everywhere, privaat_store, tmp_path)
    company.insert(
        "customers",
        jsm_customer(6, T(2010, 3, 1), T(2015, 6, 1)),  # inactive since the contract ended
        jsm_customer(7, T(2010, 3, 1), T(2025, 6, 1)),
    )
    company.insert(
        "contracts",
        *(
            {
                "id": i,
                "customer_id": customer,
                "product": "telefooncentrale",
                "installation_address": f"Markt {i}, 3000 Leuven",
                "iban": "BE68539007547034",
                "started_on": D(2010, 3, 1),
                "last_billed_on": ended,
                "ended_on": ended,
            }
            for i, customer, ended in (
                (1, 6, D(2015, 8, 31)),
                (2, 7, D(2016, 1, 31)),
                (3, 7, None),
            )
        ),
    )
    before = company.plan(D(2025, 8, 30))
    assert steps(before, "contract_term", "contracts") == {}
    company.run(D(2025, 8, 30))
    # the inactive customer was erased, the contract kept for the limitation period
    assert company.ids("contracts") == {1, 2, 3}
    assert company.select("SELECT first_name, phone FROM customers WHERE id = 6") == [("-", None)]

    on = company.plan(D(2025, 8, 31))
    assert steps(on, "contract_term", "contracts") == {("contracts", "delete"): 1}
    company.run(D(2025, 8, 31))
    assert company.ids("contracts") == {2, 3}
    company.run(D(2026, 1, 31))
    assert company.ids("contracts") == {3}  # the running contract stays
    assert company.ids("customers") >= {7}


# --------------------------------------------------------------------------- Jetstax


def test_jetstax_usage_is_counted_into_anonymous_statistics_after_a_quarter(
    sqlite_only: str, privaat_store: Store, tmp_path: Path
) -> None:
    company = open_company("jetstax", sqlite_only, privaat_store, tmp_path)
    company.insert(
        "customers",
        *(
            {
                "id": i,
                "customer_number": f"JX-{i}",
                "email": f"it{i}@example.be",
                "name": f"Klant {i}",
                "phone": None,
                "address": None,
                "created_at": T(2024, 1, 1),
            }
            for i in (1, 2)
        ),
    )
    company.insert(
        "usage_events",
        *(
            {
                "id": i,
                "customer_id": customer,
                "service": service,
                "action": action,
                "detail": f"srv-{customer}",
                "occurred_at": at,
            }
            for i, customer, service, action, at in (
                (1, 1, "vps", "login", T(2026, 1, 15, 8)),
                (2, 1, "vps", "reboot", T(2026, 1, 15, 9)),
                (3, 2, "vps", "login", T(2026, 1, 15, 10)),
                (4, 2, "backup", "restore", T(2026, 1, 16, 11)),
                (5, 2, "vps", "login", T(2026, 1, 20, 7)),
                (6, 1, "vps", "login", T(2026, 2, 1, 7)),
            )
        ),
    )
    rule = "aggregation"
    assert steps(company.plan(D(2026, 4, 14)), rule, "usage_events") == {}
    company.run(D(2026, 4, 14))
    assert company.ids("usage_events") == {1, 2, 3, 4, 5, 6}

    on = company.plan(D(2026, 4, 15))
    assert steps(on, rule, "usage_events") == {("usage_events", "aggregate"): 3}
    company.run(D(2026, 4, 15))
    assert company.ids("usage_events") == {4, 5, 6}

    def statistics() -> list[tuple[str, str, str, int]]:
        rows = company.select(
            "SELECT month, service, action, events FROM usage_statistics "
            "ORDER BY month, service, action"
        )
        return [(str(m), s, a, int(n)) for m, s, a, n in rows]

    assert statistics() == [("2026-01-01", "vps", "login", 2), ("2026-01-01", "vps", "reboot", 1)]
    company.run(D(2026, 4, 20))  # the next runs add to the month's counts
    company.run(D(2026, 5, 1))
    assert company.ids("usage_events") == set()
    assert statistics() == [
        ("2026-01-01", "backup", "restore", 1),
        ("2026-01-01", "vps", "login", 3),
        ("2026-01-01", "vps", "reboot", 1),
        ("2026-02-01", "vps", "login", 1),
    ]
    assert company.columns("usage_statistics") == {"month", "service", "action", "events"}


# --------------------------------------------------------------------------- JixawStudio


def jixawstudio(url: str, store: Store, tmp_path: Path) -> Company:
    company = open_company("jixawstudio", url, store, tmp_path)
    company.insert(
        "customers",
        *(
            {
                "id": i,
                "customer_number": f"JS{i:05d}",
                "email": f"klant{i}@example.nl",
                "name": f"Klant {i}",
                "company": None,
                "address": f"Dorpsstraat {i}, Utrecht",
                "iban": "NL91ABNA0417164300",
                "password_hash": "$2y$10$abcdefghijklmnopqrstuv",
                "created_at": T(2012, 1, 1),
                "contract_ended_on": ended,
            }
            for i, ended in ((1, D(2018, 6, 30)), (2, D(2019, 1, 31)), (3, None))
        ),
    )
    return company


def _jixaw_invoice(i: int, customer: int, day: dt.date) -> dict[str, Any]:
    return {
        "id": i,
        "customer_id": customer,
        "number": f"{day.year}-{i:04d}",
        "invoice_date": day,
        "name": f"Klant {customer}",
        "address": f"Dorpsstraat {customer}, Utrecht",
        "iban": "NL91ABNA0417164300",
        "email": f"klant{customer}@example.nl",
        "total": 242,
    }


def test_jixawstudio_customers_go_7_years_after_their_contract_the_invoices_later(
    sqlite_only: str, privaat_store: Store, tmp_path: Path
) -> None:
    company = jixawstudio(sqlite_only, privaat_store, tmp_path)
    company.insert("invoices", _jixaw_invoice(1, 1, D(2018, 5, 31)))  # held until 2026-01-01
    company.insert(
        "login_history",
        {"id": 1, "customer_id": 1, "ip": "192.0.2.10", "logged_in_at": T(2018, 6, 1)},
    )
    rule = "seven-years"
    assert steps(company.plan(D(2025, 6, 29), [rule]), rule, "customers") == {}
    company.run(D(2025, 6, 29), [rule])
    assert company.ids("customers") == {1, 2, 3}

    on = company.plan(D(2025, 6, 30), [rule])
    assert steps(on, rule, "customers") == {("customers", "delete"): 1}
    company.run(D(2025, 6, 30), [rule])
    # erased as an erasure request would: the invoice the fiscal hold keeps stays, and so
    # does its customer row, masked
    assert company.select("SELECT email, name, iban FROM customers WHERE id = 1") != [
        ("klant1@example.nl", "Klant 1", "NL91ABNA0417164300")
    ]
    assert company.select("SELECT name, iban FROM customers WHERE id = 1") == [("-", None)]
    assert company.ids("login_history") == set()
    assert company.ids("invoices") == {1}

    company.run(D(2026, 1, 30), [rule])
    assert company.select("SELECT name FROM customers WHERE id = 2") == [("Klant 2",)]
    company.run(D(2026, 1, 31), [rule])
    assert company.select("SELECT name FROM customers WHERE id = 2") != [("Klant 2",)]
    assert company.select("SELECT name FROM customers WHERE id = 3") == [("Klant 3",)]


def test_jixawstudio_invoices_stay_until_1_january_after_their_year_plus_7(
    sqlite_only: str, privaat_store: Store, tmp_path: Path
) -> None:
    company = jixawstudio(sqlite_only, privaat_store, tmp_path)
    company.insert(
        "invoices",
        _jixaw_invoice(1, 3, D(2018, 3, 15)),  # needed until 2020-03-15, held until 2026-01-01
        _jixaw_invoice(2, 3, D(2019, 12, 31)),  # held until 2027-01-01
        _jixaw_invoice(3, 3, D(2025, 1, 10)),  # needed until 2027-01-10
    )
    rule = "as-needed"
    last_day = company.plan(D(2025, 12, 31), [rule])
    assert held_until(last_day, rule, "invoices") == [(2, "2027-01-01")]
    detail = next(
        line["detail"]
        for line in sweep_of(last_day, rule, "invoices")["lines"]
        if line["step"] == "hold"
    )
    assert "the first are released on 2026-01-01" in detail
    company.run(D(2025, 12, 31), [rule])
    assert company.select("SELECT id, name, email FROM invoices ORDER BY id") == [
        (1, "Klant 3", None),  # kept for the fiscal hold; the e-mail it does not need, masked
        (2, "Klant 3", None),
        (3, "Klant 3", "klant3@example.nl"),
    ]
    on = company.plan(D(2026, 1, 1), [rule])
    assert steps(on, rule, "invoices") == {("invoices", "delete"): 1, ("invoices", "hold"): 1}
    company.run(D(2026, 1, 1), [rule])
    assert company.ids("invoices") == {2, 3}
    company.run(D(2026, 12, 31), [rule])
    assert company.ids("invoices") == {2, 3}
    company.run(D(2027, 1, 1), [rule])
    assert company.ids("invoices") == {3}


def test_jixawstudio_login_history_shows_a_year(
    sqlite_only: str, privaat_store: Store, tmp_path: Path
) -> None:
    company = jixawstudio(sqlite_only, privaat_store, tmp_path)
    company.insert(
        "login_history",
        {"id": 1, "customer_id": 3, "ip": "192.0.2.10", "logged_in_at": T(2024, 5, 1, 9)},
        {"id": 2, "customer_id": 3, "ip": "192.0.2.11", "logged_in_at": T(2025, 5, 1, 9)},
    )
    rule = "as-needed"
    assert steps(company.plan(D(2025, 4, 30), [rule]), rule, "login_history") == {}
    on = company.plan(D(2025, 5, 1), [rule])
    assert steps(on, rule, "login_history") == {("login_history", "delete"): 1}
    company.run(D(2025, 5, 1), [rule])
    assert company.ids("login_history") == {2}


def test_jixawstudio_server_logs_go_after_3_months(
    sqlite_only: str, privaat_store: Store, tmp_path: Path
) -> None:
    company = jixawstudio(sqlite_only, privaat_store, tmp_path)
    company.insert(
        "server_logs",
        *(
            {
                "id": i,
                "customer_id": customer,
                "ip": "198.51.100.7",
                "user_agent": "Firefox/140",
                "path": "/cp/login",
                "logged_at": at,
            }
            for i, customer, at in (
                (1, None, T(2026, 1, 31, 22)),  # + 3 months: 30 April (no 31 April)
                (2, 3, T(2026, 2, 1, 8)),
            )
        ),
    )
    rule = "server-logs"
    assert steps(company.plan(D(2026, 4, 29), [rule]), rule, "server_logs") == {}
    company.run(D(2026, 4, 29), [rule])
    assert company.ids("server_logs") == {1, 2}
    assert steps(company.plan(D(2026, 4, 30), [rule]), rule, "server_logs") == {
        ("server_logs", "delete"): 1
    }
    company.run(D(2026, 4, 30), [rule])
    assert company.ids("server_logs") == {2}
    company.run(D(2026, 5, 1), [rule])
    assert company.ids("server_logs") == set()


def test_jixawstudio_unsolicited_data_not_needed_goes_within_a_month(
    sqlite_only: str, privaat_store: Store, tmp_path: Path
) -> None:
    company = jixawstudio(sqlite_only, privaat_store, tmp_path)
    company.insert(
        "inbox_messages",
        *(
            {
                "id": i,
                "channel": channel,
                "sender_email": f"afzender{i}@example.nl",
                "sender_name": f"Afzender {i}",
                "body": "Hierbij een kopie van mijn paspoort.",
                "status": status,
                "received_at": at,
            }
            for i, channel, status, at in (
                (1, "email", "dismissed", T(2026, 3, 31, 10)),
                (2, "social", "open", T(2026, 3, 1, 10)),
                (3, "ticket", "answered", T(2026, 1, 1, 10)),
                (4, "email", "dismissed", T(2026, 4, 2, 10)),
            )
        ),
    )
    rule = "unsolicited"
    assert steps(company.plan(D(2026, 4, 29), [rule]), rule, "inbox_messages") == {}
    company.run(D(2026, 4, 29), [rule])
    assert company.ids("inbox_messages") == {1, 2, 3, 4}
    assert steps(company.plan(D(2026, 4, 30), [rule]), rule, "inbox_messages") == {
        ("inbox_messages", "delete"): 1
    }
    company.run(D(2026, 4, 30), [rule])
    assert company.ids("inbox_messages") == {2, 3, 4}
    company.run(D(2026, 5, 2), [rule])
    assert company.ids("inbox_messages") == {2, 3}


# --------------------------------------------------------------------------- Sendtex


def test_sendtex_a_deleted_account_goes_with_its_lists_campaigns_and_statistics(
    sqlite_only: str, privaat_store: Store, tmp_path: Path
) -> None:
    company = open_company("sendtex", sqlite_only, privaat_store, tmp_path)
    company.insert(
        "accounts",
        *(
            {
                "id": i,
                "email": f"marketing@bedrijf{i}.example",
                "first_name": "Lies",
                "last_name": f"Peeters{i}",
                "company": f"Bedrijf {i}",
                "vat": None,
                "address": None,
                "phone": None,
                "signup_ip": "203.0.113.5",
                "created_at": T(2020, 1, 1),
                "deletion_confirmed_at": confirmed,
            }
            for i, confirmed in ((1, T(2026, 5, 4, 10)), (2, None))
        ),
    )
    company.insert(
        "mailing_lists",
        {"id": 10, "account_id": 1, "name": "Klanten"},
        {"id": 11, "account_id": 2, "name": "Nieuwsbrief"},
    )
    company.insert(
        "list_contacts",
        *(
            {
                "id": i,
                "list_id": lst,
                "email": f"contact{i}@example.org",
                "first_name": "Jo",
                "last_name": None,
                "custom_fields": {"stad": "Gent"},
                "subscribed_at": T(2024, 1, 1),
            }
            for i, lst in ((100, 10), (101, 10), (102, 11))
        ),
    )
    company.insert(
        "campaigns",
        {
            "id": 20,
            "account_id": 1,
            "subject": "Lente",
            "html_body": "<p>Hallo</p>",
            "sent_at": T(2025, 3, 1),
        },
        {
            "id": 21,
            "account_id": 2,
            "subject": "Zomer",
            "html_body": "<p>Hallo</p>",
            "sent_at": T(2025, 6, 1),
        },
    )
    company.insert(
        "campaign_stats",
        *(
            {
                "id": i,
                "campaign_id": campaign,
                "contact_id": contact,
                "opened_at": T(2025, 3, 2),
                "clicks": 1,
            }
            for i, campaign, contact in ((200, 20, 100), (201, 20, 101), (202, 21, 102))
        ),
    )
    rule = "account-deletion"
    assert steps(company.plan(D(2026, 5, 3), [rule]), rule, "accounts") == {}
    company.run(D(2026, 5, 3), [rule])
    assert company.ids("accounts") == {1, 2}

    on = company.plan(D(2026, 5, 4), [rule])
    assert steps(on, rule, "accounts") == {
        ("accounts", "delete"): 1,
        ("mailing_lists", "cascade"): 1,
        ("campaigns", "delete"): 1,
        ("campaign_stats", "cascade"): 2,
    }
    company.run(D(2026, 5, 4), [rule])
    assert company.ids("accounts") == {2}
    assert company.ids("mailing_lists") == {11}
    assert company.ids("list_contacts") == {102}
    assert company.ids("campaigns") == {21}
    assert company.ids("campaign_stats") == {202}


def test_sendtex_applicants_go_when_the_procedure_ends(
    sqlite_only: str, privaat_store: Store, tmp_path: Path
) -> None:
    company = open_company("sendtex", sqlite_only, privaat_store, tmp_path)
    company.insert(
        "applicants",
        *(
            {
                "id": i,
                "name": f"Kandidaat {i}",
                "email": f"kandidaat{i}@example.be",
                "phone": None,
                "family_situation": "gehuwd, 2 kinderen",
                "interests": "wielrennen",
                "education": "master informatica",
                "current_job": "ontwikkelaar",
                "status": status,
                "applied_at": T(2026, 1, 15),
                "closed_at": closed,
            }
            for i, status, closed in (
                (1, "open", None),
                (2, "rejected", T(2026, 3, 10, 16)),
                (3, "hired", T(2026, 3, 11, 9)),
            )
        ),
    )
    company.insert(
        "applicant_documents",
        {"id": 10, "applicant_id": 2, "filename": "cv.pdf", "content": "CV Kandidaat 2"},
        {"id": 11, "applicant_id": 1, "filename": "cv.pdf", "content": "CV Kandidaat 1"},
    )
    rule = "application-procedure"
    assert steps(company.plan(D(2026, 3, 9), [rule]), rule, "applicants") == {}
    company.run(D(2026, 3, 9), [rule])
    assert company.ids("applicants") == {1, 2, 3}

    on = company.plan(D(2026, 3, 10), [rule])
    assert steps(on, rule, "applicants") == {
        ("applicants", "delete"): 1,
        ("applicant_documents", "delete"): 1,
    }
    company.run(D(2026, 3, 10), [rule])
    assert company.ids("applicants") == {1, 3}
    assert company.ids("applicant_documents") == {11}
    company.run(D(2026, 3, 11), [rule])
    assert company.ids("applicants") == {1}  # the procedure still runs


def test_sendtex_contact_requests_go_after_a_year(
    sqlite_only: str, privaat_store: Store, tmp_path: Path
) -> None:
    company = open_company("sendtex", sqlite_only, privaat_store, tmp_path)
    company.insert(
        "contact_requests",
        *(
            {
                "id": i,
                "first_name": "An",
                "last_name": "Maes",
                "email": f"an{i}@example.be",
                "phone": None,
                "company": None,
                "message": "Graag een demo.",
                "created_at": at,
            }
            for i, at in ((1, T(2025, 2, 28, 15)), (2, T(2025, 3, 1, 9)))
        ),
    )
    rule = "as-needed"
    assert steps(company.plan(D(2026, 2, 27), [rule]), rule, "contact_requests") == {}
    company.run(D(2026, 2, 27), [rule])
    assert company.ids("contact_requests") == {1, 2}
    assert steps(company.plan(D(2026, 2, 28), [rule]), rule, "contact_requests") == {
        ("contact_requests", "delete"): 1
    }
    company.run(D(2026, 2, 28), [rule])
    assert company.ids("contact_requests") == {2}


def test_sendtex_visits_are_counted_per_hour_and_page_after_a_month(
    sqlite_only: str, privaat_store: Store, tmp_path: Path
) -> None:
    company = open_company("sendtex", sqlite_only, privaat_store, tmp_path)
    company.insert(
        "page_visits",
        *(
            {
                "id": i,
                "account_id": None,
                "ip_anonymised": "192.0.2.0",
                "browser": "Firefox",
                "cookie_id": f"c{i}",
                "page": page,
                "visited_at": at,
            }
            for i, page, at in (
                (1, "/pricing", T(2026, 3, 31, 10)),
                (2, "/pricing", T(2026, 3, 31, 11)),
                (3, "/", T(2026, 3, 31, 12)),
                (4, "/pricing", T(2026, 4, 1, 9)),
            )
        ),
    )
    rule = "statistics"
    assert steps(company.plan(D(2026, 4, 29), [rule]), rule, "page_visits") == {}
    company.run(D(2026, 4, 29), [rule])
    assert company.ids("page_visits") == {1, 2, 3, 4}
    assert steps(company.plan(D(2026, 4, 30), [rule]), rule, "page_visits") == {
        ("page_visits", "aggregate"): 3
    }
    company.run(D(2026, 4, 30), [rule])
    assert company.ids("page_visits") == {4}
    rows = company.select(
        "SELECT hour, page, visits FROM page_visit_statistics ORDER BY hour, page"
    )
    assert [(str(h)[:16], p, int(n)) for h, p, n in rows] == [
        ("2026-03-31 10:00", "/pricing", 1),
        ("2026-03-31 11:00", "/pricing", 1),
        ("2026-03-31 12:00", "/", 1),
    ]
    assert company.columns("page_visit_statistics") == {"hour", "page", "visits"}
