"""``datamap generate`` on the trap company database (tests/companydb.py), on every server.

The proposal must find what the hand-written map (tests/fixtures/datamaps/company.yaml)
says: every table, every identity link, every declared and undeclared link, the person table,
free text, JSON paths, activity, soft delete and the hold. Extra proposals are allowed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from privaat.connectors.introspect import describe, generate, safe_url, store_source
from privaat.core.datamap.loader import load_datamap, read_datamap
from privaat.core.datamap.model import DataMap, Link, Table
from privaat.core.datamap.schema import ColumnKind
from privaat.core.policy import read_policy
from privaat.errors import UsageError
from tests import companydb

FIXTURES = Path(__file__).parents[1] / "fixtures"
HAND = FIXTURES / "datamaps" / "company.yaml"
JENSDEV = Path(__file__).parents[2] / "src" / "privaat" / "examples" / "jensdev.yaml"


def _tables(datamap: DataMap) -> dict[str, Table]:
    return {t.name: t for t in datamap.stores[0].tables}


def _same(a: Link, b: Link) -> bool:
    """The same link in substance: what it reads and what it matches."""
    return (
        a.column == b.column
        and a.json_value == b.json_value
        and a.identity == b.identity
        and a.to == b.to
        and a.when == b.when
        and a.as_text == b.as_text
        and a.declared == b.declared
    )


def test_the_proposal_finds_everything_the_hand_written_map_says(company_url: str) -> None:
    proposal = generate(company_url, sample=200)
    hand = _tables(read_datamap(HAND).datamap)
    proposed = _tables(proposal.datamap)
    missing: list[str] = []
    for name, table in hand.items():
        if name not in proposed:
            missing.append(f"table {name}")
            continue
        mine = proposed[name]
        for link in table.links:
            if link.mentions is not None:
                found = [x for x in mine.links if x.column == link.column and x.mentions]
                if not found or not set(link.mentions) <= set(found[0].mentions or []):
                    missing.append(f"{name}: mentions link on {link.column}")
            elif not any(_same(link, x) for x in mine.links):
                missing.append(f"{name}: link {link.model_dump(exclude_defaults=True)}")
        if table.person != mine.person:
            missing.append(f"{name}: person {table.person}")
        if table.hold is not None and (mine.hold is None or mine.hold.date != table.hold.date):
            missing.append(f"{name}: hold from {table.hold.date}")
        if table.soft_delete != mine.soft_delete:
            missing.append(f"{name}: soft_delete {table.soft_delete}")
        if not set(table.activity) <= set(mine.activity):
            missing.append(f"{name}: activity {table.activity}")
        if table.created is not None and table.created != mine.created:
            missing.append(f"{name}: created {table.created}")
    assert not missing, "\n".join(missing)


def test_the_proposal_marks_every_guess_and_says_why(company_url: str) -> None:
    proposal = generate(company_url)
    tables = _tables(proposal.datamap)
    for table in tables.values():
        assert table.guessed
        for link in table.links:
            assert link.guessed == (not link.declared or link.to is None), link
        assert all(f.guessed for f in table.fields)
    text = proposal.yaml
    line = next(r for r in text.splitlines() if "column: client_id, to: clients.id, declared" in r)
    assert "guessed: true" in line
    assert "# no foreign key; column name; 2 of 2 sampled values are keys of clients.id" in line
    tickets = next(r for r in text.splitlines() if "as_text: true" in r)
    assert "a text column holding integer keys" in tickets
    email = next(r for r in text.splitlines() if "{column: guest_email, identity: email" in r)
    assert "sampled values: 1 of 1 look like e-mail addresses" in email
    assert "review: statutory hold" in text
    assert "review: 1 of 3 rel_type values name no table" in text


def test_fields_categories_and_erasure_defaults(company_url: str) -> None:
    tables = _tables(generate(company_url).datamap)
    expected = {
        ("clients", "email"): ("user.contact.email", "unique_random"),  # UNIQUE NOT NULL
        ("clients", "phone"): ("user.contact.phone_number", "null"),
        ("clients", "firstname"): ("user.name", "unique_random"),  # NOT NULL
        ("clients", "address"): ("user.contact.address", "null"),
        ("clients", "vat"): ("user.contact.organization.vat", "null"),
        ("clients", "company"): ("user.contact.organization", "null"),
        ("clients", "customer_number"): ("user.id", "unique_random"),
        ("logins", "ip"): ("user.device.ip_address", "unique_random"),
        ("invoices", "buyer_email"): ("user.contact.email", "unique_random"),
        ("tickets", "body"): ("user.content", "redact"),
        ("tickets", "title"): ("user.content", "redact"),
        ("mail_queue", "payload"): ("user.contact.email", "fixed"),
    }
    for (table, column), (category, erase) in expected.items():
        field = next(f for f in tables[table].fields if f.column == column)
        assert (field.category, field.erase.value) == (category, erase), (table, column)
    assert not tables["invoices"].fields[0].provided  # a copy on an invoice


def test_the_yaml_loads_and_holds_no_sampled_value_and_no_password(company_url: str) -> None:
    proposal = generate(company_url)
    loaded = load_datamap(proposal.yaml, "proposed.yaml")
    assert loaded.datamap == proposal.datamap
    for value in [*companydb.planted_values(), "Janssens", "Kerkstraat", "BE0123456749"]:
        assert value not in proposal.yaml
        assert value.lower() not in proposal.yaml.lower()
    store = loaded.datamap.stores[0]
    assert store.url is None
    assert store.url_env is not None
    assert store.url_env.endswith("_DATABASE_URL")
    assert store.connector in {"sqlite", "postgresql", "mysql"}


def test_tables_without_a_way_to_a_person_are_left_out(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'co.sqlite3'}"
    engine = create_engine(url)
    companydb.metadata.create_all(engine)
    with engine.begin() as conn:
        companydb.seed(conn)
        conn.exec_driver_sql("CREATE TABLE servers (id INTEGER PRIMARY KEY, hostname TEXT)")
        conn.exec_driver_sql("INSERT INTO servers VALUES (1, 'web1')")
    engine.dispose()
    proposal = generate(url)
    assert "servers" not in _tables(proposal.datamap)
    assert proposal.left_out == ["servers"]
    assert "Left out (no link leads from them to a person): servers." in proposal.yaml


def test_with_a_policy_categories_are_mapped_or_flagged(company_url: str) -> None:
    policy = read_policy(JENSDEV).policy
    proposal = generate(company_url, policy=policy)
    text = proposal.yaml
    assert "review: user.device.ip_address is not a category of the policy" in text
    assert "review: user.id is not a category of the policy" in text
    assert proposal.review >= 3
    invoices = _tables(proposal.datamap)["invoices"]
    assert invoices.hold is not None
    assert invoices.hold.id == "invoices"


def test_describe_reads_types_keys_and_foreign_keys(company_url: str) -> None:
    engine = create_engine(company_url)
    try:
        with engine.connect() as conn:
            schema = describe(conn, sample=2)
    finally:
        engine.dispose()
    clients = schema.table("clients")
    assert clients is not None
    assert clients.primary_key == ("id",)
    assert ("email",) in clients.uniques
    assert clients.is_unique("customer_number")
    assert len(clients.rows) == 2
    kinds = {c.name: c.kind for c in clients.columns}
    assert kinds["id"] is ColumnKind.INTEGER
    assert kinds["email"] is ColumnKind.TEXT
    assert kinds["created_at"] is ColumnKind.DATETIME
    contacts = schema.table("contacts")
    assert contacts is not None
    fk = next(f for f in contacts.foreign_keys if f.columns == ("client_id",))
    assert (fk.target, fk.target_columns) == ("clients", ("id",))
    if schema.dialect != "mysql":  # MariaDB reports no rule for its RESTRICT/CASCADE default
        assert fk.on_delete == "CASCADE"
    activity = schema.table("activity_log")
    assert activity is not None
    assert sorted(activity.distinct["rel_type"]) == ["client", "order", "server"]


def test_urls_never_show_their_password() -> None:
    url = "postgresql+psycopg://shop:s3cret@db.example:5432/shop_prod"
    assert "s3cret" not in safe_url(url)
    source = store_source(url, "shop_prod")
    assert source.url_env == "SHOP_PROD_DATABASE_URL"
    assert source.store_id == "shop_prod"
    assert source.connector == "postgresql"
    assert "s3cret" not in source.url_hint
    assert store_source("mysql+pymysql://u@h/2024crm", "2024crm").store_id == "db_2024crm"


def test_a_missing_sqlite_file_is_refused_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nope.sqlite3"
    with pytest.raises(UsageError, match="no SQLite database file"):
        generate(f"sqlite:///{path}")
    assert not path.exists()


def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    with pytest.raises(UsageError) as caught:
        generate("postgresql+psycopg://shop:s3cret@127.0.0.1:1/shop", sample=1)
    message = str(caught.value)
    assert "s3cret" not in message
    assert "\n" not in message
    assert message.startswith("cannot read the database postgresql+psycopg://shop:***@")
