"""Plan and execute a verified rights request across the organisation's stores.

``plan_request`` is the dry run: it finds the person in every store of the data map in
force and records, per store and table, what the request would export, delete, mask, keep
under a hold, unlink or leave to a person. Nothing changes in the stores.

``execute_request`` carries the request out in steps, each done exactly once:

- one step per store for erasure and rectification (each one transaction in its store, so a
  failure leaves nothing half-erased), then ``verify``: the search that proves the erasure;
- one ``export`` step for access and portability (a ZIP, see :mod:`.export`);
- one ``privaat`` step for what privaat itself records (a restriction, objections, consent
  withdrawals, the task of a human review);
- ``reply``: the letter to the person, in their language.

A step is marked done in privaat's store after its work committed; a process killed between
the two redoes the step, which finds nothing left to do (every store action is idempotent),
so a killed request resumes and finishes exactly once. Steps that failed are retried by
running the request again. The caller never holds a transaction while a store works.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from privaat.connectors.base import (
    Collection,
    ConnectContext,
    Connector,
    Outcome,
    Person,
    PlanLine,
    Rectification,
    Step,
)
from privaat.connectors.registry import connect
from privaat.core.access_report import related
from privaat.core.clock import Clock
from privaat.core.datamap.loader import LoadedDataMap
from privaat.core.datamap.model import IdentityKind
from privaat.core.deadlines import local_date
from privaat.core.policy.model import Lang, Policy
from privaat.core.requests import RequestKind, RequestStatus
from privaat.engine import datamaps, notices
from privaat.engine.orgs import PolicyCache
from privaat.engine.rights import own_records, records, replies
from privaat.engine.rights.export import ExportedTable, write_export
from privaat.engine.rights.letters import language
from privaat.engine.rights.summary import summary_files
from privaat.errors import Conflict, PrivaatError, UsageError
from privaat.settings import Settings
from privaat.store.db import Store
from privaat.store.models import (
    ExportFile,
    HeldRecord,
    ManualTask,
    RequestStep,
)

#: Rounds of finding further identities across stores (a customer number gives an e-mail,
#: which finds the newsletter elsewhere); in practice two suffice.
EXPAND_ROUNDS = 4

EXPORT_STEP = "export"
PRIVAAT_STEP = "privaat"
VERIFY_STEP = "verify"
REPLY_STEP = "reply"

_STORE_KINDS = frozenset({RequestKind.ERASURE, RequestKind.RECTIFICATION})
_EXPORT_KINDS = frozenset({RequestKind.ACCESS, RequestKind.PORTABILITY})


@dataclass(frozen=True, slots=True)
class Runtime:
    """What planning and execution need besides privaat's store."""

    settings: Settings
    clock: Clock
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    policies: PolicyCache | None = None
    maps: datamaps.DataMapCache | None = None
    #: The address where the person downloads an export (the API's signed link), if any.
    download_link: replies.DownloadLink | None = None


def masking_key(settings: Settings, org_id: int) -> bytes:
    """The organisation's key for HMAC masking: derived from the install's secret."""
    secret = settings.secret_key.get_secret_value().encode()
    return hmac.new(secret, f"privaat/masking/{org_id}".encode(), hashlib.sha256).digest()


# --------------------------------------------------------------------------- context


@dataclass(frozen=True, slots=True)
class _Work:
    """A request with what it is checked against, read in one short transaction."""

    request_id: int
    org_id: int
    reference: str
    kind: RequestKind
    status: RequestStatus
    person: Person
    language: Lang
    details: dict[str, Any]
    received: dt.date
    subject_id: int | None
    policy: Policy
    policy_version_id: int
    datamap: LoadedDataMap | None
    datamap_version_id: int | None


def _load(session: Session, org_id: int, reference: str, runtime: Runtime) -> _Work:
    request = records.get(session, org_id, reference, lock=True)
    org = records.organisation(session, org_id)
    policy = records.policy_of(session, org, runtime.policies)
    if policy is None:
        raise UsageError("the organisation has no policy loaded")
    version = datamaps.active_version(session, org_id)
    loaded = datamaps.active_datamap(session, org_id, cache=runtime.maps)
    kind = RequestKind(request.kind)
    if loaded is None and (kind in _STORE_KINDS or kind in _EXPORT_KINDS):
        raise UsageError(
            "the organisation has no data map loaded: load one with `privaat datamap load`"
        )
    return _Work(
        request_id=request.id,
        org_id=org_id,
        reference=request.reference,
        kind=kind,
        status=RequestStatus(request.status),
        person=Person.of(**{request.identity_kind: request.identity_value}),
        language=language(request.language),
        details=records.details_of(request),
        received=request.received_at.date(),
        subject_id=request.subject_id,
        policy=policy,
        policy_version_id=org.active_policy_id or 0,
        datamap=loaded,
        datamap_version_id=version.id if version is not None else None,
    )


@contextmanager
def open_connectors(
    loaded: LoadedDataMap | None, policy: Policy, *, org_id: int, runtime: Runtime
) -> Iterator[dict[str, Connector]]:
    """A connector per store of the map, closed when the block ends."""
    if loaded is None:
        yield {}
        return
    context = ConnectContext(
        policy=policy,
        base_dir=loaded.base_dir,
        environ=runtime.environ,
        masking_key=masking_key(runtime.settings, org_id),
        today=local_date(runtime.clock.now()),  # holds end on a Belgian/Dutch calendar day
    )
    with ExitStack() as stack:
        opened: dict[str, Connector] = {}
        for store in loaded.datamap.stores:
            connector = connect(store, context)
            stack.callback(connector.close)
            opened[store.id] = connector
        yield opened


def find_person(connectors: Mapping[str, Connector], person: Person) -> Person:
    """The person with every identity any store adds, to a fixpoint."""
    for _ in range(EXPAND_ROUNDS):
        grown = person
        for connector in connectors.values():
            grown = grown.merged(connector.expand(grown))
        if grown == person:
            break
        person = grown
    return person


# --------------------------------------------------------------------------- plan


def line_json(line: PlanLine) -> dict[str, Any]:
    out = asdict(line)
    out["step"] = line.step.value
    out["columns"] = list(line.columns)
    out["examples"] = list(line.examples)
    out["until"] = line.until.isoformat() if line.until else None
    return out


def _own_lines(work: _Work) -> list[dict[str, Any]]:
    """What privaat itself records for the request kinds that change no store."""
    kind, details = work.kind, work.details
    if kind is RequestKind.RESTRICTION:
        return [{"store": "privaat", "step": "restrict", "detail": "processing restricted"}]
    if kind in (RequestKind.OBJECTION, RequestKind.WITHDRAWAL):
        purposes = details.get("purposes") or own_records.default_purposes(work.policy, kind)
        event = "objected" if kind is RequestKind.OBJECTION else "withdrawn"
        return [
            {"store": "privaat", "step": event, "purpose": purpose, "detail": "consent ledger"}
            for purpose in purposes
        ]
    if kind is RequestKind.REVIEW:
        return [{"store": "privaat", "step": "manual", "detail": "human review of a decision"}]
    return []


def _store_plan(
    work: _Work, connectors: Mapping[str, Connector], person: Person
) -> list[dict[str, Any]]:
    lines: list[PlanLine] = []
    for connector in connectors.values():
        if work.kind in _EXPORT_KINDS:
            lines.extend(connector.plan_access(person))
        elif work.kind is RequestKind.ERASURE:
            [planned] = connector.plan_erasure([person])
            lines.extend(planned)
        elif work.kind is RequestKind.RECTIFICATION:
            lines.extend(_rectification_plan(connector, person, _changes(work)))
    return [line_json(line) for line in lines]


def _rectification_plan(
    connector: Connector, person: Person, changes: Sequence[Rectification]
) -> list[PlanLine]:
    """Per table holding a changed category: the rows whose values would be replaced."""
    wanted = {c.category for c in changes}
    tables = {t.name: t for t in connector.store.tables}
    out: list[PlanLine] = []
    for line in connector.plan_access(person):
        table = tables.get(line.table)
        if line.step is Step.MANUAL or table is None:
            if line.step is Step.MANUAL:
                out.append(line)
            continue
        columns = tuple(
            f.column for f in table.fields if any(related(f.category, w) for w in wanted)
        )
        if columns and line.rows:
            out.append(PlanLine(line.store, line.table, Step.RECTIFY, line.rows, columns=columns))
    return out


def _changes(work: _Work) -> list[Rectification]:
    """The rectification's new values: the details are ``{category or identity kind: value}``
    (validated at intake); an e-mail or phone identity is its contact category."""
    names = {
        IdentityKind.EMAIL.value: "user.contact.email",
        IdentityKind.PHONE.value: "user.contact.phone_number",
    }
    return [Rectification(names.get(k, k), str(v)) for k, v in work.details.items()]


def plan_request(store: Store, org_id: int, reference: str, runtime: Runtime) -> dict[str, Any]:
    """The dry run: what the request would do, stored with it; the request becomes planned."""
    with store.reading() as session:
        work = _load(session, org_id, reference, runtime)
    if work.status not in (RequestStatus.VERIFIED, RequestStatus.PLANNED):
        raise Conflict(
            f"a request that is {work.status.value} cannot be planned "
            "(verify the person's identity first)"
        )
    with open_connectors(work.datamap, work.policy, org_id=org_id, runtime=runtime) as conns:
        person = find_person(conns, work.person)
        plan: dict[str, Any] = {
            "kind": work.kind.value,
            "datamap_version_id": work.datamap_version_id,
            "made_at": runtime.clock.now().isoformat(),
            "identities": {k.value: len(v) for k, v in person.identities.items()},
            "lines": _store_plan(work, conns, person) + _own_lines(work),
        }
    with store.transaction() as session:
        request = records.get(session, org_id, reference, lock=True)
        if request.status != RequestStatus.PLANNED:
            records.move(request, RequestStatus.PLANNED)
        request.plan = json.dumps(plan, sort_keys=True)
        request.datamap_version_id = work.datamap_version_id
        records.audit(
            session,
            request,
            "request.planned",
            actor="system",
            now=runtime.clock.now(),
            lines=len(plan["lines"]),
        )
    return plan


# --------------------------------------------------------------------------- execute


def _steps_for(work: _Work) -> list[str]:
    stores = [s.id for s in work.datamap.datamap.stores] if work.datamap else []
    if work.kind in _EXPORT_KINDS:
        body = [EXPORT_STEP]
    elif work.kind is RequestKind.ERASURE:
        body = [*stores, VERIFY_STEP]
    elif work.kind is RequestKind.RECTIFICATION:
        body = list(stores)
    else:
        body = [PRIVAAT_STEP]
    return [*body, REPLY_STEP]


def _begin(store: Store, org_id: int, reference: str, runtime: Runtime) -> _Work:
    """Move the request to executing (or find it there, to resume) and create its steps."""
    with store.transaction() as session:
        work = _load(session, org_id, reference, runtime)
        request = records.get(session, org_id, reference, lock=True)
        if work.status is RequestStatus.VERIFIED:
            raise Conflict("plan the request first: `privaat request plan` shows what it does")
        if work.status is RequestStatus.PLANNED:
            records.move(request, RequestStatus.EXECUTING)
            records.audit(
                session, request, "request.executing", actor="system", now=runtime.clock.now()
            )
        elif work.status is not RequestStatus.EXECUTING:
            raise Conflict(f"a request that is {work.status.value} cannot be executed")
        existing = set(
            session.scalars(select(RequestStep.store).where(RequestStep.request_id == request.id))
        )
        for name in _steps_for(work):
            if name not in existing:
                session.add(
                    RequestStep(org_id=org_id, request_id=request.id, store=name, status="pending")
                )
    return work


def _pending(store: Store, request_id: int) -> list[str]:
    with store.reading() as session:
        rows = session.execute(
            select(RequestStep.store, RequestStep.status)
            .where(RequestStep.request_id == request_id)
            .order_by(RequestStep.id)
        ).all()
    return [name for name, status in rows if status != "done"]


def _finish_step(
    store: Store,
    work: _Work,
    name: str,
    runtime: Runtime,
    record: Callable[[Session], Mapping[str, Any]],
) -> None:
    """Mark a step done, in the same transaction as ``record``: what the step adds to
    privaat's own store (held records, tasks, consent events, a letter) and its result."""
    now = runtime.clock.now()
    with store.transaction() as session:
        step = session.execute(
            select(RequestStep)
            .where(RequestStep.request_id == work.request_id, RequestStep.store == name)
            .with_for_update()
        ).scalar_one()
        if step.status == "done":
            return  # another run finished it first
        result = record(session)
        step.status = "done"
        step.attempts += 1
        step.finished_at = now
        step.result = json.dumps(result, sort_keys=True, default=str)
        step.error = None
        request = records.get(session, work.org_id, work.reference)
        rows = sum(int(line.get("rows") or 0) for line in result.get("lines", []))
        records.audit(
            session,
            request,
            f"request.step.{_audit_name(name)}",
            actor="system",
            now=now,
            step=name,
            rows=rows,
        )


def _audit_name(step: str) -> str:
    return step if step in (EXPORT_STEP, PRIVAAT_STEP, VERIFY_STEP, REPLY_STEP) else "store"


def _fail_step(store: Store, work: _Work, name: str, exc: BaseException, now: dt.datetime) -> None:
    with store.transaction() as session:
        step = session.execute(
            select(RequestStep).where(
                RequestStep.request_id == work.request_id, RequestStep.store == name
            )
        ).scalar_one()
        step.status = "failed"
        step.attempts += 1
        step.error = type(exc).__name__ if not isinstance(exc, PrivaatError) else str(exc)[:500]


def execute_request(store: Store, org_id: int, reference: str, runtime: Runtime) -> dict[str, Any]:
    """Carry out a planned request (or resume one that stopped); return its result."""
    work = _begin(store, org_id, reference, runtime)
    with open_connectors(work.datamap, work.policy, org_id=org_id, runtime=runtime) as conns:
        person = find_person(conns, work.person)
        for name in _pending(store, work.request_id):
            try:
                _run_step(store, work, name, conns, person, runtime)
            except Exception as exc:
                _fail_step(store, work, name, exc, runtime.clock.now())
                raise
    return _complete(store, work, runtime)


def _run_step(
    store: Store,
    work: _Work,
    name: str,
    conns: Mapping[str, Connector],
    person: Person,
    runtime: Runtime,
) -> None:
    if name == EXPORT_STEP:
        _export(store, work, conns, person, runtime)
    elif name == VERIFY_STEP:
        hits = [hit for connector in conns.values() for hit in connector.search(person)]
        verified = {
            "remaining": [asdict(h) for h in hits],
            "unexplained": sum(h.rows for h in hits if not h.held),
        }
        _finish_step(store, work, name, runtime, lambda _session: verified)
    elif name == PRIVAAT_STEP:
        now = runtime.clock.now()
        _finish_step(
            store,
            work,
            name,
            runtime,
            lambda session: {
                "lines": own_records.apply(
                    session,
                    work.request_id,
                    work.kind,
                    work.details,
                    policy=work.policy,
                    now=now,
                    policies=runtime.policies,
                )
            },
        )
    elif name == REPLY_STEP:
        _finish_step(store, work, name, runtime, lambda session: _reply(session, work, runtime))
    else:
        _store_step(store, work, name, conns[name], person, runtime)


def _store_step(
    store: Store,
    work: _Work,
    name: str,
    connector: Connector,
    person: Person,
    runtime: Runtime,
) -> None:
    """Erase or rectify in one store (its own transaction), then record what it did."""
    now = runtime.clock.now()
    outcome: Outcome
    if work.kind is RequestKind.ERASURE:
        [outcome] = connector.erase([person])
    else:
        outcome = connector.rectify(person, _changes(work))

    def record(session: Session) -> Mapping[str, Any]:
        for held in outcome.held:
            session.add(
                HeldRecord(
                    org_id=work.org_id,
                    request_id=work.request_id,
                    store=held.store,
                    table_name=held.table,
                    keys=json.dumps([list(k) for k in held.keys], default=str),
                    hold=held.hold,
                    until=held.until,
                    created_at=now,
                )
            )
        session.add_all(_tasks(work, name, outcome.lines, now))
        return {"lines": [line_json(line) for line in outcome.lines]}

    _finish_step(store, work, name, runtime, record)


def _tasks(
    work: _Work, store_id: str, lines: Sequence[PlanLine], now: dt.datetime
) -> list[ManualTask]:
    return [
        ManualTask(
            org_id=work.org_id,
            request_id=work.request_id,
            store=store_id,
            instructions=f"{work.kind.value} request {work.reference}, {line.table}: {line.detail}",
            created_at=now,
        )
        for line in lines
        if line.step is Step.MANUAL
    ]


def _export(
    store: Store,
    work: _Work,
    conns: Mapping[str, Connector],
    person: Person,
    runtime: Runtime,
) -> None:
    """Write the archive (again, when resuming), then record it with the step."""
    now = runtime.clock.now()
    folder = Path(runtime.settings.export_dir) / str(work.org_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{work.reference}.zip"
    portability = work.kind is RequestKind.PORTABILITY
    manual = [
        line
        for c in conns.values()
        if c.store.connector == "manual"
        for line in c.plan_access(person)
    ]

    def collections() -> Iterator[Collection]:
        for connector in conns.values():
            yield from connector.export(person)

    def summary(tables: tuple[ExportedTable, ...]) -> list[tuple[str, str]]:
        return summary_files(
            work.policy,
            work.language,
            tables,
            reference=work.reference,
            received=work.received,
            portability=portability,
            notice_html=notices.notice(work.policy_version_id, work.policy, work.language)[0],
        )

    written = write_export(path, collections(), portability=portability, summary=summary)

    def record(session: Session) -> Mapping[str, Any]:
        session.add(
            ExportFile(
                org_id=work.org_id,
                request_id=work.request_id,
                path=str(path),
                sha256=written.sha256,
                size=written.size,
                created_at=now,
                expires_at=now + dt.timedelta(days=runtime.settings.export_ttl_days),
            )
        )
        session.add_all(_tasks(work, "-", manual, now))
        lines = [
            {"store": t.store, "table": t.table, "step": "export", "rows": t.rows}
            for t in written.tables
        ]
        return {"lines": lines, "sha256": written.sha256, "size": written.size}

    _finish_step(store, work, EXPORT_STEP, runtime, record)


def _reply(session: Session, work: _Work, runtime: Runtime) -> Mapping[str, Any]:
    reply = replies.queue_reply(
        session,
        work.org_id,
        work.reference,
        policy=work.policy,
        datamap=work.datamap,
        now=runtime.clock.now(),
        download_link=runtime.download_link,
    )
    if not reply.queued:  # no e-mail address known: a person sends the answer another way
        session.add(
            ManualTask(
                org_id=work.org_id,
                request_id=work.request_id,
                store="privaat",
                instructions=f"Send the answer to request {work.reference} to the person by "
                "post or another channel: privaat knows no e-mail address for them.",
                created_at=runtime.clock.now(),
            )
        )
    return {"queued": reply.queued, "recipients_to_inform": reply.recipients}


def _complete(store: Store, work: _Work, runtime: Runtime) -> dict[str, Any]:
    now = runtime.clock.now()
    with store.transaction() as session:
        request = records.get(session, work.org_id, work.reference, lock=True)
        steps = session.execute(
            select(RequestStep.store, RequestStep.result)
            .where(RequestStep.request_id == work.request_id)
            .order_by(RequestStep.id)
        ).all()
        result = {name: json.loads(raw) if raw else None for name, raw in steps}
        if request.status == RequestStatus.EXECUTING:
            request.result = json.dumps(result)  # steps in the order they ran
            request.completed_at = now
            records.move(request, RequestStatus.DONE)
            records.audit(session, request, "request.done", actor="system", now=now)
        done: dict[str, Any] = json.loads(request.result or "{}")
        return done
