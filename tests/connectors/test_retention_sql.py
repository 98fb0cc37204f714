"""Retention sweeps through the SQL connector, travelling through the years on real SQLite,
PostgreSQL and MariaDB (the shop database of tests/retentiondb.py).

Every sweep a test makes is planned first: the plan changes nothing, and the counts it
announces are what the run then reports (the lines of the batches, per table and step). After
every sweep the database's foreign keys still hold.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from privaat.connectors.base import ConnectContext, PlanLine, Retainer, Step, SweepBatch
from privaat.connectors.registry import connect
from privaat.connectors.sql import retain
from privaat.core.datamap.model import RetentionScope
from privaat.core.retention import Sweep, conflicts, sweeps
from tests import retentiondb as db

MASKING_KEY = b"test-masking-key-0123456789abcdef"
T = dt.datetime


@pytest.fixture(params=db.BACKENDS)
def shop_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return db.make_shop(request, tmp_path)


class Shop:
    """The shop database and the map's store, swept on any day."""

    def __init__(self, url: str, tmp_path: Path) -> None:
        self.url = url
        self.tmp_path = tmp_path
        self.engine = sa.create_engine(url)
        self.datamap = db.datamap(db.connector_of(url))

    def sweep(self, rule: str, table: str, day: dt.date) -> Sweep:
        found = [s for s in sweeps(db.policy(), self.datamap, day, [rule]) if s.table == table]
        assert len(found) == 1, found
        return found[0]

    @contextmanager
    def connector(self, day: dt.date) -> Iterator[Retainer]:
        context = ConnectContext(
            policy=db.policy(),
            base_dir=self.tmp_path,
            environ={db.URL_ENV: self.url},
            masking_key=MASKING_KEY,
            today=day,  # holds end on this day
        )
        made = connect(self.datamap.store("shop"), context)
        try:
            assert isinstance(made, Retainer)
            yield made
        finally:
            made.close()

    def plan(self, rule: str, table: str, day: dt.date) -> list[PlanLine]:
        with self.connector(day) as connector:
            return connector.plan_retention(self.sweep(rule, table, day))

    def run(self, rule: str, table: str, day: dt.date) -> list[SweepBatch]:
        with self.connector(day) as connector:
            return list(connector.sweep(self.sweep(rule, table, day)))

    def on(self, rule: str, table: str, day: dt.date) -> tuple[list[PlanLine], list[SweepBatch]]:
        """Plan (which changes nothing), run, and check that the run did what the plan said
        and that every foreign key still holds."""
        sweep = self.sweep(rule, table, day)
        with self.connector(day) as connector:
            before = db.dump(self.engine)
            planned = connector.plan_retention(sweep)
            assert db.dump(self.engine) == before, "a plan changed the database"
            batches = list(connector.sweep(sweep))
        if sweep.scope is RetentionScope.PERSON:
            assert sum(line.rows for line in planned) == sum(b.rows for b in batches)
        else:
            ran = [line for b in batches for line in b.lines]
            assert counts(planned) == counts(ran), f"plan {counts(planned)} != run {counts(ran)}"
        assert db.dangling(self.engine) == []
        return planned, batches

    def ids(self, table: sa.Table) -> set[int]:
        return db.ids(self.engine, table)

    def insert(self, table: sa.Table, *rows: dict[str, Any]) -> None:
        db.insert(self.engine, table, list(rows))


def counts(lines: Any) -> Counter[tuple[str, Step]]:
    """Rows per table and step, without the held rows (a plan reports them, a run keeps
    them)."""
    out: Counter[tuple[str, Step]] = Counter()
    for line in lines:
        if line.step is not Step.HOLD:
            out[line.table, line.step] += line.rows
    return +out


def swept(batches: Sequence[SweepBatch]) -> int:
    return sum(b.rows for b in batches)


@pytest.fixture
def shop(shop_url: str, tmp_path: Path) -> Iterator[Shop]:
    made = Shop(shop_url, tmp_path)
    yield made
    made.engine.dispose()


def _people(n: int, start: int = 1) -> list[str]:
    return [f"person{i}@example.be" for i in range(start, start + n)]


# --------------------------------------------------------------------------- time travel


def test_rows_go_on_the_day_their_period_ends_not_a_day_earlier(shop: Shop) -> None:
    a, b, c, d = _people(4)
    shop.insert(
        db.leads,
        {"id": 1, "email": a, "created_at": T(2023, 3, 15, 18, 30)},
        {"id": 2, "email": b, "created_at": T(2023, 3, 16, 0, 0)},
        {"id": 3, "email": c, "created_at": T(2025, 1, 1, 9, 0)},
    )

    planned, batches = shop.on("collected", "leads", dt.date(2026, 3, 14))
    assert planned == []
    assert swept(batches) == 0
    assert shop.ids(db.leads) == {1, 2, 3}  # the day before: still there

    planned, batches = shop.on("collected", "leads", dt.date(2026, 3, 15))
    assert counts(planned) == {("leads", Step.DELETE): 1}
    assert swept(batches) == 1
    assert shop.ids(db.leads) == {2, 3}  # on the day: gone, whatever the time it came in
    # a row that appears that day ages from now on
    shop.insert(db.leads, {"id": 4, "email": d, "created_at": T(2026, 3, 15, 12, 0)})

    shop.on("collected", "leads", dt.date(2026, 3, 16))
    assert shop.ids(db.leads) == {3, 4}
    shop.on("collected", "leads", dt.date(2027, 12, 31))
    assert shop.ids(db.leads) == {3, 4}
    shop.on("collected", "leads", dt.date(2028, 1, 1))
    assert shop.ids(db.leads) == {4}
    shop.on("collected", "leads", dt.date(2029, 3, 14))
    assert shop.ids(db.leads) == {4}
    _, batches = shop.on("collected", "leads", dt.date(2029, 3, 15))
    assert shop.ids(db.leads) == set()
    assert swept(batches) == 1


def test_a_month_is_counted_in_calendar_months(shop: Shop) -> None:
    emails = _people(5)
    started = {
        1: dt.date(2025, 1, 31),  # 31 January + P1M = 28 February (2025 is no leap year)
        2: dt.date(2025, 1, 28),  # also 28 February
        3: dt.date(2025, 1, 27),  # 27 February
        4: dt.date(2025, 2, 28),  # 28 March, not 31 March
        5: dt.date(2024, 1, 31),  # 29 February 2024
    }
    shop.insert(
        db.trials,
        *({"id": i, "email": emails[i - 1], "started_on": day} for i, day in started.items()),
    )

    shop.on("monthly", "trials", dt.date(2024, 2, 28))
    assert shop.ids(db.trials) == {1, 2, 3, 4, 5}
    shop.on("monthly", "trials", dt.date(2024, 2, 29))
    assert shop.ids(db.trials) == {1, 2, 3, 4}
    shop.on("monthly", "trials", dt.date(2025, 2, 26))
    assert shop.ids(db.trials) == {1, 2, 3, 4}
    shop.on("monthly", "trials", dt.date(2025, 2, 27))
    assert shop.ids(db.trials) == {1, 2, 4}
    shop.on("monthly", "trials", dt.date(2025, 2, 28))
    assert shop.ids(db.trials) == {4}
    shop.on("monthly", "trials", dt.date(2025, 3, 27))
    assert shop.ids(db.trials) == {4}
    shop.on("monthly", "trials", dt.date(2025, 3, 28))
    assert shop.ids(db.trials) == set()


def test_a_yearly_schedule_clears_everything_started_before_1_january(shop: Shop) -> None:
    emails = _people(4)
    sent = [T(2025, 1, 1, 0, 0), T(2025, 6, 30, 12, 0), T(2025, 12, 31, 23, 59), T(2026, 1, 1)]
    shop.insert(
        db.forms,
        *(
            {"id": i, "email": e, "sent_at": s}
            for i, (e, s) in enumerate(zip(emails, sent, strict=True), 1)
        ),
    )

    planned, _ = shop.on("yearly", "forms", dt.date(2025, 12, 31))
    assert planned == []
    assert shop.ids(db.forms) == {1, 2, 3, 4}
    planned, _ = shop.on("yearly", "forms", dt.date(2026, 1, 1))
    assert counts(planned) == {("forms", Step.DELETE): 3}
    assert shop.ids(db.forms) == {4}
    shop.on("yearly", "forms", dt.date(2026, 12, 31))
    assert shop.ids(db.forms) == {4}
    shop.on("yearly", "forms", dt.date(2027, 1, 1))
    assert shop.ids(db.forms) == set()


def test_a_closed_procedure_goes_the_day_it_closes_an_open_one_never(shop: Shop) -> None:
    emails = _people(5)
    shop.insert(
        db.procedures,
        {"id": 1, "email": emails[0], "status": "closed", "closed_on": dt.date(2026, 5, 10)},
        {"id": 2, "email": emails[1], "status": "open", "closed_on": None},
        {"id": 3, "email": emails[2], "status": "open", "closed_on": dt.date(2020, 1, 1)},
        {"id": 4, "email": emails[3], "status": "closed", "closed_on": None},
        {"id": 5, "email": emails[4], "status": "closed", "closed_on": dt.date(2026, 5, 11)},
    )

    shop.on("procedures", "procedures", dt.date(2026, 5, 9))
    assert shop.ids(db.procedures) == {1, 2, 3, 4, 5}
    planned, _ = shop.on("procedures", "procedures", dt.date(2026, 5, 10))
    assert counts(planned) == {("procedures", Step.DELETE): 1}
    assert shop.ids(db.procedures) == {2, 3, 4, 5}
    shop.on("procedures", "procedures", dt.date(2026, 5, 11))
    assert shop.ids(db.procedures) == {2, 3, 4}
    planned, _ = shop.on("procedures", "procedures", dt.date(2060, 1, 1))
    assert planned == []
    assert shop.ids(db.procedures) == {2, 3, 4}  # open (whatever the date) or never closed


def test_cancelled_hosting_goes_14_days_after_the_cancellation(shop: Shop) -> None:
    a, b, c = _people(3)
    shop.insert(
        db.hosting,
        {"id": 1, "email": a, "cancelled_at": T(2026, 3, 1, 23, 59)},
        {"id": 2, "email": b, "cancelled_at": None},  # still a customer: never expires
        {"id": 3, "email": c, "cancelled_at": T(2026, 3, 2, 0, 0)},
    )

    shop.on("hosting_data", "hosting", dt.date(2026, 3, 14))
    assert shop.ids(db.hosting) == {1, 2, 3}
    shop.on("hosting_data", "hosting", dt.date(2026, 3, 15))
    assert shop.ids(db.hosting) == {2, 3}
    shop.on("hosting_data", "hosting", dt.date(2026, 3, 16))
    assert shop.ids(db.hosting) == {2}
    shop.on("hosting_data", "hosting", dt.date(2099, 12, 31))
    assert shop.ids(db.hosting) == {2}


# --------------------------------------------------------------------------- holds


def _customer(
    cid: int, email: str, created: dt.datetime, last: dt.datetime | None
) -> dict[str, Any]:
    return {
        "id": cid,
        "email": email,
        "name": f"Klant {cid}",
        "created_at": created,
        "last_login_at": last,
    }


def _bill(bid: int, customer: int, issued: dt.date, email: str) -> dict[str, Any]:
    return {
        "id": bid,
        "customer_id": customer,
        "issued_on": issued,
        "buyer_name": f"Klant {customer}",
        "buyer_email": email,
        "buyer_address": f"Kerkstraat {customer}, 9000 Gent",
    }


def test_held_bills_stay_until_the_hold_ends_their_uncovered_fields_masked(shop: Shop) -> None:
    (a,) = _people(1)
    shop.insert(db.customers, _customer(1, a, T(2024, 1, 1), T(2026, 1, 1)))
    shop.insert(
        db.bills,
        _bill(1, 1, dt.date(2024, 3, 1), a),  # held until 1 January 2035
        _bill(2, 1, dt.date(2024, 12, 31), a),  # also until 1 January 2035
        _bill(3, 1, dt.date(2025, 6, 1), a),  # until 1 January 2036
    )
    shop.insert(
        db.bill_lines,
        {"id": 1, "bill_id": 1, "description": "Hosting S"},
        {"id": 2, "bill_id": 3, "description": "Hosting M"},
    )
    sweep = shop.sweep("billing", "bills", dt.date(2024, 3, 15))
    found = conflicts(sweep)
    assert any("under hold 'invoices'" in c and "does not name" in c for c in found), found
    assert any("P14D" in c and "P10Y" in c for c in found), found

    planned, _ = shop.on("billing", "bills", dt.date(2024, 3, 14))
    assert planned == []
    planned, batches = shop.on("billing", "bills", dt.date(2024, 3, 15))
    held = [line for line in planned if line.step is Step.HOLD]
    assert [(h.rows, h.until) for h in held] == [(1, dt.date(2035, 1, 1))]
    assert counts(planned) == {("bills", Step.MASK): 1}
    assert swept(batches) == 0  # nothing went
    bills = db.rows(shop.engine, db.bills)
    assert bills[1]["buyer_email"] is None  # the hold does not need the e-mail address
    assert bills[1]["buyer_name"] == "Klant 1"  # nor does it lose what it needs
    assert bills[1]["buyer_address"] == "Kerkstraat 1, 9000 Gent"
    assert bills[2]["buyer_email"] == a  # not expired yet

    # masked once: the next sweep has nothing left to mask, and says the hold again
    planned, _ = shop.on("billing", "bills", dt.date(2024, 3, 16))
    assert counts(planned) == {}
    assert [(h.step, h.rows, h.until) for h in planned] == [(Step.HOLD, 1, dt.date(2035, 1, 1))]

    planned, _ = shop.on("billing", "bills", dt.date(2034, 12, 31))
    held = [line for line in planned if line.step is Step.HOLD]
    assert [(h.rows, h.until) for h in held] == [(3, dt.date(2036, 1, 1))]
    assert "2035-01-01" in held[0].detail  # the first ones are released then
    assert counts(planned) == {("bills", Step.MASK): 2}
    assert shop.ids(db.bills) == {1, 2, 3}
    assert {r["buyer_email"] for r in db.rows(shop.engine, db.bills).values()} == {None}

    planned, batches = shop.on("billing", "bills", dt.date(2035, 1, 1))
    assert counts(planned) == {("bills", Step.DELETE): 2, ("bill_lines", Step.CASCADE): 1}
    assert [(h.rows, h.until) for h in planned if h.step is Step.HOLD] == [(1, dt.date(2036, 1, 1))]
    assert swept(batches) == 2
    assert shop.ids(db.bills) == {3}
    assert shop.ids(db.bill_lines) == {2}  # the database's cascade
    shop.on("billing", "bills", dt.date(2035, 12, 31))
    assert shop.ids(db.bills) == {3}
    shop.on("billing", "bills", dt.date(2036, 1, 1))
    assert shop.ids(db.bills) == set()


# --------------------------------------------------------------------------- foreign keys


def test_expired_parents_go_in_the_order_their_foreign_keys_allow(shop: Shop) -> None:
    emails = _people(8)
    old, young = dt.date(2020, 1, 1), dt.date(2022, 6, 1)
    shop.insert(
        db.accounts,
        *({"id": i, "email": emails[i - 1], "created_on": old} for i in range(1, 7)),
        {"id": 7, "email": emails[6], "created_on": young},
        {"id": 8, "email": emails[7], "created_on": old},
    )
    shop.insert(
        db.sessions,
        {"id": 1, "account_id": 1, "token": "t1"},  # RESTRICT, mapped erase: delete
        {"id": 2, "account_id": 1, "token": "t2"},
        {"id": 3, "account_id": 7, "token": "t3"},
        {"id": 4, "account_id": 8, "token": "t4"},  # kept by its flag: so is account 8
    )
    shop.insert(db.session_flags, {"id": 1, "session_id": 4, "flag": "fraud"})
    shop.insert(
        db.session_events,
        {"id": 1, "session_id": 1, "at": T(2020, 1, 2)},  # and theirs, recursively
        {"id": 2, "session_id": 2, "at": T(2020, 1, 3)},
        {"id": 3, "session_id": 3, "at": T(2022, 6, 2)},
    )
    shop.insert(
        db.notes,
        {"id": 1, "account_id": 2, "body": "nullable, unmapped"},
        {"id": 2, "account_id": 7, "body": "of a young account"},
    )
    shop.insert(db.ledger, {"id": 1, "account_id": 3, "amount": 100})  # NOT NULL, stays
    shop.insert(
        db.receipts,
        {"id": 1, "account_id": 4, "issued_on": dt.date(2022, 6, 1), "payer_email": emails[3]},
        {"id": 2, "account_id": 5, "issued_on": dt.date(2010, 1, 1), "payer_email": emails[4]},
    )

    shop.on("collected", "accounts", dt.date(2022, 12, 31))
    assert shop.ids(db.accounts) == set(range(1, 9))

    planned, batches = shop.on("collected", "accounts", dt.date(2023, 1, 1))
    assert swept(batches) == 7
    assert shop.ids(db.accounts) == {3, 4, 7, 8}
    assert shop.ids(db.sessions) == {3, 4}
    assert db.rows(shop.engine, db.sessions)[4]["token"] is None  # kept, masked
    assert shop.ids(db.session_events) == {3}
    assert db.rows(shop.engine, db.notes) == {
        1: {"id": 1, "account_id": None, "body": "nullable, unmapped"},
        2: {"id": 2, "account_id": 7, "body": "of a young account"},
    }
    assert shop.ids(db.ledger) == {1}
    assert shop.ids(db.receipts) == {1}  # held: its parent stays; the other cascaded
    accounts = db.rows(shop.engine, db.accounts)
    for kept in (3, 4, 8):  # kept for the rows that stay, and masked
        assert accounts[kept]["email"] != emails[kept - 1]
        assert accounts[kept]["email"].startswith("erased-")
    assert accounts[7]["email"] == emails[6]
    assert counts(planned) == {
        ("accounts", Step.DELETE): 4,
        ("accounts", Step.MASK): 3,
        ("sessions", Step.DELETE): 2,
        ("sessions", Step.MASK): 1,
        ("session_events", Step.DELETE): 2,
        ("notes", Step.UNLINK): 1,
        ("receipts", Step.CASCADE): 1,
    }

    # the kept parents were masked once: the next sweeps leave them as they are
    again, batches = shop.on("collected", "accounts", dt.date(2023, 1, 2))
    assert db.rows(shop.engine, db.accounts) == accounts
    assert counts(again) == {}


# --------------------------------------------------------------------------- anonymise


def test_anonymised_rows_are_masked_once(shop: Shop) -> None:
    a, b = _people(2)
    shop.insert(
        db.reviews,
        {
            "id": 1,
            "author_name": "An",
            "author_email": a,
            "rating": 4,
            "written_at": T(2024, 5, 1, 8),
        },
        {
            "id": 2,
            "author_name": "Bo",
            "author_email": b,
            "rating": 2,
            "written_at": T(2024, 6, 1, 8),
        },
        {
            "id": 3,
            "author_name": None,
            "author_email": None,
            "rating": 5,
            "written_at": T(2024, 6, 1),
        },
        {
            "id": 4,
            "author_name": "Cas",
            "author_email": None,
            "rating": 3,
            "written_at": T(2025, 1, 1),
        },
    )

    shop.on("anon", "reviews", dt.date(2025, 4, 30))
    planned, batches = shop.on("anon", "reviews", dt.date(2025, 6, 2))
    assert counts(planned) == {("reviews", Step.MASK): 2}
    assert swept(batches) == 2
    reviews = db.rows(shop.engine, db.reviews)
    assert [(r["author_name"], r["author_email"], r["rating"]) for r in reviews.values()] == [
        (None, None, 4),
        (None, None, 2),
        (None, None, 5),
        ("Cas", None, 3),
    ]

    planned, batches = shop.on("anon", "reviews", dt.date(2025, 6, 3))
    assert planned == []
    assert swept(batches) == 0
    assert db.rows(shop.engine, db.reviews) == reviews
    planned, batches = shop.on("anon", "reviews", dt.date(2026, 1, 1))
    assert counts(planned) == {("reviews", Step.MASK): 1}
    assert swept(batches) == 1
    planned, batches = shop.on("anon", "reviews", dt.date(2027, 1, 1))
    assert planned == []
    assert swept(batches) == 0
    assert db.ids(shop.engine, db.reviews) == {1, 2, 3, 4}


# --------------------------------------------------------------------------- aggregate


PATHS = ("/", "/prijzen", "/contact")
FILES = ("gids.pdf", "tarieven.pdf")


def _views(start: int, n: int, first: dt.date) -> list[dict[str, Any]]:
    return [
        {
            "id": start + i,
            "visitor_email": f"v{i % 7}@example.be" if i % 3 else None,
            "path": PATHS[i % len(PATHS)],
            "visited_at": dt.datetime.combine(
                first + dt.timedelta(days=i % 45), dt.time(i % 24, i % 60)
            ),
        }
        for i in range(n)
    ]


def _downloads(n: int, first: dt.date) -> list[dict[str, Any]]:
    return [
        {"id": i + 1, "email": None, "file": FILES[i % 2], "at": first + dt.timedelta(days=i % 70)}
        for i in range(n)
    ]


@pytest.mark.parametrize("small_batches", [False, True], ids=["one-batch", "7-row-batches"])
def test_aggregated_rows_are_counted_then_deleted(
    shop: Shop, small_batches: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if small_batches:
        monkeypatch.setattr(retain, "FIRST_BATCH", 7)
        monkeypatch.setattr(retain, "MIN_BATCH", 7)  # every batch 7 rows, however slow
        monkeypatch.setattr(retain, "MAX_BATCH", 7)
    views = _views(1, 300, dt.date(2025, 1, 1)) + _views(1001, 20, dt.date(2025, 6, 1))
    loads = _downloads(140, dt.date(2025, 1, 20))
    shop.insert(db.page_views, *views)
    shop.insert(db.downloads, *loads)
    day = dt.date(2025, 6, 1)  # cutoff 3 March 2025: the first 300 views have expired
    cutoff = shop.sweep("stats", "page_views", day).cutoff
    expired = [v for v in views if v["visited_at"].date() < cutoff]
    assert 0 < len(expired) < len(views)
    wanted = Counter((v["visited_at"].date(), v["path"]) for v in expired)

    planned, batches = shop.on("stats", "page_views", day)
    assert counts(planned) == {("page_views", Step.AGGREGATE): len(expired)}
    assert swept(batches) == len(expired)
    assert len(batches) == (-(-len(expired) // 7) if small_batches else 1)
    assert db.statistics(shop.engine)["page_view_stats"] == dict(wanted)
    assert shop.ids(db.page_views) == {v["id"] for v in views} - {v["id"] for v in expired}
    assert _unique_key(shop.engine, "page_view_stats") == {"day", "path"}

    loads_expired = [d for d in loads if d["at"] < cutoff]
    monthly = Counter((d["at"].replace(day=1), d["file"]) for d in loads_expired)
    shop.on("stats", "downloads", day)
    assert db.statistics(shop.engine)["download_stats"] == dict(monthly)

    # later, the rest is added to the rows already there
    shop.on("stats", "downloads", dt.date(2026, 1, 1))
    everything = Counter((d["at"].replace(day=1), d["file"]) for d in loads)
    assert db.statistics(shop.engine)["download_stats"] == dict(everything)
    assert shop.ids(db.downloads) == set()
    shop.on("stats", "page_views", dt.date(2026, 1, 1))
    every_view = Counter((v["visited_at"].date(), v["path"]) for v in views)
    assert db.statistics(shop.engine)["page_view_stats"] == dict(every_view)
    assert sum(every_view.values()) == len(views)


def _unique_key(engine: sa.Engine, table: str) -> set[str]:
    inspector = sa.inspect(engine)
    keys = [set(u["column_names"]) for u in inspector.get_unique_constraints(table)]
    keys += [
        {c for c in i["column_names"] if c is not None}
        for i in inspector.get_indexes(table)
        if i.get("unique")
    ]
    assert keys, f"{table} has no unique key"
    return keys[0]


# --------------------------------------------------------------------------- persons


def test_inactive_persons_are_erased_active_ones_kept(shop: Shop) -> None:
    emails = _people(6)
    old = T(2020, 1, 1, 10)
    shop.insert(
        db.customers,
        _customer(1, emails[0], T(2019, 5, 1), old),  # inactive, with a held bill
        _customer(2, emails[1], T(2019, 5, 1), old),  # signed in recently
        _customer(3, emails[2], T(2019, 5, 1), old),  # wrote to support recently
        _customer(4, emails[3], T(2020, 2, 1), None),  # never active, created long ago
        _customer(5, emails[4], T(2025, 1, 1), None),  # never active, created recently
        _customer(6, emails[5], T(2019, 5, 1), T(2026, 1, 1)),  # active
    )
    shop.insert(
        db.sign_ins,
        {"id": 1, "customer_id": 1, "ip": "203.0.113.1", "at": old},
        {"id": 2, "customer_id": 2, "ip": "203.0.113.2", "at": T(2025, 1, 1)},
    )
    shop.insert(
        db.support_requests,
        {"id": 1, "email": emails[0], "subject": "Factuur", "sent_at": old},
        {"id": 2, "email": emails[2].upper(), "subject": "Vraag", "sent_at": T(2025, 3, 1)},
    )
    shop.insert(
        db.bills,
        _bill(1, 1, dt.date(2023, 5, 1), emails[0]),  # held until 1 January 2034
        _bill(2, 1, dt.date(2012, 1, 1), emails[0]),  # its hold ended on 1 January 2023
        _bill(3, 6, dt.date(2024, 1, 1), emails[5]),
    )
    day = dt.date(2027, 6, 1)  # inactive: nothing since 2 June 2024

    # on 31 December 2022 the cutoff is 1 January 2020: customer 1 signed in that day
    planned, batches = shop.on("inactivity", "customers", dt.date(2022, 12, 31))
    assert planned == []
    assert batches == []
    planned, batches = shop.on("inactivity", "customers", day)
    assert [(line.table, line.step, line.rows) for line in planned] == [
        ("customers", Step.DELETE, 2)
    ]
    assert swept(batches) == 2
    customers = db.rows(shop.engine, db.customers)
    assert set(customers) == {1, 2, 3, 5, 6}  # 4 is gone; 1 stays for its held bill
    assert customers[1]["email"].startswith("erased-")
    assert customers[1]["name"] == "-"
    for kept in (2, 3, 5, 6):
        assert customers[kept]["email"] == emails[kept - 1]
    assert shop.ids(db.bills) == {1, 3}  # the held bill stays, the other went
    assert shop.ids(db.sign_ins) == {2}
    assert shop.ids(db.support_requests) == {2}
    erased = {(line.table, line.step) for b in batches for line in b.lines}
    assert ("bills", Step.HOLD) in erased
    assert ("bills", Step.DELETE) in erased

    # the erased person is not swept again
    planned, batches = shop.on("inactivity", "customers", day + dt.timedelta(days=1))
    assert planned == []
    assert batches == []
    assert db.rows(shop.engine, db.customers) == customers

    # once the held bill has gone (its own rule, when the hold ends), the person kept masked
    # for it goes on the next sweep, and nobody is reported twice
    released = dt.date(2034, 1, 1)
    shop.on("billing", "bills", released)
    assert shop.ids(db.bills) == {3}  # customer 6's bill of 2024 is held until 2035
    planned, batches = shop.on("inactivity", "customers", released)
    leftover = [line for line in planned if line.detail == retain._LEFTOVER]
    assert [(line.table, line.rows, line.examples) for line in leftover] == [
        ("customers", 1, ("1",))
    ]
    assert 1 not in shop.ids(db.customers)
    assert db.rows(shop.engine, db.customers)[6]["email"].startswith("erased-")  # bill 3 holds it
    planned, batches = shop.on("inactivity", "customers", released + dt.timedelta(days=1))
    assert planned == []
    assert batches == []
