"""Erasure through the SQL connector, on the trap schema of tests/companydb.py."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from privaat.connectors.base import Connector, Person, PlanLine, Step
from privaat.connectors.registry import connect
from privaat.core.datamap.model import DataMap
from privaat.core.policy.model import Policy
from privaat.errors import PrivaatError
from tests import companydb
from tests.connectors.conftest import EVA, JAN, billing, context_for, dangling, dump, rows

HOLD_ENDS = dt.date(2035, 1, 1)


def _summary(lines: Sequence[PlanLine]) -> set[tuple[str, Step, int]]:
    return {(line.table, line.step, line.rows) for line in lines}


def test_plan_erasure_is_exactly_what_erase_does(
    connector: Connector, company_engine: Engine
) -> None:
    before = dump(company_engine)
    planned = connector.plan_erasure([JAN])

    assert dump(company_engine) == before  # planning changes nothing
    outcome = connector.erase([JAN])

    assert [list(o.lines) for o in outcome] == planned
    assert _summary(planned[0]) == {
        ("clients", Step.UNLINK, 1),  # Piet's referral
        ("clients", Step.UNLINK, 1),  # Jan's primary contact, which is deleted
        ("clients", Step.MASK, 1),  # kept: the held invoice needs it
        ("tickets", Step.MASK, 1),  # Eva's ticket mentions him
        ("contacts", Step.DELETE, 1),
        ("logins", Step.DELETE, 2),
        ("orders", Step.DELETE, 2),
        ("order_items", Step.DELETE, 2),
        ("invoices", Step.DELETE, 1),
        ("tickets", Step.DELETE, 2),
        ("newsletter", Step.DELETE, 1),
        ("mail_queue", Step.DELETE, 2),
        ("activity_log", Step.DELETE, 3),
        ("invoice_lines", Step.CASCADE, 1),
        ("ticket_replies", Step.CASCADE, 1),
        ("invoices", Step.HOLD, 1),
    }


def test_children_are_deleted_before_their_parents(connector: Connector) -> None:
    deletes = [line.table for line in connector.plan_erasure([JAN])[0] if line.step is Step.DELETE]

    assert deletes.index("order_items") < deletes.index("orders")
    assert deletes.index("invoices") < deletes.index("contacts") or "clients" not in deletes
    first_delete = next(
        i for i, line in enumerate(connector.plan_erasure([JAN])[0]) if line.step is Step.DELETE
    )
    unlinks = [
        i for i, line in enumerate(connector.plan_erasure([JAN])[0]) if line.step is Step.UNLINK
    ]
    assert unlinks
    assert max(unlinks) < first_delete


def test_erasure_removes_the_person_and_keeps_everyone_else(
    connector: Connector, company_engine: Engine
) -> None:
    outcome = connector.erase([JAN])[0]
    after = dump(company_engine)

    # Jan's rows are gone, except the masked client row, the held invoice and Eva's ticket.
    for table, ids in companydb.JAN_ROWS.items():
        left = ids & set(after[table])
        expected = {"clients": {1}, "invoices": {companydb.HELD_INVOICE}, "tickets": {3}}
        assert left == expected.get(table, set()), table
    # Everyone else's rows survive.
    for table, ids in companydb.OTHERS_ROWS.items():
        assert ids <= set(after[table]), table
    assert after["clients"][3]["referred_by"] is None  # Piet no longer points at Jan
    ticket = after["tickets"][3]
    assert "[removed]" in ticket["body"]
    assert companydb.PERSON.email not in ticket["body"].lower()
    assert ticket["client_id"] == "2"
    # The expired 2014 invoice went, with its lines; the held 2024 invoice stayed whole.
    assert companydb.EXPIRED_INVOICE not in after["invoices"]
    assert set(after["invoice_lines"]) == {2, 3}
    held = after["invoices"][companydb.HELD_INVOICE]
    assert held["buyer_email"] == companydb.PERSON.email
    assert after["ticket_replies"][1]["ticket_id"] is None  # ON DELETE SET NULL
    assert outcome.held[0].table == "invoices"
    assert outcome.held[0].keys == ((companydb.HELD_INVOICE,),)
    assert outcome.held[0].until == HOLD_ENDS
    hold_line = next(line for line in outcome.lines if line.step is Step.HOLD)
    assert hold_line.until == HOLD_ENDS


def test_the_client_row_a_held_invoice_needs_is_masked_not_deleted(
    connector: Connector, company_engine: Engine
) -> None:
    outcome = connector.erase([JAN])[0]
    client = rows(company_engine, "clients")[1]

    assert re.fullmatch(r"erased-[0-9a-f]{12,}@invalid\.example", client["email"])
    assert client["customer_number"] != companydb.PERSON.customer_number
    assert (client["firstname"], client["lastname"]) == ("-", "-")
    assert (client["phone"], client["address"], client["vat"]) == (None, None, None)
    assert client["primary_contact_id"] is None
    mask = next(
        line for line in outcome.lines if line.step is Step.MASK and line.table == "clients"
    )
    assert "invoices.client_id" in mask.detail
    assert "email" in mask.columns


def test_the_database_constraints_still_hold(connector: Connector, company_engine: Engine) -> None:
    connector.erase([JAN])

    assert dangling(company_engine) == []
    emails = [r["email"] for r in rows(company_engine, "clients").values()]
    assert len(set(emails)) == len(emails)


def test_search_after_erasure_finds_only_what_the_hold_keeps(connector: Connector) -> None:
    before = connector.search(JAN, {"clients": [1]})
    assert {h.table for h in before} >= {"clients", "newsletter", "mail_queue", "tickets"}

    connector.erase([JAN])
    hits = connector.search(JAN, {"clients": [1]})

    assert hits
    assert all(h.held for h in hits)
    assert {(h.table, h.column) for h in hits} == {
        ("invoices", "buyer_email"),
        ("invoices", "client_id"),
    }


def test_erasing_twice_changes_nothing_the_second_time(
    connector: Connector, company_engine: Engine
) -> None:
    connector.erase([JAN])
    after_first = dump(company_engine)

    again = connector.erase([JAN])[0]

    assert dump(company_engine) == after_first
    assert [line.step for line in again.lines] == [Step.HOLD]
    assert again.held[0].until == HOLD_ENDS


def test_a_failure_mid_erasure_leaves_the_database_unchanged(
    connector: Connector, company_engine: Engine
) -> None:
    _refuse_deletes(company_engine, "activity_log")
    before = dump(company_engine)
    lines = connector.plan_erasure([JAN])[0]
    assert any(line.step is Step.UNLINK for line in lines)  # changes precede the failure

    with pytest.raises(PrivaatError) as raised:
        connector.erase([JAN])

    assert dump(company_engine) == before
    assert companydb.PERSON.email not in str(raised.value)


def _refuse_deletes(engine: Engine, table: str) -> None:
    """A trigger that makes every DELETE on ``table`` fail."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(
                f"CREATE TRIGGER refuse_delete BEFORE DELETE ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'deletes refused'); END"
            )
        elif engine.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "CREATE OR REPLACE FUNCTION refuse_delete() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'deletes refused'; END $$ LANGUAGE plpgsql"
            )
            conn.exec_driver_sql(
                f"CREATE TRIGGER refuse_delete BEFORE DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_delete()"
            )
        else:
            conn.exec_driver_sql(
                f"CREATE TRIGGER refuse_delete BEFORE DELETE ON {table} FOR EACH ROW "
                "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'deletes refused'"
            )


def test_a_batch_erases_two_persons_in_one_go(connector: Connector, company_engine: Engine) -> None:
    planned = connector.plan_erasure([JAN, EVA])

    outcomes = connector.erase([JAN, EVA])

    assert [list(o.lines) for o in outcomes] == planned
    after = dump(company_engine)
    assert set(after["tickets"]) == set()  # Eva's own ticket 3 goes with her
    assert set(after["newsletter"]) == {3}
    assert set(after["invoices"]) == {companydb.HELD_INVOICE, 12}
    assert after["clients"][2]["email"].endswith("@invalid.example")
    assert outcomes[1].held[0].keys == ((12,),)
    assert dangling(company_engine) == []
    for person in (JAN, EVA):
        assert all(h.held for h in connector.search(person, {"clients": [1, 2]}))


def test_a_link_cycle_among_deleted_rows_is_cut_first(
    connector: Connector, company_engine: Engine
) -> None:
    # Piet gets a primary contact: clients <-> contacts, and no invoice holds him back.
    with company_engine.begin() as conn:
        conn.execute(
            sa.insert(companydb.contacts).values(
                id=3, client_id=3, email="piet@claes.example.be", name="Piet"
            )
        )
        conn.execute(
            sa.update(companydb.clients)
            .where(companydb.clients.c.id == 3)
            .values(primary_contact_id=3)
        )
    person = Person.of(email=companydb.REFERRED.email)

    outcome = connector.erase([person])[0]

    steps = [(line.table, line.step) for line in outcome.lines]
    assert ("clients", Step.UNLINK) in steps
    assert steps.index(("contacts", Step.DELETE)) < steps.index(("clients", Step.DELETE))
    assert 3 not in rows(company_engine, "clients")
    assert 3 not in rows(company_engine, "contacts")
    assert dangling(company_engine) == []


def test_a_row_past_its_hold_is_erased_when_the_hold_ends(
    company_map: DataMap, jensdev: Policy, company_url: str, tmp_path: Path, company_engine: Engine
) -> None:
    # Seen from 2035-01-01, the 2024 invoice has left its hold too.
    context = context_for(jensdev, company_url, tmp_path, today=HOLD_ENDS)
    later = connect(billing(company_map, company_url), context)
    try:
        lines = later.erase([JAN])[0].lines
    finally:
        later.close()

    assert not any(line.step is Step.HOLD for line in lines)
    assert set(rows(company_engine, "invoices")) == {12}
    assert 1 not in rows(company_engine, "clients")  # nothing holds the client row back now
    assert dangling(company_engine) == []


def test_more_keys_than_one_in_list_holds(connector: Connector, company_engine: Engine) -> None:
    # 1,500 orders of Jan, each with an item and a log line: key sets beyond one IN batch.
    at = dt.datetime(2025, 1, 1)
    extra = range(1000, 2500)
    with company_engine.begin() as conn:
        conn.execute(
            sa.insert(companydb.orders),
            [
                {"id": i, "client_id": 1, "product": "domain", "amount": 12, "created_at": at}
                for i in extra
            ],
        )
        conn.execute(
            sa.insert(companydb.order_items),
            [{"id": i, "order_id": i, "domain": f"d{i}.example"} for i in extra],
        )
        conn.execute(
            sa.insert(companydb.activity_log),
            [
                {"id": i, "rel_type": "order", "rel_id": i, "message": "Order paid", "at": at}
                for i in extra
            ],
        )

    planned = {(line.table, line.step): line.rows for line in connector.plan_access(JAN)}
    outcome = connector.erase([JAN])[0]

    assert planned[("order_items", Step.EXPORT)] == 2 + len(extra)
    assert planned[("activity_log", Step.EXPORT)] == 3 + len(extra)
    deleted = {line.table: line.rows for line in outcome.lines if line.step is Step.DELETE}
    assert deleted["orders"] == deleted["order_items"] == 2 + len(extra)
    assert set(rows(company_engine, "orders")) == {3}
    assert set(rows(company_engine, "activity_log")) == {4, 5}
    assert dangling(company_engine) == []
