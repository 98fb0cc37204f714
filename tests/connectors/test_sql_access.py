"""Access through the SQL connector: the person's rows, all of them, and nobody else's."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from privaat.connectors.base import Connector, Person, Step
from privaat.core.datamap.model import IdentityKind
from privaat.errors import UsageError
from tests import companydb
from tests.connectors.conftest import JAN


def _exported(connector: Connector, person: Person) -> tuple[dict[str, set[Any]], list[str]]:
    """Table -> ids exported, and every exported value as text."""
    ids: dict[str, set[Any]] = {}
    values: list[str] = []
    for collection in connector.export(person):
        at = collection.columns.index("id")
        for row in collection.rows:
            ids.setdefault(collection.table, set()).add(row[at])
            values.extend(str(v) for v in row)
    return ids, values


def test_access_exports_every_row_of_the_person_and_no_other(connector: Connector) -> None:
    ids, values = _exported(connector, JAN)

    assert ids == companydb.JAN_ROWS
    everything = "\n".join(values).lower()
    for planted in companydb.planted_values():
        assert planted.lower() in everything, planted


def test_rows_that_only_mention_the_person_are_a_separate_collection(
    connector: Connector,
) -> None:
    read = {(c.table, c.mentions): (c.columns, list(c.rows)) for c in connector.export(JAN)}
    columns, rows = read[("tickets", True)]

    assert [r[0] for r in rows] == [3]
    assert columns == ("id", "title", "body")  # not Eva's client id
    assert "jan.peeters@example.be" in rows[0][2].lower()
    assert sorted(r[0] for r in read[("tickets", False)][1]) == [1, 2]


def test_rows_must_be_read_before_the_next_collection(connector: Connector) -> None:
    collections = list(connector.export(JAN))

    with pytest.raises(UsageError, match="before asking"):
        list(collections[0].rows)


def test_collections_carry_categories_and_what_the_person_provided(
    connector: Connector,
) -> None:
    clients = next(c for c in connector.export(JAN) if c.table == "clients")
    row = dict(zip(clients.columns, next(clients.rows), strict=True))

    assert row["email"] == companydb.PERSON.email
    assert clients.categories["email"] == "user.contact.email"
    assert "created_at" in clients.columns
    assert "created_at" not in clients.categories
    assert "email" in clients.provided
    assert "customer_number" not in clients.provided


def test_plan_access_counts_what_the_export_holds(connector: Connector) -> None:
    lines = connector.plan_access(JAN)

    assert {line.step for line in lines} == {Step.EXPORT}
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.table] = counts.get(line.table, 0) + line.rows
    assert counts == {table: len(ids) for table, ids in companydb.JAN_ROWS.items()}
    mention = next(line for line in lines if line.detail)
    assert (mention.table, mention.rows, mention.examples) == ("tickets", 1, ("3",))
    assert all("@" not in example for line in lines for example in line.examples)


def test_expand_by_customer_number_finds_the_rows_that_hold_only_the_email(
    connector: Connector,
) -> None:
    by_number = Person.of(customer_number=companydb.PERSON.customer_number)

    expanded = connector.expand(by_number)
    ids, _ = _exported(connector, by_number)

    assert companydb.PERSON.email in expanded.values(IdentityKind.EMAIL)
    assert companydb.PERSON.phone in expanded.values(IdentityKind.PHONE)
    assert ids["newsletter"] == {1}
    assert ids["mail_queue"] == {1, 2}
    assert ids == companydb.JAN_ROWS


def test_an_identity_in_other_capitals_is_the_same_person(connector: Connector) -> None:
    ids, _ = _exported(connector, Person.of(email="Jan.PEETERS@Example.be"))

    assert ids["tickets"] == {1, 2, 3}  # ticket 2 holds the address in capitals


def test_a_person_the_store_does_not_know_has_no_rows(connector: Connector) -> None:
    nobody = Person.of(email="nobody@example.org")

    assert connector.plan_access(nobody) == []
    assert list(connector.export(nobody)) == []
    assert connector.plan_erasure([nobody]) == [[]]


def test_a_longer_identity_does_not_match_the_start_of_a_column(
    connector: Connector, company_engine: Engine
) -> None:
    # newsletter.email holds 190 characters: a longer value must not be cut to fit.
    full = "a" * 180 + "@x.example"
    with company_engine.begin() as conn:
        conn.execute(
            sa.insert(companydb.newsletter).values(
                id=4, email=full, subscribed_at=dt.datetime(2025, 1, 1), deleted=False
            )
        )

    assert connector.plan_access(Person.of(email=full + "-longer")) == []
    assert [line.table for line in connector.plan_access(Person.of(email=full))] == ["newsletter"]
