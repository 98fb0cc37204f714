"""Records kept under a statutory hold after an erasure, and their deletion when it ends.

An erasure keeps rows the law obliges the company to keep (a Belgian invoice: 10 years from
1 January after its year) and records them as :class:`HeldRecord` with the first day the
hold no longer applies. From that day ``run_due`` erases the person again in those stores:
the rows are past their hold now, so the connector deletes them like any other, in one
transaction per store, and the records are marked deleted. A retention sweep can call it
every day; running it twice does nothing the second time.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from privaat.connectors.base import Person, Step
from privaat.core.deadlines import local_date
from privaat.engine import datamaps
from privaat.engine.rights import records
from privaat.engine.rights.execute import Runtime, find_person, open_connectors
from privaat.errors import UsageError
from privaat.store.db import Store
from privaat.store.models import HeldRecord, RightsRequest


@dataclass(frozen=True, slots=True)
class HoldRun:
    """What ending the due holds did: per request reference, the rows deleted."""

    requests: int
    deleted: int


def due(store: Store, org_id: int, runtime: Runtime) -> list[HeldRecord]:
    """Held records whose hold has ended and that are not deleted yet."""
    today = local_date(runtime.clock.now())
    with store.reading() as session:
        return list(
            session.scalars(
                select(HeldRecord)
                .where(
                    HeldRecord.org_id == org_id,
                    HeldRecord.deleted_at.is_(None),
                    HeldRecord.until.is_not(None),
                    HeldRecord.until <= today,
                )
                .order_by(HeldRecord.id)
            )
        )


def run_due(store: Store, org_id: int, runtime: Runtime) -> HoldRun:
    """Erase what was kept under holds that have ended; mark those records deleted."""
    found = due(store, org_id, runtime)
    if not found:
        return HoldRun(0, 0)
    by_request: dict[int, list[HeldRecord]] = defaultdict(list)
    for record in found:
        if record.request_id is not None:
            by_request[record.request_id].append(record)
    with store.reading() as session:
        policy = records.policy_of(session, records.organisation(session, org_id), None)
        loaded = datamaps.active_datamap(session, org_id)
        people = {
            r.id: (r.reference, Person.of(**{r.identity_kind: r.identity_value}))
            for r in session.scalars(
                select(RightsRequest).where(RightsRequest.id.in_(list(by_request)))
            )
        }
    if policy is None or loaded is None:
        raise UsageError("the organisation needs its policy and data map to end holds")
    deleted = 0
    with open_connectors(loaded, policy, org_id=org_id, runtime=runtime) as conns:
        for request_id, held in by_request.items():
            reference, person = people[request_id]
            person = find_person(conns, person)
            counts: dict[str, int] = {}
            for store_id in sorted({h.store for h in held}):
                if store_id not in conns:
                    continue  # the store left the data map: its task is a person's now
                [outcome] = conns[store_id].erase([person])
                counts[store_id] = sum(
                    line.rows for line in outcome.lines if line.step is Step.DELETE
                )
            deleted += sum(counts.values())
            _mark(store, org_id, reference, [h.id for h in held], counts, runtime)
    return HoldRun(len(by_request), deleted)


def _mark(
    store: Store,
    org_id: int,
    reference: str,
    ids: list[int],
    counts: dict[str, int],
    runtime: Runtime,
) -> None:
    now = runtime.clock.now()
    with store.transaction() as session:
        for record in session.scalars(select(HeldRecord).where(HeldRecord.id.in_(ids))):
            record.deleted_at = now
        request = records.get(session, org_id, reference)
        records.audit(
            session,
            request,
            "request.hold.ended",
            actor="system",
            now=now,
            stores=json.dumps(counts, sort_keys=True),
        )
