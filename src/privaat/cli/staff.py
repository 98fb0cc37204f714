"""``privaat org``, ``privaat staff`` and ``privaat token``: the install operator's commands.

They act on the store directly as ``cli`` (the audit trail's actor) with no login: whoever
can run them on the server can read the database anyway. A secret (a setup token, an API
token) is printed alone on standard output, once; everything else goes to standard error,
so that ``TOKEN=$(privaat token create ...)`` works.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from privaat.cli.service import DatabaseOption, load_settings, open_store
from privaat.core.access import ALL_SCOPES, Role, Scope
from privaat.core.clock import SystemClock
from privaat.engine import orgs, staff, tokens
from privaat.errors import SourceIssue, UnreadableInput, UsageError
from privaat.examples import EXAMPLES, example_text
from privaat.settings import Settings
from privaat.store.models import Membership, Organisation, PolicyVersion

ACTOR = "cli"

org_app = typer.Typer(
    no_args_is_help=True, help="Organisations served by this install.", rich_markup_mode=None
)
app = typer.Typer(
    no_args_is_help=True,
    help="Staff accounts: invite, list, reset (people log in with password and TOTP).",
    rich_markup_mode=None,
)
token_app = typer.Typer(
    no_args_is_help=True, help="API tokens of an organisation.", rich_markup_mode=None
)

OrgOption = Annotated[str, typer.Option("--org", help="The organisation's slug.")]

T = TypeVar("T")


@contextmanager
def _session(database: str | Settings | None, *, write: bool) -> Iterator[Session]:
    settings = database if isinstance(database, Settings) else load_settings(database_url=database)
    store = open_store(settings)
    try:
        with store.transaction() if write else store.reading() as session:
            yield session
    finally:
        store.dispose()


def _info(text: str) -> None:
    typer.echo(text, err=True)


def _in_write(database: str | Settings | None, work: Callable[[Session, dt.datetime], T]) -> T:
    with _session(database, write=True) as session:
        return work(session, SystemClock().now())


# --------------------------------------------------------------------------- privaat org


@org_app.command("create")
def org_create(
    slug: Annotated[str, typer.Argument(help="Short name in addresses: lowercase, digits, -.")],
    name: Annotated[str, typer.Option("--name", help="The organisation's full name.")],
    policy: Annotated[
        Path | None, typer.Option("--policy", help="Load this policy file as version 1.")
    ] = None,
    example: Annotated[
        str | None,
        typer.Option("--example", help=f"Load a bundled example policy: {', '.join(EXAMPLES)}."),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Create an organisation, optionally with its first policy version.

    A policy with schema errors is refused, and then no organisation is created either.
    """
    if policy is not None and example is not None:
        raise UsageError("give --policy or --example, not both")
    source: str | None = None
    file = "policy.yaml"
    if policy is not None:
        source, file = _read(policy), str(policy)
    elif example is not None:
        source, file = example_text(example), f"{example}.yaml"

    def work(session: Session, now: dt.datetime) -> str:
        org = orgs.create_org(session, slug, name, now=now, actor=ACTOR)
        if source is None:
            return f"created organisation {org.slug} (no policy yet)"
        loaded = orgs.load_version(session, org, source, now=now, actor=ACTOR, file=file)
        return (
            f"created organisation {org.slug} with policy version 1 "
            f"({len(loaded.findings)} lint finding(s); see privaat policy check)"
        )

    typer.echo(_in_write(database, work))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UnreadableInput(SourceIssue(str(path), 1, 1, "no such file")) from None
    except UnicodeDecodeError:
        raise UnreadableInput(SourceIssue(str(path), 1, 1, "not UTF-8 text")) from None
    except OSError as exc:
        raise UnreadableInput(
            SourceIssue(str(path), 1, 1, f"cannot read: {exc.strerror}")
        ) from None


@org_app.command("list")
def org_list(database: DatabaseOption = None) -> None:
    """List the organisations: slug, active policy version, staff count, name."""
    with _session(database, write=False) as session:
        staff_count = (
            select(func.count())
            .select_from(Membership)
            .where(Membership.org_id == Organisation.id)
            .scalar_subquery()
        )
        rows = session.execute(
            select(Organisation.slug, Organisation.name, PolicyVersion.number, staff_count)
            .outerjoin(PolicyVersion, PolicyVersion.id == Organisation.active_policy_id)
            .order_by(Organisation.slug)
        ).all()
    if not rows:
        _info("no organisations yet; create one with: privaat org create SLUG --name NAME")
    for slug, name, number, count in rows:
        version = f"v{number}" if number else "-"
        typer.echo(f"{slug:<24} {version:<6} {count:>3} staff  {name}")


# --------------------------------------------------------------------------- privaat staff


@app.command("add")
def staff_add(
    email: Annotated[str, typer.Argument(help="The person's e-mail address (their login).")],
    org: OrgOption,
    role: Annotated[Role, typer.Option("--role", help="Their role in the organisation.")],
    name: Annotated[
        str | None, typer.Option("--name", help="Their name (default: the e-mail's local part).")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Invite a person into an organisation with a role.

    A new person gets a setup token (valid 72 hours), printed once on standard output: they
    choose a password and add the TOTP secret with POST /api/v1/auth/setup, then confirm a
    code with POST /api/v1/auth/setup/confirm. Someone with an account just gains the role.
    """

    def work(session: Session, now: dt.datetime) -> staff.Invitation:
        org_row = orgs.org_by_slug(session, org)
        return staff.create_staff(
            session,
            email=email,
            name=name or email.split("@", 1)[0],
            org_id=org_row.id,
            role=role,
            now=now,
            actor=ACTOR,
        )

    invitation = _in_write(database, work)
    _info(f"staff:{invitation.staff.id} is {invitation.role.value} in {org}")
    if invitation.setup_token is None:
        _info("they have an account (or an open invitation) already: no setup token")
        return
    assert invitation.setup_expires_at is not None
    _info(f"setup token, shown once, valid until {invitation.setup_expires_at:%Y-%m-%d %H:%M} UTC:")
    typer.echo(invitation.setup_token)


@app.command("list")
def staff_list(org: OrgOption, database: DatabaseOption = None) -> None:
    """List an organisation's staff: id, role, enrolled or pending, e-mail, name."""
    with _session(database, write=False) as session:
        org_row = orgs.org_by_slug(session, org)
        people = staff.members(session, org_row.id)
    if not people:
        _info(f"{org} has no staff yet; invite with: privaat staff add EMAIL --org {org} --role")
    for m in people:
        state = "enrolled" if m.enrolled else "pending"
        typer.echo(f"{m.staff_id:>5}  {m.role.value:<16} {state:<9} {m.email}  {m.name}")


@app.command("reset")
def staff_reset(
    email: Annotated[str, typer.Argument(help="The person's e-mail address.")],
    database: DatabaseOption = None,
) -> None:
    """Start a person's enrolment over (a lost phone, a forgotten password).

    Their password, TOTP secret and sessions are dropped; a new setup token (72 hours) is
    printed once on standard output. Their roles stay.
    """

    def work(session: Session, now: dt.datetime) -> tuple[int, str, dt.datetime]:
        person = staff.staff_by_email(session, email)
        token, expires_at = staff.reset_staff(session, person, now=now, actor=ACTOR)
        return person.id, token, expires_at

    staff_id, token, expires_at = _in_write(database, work)
    _info(
        f"staff:{staff_id} must enrol again; setup token, shown once, "
        f"valid until {expires_at:%Y-%m-%d %H:%M} UTC:"
    )
    typer.echo(token)


# --------------------------------------------------------------------------- privaat token


@token_app.command("create")
def token_create(
    org: OrgOption,
    name: Annotated[str, typer.Option("--name", help="What uses it, e.g. 'webshop'.")],
    scope: Annotated[
        list[Scope] | None,
        typer.Option(
            "--scope",
            metavar="SCOPE",
            help="A permission it holds; repeat for more (default: all): "
            + ", ".join(s.value for s in Scope)
            + ".",
        ),
    ] = None,
    days: Annotated[
        int | None,
        typer.Option(
            "--days",
            min=1,
            max=tokens.MAX_TOKEN_DAYS,
            help="Days until it expires (default: PRIVAAT_TOKEN_TTL_DAYS).",
        ),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Create an API token; it is printed once on standard output and stored only as a hash."""
    settings = load_settings(database_url=database)
    scopes = frozenset(scope) if scope else ALL_SCOPES

    def work(session: Session, now: dt.datetime) -> tuple[int, str, dt.datetime]:
        org_row = orgs.org_by_slug(session, org)
        row, token = tokens.grant_api_token(
            session,
            org_id=org_row.id,
            name=name,
            scopes=scopes,
            held=ALL_SCOPES,
            days=days or settings.token_ttl_days,
            now=now,
            actor=ACTOR,
        )
        return row.id, token, row.expires_at

    token_id, token, expires_at = _in_write(settings, work)
    _info(
        f"token:{token_id} for {org} ({' '.join(sorted(scopes))}), "
        f"valid until {expires_at:%Y-%m-%d}; shown once:"
    )
    typer.echo(token)


@token_app.command("list")
def token_list(org: OrgOption, database: DatabaseOption = None) -> None:
    """List an organisation's API tokens: id, state, expiry, name, permissions."""
    now = SystemClock().now()
    with _session(database, write=False) as session:
        rows = tokens.api_tokens(session, orgs.org_by_slug(session, org).id)
    for row in rows:
        state = "revoked" if row.revoked_at else "expired" if row.expires_at <= now else "active"
        typer.echo(f"{row.id:>5}  {state:<8} {row.expires_at:%Y-%m-%d}  {row.name}  [{row.scopes}]")


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(metavar="ID", help="The token's id (token list).")],
    org: OrgOption,
    database: DatabaseOption = None,
) -> None:
    """Revoke an API token. A running server stops honouring it within its
    auth_cache_seconds (5 seconds by default)."""

    def work(session: Session, now: dt.datetime) -> None:
        org_row = orgs.org_by_slug(session, org)
        tokens.revoke_api_token(session, org_id=org_row.id, token_id=token_id, now=now, actor=ACTOR)

    _in_write(database, work)
    _info(f"token:{token_id} is revoked")
