"""Retention periods as the law counts them, and bindings checked against the policy."""

from __future__ import annotations

import datetime as dt
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privaat.core.datamap.loader import load_datamap
from privaat.core.duration import Duration
from privaat.core.policy.loader import load_policy
from privaat.core.policy.model import Policy
from privaat.core.retention import conflicts, cutoff, last_boundary, next_boundary, sweeps
from privaat.errors import InvalidDocument, UsageError

days = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31))
durations = st.builds(
    Duration,
    years=st.integers(0, 12),
    months=st.integers(0, 14),
    days=st.integers(0, 60),
)


def _policy(name: str) -> Policy:
    text = resources.files("privaat.examples").joinpath(f"{name}.yaml").read_text("utf-8")
    return load_policy(text, f"{name}.yaml").policy


@given(durations, days, days)
def test_a_row_expires_exactly_when_its_period_has_run_out(
    period: Duration, start: dt.date, today: dt.date
) -> None:
    """Expired on ``today`` (start before the cutoff) exactly when start + period <= today."""
    assert (start < period.oldest_within(today)) == (period.add_to(start) <= today)


@given(days)
def test_a_yearly_schedule_clears_on_the_first_of_january(today: dt.date) -> None:
    yearly = Duration(years=1)
    assert last_boundary(yearly, today) == dt.date(today.year, 1, 1)
    assert next_boundary(yearly, today) == dt.date(today.year + 1, 1, 1)


@given(days, st.sampled_from([1, 2, 3, 6]))
def test_a_monthly_schedule_clears_on_the_first_of_its_months(today: dt.date, months: int) -> None:
    every = Duration(months=months)
    boundary = last_boundary(every, today)
    assert boundary.day == 1
    assert (boundary.month - 1) % months == 0
    assert boundary <= today < next_boundary(every, boundary)


def test_calendar_months_as_the_law_counts_them() -> None:
    one_month = Duration(months=1)
    # 31 January + one month is the last day of February: kept up to 27 February 2025
    assert one_month.add_to(dt.date(2025, 1, 31)) == dt.date(2025, 2, 28)
    assert one_month.oldest_within(dt.date(2025, 2, 27)) == dt.date(2025, 1, 28)
    assert one_month.oldest_within(dt.date(2025, 2, 28)) == dt.date(2025, 2, 1)
    # P0D: gone on the first sweep after the trigger (the procedure closed today)
    assert Duration().oldest_within(dt.date(2025, 5, 5)) == dt.date(2025, 5, 6)


def test_a_schedule_and_a_maximum_together_take_the_earlier_end() -> None:
    rule = _policy("jensdev").retention_rule("contact_form_history")
    assert rule is not None
    assert cutoff(rule, rule.maximum, dt.date(2026, 11, 22)) == dt.date(2026, 1, 1)


_MAP = """\
datamap: 1
stores:
  - id: db
    connector: sqlite
    url: sqlite:///company.sqlite3
    tables:
      - name: customers
        primary_key: [id]
        person: true
        links:
          - {column: email, identity: email}
        fields:
          - {column: email, category: user.contact.email}
        created: created_at
        retention:
RETENTION
"""


def _load(retention: str, policy: str = "jsm") -> None:
    load_datamap(_MAP.replace("RETENTION", retention), "map.yaml", policy=_policy(policy))


@pytest.mark.parametrize(
    ("retention", "policy", "message"),
    [
        ("          - {rule: nope}", "jsm", "'nope' is not a retention rule of the policy"),
        ("          - {rule: inactivity}", "jsm", "bind it with scope: person"),
        ("          - {rule: contract_term}", "jsm", "name its date column with from"),
        (
            "          - {rule: contract_term, from: created_at}",
            "jsm",
            "states no maximum: bind it with after",
        ),
        (
            "          - {rule: inactivity, scope: person, after: P5Y}",
            "jsm",
            "after P5Y is longer than the policy's maximum P3Y",
        ),
        ("          - {rule: aggregation}", "jetstax", "say where with aggregate"),
        (
            "          - {rule: aggregation, after: P1Y, aggregate: {into: stats, by: "
            "[{column: email}]}}",
            "jetstax",
            "'email' is personal data",
        ),
        (
            "          - {rule: hosting_data, scope: person, from: created_at}\n"
            "          - {rule: hosting_data, scope: person, from: created_at}",
            "jensdev",
            "rule 'hosting_data' is bound twice",
        ),
    ],
)
def test_a_binding_the_policy_does_not_allow_is_an_error_at_its_place(
    retention: str, policy: str, message: str
) -> None:
    with pytest.raises(InvalidDocument) as caught:
        _load(retention, policy)
    found = [i for i in caught.value.issues if message in i.message]
    assert found, [i.message for i in caught.value.issues]
    assert found[0].line >= 16  # at the binding, below `retention:`


def test_sweeps_for_a_day_and_an_unknown_rule() -> None:
    policy = _policy("jsm")
    loaded = load_datamap(
        _MAP.replace("RETENTION", "          - {rule: inactivity, scope: person}"),
        "map.yaml",
        policy=policy,
    )
    [sweep] = sweeps(policy, loaded.datamap, dt.date(2026, 11, 22))
    assert sweep.key == "inactivity:db.customers"
    assert sweep.cutoff == dt.date(2023, 11, 23)  # three years: kept up to 22 November 2026
    assert sweep.start is None  # counted from the last activity
    with pytest.raises(UsageError, match="no retention rule 'nope'"):
        sweeps(policy, loaded.datamap, dt.date(2026, 11, 22), ["nope"])


def test_a_held_table_no_rule_binds_is_reported_for_a_person_sweep() -> None:
    policy = _policy("jensdev")
    text = _MAP.replace(
        "RETENTION", "          - {rule: customer_records, scope: person, from: created_at}"
    ) + (
        "      - name: invoices\n"
        "        primary_key: [id]\n"
        "        links:\n"
        "          - {column: customer_id, to: customers.id}\n"
        "        hold: {id: invoices, date: issued_on}\n"
    )
    loaded = load_datamap(text, "map.yaml", policy=policy)
    [sweep] = sweeps(policy, loaded.datamap, dt.date(2026, 11, 22))
    found = conflicts(sweep)
    assert any("'invoices' stay under its hold after the erasure" in c for c in found), found
