"""The HTTP connector: a SaaS tool reached through its API.

The data map configures the calls: ``find`` asks the tool for a person's records (the
identity goes into the URL or the JSON body as ``{email}``, ``{phone}`` or
``{customer_number}``), ``records`` says where the list of records sits in the JSON answer,
and ``delete`` erases them. API keys come from environment variables (``headers_env``), never
from the file. Without a ``delete`` call an erasure becomes a manual task.

Only the standard library is used (urllib): one request at a time, a timeout on each, and
errors reported by kind and status, never with the identity or the answer's body.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from privaat.connectors.base import (
    Collection,
    ConnectContext,
    Connector,
    Hit,
    Outcome,
    Person,
    PlanLine,
    Rectification,
    Step,
)
from privaat.core.datamap.model import HttpCall, IdentityKind, Store
from privaat.errors import StoreFailed, UsageError

TIMEOUT_SECONDS = 30.0
TABLE = "records"
MAX_ANSWER_BYTES = 50 * 1024 * 1024


class HttpConnector:
    """A store reached with configured HTTP calls."""

    def __init__(self, store: Store, environ: Mapping[str, str]) -> None:
        if store.find is None:
            raise UsageError(f"store {store.id!r}: an http store needs a find call")
        self.store = store
        self.find_call: HttpCall = store.find
        self._environ = environ
        for call in (store.find, store.delete):
            if call is None:
                continue
            _check_placeholders(store.id, call)
            for name in call.headers_env.values():
                if name not in environ:
                    raise UsageError(
                        f"store {store.id!r}: environment variable {name} (an API header) "
                        "is not set"
                    )

    # ------------------------------------------------------------------ calls

    def _identities(self, person: Person) -> list[tuple[IdentityKind, str]]:
        kinds = self.store.identities or [IdentityKind.EMAIL]
        return [(kind, value) for kind in kinds for value in sorted(person.values(kind))]

    def _request(self, call: HttpCall, kind: IdentityKind, value: str) -> Any:
        names = {k.value: "" for k in IdentityKind} | {kind.value: value}
        quoted = {k: urllib.parse.quote(v, safe="") for k, v in names.items()}
        url = call.url.format_map(quoted)
        data = None
        headers = {"Accept": "application/json"}
        headers.update({h: self._environ[env] for h, env in call.headers_env.items()})
        if call.body is not None:
            data = json.dumps(_fill(call.body, names)).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, method=call.method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
                raw = answer.read(MAX_ANSWER_BYTES + 1)
        except urllib.error.HTTPError as exc:
            exc.close()  # it holds the connection
            if exc.code == 404 and call.method == "GET":
                return None  # the tool does not know this person
            raise StoreFailed(
                f"store {self.store.id!r}: {call.method} answered HTTP {exc.code}"
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise StoreFailed(
                f"store {self.store.id!r}: {call.method} failed ({type(exc).__name__})"
            ) from None
        if len(raw) > MAX_ANSWER_BYTES:
            raise StoreFailed(f"store {self.store.id!r}: the answer is too large")
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise StoreFailed(f"store {self.store.id!r}: the answer is not JSON") from None

    def _records(self, person: Person) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        seen: set[str] = set()
        for kind, value in self._identities(person):
            answer = self._request(self.find_call, kind, value)
            for record in _at(answer, self.find_call.records, self.store.id):
                fingerprint = json.dumps(record, sort_keys=True, default=str)
                if fingerprint not in seen:
                    seen.add(fingerprint)
                    found.append(record)
        return found

    # ------------------------------------------------------------------ the Protocol

    def close(self) -> None:
        """Nothing is kept open between calls."""

    def expand(self, person: Person) -> Person:
        return person

    def plan_access(self, person: Person) -> list[PlanLine]:
        count = len(self._records(person))
        return [PlanLine(self.store.id, TABLE, Step.EXPORT, count)]

    def plan_erasure(self, persons: Sequence[Person]) -> list[list[PlanLine]]:
        return [[self._erasure_line(len(self._records(p)))] for p in persons]

    def _erasure_line(self, count: int) -> PlanLine:
        if self.store.delete is None:
            return PlanLine(
                self.store.id,
                TABLE,
                Step.MANUAL,
                count,
                detail="no delete call is configured: erase by hand in the tool",
            )
        return PlanLine(self.store.id, TABLE, Step.DELETE, count, detail="the tool's delete call")

    def export(self, person: Person) -> Iterator[Collection]:
        records = self._records(person)
        columns: list[str] = []
        for record in records:
            columns.extend(k for k in record if k not in columns)
        rows = (tuple(record.get(c) for c in columns) for record in records)
        yield Collection(
            self.store.id,
            TABLE,
            tuple(columns),
            {c: ",".join(self.store.categories) for c in columns},
            rows,
            provided=frozenset(columns),
        )

    def erase(self, persons: Sequence[Person]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for person in persons:
            count = len(self._records(person))
            if self.store.delete is not None and count:
                for kind, value in self._identities(person):
                    self._request(self.store.delete, kind, value)
            outcomes.append(Outcome((self._erasure_line(count),)))
        return outcomes

    def rectify(self, person: Person, changes: Sequence[Rectification]) -> Outcome:
        return Outcome(
            (
                PlanLine(
                    self.store.id,
                    TABLE,
                    Step.MANUAL,
                    len(self._records(person)),
                    columns=tuple(c.category for c in changes),
                    detail="rectify by hand in the tool",
                ),
            )
        )

    def search(self, person: Person, keys: Mapping[str, Sequence[Any]] | None = None) -> list[Hit]:
        count = len(self._records(person))
        if not count:
            return []
        return [Hit(self.store.id, TABLE, "-", count, held=False, detail="the tool still answers")]


def _check_placeholders(store_id: str, call: HttpCall) -> None:
    """Refuse a call whose URL or body names anything but the identities (at start-up)."""
    names = {k.value: "x" for k in IdentityKind}
    try:
        call.url.format_map(names)
        _fill(call.body, names)
    except (KeyError, ValueError, IndexError):
        shown = ", ".join("{" + k.value + "}" for k in IdentityKind)
        raise UsageError(
            f"store {store_id!r}: a {call.method} call may only name {shown}"
        ) from None


def _fill(template: Any, names: Mapping[str, str]) -> Any:
    """The configured body with ``{email}``-style placeholders in its strings filled in."""
    if isinstance(template, str):
        return template.format_map(names)
    if isinstance(template, list):
        return [_fill(item, names) for item in template]
    if isinstance(template, dict):
        return {key: _fill(value, names) for key, value in template.items()}
    return template


def _at(answer: Any, path: Sequence[str], store_id: str) -> list[dict[str, Any]]:
    """The records at ``path`` in a JSON answer (a single object counts as one record)."""
    if answer is None:
        return []
    node = answer
    for key in path:
        if not isinstance(node, dict) or key not in node:
            raise StoreFailed(f"store {store_id!r}: the answer has no {'.'.join(path)!r}")
        node = node[key]
    if isinstance(node, dict):
        return [node]
    if not isinstance(node, list) or not all(isinstance(r, dict) for r in node):
        raise StoreFailed(f"store {store_id!r}: the records are not a list of objects")
    return list(node)


def connect(store: Store, context: ConnectContext) -> Connector:
    """The entry point registered as ``http``."""
    return HttpConnector(store, context.environ)
