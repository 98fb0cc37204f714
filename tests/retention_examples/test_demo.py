"""The demo's sample company (``privaat serve --demo``) shows every way a retention sweep
works on its first day, whatever that day is: rows that go, an invoice the Belgian hold keeps
until the next 1 January (its e-mail address masked meanwhile), a customer kept masked because
that invoice points at it, and fresh rows that stay."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from privaat.engine import datamaps, orgs
from privaat.examples import company, example_text
from privaat.store.db import Store
from tests.retention_examples.conftest import LOADED, Company, settings_for
from tests.retention_examples.test_examples import held_until, steps


@pytest.mark.parametrize(
    "today", [dt.date(2026, 11, 22), dt.date(2027, 1, 1), dt.date(2028, 2, 29)], ids=str
)
def test_the_demo_plans_and_runs_every_kind_of_retention(
    today: dt.date, privaat_store: Store, tmp_path: Path
) -> None:
    database = tmp_path / "company.sqlite3"
    company.create(database, today)
    with privaat_store.transaction() as session:
        org = orgs.create_org(session, "jensdev", "JENSDEV", now=LOADED, actor="cli")
        orgs.load_version(session, org, example_text("jensdev"), now=LOADED, actor="cli")
        datamaps.load_datamap_version(
            session,
            org,
            company.datamap_text(),
            file=company.DATAMAP,
            base_dir=tmp_path,
            now=LOADED,
            actor="cli",
        )
        org_id = org.id
    settings = settings_for(privaat_store, tmp_path)
    demo = Company("jensdev", privaat_store, org_id, f"sqlite:///{database}", settings)

    made = demo.plan(today)
    assert made["unbound"] == []
    assert steps(made, "contact_form_history", "contact_messages") == {
        ("contact_messages", "delete"): 2  # last autumn's; this year's stays
    }
    assert steps(made, "hosting_data", "hosting_accounts") == {
        ("hosting_accounts", "delete"): 2  # cancelled a month ago, and 11 years ago
    }
    next_january = dt.date(today.year + 1, 1, 1).isoformat()
    assert held_until(made, "customer_records", "invoices") == [(1, next_january)]
    assert steps(made, "customer_records", "invoices") == {
        ("invoices", "delete"): 5,  # the 12-year-old invoices
        ("invoices", "hold"): 1,  # the final invoice of 10 years ago
        ("invoices", "mask"): 1,  # its e-mail address, which the hold does not need
    }
    assert steps(made, "customer_records", "customers") == {
        ("customers", "mask"): 1,  # Chloé: kept, masked, while the held invoice points at her
        ("invoices", "delete"): 1,  # her 12-year-old invoice goes with her
    }

    demo.run(today)
    assert demo.ids("contact_messages") == {3}
    assert demo.ids("hosting_accounts") == {1, 2, 5}  # Bram's, cancelled 3 days ago, stays
    assert demo.ids("invoices") == {12, 22, 32, 42, 52}
    assert demo.select("SELECT name FROM customers WHERE id = 3") == [("-",)]

    later = demo.plan(dt.date(today.year + 1, 1, 1))
    assert steps(later, "customer_records", "invoices") == {("invoices", "delete"): 1}
    assert steps(later, "hosting_data", "hosting_accounts") == {("hosting_accounts", "delete"): 1}
    assert steps(later, "contact_form_history", "contact_messages") == {
        ("contact_messages", "delete"): 1
    }
