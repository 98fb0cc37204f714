"""Subjects and their identities: normalising, find-or-create, concurrency, audit."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import func, select

from privaat.core.clock import FrozenClock
from privaat.engine import subjects
from privaat.engine.subjects import IdentityKind, SubjectSpec
from privaat.errors import Conflict, InvalidInput, NotFound
from privaat.store.db import Store
from privaat.store.models import AuditEntry, Organisation, Subject, SubjectIdentity

EMAIL = IdentityKind.EMAIL
PHONE = IdentityKind.PHONE


@pytest.mark.parametrize(
    ("kind", "raw", "normal"),
    [
        (EMAIL, "  Jan.Peeters@Example.BE ", "jan.peeters@example.be"),
        (EMAIL, "a+tag@sub.example.com", "a+tag@sub.example.com"),
        (PHONE, "+32 470 12 34 56", "+32470123456"),
        (PHONE, "0032 (0)470/12.34.56", "+32470123456"),
        (PHONE, "+31-6-1234-5678", "+31612345678"),
        (IdentityKind.CUSTOMER_NUMBER, "  C-00042 ", "C-00042"),
    ],
)
def test_identities_are_normalised(kind: IdentityKind, raw: str, normal: str) -> None:
    assert subjects.normalise(kind, raw) == normal
    assert subjects.normalise(kind, normal) == normal  # idempotent


@pytest.mark.parametrize(
    ("kind", "raw", "says"),
    [
        (EMAIL, "no-at-sign.example.com", "e-mail"),
        (EMAIL, "two@@example.com", "e-mail"),
        (EMAIL, "jan@localhost", "e-mail"),
        (EMAIL, "jan..p@example.com", "e-mail"),
        (EMAIL, "jan p@example.com", "e-mail"),
        (EMAIL, "jan@-example.com", "e-mail"),
        (PHONE, "0470 12 34 56", "country code"),
        (PHONE, "+32 47x", "phone number"),
        (PHONE, "+0032470123456", "country code"),
        (IdentityKind.CUSTOMER_NUMBER, "   ", "empty"),
    ],
)
def test_bad_identities_are_refused_with_a_reason(kind: IdentityKind, raw: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        subjects.normalise(kind, raw)


def test_ensure_creates_once_and_audits_without_the_address(
    store: Store, org: Organisation, clock: FrozenClock
) -> None:
    with store.transaction() as session:
        first = subjects.ensure(
            session, org.id, EMAIL, "Jan@Example.be", now=clock.now(), actor="token:1"
        )
        again = subjects.ensure(
            session, org.id, EMAIL, "jan@example.be ", now=clock.now(), actor="token:1"
        )
        assert first == again
        assert subjects.find(session, org.id, EMAIL, "JAN@example.be") == first
        assert subjects.find(session, org.id, EMAIL, "piet@example.be") is None
    with store.reading() as session:
        created = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "subject.created")
        ).all()
        assert [(e.subject_id, e.actor, json.loads(e.detail)) for e in created] == [
            (first, "token:1", {"identity": "email"})
        ]
        details = " ".join(session.scalars(select(AuditEntry.detail)))
        assert "example.be" not in details


def test_groups_are_added_and_the_change_audited(
    store: Store, org: Organisation, clock: FrozenClock
) -> None:
    now = clock.now()
    with store.transaction() as session:
        sid = subjects.ensure(
            session, org.id, EMAIL, "a@example.be", now=now, actor="x", groups=["prospects"]
        )
        subjects.ensure(
            session,
            org.id,
            EMAIL,
            "a@example.be",
            now=now,
            actor="x",
            groups=["customers", "prospects"],
            language="fr",
        )
        subjects.ensure(session, org.id, EMAIL, "a@example.be", now=now, actor="x")
    with store.reading() as session:
        view = subjects.get(session, org.id, sid)
        assert view.groups == ("prospects", "customers")
        assert view.language == "fr"
        updates = session.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == "subject.updated")
        ).all()
        assert [json.loads(d) for d in updates] == [
            {"groups_added": ["customers"], "language": "fr"}
        ]


def test_ensure_many_finds_and_creates_in_one_go(
    store: Store, org: Organisation, clock: FrozenClock
) -> None:
    with store.transaction() as session:
        known = subjects.ensure(session, org.id, PHONE, "+32470123456", now=clock.now(), actor="x")
        specs = [SubjectSpec(EMAIL, f"p{i}@example.be") for i in range(1200)]
        specs += [SubjectSpec(PHONE, "+32470123456"), SubjectSpec(EMAIL, "p1@example.be")]
        ids = subjects.ensure_many(session, org.id, specs, now=clock.now(), actor="x")
        assert len(ids) == 1201
        assert ids[(PHONE, "+32470123456")] == known
        assert len(set(ids.values())) == 1201
    with store.reading() as session:
        assert session.scalar(select(func.count()).select_from(Subject)) == 1201
        assert session.scalar(select(func.count()).select_from(SubjectIdentity)) == 1201


def test_two_transactions_creating_the_same_identity_make_one_subject(
    store: Store, org: Organisation, clock: FrozenClock
) -> None:
    other: list[int] = []

    def second() -> None:
        with store.transaction() as session:
            other.append(
                subjects.ensure(
                    session, org.id, EMAIL, "race@example.be", now=clock.now(), actor="b"
                )
            )

    with store.transaction() as session:
        first = subjects.ensure(
            session, org.id, EMAIL, "race@example.be", now=clock.now(), actor="a"
        )
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.3)  # the second transaction is now waiting on the first
    thread.join(timeout=30)
    assert other == [first]
    with store.reading() as session:
        assert session.scalar(select(func.count()).select_from(Subject)) == 1
        created = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "subject.created")
        )
        assert created == 1


def test_a_subject_of_another_organisation_is_not_found(
    store: Store, org: Organisation, clock: FrozenClock
) -> None:
    from privaat.engine import orgs

    with store.transaction() as session:
        other = orgs.create_org(session, "other-org", "Other", now=clock.now(), actor="cli")
        theirs = subjects.ensure(
            session, other.id, EMAIL, "x@example.be", now=clock.now(), actor="a"
        )
        assert subjects.find(session, org.id, EMAIL, "x@example.be") is None
        with pytest.raises(NotFound):
            subjects.get(session, org.id, theirs)


def test_an_identity_of_another_subject_cannot_be_added(
    store: Store, org: Organisation, clock: FrozenClock
) -> None:
    with store.transaction() as session:
        a = subjects.ensure(session, org.id, EMAIL, "a@example.be", now=clock.now(), actor="x")
        b = subjects.ensure(session, org.id, EMAIL, "b@example.be", now=clock.now(), actor="x")
        assert (
            subjects.add_identity(
                session, org.id, a, PHONE, "+32 470 11 22 33", now=clock.now(), actor="x"
            )
            is True
        )
        assert (
            subjects.add_identity(
                session, org.id, a, PHONE, "+32470112233", now=clock.now(), actor="x"
            )
            is False
        )
        with pytest.raises(Conflict):
            subjects.add_identity(
                session, org.id, b, PHONE, "+32470112233", now=clock.now(), actor="x"
            )
        view = subjects.get(session, org.id, a)
        assert [(i.kind, i.value) for i in view.identities] == [
            (EMAIL, "a@example.be"),
            (PHONE, "+32470112233"),
        ]
