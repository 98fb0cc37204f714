"""The reply deadline of a rights request: calendar months as Regulation 1182/71 counts them."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privaat.core import deadlines
from privaat.core.deadlines import (
    TIMEZONE,
    Urgency,
    add_months,
    due_date,
    end_of_day,
    extended_due,
    extension_refusal,
    is_due_within,
    longest_extension,
    reply_due,
    urgency,
)
from privaat.core.duration import Duration

dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2200, 12, 31))
months = st.integers(min_value=0, max_value=36)
moments = st.datetimes(
    min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)
)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (dt.date(2026, 1, 15), dt.date(2026, 2, 15)),
        (dt.date(2026, 1, 31), dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), dt.date(2028, 2, 29)),  # a leap year
        (dt.date(2026, 1, 29), dt.date(2026, 2, 28)),
        (dt.date(2026, 3, 31), dt.date(2026, 4, 30)),
        (dt.date(2026, 12, 31), dt.date(2027, 1, 31)),
        (dt.date(2026, 2, 28), dt.date(2026, 3, 28)),
    ],
)
def test_one_month_ends_on_the_same_date_or_the_months_last_day(
    received: dt.date, due: dt.date
) -> None:
    assert add_months(received, 1) == due


@given(dates, months)
def test_adding_months_keeps_the_day_or_takes_the_last_one(start: dt.date, n: int) -> None:
    result = add_months(start, n)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == n
    last = calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(start.day, last)


@given(dates, months, months)
def test_adding_months_never_runs_past_adding_them_in_one_go(
    start: dt.date, a: int, b: int
) -> None:
    # (d + a) + b can lose days at a short month, never gain them
    assert add_months(add_months(start, a), b) <= add_months(start, a + b)


@given(dates, months)
def test_adding_months_is_monotonic(start: dt.date, n: int) -> None:
    assert add_months(start, n) <= add_months(start, n + 1)
    later = start + dt.timedelta(days=1)
    assert add_months(start, n) <= add_months(later, n)


@given(dates, months)
def test_the_core_agrees_with_the_policy_durations(start: dt.date, n: int) -> None:
    assert add_months(start, n) == Duration(months=n).add_to(start)


@given(moments)
def test_the_reply_is_due_at_the_end_of_the_local_day_a_month_on(received: dt.datetime) -> None:
    due = reply_due(received)
    local_received = received.astimezone(TIMEZONE).date()
    local_due = due.astimezone(TIMEZONE)
    assert local_due.date() == add_months(local_received, 1)
    assert (local_due + dt.timedelta(microseconds=1)).time() == dt.time(0, 0)
    assert due > received


def test_the_day_of_receipt_is_the_day_in_brussels() -> None:
    # 23:30 UTC on 31 January is already 1 February in Brussels
    received = dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC)
    assert reply_due(received).astimezone(TIMEZONE).date() == dt.date(2026, 3, 1)


def test_a_shorter_promise_in_the_policy_wins() -> None:
    received = dt.date(2026, 1, 31)
    assert due_date(received, 1, Duration(days=14)) == dt.date(2026, 2, 14)
    assert due_date(received, 1, Duration(days=30)) == dt.date(2026, 2, 28)  # law is earlier
    assert due_date(dt.date(2026, 3, 1), 1, Duration(days=30)) == dt.date(2026, 3, 31)


@given(moments, st.sampled_from([1, 2]))
def test_an_extension_counts_from_receipt(received: dt.datetime, n: int) -> None:
    local = received.astimezone(TIMEZONE).date()
    assert extended_due(received, n).astimezone(TIMEZONE).date() == add_months(local, 1 + n)
    assert extended_due(received, n) > reply_due(received)


def test_an_extension_of_two_months_ends_three_months_after_receipt() -> None:
    received = dt.datetime(2026, 1, 31, 9, tzinfo=dt.UTC)
    assert extended_due(received, 2) == end_of_day(dt.date(2026, 4, 30))
    with pytest.raises(ValueError, match="1 to 2 months"):
        extended_due(received, 3)


def test_a_policy_can_promise_a_shorter_extension() -> None:
    assert longest_extension(None) == 2
    assert longest_extension(Duration(months=1)) == 1
    assert longest_extension(Duration(days=60)) == 2
    assert longest_extension(Duration(days=14)) == 0
    received = dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC)
    assert extended_due(received, 2, Duration(days=20)) == end_of_day(dt.date(2026, 3, 2))


def test_an_extension_is_decided_once_and_before_the_first_deadline() -> None:
    due = reply_due(dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC))
    assert extension_refusal(due_at=due, extended_until=None, now=due) is None
    later = due + dt.timedelta(seconds=1)
    assert "first deadline has passed" in (
        extension_refusal(due_at=due, extended_until=None, now=later) or ""
    )
    assert "extended already" in (
        extension_refusal(due_at=due, extended_until=due, now=due - dt.timedelta(days=3)) or ""
    )


@given(moments, st.integers(min_value=-2000, max_value=2000), st.integers(0, 60))
def test_urgency_classifies_every_moment(due: dt.datetime, offset_h: int, soon: int) -> None:
    now = due + dt.timedelta(hours=offset_h)
    kind = urgency(due, now, soon)
    assert (kind is Urgency.OVERDUE) == (now > due)
    if kind is Urgency.DUE_SOON:
        assert is_due_within(due, now, soon)
        assert due - now <= dt.timedelta(days=soon)
    if kind is Urgency.ON_TIME:
        assert due - now > dt.timedelta(days=soon)


def test_effective_due_is_the_extended_one() -> None:
    a = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    b = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert deadlines.effective_due(a, None) == a
    assert deadlines.effective_due(a, b) == b


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        reply_due(dt.datetime(2026, 1, 1))
