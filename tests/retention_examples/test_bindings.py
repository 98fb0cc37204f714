"""What the examples' bindings taught the loader and the plan: a binding that would break a
promise of the policy is refused, and a hold in force elsewhere in the store is no conflict."""

from __future__ import annotations

import datetime as dt

import pytest

from privaat.core.datamap.loader import LoadedDataMap, load_datamap
from privaat.core.policy import load_policy
from privaat.core.retention import conflicts, sweeps
from privaat.errors import InvalidDocument
from privaat.examples import example_text
from tests.retention_examples.conftest import MAPS, map_text


def _load(company: str, *replacements: tuple[str, str]) -> LoadedDataMap:
    """The company's map with each ``(old, new)`` replaced once, checked against its policy."""
    text = map_text(company)
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    policy = load_policy(example_text(company)).policy
    return load_datamap(text, f"{company}.yaml", policy=policy, base_dir=MAPS)


def test_a_period_shorter_than_the_policys_minimum_is_refused() -> None:
    """JixawStudio keeps customer data "tenminste 7 (zeven) jaar": six is a broken promise."""
    with pytest.raises(InvalidDocument) as caught:
        _load("jixawstudio", ("ended_on, after: P7Y", "ended_on, after: P6Y"))
    assert "after P6Y is shorter than the policy's minimum P7Y for rule 'seven-years'" in str(
        caught.value
    )


def test_statistics_counted_by_the_customer_are_not_anonymous() -> None:
    """Jetstax promises aggregates "niet te herleiden tot een specifiek individu"."""
    with pytest.raises(InvalidDocument) as caught:
        _load("jetstax", ("- {column: action}", "- {column: customer_id}"))
    assert "'customer_id' links a row to a person" in str(caught.value)


def test_a_hold_declared_on_another_table_of_the_store_is_no_conflict() -> None:
    policy = load_policy(example_text("jixawstudio")).policy
    day = dt.date(2026, 1, 1)

    def customers(loaded: LoadedDataMap) -> list[str]:
        found = sweeps(policy, loaded.datamap, day)
        return conflicts(next(s for s in found if s.table == "customers"))

    # the invoices, under the fiscal hold, keep their customer: no conflict
    assert customers(_load("jixawstudio")) == []
    undeclared = _load("jixawstudio", ("hold: {id: fiscal-records, date: invoice_date}", ""))
    assert customers(undeclared) == [
        "rule 'seven-years' names hold 'fiscal-records', which no table of store "
        "'jixawstudio' is under: rows the law keeps may be deleted here"
    ]
