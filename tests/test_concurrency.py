"""Many clients writing consent at once, through a real server on PostgreSQL.

Real parallel HTTP clients against ``privaat serve --workers 2``, some retrying with the same
``Idempotency-Key`` as a client does after a timeout: nothing is lost, nothing is duplicated,
the current state is each person's last fact, and the audit trail is one intact chain.
"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import func, select

from privaat.engine.audit import seal
from privaat.engine.audit_verify import verify
from privaat.store.db import Store
from privaat.store.models import AuditEntry, ConsentEvent, ConsentState
from tests.conftest import jetstax_for_a_server
from tests.servers import serving

CLIENTS = 8
REQUESTS = 40
RETRIED = 10  # per client, sent twice with the same key


def test_parallel_clients_lose_nothing_and_duplicate_nothing(
    pg_store: Store, postgres_url: str, tmp_path: Path
) -> None:
    org_id, token, env = jetstax_for_a_server(pg_store, postgres_url)
    failures: list[str] = []

    def client(number: int, base: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
            for i in range(REQUESTS):
                email = f"p{(number * 7 + i) % 25}@example.org"  # clients share people
                action = ("given", "withdrawn")[(number + i) % 2]
                key = {"Idempotency-Key": f"c{number}-r{i}"}
                body = {"email": email, "purpose": "newsletter", "action": action}
                for _attempt in range(2 if i < RETRIED else 1):
                    answer = http.post("/api/v1/orgs/jetstax/consents", json=body, headers=key)
                    if answer.status_code != 201:
                        failures.append(f"{answer.status_code}: {answer.text[:200]}")
                        return

    with serving("--workers", "2", cwd=tmp_path, env=env) as server:
        threads = [threading.Thread(target=client, args=(n, server.url)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []

    with pg_store.transaction() as session:
        seal(session)
    with pg_store.reading() as session:
        events = session.execute(select(func.count()).select_from(ConsentEvent)).scalar_one()
        keys = session.execute(
            select(func.count(func.distinct(ConsentEvent.idempotency_key)))
        ).scalar_one()
        assert events == keys == CLIENTS * REQUESTS  # retries recorded nothing twice
        latest: dict[int, str] = {}
        for subject_id, kind in session.execute(
            select(ConsentEvent.subject_id, ConsentEvent.kind).order_by(
                ConsentEvent.occurred_at, ConsentEvent.id
            )
        ):
            latest[subject_id] = kind  # the last fact of each person wins
        states = dict(session.execute(select(ConsentState.subject_id, ConsentState.kind)).all())
        assert states == latest
        audited = session.execute(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action.like("consent.%"), AuditEntry.chain == org_id)
        ).scalar_one()
        assert audited == CLIENTS * REQUESTS
    report = verify(pg_store.engine)
    assert report.intact, report
