"""Converting a Fides dataset file (tests/fixtures/datamaps/fides_shop.yaml) to a data map."""

from __future__ import annotations

from pathlib import Path

import pytest

from privaat.core.datamap.fides import import_fides
from privaat.core.datamap.loader import load_datamap
from privaat.core.datamap.model import DataMap, Table
from privaat.errors import InvalidDocument, UnreadableInput

FIDES = Path(__file__).parents[1] / "fixtures" / "datamaps" / "fides_shop.yaml"


def _tables(datamap: DataMap) -> dict[str, Table]:
    return {t.name: t for t in datamap.stores[0].tables}


def _converted() -> DataMap:
    result = import_fides(FIDES.read_text(encoding="utf-8"), str(FIDES))
    assert load_datamap(result.yaml, "converted.yaml").datamap == result.datamap
    return result.datamap


def test_identities_references_and_categories_become_links_and_fields() -> None:
    datamap = _converted()
    assert [s.id for s in datamap.stores] == ["webshop_db"]
    store = datamap.stores[0]
    assert store.url_env == "WEBSHOP_DB_DATABASE_URL"
    tables = _tables(datamap)
    customer = tables["customer"]
    assert customer.person
    assert customer.primary_key == ["id"]
    assert [(ln.column, ln.identity) for ln in customer.links] == [("email", "email")]
    categories = {f.column: f.category for f in customer.fields}
    assert categories["email"] == "user.contact.email"
    assert categories["name"] == "user.name"
    # direction from: orders and logins are found from the customer
    assert [(ln.column, ln.to) for ln in tables["orders"].links] == [("customer_id", "customer.id")]
    assert [(ln.column, ln.to) for ln in tables["login"].links] == [("customer_id", "customer.id")]
    # direction to: addresses are found from customers and orders, and may be shared
    address = tables["address"]
    assert sorted(ln.to or "" for ln in address.links) == [
        "customer.address_id",
        "orders.shipping_address_id",
    ]
    assert address.erase.value == "mask"


def test_nested_identities_become_json_links() -> None:
    event = _tables(_converted())["support_event"]
    paths = {
        (ln.json_value.column, tuple(ln.json_value.path), ln.identity)
        for ln in event.links
        if ln.json_value is not None
    }
    assert paths == {
        ("payload", ("requester", "email"), "email"),
        ("payload", ("requester", "mobile"), "phone"),
        ("payload", ("account_ref",), "customer_number"),
    }


def test_keys_are_kept_and_collections_without_personal_data_are_left_out() -> None:
    result = import_fides(FIDES.read_text(encoding="utf-8"), str(FIDES))
    tables = _tables(result.datamap)
    assert "product" not in tables
    assert "order_item" not in tables
    assert {"webshop_db.product", "webshop_db.order_item", "analytics.daily_totals"} <= set(
        result.left_out
    )
    customer_id = next(f for f in tables["orders"].fields if f.column == "customer_id")
    assert customer_id.erase.value == "keep"
    assert "review: Fides does not say which database this is" in result.yaml
    assert "review: Fides marks no primary key; email was assumed" in result.yaml
    assert "review: the Fides identity 'account_number' is read as a customer number" in result.yaml
    assert tables["newsletter_subscriber"].primary_key == ["email"]  # fidesops_meta is read too


def test_a_malformed_file_is_reported_at_its_place() -> None:
    with pytest.raises(InvalidDocument) as caught:
        import_fides("dataset:\n  - fides_key: x\n    collections: nope\n", "bad.yaml")
    issue = caught.value.issues[0]
    assert (issue.file, issue.line) == ("bad.yaml", 3)
    with pytest.raises(UnreadableInput):
        import_fides("dataset: [\n", "broken.yaml")
    with pytest.raises(InvalidDocument, match="no collection of this file holds personal data"):
        import_fides(
            "dataset:\n  - fides_key: x\n    collections:\n      - name: t\n"
            "        fields: [{name: id, data_categories: [system.operations]}]\n",
            "empty.yaml",
        )


def test_references_to_other_datasets_are_noted_not_linked() -> None:
    text = """\
dataset:
  - fides_key: app
    collections:
      - name: users
        fields:
          - {name: id, fides_meta: {primary_key: true}}
          - {name: email, data_categories: [user.contact.email], fides_meta: {identity: email}}
          - name: crm_id
            data_categories: [user.unique_id]
            fides_meta:
              references: [{dataset: crm, field: contacts.id, direction: to}]
"""
    result = import_fides(text, "app.yaml")
    users = _tables(result.datamap)["users"]
    assert all(ln.to is None for ln in users.links)
    assert "leads to another dataset (crm)" in result.yaml
