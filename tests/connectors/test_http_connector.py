"""The HTTP connector against a real HTTP server standing in for a SaaS tool's API."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from privaat.connectors.base import ConnectContext, Person, Step
from privaat.connectors.registry import connect
from privaat.core.datamap.loader import load_datamap
from privaat.core.datamap.model import Store
from privaat.core.policy.loader import load_policy
from privaat.errors import StoreFailed, UsageError
from privaat.examples import example_text

API_KEY = "k-3f9a"


class Tool:
    """A helpdesk SaaS: contacts by e-mail, deletable; demands its API key."""

    def __init__(self) -> None:
        self.contacts: list[dict[str, Any]] = [
            {"id": 7, "email": "jan.peeters@example.be", "name": "Jan Peeters", "tickets": 3},
            {"id": 8, "email": "eva@example.nl", "name": "Eva", "tickets": 1},
        ]
        self.seen_keys: list[str | None] = []
        self.fail_with: int | None = None


@pytest.fixture
def tool() -> Iterator[tuple[Tool, str]]:
    state = Tool()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: Any) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            state.seen_keys.append(self.headers.get("X-Api-Key"))
            if state.fail_with:
                self._answer(state.fail_with, {"error": "boom"})
                return
            if self.headers.get("X-Api-Key") != API_KEY:
                self._answer(401, {"error": "no key"})
                return
            email = parse_qs(urlparse(self.path).query).get("email", [""])[0]
            found = [c for c in state.contacts if c["email"] == email]
            self._answer(200, {"data": {"contacts": found}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            if self.headers.get("X-Api-Key") != API_KEY:
                self._answer(401, {"error": "no key"})
                return
            state.contacts = [c for c in state.contacts if c["email"] != body["email"]]
            self._answer(200, {"deleted": True})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _store(base: str, *, delete: bool = True) -> Store:
    delete_call = (
        f"""
    delete:
      method: POST
      url: {base}/contacts/delete
      headers_env: {{X-Api-Key: HELPDESK_KEY}}
      body: {{email: "{{email}}"}}"""
        if delete
        else ""
    )
    text = f"""
datamap: 1
stores:
  - id: helpdesk
    connector: http
    categories: [user.contact.email, user.name]
    identities: [email]
    find:
      url: {base}/contacts?email={{email}}
      headers_env: {{X-Api-Key: HELPDESK_KEY}}
      records: [data, contacts]{delete_call}
"""
    policy = load_policy(example_text("jensdev")).policy
    return load_datamap(text, "map.yaml", policy=policy).datamap.stores[0]


def _context(environ: dict[str, str] | None = None) -> ConnectContext:
    return ConnectContext(
        policy=load_policy(example_text("jensdev")).policy,
        base_dir=Path("."),
        environ={"HELPDESK_KEY": API_KEY} if environ is None else environ,
        masking_key=b"k" * 32,
        today=dt.date(2026, 11, 22),
    )


JAN = Person.of(email="Jan.Peeters@example.be")


def test_access_exports_the_records_the_tool_returns(tool: tuple[Tool, str]) -> None:
    state, base = tool
    connector = connect(_store(base), _context())
    assert connector.plan_access(JAN) == [
        connector.plan_access(JAN)[0].__class__("helpdesk", "records", Step.EXPORT, 1)
    ]
    [collection] = list(connector.export(JAN))
    rows = list(collection.rows)
    assert collection.columns == ("id", "email", "name", "tickets")
    assert rows == [(7, "jan.peeters@example.be", "Jan Peeters", 3)]
    assert set(state.seen_keys) == {API_KEY}


def test_erasure_calls_delete_and_the_search_then_finds_nothing(tool: tuple[Tool, str]) -> None:
    state, base = tool
    connector = connect(_store(base), _context())
    [plan] = connector.plan_erasure([JAN])
    assert [(line.step, line.rows) for line in plan] == [(Step.DELETE, 1)]
    [outcome] = connector.erase([JAN])
    assert outcome.lines == tuple(plan)
    assert [c["id"] for c in state.contacts] == [8]
    assert connector.search(JAN) == []


def test_without_a_delete_call_erasure_is_a_manual_task(tool: tuple[Tool, str]) -> None:
    state, base = tool
    connector = connect(_store(base, delete=False), _context())
    [outcome] = connector.erase([JAN])
    assert [line.step for line in outcome.lines] == [Step.MANUAL]
    assert len(state.contacts) == 2
    [hit] = connector.search(JAN)
    assert (hit.store, hit.rows, hit.held) == ("helpdesk", 1, False)


def test_an_unknown_person_has_nothing(tool: tuple[Tool, str]) -> None:
    _state, base = tool
    connector = connect(_store(base), _context())
    nobody = Person.of(email="nobody@example.org")
    assert [line.rows for line in connector.plan_access(nobody)] == [0]
    assert connector.search(nobody) == []


def test_an_error_answer_is_a_store_failure_without_personal_data(
    tool: tuple[Tool, str],
) -> None:
    state, base = tool
    state.fail_with = 500
    connector = connect(_store(base), _context())
    with pytest.raises(StoreFailed) as failed:
        list(connector.export(JAN))
    assert str(failed.value) == "store 'helpdesk': GET answered HTTP 500"
    assert "jan" not in str(failed.value).lower()


def test_an_unreachable_tool_is_a_store_failure() -> None:
    connector = connect(_store("http://127.0.0.1:9"), _context())
    with pytest.raises(StoreFailed, match="GET failed"):
        connector.plan_access(JAN)


def test_a_missing_api_key_variable_is_named() -> None:
    with pytest.raises(UsageError, match="HELPDESK_KEY"):
        connect(_store("http://127.0.0.1:9"), _context(environ={}))


def test_a_placeholder_that_is_not_an_identity_is_refused() -> None:
    store = _store("http://127.0.0.1:9")
    assert store.find is not None
    bad = store.model_copy(
        update={"find": store.find.model_copy(update={"url": "http://x/{password}"})}
    )
    with pytest.raises(UsageError, match="may only name"):
        connect(bad, _context())


def test_manual_store_turns_every_change_into_a_task() -> None:
    text = """
datamap: 1
stores:
  - id: paper
    connector: manual
    categories: [user.name]
    instructions: Shred the paper file in the cabinet of the office.
"""
    policy = load_policy(example_text("jensdev")).policy
    store = load_datamap(text, "m.yaml", policy=policy).datamap.stores[0]
    connector = connect(store, _context())
    [[line]] = connector.plan_erasure([JAN])
    assert line.step is Step.MANUAL
    assert "Shred the paper file" in line.detail
    assert list(connector.export(JAN)) == []
