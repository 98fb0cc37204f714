"""Planning and executing requests end to end: privaat's store (SQLite and PostgreSQL) and the
trap company database of tests/companydb.py, through the data map and the SQL connector."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text

from privaat.core.clock import FrozenClock
from privaat.core.requests import RequestKind, RequestStatus
from privaat.engine import audit_verify, consent, datamaps, orgs
from privaat.engine.audit import seal
from privaat.engine.rights import holds, intake, records, verify
from privaat.engine.rights.execute import Runtime, execute_request, plan_request
from privaat.engine.subjects import IdentityKind
from privaat.errors import Conflict, StoreFailed
from privaat.examples import example_text
from privaat.settings import Settings
from privaat.store.db import Store
from privaat.store.models import (
    ExportFile,
    HeldRecord,
    ManualTask,
    Organisation,
    OutboxMessage,
    RequestStep,
    Restriction,
)
from tests import companydb
from tests.conftest import TEST_SECRET

MAP = Path(__file__).parents[2] / "fixtures" / "datamaps" / "company.yaml"
NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def company(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'company.sqlite3'}"
    engine = create_engine(url)
    companydb.metadata.create_all(engine)
    with engine.begin() as conn:
        companydb.seed(conn)
    engine.dispose()
    return url


@pytest.fixture
def jensdev(store: Store) -> Organisation:
    with store.transaction() as session:
        org = orgs.create_org(session, "jensdev", "JENSDEV", now=NOW, actor="cli")
        orgs.load_version(session, org, example_text("jensdev"), now=NOW, actor="cli")
        datamaps.load_datamap_version(
            session,
            org,
            MAP.read_text(),
            file=str(MAP),
            base_dir=MAP.parent,
            now=NOW,
            actor="cli",
        )
    return org


def _runtime(tmp_path: Path, url: str, database_url: str) -> Runtime:
    settings = Settings(
        environment="test",
        database_url=database_url,
        secret_key=TEST_SECRET,
        export_dir=tmp_path / "exports",
    )
    return Runtime(
        settings,
        FrozenClock(NOW),
        environ={"COMPANY_DATABASE_URL": url},
        download_link=lambda export: f"https://privacy.example/download/{export.id}",
    )


File = Callable[..., str]


@pytest.fixture
def file(store: Store, jensdev: Organisation) -> File:
    """File a request for Jan and verify it (a staff override), as the intake would."""

    def make(kind: RequestKind, details: dict[str, Any] | None = None, **identity: str) -> str:
        kind_, value = next(iter((identity or {"email": companydb.PERSON.email}).items()))
        with store.transaction() as session:
            filed = intake.file_request(
                session,
                org=jensdev,
                kind=kind,
                identity_kind=kind_,
                identity_value=value,
                language="nl",
                channel="api",
                details=details,
                now=NOW,
                actor="staff:1",
            )
            reference = filed.request.reference
            row = records.get(session, jensdev.id, reference, lock=True)
            verify.override(session, row, "seen his ID card at the desk", now=NOW, actor="staff:1")
        return reference

    return make


def _rows(url: str, table: str) -> set[int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {int(r[0]) for r in conn.execute(text(f"SELECT id FROM {table}"))}
    engine.dispose()
    return found


def _status(store: Store, org: Organisation, reference: str) -> str:
    with store.reading() as session:
        return records.get(session, org.id, reference).status


def test_access_plan_then_export_holds_every_planted_value(
    store: Store, jensdev: Organisation, file: File, company: str, tmp_path: Path, database_url: str
) -> None:
    runtime = _runtime(tmp_path, company, database_url)
    reference = file(RequestKind.ACCESS, customer_number=companydb.PERSON.customer_number)
    plan = plan_request(store, jensdev.id, reference, runtime)
    planned = {(line["table"], line["rows"]) for line in plan["lines"] if line["step"] == "export"}
    assert ("clients", 1) in planned
    assert ("newsletter", 1) in planned  # found by the e-mail the customer number led to
    assert _status(store, jensdev, reference) == RequestStatus.PLANNED

    result = execute_request(store, jensdev.id, reference, runtime)
    assert _status(store, jensdev, reference) == RequestStatus.DONE
    with store.reading() as session:
        [export] = session.scalars(select(ExportFile)).all()
        replies = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply")).all()
        [task] = session.scalars(select(ManualTask.instructions)).all()
    # Asked by customer number only: privaat has no address, so a person sends the answer.
    assert replies == []
    assert "Send the answer" in task
    with zipfile.ZipFile(export.path) as archive:
        everything = "\n".join(
            archive.read(name).decode() for name in archive.namelist() if name.startswith("data/")
        )
        summary = archive.read("summary.html").decode()
    for value in companydb.planted_values():
        assert value in everything, value
    assert companydb.OTHER.email not in everything  # Eva's rows stay out
    assert '<html lang="nl">' in summary
    assert "WHMCS" in summary
    assert result["export"]["sha256"] == export.sha256


def test_erasure_runs_once_per_store_keeps_the_hold_and_proves_the_rest(
    store: Store, jensdev: Organisation, file: File, company: str, tmp_path: Path, database_url: str
) -> None:
    runtime = _runtime(tmp_path, company, database_url)
    reference = file(RequestKind.ERASURE)
    plan = plan_request(store, jensdev.id, reference, runtime)
    steps = {(line["table"], line["step"]) for line in plan["lines"]}
    assert ("invoices", "hold") in steps
    assert ("logins", "delete") in steps
    assert _rows(company, "logins") == {1, 2, 3}  # a plan changes nothing

    result = execute_request(store, jensdev.id, reference, runtime)

    assert _rows(company, "logins") == {3}
    assert _rows(company, "invoices") == {companydb.HELD_INVOICE, 12}
    assert result["verify"]["unexplained"] == 0
    assert {hit["table"] for hit in result["verify"]["remaining"]} == {"invoices"}
    with store.reading() as session:
        [held] = session.scalars(select(HeldRecord)).all()
        reply = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply")).one()
        attempts = session.scalars(select(RequestStep.attempts)).all()
    assert (held.table_name, held.until) == ("invoices", dt.date(2035, 1, 1))
    assert json.loads(held.keys) == [[companydb.HELD_INVOICE]]
    assert "1 januari 2035" in reply.body
    assert reply.language == "nl"
    assert "WHMCS" in reply.body  # Art. 19: a recipient of the erased data is named
    assert set(attempts) == {1}
    # Done is done: executing again is refused, and the audit chain holds.
    with pytest.raises(Conflict):
        execute_request(store, jensdev.id, reference, runtime)
    with store.transaction() as session:
        seal(session)
    assert audit_verify.verify(store.engine).intact


def test_a_failed_store_leaves_the_request_resumable_and_it_finishes_once(
    store: Store, jensdev: Organisation, file: File, company: str, tmp_path: Path, database_url: str
) -> None:
    reference = file(RequestKind.ERASURE)
    runtime = _runtime(tmp_path, company, database_url)
    plan_request(store, jensdev.id, reference, runtime)
    broken = Runtime(
        runtime.settings,
        runtime.clock,
        environ={"COMPANY_DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'nothing.db'}"},
    )
    with pytest.raises(StoreFailed):
        execute_request(store, jensdev.id, reference, broken)
    assert _status(store, jensdev, reference) == RequestStatus.EXECUTING
    assert _rows(company, "logins") == {1, 2, 3}

    execute_request(store, jensdev.id, reference, runtime)
    assert _status(store, jensdev, reference) == RequestStatus.DONE
    assert _rows(company, "logins") == {3}
    with store.reading() as session:
        replies = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "reply")
        )
    assert replies == 1


def test_restriction_and_objection_reach_privaat_records(
    store: Store, jensdev: Organisation, file: File, company: str, tmp_path: Path, database_url: str
) -> None:
    runtime = _runtime(tmp_path, company, database_url)
    restricted = file(RequestKind.RESTRICTION)
    plan_request(store, jensdev.id, restricted, runtime)
    execute_request(store, jensdev.id, restricted, runtime)
    with store.reading() as session:
        [restriction] = session.scalars(select(Restriction)).all()
        policy_version = session.get_one(Organisation, jensdev.id).active_policy_id
    assert restriction.lifted_at is None
    assert policy_version is not None
    # Applications see it: only what the law requires goes on (Art. 18(2)).
    with store.reading() as session:
        answers = {
            purpose: consent.check(
                session,
                jensdev.id,
                (IdentityKind.EMAIL, companydb.PERSON.email),
                purpose,
                orgs.PolicyCache(),
                NOW,
            )
            for purpose in ("statistics", "billing", "accounting")
        }
    assert {p: (d.allowed, d.reason.value) for p, d in answers.items()} == {
        "statistics": (False, "restricted"),
        "billing": (False, "restricted"),
        "accounting": (True, "not_consent_based"),
    }

    objected = file(RequestKind.OBJECTION, {"purposes": ["statistics"]})
    plan_request(store, jensdev.id, objected, runtime)
    execute_request(store, jensdev.id, objected, runtime)
    with store.reading() as session:
        decided = consent.check(
            session,
            jensdev.id,
            (IdentityKind.EMAIL, companydb.PERSON.email),
            "statistics",
            orgs.PolicyCache(),
            NOW,
        )
    assert not decided.allowed


def test_rectification_corrects_every_copy_but_the_held_invoice(
    store: Store, jensdev: Organisation, file: File, company: str, tmp_path: Path, database_url: str
) -> None:
    runtime = _runtime(tmp_path, company, database_url)
    reference = file(RequestKind.RECTIFICATION, {"email": "jan@peeters.example.be"})
    plan = plan_request(store, jensdev.id, reference, runtime)
    assert {line["table"] for line in plan["lines"] if line["step"] == "rectify"} >= {"clients"}
    execute_request(store, jensdev.id, reference, runtime)
    engine = create_engine(company)
    with engine.connect() as conn:
        email = conn.scalar(text("SELECT email FROM clients WHERE id = 1"))
        held_copy = conn.scalar(
            text(f"SELECT buyer_email FROM invoices WHERE id = {companydb.HELD_INVOICE}")
        )
    engine.dispose()
    assert email == "jan@peeters.example.be"
    assert held_copy == companydb.PERSON.email


def test_an_unverified_request_cannot_be_planned(
    store: Store, jensdev: Organisation, company: str, tmp_path: Path, database_url: str
) -> None:
    with store.transaction() as session:
        filed = intake.file_request(
            session,
            org=jensdev,
            kind="erasure",
            identity_kind="email",
            identity_value=companydb.PERSON.email,
            language="en",
            channel="api",
            details=None,
            now=NOW,
            actor="staff:1",
        )
    with pytest.raises(Conflict, match="verify"):
        plan_request(
            store, jensdev.id, filed.request.reference, _runtime(tmp_path, company, database_url)
        )


def test_held_rows_go_when_their_hold_ends_and_not_a_day_early(
    store: Store, jensdev: Organisation, file: File, company: str, tmp_path: Path, database_url: str
) -> None:
    runtime = _runtime(tmp_path, company, database_url)
    reference = file(RequestKind.ERASURE)
    plan_request(store, jensdev.id, reference, runtime)
    execute_request(store, jensdev.id, reference, runtime)
    assert companydb.HELD_INVOICE in _rows(company, "invoices")

    def at(day: dt.datetime) -> Runtime:
        return Runtime(
            runtime.settings, FrozenClock(day), environ={"COMPANY_DATABASE_URL": company}
        )

    eve = at(dt.datetime(2034, 12, 31, 22, 30, tzinfo=dt.UTC))  # 23:30 in Brussels
    assert holds.run_due(store, jensdev.id, eve) == holds.HoldRun(0, 0)
    assert companydb.HELD_INVOICE in _rows(company, "invoices")

    new_year = at(dt.datetime(2034, 12, 31, 23, 30, tzinfo=dt.UTC))  # 00:30 in Brussels
    assert holds.run_due(store, jensdev.id, new_year) == holds.HoldRun(1, 1)
    assert _rows(company, "invoices") == {12}  # Eva's invoice is not Jan's: it stays
    with store.reading() as session:
        [held] = session.scalars(select(HeldRecord)).all()
    assert held.deleted_at is not None
    assert holds.run_due(store, jensdev.id, new_year) == holds.HoldRun(0, 0)
