"""Retention runs of an organisation: plan, run, report, audit, the lease and resuming, over
the shop database of tests/retentiondb.py on SQLite, PostgreSQL and MariaDB.

privaat's own store is SQLite here (its PostgreSQL half is the business of the store tests):
what varies is the company's database the sweeps work on.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from privaat.connectors.sql import retain
from privaat.core.clock import FrozenClock
from privaat.engine import audit_verify, datamaps, orgs, retention
from privaat.engine.rights.execute import Runtime
from privaat.errors import Conflict, UsageError
from privaat.settings import Settings
from privaat.store.db import Store
from privaat.store.models import AuditEntry, Organisation, RetentionRun, SweepLease
from tests import retentiondb as db
from tests.conftest import TEST_SECRET

LOADED = dt.datetime(2020, 1, 2, 9, 0, tzinfo=dt.UTC)
T = dt.datetime


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    """privaat's store on SQLite only (overrides the SQLite + PostgreSQL pair of conftest)."""
    path = tmp_path / "privaat.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=db.BACKENDS)
def shop_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return db.make_shop(request, tmp_path)


@pytest.fixture
def shop_engine(shop_url: str) -> Any:
    engine = sa.create_engine(shop_url)
    yield engine
    engine.dispose()


@pytest.fixture
def shop(store: Store, shop_url: str, tmp_path: Path) -> Organisation:
    with store.transaction() as session:
        org = orgs.create_org(session, "shop", "Shop BV", now=LOADED, actor="cli")
        orgs.load_version(session, org, db.policy_text(), now=LOADED, actor="cli")
        datamaps.load_datamap_version(
            session,
            org,
            db.datamap_text(db.connector_of(shop_url)),
            file="datamap.yaml",
            base_dir=tmp_path,
            now=LOADED,
            actor="cli",
        )
    return org


def runtime(database_url: str, shop_url: str, tmp_path: Path, day: dt.date) -> Runtime:
    settings = Settings(
        environment="test",
        database_url=database_url,
        secret_key=TEST_SECRET,
        export_dir=tmp_path / "exports",
    )
    clock = FrozenClock(dt.datetime.combine(day, dt.time(3, 0), tzinfo=dt.UTC))
    return Runtime(settings, clock, environ={db.URL_ENV: shop_url})


@pytest.fixture
def on(database_url: str, shop_url: str, tmp_path: Path) -> Any:
    """The runtime of a day."""
    return lambda day: runtime(database_url, shop_url, tmp_path, day)


def fill(engine: sa.Engine) -> None:
    """A little of everything; what goes on 15 January 2026 is said per row."""
    e = [f"p{i}@example.be" for i in range(20)]
    db.insert(
        engine,
        db.leads,
        [
            {"id": 1, "email": e[0], "created_at": T(2023, 1, 10, 8)},  # goes
            {"id": 2, "email": e[1], "created_at": T(2023, 1, 15, 8)},  # goes that day
            {"id": 3, "email": e[2], "created_at": T(2023, 1, 16, 8)},  # stays a day more
        ],
    )
    db.insert(
        engine,
        db.forms,
        [
            {"id": 1, "email": e[3], "sent_at": T(2025, 12, 31, 22)},  # before 1 January
            {"id": 2, "email": e[4], "sent_at": T(2026, 1, 1, 0)},
        ],
    )
    db.insert(
        engine,
        db.procedures,
        [
            {"id": 1, "email": e[5], "status": "closed", "closed_on": dt.date(2025, 12, 1)},
            {"id": 2, "email": e[6], "status": "open", "closed_on": None},
        ],
    )
    db.insert(
        engine,
        db.hosting,
        [
            {"id": 1, "email": e[7], "cancelled_at": T(2025, 12, 31, 12)},  # 14 January
            {"id": 2, "email": e[8], "cancelled_at": None},
        ],
    )
    db.insert(
        engine,
        db.customers,
        [
            {
                "id": 1,
                "email": e[9],
                "name": "Stil",
                "created_at": T(2019, 1, 1),
                "last_login_at": T(2021, 1, 1),
            },
            {
                "id": 2,
                "email": e[10],
                "name": "Actief",
                "created_at": T(2019, 1, 1),
                "last_login_at": T(2025, 1, 1),
            },
        ],
    )
    db.insert(
        engine,
        db.bills,
        [
            {
                "id": 1,
                "customer_id": 1,
                "issued_on": dt.date(2022, 5, 1),
                "buyer_name": "Stil",
                "buyer_email": e[9],
                "buyer_address": "Gent",
            },
            {
                "id": 2,
                "customer_id": 2,
                "issued_on": dt.date(2025, 11, 1),
                "buyer_name": "Actief",
                "buyer_email": e[10],
                "buyer_address": "Brugge",
            },
            {
                "id": 3,
                "customer_id": 2,
                "issued_on": dt.date(2026, 1, 10),
                "buyer_name": "Actief",
                "buyer_email": e[10],
                "buyer_address": "Brugge",
            },
        ],
    )
    db.insert(
        engine,
        db.accounts,
        [
            {"id": 1, "email": e[11], "created_on": dt.date(2022, 1, 1)},  # kept: the ledger
            {"id": 2, "email": e[12], "created_on": dt.date(2022, 6, 1)},
            {"id": 3, "email": e[13], "created_on": dt.date(2024, 6, 1)},
        ],
    )
    db.insert(engine, db.ledger, [{"id": 1, "account_id": 1, "amount": 10}])
    db.insert(engine, db.sessions, [{"id": 1, "account_id": 2, "token": "t"}])
    db.insert(
        engine,
        db.reviews,
        [
            {
                "id": 1,
                "author_name": "A",
                "author_email": e[14],
                "rating": 3,
                "written_at": T(2024, 6, 1),
            },
            {
                "id": 2,
                "author_name": "B",
                "author_email": e[15],
                "rating": 4,
                "written_at": T(2025, 6, 1),
            },
        ],
    )
    db.insert(
        engine,
        db.page_views,
        [
            {
                "id": i,
                "visitor_email": None,
                "path": ("/", "/prijzen")[i % 2],
                "visited_at": T(2025, 8, 1, 12) + dt.timedelta(days=i % 60),
            }
            for i in range(1, 121)
        ]
        # goes on 16 January 2026, a day too late for a run of the 15th
        + [{"id": 121, "visitor_email": None, "path": "/", "visited_at": T(2025, 10, 18, 0, 5)}],
    )


DAY = dt.date(2026, 1, 15)


def counts(lines: Iterable[Mapping[str, Any]]) -> Counter[tuple[str, str]]:
    out: Counter[tuple[str, str]] = Counter()
    for line in lines:
        if line["step"] != "hold":
            out[line["table"], line["step"]] += int(line["rows"])
    return +out


def sweep_lines(made: Mapping[str, Any]) -> dict[str, Counter[tuple[str, str]]]:
    return {s["sweep"]: counts(s["lines"]) for s in made["sweeps"]}


def audit_actions(store: Store) -> list[str]:
    with store.reading() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def retention_runs(store: Store) -> list[RetentionRun]:
    with store.reading() as session:
        return list(session.scalars(select(RetentionRun).order_by(RetentionRun.id)))


# --------------------------------------------------------------------------- plan and run


def test_the_run_does_what_the_plan_said_and_reports_it(
    store: Store, shop: Organisation, shop_engine: sa.Engine, on: Any
) -> None:
    fill(shop_engine)
    before = db.dump(shop_engine)
    planned = retention.plan(store, shop.id, on(DAY))
    assert db.dump(shop_engine) == before  # a plan changes nothing
    assert retention_runs(store) == []
    assert planned["day"] == DAY.isoformat()
    expected = {
        "inactivity:shop.customers": {("customers", "delete"): 1},
        "collected:shop.leads": {("leads", "delete"): 2},
        "yearly:shop.forms": {("forms", "delete"): 1},
        "procedures:shop.procedures": {("procedures", "delete"): 1},
        "hosting_data:shop.hosting": {("hosting", "delete"): 1},
        "anon:shop.reviews": {("reviews", "mask"): 1},
        "stats:shop.page_views": {("page_views", "aggregate"): 120},
    }
    plans = sweep_lines(planned)
    for key, wanted in expected.items():
        assert plans[key] == wanted, key
    billing = next(s for s in planned["sweeps"] if s["rule"] == "billing")
    assert [(h["rows"], h["until"]) for h in billing["lines"] if h["step"] == "hold"] == [
        (2, "2036-01-01")
    ]
    assert billing["conflicts"]  # the hold and the rule disagree: said

    made = retention.run(store, shop.id, on(DAY), started_by="test")
    ran = sweep_lines(made)
    for s in planned["sweeps"]:
        if s["scope"] == "person":
            continue  # a person's plan line counts persons, the run what their erasure did
        assert ran[s["sweep"]] == counts(s["lines"]), s["sweep"]
    people = next(s for s in made["sweeps"] if s["sweep"] == "inactivity:shop.customers")
    assert people["rows"] == 1
    assert db.ids(shop_engine, db.leads) == {3}
    assert db.ids(shop_engine, db.forms) == {2}
    assert db.ids(shop_engine, db.procedures) == {2}
    assert db.ids(shop_engine, db.hosting) == {2}
    assert db.ids(shop_engine, db.bills) == {1, 2, 3}  # held
    bills = db.rows(shop_engine, db.bills)
    assert [bills[i]["buyer_email"] for i in (1, 2, 3)] == [None, None, "p10@example.be"]
    assert db.ids(shop_engine, db.accounts) == {1, 3}
    assert db.ids(shop_engine, db.sessions) == set()
    assert db.ids(shop_engine, db.page_views) == {121}
    assert sum(db.statistics(shop_engine)["page_view_stats"].values()) == 120
    customers = db.rows(shop_engine, db.customers)
    assert customers[1]["email"].startswith("erased-")  # kept for its held bill
    assert db.dangling(shop_engine) == []

    runs = retention_runs(store)
    assert [(r.status, r.day, r.started_by, r.rules) for r in runs] == [("done", DAY, "test", None)]
    assert json.loads(runs[0].report or "{}") == json.loads(json.dumps(made, default=str))
    assert retention.report(store, shop.id) == json.loads(json.dumps(made, default=str))
    actions = audit_actions(store)
    assert actions.count("retention.run.started") == 1
    assert actions.count("retention.sweep.done") == len(planned["sweeps"])
    assert actions[-1] == "retention.run.finished"
    assert audit_verify.verify(store.engine).intact

    # the same day again: nothing is left to do, nothing is done twice
    again = retention.plan(store, shop.id, on(DAY))
    assert all(counts(s["lines"]) == {} for s in again["sweeps"]), again
    after = db.dump(shop_engine)
    second = retention.run(store, shop.id, on(DAY))
    assert {s["sweep"]: counts(s["lines"]) for s in second["sweeps"] if s["lines"]} == {}
    assert db.dump(shop_engine) == after
    assert [r.status for r in retention_runs(store)] == ["done", "done"]
    assert audit_verify.verify(store.engine).intact


def test_a_later_day_sweeps_what_has_expired_since(
    store: Store, shop: Organisation, shop_engine: sa.Engine, on: Any
) -> None:
    fill(shop_engine)
    retention.run(store, shop.id, on(DAY))
    later = dt.date(2036, 1, 1)  # the bills of 2022 and 2025 leave their hold
    rules = ["billing", "collected", "yearly"]  # not inactivity: it would erase customer 2
    planned = retention.plan(store, shop.id, on(later), rules)
    made = retention.run(store, shop.id, on(later), rules)
    for s in planned["sweeps"]:
        if s["scope"] != "person":
            assert sweep_lines(made)[s["sweep"]] == counts(s["lines"]), s["sweep"]
    assert db.ids(shop_engine, db.bills) == {3}  # 2026's bill: held until 2037
    assert db.ids(shop_engine, db.leads) == set()
    assert db.ids(shop_engine, db.forms) == set()
    assert db.dangling(shop_engine) == []


# --------------------------------------------------------------------------- rules


def test_a_run_with_a_rule_only_touches_that_rule(
    store: Store, shop: Organisation, shop_engine: sa.Engine, on: Any
) -> None:
    fill(shop_engine)
    planned = retention.plan(store, shop.id, on(DAY), ["yearly"])
    assert [s["sweep"] for s in planned["sweeps"]] == ["yearly:shop.forms"]
    before = db.dump(shop_engine)
    made = retention.run(store, shop.id, on(DAY), ["yearly"])
    assert [s["sweep"] for s in made["sweeps"]] == ["yearly:shop.forms"]
    after = db.dump(shop_engine)
    assert after["forms"] == {2: before["forms"][2]}
    del before["forms"], after["forms"]
    assert after == before
    assert [r.rules for r in retention_runs(store)] == ['["yearly"]']

    with pytest.raises(UsageError, match="no retention rule 'nonsense'"):
        retention.plan(store, shop.id, on(DAY), ["nonsense"])
    with pytest.raises(UsageError, match="no retention rule 'nonsense'"):
        retention.run(store, shop.id, on(DAY), ["nonsense"])
    assert db.dump(shop_engine)["leads"] == before["leads"]


# --------------------------------------------------------------------------- the lease


def _holder(pid: int) -> str:
    return f"{socket.gethostname()}:{pid}:0badc0de"


def test_a_second_run_is_refused_while_the_first_holds_the_lease(
    store: Store, shop: Organisation, shop_engine: sa.Engine, on: Any
) -> None:
    fill(shop_engine)
    refused: list[Exception] = []

    def meanwhile(key: str, rows: int) -> None:
        if not refused:
            try:
                retention.run(store, shop.id, on(DAY), started_by="second")
            except Conflict as exc:
                refused.append(exc)
            else:  # pragma: no cover - the failure this test exists for
                refused.append(AssertionError("the second run was not refused"))

    retention.run(store, shop.id, on(DAY), started_by="first", progress=meanwhile)
    assert refused
    assert isinstance(refused[0], Conflict), refused
    assert "is running" in str(refused[0])
    assert [(r.started_by, r.status) for r in retention_runs(store)] == [("first", "done")]
    with store.reading() as session:
        assert session.scalar(select(func.count()).select_from(SweepLease)) == 0  # released

    # a holder that is alive (this very process) and whose lease has not expired
    with store.transaction() as session:
        session.add(
            SweepLease(
                org_id=shop.id,
                holder=_holder(os.getpid()),
                expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
            )
        )
    with pytest.raises(Conflict):
        retention.run(store, shop.id, on(DAY + dt.timedelta(days=1)))
    assert len(retention_runs(store)) == 1


def test_a_lease_whose_holder_died_is_taken_over(
    store: Store, shop: Organisation, shop_engine: sa.Engine, on: Any
) -> None:
    fill(shop_engine)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)
    with store.transaction() as session:
        session.add(
            SweepLease(
                org_id=shop.id,
                holder=_holder(pid),
                expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
            )
        )
    made = retention.run(store, shop.id, on(DAY))
    assert made["sweeps"]
    assert db.ids(shop_engine, db.leads) == {3}
    with store.reading() as session:
        assert session.scalar(select(func.count()).select_from(SweepLease)) == 0

    # another machine's lease counts until it expires
    with store.transaction() as session:
        session.add(
            SweepLease(
                org_id=shop.id,
                holder="elsewhere.example:1:0badc0de",
                expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
            )
        )
    with pytest.raises(Conflict):
        retention.run(store, shop.id, on(DAY))
    with store.transaction() as session:
        lease = session.get(SweepLease, shop.id)
        assert lease is not None
        lease.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    retention.run(store, shop.id, on(DAY))
    assert [r.status for r in retention_runs(store)] == ["done", "done"]


# --------------------------------------------------------------------------- resuming


class Stop(Exception):
    """The process dies here (as far as the run can tell)."""


def test_a_run_that_stopped_resumes_on_its_own_day_after_its_last_key(
    store: Store,
    shop: Organisation,
    shop_engine: sa.Engine,
    on: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(retain, "FIRST_BATCH", 25)
    monkeypatch.setattr(retain, "MIN_BATCH", 1)
    monkeypatch.setattr(retain, "MAX_BATCH", 25)
    fill(shop_engine)
    wanted = Counter(
        (v["visited_at"].date(), v["path"])
        for v in db.rows(shop_engine, db.page_views).values()
        if v["id"] != 121
    )
    seen: list[tuple[str, int]] = []

    def dies(key: str, rows: int) -> None:
        seen.append((key, rows))
        if key == "stats:shop.page_views" and rows >= 50:
            raise Stop

    with pytest.raises(Stop):
        retention.run(store, shop.id, on(DAY), progress=dies)
    assert [r.status for r in retention_runs(store)] == ["failed"]
    assert len(db.ids(shop_engine, db.page_views)) == 71
    assert sum(db.statistics(shop_engine)["page_view_stats"].values()) == 50

    # resumed two days later: it still counts to its own day, after its last key
    resumed: list[tuple[str, int]] = []
    made = retention.run(
        store, shop.id, on(DAY + dt.timedelta(days=2)), progress=lambda k, n: resumed.append((k, n))
    )
    assert made["day"] == DAY.isoformat()
    assert ("stats:shop.page_views", 50) in resumed  # it started from where it was
    assert db.ids(shop_engine, db.page_views) == {121}  # it would have gone on the 16th
    assert db.statistics(shop_engine)["page_view_stats"] == dict(wanted)
    stats = next(s for s in made["sweeps"] if s["sweep"] == "stats:shop.page_views")
    assert stats["rows"] == 120
    runs = retention_runs(store)
    assert [(r.status, r.day) for r in runs] == [("done", DAY)]
    actions = audit_actions(store)
    assert actions.count("retention.run.started") == 1
    assert actions.count("retention.run.resumed") == 1
    assert audit_verify.verify(store.engine).intact
