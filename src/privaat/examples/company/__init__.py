"""A small sample company database for the demo: the systems of a Belgian hosting company.

Customers, their hosting accounts, invoices (kept 10 years under Belgian law, with the
buyer's details copied onto them), support tickets (some from guests who are not customers,
some mentioning e-mail addresses in their text) and newsletter subscribers (some of them
prospects). The tables link the way such software does: an invoice declares its customer,
a ticket's customer is an id without a foreign key.

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


def _fill(conn: Connection, today: dt.date) -> None:
    start = dt.datetime(today.year - 12, 3, 1, 9, 0)
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
                "created_at": start + dt.timedelta(days=300 * i),
                "last_login_at": dt.datetime(today.year, 1, 1) - dt.timedelta(days=40 * i),
                "cancelled_at": None,
            },
        )
        conn.execute(
            insert(hosting_accounts),
            {"id": i, "customer_id": i, "domain": f"{number.lower()}.example", "disk_mb": 512 * i},
        )
        # One invoice from 12 years ago (past the 10-year hold) and one from last year.
        for n, year in ((1, today.year - 12), (2, today.year - 1)):
            conn.execute(
                insert(invoices),
                {
                    "id": 10 * i + n,
                    "customer_id": i,
                    "number": f"F{year}-{10 * i + n:04d}",
                    "issued_on": dt.date(year, 6, 30),
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
