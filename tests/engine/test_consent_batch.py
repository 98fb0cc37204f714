"""Consent writes in batches (``consent.record_many``), on SQLite and PostgreSQL: the same
events, states, subjects and audit as ``consent.record`` one by one, each write's own error in
its place, idempotency keys, groups, and (PostgreSQL) batches side by side with each other
and with the organisation's many-row writers."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from privaat.core.clock import FrozenClock
from privaat.engine import audit, consent, orgs, subjects
from privaat.engine.audit_verify import verify
from privaat.engine.consent import Channel, EventKind, Proof, State
from privaat.engine.orgs import PolicyCache
from privaat.engine.subjects import IdentityKind
from privaat.errors import Conflict, InvalidInput, NotFound, PrivaatError
from privaat.examples import example_text
from privaat.store.db import Store
from privaat.store.models import (
    AuditEntry,
    AuditPending,
    ConsentEvent,
    ConsentState,
    Organisation,
    Subject,
    SubjectIdentity,
)
from tests.conftest import START

EMAIL = IdentityKind.EMAIL
PHONE = IdentityKind.PHONE
CUSTOMER_NUMBER = IdentityKind.CUSTOMER_NUMBER
GIVEN, WITHDRAWN, OBJECTED = EventKind.GIVEN, EventKind.WITHDRAWN, EventKind.OBJECTED
ACTOR = "token:1"
Result = consent.Event | PrivaatError


def write(
    who: consent.SubjectRef | str,
    purpose: str = "newsletter",
    kind: EventKind = GIVEN,
    *,
    key: str | None = None,
    groups: tuple[str, ...] = (),
    language: str | None = None,
    actor: str = ACTOR,
    channel: Channel = Channel.API,
    occurred_at: dt.datetime = START,
    **proof: Any,
) -> consent.Write:
    """One write; ``who`` an e-mail address, an identity or a subject id. ``language`` is
    the notice's and the subject's, as the API takes it."""
    return consent.Write(
        subject=(EMAIL, who) if isinstance(who, str) else who,
        purpose=purpose,
        kind=kind,
        proof=Proof(channel=channel, occurred_at=occurred_at, language=language, **proof),
        actor=actor,
        idempotency_key=key,
        groups=groups,
        language=language,
    )


def batch(
    store: Store,
    org_id: int,
    clock: FrozenClock,
    policies: PolicyCache,
    writes: Sequence[consent.Write],
) -> list[Result]:
    with store.transaction() as session:
        return consent.record_many(session, org_id, writes, now=clock.now(), policies=policies)


def one_by_one(
    store: Store,
    org_id: int,
    clock: FrozenClock,
    policies: PolicyCache,
    writes: Sequence[consent.Write],
) -> list[ConsentEvent]:
    """Each write as the route records it alone: ``subjects.ensure`` and ``consent.record``,
    in a transaction of its own."""
    events = []
    for w in writes:
        with store.transaction() as session:
            if isinstance(w.subject, int):
                subject_id = w.subject
            else:
                subject_id = subjects.ensure(
                    session,
                    org_id,
                    *w.subject,
                    now=clock.now(),
                    actor=w.actor,
                    groups=w.groups,
                    language=w.language,
                )
            events.append(
                consent.record(
                    session,
                    org=org_id,
                    subject_id=subject_id,
                    purpose=w.purpose,
                    kind=w.kind,
                    proof=w.proof,
                    actor=w.actor,
                    now=clock.now(),
                    policies=policies,
                    idempotency_key=w.idempotency_key,
                )
            )
    return events


def make_subject(
    store: Store, org_id: int, clock: FrozenClock, email: str, groups: tuple[str, ...] = ()
) -> int:
    with store.transaction() as session:
        return subjects.ensure(
            session, org_id, EMAIL, email, now=clock.now(), actor="cli", groups=groups
        )


def other_org(store: Store, clock: FrozenClock, slug: str = "other-org") -> Organisation:
    with store.transaction() as session:
        other = orgs.create_org(session, slug, "Other BV", now=clock.now(), actor="cli")
        orgs.load_version(session, other, example_text("jetstax"), now=clock.now(), actor="cli")
    return other


def events(result: Sequence[Result]) -> list[consent.Event]:
    """The results, each of which must be an event."""
    assert all(isinstance(r, consent.Event) for r in result), result
    return [r for r in result if isinstance(r, consent.Event)]


def count(store: Store, table: type[object], *where: Any) -> int:
    with store.reading() as session:
        return int(session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def find(store: Store, org_id: int, kind: IdentityKind, value: str) -> int | None:
    with store.reading() as session:
        return subjects.find(session, org_id, kind, value)


def identity_of(store: Store, org_id: int, subject_id: int) -> tuple[str, str]:
    with store.reading() as session:
        [identity] = subjects.get(session, org_id, subject_id).identities
    return identity.kind.value, identity.value


def fact(event: ConsentEvent | consent.Event) -> tuple[Any, ...]:
    """What an event says and proves, without its ids."""
    return (
        event.purpose,
        event.kind,
        event.channel,
        event.occurred_at,
        event.recorded_at,
        event.notice_sha256,
        event.ip,
        event.user_agent,
        event.actor,
        event.provenance,
        event.idempotency_key,
    )


def ledger(store: Store, org_id: int) -> dict[str, Any]:
    """An organisation's events, states, subjects and audit, by identity instead of by id."""
    with store.reading() as session:
        who = {
            sid: (kind, value)
            for sid, kind, value in session.execute(
                select(
                    SubjectIdentity.subject_id, SubjectIdentity.kind, SubjectIdentity.value
                ).where(SubjectIdentity.org_id == org_id)
            )
        }
        stored = list(session.scalars(select(ConsentEvent).where(ConsentEvent.org_id == org_id)))
        by_id = {e.id: e for e in stored}
        states = {
            (who[s.subject_id], s.purpose): (s.kind, fact(by_id[s.event_id]))
            for s in session.scalars(select(ConsentState).where(ConsentState.org_id == org_id))
        }
        people = {
            who[s.id]: (s.groups, s.language)
            for s in session.scalars(select(Subject).where(Subject.org_id == org_id))
        }
        audited: Counter[tuple[Any, ...]] = Counter()
        for table in (AuditEntry, AuditPending):
            for action, subject_id, target, actor in session.execute(
                select(table.action, table.subject_id, table.target, table.actor).where(
                    table.org_id == org_id,
                    table.action.like("consent.%") | table.action.like("subject.%"),
                )
            ):
                if target == f"subject:{subject_id}":  # the id differs between organisations
                    target = "subject"
                person = who.get(subject_id) if subject_id is not None else None
                audited[(action, person, target, actor)] += 1
    return {
        "events": Counter((who[e.subject_id], fact(e)) for e in stored),
        "states": states,
        "subjects": people,
        "audit": audited,
    }


def audited(store: Store, action: str, *where: Any) -> int:
    """How many audit records of ``action`` there are, chained or pending."""
    return count(store, AuditEntry, AuditEntry.action == action, *where) + count(
        store, AuditPending, AuditPending.action == action, *where
    )


def audit_text(store: Store) -> str:
    """Every audit entry and pending record, as text."""
    with store.reading() as session:
        rows = [
            *session.execute(
                select(AuditEntry.actor, AuditEntry.action, AuditEntry.target, AuditEntry.detail)
            ),
            *session.execute(
                select(
                    AuditPending.actor,
                    AuditPending.action,
                    AuditPending.target,
                    AuditPending.detail,
                )
            ),
        ]
    return "\n".join(" ".join(str(v) for v in row) for row in rows)


def assert_as_stored(store: Store, answered: Sequence[consent.Event]) -> None:
    """Each event returned is the one stored under its id, and every consent audit record
    of its organisation names one of them."""
    with store.reading() as session:
        for event in answered:
            row = session.get(ConsentEvent, event.id)
            assert row is not None, event.id
            assert (row.subject_id, row.org_id, fact(row)) == (
                event.subject_id,
                event.org_id,
                fact(event),
            )
        org_ids = {e.org_id for e in answered}
        details = [
            *session.scalars(
                select(AuditEntry.detail).where(
                    AuditEntry.org_id.in_(org_ids), AuditEntry.action.like("consent.%")
                )
            ),
            *session.scalars(
                select(AuditPending.detail).where(
                    AuditPending.org_id.in_(org_ids), AuditPending.action.like("consent.%")
                )
            ),
        ]
    assert sorted(json.loads(d)["event_id"] for d in details) == sorted({e.id for e in answered})


def seal_and_verify(store: Store) -> None:
    with store.transaction() as session:
        audit.seal(session)
    assert count(store, AuditPending) == 0
    report = verify(store.engine)
    assert report.intact, report


# --------------------------------------------------------------------------- the same as record


def mixed_writes(clock: FrozenClock) -> list[consent.Write]:
    """Facts of four new people, with every kind of proof; An twice, in two spellings."""
    now = clock.now()
    return [
        write(
            "An.Peeters@Example.BE",
            channel=Channel.WEB_FORM,
            occurred_at=now,
            ip="203.0.113.77",
            user_agent="Mozilla/5.0\x00 " + "x" * 600,
            language="fr",
        ),
        write("an.peeters@example.be", "direct_marketing", OBJECTED, ip="2001:db8:1:2::5"),
        write(
            (PHONE, "+32 470 12 34 56"),
            occurred_at=now - dt.timedelta(days=30),
            language="en",
            notice_sha256="AB" * 32,
            provenance="paper form 12",
        ),
        write((CUSTOMER_NUMBER, " C-1 "), "performance", OBJECTED, ip="::ffff:198.51.100.9"),
        write("an.peeters@example.be", "newsletter", WITHDRAWN, occurred_at=now, language="fr"),
        write("piet@example.be", "end_user_data", key="form-1", user_agent="Firefox/140"),
    ]


def test_a_batch_records_what_record_records_one_by_one(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    alone = other_org(store, clock)
    writes = mixed_writes(clock)
    singly = one_by_one(store, alone.id, clock, policies, writes)
    grouped = events(batch(store, org.id, clock, policies, writes))

    # each write's answer: the same fact, of the same person
    assert [fact(e) for e in grouped] == [fact(e) for e in singly]
    assert [identity_of(store, org.id, e.subject_id) for e in grouped] == [
        identity_of(store, alone.id, e.subject_id) for e in singly
    ]
    assert [e.policy_version_id for e in grouped] == [org.active_policy_id] * len(writes)
    first = grouped[0]
    assert (first.ip, first.channel, first.occurred_at) == ("203.0.113.0", "web_form", START)
    assert first.user_agent is not None
    assert len(first.user_agent) == 512
    assert [e.ip for e in grouped[1:4]] == ["2001:db8:1::", None, "198.51.100.0"]
    assert grouped[2].notice_sha256 == "ab" * 32
    assert grouped[0].notice_sha256 == grouped[4].notice_sha256  # the French notice
    assert grouped[0].notice_sha256 != grouped[5].notice_sha256  # the Dutch one (the first)
    # An's two writes are one subject; four people, four subjects
    assert grouped[0].subject_id == grouped[1].subject_id == grouped[4].subject_id
    assert len({e.subject_id for e in grouped}) == 4
    assert_as_stored(store, grouped)

    # what is stored: the same ledger, state and audit
    mine, theirs = ledger(store, org.id), ledger(store, alone.id)
    assert mine == theirs
    assert len(mine["subjects"]) == 4
    assert mine["subjects"][("email", "an.peeters@example.be")] == ("[]", "fr")
    assert mine["states"][(("email", "an.peeters@example.be"), "newsletter")][0] == "withdrawn"
    assert Counter(action for action, *_rest in mine["audit"].elements()) == {
        "subject.created": 4,
        "consent.given": 3,
        "consent.objected": 2,
        "consent.withdrawn": 1,
    }
    with store.reading() as session:
        created = set(
            session.scalars(
                select(AuditPending.subject_id).where(
                    AuditPending.org_id == org.id, AuditPending.action == "subject.created"
                )
            )
        ) | set(
            session.scalars(
                select(AuditEntry.subject_id).where(
                    AuditEntry.org_id == org.id, AuditEntry.action == "subject.created"
                )
            )
        )
    assert created == {e.subject_id for e in grouped}

    seal_and_verify(store)
    logged = audit_text(store)
    assert "consent.objected" in logged
    for secret in ("peeters", "example.be", "470", "C-1", "203.0.113", "Mozilla", "Firefox"):
        assert secret not in logged


def test_facts_for_one_subject_and_purpose_keep_their_order_in_a_batch(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    known = make_subject(store, org.id, clock, "known@example.be")
    results = events(
        batch(
            store,
            org.id,
            clock,
            policies,
            [
                write("zoe@example.be", "newsletter", GIVEN),
                write("ann@example.be", "newsletter", WITHDRAWN),
                write("zoe@example.be", "newsletter", WITHDRAWN),
                write(known, "direct_marketing", OBJECTED),
                write("ann@example.be", "newsletter", GIVEN),
                write("known@example.be", "direct_marketing", GIVEN),
            ],
        )
    )

    def state(who: str, purpose: str = "newsletter") -> State:
        with store.reading() as session:
            ref = (EMAIL, who)
            return consent.check(session, org, ref, purpose, policies, clock.now()).state

    assert state("zoe@example.be") is State.WITHDRAWN
    assert state("ann@example.be") is State.GIVEN
    assert state("known@example.be", "direct_marketing") is State.GIVEN
    with store.reading() as session:
        zoe = consent.history(session, org.id, results[0].subject_id)
        ann = consent.history(session, org.id, results[1].subject_id)
        current = session.get(ConsentState, (org.id, known, "direct_marketing"))
    assert [e.kind for e in zoe] == ["given", "withdrawn"]
    assert [e.kind for e in ann] == ["withdrawn", "given"]
    assert current is not None
    assert current.event_id == results[5].id


def test_facts_with_idempotency_keys_keep_their_order_in_a_batch_too(
    store: Store,
    org: Organisation,
    clock: FrozenClock,
    policies: PolicyCache,
) -> None:
    """Facts of one moment for one subject and purpose: the last one in the batch is
    current, whatever their keys (as record one by one: the later arrival wins)."""
    batches: dict[str, list[tuple[EventKind, str | None]]] = {
        "zoe@example.be": [(GIVEN, "k-z"), (WITHDRAWN, "k-a")],
        "ann@example.be": [(WITHDRAWN, None), (GIVEN, "k-b")],
        "bob@example.be": [(GIVEN, "k-c"), (WITHDRAWN, None)],
    }
    for who, facts in batches.items():
        results = events(
            batch(
                store,
                org.id,
                clock,
                policies,
                [write(who, "newsletter", kind, key=key) for kind, key in facts],
            )
        )
        with store.reading() as session:
            current = session.get(ConsentState, (org.id, results[0].subject_id, "newsletter"))
            kinds = [e.kind for e in consent.history(session, org.id, results[0].subject_id)]
        assert current is not None
        assert (who, current.kind, current.event_id) == (who, facts[-1][0].value, results[-1].id)
        assert kinds == [kind.value for kind, _key in facts]


def test_a_late_fact_in_a_batch_does_not_override_a_newer_one(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    last_year = clock.now() - dt.timedelta(days=365)
    results = events(
        batch(
            store,
            org.id,
            clock,
            policies,
            [
                write("an@example.be", "newsletter", WITHDRAWN),
                write("an@example.be", "newsletter", GIVEN, occurred_at=last_year),
            ],
        )
    )
    with store.reading() as session:
        current = session.get(ConsentState, (org.id, results[0].subject_id, "newsletter"))
    assert current is not None
    assert (current.kind, current.event_id) == ("withdrawn", results[0].id)


# --------------------------------------------------------------------------- errors in place


def test_each_bad_write_gets_its_error_in_place_and_writes_nothing(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    known = make_subject(store, org.id, clock, "known@example.be")
    theirs = make_subject(store, other_org(store, clock).id, clock, "theirs@example.be")
    audit_before = count(store, AuditPending) + count(store, AuditEntry)
    future = clock.now() + dt.timedelta(hours=1)
    cases: list[tuple[consent.Write, type[PrivaatError] | None, str]] = [
        (write("good@example.be"), None, ""),
        (write("nope@example.be", "nope"), InvalidInput, "'nope' is not in"),
        (write("service@example.be", "service"), InvalidInput, "rests on contract"),
        (write("user@example.be", "end_user_data", OBJECTED), InvalidInput, "an objection"),
        (write("not-an-address"), InvalidInput, "e-mail"),
        (write((PHONE, "0470 12 34 56")), InvalidInput, "country code"),
        (write(known, "newsletter", WITHDRAWN), None, ""),
        (write(999_999), NotFound, "no subject"),
        (write(theirs), NotFound, "no subject"),
        (write("martian@example.be", groups=("martians",)), InvalidInput, "martians"),
        (write("future@example.be", occurred_at=future), InvalidInput, "future"),
        (write("naive@example.be", occurred_at=dt.datetime(2026, 1, 1)), InvalidInput, "zone"),
        (write("empty-key@example.be", key=""), InvalidInput, "idempotency key"),
        (write("long-key@example.be", key="k" * 201), InvalidInput, "idempotency key"),
        (write("ctl-key@example.be", key="k\n1"), InvalidInput, "idempotency key"),
        (write("ip@example.be", ip="203.0.113.300"), InvalidInput, "ip"),
        (write("hash@example.be", notice_sha256="abc"), InvalidInput, "64 hexadecimal"),
        (write("notice@example.be", language="de"), InvalidInput, "language 'de'"),
        (write("lang@example.be", language="Klingon!"), InvalidInput, "Klingon"),
        (write((PHONE, "+32 470 12 34 56"), "direct_marketing", OBJECTED), None, ""),
    ]
    results = batch(store, org.id, clock, policies, [w for w, _error, _says in cases])

    assert len(results) == len(cases)
    for at, (result, (_write, error, says)) in enumerate(zip(results, cases, strict=True)):
        if error is None:
            assert isinstance(result, consent.Event), (at, result)
        else:
            assert type(result) is error, (at, result)
            assert says in str(result), (at, result)
    recorded = events([results[0], results[6], results[-1]])
    assert recorded[1].subject_id == known
    assert_as_stored(store, recorded)
    with store.reading() as session:
        stored = list(session.scalars(select(ConsentEvent).order_by(ConsentEvent.id)))
    assert sorted(e.id for e in stored) == sorted(e.id for e in recorded)
    # a subject only for the two new people whose write was recorded
    for w, error, _says in cases:
        if error is not None and isinstance(w.subject, tuple):
            try:
                value = subjects.normalise(*w.subject)
            except InvalidInput:
                continue
            assert find(store, org.id, w.subject[0], value) is None, w.subject
    assert count(store, Subject, Subject.org_id == org.id) == 3
    # audited: two subjects created, three facts
    assert count(store, AuditPending) + count(store, AuditEntry) == audit_before + 5
    seal_and_verify(store)


def test_a_subject_named_by_id_is_recorded_and_one_of_another_organisation_is_not_found(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    other = other_org(store, clock)
    mine = make_subject(store, org.id, clock, "an@example.be")
    theirs = make_subject(store, other.id, clock, "an@example.be")
    results = batch(
        store,
        org.id,
        clock,
        policies,
        [
            write(mine),
            write(theirs, "direct_marketing", OBJECTED),
            write(mine, "performance", OBJECTED),
        ],
    )
    assert isinstance(results[1], NotFound)
    given, objected = events([results[0], results[2]])
    assert (given.subject_id, given.org_id, given.kind) == (mine, org.id, "given")
    assert (objected.subject_id, objected.purpose) == (mine, "performance")
    assert count(store, ConsentEvent, ConsentEvent.subject_id == theirs) == 0
    assert count(store, ConsentState, ConsentState.org_id == other.id) == 0


def test_an_empty_batch_writes_nothing(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    before = count(store, AuditPending) + count(store, AuditEntry)
    assert batch(store, org.id, clock, policies, []) == []
    assert count(store, AuditPending) + count(store, AuditEntry) == before


def test_a_batch_for_an_organisation_without_a_policy_is_not_found(
    store: Store, clock: FrozenClock, policies: PolicyCache
) -> None:
    with store.transaction() as session:
        bare = orgs.create_org(session, "bare-org", "Bare", now=clock.now(), actor="cli")
    with pytest.raises(NotFound, match="no policy"):
        batch(store, bare.id, clock, policies, [write("an@example.be")])
    assert count(store, Subject) == 0


# --------------------------------------------------------------------------- idempotency


def test_a_key_seen_before_returns_the_earlier_event_and_writes_nothing(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    sid = make_subject(store, org.id, clock, "an@example.be")
    [earlier] = one_by_one(store, org.id, clock, policies, [write(sid, key="form-42")])
    before = (count(store, ConsentEvent), count(store, AuditPending) + count(store, AuditEntry))
    clock.advance(dt.timedelta(seconds=5))
    again, twice, other = events(
        batch(
            store,
            org.id,
            clock,
            policies,
            [
                write("AN@example.be", key="form-42"),
                write(sid, key="form-42"),
                write("piet@example.be", key="form-43"),
            ],
        )
    )
    assert again.id == twice.id == earlier.id
    assert (again.recorded_at, again.subject_id) == (earlier.recorded_at, sid)
    assert other.id != earlier.id
    # piet and his fact are the batch's only writes: a subject, an event, two audit records
    assert count(store, ConsentEvent) == before[0] + 1
    assert count(store, AuditPending) + count(store, AuditEntry) == before[1] + 2


def test_one_key_twice_in_a_batch_for_the_same_fact_is_one_event(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    first, retried, other = events(
        batch(
            store,
            org.id,
            clock,
            policies,
            [
                write("an@example.be", key="signup-1"),
                write("an@example.be", key="signup-1"),
                write("an@example.be", "direct_marketing", key="signup-2"),
            ],
        )
    )
    assert first.id == retried.id != other.id
    assert count(store, ConsentEvent) == 2
    assert audited(store, "consent.given") == 2


@pytest.mark.parametrize("earlier", [False, True], ids=["within-the-batch", "recorded-before"])
def test_a_key_reused_for_another_fact_fails_the_whole_batch(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache, earlier: bool
) -> None:
    sid = make_subject(store, org.id, clock, "an@example.be")
    if earlier:
        one_by_one(store, org.id, clock, policies, [write(sid, key="k-1")])
    before = {
        table: count(store, table)
        for table in (ConsentEvent, ConsentState, Subject, SubjectIdentity, AuditPending)
    }
    sealed = count(store, AuditEntry)
    writes = [
        write("new@example.be", "newsletter", key="k-0"),
        write("an@example.be", "newsletter", GIVEN, key="k-1"),
        write("new@example.be", "direct_marketing", groups=("customers",)),
        write(sid, "direct_marketing", OBJECTED, key="k-1"),
    ]
    with pytest.raises(Conflict, match="idempotency key"):
        batch(store, org.id, clock, policies, writes)
    # the caller's transaction rolled back: nothing of the batch remains
    assert {table: count(store, table) for table in before} == before
    assert count(store, AuditEntry) == sealed
    assert find(store, org.id, EMAIL, "new@example.be") is None


# --------------------------------------------------------------------------- groups, language


def test_groups_and_language_are_added_to_new_and_existing_subjects(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    old = make_subject(store, org.id, clock, "old@example.be")
    same = make_subject(store, org.id, clock, "same@example.be", ("customers",))
    results = events(
        batch(
            store,
            org.id,
            clock,
            policies,
            [
                write("old@example.be", groups=("customers",), language="en"),
                write("new@example.be", groups=("prospects", "customers"), language="fr"),
                write("new@example.be", "direct_marketing", groups=("prospects", "end_users")),
                write("same@example.be", groups=("customers",)),
            ],
        )
    )
    new = results[1].subject_id
    assert results[0].subject_id == old
    assert results[3].subject_id == same
    assert results[2].subject_id == new
    with store.reading() as session:
        seen = {sid: subjects.get(session, org.id, sid) for sid in (old, new, same)}
        updated = list(
            session.execute(
                select(AuditPending.subject_id, AuditPending.detail).where(
                    AuditPending.action == "subject.updated"
                )
            )
        ) + list(
            session.execute(
                select(AuditEntry.subject_id, AuditEntry.detail).where(
                    AuditEntry.action == "subject.updated"
                )
            )
        )
    assert (seen[old].groups, seen[old].language) == (("customers",), "en")
    assert (seen[new].groups, seen[new].language) == (("prospects", "customers", "end_users"), "fr")
    assert seen[same].groups == ("customers",)
    # the existing subject that changed is audited as updated; the new one as created
    assert [(sid, json.loads(d)) for sid, d in updated] == [
        (old, {"groups_added": ["customers"], "language": "en"})
    ]
    assert audited(store, "subject.created") == 3
    with store.reading() as session:
        soft = consent.check(session, org, old, "direct_marketing", policies, clock.now())
    assert soft.allowed  # now an existing customer: soft opt-in
    seal_and_verify(store)


def test_a_subject_named_by_id_cannot_get_groups_in_a_batch(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    sid = make_subject(store, org.id, clock, "an@example.be")
    with pytest.raises(ValueError, match="cannot change a subject named by id"):
        batch(store, org.id, clock, policies, [write(sid, groups=("customers",))])
    assert count(store, ConsentEvent) == 0


# --------------------------------------------------------------------------- side by side


#: Batches side by side: PostgreSQL only (SQLite serialises its writers).
on_postgresql = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def in_thread(work: Callable[[], object]) -> tuple[threading.Thread, list[BaseException]]:
    """Run ``work`` in a started thread; its exception (if any) is collected."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # collected: a thread's failure fails the test
            failures.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, failures


def wait_for_lock_waiter(store: Store, waiters: int = 1) -> None:
    """Until ``waiters`` backends of this database wait for a lock (at most 30 s)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(600):
        with store.engine.connect() as conn:
            if conn.execute(query).scalar_one() >= waiters:
                return
        time.sleep(0.05)
    raise AssertionError(f"not {waiters} transactions waited for a lock")


ROUNDS = 12
PEOPLE = 6


@on_postgresql
def test_two_batches_at_once_neither_deadlock_nor_fork(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    """Two batches at once, on two connections, over the same new people and the same
    existing subjects in opposite orders, round after round: every batch commits, each
    person is one subject, and each state is the subject's last fact."""
    existing = [make_subject(store, org.id, clock, f"e{n}@example.be") for n in range(PEOPLE)]
    start = threading.Barrier(2, timeout=30)
    failures: list[BaseException] = []
    answered: list[consent.Event] = []

    def new(round_: int, side: int, n: int) -> str:
        """A new person: the same for both batches in even rounds (the second waits for the
        first's identities), each batch's own in odd ones (they meet on existing subjects)."""
        return f"r{round_}-p{n}@example.be" if round_ % 2 == 0 else f"r{round_}-s{side}-p{n}@x.be"

    def writes(round_: int, side: int) -> list[consent.Write]:
        at = clock.now() - dt.timedelta(minutes=ROUNDS - round_)
        out: list[consent.Write] = []
        for n in range(PEOPLE):
            kind = (GIVEN, WITHDRAWN)[(n + side) % 2]
            later = at + dt.timedelta(seconds=n + side)
            out += [
                write(new(round_, side, n), kind=kind, occurred_at=later),
                write(existing[n], "newsletter", kind, occurred_at=later),
                write(f"e{n}@example.be", "direct_marketing", kind, occurred_at=later),
                write(f"all-{n}@example.be", "performance", OBJECTED, occurred_at=later),
            ]
        return out if side == 0 else out[::-1]

    def writer(side: int) -> None:
        try:
            for round_ in range(ROUNDS):
                start.wait()
                with store.transaction() as session:
                    results = consent.record_many(
                        session,
                        org.id,
                        writes(round_, side),
                        now=clock.now(),
                        policies=policies,
                    )
                answered.extend(events(results))
        except BaseException as exc:  # collected: a thread's failure fails the test
            start.abort()
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(side,)) for side in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    assert_one_subject_per_identity_and_states_are_last_facts(store, org.id)
    assert_as_stored(store, answered)
    assert count(store, ConsentEvent) == 2 * ROUNDS * PEOPLE * 4
    new_people = PEOPLE * (ROUNDS // 2) * 3  # shared in even rounds, two sides' in odd
    assert count(store, Subject, Subject.org_id == org.id) == PEOPLE * 2 + new_people


def interleaved(
    store: Store,
    hold: Callable[[Session], object],
    first: Callable[[], object],
    second: Callable[[], object],
) -> list[BaseException]:
    """``hold(session)`` in a transaction left open; ``first`` in a thread until it waits
    for a lock, then ``second`` in another until it waits too; then the holder commits and
    both go on. What the two raised."""
    with store.transaction() as session:
        hold(session)
        one, failures = in_thread(first)
        wait_for_lock_waiter(store, 1)
        two, more_failures = in_thread(second)
        wait_for_lock_waiter(store, 2)
    one.join(timeout=30)
    two.join(timeout=30)
    assert not one.is_alive()
    assert not two.is_alive()
    return failures + more_failures


@on_postgresql
def test_batches_of_several_callers_create_the_same_new_people_without_deadlock(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    """The API's groups hold many callers' writes. One batch names b, x and a (each for
    another caller), the other a and b, while x is being created elsewhere: arranged so
    that creating each caller's people in turn deadlocks (the first holds b and then wants
    a, the second holds a and wants b). Both commit, and each person is one subject."""
    results: dict[str, list[Result]] = {}

    def hold(session: Session) -> None:
        subjects.ensure(session, org.id, EMAIL, "x@example.be", now=clock.now(), actor="cli")

    def grouped(name: str, *people: str) -> Callable[[], object]:
        writes = [write(who, actor=f"token:{n}") for n, who in enumerate(people)]

        def run() -> None:
            results[name] = batch(store, org.id, clock, policies, writes)

        return run

    failures = interleaved(
        store,
        hold,
        grouped("first", "b@example.be", "x@example.be", "a@example.be"),
        grouped("second", "a@example.be", "b@example.be"),
    )
    assert failures == []
    first, second = events(results["first"]), events(results["second"])
    assert [first[2].subject_id, first[0].subject_id] == [e.subject_id for e in second]
    assert count(store, Subject, Subject.org_id == org.id) == 3
    assert_one_subject_per_identity_and_states_are_last_facts(store, org.id)


@on_postgresql
def test_batches_retrying_the_same_keys_in_opposite_orders_do_not_deadlock(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    """A client's retries (the same Idempotency-Key, the same fact) can land in two
    workers' groups in any order. One batch names k0, kx and k2 while kx is being recorded
    elsewhere, the other k2 and k0: arranged so that inserting the keys in arrival order
    deadlocks. Both commit; each key is one event, and both batches get it."""
    s0, sx, s2 = (make_subject(store, org.id, clock, f"{n}@example.be") for n in ("s0", "x", "s2"))
    results: dict[str, list[consent.Event]] = {}

    def hold(session: Session) -> None:
        consent.record(
            session,
            org=org.id,
            subject_id=sx,
            purpose="newsletter",
            kind=GIVEN,
            proof=Proof(Channel.API, START),
            actor=ACTOR,
            now=clock.now(),
            policies=policies,
            idempotency_key="kx",
        )

    def grouped(name: str, *keyed: tuple[int, str]) -> Callable[[], object]:
        writes = [write(sid, key=key) for sid, key in keyed]

        def run() -> None:
            results[name] = events(batch(store, org.id, clock, policies, writes))

        return run

    failures = interleaved(
        store,
        hold,
        grouped("first", (s0, "k0"), (sx, "kx"), (s2, "k2")),
        grouped("second", (s2, "k2"), (s0, "k0")),
    )
    assert failures == []
    first, second = results["first"], results["second"]
    assert [e.idempotency_key for e in first] == ["k0", "kx", "k2"]
    assert [e.id for e in first[::2]] == [e.id for e in second[::-1]]
    assert count(store, ConsentEvent) == 3


def assert_one_subject_per_identity_and_states_are_last_facts(store: Store, org_id: int) -> None:
    with store.reading() as session:
        shared = session.execute(
            select(SubjectIdentity.subject_id)
            .where(SubjectIdentity.org_id == org_id)
            .group_by(SubjectIdentity.subject_id)
            .having(func.count() > 1)
        ).all()
        assert shared == []
        identities = session.scalar(
            select(func.count())
            .select_from(SubjectIdentity)
            .where(SubjectIdentity.org_id == org_id)
        )
        assert identities == session.scalar(
            select(func.count()).select_from(Subject).where(Subject.org_id == org_id)
        )
        latest: dict[tuple[int, str], tuple[int, str]] = {}
        for event in session.scalars(
            select(ConsentEvent)
            .where(ConsentEvent.org_id == org_id)
            .order_by(ConsentEvent.occurred_at, ConsentEvent.id)
        ):
            latest[(event.subject_id, event.purpose)] = (event.id, event.kind)
        states = {
            (s.subject_id, s.purpose): (s.event_id, s.kind)
            for s in session.scalars(select(ConsentState).where(ConsentState.org_id == org_id))
        }
    assert states == latest


@on_postgresql
def test_a_many_row_writer_makes_a_batch_wait_until_it_commits(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    done = threading.Event()

    def grouped() -> None:
        batch(store, org.id, clock, policies, [write("an@example.be"), write("piet@example.be")])
        done.set()

    with store.transaction() as session:
        subjects.lock_writes(session, org.id)  # as an import or the expiry sweep does
        thread, failures = in_thread(grouped)
        wait_for_lock_waiter(store)
        assert not done.is_set()  # the batch waits for the exclusive lock
        assert find(store, org.id, EMAIL, "an@example.be") is None
    thread.join(timeout=30)
    assert failures == []
    assert done.is_set()
    assert count(store, ConsentEvent) == 2


@on_postgresql
def test_a_batch_makes_a_many_row_writer_wait_until_it_commits(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    swept = threading.Event()

    def sweep() -> None:
        with store.transaction() as session:
            consent.expire_due(session, org=org, now=clock.now(), policies=policies)
        swept.set()

    with store.transaction() as session:
        [result] = consent.record_many(
            session, org.id, [write("an@example.be")], now=clock.now(), policies=policies
        )
        assert isinstance(result, consent.Event)
        thread, failures = in_thread(sweep)
        wait_for_lock_waiter(store)
        assert not swept.is_set()  # the sweep waits for the batch's shared lock
    thread.join(timeout=30)
    assert failures == []
    assert swept.is_set()
    assert count(store, ConsentEvent) == 1


@on_postgresql
def test_a_single_write_is_not_blocked_by_a_many_row_writer(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    """A write alone takes no organisation lock, and its foreign-key checks on the
    organisation row go on beside the many-row writers' FOR NO KEY UPDATE."""
    known = make_subject(store, org.id, clock, "known@example.be")
    with store.transaction() as holder:
        assert subjects.lock_writes(holder, org.id) == org.active_policy_id
        with store.transaction() as session:
            session.execute(text("SET LOCAL lock_timeout = '10s'"))  # a failure, not a hang
            version_id, found = consent.identity_context(session, org.id, EMAIL, "an@example.be")
            assert found is None
            sid = subjects.ensure_unseen(
                session, org.id, EMAIL, "an@example.be", now=clock.now(), actor=ACTOR
            )
            for subject_id in (sid, known):
                consent.record(
                    session,
                    org=org.id,
                    subject_id=subject_id,
                    purpose="newsletter",
                    kind=GIVEN,
                    proof=Proof(Channel.API, clock.now()),
                    actor=ACTOR,
                    now=clock.now(),
                    policies=policies,
                    version_id=version_id,
                )
        # committed while the exclusive lock is still held
        assert count(store, ConsentEvent) == 2
