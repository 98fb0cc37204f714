"""What the schedule's and the worker's tests share: a tiny company database with one table
bound to one retention rule, and an organisation (the JENSDEV policy) whose data map says so.

``hosting`` holds hosting accounts; the policy's ``hosting_data`` rule deletes an account 14
days after its cancellation (``cancelled_at``); a NULL (not cancelled) never expires.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine, func
from sqlalchemy import select as sa_select

from privaat.engine import datamaps, orgs
from privaat.examples import example_text
from privaat.store.db import Store

#: The environment variable naming the company database (the data map's ``url_env``).
COMPANY_ENV = "SCHEDULE_COMPANY_URL"

DATAMAP = f"""\
datamap: 1
stores:
  - id: site
    connector: sqlite
    url_env: {COMPANY_ENV}
    tables:
      - name: hosting
        primary_key: [id]
        links:
          - {{column: owner_email, identity: email}}
        fields:
          - {{column: domain, category: user.content}}
        retention:
          - {{rule: hosting_data, from: cancelled_at}}
"""

#: The same map without a retention binding: nothing to sweep.
DATAMAP_UNBOUND = DATAMAP.rsplit("        retention:", 1)[0]

metadata = MetaData()
hosting = Table(
    "hosting",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_email", String(200), nullable=False),
    Column("domain", String(200), nullable=False),
    Column("cancelled_at", DateTime, nullable=True),
)

#: A domain that stands in a kept row: it must never reach a log line.
KEPT_DOMAIN = "still-a-customer.example"


def make_company(path: Path, expired: int = 3) -> str:
    """The company database at ``path``: ``expired`` accounts cancelled long ago, one
    cancelled yesterday and one never cancelled. Its URL."""
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    metadata.create_all(engine)
    long_ago = dt.datetime(2020, 1, 1)
    with engine.begin() as conn:
        if expired:
            conn.execute(
                hosting.insert(),
                [
                    {
                        "owner_email": f"owner-{n}@gone.example",
                        "domain": f"gone-{n}.example",
                        "cancelled_at": long_ago,
                    }
                    for n in range(expired)
                ],
            )
        conn.execute(
            hosting.insert(),
            [
                {
                    "owner_email": "owner@just-cancelled.example",
                    "domain": "just-cancelled.example",
                    "cancelled_at": dt.datetime.now(),
                },
                {
                    "owner_email": f"owner@{KEPT_DOMAIN}",
                    "domain": KEPT_DOMAIN,
                    "cancelled_at": None,
                },
            ],
        )
    engine.dispose()
    return url


def company_rows(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa_select(func.count()).select_from(hosting)).scalar_one())
    finally:
        engine.dispose()


def make_org(
    store: Store, slug: str, now: dt.datetime, *, datamap: str | None = DATAMAP, base: Path
) -> int:
    """An organisation on the JENSDEV policy, with ``datamap`` loaded (None: no map)."""
    with store.transaction() as session:
        org = orgs.create_org(session, slug, slug.title(), now=now, actor="cli")
        orgs.load_version(session, org, example_text("jensdev"), now=now, actor="cli")
        if datamap is not None:
            datamaps.load_datamap_version(
                session,
                org,
                datamap,
                file="datamap.yaml",
                base_dir=base,
                now=now,
                actor="cli",
            )
        return org.id
