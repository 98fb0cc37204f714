"""Data-map versions of an organisation: checked against its policy, numbered, audited."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from privaat.core.clock import FrozenClock
from privaat.engine import datamaps, orgs
from privaat.engine.datamaps import DataMapCache
from privaat.errors import Conflict, InvalidDocument, UnreadableInput
from privaat.examples import example_text
from privaat.store.db import Store
from privaat.store.models import DataMapVersion, Organisation

HAND = Path(__file__).parents[1] / "fixtures" / "datamaps" / "company.yaml"


@pytest.fixture
def jensdev(store: Store, clock: FrozenClock) -> Organisation:
    with store.transaction() as session:
        org = orgs.create_org(session, "jensdev", "JENSDEV", now=clock.now(), actor="cli")
        orgs.load_version(session, org, example_text("jensdev"), now=clock.now(), actor="cli")
    return org


def _load(store: Store, clock: FrozenClock, org: Organisation, text: str) -> int:
    with store.transaction() as session:
        row = session.get(Organisation, org.id)
        assert row is not None
        result = datamaps.load_datamap_version(
            session,
            row,
            text,
            file="company.yaml",
            base_dir=HAND.parent,
            now=clock.now(),
            actor="staff:1",
        )
        return result.version.number


def test_versions_are_numbered_and_the_newest_is_in_force(
    store: Store, clock: FrozenClock, jensdev: Organisation
) -> None:
    text = HAND.read_text(encoding="utf-8")
    assert _load(store, clock, jensdev, text) == 1
    assert _load(store, clock, jensdev, text.replace("created: created_at", "")) == 2
    with store.reading() as session:
        loaded = datamaps.active_datamap(session, jensdev.id)
        assert loaded is not None
        clients = loaded.datamap.stores[0].tables[0]
        assert clients.created is None  # version 2
        assert loaded.base_dir == HAND.parent
        rows = session.execute(select(DataMapVersion.number, DataMapVersion.loaded_by)).all()
        assert sorted(rows) == [(1, "staff:1"), (2, "staff:1")]


def test_loading_is_audited(store: Store, clock: FrozenClock, jensdev: Organisation) -> None:
    from privaat.store.models import AuditEntry

    _load(store, clock, jensdev, HAND.read_text(encoding="utf-8"))
    with store.reading() as session:
        entries = session.execute(
            select(AuditEntry.action, AuditEntry.target, AuditEntry.actor).where(
                AuditEntry.chain == jensdev.id, AuditEntry.action == "datamap.loaded"
            )
        ).all()
    assert [tuple(e) for e in entries] == [("datamap.loaded", "datamap:1", "staff:1")]


def test_a_map_that_does_not_fit_the_policy_is_refused(
    store: Store, clock: FrozenClock, org: Organisation
) -> None:
    # org runs the Jetstax policy: it has no 'invoices' hold and other categories
    with pytest.raises(InvalidDocument) as caught:
        _load(store, clock, org, HAND.read_text(encoding="utf-8"))
    messages = [i.message for i in caught.value.issues]
    assert any("is not a category of the policy" in m for m in messages)
    with store.reading() as session:
        assert datamaps.active_datamap(session, org.id) is None
        assert session.execute(select(DataMapVersion)).first() is None


def test_a_map_for_another_organisation_is_refused(
    store: Store, clock: FrozenClock, jensdev: Organisation
) -> None:
    text = HAND.read_text(encoding="utf-8").replace("organisation: jensdev", "organisation: acme")
    with pytest.raises(InvalidDocument) as caught:
        _load(store, clock, jensdev, text)
    issue = caught.value.issues[0]
    assert issue.message == "this map is for organisation 'acme', not 'jensdev'"
    assert (issue.file, issue.line) == ("company.yaml", 4)


def test_an_organisation_without_a_policy_cannot_load_a_map(
    store: Store, clock: FrozenClock
) -> None:
    with store.transaction() as session:
        bare = orgs.create_org(session, "bare", "Bare", now=clock.now(), actor="cli")
    with pytest.raises(Conflict, match="load its policy before its data map"):
        _load(store, clock, bare, HAND.read_text(encoding="utf-8"))


def test_bad_yaml_is_unreadable(store: Store, clock: FrozenClock, jensdev: Organisation) -> None:
    with pytest.raises(UnreadableInput):
        _load(store, clock, jensdev, "datamap: [\n")


def test_the_cache_parses_a_version_once(
    store: Store, clock: FrozenClock, jensdev: Organisation
) -> None:
    _load(store, clock, jensdev, HAND.read_text(encoding="utf-8"))
    cache = DataMapCache()
    with store.reading() as session:
        first = datamaps.active_datamap(session, jensdev.id, cache=cache)
        again = datamaps.active_datamap(session, jensdev.id, cache=cache)
    assert first is not None
    assert first is again
