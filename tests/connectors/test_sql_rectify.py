"""Rectification through the SQL connector: the new value everywhere the old one was copied."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from privaat.connectors.base import Connector, Person, Rectification, Step
from privaat.errors import InvalidInput
from tests import companydb
from tests.connectors.conftest import JAN, dump, rows

NEW = "jan.nieuw@example.be"


def test_a_new_email_replaces_every_copy_except_the_held_invoice(
    connector: Connector, company_engine: Engine
) -> None:
    before = dump(company_engine)

    outcome = connector.rectify(JAN, [Rectification("user.contact.email", NEW)])

    after = dump(company_engine)
    assert after["clients"][1]["email"] == NEW
    assert after["newsletter"][1]["email"] == NEW
    assert after["tickets"][2]["guest_email"] == NEW  # was in capitals
    assert after["mail_queue"][1]["to_address"] == NEW
    assert after["mail_queue"][1]["payload"]["to"]["email"] == NEW
    assert after["mail_queue"][2]["payload"]["to"]["email"] == NEW
    assert after["mail_queue"][2]["payload"]["template"] == "reminder"
    assert after["invoices"][companydb.EXPIRED_INVOICE]["buyer_email"] == NEW
    # Left alone: the held invoice, another address of the same category, other people.
    held = companydb.HELD_INVOICE
    assert after["invoices"][held]["buyer_email"] == companydb.PERSON.email
    assert after["mail_queue"][2]["to_address"] == "billing@example.net"
    assert after["contacts"][1]["email"] == before["contacts"][1]["email"]
    for table in ("clients", "newsletter", "mail_queue", "invoices"):
        for other in companydb.OTHERS_ROWS.get(table, set()):
            assert after[table][other] == before[table][other], (table, other)
    assert {(line.table, line.step) for line in outcome.lines} >= {
        ("clients", Step.RECTIFY),
        ("mail_queue", Step.RECTIFY),
        ("invoices", Step.RECTIFY),
        ("invoices", Step.HOLD),
    }
    assert outcome.held[0].keys == ((held,),)
    # The person is now found by the new address.
    found = {line.table for line in connector.plan_access(Person.of(email=NEW))}
    assert {"clients", "newsletter", "mail_queue", "tickets"} <= found


def test_a_phone_number_is_corrected_in_international_form(
    connector: Connector, company_engine: Engine
) -> None:
    connector.rectify(JAN, [Rectification("phone", "+32 470 99 88 77")])

    assert rows(company_engine, "clients")[1]["phone"] == "+32470998877"


def test_a_plain_category_is_set_in_every_row_of_the_person(
    connector: Connector, company_engine: Engine
) -> None:
    outcome = connector.rectify(JAN, [Rectification("user.contact.address", "Veldstraat 1, Gent")])

    assert rows(company_engine, "clients")[1]["address"] == "Veldstraat 1, Gent"
    invoices = rows(company_engine, "invoices")
    assert invoices[companydb.EXPIRED_INVOICE]["buyer_address"] == "Veldstraat 1, Gent"
    assert invoices[companydb.HELD_INVOICE]["buyer_address"] == "Kerkstraat 1, 9000 Gent"
    assert rows(company_engine, "clients")[2]["address"] == "Kerkstraat 2, 9000 Gent"
    assert any(line.step is Step.HOLD for line in outcome.lines)


@pytest.mark.parametrize(
    ("category", "value"),
    [
        ("user.contact.email", "not an address"),
        ("email", "jan@"),
        ("phone", "0470 12"),
        ("user.contact.phone_number", "+32 12"),
        ("user.name", "   "),
    ],
)
def test_a_bad_value_is_refused_and_nothing_changes(
    connector: Connector, company_engine: Engine, category: str, value: str
) -> None:
    before = dump(company_engine)

    with pytest.raises(InvalidInput) as raised:
        connector.rectify(JAN, [Rectification(category, value)])

    assert dump(company_engine) == before
    assert [issue.loc for issue in raised.value.issues] == [("value",)]


def test_a_value_longer_than_a_column_holds_is_refused(
    connector: Connector, company_engine: Engine
) -> None:
    before = dump(company_engine)

    with pytest.raises(InvalidInput, match="customer_number"):
        connector.rectify(JAN, [Rectification("customer_number", "C-" + "9" * 40)])

    assert dump(company_engine) == before
