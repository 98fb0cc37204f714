"""Extensions, the requests that need attention, rejection and cancellation."""

from __future__ import annotations

import datetime as dt

import pytest

from privaat.core.clock import FrozenClock
from privaat.core.deadlines import TIMEZONE
from privaat.core.requests import OPEN, TRANSITIONS, RequestStatus, can_move, check_move
from privaat.engine.audit import latest_entries
from privaat.engine.rights import closing, deadlines, intake, records
from privaat.errors import Conflict, InvalidInput
from privaat.store.db import Store
from privaat.store.models import Organisation, RightsRequest
from tests.engine.rights.conftest import messages


def filed(
    store: Store,
    org: Organisation,
    clock: FrozenClock,
    language: str = "nl",
    email: str = "an@example.be",
) -> str:
    with store.transaction() as session:
        return intake.file_request(
            session,
            org=org,
            kind="erasure",
            identity_kind="email",
            identity_value=email,
            language=language,
            channel="email",
            details=None,
            now=clock.now(),
            actor="token:1",
        ).request.reference


def extend(
    store: Store, org: Organisation, clock: FrozenClock, ref: str, months: int, reason: str
) -> deadlines.Extended:
    with store.transaction() as session:
        row = records.get(session, org.id, ref, lock=True)
        return deadlines.extend(
            session, row, months, reason, org=org, now=clock.now(), actor="staff:2"
        )


def get(store: Store, org: Organisation, ref: str) -> RightsRequest:
    with store.reading() as session:
        return records.get(session, org.id, ref)


@pytest.mark.parametrize(
    ("language", "subject", "phrases"),
    [
        (
            "nl",
            "Verlenging van de termijn voor uw verzoek",
            ["met twee maanden", "uiterlijk op 21 februari 2027"],
        ),
        (
            "en",
            "Extension of the period for your request",
            ["by two months", "no later than 21 February 2027"],
        ),
        (
            "fr",
            "Prolongation du délai de réponse à votre demande",
            ["de deux mois", "au plus tard le 21 février 2027"],
        ),
    ],
)
def test_an_extension_tells_the_person_why_and_until_when(
    store: Store,
    org: Organisation,
    clock: FrozenClock,
    language: str,
    subject: str,
    phrases: list[str],
) -> None:
    ref = filed(store, org, clock, language)
    clock.advance(dt.timedelta(days=20))
    done = extend(store, org, clock, ref, 2, "Uw gegevens staan in zes systemen.")
    assert done.notified
    row = get(store, org, ref)
    assert row.extended_until is not None
    assert row.extended_until.astimezone(TIMEZONE).date() == dt.date(2027, 2, 21)
    assert row.extension_reason == "Uw gegevens staan in zes systemen."
    [notice] = messages(store, "extension")
    assert notice.subject_line == subject
    assert "Uw gegevens staan in zes systemen." in notice.body
    for phrase in phrases:
        assert phrase in notice.body
    with store.transaction() as session:
        [entry] = [e for e in latest_entries(session, org.id, 10) if e.action == "request.extended"]
    assert entry.actor == "staff:2"
    assert entry.detail_object()["months"] == 2
    assert "zes systemen" not in entry.detail


def test_an_extension_is_decided_once_before_the_deadline(
    store: Store, org: Organisation, clock: FrozenClock
) -> None:
    ref = filed(store, org, clock)
    with pytest.raises(InvalidInput, match="reason"):
        extend(store, org, clock, ref, 1, " ")
    with pytest.raises(InvalidInput, match="1 to 2"):
        extend(store, org, clock, ref, 3, "complex")
    extend(store, org, clock, ref, 1, "complex")
    with pytest.raises(Conflict, match="extended already"):
        extend(store, org, clock, ref, 1, "more")
    late = filed(store, org, clock)
    clock.advance(dt.timedelta(days=31))
    with pytest.raises(Conflict, match="first deadline has passed"):
        extend(store, org, clock, late, 2, "complex")
    assert len(messages(store, "extension")) == 1


def test_a_closed_request_cannot_be_extended(
    store: Store, org: Organisation, clock: FrozenClock
) -> None:
    ref = filed(store, org, clock)
    with store.transaction() as session:
        row = records.get(session, org.id, ref, lock=True)
        closing.cancel(session, row, "a duplicate of another request", now=clock.now(), actor="cli")
    with pytest.raises(Conflict, match="no longer runs"):
        extend(store, org, clock, ref, 1, "complex")


def test_the_requests_needing_attention(
    store: Store, org: Organisation, clock: FrozenClock
) -> None:
    early = filed(store, org, clock)
    clock.advance(dt.timedelta(days=20))
    middle = filed(store, org, clock)
    extended = filed(store, org, clock)
    extend(store, org, clock, extended, 2, "complex")
    closed = filed(store, org, clock)
    with store.transaction() as session:
        row = records.get(session, org.id, closed, lock=True)
        closing.cancel(session, row, "withdrawn by the person", now=clock.now(), actor="cli")
    clock.advance(dt.timedelta(days=8))  # early is due in 3 days, middle in 23
    with store.reading() as session:
        soon = deadlines.needing_attention(session, org.id, now=clock.now(), within_days=7)
        assert [r.reference for r in soon] == [early]
        wide = deadlines.needing_attention(session, org.id, now=clock.now(), within_days=30)
        assert [r.reference for r in wide] == [early, middle]
    clock.advance(dt.timedelta(days=5))  # early is overdue
    with store.reading() as session:
        overdue, total = records.listing(
            session, org.id, records.Filters(overdue=True), now=clock.now()
        )
        assert ([r.reference for r in overdue], total) == ([early], 1)
        every, total = records.listing(session, org.id, records.Filters(), now=clock.now())
        assert total == 4
        assert every[0].reference == early
        cancelled, _ = records.listing(
            session,
            org.id,
            records.Filters(statuses=[RequestStatus.CANCELLED]),
            now=clock.now(),
        )
        assert [r.reference for r in cancelled] == [closed]


def test_a_rejection_is_a_letter_with_reasons_and_remedies(
    store: Store, org: Organisation, clock: FrozenClock
) -> None:
    ref = filed(store, org, clock, "fr")
    with store.transaction() as session:
        row = records.get(session, org.id, ref, lock=True)
        done = closing.reject(
            session,
            row,
            "Votre demande est manifestement infondée.",
            org=org,
            now=clock.now(),
            actor="staff:2",
        )
    assert done.notified
    row = get(store, org, ref)
    assert (row.status, row.completed_at) == ("rejected", clock.now())
    assert row.closing_note == "Votre demande est manifestement infondée."
    [letter] = messages(store, "rejection")
    assert letter.subject_line == "Notre décision concernant votre demande"
    assert "Votre demande est manifestement infondée." in letter.body
    assert "Autorité de protection des données (APD)" in letter.body
    assert "recours juridictionnel" in letter.body
    with store.transaction() as session:
        row = records.get(session, org.id, ref, lock=True)
        with pytest.raises(Conflict, match="rejected cannot become"):
            closing.cancel(session, row, "changed our mind", now=clock.now(), actor="cli")


def test_the_status_machine() -> None:
    assert can_move(RequestStatus.RECEIVED, RequestStatus.VERIFIED)
    assert not can_move(RequestStatus.RECEIVED, RequestStatus.PLANNED)  # verify first
    assert not can_move(RequestStatus.EXECUTING, RequestStatus.CANCELLED)
    assert {
        RequestStatus.RECEIVED,
        RequestStatus.VERIFIED,
        RequestStatus.PLANNED,
        RequestStatus.EXECUTING,
    } == OPEN
    for status in RequestStatus:
        assert status in TRANSITIONS
    with pytest.raises(Conflict, match="done cannot become"):
        check_move("done", RequestStatus.EXECUTING)
    with pytest.raises(Conflict, match="unknown status"):
        check_move("lost", RequestStatus.DONE)
