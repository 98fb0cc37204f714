"""Statutory holds as the law counts them: when a kept document may finally go.

Belgian invoices are kept 10 years and accounting books 7, counted from 1 January after the
year of the document; a hold with ``from_end_of_year: false`` runs from the document's date.
"""

from __future__ import annotations

import datetime as dt

from privaat.core.policy.model import StatutoryHold


def hold_ends(hold: StatutoryHold, document_date: dt.date) -> dt.date:
    """The first day the document is no longer under the hold."""
    start = dt.date(document_date.year + 1, 1, 1) if hold.from_end_of_year else document_date
    return hold.duration.add_to(start)


def held_since(hold: StatutoryHold, today: dt.date) -> dt.date:
    """The earliest document date still under the hold on ``today``.

    A document is held exactly when its date is on or after this day, so a store can select
    the held rows with one comparison on an indexed date column.
    """
    if hold.from_end_of_year:
        # The end depends on the document's year only: find the first year still held.
        year = today.year - hold.duration.years - 1
        while hold_ends(hold, dt.date(year, 1, 1)) <= today:
            year += 1
        return dt.date(year, 1, 1)
    return hold.duration.oldest_within(today)
