"""Erasing many persons in one batch (set-based): each person's outcome is exactly what
planning that person alone gives, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from privaat.connectors.base import Connector, Outcome, Person, Step
from privaat.connectors.sql import SqlConnector
from privaat.connectors.sql import erase as erasing
from privaat.connectors.sql.batch import plan_batch
from tests import companydb
from tests.connectors.conftest import EVA, JAN, dangling, rows

FIRST = 100
EXTRA = 24
AT = dt.datetime(2024, 3, 1, 9, 0)


def _email(cid: int) -> str:
    return f"client{cid}@example.org"


def _add_clients(engine: Engine) -> None:
    """More clients with every trap of the company database: orders and items, logins,
    held and expired invoices with lines, referrals, a contact cycle, tickets that mention
    another client, newsletter rows and polymorphic log lines."""
    ids = range(FIRST, FIRST + EXTRA)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(companydb.clients),
            [
                {
                    "id": cid,
                    "customer_number": f"C-{cid}",
                    "email": _email(cid),
                    "firstname": "F",
                    "lastname": "L",
                    "phone": f"+3247000{cid}" if cid % 2 else None,
                    "company": None,
                    "vat": None,
                    "address": None,
                    "created_at": AT,
                    "last_login_at": None,
                    "primary_contact_id": None,
                    "referred_by": None,
                }
                for cid in ids
            ],
        )
        conn.execute(
            sa.insert(companydb.contacts),
            [{"id": cid, "client_id": cid, "email": _email(cid), "name": "F"} for cid in ids],
        )
        conn.execute(
            sa.insert(companydb.logins),
            [
                {"id": cid * 10 + k, "client_id": cid, "ip": "192.0.2.1", "at": AT}
                for cid in ids
                for k in range(2)
            ],
        )
        conn.execute(
            sa.insert(companydb.orders),
            [
                {
                    "id": cid * 10 + k,
                    "client_id": cid,
                    "product": "p",
                    "amount": 5,
                    "created_at": AT,
                }
                for cid in ids
                for k in range(3)
            ],
        )
        conn.execute(
            sa.insert(companydb.order_items),
            [
                {"id": cid * 10 + k, "order_id": cid * 10 + k, "domain": "d"}
                for cid in ids
                for k in range(3)
            ],
        )
        invoices = [
            {
                "id": cid,
                "client_id": cid,
                "number": f"X-{cid}",
                "issued_on": dt.date(2024, 3, 1) if cid % 3 == 0 else dt.date(2014, 3, 1),
                "buyer_name": "F L",
                "buyer_email": _email(cid),
                "buyer_address": None,
                "total": 10,
            }
            for cid in ids
            if cid % 2 == 0
        ]
        conn.execute(sa.insert(companydb.invoices), invoices)
        conn.execute(
            sa.insert(companydb.invoice_lines),
            [{"id": i["id"], "invoice_id": i["id"], "description": "x"} for i in invoices],
        )
        conn.execute(
            sa.insert(companydb.tickets),
            [
                {
                    "id": cid,
                    "client_id": str(cid),
                    "guest_email": None,
                    "title": "Help",
                    "body": f"My colleague {_email(cid + 1).upper()} asked too",
                    "created_at": AT,
                }
                for cid in ids
                if cid % 4 == 0
            ],
        )
        conn.execute(
            sa.insert(companydb.ticket_replies),
            [{"id": cid, "ticket_id": cid, "message": "ok"} for cid in ids if cid % 4 == 0],
        )
        conn.execute(
            sa.insert(companydb.newsletter),
            [
                {"id": cid, "email": _email(cid), "subscribed_at": AT, "deleted": False}
                for cid in ids
                if cid % 3
            ],
        )
        conn.execute(
            sa.insert(companydb.activity_log),
            [
                {"id": cid, "rel_type": "client", "rel_id": cid, "message": "m", "at": AT}
                for cid in ids
            ],
        )
        for cid in ids:
            if cid % 5 == 1:  # referred by the previous client, or by Jan
                by = cid - 1 if cid > FIRST else 1
                conn.execute(
                    sa.update(companydb.clients)
                    .where(companydb.clients.c.id == cid)
                    .values(referred_by=by)
                )
            if cid % 4 == 2:  # the clients <-> contacts cycle
                conn.execute(
                    sa.update(companydb.clients)
                    .where(companydb.clients.c.id == cid)
                    .values(primary_contact_id=cid)
                )


def _persons() -> list[Person]:
    extra = [
        Person.of(customer_number=f"C-{cid}") if cid % 7 == 0 else Person.of(email=_email(cid))
        for cid in range(FIRST, FIRST + EXTRA)
    ]
    nobody = Person.of(email="nobody@example.org")
    return [JAN, EVA, *extra, nobody]


def _alone(connector: Connector, persons: list[Person]) -> list[Outcome]:
    """What the per-person planner plans for each person alone (nothing is changed)."""
    assert isinstance(connector, SqlConnector)
    with connector.engine.connect() as conn:
        return [
            erasing.plan_person(conn, connector.plan, p, connector.context.masking_key).outcome()
            for p in persons
        ]


@pytest.fixture
def many(connector: Connector, company_engine: Engine) -> list[Person]:
    _add_clients(company_engine)
    return _persons()


def test_a_batch_plans_each_person_as_planning_them_alone_would(
    connector: Connector, many: list[Person]
) -> None:
    alone = _alone(connector, many)

    planned = connector.plan_erasure(many)

    assert planned == [list(o.lines) for o in alone]
    assert any(line.step is Step.HOLD for o in alone for line in o.lines)
    assert any(line.step is Step.UNLINK for o in alone for line in o.lines)
    assert any(line.step is Step.CASCADE for o in alone for line in o.lines)
    assert any(line.step is Step.MASK for o in alone for line in o.lines)


def test_the_set_based_planner_covers_sqlite_and_postgresql(
    connector: Connector, many: list[Person]
) -> None:
    assert isinstance(connector, SqlConnector)
    alone = _alone(connector, many)
    with connector.engine.connect() as conn:
        batch = plan_batch(conn, connector.plan, many, connector.context.masking_key)

    if connector.plan.dialect == "mysql":
        assert batch is None  # planned person by person (collations)
        return
    assert batch is not None
    assert [e.outcome() for e in batch] == alone  # lines, held rows and their keys


def test_a_batch_erasure_does_what_each_plan_says(
    connector: Connector, company_engine: Engine, many: list[Person]
) -> None:
    alone = _alone(connector, many)

    outcomes = connector.erase(many)

    assert outcomes == alone
    assert dangling(company_engine) == []
    clients = rows(company_engine, "clients")
    invoices = rows(company_engine, "invoices")
    # Only rows a hold keeps (and the client rows they need, masked) are left of them.
    held = {cid for cid in range(FIRST, FIRST + EXTRA) if cid % 6 == 0}
    assert {i for i in invoices if i >= FIRST} == held
    assert {c for c in clients if c >= FIRST} == held
    for cid in held:
        assert clients[cid]["email"].endswith("@invalid.example")
    assert set(rows(company_engine, "orders")) == set()
    assert set(rows(company_engine, "logins")) == set()
    assert 3 in clients  # Piet stays, unlinked from Jan
    assert clients[3]["referred_by"] is None
    for person in many:
        assert all(h.held for h in connector.search(person))


def test_a_batch_costs_a_few_statements_per_table_not_per_person(
    connector: Connector, company_engine: Engine, many: list[Person]
) -> None:
    assert isinstance(connector, SqlConnector)
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(connector.engine, "before_cursor_execute", count)
    try:
        connector.erase(many)
    finally:
        event.remove(connector.engine, "before_cursor_execute", count)

    # Rows that only mention a person (tickets) are still looked for person by person (a
    # count each, and a mask where found); everything else is a few statements per table,
    # however many persons the batch holds.
    mentions = [s for s in seen if s.lstrip().startswith(("SELECT tickets.id", "UPDATE tickets"))]
    if connector.plan.dialect == "mysql":
        # MariaDB batches are planned person by person: a few statements per table and person.
        assert len(seen) <= 3 * len(companydb.metadata.tables) * len(many)
        return
    assert len(mentions) <= 3 * len(many)
    assert len(seen) - len(mentions) <= 3 * len(companydb.metadata.tables)
