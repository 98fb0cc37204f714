"""A small sample company database for the demo: the systems of a Belgian hosting company.

Customers, their hosting accounts, invoices (kept 10 years under Belgian law, with the
buyer's details copied onto them), support tickets (some from guests who are not customers,
some mentioning e-mail addresses in their text), newsletter subscribers (some of them
prospects) and the website's contact-form history. The tables link the way such software
does: an invoice declares its customer, a ticket's customer is an id without a foreign key.

The dates are set from the demo's first day so that the JENSDEV retention rules have
something to do in every way (``privaat retention plan jensdev``): last year's contact-form
messages go (the history is cleared every 1 January), a hosting account cancelled a month ago
goes (14 days after the cancellation) while one cancelled three days ago stays for now, the
12-year-old invoices go, the final invoice of a customer whose contract ended 11 years ago is
held until the next 1 January (its e-mail address masked meanwhile), and that customer's
record is kept, masked, as long as the invoice points at it.

``privaat serve --demo`` writes it next to its store and loads its data map
(``datamap.yaml`` beside this module), so that every kind of rights request can be filed, planned and
executed at once. Nobody in it is real (example.org / example.be addresses).
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    create_engine,
    insert,
)

metadata = MetaData()

customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_number", String(20), nullable=False, unique=True),
    Column("email", String(190), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("phone", String(40)),
    Column("company", String(100)),
    Column("vat", String(20)),
    Column("address", String(200)),
    Column("created_at", DateTime, nullable=False),
    Column("last_login_at", DateTime),
    Column("cancelled_at", DateTime),
)

hosting_accounts = Table(
    "hosting_accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("domain", String(200), nullable=False),
    Column("disk_mb", Integer, nullable=False),
    Column("cancelled_at", DateTime),  # the cancellation: 14 days later the data go
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="RESTRICT"), nullable=False),
    Column("number", String(20), nullable=False, unique=True),
    Column("issued_on", Date, nullable=False),
    Column("buyer_name", String(200), nullable=False),
    Column("buyer_email", String(190), nullable=False),
    Column("buyer_address", String(200)),
    Column("total", Numeric(10, 2), nullable=False),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer),  # no foreign key, as in most helpdesk software
    Column("guest_email", String(190)),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

newsletter = Table(
    "newsletter",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(190), nullable=False, unique=True),
    Column("subscribed_at", DateTime, nullable=False),
)

contact_messages = Table(  # the website's contact-form history
    "contact_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("email", String(190), nullable=False),
    Column("message", Text, nullable=False),
    Column("sent_at", DateTime, nullable=False),
)

#: (customer number, e-mail, name, phone, company, VAT, address)
PEOPLE = (
    (
        "C-1001",
        "an@example.org",
        "An Peeters",
        "+32470111111",
        "Peeters Webdesign",
        "BE0123456749",
        "Kerkstraat 1, 9000 Gent",
    ),
    (
        "C-1002",
        "bram@example.org",
        "Bram Janssens",
        "+32470222222",
        None,
        None,
        "Stationsstraat 12, 2800 Mechelen",
    ),
    (
        "C-1003",
        "chloe@example.org",
        "Chloé Dubois",
        "+32470333333",
        "Dubois SRL",
        "BE0417497106",
        "Rue Haute 5, 1000 Bruxelles",
    ),
    ("C-1004", "dirk@example.org", "Dirk Maes", "+32470444444", None, None, "Markt 3, 3000 Leuven"),
    (
        "C-1005",
        "eva@example.be",
        "Eva Claes",
        "+32470555555",
        "Claes & Co",
        "BE0403170701",
        "Meir 20, 2000 Antwerpen",
    ),
)

#: The data map of this database, for the JENSDEV example policy.
DATAMAP = "datamap.yaml"


def datamap_text() -> str:
    return resources.files(__package__).joinpath(DATAMAP).read_text(encoding="utf-8")


def create(path: Path, today: dt.date) -> None:
    """Write the sample database at ``path`` (replacing nothing: the file must not exist)."""
    engine = create_engine(f"sqlite:///{path}")
    try:
        metadata.create_all(engine)
        with engine.begin() as conn:
            _fill(conn, today)
    finally:
        engine.dispose()


#: The customer whose contract ended 11 years ago (Chloé), and the customers whose hosting
#: account was cancelled a month ago (Dirk) and three days ago (Bram).
ENDED, CANCELLED, JUST_CANCELLED = 3, 4, 2


def _fill(conn: Connection, today: dt.date) -> None:
    start = dt.datetime(today.year - 12, 3, 1, 9, 0)
    ended = dt.datetime(today.year - 11, 12, 31, 17, 0)
    cancelled = {
        ENDED: ended,
        CANCELLED: dt.datetime.combine(today - dt.timedelta(days=30), dt.time(10)),
        JUST_CANCELLED: dt.datetime.combine(today - dt.timedelta(days=3), dt.time(10)),
    }
    for i, (number, email, name, phone, company, vat, address) in enumerate(PEOPLE, start=1):
        conn.execute(
            insert(customers),
            {
                "id": i,
                "customer_number": number,
                "email": email,
                "name": name,
                "phone": phone,
                "company": company,
                "vat": vat,
                "address": address,
                "created_at": start + dt.timedelta(days=60 * i),
                "last_login_at": (ended if i == ENDED else dt.datetime(today.year, 1, 1))
                - dt.timedelta(days=40 * i),
                "cancelled_at": ended if i == ENDED else None,  # the end of the contract
            },
        )
        conn.execute(
            insert(hosting_accounts),
            {
                "id": i,
                "customer_id": i,
                "domain": f"{number.lower()}.example",
                "disk_mb": 512 * i,
                "cancelled_at": cancelled.get(i),
            },
        )
        # One invoice from 12 years ago (past the 10-year hold) and one from last year; the
        # customer whose contract ended got a final invoice on 1 January 10 years ago instead,
        # held until the next 1 January.
        last = dt.date(today.year - 10, 1, 1) if i == ENDED else dt.date(today.year - 1, 6, 30)
        for n, issued in ((1, dt.date(today.year - 12, 6, 30)), (2, last)):
            conn.execute(
                insert(invoices),
                {
                    "id": 10 * i + n,
                    "customer_id": i,
                    "number": f"F{issued.year}-{10 * i + n:04d}",
                    "issued_on": issued,
                    "buyer_name": name,
                    "buyer_email": email,
                    "buyer_address": address,
                    "total": 120 + 10 * i,
                },
            )
        conn.execute(
            insert(tickets),
            {
                "id": i,
                "customer_id": i,
                "guest_email": None,
                "subject": "Mailbox full",
                "body": f"Please call me on {phone} or write to {email}.",
                "created_at": dt.datetime(today.year - 1, 5, i, 10),
            },
        )
        if i % 2:
            conn.execute(
                insert(newsletter),
                {"id": i, "email": email, "subscribed_at": dt.datetime(today.year - 2, 4, i)},
            )
    conn.execute(
        insert(tickets),
        {
            "id": 100,
            "customer_id": None,
            "guest_email": "AN@EXAMPLE.ORG",
            "subject": "Price question before ordering",
            "body": "Do you also offer VPS hosting?",
            "created_at": dt.datetime(today.year - 3, 2, 1, 10),
        },
    )
    conn.execute(
        insert(newsletter),
        {
            "id": 100,
            "email": "prospect@example.org",
            "subscribed_at": dt.datetime(today.year, 1, 2),
        },
    )
    # The contact-form history: last autumn's messages go on the first sweep of this year,
    # this year's stay until the next 1 January.
    recent = max(dt.date(today.year, 1, 1), today - dt.timedelta(days=20))
    for i, (sent, name, email, message) in enumerate(
        (
            (
                dt.datetime(today.year - 1, 10, 9, 14),
                "Bram Janssens",
                "bram@example.org",
                "Kunnen jullie ook een webshop bouwen?",
            ),
            (
                dt.datetime(today.year - 1, 11, 23, 9),
                "Geert Wouters",
                "geert@example.be",
                "Graag een offerte voor een nieuwe website.",
            ),
            (
                dt.datetime.combine(recent, dt.time(8, 30)),
                "Sofie Willems",
                "sofie@example.be",
                "Verhuizen jullie ook domeinnamen?",
            ),
        ),
        start=1,
    ):
        conn.execute(
            insert(contact_messages),
            {"id": i, "name": name, "email": email, "message": message, "sent_at": sent},
        )
