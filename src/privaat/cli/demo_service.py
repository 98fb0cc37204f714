"""The demo organisation ``privaat serve --demo`` serves: made once, reused afterwards."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

import typer
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from privaat.core.access import ALL_SCOPES, Role
from privaat.core.clock import SystemClock
from privaat.core.policy import load_policy
from privaat.engine import consent, datamaps, orgs, staff, subjects, tokens
from privaat.engine.secrets_box import SecretBox
from privaat.errors import UsageError
from privaat.examples import EXAMPLES, company, example_text
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
        login: tuple[str, str, str] | None = None
        if org is None:
            name = load_policy(example_text(example)).policy.controller.name
            org = orgs.create_org(session, example, name, now=now, actor=ACTOR)
            orgs.load_version(session, org, example_text(example), now=now, actor=ACTOR)
            login = _staff(session, org, settings, example, now)
            _subjects(session, org, now)
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
    if login is not None:
        email, password, secret = login
        typer.echo(f"  staff login  {email} / {password}  (admin; POST /api/v1/auth/login)")
        typer.echo(f"  TOTP secret  {secret}  (add it to an authenticator app)")
    typer.echo(f"  subjects     {', '.join(DEMO_SUBJECTS)}")
    typer.echo(f"  audit check  privaat audit verify --database {settings.database_url}")
    typer.echo("")
    typer.echo("Try it (or use /docs):")
    auth = f'-H "Authorization: Bearer {token}"'
    api = f"{base}/api/v1/orgs/{example}"
    purpose = _consent_purpose(store, org)
    typer.echo(
        f"  curl -s {auth} -H 'Content-Type: application/json' -X POST {api}/consents "
        f'-d \'{{"email": "{DEMO_SUBJECTS[0]}", "purpose": "{purpose}", '
        f'"action": "withdrawn"}}\''
    )
    typer.echo(
        f"  curl -s {auth} '{api}/consent?purpose={purpose}&email={DEMO_SUBJECTS[0].replace('@', '%40')}'"
    )
    typer.echo("")
    _company_demo(store, settings, admin=f"privacy@{example}.example", now=now)


#: The organisation whose sample company database shows rights requests (its policy has the
#: Belgian 10-year hold on invoices that the sample's invoices fall under).
COMPANY_ORG = "jensdev"


def _company_demo(store: Store, settings: Settings, *, admin: str, now: dt.datetime) -> None:
    """A second organisation with a sample company database and its data map."""
    folder = demo_folder(settings)
    database = folder / "company.sqlite3"
    with store.transaction() as session:
        org = session.execute(
            select(Organisation).where(Organisation.slug == COMPANY_ORG)
        ).scalar_one_or_none()
        fresh = org is None
        if org is None:
            name = load_policy(example_text(COMPANY_ORG)).policy.controller.name
            org = orgs.create_org(session, COMPANY_ORG, name, now=now, actor=ACTOR)
            orgs.load_version(session, org, example_text(COMPANY_ORG), now=now, actor=ACTOR)
            staff.create_staff(
                session,
                email=admin,
                name="Demo privacy officer",
                org_id=org.id,
                role=Role.ADMIN,
                now=now,
                actor=ACTOR,
            )
        if datamaps.active_version(session, org.id) is None:
            fresh = True
            if not database.exists():
                company.create(database, now.date())
            datamaps.load_datamap_version(
                session,
                org,
                company.datamap_text(),
                file=company.DATAMAP,
                base_dir=folder,
                now=now,
                actor=ACTOR,
            )
        _row, token = tokens.issue_api_token(
            session,
            org_id=org.id,
            scopes=ALL_SCOPES,
            name="demo",
            now=now,
            actor=ACTOR,
            ttl=dt.timedelta(days=1),
        )
    db = f"--database {settings.database_url}"
    person = company.PEOPLE[0][1]
    typer.echo(
        f"privaat demo: {org.name}, rights requests on a sample company database "
        f"({'created' if fresh else 'reused'})"
    )
    typer.echo(f"  company db   {database}  (customers, hosting, invoices, tickets, newsletter)")
    typer.echo(f"  data map     privaat datamap show {COMPANY_ORG} {db}")
    typer.echo(f"  API token    {token}  (all permissions in {COMPANY_ORG}, valid 24 h)")
    typer.echo("")
    typer.echo("File, verify, plan and execute an erasure (or --kind access, rectification ...):")
    typer.echo(f"  privaat request file {COMPANY_ORG} --kind erasure --email {person} {db}")
    typer.echo(f"  privaat request verify {COMPANY_ORG} REF --override --reason 'ID seen' {db}")
    typer.echo(f"  privaat request plan {COMPANY_ORG} REF {db}")
    typer.echo(f"  privaat request execute {COMPANY_ORG} REF {db}")
    typer.echo("")


def demo_folder(settings: Settings) -> Path:
    """Where the demo keeps its files: beside its SQLite store, else ./privaat-demo."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        return Path(url.database).resolve().parent
    folder = Path("privaat-demo")
    folder.mkdir(exist_ok=True)
    return folder.resolve()


#: The demo's data subjects (example.org addresses: nobody real).
DEMO_SUBJECTS = ("an@example.org", "bram@example.org", "chloe@example.org", "dirk@example.org")


def _staff(
    session: Session, org: Organisation, settings: Settings, example: str, now: dt.datetime
) -> tuple[str, str, str]:
    email = f"privacy@{example}.example"
    password = secrets.token_urlsafe(12)
    _member, secret = staff.create_enrolled_staff(
        session,
        email=email,
        name="Demo privacy officer",
        password=password,
        org_id=org.id,
        role=Role.ADMIN,
        now=now,
        actor=ACTOR,
        box=SecretBox(settings.secret_key.get_secret_value()),
    )
    return email, password, secret


def _subjects(session: Session, org: Organisation, now: dt.datetime) -> None:
    """A few people with consents: given on a web form, withdrawn, objected by GPC."""
    policies = orgs.PolicyCache()
    policy = orgs.active_policy(session, org, policies)
    consented = [p.id for p in policy.purposes if consent.accepts(p, consent.EventKind.GIVEN)]
    customers = [g.id for g in policy.subjects if g.existing_customers][:1]
    for number, email in enumerate(DEMO_SUBJECTS):
        groups = customers if number == 3 else []
        subject_id = subjects.ensure(
            session, org.id, subjects.IdentityKind.EMAIL, email, now=now, actor=ACTOR, groups=groups
        )
        proof = consent.Proof(
            consent.Channel.WEB_FORM,
            now - dt.timedelta(days=30 - number),
            ip=f"198.51.100.{10 + number}",
            user_agent="Mozilla/5.0 (demo)",
        )
        if number < 3 and consented:
            kinds = [consent.EventKind.GIVEN]
            if number == 1:
                kinds.append(consent.EventKind.WITHDRAWN)
            for kind in kinds:
                consent.record(
                    session,
                    org=org,
                    subject_id=subject_id,
                    purpose=consented[0],
                    kind=kind,
                    proof=proof,
                    actor="subject",
                    now=now,
                    policies=policies,
                )
        if number == 2:
            consent.record_gpc(
                session,
                org=org,
                subject_id=subject_id,
                proof=consent.Proof(consent.Channel.GPC, now, ip="198.51.100.12"),
                actor="subject",
                now=now,
                policies=policies,
            )


def _consent_purpose(store: Store, org: Organisation) -> str:
    with store.reading() as session:
        policy = orgs.active_policy(session, org)
    for purpose in policy.purposes:
        if consent.accepts(purpose, consent.EventKind.GIVEN):
            return purpose.id
    return policy.purposes[0].id
