"""ISO 8601 durations as the law counts them: calendar years, months and days."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_PATTERN = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")


@dataclass(frozen=True, slots=True, order=False)
class Duration:
    """A calendar duration: years, months and days (weeks are folded into days)."""

    years: int = 0
    months: int = 0
    days: int = 0

    @classmethod
    def parse(cls, text: str) -> Duration:
        match = _PATTERN.match(text.strip().upper())
        if match is None or text.strip().upper() == "P":
            raise ValueError(
                f"{text!r} is not an ISO 8601 duration such as P3Y, P6M, P14D or P1Y6M"
            )
        years, months, weeks, days = (int(g) if g else 0 for g in match.groups())
        return cls(years=years, months=months, days=days + 7 * weeks)

    def iso(self) -> str:
        if not (self.years or self.months or self.days):
            return "P0D"
        parts = ["P"]
        if self.years:
            parts.append(f"{self.years}Y")
        if self.months:
            parts.append(f"{self.months}M")
        if self.days:
            parts.append(f"{self.days}D")
        return "".join(parts)

    def __str__(self) -> str:
        return self.iso()

    @property
    def total_months(self) -> int:
        return self.years * 12 + self.months

    def approx_days(self) -> float:
        """Days, with a year of 365.25 and a month of 30.44 days: for ordering only."""
        return self.years * 365.25 + self.months * (365.25 / 12) + self.days

    def add_to(self, start: date) -> date:
        """The date this duration after `start`, counting calendar months.

        A month after 31 January is the last day of February, as Art. 3(2)(c)
        of Regulation 1182/71 on time limits counts it.
        """
        month_index = start.month - 1 + self.total_months
        year = start.year + month_index // 12
        month = month_index % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        shifted = date(year, month, day)
        return date.fromordinal(shifted.toordinal() + self.days)

    def oldest_within(self, today: date) -> date:
        """The earliest start whose period has not run out on ``today``: the smallest day
        ``d`` with ``add_to(d) > today``. Whatever started before it has expired."""
        low = date.fromordinal(max(1, today.toordinal() - int(self.approx_days()) - 40))
        high = date.fromordinal(today.toordinal() + 1)
        while low < high:  # add_to is monotonic in the start day
            mid = date.fromordinal(low.toordinal() + (high.toordinal() - low.toordinal()) // 2)
            if self.add_to(mid) > today:
                high = mid
            else:
                low = date.fromordinal(mid.toordinal() + 1)
        return low

    def longer_than(self, other: Duration) -> bool:
        """True when this duration is longer than `other` from every start date."""
        return self.approx_days() > other.approx_days() + 3


def _coerce(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    if isinstance(value, str):
        return Duration.parse(value)
    raise ValueError("expected an ISO 8601 duration string such as P3Y or P14D")


DurationField = Annotated[
    Duration,
    BeforeValidator(_coerce),
    PlainSerializer(lambda d: d.iso(), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$",
            "description": "ISO 8601 duration: P3Y, P6M, P14D, P1Y6M",
        }
    ),
]
