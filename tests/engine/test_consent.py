"""The consent ledger in the engine, on SQLite and PostgreSQL: events, state, proof, decisions."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from privaat.core.clock import FrozenClock
from privaat.core.policy import load_policy
from privaat.engine import consent, orgs, subjects
from privaat.engine.consent import Channel, EventKind, Proof, Reason, State
from privaat.engine.orgs import PolicyCache
from privaat.engine.subjects import IdentityKind
from privaat.errors import Conflict, InvalidInput, NotFound
from privaat.examples import example_text
from privaat.notice import render_notice
from privaat.store.db import Store
from privaat.store.models import AuditEntry, ConsentEvent, ConsentState, Organisation
from tests.engine.variants import NEWSLETTER_EXPIRES, NEWSLETTER_REWORDED, jetstax_with

EMAIL = IdentityKind.EMAIL


def make_subject(
    store: Store, org: Organisation, clock: FrozenClock, email: str, groups: tuple[str, ...] = ()
) -> int:
    with store.transaction() as session:
        return subjects.ensure(
            session, org.id, EMAIL, email, now=clock.now(), actor="cli", groups=groups
        )


def give(
    store: Store,
    org: Organisation,
    clock: FrozenClock,
    policies: PolicyCache,
    subject_id: int,
    purpose: str = "newsletter",
    kind: EventKind = EventKind.GIVEN,
    **proof: Any,
) -> ConsentEvent:
    with store.transaction() as session:
        key = proof.pop("idempotency_key", None)
        return consent.record(
            session,
            org=org,
            subject_id=subject_id,
            purpose=purpose,
            kind=kind,
            proof=Proof(
                channel=proof.pop("channel", Channel.WEB_FORM),
                occurred_at=proof.pop("occurred_at", clock.now()),
                **proof,
            ),
            actor="token:1",
            now=clock.now(),
            policies=policies,
            idempotency_key=key,
        )


def decision(
    store: Store,
    org: Organisation,
    clock: FrozenClock,
    policies: PolicyCache,
    who: int | str,
    purpose: str = "newsletter",
) -> consent.Decision:
    ref: consent.SubjectRef = who if isinstance(who, int) else (EMAIL, who)
    with store.reading() as session:
        return consent.check(session, org, ref, purpose, policies, clock.now())


def all_events(store: Store) -> list[tuple[Any, ...]]:
    with store.reading() as session:
        rows = session.execute(select(ConsentEvent.__table__).order_by(ConsentEvent.id)).all()
        return [tuple(r) for r in rows]


def test_an_event_carries_its_proof(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    sid = make_subject(store, org, clock, "an@example.be")
    event = give(
        store,
        org,
        clock,
        policies,
        sid,
        ip="203.0.113.77",
        user_agent="Mozilla/5.0\x00 " + "x" * 600,
        language="fr",
    )
    assert event.kind == "given"
    assert event.channel == "web_form"
    assert event.ip == "203.0.113.0"
    assert event.user_agent is not None
    assert len(event.user_agent) == 512
    assert event.user_agent.startswith("Mozilla/5.0  x")
    assert event.policy_version_id == org.active_policy_id
    assert event.occurred_at == clock.now()
    assert event.recorded_at == clock.now()
    assert event.actor == "token:1"
    policy = load_policy(example_text("jetstax"), "jetstax.yaml").policy
    shown = render_notice(policy, "fr", "html")
    assert event.notice_sha256 == hashlib.sha256(shown.encode()).hexdigest()

    v6 = give(store, org, clock, policies, sid, "direct_marketing", ip="2001:db8:1:2::5")
    assert v6.ip == "2001:db8:1::"
    mapped = give(
        store,
        org,
        clock,
        policies,
        sid,
        "performance",
        EventKind.OBJECTED,
        ip="::ffff:198.51.100.9",
    )
    assert mapped.ip == "198.51.100.0"


def test_the_notice_hash_defaults_to_the_first_language_and_can_be_given(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    sid = make_subject(store, org, clock, "an@example.be")
    policy = load_policy(example_text("jetstax"), "jetstax.yaml").policy
    dutch = hashlib.sha256(render_notice(policy, "nl", "html").encode()).hexdigest()
    assert give(store, org, clock, policies, sid).notice_sha256 == dutch
    own = "AB" * 32
    assert give(store, org, clock, policies, sid, notice_sha256=own).notice_sha256 == own.lower()
    with pytest.raises(InvalidInput, match="64 hexadecimal"):
        give(store, org, clock, policies, sid, notice_sha256="abc")
    with pytest.raises(InvalidInput, match="language 'de'"):
        give(store, org, clock, policies, sid, language="de")


def test_events_are_appended_never_changed(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    sid = make_subject(store, org, clock, "an@example.be")
    give(store, org, clock, policies, sid)
    before = all_events(store)
    clock.advance(dt.timedelta(hours=1))
    give(store, org, clock, policies, sid, kind=EventKind.WITHDRAWN)
    clock.advance(dt.timedelta(hours=1))
    give(store, org, clock, policies, sid)
    after = all_events(store)
    assert len(after) == 3
    assert after[:1] == before
    assert [row[4] for row in after] == ["given", "withdrawn", "given"]


def test_withdrawing_is_as_easy_as_giving(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    sid = make_subject(store, org, clock, "an@example.be")
    assert not decision(store, org, clock, policies, sid).allowed
    give(store, org, clock, policies, sid)
    yes = decision(store, org, clock, policies, "AN@example.be")
    assert (yes.allowed, yes.state, yes.reason, yes.since) == (
        True,
        State.GIVEN,
        Reason.CONSENT_GIVEN,
        clock.now(),
    )
    clock.advance(dt.timedelta(minutes=1))
    give(store, org, clock, policies, sid, kind=EventKind.WITHDRAWN)
    no = decision(store, org, clock, policies, sid)
    assert (no.allowed, no.state, no.reason) == (False, State.WITHDRAWN, Reason.WITHDRAWN)


def test_a_late_event_does_not_override_a_newer_fact(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    sid = make_subject(store, org, clock, "an@example.be")
    give(store, org, clock, policies, sid, kind=EventKind.WITHDRAWN)
    last_year = clock.now() - dt.timedelta(days=365)
    late = give(store, org, clock, policies, sid, occurred_at=last_year, channel=Channel.STAFF)
    with store.reading() as session:
        state = session.get(ConsentState, (org.id, sid, "newsletter"))
        assert state is not None
        assert state.kind == "withdrawn"
        assert state.event_id != late.id
        kinds = [(e.kind, e.occurred_at) for e in consent.history(session, org.id, sid)]
    assert kinds == [("given", last_year), ("withdrawn", clock.now())]
    assert not decision(store, org, clock, policies, sid).allowed


def test_events_of_the_same_moment_are_ordered_by_arrival(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    sid = make_subject(store, org, clock, "an@example.be")
    give(store, org, clock, policies, sid)
    give(store, org, clock, policies, sid, kind=EventKind.WITHDRAWN)
    assert decision(store, org, clock, policies, sid).state is State.WITHDRAWN


def test_what_a_purpose_accepts(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    sid = make_subject(store, org, clock, "an@example.be")
    with pytest.raises(InvalidInput, match="'service' rests on contract"):
        give(store, org, clock, policies, sid, "service")
    with pytest.raises(InvalidInput, match="'end_user_data' rests on consent: an objection"):
        give(store, org, clock, policies, sid, "end_user_data", EventKind.OBJECTED)
    with pytest.raises(InvalidInput, match="'performance' rests on legitimate_interest, not"):
        give(store, org, clock, policies, sid, "performance", EventKind.WITHDRAWN)
    with pytest.raises(InvalidInput, match="'nope' is not in"):
        give(store, org, clock, policies, sid, "nope")
    # objection to legitimate interest; consent to and objection against direct marketing
    give(store, org, clock, policies, sid, "performance", EventKind.OBJECTED)
    give(store, org, clock, policies, sid, "direct_marketing", EventKind.GIVEN)
    give(store, org, clock, policies, sid, "newsletter", EventKind.OBJECTED)
    assert len(all_events(store)) == 3


def test_bad_proof_is_refused(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    sid = make_subject(store, org, clock, "an@example.be")
    with pytest.raises(InvalidInput, match="ip"):
        give(store, org, clock, policies, sid, ip="203.0.113.300")
    with pytest.raises(InvalidInput, match="future"):
        give(store, org, clock, policies, sid, occurred_at=clock.now() + dt.timedelta(hours=1))
    with pytest.raises(InvalidInput, match="time zone"):
        give(store, org, clock, policies, sid, occurred_at=dt.datetime(2026, 1, 1))
    assert all_events(store) == []


def test_a_subject_of_another_organisation_cannot_be_recorded(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    with store.transaction() as session:
        other = orgs.create_org(session, "other-org", "Other", now=clock.now(), actor="cli")
        orgs.load_version(session, other, example_text("jetstax"), now=clock.now(), actor="cli")
    theirs = make_subject(store, other, clock, "an@example.be")
    mine = make_subject(store, org, clock, "an@example.be")
    assert theirs != mine
    with pytest.raises(NotFound):
        give(store, org, clock, policies, theirs)
    give(store, other, clock, policies, theirs)
    assert decision(store, other, clock, policies, "an@example.be").allowed
    assert not decision(store, org, clock, policies, "an@example.be").allowed


def test_the_record_is_audited_without_personal_data(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    sid = make_subject(store, org, clock, "an.peeters@example.be")
    event = give(store, org, clock, policies, sid, ip="203.0.113.77", user_agent="Firefox/140")
    with store.reading() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "consent.given")
        ).one()
    assert (entry.subject_id, entry.target, entry.actor) == (sid, "purpose:newsletter", "token:1")
    detail = json.loads(entry.detail)
    assert detail["event_id"] == event.id
    assert detail["channel"] == "web_form"
    for secret in ("an.peeters", "203.0.113", "Firefox"):
        assert secret not in entry.detail


def test_an_idempotency_key_records_once(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    sid = make_subject(store, org, clock, "an@example.be")
    first = give(store, org, clock, policies, sid, idempotency_key="form-42")
    clock.advance(dt.timedelta(seconds=5))
    again = give(store, org, clock, policies, sid, idempotency_key="form-42")
    assert again.id == first.id
    assert len(all_events(store)) == 1
    with pytest.raises(Conflict):
        give(store, org, clock, policies, sid, "direct_marketing", idempotency_key="form-42")
    with store.reading() as session:
        audited = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("consent.%"))
        )
    assert audited == 1


# --------------------------------------------------------------------------- decisions


def test_soft_opt_in_reaches_customers_until_they_object(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    customer = make_subject(store, org, clock, "klant@example.be", ("customers",))
    prospect = make_subject(store, org, clock, "prospect@example.be", ("prospects",))

    yes = decision(store, org, clock, policies, customer, "direct_marketing")
    assert (yes.allowed, yes.state, yes.reason, yes.basis) == (
        True,
        State.NONE,
        Reason.SOFT_OPT_IN,
        "legitimate_interest",
    )
    no = decision(store, org, clock, policies, prospect, "direct_marketing")
    assert (no.allowed, no.reason) == (False, Reason.NO_CONSENT)
    unknown = decision(store, org, clock, policies, "nobody@example.be", "direct_marketing")
    assert (unknown.allowed, unknown.state) == (False, State.NONE)

    give(store, org, clock, policies, customer, "direct_marketing", EventKind.OBJECTED)
    stopped = decision(store, org, clock, policies, customer, "direct_marketing")
    assert (stopped.allowed, stopped.state, stopped.reason) == (
        False,
        State.OBJECTED,
        Reason.OBJECTED,
    )
    give(store, org, clock, policies, prospect, "direct_marketing", EventKind.GIVEN)
    assert decision(store, org, clock, policies, prospect, "direct_marketing").allowed


def test_purposes_not_resting_on_consent(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    contract = decision(store, org, clock, policies, "nobody@example.be", "service")
    assert (contract.allowed, contract.reason) == (True, Reason.NOT_CONSENT_BASED)
    legal = decision(store, org, clock, policies, "nobody@example.be", "legal_obligations")
    assert legal.allowed
    sid = make_subject(store, org, clock, "an@example.be")
    interest = decision(store, org, clock, policies, sid, "performance")
    assert (interest.allowed, interest.reason) == (True, Reason.NOT_OBJECTED)
    give(store, org, clock, policies, sid, "performance", EventKind.OBJECTED)
    assert not decision(store, org, clock, policies, sid, "performance").allowed
    newsletter = decision(store, org, clock, policies, "nobody@example.be")
    assert (newsletter.allowed, newsletter.state, newsletter.reason) == (
        False,
        State.NONE,
        Reason.NO_CONSENT,
    )
    with pytest.raises(InvalidInput, match="'nope'"):
        decision(store, org, clock, policies, sid, "nope")


def test_global_privacy_control_objects_to_marketing_only(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    sid = make_subject(store, org, clock, "an@example.be", ("customers",))
    give(store, org, clock, policies, sid, "newsletter", EventKind.WITHDRAWN)
    with store.transaction() as session:
        events = consent.record_gpc(
            session,
            org=org,
            subject_id=sid,
            proof=Proof(Channel.API, clock.now(), ip="203.0.113.77"),
            actor="token:1",
            now=clock.now(),
            policies=policies,
        )
    # newsletter was withdrawn already; performance is not marketing
    assert [(e.purpose, e.kind, e.channel, e.ip) for e in events] == [
        ("direct_marketing", "objected", "gpc", "203.0.113.0")
    ]
    assert not decision(store, org, clock, policies, sid, "direct_marketing").allowed
    assert decision(store, org, clock, policies, sid, "performance").allowed
    with store.transaction() as session:
        again = consent.record_gpc(
            session,
            org=org,
            subject_id=sid,
            proof=Proof(Channel.GPC, clock.now()),
            actor="token:1",
            now=clock.now(),
            policies=policies,
        )
    assert again == []


def test_a_changed_purpose_text_needs_new_consent(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    sid = make_subject(store, org, clock, "an@example.be")
    give(store, org, clock, policies, sid)
    clock.advance(dt.timedelta(days=1))
    with store.transaction() as session:
        current = session.get(Organisation, org.id)
        assert current is not None
        loaded = orgs.load_version(
            session,
            current,
            jetstax_with(NEWSLETTER_REWORDED),
            now=clock.now(),
            actor="cli",
            cache=policies,
        )
    assert loaded.reconsent == ("newsletter",)
    stale = decision(store, org, clock, policies, sid)
    assert (stale.allowed, stale.state, stale.reason, stale.needs_reconsent) == (
        False,
        State.GIVEN,
        Reason.RECONSENT_NEEDED,
        True,
    )
    clock.advance(dt.timedelta(minutes=1))
    again = give(store, org, clock, policies, sid)
    assert again.policy_version_id == loaded.version.id
    fresh = decision(store, org, clock, policies, sid)
    assert (fresh.allowed, fresh.needs_reconsent) == (True, False)


def test_consent_lapses_after_expires_after(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    with store.transaction() as session:
        current = session.get(Organisation, org.id)
        assert current is not None
        orgs.load_version(
            session, current, jetstax_with(NEWSLETTER_EXPIRES), now=clock.now(), actor="cli"
        )
    early = make_subject(store, org, clock, "early@example.be")
    given_at = clock.now()
    give(store, org, clock, policies, early)
    clock.advance(dt.timedelta(days=200))
    late = make_subject(store, org, clock, "late@example.be")
    give(store, org, clock, policies, late)
    lapse = given_at.replace(year=given_at.year + 1)
    assert decision(store, org, clock, policies, early).expires_at == lapse

    clock.advance(dt.timedelta(days=166))  # a year and a day after the first consent
    before_sweep = decision(store, org, clock, policies, early)
    assert (before_sweep.allowed, before_sweep.state, before_sweep.reason) == (
        False,
        State.EXPIRED,
        Reason.EXPIRED,
    )
    assert decision(store, org, clock, policies, late).allowed

    with store.transaction() as session:
        assert consent.expire_due(session, org=org, now=clock.now(), policies=policies) == 1
    with store.transaction() as session:
        assert consent.expire_due(session, org=org, now=clock.now(), policies=policies) == 0
        expired = consent.history(session, org.id, early)[-1]
        assert (expired.kind, expired.channel, expired.occurred_at, expired.actor) == (
            "expired",
            "system",
            lapse,
            "system",
        )
    after = decision(store, org, clock, policies, early)
    assert (after.allowed, after.state, after.since) == (False, State.EXPIRED, lapse)
    clock.advance(dt.timedelta(days=200))
    with store.transaction() as session:
        assert consent.expire_due(session, org=org, now=clock.now(), policies=policies) == 1


@pytest.mark.parametrize(
    ("start", "duration", "end"),
    [
        ("2025-01-31T10:00:00", "P1M", "2025-02-28T10:00:00"),
        ("2024-02-29T10:00:00", "P1Y", "2025-02-28T10:00:00"),
        ("2025-03-01T00:00:00", "P14D", "2025-03-15T00:00:00"),
    ],
)
def test_calendar_durations(start: str, duration: str, end: str) -> None:
    from privaat.core.duration import Duration

    at = dt.datetime.fromisoformat(start).replace(tzinfo=dt.UTC)
    d = Duration.parse(duration)
    assert consent.add_duration(at, d).isoformat() == f"{end}+00:00"
    assert consent.subtract_duration(consent.add_duration(at, d), d) <= at


def test_concurrent_writers_of_one_organisation_neither_deadlock_nor_fork(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    """Writers that add groups, record, and sweep at once all finish, and the state is the
    last event: every writer takes the organisation's lock first."""
    import threading

    with store.transaction() as session:
        current = session.get(Organisation, org.id)
        assert current is not None
        orgs.load_version(
            session, current, jetstax_with(NEWSLETTER_EXPIRES), now=clock.now(), actor="cli"
        )
    failures: list[BaseException] = []
    now = clock.now()

    def writer(n: int) -> None:
        try:
            for i in range(12):
                with store.transaction() as session:
                    sid = subjects.ensure(
                        session,
                        org.id,
                        EMAIL,
                        f"s{i % 3}@example.be",
                        now=now,
                        actor="t",
                        groups=("customers",) if (n + i) % 2 else ("prospects",),
                    )
                    consent.record(
                        session,
                        org=org,
                        subject_id=sid,
                        purpose=("newsletter", "direct_marketing")[i % 2],
                        kind=(EventKind.GIVEN, EventKind.WITHDRAWN)[(n + i) % 2],
                        proof=Proof(Channel.API, now - dt.timedelta(days=400 * ((i + 1) % 2))),
                        actor="t",
                        now=now,
                        policies=policies,
                    )
                with store.transaction() as session:
                    consent.expire_due(session, org=org, now=now, policies=policies)
        except BaseException as exc:  # collected: a thread's failure fails the test
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    with store.reading() as session:
        for state in session.scalars(select(ConsentState)):
            last = session.scalars(
                select(ConsentEvent)
                .where(
                    ConsentEvent.subject_id == state.subject_id,
                    ConsentEvent.purpose == state.purpose,
                )
                .order_by(ConsentEvent.occurred_at.desc(), ConsentEvent.id.desc())
                .limit(1)
            ).one()
            assert (state.event_id, state.kind) == (last.id, last.kind)


def _network(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


@given(st.ip_addresses())
def test_an_ip_address_is_stored_cut_to_its_network(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    assert consent.truncate_ip(f" {address} ") == _network(address)
    if address.version == 6:  # with a zone, and IPv4 mapped into IPv6
        assert consent.truncate_ip(f"{address}%eth0") == _network(address)
    else:
        mapped = ipaddress.IPv6Address(f"::ffff:{address}")
        assert consent.truncate_ip(str(mapped)) == _network(address)


@pytest.mark.parametrize(
    "text", ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.04", "a.b.c.d", "1.2.3.4/24"]
)
def test_what_is_not_an_ip_address_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="not an IPv4 or IPv6 address"):
        consent.truncate_ip(text)
