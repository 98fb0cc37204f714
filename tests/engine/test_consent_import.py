"""CSV import of an existing consent list, on SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from privaat.core.clock import FrozenClock
from privaat.engine import consent, subjects
from privaat.engine.consent_import import ImportReport, RowError, import_csv
from privaat.engine.orgs import PolicyCache
from privaat.engine.subjects import IdentityKind
from privaat.errors import InvalidInput, UnreadableInput
from privaat.store.db import Store
from privaat.store.models import AuditEntry, ConsentEvent, ConsentState, Organisation, Subject

SOURCE = "Mailchimp export 2024-05-01"


def run(
    store: Store,
    org: Organisation,
    clock: FrozenClock,
    policies: PolicyCache,
    text: str | bytes,
    **kwargs: int,
) -> ImportReport:
    data = text.encode() if isinstance(text, str) else text
    with store.transaction() as session:
        return import_csv(
            session,
            org=org,
            data=io.BytesIO(data),
            source=SOURCE,
            actor="cli",
            now=clock.now(),
            policies=policies,
            name="list.csv",
            **kwargs,
        )


def count(store: Store, table: type[object]) -> int:
    with store.reading() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


GOOD_AND_BAD = """\
email,purpose,status,occurred_at,ip,user_agent,groups
an@example.be,newsletter,given,2024-03-01,203.0.113.77,"Mozilla/5.0
(two lines)",customers
bad-address,newsletter,given,2024-03-01,,,
piet@example.be,nope,given,2024-03-01T10:00:00+02:00,,,
jan@example.be,newsletter,given,2099-01-01,,,

jan@example.be,service,given,2024-03-01,,,
jan@example.be,newsletter,given,2024-03-02T09:30:00Z,,,
jan@example.be,newsletter,withdrawn,2024-04-01 12:00,,,
mie@example.be,direct_marketing,objected,2024-03-01,2001:db8:1:2::5,,customers|prospects
"""


def test_good_rows_are_imported_and_bad_rows_reported_by_line(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    report = run(store, org, clock, policies, GOOD_AND_BAD)
    assert (report.rows, report.imported, report.duplicates, report.failed) == (8, 4, 0, 4)
    assert report.errors[0] == RowError(4, "email", report.errors[0].message)
    assert "e-mail" in report.errors[0].message
    assert [(e.line, e.column) for e in report.errors] == [
        (4, "email"),
        (5, "purpose"),
        (6, "occurred_at"),
        (8, "status"),
    ]
    assert "future" in report.errors[2].message
    assert "'service' rests on contract" in report.errors[3].message
    assert count(store, ConsentEvent) == 4
    # a bad row leaves nothing behind: not even its subject
    assert count(store, Subject) == 3
    with store.reading() as session:
        assert subjects.find(session, org.id, IdentityKind.EMAIL, "piet@example.be") is None
        jan = subjects.find(session, org.id, IdentityKind.EMAIL, "jan@example.be")
        an = subjects.find(session, org.id, IdentityKind.EMAIL, "an@example.be")
        mie = subjects.find(session, org.id, IdentityKind.EMAIL, "mie@example.be")
        assert jan is not None
        assert an is not None
        assert mie is not None
        state = session.get(ConsentState, (org.id, jan, "newsletter"))
        assert state is not None
        assert state.kind == "withdrawn"
        [first] = consent.history(session, org.id, an)
        assert (first.channel, first.provenance, first.ip, first.notice_sha256) == (
            "import",
            SOURCE,
            "203.0.113.0",
            None,
        )
        assert first.user_agent == "Mozilla/5.0 (two lines)"
        assert first.occurred_at.isoformat() == "2024-03-01T00:00:00+00:00"
        [objection] = consent.history(session, org.id, mie)
        assert objection.ip == "2001:db8:1::"
        assert subjects.get(session, org.id, mie).groups == ("customers", "prospects")
        summary = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "consent.imported")
        ).one()
        assert "example.be" not in summary.detail
        per_event = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("consent.%"))
        )
        assert per_event == 5  # four events and the summary
    with store.reading() as session:
        decided = consent.check(session, org, an, "newsletter", policies, clock.now())
        assert decided.allowed


def test_importing_the_same_list_again_skips_every_row(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    run(store, org, clock, policies, GOOD_AND_BAD)
    again = run(store, org, clock, policies, GOOD_AND_BAD)
    assert (again.imported, again.duplicates, again.failed) == (0, 4, 4)
    assert count(store, ConsentEvent) == 4


def test_a_repeated_row_in_one_file_is_a_duplicate(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    text = "email,purpose,status,occurred_at\n" + "an@example.be,newsletter,given,2024-01-01\n" * 2
    report = run(store, org, clock, policies, text)
    assert (report.imported, report.duplicates) == (1, 1)


def test_semicolons_and_a_byte_order_mark(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    text = (
        "\ufeffPhone;Purpose;Status;Occurred_at\r\n+32 470 12 34 56;newsletter;Given;2024-01-01\r\n"
    )
    report = run(store, org, clock, policies, text.encode("utf-8"))
    assert (report.imported, report.failed) == (1, 0)
    with store.reading() as session:
        assert subjects.find(session, org.id, IdentityKind.PHONE, "+32470123456") is not None


def test_thousands_of_rows_go_in_batches(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    rows = [f"p{i}@example.be,newsletter,given,2024-01-01" for i in range(2500)]
    rows[1700] = "p1700@example.be,newsletter,maybe,2024-01-01"
    text = "email,purpose,status,occurred_at\n" + "\n".join(rows) + "\n"
    report = run(store, org, clock, policies, text)
    assert (report.rows, report.imported, report.failed) == (2500, 2499, 1)
    assert report.errors == [RowError(1702, "status", "must be given, withdrawn or objected")]
    assert count(store, ConsentState) == 2499


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("an@example.be,newsletter,given,2024-01-01\n", "not a header row"),
        ("emial,purpose,status,occurred_at\n", "did you mean 'email'"),
        ("email,purpose,status\n", "'occurred_at' is required"),
        ("email,phone,purpose,status,occurred_at\n", "exactly one identity column"),
        ("email,purpose,purpose,status,occurred_at\n", "appears twice"),
    ],
)
def test_a_file_without_a_usable_header_is_refused(
    store: Store,
    org: Organisation,
    clock: FrozenClock,
    policies: PolicyCache,
    text: str,
    says: str,
) -> None:
    with pytest.raises(InvalidInput, match=says):
        run(store, org, clock, policies, text)
    assert count(store, ConsentEvent) == 0


def test_a_file_that_is_not_utf8_or_too_large_is_unreadable(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    latin = "email,purpose,status,occurred_at\nrené@example.be,newsletter,given,2024-01-01\n"
    with pytest.raises(UnreadableInput) as caught:
        run(store, org, clock, policies, latin.encode("latin-1"))
    assert (caught.value.issue.file, caught.value.issue.line) == ("list.csv", 2)
    assert "UTF-8" in caught.value.issue.message
    with pytest.raises(UnreadableInput, match="larger than"):
        run(store, org, clock, policies, GOOD_AND_BAD, max_bytes=100)
    broken = 'email,purpose,status,occurred_at\n"an@example.be,newsletter,given,2024-01-01\n'
    with pytest.raises(UnreadableInput, match="not valid CSV"):
        run(store, org, clock, policies, broken)
    assert count(store, ConsentEvent) == 0


def test_a_source_is_required(
    store: Store, org: Organisation, clock: FrozenClock, policies: PolicyCache
) -> None:
    with store.transaction() as session, pytest.raises(InvalidInput, match="source is required"):
        import_csv(
            session,
            org=org,
            data=io.BytesIO(b"email,purpose,status,occurred_at\n"),
            source="  ",
            actor="cli",
            now=clock.now(),
            policies=policies,
        )
