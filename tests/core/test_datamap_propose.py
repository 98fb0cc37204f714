"""The pure half of ``datamap generate``: schema description + samples -> map + YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from privaat.core.datamap.candidates import Candidate, Evidence, link_candidates
from privaat.core.datamap.emit import render, scalar
from privaat.core.datamap.loader import load_datamap
from privaat.core.datamap.model import DataMap, Table
from privaat.core.datamap.propose import StoreSource, propose
from privaat.core.datamap.schema import (
    ColumnInfo,
    ColumnKind,
    ForeignKeyInfo,
    SchemaInfo,
    TableInfo,
)
from privaat.core.policy import read_policy
from privaat.core.policy.model import DataCategory, Policy

MINIMAL = Path(__file__).parents[1] / "fixtures" / "minimal.yaml"
SOURCE = StoreSource("crm", "postgresql", "CRM_DATABASE_URL", "postgresql://crm@db/crm")

INT, T, D = ColumnKind.INTEGER, ColumnKind.TEXT, ColumnKind.DATETIME


def col(name: str, kind: ColumnKind = T, nullable: bool = True) -> ColumnInfo:
    return ColumnInfo(name, kind, nullable, "VARCHAR" if kind is T else kind.value.upper())


def _users(rows: int = 4) -> TableInfo:
    return TableInfo(
        "Users",
        (col("id", INT, False), col("mail", nullable=False), col("display_name"), col("tel")),
        ("id",),
        (("mail",),),
        rows=[
            {"id": i, "mail": f"u{i}@example.nl", "display_name": f"U {i}", "tel": "0612345678"}
            for i in range(1, rows + 1)
        ],
    )


def _schema(*tables: TableInfo) -> SchemaInfo:
    return SchemaInfo("postgresql", "crm", tables)


def _proposal(schema: SchemaInfo, evidence: dict[Candidate, Evidence], **kw: Any) -> DataMap:
    result = propose(schema, evidence, SOURCE, candidates=link_candidates(schema), **kw)
    assert load_datamap(result.yaml, "p.yaml").datamap == result.datamap
    return result.datamap


def _table(datamap: DataMap, name: str) -> Table:
    return next(t for t in datamap.stores[0].tables if t.name == name)


def test_an_oddly_named_key_is_linked_only_when_all_its_values_are_keys() -> None:
    notes = TableInfo(
        "notes",
        (col("id", INT, False), col("author_id", INT), col("body")),
        ("id",),
        rows=[{"id": 1, "author_id": 1, "body": "x"}, {"id": 2, "author_id": 2, "body": "y"}],
    )
    schema = _schema(_users(), notes)
    candidates = link_candidates(schema)
    cand = next(c for c in candidates if c.column == "author_id")
    assert (cand.target, cand.target_column, cand.by_name) == ("Users", "id", False)
    linked = _proposal(schema, {cand: Evidence(2, 2)})
    link = _table(linked, "notes").links[0]
    assert (link.column, link.to, link.declared) == ("author_id", "Users.id", False)
    unlinked = propose(schema, {cand: Evidence(1, 2)}, SOURCE, candidates=candidates)
    assert "notes" not in {t.name for t in unlinked.datamap.stores[0].tables}
    assert unlinked.left_out == ["notes"]


def test_polymorphic_types_with_namespaces_name_their_tables() -> None:
    comments = TableInfo(
        "comments",
        (col("id", INT, False), col("commentable_type"), col("commentable_id", INT), col("text")),
        ("id",),
        rows=[{"id": 1, "commentable_type": "App\\Models\\User", "commentable_id": 1}],
        distinct={"commentable_type": ["App\\Models\\User", "App\\Models\\Invoice"]},
    )
    schema = _schema(_users(), comments)
    cand = next(c for c in link_candidates(schema) if c.table == "comments")
    assert cand.when == ("commentable_type", "App\\Models\\User")
    datamap = _proposal(schema, {cand: Evidence(1, 1)})
    link = _table(datamap, "comments").links[0]
    assert link.when == {"commentable_type": "App\\Models\\User"}
    assert link.to == "Users.id"


def test_a_declared_foreign_key_and_a_person_table() -> None:
    orders = TableInfo(
        "orders",
        (col("id", INT, False), col("user_id", INT, False), col("ordered_at", D)),
        ("id",),
        foreign_keys=(ForeignKeyInfo(("user_id",), "Users", ("id",), "CASCADE"),),
    )
    datamap = _proposal(_schema(_users(), orders), {})
    users = _table(datamap, "Users")
    assert users.person
    assert [(ln.column, ln.identity) for ln in users.links] == [
        ("mail", "email"),
        ("tel", "phone"),
    ]
    assert [f.category for f in users.fields] == [
        "user.contact.email",
        "user.name",
        "user.contact.phone_number",
    ]
    order_link = _table(datamap, "orders").links[0]
    assert (order_link.to, order_link.declared, order_link.guessed) == ("Users.id", True, False)
    assert _table(datamap, "orders").activity == ["ordered_at"]


def test_an_empty_table_is_classified_by_column_names() -> None:
    leads = TableInfo(
        "leads",
        (col("id", INT, False), col("email"), col("first_name"), col("postcode"), col("iban")),
        ("id",),
    )
    datamap = _proposal(_schema(leads), {})
    table = _table(datamap, "leads")
    assert [ln.column for ln in table.links] == ["email"]
    assert {f.column: f.category for f in table.fields} == {
        "email": "user.contact.email",
        "first_name": "user.name",
        "postcode": "user.contact.address.postal_code",
        "iban": "user.financial.bank_account",
    }


def test_json_documents_kept_as_text_give_json_links() -> None:
    events = TableInfo(
        "events",
        (col("id", INT, False), col("data", T, False)),
        ("id",),
        rows=[
            {"id": i, "data": f'{{"who": {{"mail": "p{i}@example.be"}}, "n": {i}}}'}
            for i in range(5)
        ],
    )
    table = _table(_proposal(_schema(events), {}), "events")
    link = table.links[0]
    assert link.json_value is not None
    assert (link.json_value.column, link.json_value.path) == ("data", ["who", "mail"])
    assert table.fields[0].erase.value == "fixed"
    assert table.fields[0].value == "{}"


def test_json_keys_seen_once_are_not_written_into_the_map() -> None:
    rows = [{"id": 1, "data": {"jan_peeters": {"mail": "jan@example.be"}}}]
    rows += [{"id": i, "data": {f"person{i}": {"mail": f"p{i}@example.be"}}} for i in (2, 3)]
    events = TableInfo(
        "events", (col("id", INT, False), col("data", ColumnKind.JSON)), ("id",), rows=rows
    )
    result = propose(_schema(events), {}, SOURCE)
    assert "jan_peeters" not in result.yaml
    assert result.left_out == ["events"]


def test_a_table_without_any_key_is_left_out_and_not_linked_to() -> None:
    visits = TableInfo(
        "visits",
        (col("user_id", INT), col("mail")),
        rows=[{"user_id": 1, "mail": "a@example.be"}, {"user_id": 2, "mail": "b@example.be"}],
    )
    keyed = TableInfo("guests", (col("mail", nullable=False), col("name")), (), (("mail",),))
    result = propose(_schema(_users(), visits, keyed), {}, SOURCE)
    assert "visits" not in {t.name for t in result.datamap.stores[0].tables}
    assert "Left out (no primary or unique key to name a row by): visits." in result.yaml
    guests = _table(result.datamap, "guests")
    assert guests.primary_key == ["mail"]
    assert "review: no primary key; a unique key is used" in result.yaml
    load_datamap(result.yaml, "p.yaml")


def test_tables_and_columns_a_map_cannot_name_are_left_out() -> None:
    odd = TableInfo("order lines", (col("id", INT, False), col("e-mail")), ("id",))
    users = _users()
    users = TableInfo(
        users.name,
        (*users.columns, col("home address")),
        users.primary_key,
        users.uniques,
        rows=users.rows,
    )
    result = propose(_schema(users, odd), {}, SOURCE)
    assert [t.name for t in result.datamap.stores[0].tables] == ["Users"]
    assert "1 table(s) whose names are not plain identifiers" in result.yaml


def test_a_policy_maps_categories_to_its_nearest_parent_or_flags_them() -> None:
    base = read_policy(MINIMAL).policy
    contact = DataCategory.model_validate(
        {"key": "user.contact", "label": {"en": "Contact details"}}
    )
    policy: Policy = base.model_copy(update={"categories": [*base.categories, contact]})
    leads = TableInfo(
        "leads",
        (col("id", INT, False), col("email"), col("phone"), col("ip")),
        ("id",),
        rows=[{"id": 1, "email": "a@example.be", "phone": "+32470123456", "ip": "203.0.113.9"}],
    )
    result = propose(_schema(leads), {}, SOURCE, policy=policy)
    fields = {f.column: f.category for f in _table(result.datamap, "leads").fields}
    assert fields == {
        "email": "user.contact.email",
        "phone": "user.contact",
        "ip": "user.device.ip_address",
    }
    assert "user.contact.phone_number mapped to user.contact" in result.yaml
    assert "review: user.device.ip_address is not a category of the policy" in result.yaml


def test_the_emitter_quotes_what_yaml_would_misread() -> None:
    assert scalar("null") == '"null"'
    assert scalar("Yes") == '"Yes"'
    assert scalar("a: b") == '"a: b"'
    assert scalar("clients.id") == "clients.id"
    assert scalar("{}") == '"{}"'
    text = render(
        {"datamap": 1, "stores": [{"id": "x", "tables": [{"name": "t", "links": [{"a": "#"}]}]}]},
        {("stores", 0, "tables", 0, "links", 0): ["why\nnot"]},
    )
    assert '- {a: "#"}  # why not' in text
