"""The demo organisation ``privaat serve --demo`` serves: made once, reused afterwards."""

from __future__ import annotations

import datetime as dt

import typer
from sqlalchemy import select

from privaat.core.access import ALL_SCOPES
from privaat.core.clock import SystemClock
from privaat.core.policy import load_policy
from privaat.engine import orgs, tokens
from privaat.errors import UsageError
from privaat.examples import EXAMPLES, example_text
from privaat.settings import Settings
from privaat.store.db import Store
from privaat.store.models import Organisation

ACTOR = "demo"


def seed_demo(store: Store, settings: Settings, *, example: str, base: str) -> None:
    """Create the demo organisation on first use and print how to use it."""
    if example not in EXAMPLES:
        raise UsageError(f"no example {example!r}; choose one of {', '.join(EXAMPLES)}")
    now = SystemClock().now()
    with store.transaction() as session:
        org = session.execute(
            select(Organisation).where(Organisation.slug == example)
        ).scalar_one_or_none()
        fresh = org is None
        if org is None:
            name = load_policy(example_text(example)).policy.controller.name
            org = orgs.create_org(session, example, name, now=now, actor=ACTOR)
            orgs.load_version(session, org, example_text(example), now=now, actor=ACTOR)
        _row, token = tokens.issue_api_token(
            session,
            org_id=org.id,
            scopes=ALL_SCOPES,
            name="demo",
            now=now,
            actor=ACTOR,
            ttl=dt.timedelta(days=1),
        )
    typer.echo(
        f"privaat demo: {org.name}, {EXAMPLES[example]} ({'created' if fresh else 'reused'})"
    )
    typer.echo(f"  store        {settings.database_url}")
    typer.echo(f"  API docs     {base}/docs  (Authorize with the token below)")
    typer.echo(f"  API token    {token}  (all permissions in {example}, valid 24 h)")
    typer.echo(f"  audit check  privaat audit verify --database {settings.database_url}")
