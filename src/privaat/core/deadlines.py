"""The reply deadline of a rights request, and its extension (GDPR Art. 12(3)).

A request is answered "without undue delay and in any event within one month of receipt";
the period "may be extended by two further months where necessary", and the person must be
told of the extension, with its reasons, within the first month.

Months are counted as Regulation 1182/71 (Art. 3(2)(c)) counts them: the period ends at the
end of the day of the last month that has the same date as the day of receipt, or at the end
of that month's last day when it has no such date (received 31 January: due 28 or 29
February). Days are the days of Belgium and the Netherlands (Europe/Brussels). A policy
that promises a shorter deadline (``rights.deadline``) or a shorter extension
(``rights.extension``) is held to its promise: the earlier date wins.

Pure: dates and times in, dates and times out.
"""

from __future__ import annotations

import calendar
import datetime as dt
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

from privaat.core.duration import Duration

#: The time zone whose days count (Belgium and the Netherlands share it).
TIMEZONE: Final = ZoneInfo("Europe/Brussels")

#: The law's reply period and the longest extension, in months (Art. 12(3)).
REPLY_MONTHS: Final = 1
MAX_EXTENSION_MONTHS: Final = 2


def add_months(start: dt.date, months: int) -> dt.date:
    """The date `months` calendar months after `start`: the same day of the month, or the
    month's last day when it has no such day (31 January + 1 month = 28/29 February)."""
    if months < 0:
        raise ValueError("months must not be negative")
    index = start.month - 1 + months
    year = start.year + index // 12
    month = index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def local_date(at: dt.datetime) -> dt.date:
    """The day `at` falls on in Belgium and the Netherlands."""
    if at.tzinfo is None:
        raise ValueError("a deadline needs a timezone-aware time")
    return at.astimezone(TIMEZONE).date()


def end_of_day(day: dt.date) -> dt.datetime:
    """The last moment of `day` in Belgium and the Netherlands, in UTC."""
    return dt.datetime.combine(day, dt.time.max, TIMEZONE).astimezone(dt.UTC)


def due_date(received: dt.date, months: int, promised: Duration | None = None) -> dt.date:
    """The last day of a period of `months` from `received`, or earlier when the policy
    promised a shorter one (`promised` counted from the same day)."""
    law = add_months(received, months)
    if promised is None:
        return law
    return min(law, promised.add_to(received))


def reply_due(received_at: dt.datetime, promised: Duration | None = None) -> dt.datetime:
    """When the reply is due: the end of the day one month after receipt (or the policy's
    shorter promise)."""
    return end_of_day(due_date(local_date(received_at), REPLY_MONTHS, promised))


def extended_due(
    received_at: dt.datetime, months: int, promised: Duration | None = None
) -> dt.datetime:
    """The due time after an extension of `months` further months (1 or 2), counted from
    receipt, so that two months more end three months after receipt; a policy that allows a
    shorter extension (`promised`) is held to it."""
    if months not in range(1, MAX_EXTENSION_MONTHS + 1):
        raise ValueError(f"an extension is 1 to {MAX_EXTENSION_MONTHS} months")
    received = local_date(received_at)
    day = add_months(received, REPLY_MONTHS + months)
    if promised is not None:
        day = min(day, promised.add_to(add_months(received, REPLY_MONTHS)))
    return end_of_day(day)


def longest_extension(promised: Duration | None) -> int:
    """The most months a request may be extended by: the law's two, or fewer when the
    policy promises a shorter extension (none when it promises less than a month)."""
    if promised is None:
        return MAX_EXTENSION_MONTHS
    for months in range(MAX_EXTENSION_MONTHS, 0, -1):
        if not Duration(months=months).longer_than(promised):
            return months
    return 0


def extension_refusal(
    *, due_at: dt.datetime, extended_until: dt.datetime | None, now: dt.datetime
) -> str | None:
    """Why a request cannot be extended now (None when it can): only once, and only
    before the first deadline has passed (the person must be told within the first month)."""
    if extended_until is not None:
        return "the request has been extended already (an extension is decided once)"
    if now > due_at:
        return "the first deadline has passed: an extension must be decided and told before it"
    return None


# --------------------------------------------------------------------------- urgency


class Urgency(StrEnum):
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    ON_TIME = "on_time"


def effective_due(due_at: dt.datetime, extended_until: dt.datetime | None) -> dt.datetime:
    """The deadline in force: the extended one if there is one."""
    return extended_until if extended_until is not None else due_at


def is_overdue(due: dt.datetime, now: dt.datetime) -> bool:
    return now > due


def is_due_within(due: dt.datetime, now: dt.datetime, days: int) -> bool:
    """Not overdue yet, and due within `days` days from `now`."""
    if days < 0:
        raise ValueError("days must not be negative")
    return now <= due <= now + dt.timedelta(days=days)


def urgency(due: dt.datetime, now: dt.datetime, soon_days: int = 7) -> Urgency:
    """Overdue, due within `soon_days`, or on time."""
    if is_overdue(due, now):
        return Urgency.OVERDUE
    if is_due_within(due, now, soon_days):
        return Urgency.DUE_SOON
    return Urgency.ON_TIME
