"""The consent writer (api/fastpath.py): POST …/consents recorded in groups, one transaction
each, on SQLite and PostgreSQL; the route answering each write's own error; a group that
fails as a whole recorded one write at a time; the thread pool after close; and (PostgreSQL)
groups forming under a real server's load."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from privaat.api import create_app, fastpath
from privaat.api.fastpath import ConsentWriter
from privaat.api.routes import consent as routes_consent
from privaat.core.clock import FrozenClock
from privaat.engine.audit import seal
from privaat.engine.audit_verify import verify
from privaat.settings import Settings
from privaat.store.db import Store
from privaat.store.models import ConsentEvent, ConsentState, Organisation, Subject
from tests.api.test_consent import BASE, check, count, post_consent
from tests.conftest import bearer, drop_connections, jetstax_for_a_server
from tests.servers import serving

PROBLEM = "application/problem+json"


@dataclass
class Served:
    """An app as served (callers cached, so the fast path answers), and its client."""

    client: TestClient
    app: FastAPI
    token: str

    @property
    def writer(self) -> ConsentWriter:
        writer = self.app.state.consent_writer
        assert isinstance(writer, ConsentWriter)
        return writer

    def post(self, headers: dict[str, str] | None = None, **body: Any) -> Any:
        return post_consent(self.client, self.token, headers, **body)

    def posting(self, headers: dict[str, str] | None = None, **body: Any) -> Callable[[], Any]:
        """The write as a call, to send later or from another thread."""
        return lambda: self.post(headers, **body)


@pytest.fixture
def served(
    settings: Settings, store: Store, clock: FrozenClock, org: Organisation, admin_token: str
) -> Iterator[Served]:
    cached = settings.model_copy(update={"auth_cache_seconds": 60})
    app = create_app(cached, store=store, clock=clock)
    with TestClient(app) as client:
        assert check(client, admin_token)["state"] == "none"  # caches the caller
        yield Served(client, app, admin_token)


@dataclass
class Held:
    """The writer thread held in its first group until :meth:`release`; every group's size."""

    writer: ConsentWriter
    sizes: list[int] = field(default_factory=list)
    entered: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def wait_until_queued(self, jobs: int) -> None:
        """Until ``jobs`` writes wait for the writer (at most 30 s)."""
        assert self.entered.wait(timeout=30), "the writer took no group"
        for _ in range(600):
            if self.writer._jobs.qsize() >= jobs:
                return
            time.sleep(0.05)
        raise AssertionError(f"{self.writer._jobs.qsize()} writes queued, not {jobs}")

    def release(self) -> None:
        self.released.set()


@pytest.fixture
def held(served: Served, monkeypatch: pytest.MonkeyPatch) -> Iterator[Held]:
    writer = served.writer
    hold = Held(writer)
    write = writer._write

    def holding(group: Any) -> Any:
        hold.sizes.append(len(group))
        hold.entered.set()
        hold.released.wait(timeout=60)
        return write(group)

    monkeypatch.setattr(writer, "_write", holding)
    yield hold
    hold.release()  # never leave the writer held


@dataclass
class Paths:
    """Who recorded each write that the writer's group did not: the route (after the fast
    path gave the write up) or the fast path's own one-by-one ``recorded`` (the writer
    redoing a failed group, the thread pool); each by the person's e-mail address."""

    route: list[str | None] = field(default_factory=list)
    alone: list[str | None] = field(default_factory=list)


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> Paths:
    seen = Paths()
    for module, into in ((routes_consent, seen.route), (fastpath, seen.alone)):

        def counting(
            *args: Any, _into: list[str | None] = into, _was: Any = module.recorded
        ) -> Any:
            _into.append(args[2].email)
            return _was(*args)

        monkeypatch.setattr(module, "recorded", counting)
    return seen


def at_once(requests: list[Callable[[], Any]]) -> list[Any]:
    """Send each request from a thread of its own, all at once; their responses, in order."""
    responses: list[Any] = [None] * len(requests)
    failures: list[BaseException] = []
    start = threading.Barrier(len(requests), timeout=30)

    def send(at: int) -> None:
        try:
            start.wait()
            responses[at] = requests[at]()
        except BaseException as exc:  # collected: a thread's failure fails the test
            failures.append(exc)

    threads = [threading.Thread(target=send, args=(at,)) for at in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert not any(thread.is_alive() for thread in threads)
    return responses


def in_background(request: Callable[[], Any]) -> Callable[[], Any]:
    """Start ``request`` in a thread now; the returned call waits for its response."""
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(request()), daemon=True)
    thread.start()

    def result() -> Any:
        thread.join(timeout=60)
        assert out, "no response"
        return out[0]

    return result


def stored(store: Store, event_id: int) -> ConsentEvent:
    with store.reading() as session:
        event = session.get(ConsentEvent, event_id)
    assert event is not None, event_id
    return event


def assert_stored_once(store: Store, answers: list[Any]) -> None:
    """Each 201 answer's event is in the store, as answered, and no two answers share one."""
    ids = [answer.json()["id"] for answer in answers]
    assert len(set(ids)) == len(ids)
    for answer in answers:
        body = answer.json()
        event = stored(store, body["id"])
        assert (event.subject_id, event.purpose, event.kind) == (
            body["subject_id"],
            body["purpose"],
            body["kind"],
        )


# --------------------------------------------------------------------------- groups in-process


def test_concurrent_writes_are_each_answered_with_their_own_stored_event(
    served: Served, store: Store
) -> None:
    writes = 24
    answers = at_once(
        [
            served.posting(
                email=f"p{n % 8}@example.be",
                purpose=("newsletter", "direct_marketing", "performance")[n % 3],
                action="objected" if n % 3 == 2 else ("given", "withdrawn")[n % 2],
            )
            for n in range(writes)
        ]
    )
    assert [a.status_code for a in answers] == [201] * writes, [a.text for a in answers]
    assert_stored_once(store, answers)
    assert count(store, ConsentEvent) == writes
    assert count(store, Subject) == 8  # one subject per person, however many wrote at once


def test_writes_waiting_together_are_one_group_and_each_gets_its_answer(
    served: Served, held: Held, store: Store
) -> None:
    first = in_background(served.posting(email="first@example.be"))
    held.wait_until_queued(0)
    rest = [
        in_background(served.posting(email=f"p{n}@example.be", action="withdrawn"))
        for n in range(6)
    ]
    held.wait_until_queued(6)
    held.release()
    answers = [first(), *(answer() for answer in rest)]
    assert [a.status_code for a in answers] == [201] * 7
    assert held.sizes == [1, 6]
    assert_stored_once(store, answers)
    assert [a.json()["kind"] for a in answers[1:]] == ["withdrawn"] * 6
    assert count(store, ConsentEvent) == 7


def test_a_bad_write_in_a_group_gets_the_routes_problem_and_the_others_are_recorded(
    served: Served, held: Held, paths: Paths, store: Store
) -> None:
    first = in_background(served.posting(email="first@example.be"))
    held.wait_until_queued(0)
    group = [
        in_background(served.posting(email="good-1@example.be")),
        in_background(served.posting(email="bad@example.be", purpose="nope")),
        in_background(served.posting(email="refused@example.be", purpose="service")),
        in_background(served.posting(subject_id=999_999)),
        in_background(served.posting(email="good-2@example.be", purpose="direct_marketing")),
    ]
    held.wait_until_queued(len(group))
    held.release()
    good_1, bad, refused, unknown, good_2 = (answer() for answer in group)
    assert first().status_code == 201
    assert held.sizes[:2] == [1, len(group)]
    for problem, status, says in (
        (bad, 422, "'nope'"),
        (refused, 422, "contract"),
        (unknown, 404, None),
    ):
        assert problem.status_code == status, problem.text
        assert problem.headers["content-type"] == PROBLEM
        if says:
            assert says in problem.json()["detail"]
    assert (good_1.status_code, good_2.status_code) == (201, 201)
    assert_stored_once(store, [good_1, good_2])
    assert count(store, ConsentEvent) == 3
    with store.reading() as session:
        people = session.scalar(select(func.count()).select_from(Subject))
    assert people == 3  # nobody made for the bad writes
    # the group stood: only the bad writes went on to the route
    assert sorted(paths.route, key=str) == sorted(
        ["bad@example.be", "refused@example.be", None], key=str
    )
    assert paths.alone == []


def test_a_group_that_fails_as_a_whole_is_recorded_one_write_at_a_time(
    served: Served, held: Held, paths: Paths, store: Store
) -> None:
    """Two writes in one group with one Idempotency-Key for different facts: the group
    fails with Conflict, and alone the first is recorded and the second answered 409; the
    group's other write is recorded all the same."""
    first = in_background(served.posting(email="first@example.be"))
    held.wait_until_queued(0)
    key = {"Idempotency-Key": "signup-7f3a"}
    group = [
        in_background(served.posting(key, email="an@example.be")),
        in_background(served.posting(email="innocent@example.be")),
        in_background(served.posting(key, email="an@example.be", purpose="direct_marketing")),
    ]
    held.wait_until_queued(len(group))
    held.release()
    answers = [answer() for answer in group]
    assert first().status_code == 201
    assert held.sizes[:2] == [1, len(group)]
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201, 201, 409], [a.text for a in answers]
    [conflict] = [a for a in answers if a.status_code == 409]
    assert conflict.headers["content-type"] == PROBLEM
    keyed = [a for a in (answers[0], answers[2]) if a.status_code == 201]
    assert len(keyed) == 1
    with store.reading() as session:
        with_key = list(
            session.scalars(
                select(ConsentEvent).where(ConsentEvent.idempotency_key == "signup-7f3a")
            )
        )
    assert [e.id for e in with_key] == [keyed[0].json()["id"]]
    assert_stored_once(store, [a for a in answers if a.status_code == 201])
    assert count(store, ConsentEvent) == 3
    # redone by the writer one by one; only the write refused alone went on to the route
    assert sorted(paths.alone, key=str) == ["an@example.be", "an@example.be", "innocent@example.be"]
    assert paths.route == ["an@example.be"]
    # the writer goes on with the next group
    assert served.post(email="after@example.be").status_code == 201


def test_a_retry_with_the_same_key_in_one_group_is_one_event(
    served: Served, held: Held, store: Store
) -> None:
    first = in_background(served.posting(email="first@example.be"))
    held.wait_until_queued(0)
    key = {"Idempotency-Key": "retry-1"}
    group = [in_background(served.posting(key, email="an@example.be")) for _ in range(3)]
    held.wait_until_queued(len(group))
    held.release()
    answers = [answer() for answer in group]
    assert first().status_code == 201
    assert held.sizes[:2] == [1, 3]
    assert [a.status_code for a in answers] == [201] * 3
    assert len({a.json()["id"] for a in answers}) == 1
    assert count(store, ConsentEvent, ConsentEvent.idempotency_key == "retry-1") == 1


# --------------------------------------------------------------------------- around the writer


def test_closing_the_writer_records_what_waits_and_later_writes_go_to_the_thread_pool(
    served: Served, held: Held, paths: Paths, store: Store
) -> None:
    first = in_background(served.posting(email="first@example.be"))
    held.wait_until_queued(0)
    waiting = [in_background(served.posting(email=f"waiting-{n}@example.be")) for n in range(2)]
    held.wait_until_queued(2)
    closing = threading.Thread(target=served.writer.close, daemon=True)
    closing.start()  # waits for the writer's thread to end
    held.release()
    closing.join(timeout=30)
    assert not closing.is_alive()
    answers = [first(), *(answer() for answer in waiting)]
    assert [a.status_code for a in answers] == [201] * 3
    assert held.sizes == [1, 2]

    after = served.post(email="after@example.be", purpose="direct_marketing", action="objected")
    assert after.status_code == 201, after.text
    assert held.sizes == [1, 2]  # not through the writer: recorded alone, in the thread pool
    assert (paths.alone, paths.route) == (["after@example.be"], [])
    assert after.json()["gpc_objections"] == []
    assert_stored_once(store, [*answers, after])
    assert count(store, ConsentEvent) == 4


def test_gpc_writes_and_subjects_named_by_id_with_groups_bypass_the_writer(
    served: Served, paths: Paths, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = served.writer
    through_writer: list[str] = []
    record = writer.record

    async def spy(access: Any, body: Any, key: Any, write: Any) -> Any:
        through_writer.append(body.purpose)
        return await record(access, body, key, write)

    monkeypatch.setattr(writer, "record", spy)
    gpc = served.post({"Sec-GPC": "1"}, email="an@example.be", ip="203.0.113.77")
    assert gpc.status_code == 201, gpc.text
    objections = gpc.json()["gpc_objections"]
    assert [(o["purpose"], o["kind"], o["channel"]) for o in objections] == [
        ("direct_marketing", "objected", "gpc")
    ]
    assert objections[0]["proof"]["ip"] == "203.0.113.0"
    assert through_writer == []
    assert check(served.client, served.token, "direct_marketing")["reason"] == "objected"
    assert check(served.client, served.token)["allowed"] is True

    subject_id = gpc.json()["subject_id"]
    grouped = served.post(
        subject_id=subject_id, purpose="performance", action="objected", groups=["customers"]
    )
    assert grouped.status_code == 201, grouped.text
    assert through_writer == []
    plain = served.post(email="piet@example.be")
    assert plain.status_code == 201
    assert through_writer == ["newsletter"]  # the spy sees what the writer takes
    # the other two: the fast path's own write alone, not the route
    assert (paths.alone, paths.route) == (["an@example.be", None], [])
    with store.reading() as session:
        subject = session.get(Subject, subject_id)
        gpc_events = session.scalar(
            select(func.count()).select_from(ConsentEvent).where(ConsentEvent.channel == "gpc")
        )
    assert subject is not None
    assert subject.groups == '["customers"]'
    assert gpc_events == 1


def test_the_writer_survives_the_database_dropping_its_connection(
    served: Served, store: Store
) -> None:
    assert served.post(email="before@example.be").status_code == 201
    drop_connections(store)
    after = served.post(email="after@example.be")
    assert after.status_code == 201, after.text
    assert served.post(email="later@example.be").status_code == 201
    assert_stored_once(store, [after])
    assert count(store, ConsentEvent) == 3


# --------------------------------------------------------------------------- a real server

CLIENTS = 24
EACH = 5


def test_a_served_process_records_concurrent_writes_in_groups(
    pg_store: Store, postgres_url: str, tmp_path: Path
) -> None:
    """Many clients at once against ``privaat serve --workers 2``: every write answered 201
    with its own stored event, and fewer commit times than writes (a group's writes share
    the time its transaction began)."""
    _org_id, token, env = jetstax_for_a_server(pg_store, postgres_url)
    answers: list[httpx.Response] = []
    failures: list[BaseException] = []
    start = threading.Barrier(CLIENTS, timeout=30)

    def client(number: int, base: str) -> None:
        try:
            with httpx.Client(base_url=base, headers=bearer(token), timeout=60) as http:
                # the first request of each worker caches the caller: then the fast path
                http.get(
                    f"{BASE}/consent", params={"purpose": "newsletter", "email": "x@example.be"}
                )
                start.wait()
                for i in range(EACH):
                    body = {
                        "email": f"p{(number * 3 + i) % 40}@example.org",
                        "purpose": "newsletter",
                        "action": ("given", "withdrawn")[(number + i) % 2],
                    }
                    answers.append(http.post(f"{BASE}/consents", json=body))
        except BaseException as exc:  # collected: a thread's failure fails the test
            start.abort()
            failures.append(exc)

    with serving("--workers", "2", cwd=tmp_path, env=env) as server:
        threads = [threading.Thread(target=client, args=(n, server.url)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert failures == []
    assert [a.status_code for a in answers] == [201] * CLIENTS * EACH, [
        a.text for a in answers if a.status_code != 201
    ][:3]
    assert_stored_once(pg_store, answers)
    with pg_store.transaction() as session:
        seal(session)
    with pg_store.reading() as session:
        events = session.scalar(select(func.count()).select_from(ConsentEvent))
        times = session.scalar(select(func.count(func.distinct(ConsentEvent.recorded_at))))
        latest: dict[int, str] = {}
        for subject_id, kind in session.execute(
            select(ConsentEvent.subject_id, ConsentEvent.kind).order_by(
                ConsentEvent.occurred_at, ConsentEvent.id
            )
        ):
            latest[subject_id] = kind
        states = dict(session.execute(select(ConsentState.subject_id, ConsentState.kind)).all())
    assert events == CLIENTS * EACH
    assert times is not None
    assert times < events  # groups formed: writes shared their group's transaction
    assert states == latest
    report = verify(pg_store.engine)
    assert report.intact, report
