"""A company database full of the traps real hosting, billing, newsletter and helpdesk
schemas hold, built the same way on SQLite, PostgreSQL and MariaDB.

The traps, each on purpose:

- ``clients.email`` is UNIQUE NOT NULL (masking needs a unique random value), and
  ``clients.primary_contact_id`` -> ``contacts.client_id`` -> ``clients`` is a link cycle;
- ``clients.referred_by`` points at another client with NO ACTION: erasing the referrer must
  unlink the referred client first, not delete it;
- ``contacts`` cascade from clients (ON DELETE CASCADE), ``logins`` too;
- ``orders.client_id`` has no foreign key at all (an inferred link), ``order_items`` restricts
  the deletion of its order (ON DELETE RESTRICT);
- ``invoices`` restrict the deletion of their client, keep copies of the buyer's name,
  e-mail and address, and fall under the 10-year Belgian hold (one invoice old enough to go,
  one still held); ``invoice_lines`` cascade from invoices;
- ``tickets.client_id`` is the client's id kept as text, ``tickets.guest_email`` is an
  e-mail-only match (in capitals), the ticket body mentions e-mail addresses and phone numbers;
  ``ticket_replies`` set their ticket null (ON DELETE SET NULL);
- ``newsletter`` rows match by e-mail only and carry a soft-delete flag;
- ``mail_queue`` keeps the address in a column and inside a JSON payload;
- ``activity_log`` is polymorphic (``rel_type`` / ``rel_id``);
- another person (Eva) shares nothing with Jan but a ticket that mentions him.

``PERSON`` is the person every test asks about; ``planted()`` lists every place a value of
theirs was put, so that a test can check an export found all of them and an erasure left
none outside the hold.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    event,
    insert,
)

metadata = MetaData()

clients = Table(
    "clients",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("customer_number", String(20), nullable=False, unique=True),
    Column("email", String(190), nullable=False, unique=True),
    Column("firstname", String(100), nullable=False),
    Column("lastname", String(100), nullable=False),
    Column("phone", String(40)),
    Column("company", String(100)),
    Column("vat", String(20)),
    Column("address", String(200)),
    Column("created_at", DateTime, nullable=False),
    Column("last_login_at", DateTime),
    Column("primary_contact_id", Integer),  # FK added below: the cycle with contacts
    Column("referred_by", Integer, ForeignKey("clients.id")),  # NO ACTION
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("client_id", Integer, ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("email", String(190), nullable=False),
    Column("name", String(100)),
)
clients.append_constraint(
    ForeignKeyConstraint(
        ["primary_contact_id"], ["contacts.id"], name="fk_clients_primary_contact", use_alter=True
    )
)


@event.listens_for(metadata, "before_create")
def _inline_the_cycle_again(target: MetaData, connection: Connection, **kw: object) -> None:
    """Keep the cycle's foreign key on SQLite after a database that creates it with ALTER.

    Creating it with ALTER TABLE (PostgreSQL, MariaDB) marks the constraint as never to be
    created inline again, so a SQLite database made later in the same session silently
    lacked ``clients.primary_contact_id -> contacts``; SQLite can only create it inline.
    """
    for table in target.tables.values():
        for constraint in table.foreign_key_constraints:
            if constraint.use_alter:
                constraint._create_rule = None


logins = Table(
    "logins",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("client_id", Integer, ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("ip", String(64), nullable=False),
    Column("at", DateTime, nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("client_id", Integer, nullable=False, index=True),  # no foreign key declared
    Column("product", String(100), nullable=False),
    Column("amount", Numeric(10, 2), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

order_items = Table(
    "order_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("order_id", Integer, ForeignKey("orders.id", ondelete="RESTRICT"), nullable=False),
    Column("domain", String(200), nullable=False),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("client_id", Integer, ForeignKey("clients.id", ondelete="RESTRICT"), nullable=False),
    Column("number", String(20), nullable=False, unique=True),
    Column("issued_on", Date, nullable=False),
    Column("buyer_name", String(200), nullable=False),
    Column("buyer_email", String(190), nullable=False),
    Column("buyer_address", String(200)),
    Column("total", Numeric(10, 2), nullable=False),
)

invoice_lines = Table(
    "invoice_lines",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("invoice_id", Integer, ForeignKey("invoices.id", ondelete="CASCADE"), nullable=False),
    Column("description", String(200), nullable=False),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("client_id", String(20)),  # the client's id, kept as text, no foreign key
    Column("guest_email", String(190)),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

ticket_replies = Table(
    "ticket_replies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("ticket_id", Integer, ForeignKey("tickets.id", ondelete="SET NULL")),
    Column("message", Text, nullable=False),
)

newsletter = Table(
    "newsletter",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("email", String(190), nullable=False, unique=True),
    Column("subscribed_at", DateTime, nullable=False),
    Column("deleted", Boolean, nullable=False),  # the application's soft delete
)

mail_queue = Table(
    "mail_queue",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("to_address", String(190), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("queued_at", DateTime, nullable=False),
)

activity_log = Table(
    "activity_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("rel_type", String(20), nullable=False),
    Column("rel_id", Integer, nullable=False),
    Column("message", String(200), nullable=False),
    Column("at", DateTime, nullable=False),
)


@dataclass(frozen=True)
class PersonFacts:
    email: str
    customer_number: str
    phone: str
    client_id: int


PERSON = PersonFacts("jan.peeters@example.be", "C-1001", "+32470123456", 1)
OTHER = PersonFacts("eva.janssens@example.nl", "C-1002", "+31612345678", 2)
REFERRED = PersonFacts("piet.claes@example.be", "C-1003", "+32479999999", 3)
#: The day the fixture is seen from: Jan's 2014 invoice left its hold on 2025-01-01, his
#: 2024 invoice stays held until 2035-01-01.
TODAY = dt.date(2026, 11, 22)
HELD_INVOICE, EXPIRED_INVOICE = 11, 10


def seed(conn: Connection) -> None:
    """Fill the tables (created with ``metadata.create_all``) with three people's data."""
    t = dt.datetime(2024, 3, 1, 9, 0)
    rows: list[tuple[Table, list[dict[str, object]]]] = [
        (
            clients,
            [
                _client(PERSON, "Jan", "Peeters", t, referred_by=None),
                _client(OTHER, "Eva", "Janssens", t, referred_by=None),
                _client(REFERRED, "Piet", "Claes", t, referred_by=None),
            ],
        ),
        (
            contacts,
            [
                {"id": 1, "client_id": 1, "email": "boekhouding@peeters.example.be", "name": "Jan"},
                {"id": 2, "client_id": 2, "email": OTHER.email, "name": "Eva"},
            ],
        ),
        (
            logins,
            [
                {"id": 1, "client_id": 1, "ip": "203.0.113.7", "at": t},
                {"id": 2, "client_id": 1, "ip": "203.0.113.8", "at": t + dt.timedelta(days=3)},
                {"id": 3, "client_id": 2, "ip": "198.51.100.4", "at": t},
            ],
        ),
        (
            orders,
            [
                {"id": 1, "client_id": 1, "product": "hosting-s", "amount": 60, "created_at": t},
                {"id": 2, "client_id": 1, "product": "domain", "amount": 12, "created_at": t},
                {"id": 3, "client_id": 2, "product": "hosting-m", "amount": 90, "created_at": t},
            ],
        ),
        (
            order_items,
            [
                {"id": 1, "order_id": 1, "domain": "peeters.example.be"},
                {"id": 2, "order_id": 2, "domain": "janpeeters.example"},
                {"id": 3, "order_id": 3, "domain": "janssens.example.nl"},
            ],
        ),
        (
            invoices,
            [
                _invoice(EXPIRED_INVOICE, PERSON, "Jan Peeters", dt.date(2014, 6, 30)),
                _invoice(HELD_INVOICE, PERSON, "Jan Peeters", dt.date(2024, 3, 1)),
                _invoice(12, OTHER, "Eva Janssens", dt.date(2024, 3, 1)),
            ],
        ),
        (
            invoice_lines,
            [
                {"id": 1, "invoice_id": EXPIRED_INVOICE, "description": "Hosting S 2014"},
                {"id": 2, "invoice_id": HELD_INVOICE, "description": "Hosting S 2024"},
                {"id": 3, "invoice_id": 12, "description": "Hosting M 2024"},
            ],
        ),
        (
            tickets,
            [
                {
                    "id": 1,
                    "client_id": "1",
                    "guest_email": None,
                    "title": "Mail werkt niet",
                    "body": "Bel me op +32470123456 of mail jan.peeters@example.be.",
                    "created_at": t,
                },
                {
                    "id": 2,
                    "client_id": None,
                    "guest_email": "JAN.PEETERS@EXAMPLE.BE",
                    "title": "Vraag over prijzen",
                    "body": "Hebben jullie ook VPS-pakketten?",
                    "created_at": t,
                },
                {
                    "id": 3,
                    "client_id": "2",
                    "guest_email": None,
                    "title": "Collega",
                    "body": "Mijn collega Jan.Peeters@example.be heeft ook toegang nodig.",
                    "created_at": t,
                },
            ],
        ),
        (
            ticket_replies,
            [
                {"id": 1, "ticket_id": 1, "message": "We bekijken het."},
                {"id": 2, "ticket_id": 3, "message": "Toegang gegeven."},
            ],
        ),
        (
            newsletter,
            [
                {"id": 1, "email": PERSON.email, "subscribed_at": t, "deleted": True},
                {"id": 2, "email": OTHER.email, "subscribed_at": t, "deleted": False},
                {"id": 3, "email": "prospect@example.org", "subscribed_at": t, "deleted": False},
            ],
        ),
        (
            mail_queue,
            [
                {
                    "id": 1,
                    "to_address": PERSON.email,
                    "payload": {"to": {"email": PERSON.email}, "template": "invoice"},
                    "queued_at": t,
                },
                {
                    "id": 2,
                    "to_address": "billing@example.net",
                    "payload": {"to": {"email": PERSON.email}, "template": "reminder"},
                    "queued_at": t,
                },
                {
                    "id": 3,
                    "to_address": OTHER.email,
                    "payload": {"to": {"email": OTHER.email}, "template": "invoice"},
                    "queued_at": t,
                },
            ],
        ),
        (
            activity_log,
            [
                {"id": 1, "rel_type": "client", "rel_id": 1, "message": "Logged in", "at": t},
                {"id": 2, "rel_type": "order", "rel_id": 1, "message": "Order paid", "at": t},
                {"id": 3, "rel_type": "order", "rel_id": 2, "message": "Order paid", "at": t},
                {"id": 4, "rel_type": "client", "rel_id": 2, "message": "Logged in", "at": t},
                # rel_id 1 of another type: must not be taken for Jan
                {"id": 5, "rel_type": "server", "rel_id": 1, "message": "Rebooted", "at": t},
            ],
        ),
    ]
    for table, values in rows:
        conn.execute(insert(table), values)
    # The cycle and the referral, once both ends exist.
    conn.execute(clients.update().where(clients.c.id == 1).values(primary_contact_id=1))
    conn.execute(clients.update().where(clients.c.id == 3).values(referred_by=1))


def _client(
    p: PersonFacts, first: str, last: str, t: dt.datetime, referred_by: int | None
) -> dict[str, object]:
    return {
        "id": p.client_id,
        "customer_number": p.customer_number,
        "email": p.email,
        "firstname": first,
        "lastname": last,
        "phone": p.phone,
        "company": f"{last} BV",
        "vat": "BE0123456749" if p is PERSON else None,
        "address": f"Kerkstraat {p.client_id}, 9000 Gent",
        "created_at": t,
        "last_login_at": t + dt.timedelta(days=3),
        "primary_contact_id": None,
        "referred_by": referred_by,
    }


def _invoice(iid: int, p: PersonFacts, name: str, issued: dt.date) -> dict[str, object]:
    return {
        "id": iid,
        "client_id": p.client_id,
        "number": f"F{issued.year}-{iid:04d}",
        "issued_on": issued,
        "buyer_name": name,
        "buyer_email": p.email,
        "buyer_address": f"Kerkstraat {p.client_id}, 9000 Gent",
        "total": 72,
    }


#: Where Jan's values were planted: (table, primary key) of every row that is his, by the map.
JAN_ROWS: dict[str, set[int]] = {
    "clients": {1},
    "contacts": {1},
    "logins": {1, 2},
    "orders": {1, 2},
    "order_items": {1, 2},
    "invoices": {EXPIRED_INVOICE, HELD_INVOICE},
    "tickets": {1, 2, 3},  # 3 is Eva's ticket that mentions him
    "newsletter": {1},
    "mail_queue": {1, 2},
    "activity_log": {1, 2, 3},
}

#: Rows that are not Jan's and must survive his erasure unchanged (ticket 3 only loses the
#: mention of his address; Piet's client row only loses its referral).
OTHERS_ROWS: dict[str, set[int]] = {
    "clients": {2, 3},
    "contacts": {2},
    "logins": {3},
    "orders": {3},
    "order_items": {3},
    "invoices": {12},
    "invoice_lines": {3},
    "tickets": {3},
    "ticket_replies": {2},
    "newsletter": {2, 3},
    "mail_queue": {3},
    "activity_log": {4, 5},
}


def planted_values() -> list[str]:
    """Jan's values as they were written, for searching an export or a database dump."""
    return [PERSON.email, PERSON.customer_number, PERSON.phone, "Peeters", "203.0.113.7"]
