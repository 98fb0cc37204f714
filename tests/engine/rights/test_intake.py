"""Filing a rights request: identities, kinds, details, deadline, acknowledgement, audit."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select

from privaat.core.clock import FrozenClock
from privaat.core.deadlines import TIMEZONE
from privaat.core.requests import RequestKind
from privaat.engine import orgs, subjects
from privaat.engine.audit import latest_entries
from privaat.engine.orgs import PolicyCache
from privaat.engine.rights import intake, records
from privaat.engine.subjects import IdentityKind
from privaat.errors import InvalidInput
from privaat.examples import example_text
from privaat.store.db import Store
from privaat.store.models import Organisation, RightsRequest
from tests.engine.rights.conftest import messages


def file(
    store: Store,
    org: Organisation,
    clock: FrozenClock,
    *,
    kind: str = "access",
    identity: tuple[str, str] = ("email", "An.Peeters@Example.BE"),
    language: str | None = "nl",
    details: dict[str, Any] | None = None,
    policies: PolicyCache | None = None,
) -> RightsRequest:
    with store.transaction() as session:
        filed = intake.file_request(
            session,
            org=session.get(Organisation, org.id) or org,
            kind=kind,
            identity_kind=identity[0],
            identity_value=identity[1],
            language=language,
            channel="api",
            details=details,
            now=clock.now(),
            actor="token:1",
            policies=policies,
        )
        return filed.request


def test_a_request_is_filed_with_its_deadline_and_acknowledged(
    store: Store, org: Organisation, clock: FrozenClock
) -> None:
    request = file(store, org, clock)
    assert request.status == "received"
    assert request.identity_value == "an.peeters@example.be"
    assert request.subject_id is None  # unknown: no subject is made for a request
    assert len(request.reference) >= 22
    assert request.due_at.astimezone(TIMEZONE).date() == dt.date(2026, 12, 21)
    [ack] = messages(store, "acknowledgement")
    assert ack.to_address == "an.peeters@example.be"
    assert ack.language == "nl"
    assert ack.subject_line == "Ontvangstbevestiging van uw verzoek"
    assert "Op 21 november 2026 hebben wij uw verzoek ontvangen betreffende inzage" in ack.body
    assert "uiterlijk op 21 december 2026" in ack.body
    assert request.reference in ack.body
    assert ack.sent_at is None


def test_references_are_unguessable_and_distinct(
    store: Store, org: Organisation, clock: FrozenClock
) -> None:
    refs = {file(store, org, clock).reference for _ in range(5)}
    assert len(refs) == 5
    assert all(records.REFERENCE.match(r) for r in refs)


def test_the_audit_names_the_kind_never_the_identity(
    store: Store, org: Organisation, clock: FrozenClock
) -> None:
    request = file(
        store,
        org,
        clock,
        kind="rectification",
        details={"user.contact.address": "Kerkstraat 1, 2000 Antwerpen"},
    )
    with store.transaction() as session:
        [entry] = [e for e in latest_entries(session, org.id, 20) if e.action == "request.filed"]
    assert entry.target == f"request:{request.reference}"
    detail = entry.detail_object()
    assert detail["kind"] == "rectification"
    assert detail["identity"] == "email"
    assert detail["fields"] == ["user.contact.address"]
    assert "example.be" not in entry.detail
    assert "Kerkstraat" not in entry.detail


def test_a_known_subject_is_linked_and_written_to_at_its_address(
    store: Store, org: Organisation, clock: FrozenClock
) -> None:
    with store.transaction() as session:
        sid = subjects.ensure(
            session,
            org.id,
            IdentityKind.PHONE,
            "+32470123456",
            now=clock.now(),
            actor="cli",
            language="fr",
        )
        subjects.add_identity(
            session, org.id, sid, IdentityKind.EMAIL, "jan@example.be", now=clock.now(), actor="cli"
        )
    request = file(store, org, clock, identity=("phone", "0470 12 34 56"), language=None)
    assert request.identity_value == "+32470123456"
    assert request.subject_id == sid
    assert request.language == "fr"  # the subject's
    [ack] = messages(store, "acknowledgement")
    assert ack.to_address == "jan@example.be"
    assert ack.subject_line == "Accusé de réception de votre demande"
    assert "Le 21 novembre 2026, nous avons reçu votre demande concernant l'accès" in ack.body


def test_without_an_email_address_nothing_is_queued(
    store: Store, org: Organisation, clock: FrozenClock
) -> None:
    with store.transaction() as session:
        filed = intake.file_request(
            session,
            org=orgs.org_by_slug(session, "jetstax"),
            kind=RequestKind.ERASURE,
            identity_kind="customer_number",
            identity_value="  C-1001 ",
            language="en",
            channel="letter",
            details=None,
            now=clock.now(),
            actor="cli",
        )
    assert not filed.acknowledged
    assert filed.request.identity_value == "C-1001"
    assert messages(store) == []


@pytest.mark.parametrize(
    ("region", "typed", "stored"),
    [
        ("BE", "0470 12 34 56", "+32470123456"),
        ("BE", "+32 (0)470/12.34.56", "+32470123456"),
        ("NL", "06 12345678", "+31612345678"),
        ("NL", "0032 470 12 34 56", "+32470123456"),
    ],
)
def test_phone_numbers_are_stored_in_e164(region: str, typed: str, stored: str) -> None:
    assert intake.normalise_identity("phone", typed, region) == stored


@pytest.mark.parametrize(
    ("kind", "value"),
    [("phone", "12"), ("phone", "0470"), ("email", "no-at-sign"), ("fax", "x")],
)
def test_bad_identities_are_refused(kind: str, value: str) -> None:
    with pytest.raises(InvalidInput):
        intake.normalise_identity(kind, value)


@pytest.fixture
def jixaw(store: Store, clock: FrozenClock) -> Organisation:
    """A Dutch organisation whose policy has an automated decision."""
    with store.transaction() as session:
        org = orgs.create_org(session, "jixaw", "Jixaw", now=clock.now(), actor="cli")
        orgs.load_version(session, org, example_text("jixawstudio"), now=clock.now(), actor="cli")
    return org


def test_a_dutch_organisation_reads_local_numbers_as_dutch(
    store: Store, jixaw: Organisation, clock: FrozenClock
) -> None:
    request = file(store, jixaw, clock, identity=("phone", "06 12345678"))
    assert request.identity_value == "+31612345678"


@pytest.mark.parametrize(
    ("kind", "details", "message"),
    [
        ("access", {"scope": "invoices"}, "takes no details"),
        ("rectification", {}, "names what to correct"),
        ("rectification", {"user.shoe_size": "44"}, "neither a data category"),
        ("rectification", {"email": "not an address"}, "not a valid e-mail"),
        ("rectification", {"user.name": ""}, "non-empty text"),
        ("rectification", {"user.name": 7}, "non-empty text"),
        ("rectification", {"user.name": "a\x00b"}, "printable"),
        ("objection", {}, "names its purposes"),
        ("objection", {"purposes": "newsletter"}, "names its purposes"),
        ("objection", {"purposes": ["nope"]}, "no purpose 'nope'"),
        ("objection", {"purposes": ["service"]}, "one can object only"),
        ("withdrawal", {"purposes": ["administration"]}, "only consent"),
        ("review", {"decision": "credit-score"}, "no automated decision"),
        ("review", {}, "names the decision"),
    ],
)
def test_details_are_checked_against_the_policy(
    store: Store,
    org: Organisation,
    clock: FrozenClock,
    kind: str,
    details: dict[str, Any],
    message: str,
) -> None:
    with pytest.raises(InvalidInput, match=message):
        file(store, org, clock, kind=kind, details=details)
    with store.reading() as session:
        assert session.execute(select(RightsRequest)).first() is None
    assert messages(store) == []


def test_valid_details_are_kept_normalised(
    store: Store, org: Organisation, clock: FrozenClock
) -> None:
    rectify = file(
        store,
        org,
        clock,
        kind="rectification",
        details={"email": " New@Example.BE ", "user.name": " An Peeters "},
    )
    assert json.loads(rectify.details) == {"email": "new@example.be", "user.name": "An Peeters"}
    objection = file(
        store,
        org,
        clock,
        kind="objection",
        details={"purposes": ["direct_marketing", "statistics", "direct_marketing"]},
    )
    assert json.loads(objection.details) == {"purposes": ["direct_marketing", "statistics"]}
    withdrawal = file(store, org, clock, kind="withdrawal", details={"purposes": ["newsletter"]})
    assert json.loads(withdrawal.details) == {"purposes": ["newsletter"]}


def test_a_review_names_an_automated_decision_of_the_policy(
    store: Store, jixaw: Organisation, clock: FrozenClock
) -> None:
    request = file(store, jixaw, clock, kind="review", details={"decision": "unpaid-invoices"})
    assert json.loads(request.details) == {"decision": "unpaid-invoices"}
    [ack] = messages(store)
    assert "menselijke herbeoordeling" in ack.body


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("kind", "complaint", "kind must be one of"),
        ("channel", "pigeon", "channel must be one of"),
        ("language", "de", "language must be one of"),
    ],
)
def test_unknown_kinds_channels_and_languages_are_refused(
    store: Store, org: Organisation, clock: FrozenClock, field: str, value: str, message: str
) -> None:
    arguments: dict[str, Any] = {
        "kind": "access",
        "identity_kind": "email",
        "identity_value": "a@example.be",
        "language": "nl",
        "channel": "api",
        "details": None,
    }
    arguments[field] = value
    with store.transaction() as session, pytest.raises(InvalidInput, match=message):
        intake.file_request(session, org=org, now=clock.now(), actor="cli", **arguments)


def test_a_letter_received_earlier_counts_from_its_receipt(
    store: Store, org: Organisation, clock: FrozenClock
) -> None:
    received = clock.now() - dt.timedelta(days=10)
    with store.transaction() as session:
        filed = intake.file_request(
            session,
            org=org,
            kind="erasure",
            identity_kind="email",
            identity_value="a@example.be",
            language="en",
            channel="letter",
            details=None,
            now=clock.now(),
            actor="cli",
            received_at=received,
        )
    assert filed.request.due_at.astimezone(TIMEZONE).date() == dt.date(2026, 12, 11)
    with store.transaction() as session, pytest.raises(InvalidInput, match="future"):
        intake.file_request(
            session,
            org=org,
            kind="erasure",
            identity_kind="email",
            identity_value="a@example.be",
            language="en",
            channel="letter",
            details=None,
            now=clock.now(),
            actor="cli",
            received_at=clock.now() + dt.timedelta(hours=1),
        )


def test_a_reference_never_reads_as_a_command_line_option() -> None:
    # About one in 64 random references would start with "-"; 2,000 make missing it unlikely.
    references = {records.new_reference() for _ in range(2000)}
    assert len(references) == 2000
    assert not any(r.startswith("-") for r in references)
