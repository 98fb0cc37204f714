"""Double opt-in and unsubscribe links in the engine, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from privaat.core.clock import FrozenClock
from privaat.core.policy.model import Lang
from privaat.engine import links, notices, orgs, subjects
from privaat.engine.consent import EventKind
from privaat.engine.links import LinkSigner
from privaat.errors import InvalidInput, LinkInvalid, NotFound
from privaat.examples import example_text
from privaat.settings import Settings
from privaat.store.db import Store
from privaat.store.models import AuditEntry, ConsentEvent, ConsentState, Organisation

TTL = dt.timedelta(days=7)


@pytest.fixture
def signer(settings: Settings) -> LinkSigner:
    return LinkSigner.from_settings(settings)


@pytest.fixture
def subject(store: Store, org: Organisation, clock: FrozenClock) -> int:
    with store.transaction() as session:
        return subjects.ensure(
            session,
            org.id,
            subjects.IdentityKind.EMAIL,
            "an.peeters@example.be",
            now=clock.now(),
            actor="cli",
        )


def request_link(
    store: Store,
    org: Organisation,
    subject: int,
    clock: FrozenClock,
    signer: LinkSigner,
    purpose: str = "newsletter",
    language: Lang = "nl",
) -> links.ConfirmationLink:
    with store.transaction() as session:
        return links.request_confirmation(
            session,
            org=org,
            subject_id=subject,
            purpose=purpose,
            language=language,
            notice_sha256=None,
            now=clock.now(),
            actor="token:1",
            signer=signer,
        )


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def confirm(
    store: Store, token: str, org_id: int, clock: FrozenClock, signer: LinkSigner
) -> links.Outcome:
    with store.transaction() as session:
        return links.confirm(
            session,
            token,
            org_id=org_id,
            ip="203.0.113.77",
            user_agent="Test/1.0",
            now=clock.now(),
            policies=orgs.PolicyCache(),
            signer=signer,
        )


def unsubscribe(store: Store, token: str, clock: FrozenClock, signer: LinkSigner) -> links.Outcome:
    with store.transaction() as session:
        return links.unsubscribe(
            session,
            token,
            ip="198.51.100.20",
            user_agent="Mail/1.0",
            language="nl",
            provenance="list-unsubscribe=one-click",
            now=clock.now(),
            policies=orgs.PolicyCache(),
            signer=signer,
        )


def consent_events(store: Store, org_id: int) -> list[ConsentEvent]:
    with store.reading() as session:
        return list(
            session.execute(
                select(ConsentEvent).where(ConsentEvent.org_id == org_id).order_by(ConsentEvent.id)
            ).scalars()
        )


def state_of(store: Store, org_id: int, subject: int, purpose: str) -> str | None:
    with store.reading() as session:
        row = session.get(ConsentState, (org_id, subject, purpose))
        return row.kind if row is not None else None


# --------------------------------------------------------------------------- double opt-in


def test_asking_for_confirmation_records_no_consent_but_is_audited(
    store: Store, org: Organisation, subject: int, clock: FrozenClock, signer: LinkSigner
) -> None:
    link = request_link(store, org, subject, clock, signer)
    assert link.url.startswith("http://testserver/p/jetstax/confirm/")
    assert link.expires_at == clock.now() + TTL
    assert len(link.url) < 260, "links must stay short enough for every mail client"
    assert consent_events(store, org.id) == []
    assert state_of(store, org.id, subject, "newsletter") is None
    with store.reading() as session:
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.action == "consent.confirmation_requested")
        ).scalar_one()
    assert entry.subject_id == subject
    assert entry.actor == "token:1"
    assert '"purpose":"newsletter"' in entry.detail


def test_confirming_records_given_once_with_its_proof(
    store: Store, org: Organisation, subject: int, clock: FrozenClock, signer: LinkSigner
) -> None:
    link = request_link(store, org, subject, clock, signer, language="fr")
    token = token_of(link.url)
    clock.advance(dt.timedelta(hours=3))
    first = confirm(store, token, org.id, clock, signer)
    assert first.recorded
    assert first.kind is EventKind.GIVEN
    assert first.language == "fr"
    clock.advance(dt.timedelta(minutes=1))
    second = confirm(store, token, org.id, clock, signer)
    assert not second.recorded
    assert second.event_id == first.event_id

    [event] = consent_events(store, org.id)
    assert (event.kind, event.channel, event.subject_id) == ("given", "double_opt_in", subject)
    assert event.occurred_at == clock.now() - dt.timedelta(minutes=1)
    assert event.actor == "subject"
    nonce = signer.read_confirmation(token).nonce
    assert event.provenance == f"confirmation:{nonce}"
    assert event.idempotency_key == f"doi:{nonce}"
    with store.reading() as session:
        policy = orgs.active_policy(session, org)
    assert org.active_policy_id is not None
    assert event.notice_sha256 == notices.notice_sha256(org.active_policy_id, policy, "fr")
    assert state_of(store, org.id, subject, "newsletter") == "given"


def test_a_notice_hash_given_at_sign_up_is_the_one_recorded(
    store: Store, org: Organisation, subject: int, clock: FrozenClock, signer: LinkSigner
) -> None:
    shown = "ab" * 32
    with store.transaction() as session:
        link = links.request_confirmation(
            session,
            org=org,
            subject_id=subject,
            purpose="newsletter",
            language="en",
            notice_sha256=shown,
            now=clock.now(),
            actor="token:1",
            signer=signer,
        )
    confirm(store, token_of(link.url), org.id, clock, signer)
    [event] = consent_events(store, org.id)
    assert event.notice_sha256 == shown
    assert event.ip != "203.0.113.77", "the ledger stores a truncated address"


def test_an_expired_link_records_nothing(
    store: Store, org: Organisation, subject: int, clock: FrozenClock, signer: LinkSigner
) -> None:
    late = token_of(request_link(store, org, subject, clock, signer).url)
    in_time = token_of(request_link(store, org, subject, clock, signer).url)
    clock.advance(TTL - dt.timedelta(seconds=1))
    assert confirm(store, in_time, org.id, clock, signer).recorded
    clock.advance(dt.timedelta(seconds=1))
    with pytest.raises(LinkInvalid, match=r"^expired$"):
        confirm(store, late, org.id, clock, signer)
    assert len(consent_events(store, org.id)) == 1
    # a link that was confirmed in time still reads as confirmed afterwards
    with store.reading() as session:
        pending = links.inspect_confirmation(
            session,
            in_time,
            org_id=org.id,
            now=clock.now(),
            policies=orgs.PolicyCache(),
            signer=signer,
        )
    assert pending.event is not None


@pytest.mark.parametrize(
    "tamper",
    [
        # the signature (not its last character: base64 leaves some of its bits unused)
        lambda t: t[:-5] + ("A" if t[-5] != "A" else "B") + t[-4:],
        lambda t: ("x" if t[0] != "x" else "y") + t[1:],  # the payload
        lambda t: t[: len(t) // 2],  # cut off
        lambda t: "",
        lambda t: t + "." + t,
        lambda t: "é" * 10,
        lambda t: "a" * 5000,
    ],
)
def test_a_tampered_link_is_invalid(
    store: Store,
    org: Organisation,
    subject: int,
    clock: FrozenClock,
    signer: LinkSigner,
    tamper: Callable[[str], str],
) -> None:
    token = token_of(request_link(store, org, subject, clock, signer).url)
    with pytest.raises(LinkInvalid, match=r"^invalid$"):
        confirm(store, tamper(token), org.id, clock, signer)
    assert consent_events(store, org.id) == []


def test_a_link_signed_with_another_key_or_of_another_kind_is_invalid(
    store: Store, org: Organisation, subject: int, clock: FrozenClock, signer: LinkSigner
) -> None:
    other = LinkSigner("another-secret-key-0123456789-abcdefghij", "http://x", TTL)
    forged = token_of(request_link(store, org, subject, clock, other).url)
    with pytest.raises(LinkInvalid, match=r"^invalid$"):
        confirm(store, forged, org.id, clock, signer)
    unsubscribe_token = token_of(
        links.unsubscribe_link(org, subject, "newsletter", signer=signer).url
    )
    with pytest.raises(LinkInvalid, match=r"^invalid$"):
        confirm(store, unsubscribe_token, org.id, clock, signer)
    confirm_token = token_of(request_link(store, org, subject, clock, signer).url)
    with pytest.raises(LinkInvalid, match=r"^invalid$"):
        unsubscribe(store, confirm_token, clock, signer)
    assert consent_events(store, org.id) == []


def test_a_link_of_one_organisation_does_not_act_in_another(
    store: Store, org: Organisation, subject: int, clock: FrozenClock, signer: LinkSigner
) -> None:
    with store.transaction() as session:
        other = orgs.create_org(session, "acme", "Acme BV", now=clock.now(), actor="cli")
        orgs.load_version(session, other, example_text("jetstax"), now=clock.now(), actor="cli")
    token = token_of(request_link(store, org, subject, clock, signer).url)
    with pytest.raises(LinkInvalid, match=r"^invalid$"):
        confirm(store, token, other.id, clock, signer)
    with store.reading() as session:
        assert session.scalar(select(func.count()).select_from(ConsentEvent)) == 0
    # nor can a link be made for a subject of another organisation
    with store.transaction() as session, pytest.raises(NotFound):
        links.request_confirmation(
            session,
            org=other,
            subject_id=subject,
            purpose="newsletter",
            language="nl",
            notice_sha256=None,
            now=clock.now(),
            actor="token:1",
            signer=signer,
        )


@pytest.mark.parametrize("purpose", ["administration", "requests", "no_such_purpose"])
def test_only_consent_or_marketing_purposes_can_be_confirmed(
    store: Store,
    org: Organisation,
    subject: int,
    clock: FrozenClock,
    signer: LinkSigner,
    purpose: str,
) -> None:
    with pytest.raises(InvalidInput):
        request_link(store, org, subject, clock, signer, purpose=purpose)


def test_a_prospect_confirms_legitimate_interest_marketing_and_can_object(
    store: Store, org: Organisation, subject: int, clock: FrozenClock, signer: LinkSigner
) -> None:
    """Soft opt-in covers existing customers; a prospect needs consent (ePrivacy Art. 13)."""
    link = request_link(store, org, subject, clock, signer, purpose="direct_marketing")
    assert confirm(store, token_of(link.url), org.id, clock, signer).recorded
    assert state_of(store, org.id, subject, "direct_marketing") == "given"
    token = token_of(links.unsubscribe_link(org, subject, "direct_marketing", signer=signer).url)
    assert unsubscribe(store, token, clock, signer).kind is EventKind.OBJECTED
    assert state_of(store, org.id, subject, "direct_marketing") == "objected"


def test_a_malformed_notice_hash_is_refused(
    store: Store, org: Organisation, subject: int, clock: FrozenClock, signer: LinkSigner
) -> None:
    with store.transaction() as session, pytest.raises(InvalidInput):
        links.request_confirmation(
            session,
            org=org,
            subject_id=subject,
            purpose="newsletter",
            language="nl",
            notice_sha256="ZZ" * 32,
            now=clock.now(),
            actor="token:1",
            signer=signer,
        )


# --------------------------------------------------------------------------- unsubscribe


def test_the_unsubscribe_link_is_stable_and_carries_the_rfc_8058_headers(
    org: Organisation, subject: int, signer: LinkSigner
) -> None:
    first = links.unsubscribe_link(org, subject, "newsletter", signer=signer)
    again = links.unsubscribe_link(org, subject, "newsletter", signer=signer)
    assert first == again
    assert first.url.startswith("http://testserver/u/")
    assert first.list_unsubscribe_header == f"<{first.url}>"
    assert first.list_unsubscribe_post_header == "List-Unsubscribe=One-Click"
    assert first.headers == {
        "List-Unsubscribe": f"<{first.url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    other = links.unsubscribe_link(org, subject, "direct_marketing", signer=signer)
    assert other.url != first.url


def test_unsubscribing_withdraws_consent_once(
    store: Store, org: Organisation, subject: int, clock: FrozenClock, signer: LinkSigner
) -> None:
    confirm(
        store, token_of(request_link(store, org, subject, clock, signer).url), org.id, clock, signer
    )
    token = token_of(links.unsubscribe_link(org, subject, "newsletter", signer=signer).url)
    clock.advance(dt.timedelta(days=400))  # unsubscribe links do not expire
    first = unsubscribe(store, token, clock, signer)
    assert first.recorded
    assert first.kind is EventKind.WITHDRAWN
    second = unsubscribe(store, token, clock, signer)
    assert not second.recorded
    assert state_of(store, org.id, subject, "newsletter") == "withdrawn"
    kinds = [(e.kind, e.channel, e.provenance) for e in consent_events(store, org.id)]
    assert kinds == [
        ("given", "double_opt_in", kinds[0][2]),
        ("withdrawn", "unsubscribe", "list-unsubscribe=one-click"),
    ]


def test_one_can_leave_again_after_signing_up_again(
    store: Store, org: Organisation, subject: int, clock: FrozenClock, signer: LinkSigner
) -> None:
    token = token_of(links.unsubscribe_link(org, subject, "newsletter", signer=signer).url)
    for _ in range(2):
        confirm(
            store,
            token_of(request_link(store, org, subject, clock, signer).url),
            org.id,
            clock,
            signer,
        )
        assert unsubscribe(store, token, clock, signer).recorded
    kinds = [e.kind for e in consent_events(store, org.id)]
    assert kinds == ["given", "withdrawn", "given", "withdrawn"]


def test_unsubscribing_from_legitimate_interest_marketing_is_an_objection(
    store: Store, org: Organisation, subject: int, clock: FrozenClock, signer: LinkSigner
) -> None:
    token = token_of(links.unsubscribe_link(org, subject, "direct_marketing", signer=signer).url)
    first = unsubscribe(store, token, clock, signer)
    assert (first.kind, first.recorded) == (EventKind.OBJECTED, True)
    assert not unsubscribe(store, token, clock, signer).recorded
    assert [e.kind for e in consent_events(store, org.id)] == ["objected"]
    assert state_of(store, org.id, subject, "direct_marketing") == "objected"


def test_a_purpose_one_cannot_unsubscribe_from_gets_no_link(
    store: Store, org: Organisation, subject: int, signer: LinkSigner
) -> None:
    with store.reading() as session, pytest.raises(InvalidInput):
        links.create_unsubscribe_link(
            session, org=org, subject_id=subject, purpose="requests", signer=signer
        )
    with store.reading() as session:
        made = links.create_unsubscribe_link(
            session, org=org, subject_id=subject, purpose="newsletter", signer=signer
        )
    assert made == links.unsubscribe_link(org, subject, "newsletter", signer=signer)


def test_an_unsubscribe_link_for_a_purpose_that_does_not_suit_records_nothing(
    store: Store, org: Organisation, subject: int, clock: FrozenClock, signer: LinkSigner
) -> None:
    """A link signed for a contract purpose (never handed out) cannot withdraw anything."""
    token = token_of(links.unsubscribe_link(org, subject, "requests", signer=signer).url)
    with pytest.raises(LinkInvalid, match=r"^invalid$"):
        unsubscribe(store, token, clock, signer)
    assert consent_events(store, org.id) == []


def test_a_notice_published_in_one_language_only(
    store: Store, clock: FrozenClock, signer: LinkSigner
) -> None:
    """Without a hash from the sign-up, the link needs a notice in its language; unsubscribing
    works whatever the page's language."""
    source = example_text("jetstax").replace("languages: [nl, en, fr]", "languages: [nl]", 1)
    with store.transaction() as session:
        org = orgs.create_org(session, "eentalig", "Eentalig BV", now=clock.now(), actor="cli")
        orgs.load_version(session, org, source, now=clock.now(), actor="cli")
        subject = subjects.ensure(
            session,
            org.id,
            subjects.IdentityKind.PHONE,
            "+32 470 12 34 56",
            now=clock.now(),
            actor="cli",
        )
    with pytest.raises(InvalidInput, match="not published in 'fr'"):
        request_link(store, org, subject, clock, signer, language="fr")
    token = token_of(request_link(store, org, subject, clock, signer, language="nl").url)
    assert confirm(store, token, org.id, clock, signer).recorded
    with store.transaction() as session:
        outcome = links.unsubscribe(
            session,
            token_of(links.unsubscribe_link(org, subject, "newsletter", signer=signer).url),
            ip=None,
            user_agent=None,
            language="fr",
            provenance="unsubscribe-page",
            now=clock.now(),
            policies=orgs.PolicyCache(),
            signer=signer,
        )
    assert outcome.recorded
    assert state_of(store, org.id, subject, "newsletter") == "withdrawn"
