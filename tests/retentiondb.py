"""A small shop database for the retention tests, built the same way on SQLite, PostgreSQL and
MariaDB, with the policy and the data map that bind retention rules to its tables.

The tables start empty: each test inserts the rows it travels through time with. What each
table is for:

- ``leads`` (collected: P3Y after ``created_at``), ``trials`` (monthly: P1M after the Date
  ``started_on``), ``forms`` (yearly: a P1Y schedule), ``procedures`` (P0D after ``closed_on``,
  only ``status: closed``), ``hosting`` (hosting_data: P14D after ``cancelled_at``): rows that
  age and go exactly when the rule says;
- ``bills`` under the Belgian invoice hold (10 years from 1 January after the year) and bound
  to a P14D rule: the hold wins, ``buyer_email`` (a category the hold does not cover) is masked
  while the row is held; ``bill_lines`` cascade from bills and are not in the map;
- ``accounts`` (collected, P3Y) and the rows that reference them: ``sessions`` (RESTRICT,
  mapped ``erase: delete``) with their ``session_events`` (RESTRICT again), ``notes`` (a
  nullable reference, not in the map), ``ledger`` (a NOT NULL reference, not in the map),
  ``receipts`` (ON DELETE CASCADE, under the invoice hold); ``session_flags`` (not in the
  map) keep their session with a NOT NULL reference, and so the session's account;
- ``reviews`` (anon: anonymised after P1Y);
- ``page_views`` and ``downloads`` (stats: counted into ``page_view_stats`` per day and path,
  ``download_stats`` per month and file, after P90D, then deleted);
- ``customers`` (a table of persons, erased after three years without activity), their
  ``sign_ins`` (a ``to`` link with activity) and ``support_requests`` (an e-mail identity link
  with activity), and their ``bills``.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
)

from privaat.core.datamap.loader import load_datamap
from privaat.core.datamap.model import DataMap
from privaat.core.policy.loader import load_policy
from privaat.core.policy.model import Policy
from privaat.examples import example_text

metadata = MetaData()

URL_ENV = "SHOP_DATABASE_URL"


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=False)


def _email(nullable: bool = False) -> Column[str]:
    return Column("email", String(190), nullable=nullable)


customers = Table(
    "customers",
    metadata,
    _id(),
    Column("email", String(190), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_login_at", DateTime),
)
sign_ins = Table(
    "sign_ins",
    metadata,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("ip", String(64), nullable=False),
    Column("at", DateTime, nullable=False),
)
support_requests = Table(
    "support_requests",
    metadata,
    _id(),
    _email(nullable=True),
    Column("subject", String(200), nullable=False),
    Column("sent_at", DateTime, nullable=False),
)
bills = Table(
    "bills",
    metadata,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="RESTRICT"), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("buyer_name", String(200), nullable=False),
    Column("buyer_email", String(190)),
    Column("buyer_address", String(200)),
)
bill_lines = Table(
    "bill_lines",
    metadata,
    _id(),
    Column("bill_id", Integer, ForeignKey("bills.id", ondelete="CASCADE"), nullable=False),
    Column("description", String(200), nullable=False),
)
leads = Table("leads", metadata, _id(), _email(), Column("created_at", DateTime, nullable=False))
trials = Table("trials", metadata, _id(), _email(), Column("started_on", Date, nullable=False))
forms = Table("forms", metadata, _id(), _email(), Column("sent_at", DateTime, nullable=False))
procedures = Table(
    "procedures",
    metadata,
    _id(),
    _email(),
    Column("status", String(20), nullable=False),
    Column("closed_on", Date),
)
hosting = Table("hosting", metadata, _id(), _email(), Column("cancelled_at", DateTime))
accounts = Table(
    "accounts",
    metadata,
    _id(),
    Column("email", String(190), nullable=False, unique=True),
    Column("created_on", Date, nullable=False),
)
sessions = Table(
    "sessions",
    metadata,
    _id(),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="RESTRICT"), nullable=False),
    Column("token", String(64)),
)
session_flags = Table(
    "session_flags",
    metadata,
    _id(),
    Column("session_id", Integer, ForeignKey("sessions.id"), nullable=False),  # NO ACTION
    Column("flag", String(20), nullable=False),
)
session_events = Table(
    "session_events",
    metadata,
    _id(),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="RESTRICT"), nullable=False),
    Column("at", DateTime, nullable=False),
)
notes = Table(
    "notes",
    metadata,
    _id(),
    Column("account_id", Integer, ForeignKey("accounts.id")),  # nullable, NO ACTION
    Column("body", String(200), nullable=False),
)
ledger = Table(
    "ledger",
    metadata,
    _id(),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),  # NO ACTION
    Column("amount", Integer, nullable=False),
)
receipts = Table(
    "receipts",
    metadata,
    _id(),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("payer_email", String(190)),
)
reviews = Table(
    "reviews",
    metadata,
    _id(),
    Column("author_name", String(100)),
    Column("author_email", String(190)),
    Column("rating", Integer, nullable=False),
    Column("written_at", DateTime, nullable=False),
)
page_views = Table(
    "page_views",
    metadata,
    _id(),
    Column("visitor_email", String(190)),
    Column("path", String(200), nullable=False),
    Column("visited_at", DateTime, nullable=False),
)
downloads = Table(
    "downloads",
    metadata,
    _id(),
    _email(nullable=True),
    Column("file", String(100), nullable=False),
    Column("at", Date, nullable=False),
)


# --------------------------------------------------------------------------- policy and map


def _rule(rid: str, body: str) -> str:
    text = f"{rid}: test rule"
    return (
        f"  - id: {rid}\n"
        f'    description: {{nl: "{text}", en: "{text}", fr: "{text}"}}\n'
        "    categories: [user.contact.email]\n"
        + "".join(f"    {line}\n" for line in body.split("; "))
    )


RULES = "".join(
    [
        _rule("collected", "maximum: P3Y; trigger: collection"),
        _rule("monthly", "maximum: P1M; trigger: collection"),
        _rule("yearly", "trigger: schedule; schedule: P1Y"),
        _rule("procedures", "maximum: P0D; trigger: procedure_end"),
        _rule("billing", "maximum: P14D; trigger: collection"),
        _rule("anon", "maximum: P1Y; trigger: collection; action: anonymise"),
        _rule("stats", "maximum: P90D; trigger: collection; action: aggregate"),
        _rule("inactivity", "maximum: P3Y; trigger: last_activity"),
    ]
)


@functools.cache
def policy_text() -> str:
    """The JENSDEV example policy with the test's retention rules added."""
    text = example_text("jensdev")
    assert "\nholds:\n" in text
    return text.replace("\nholds:\n", "\n" + RULES + "\nholds:\n", 1)


@functools.cache
def policy() -> Policy:
    return load_policy(policy_text()).policy


MAP = """\
datamap: 1
organisation: {organisation}
stores:
  - id: shop
    connector: {connector}
    url_env: {url_env}
    tables:
      - name: customers
        primary_key: [id]
        person: true
        links:
          - {{column: email, identity: email}}
        fields:
          - {{column: email, category: user.contact.email, erase: unique_random}}
          - {{column: name, category: user.name, erase: fixed, value: "-"}}
        activity: [last_login_at]
        created: created_at
        retention:
          - {{rule: inactivity, scope: person}}
      - name: sign_ins
        primary_key: [id]
        links:
          - {{column: customer_id, to: customers.id}}
        fields:
          - {{column: ip, category: user.behavior.browsing_history, provided: false}}
        activity: [at]
      - name: support_requests
        primary_key: [id]
        links:
          - {{column: email, identity: email}}
        fields:
          - {{column: email, category: user.contact.email}}
          - {{column: subject, category: user.content}}
        activity: [sent_at]
      - name: bills
        primary_key: [id]
        links:
          - {{column: customer_id, to: customers.id}}
          - {{column: buyer_email, identity: email}}
        fields:
          - {{column: buyer_name, category: user.name, erase: fixed, value: "-", provided: false}}
          - {{column: buyer_email, category: user.contact.email, provided: false}}
          - {{column: buyer_address, category: user.contact.address, provided: false}}
        hold: {{id: invoices, date: issued_on}}
        created: issued_on
        retention:
          - {{rule: billing}}
{simple}
      - name: procedures
        primary_key: [id]
        links:
          - {{column: email, identity: email}}
        fields:
          - {{column: email, category: user.contact.email}}
        retention:
          - {{rule: procedures, from: closed_on, where: {{status: closed}}}}
      - name: hosting
        primary_key: [id]
        links:
          - {{column: email, identity: email}}
        fields:
          - {{column: email, category: user.contact.email}}
        retention:
          - {{rule: hosting_data, from: cancelled_at}}
      - name: accounts
        primary_key: [id]
        links:
          - {{column: email, identity: email}}
        fields:
          - {{column: email, category: user.contact.email, erase: unique_random}}
        created: created_on
        retention:
          - {{rule: collected}}
      - name: sessions
        primary_key: [id]
        links:
          - {{column: account_id, to: accounts.id}}
        fields:
          - {{column: token, category: user.behavior.browsing_history, provided: false}}
      - name: session_events
        primary_key: [id]
        links:
          - {{column: session_id, to: sessions.id}}
      - name: receipts
        primary_key: [id]
        links:
          - {{column: account_id, to: accounts.id}}
        fields:
          - {{column: payer_email, category: user.contact.email, provided: false}}
        hold: {{id: invoices, date: issued_on}}
      - name: reviews
        primary_key: [id]
        links:
          - {{column: author_email, identity: email}}
        fields:
          - {{column: author_name, category: user.name}}
          - {{column: author_email, category: user.contact.email}}
        created: written_at
        retention:
          - {{rule: anon}}
      - name: page_views
        primary_key: [id]
        links:
          - {{column: visitor_email, identity: email}}
        fields:
          - {{column: visitor_email, category: user.contact.email}}
        created: visited_at
        retention:
          - rule: stats
            aggregate: {{into: page_view_stats, by: [{{column: visited_at, into: day, period: day}}, {{column: path}}]}}
      - name: downloads
        primary_key: [id]
        links:
          - {{column: email, identity: email}}
        fields:
          - {{column: email, category: user.contact.email}}
        created: at
        retention:
          - rule: stats
            aggregate: {{into: download_stats, by: [{{column: at, into: month, period: month}}, {{column: file}}], count: downloads}}
"""

#: Tables with an e-mail and a date column bound to a rule as collected: table, column, rule.
SIMPLE = (
    ("leads", "created_at", "collected"),
    ("trials", "started_on", "monthly"),
    ("forms", "sent_at", "yearly"),
)


def datamap_text(connector: str, *, url_env: str = URL_ENV, organisation: str = "shop") -> str:
    """The data map of this database for a connector (sqlite, postgresql or mysql)."""
    simple = "\n".join(
        f"      - name: {table}\n"
        "        primary_key: [id]\n"
        "        links:\n"
        "          - {column: email, identity: email}\n"
        "        fields:\n"
        "          - {column: email, category: user.contact.email}\n"
        f"        created: {created}\n"
        "        retention:\n"
        f"          - {{rule: {rule}}}"
        for table, created, rule in SIMPLE
    )
    return MAP.format(
        connector=connector, url_env=url_env, organisation=organisation, simple=simple
    )


@functools.cache
def datamap(connector: str) -> DataMap:
    return load_datamap(datamap_text(connector), policy=policy()).datamap


# --------------------------------------------------------------------------- database


def connector_of(url: str) -> str:
    """The store connector for a database URL: postgresql, mysql or sqlite."""
    name = sa.engine.make_url(url).get_backend_name()
    return "mysql" if name == "mariadb" else name


def create(engine: sa.Engine) -> None:
    """The tables, empty (dropped first with the statistics tables a sweep made)."""
    with engine.begin() as conn:
        for name in STATISTICS_COLUMNS:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
    metadata.drop_all(engine)
    metadata.create_all(engine)


def insert(engine: sa.Engine, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        with engine.begin() as conn:
            conn.execute(sa.insert(table), rows)


def ids(engine: sa.Engine, table: Table) -> set[int]:
    with engine.connect() as conn:
        return {int(r[0]) for r in conn.execute(sa.select(table.c.id))}


def rows(engine: sa.Engine, table: Table) -> dict[int, dict[str, Any]]:
    with engine.connect() as conn:
        query = sa.select(table).order_by(table.c.id)
        return {int(r.id): dict(r._mapping) for r in conn.execute(query)}


def dump(engine: sa.Engine) -> dict[str, Any]:
    """Every row of every table, and the statistics tables' counts (when they exist)."""
    out: dict[str, Any] = {name: rows(engine, table) for name, table in metadata.tables.items()}
    out.update(statistics(engine))
    return out


#: The statistics tables a sweep makes: their group columns and their count column.
STATISTICS_COLUMNS = {
    "page_view_stats": (("day", "path"), "count"),
    "download_stats": (("month", "file"), "downloads"),
}


def statistics(engine: sa.Engine) -> dict[str, dict[tuple[Any, ...], int]]:
    """The statistics tables that exist: group -> count."""
    out: dict[str, dict[tuple[Any, ...], int]] = {}
    inspector = sa.inspect(engine)
    for name, (by, count) in STATISTICS_COLUMNS.items():
        if not inspector.has_table(name):
            continue
        table = sa.table(name, *(sa.column(c) for c in (*by, count)))
        with engine.connect() as conn:
            out[name] = {
                tuple(_day(v) for v in r[:-1]): int(r[-1])
                for r in conn.execute(sa.select(*table.c))
            }
    return out


def _day(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-":
        return dt.date.fromisoformat(value[:10])
    return value


def dangling(engine: sa.Engine) -> list[str]:
    """Foreign-key references that point at nothing (empty: the constraints hold)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return [str(tuple(r)) for r in conn.exec_driver_sql("PRAGMA foreign_key_check")]
        problems: list[str] = []
        for table in metadata.tables.values():
            for fk in table.foreign_key_constraints:
                parent = fk.referred_table.alias("parent")
                matched = sa.and_(*(e.parent == parent.c[e.column.name] for e in fk.elements))
                query = (
                    sa.select(sa.func.count())
                    .select_from(table)
                    .where(
                        *(table.c[c].isnot(None) for c in fk.column_keys),
                        ~sa.exists(sa.select(1).select_from(parent).where(matched)),
                    )
                )
                if conn.execute(query).scalar_one():
                    problems.append(f"{table.name}.{','.join(fk.column_keys)}")
        return problems


# --------------------------------------------------------------------------- fixture


BACKENDS = ("sqlite", "postgresql", "mysql")


def make_shop(request: Any, tmp_path: Any, name: str = "shop.sqlite3") -> str:
    """The shop database on the backend ``request.param`` names, created empty.

    PostgreSQL and MariaDB use the session's scratch databases of ``company_servers``
    (tests/conftest.py): a missing server skips locally and fails under CI=true.
    """
    from tests.conftest import _unavailable

    backend: str = request.param
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / name}"
    else:
        url = request.getfixturevalue("company_servers")[backend]
        if url.startswith("unavailable"):
            _unavailable(f"{backend} for the shop database is {url}")
    engine = sa.create_engine(url)
    try:
        create(engine)
    finally:
        engine.dispose()
    if backend != "sqlite":  # the scratch database is the session's: leave it as found
        request.addfinalizer(lambda: drop(url))
    return url


def drop(url: str) -> None:
    """The shop's tables and the statistics tables its sweeps made, gone."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for name in STATISTICS_COLUMNS:
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
        metadata.drop_all(engine)
    finally:
        engine.dispose()
