"""``privaat request`` and ``privaat outbox``: rights requests from the command line.

They act on the store directly as ``cli`` (the audit trail's actor), as the operator's other
commands do. What a command did goes to standard output in one line; a mistake is one line
on standard error with exit code 1 (2 when the command was misused). ``outbox send``
delivers the queued messages through PRIVAAT_SMTP_URL and prints only counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.orm import Session

from privaat.cli.service import DatabaseOption, load_settings, open_store
from privaat.core.clock import SystemClock
from privaat.core.requests import RequestChannel, RequestKind, RequestStatus
from privaat.engine import orgs
from privaat.engine.orgs import PolicyCache
from privaat.engine.rights import closing, intake, outbox, records, verify
from privaat.engine.rights import deadlines as extensions
from privaat.engine.subjects import IdentityKind
from privaat.errors import NotFound, UsageError
from privaat.settings import Settings
from privaat.store.db import Store
from privaat.store.models import Organisation, RightsRequest

ACTOR = "cli"

app = typer.Typer(
    no_args_is_help=True,
    help="Rights requests: file, list, show, verify, extend, reject, cancel, plan, execute.",
    rich_markup_mode=None,
)
outbox_app = typer.Typer(
    no_args_is_help=True,
    help="Messages privaat sends to people: deliver the queued ones.",
    rich_markup_mode=None,
)

OrgArgument = Annotated[str, typer.Argument(metavar="ORG", help="The organisation's slug.")]
RefArgument = Annotated[str, typer.Argument(metavar="REF", help="The request's reference.")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (kept with the request).")]

T = TypeVar("T")


@contextmanager
def _store(database: str | None) -> Iterator[tuple[Settings, Store]]:
    settings = load_settings(database_url=database)
    store = open_store(settings)
    try:
        yield settings, store
    finally:
        store.dispose()


def _write(
    database: str | None,
    org: str,
    work: Callable[[Session, Organisation, Settings, dt.datetime], T],
) -> T:
    with _store(database) as (settings, store), store.transaction() as session:
        return work(session, orgs.org_by_slug(session, org), settings, SystemClock().now())


def _line(row: RightsRequest) -> str:
    due = records.due(row)
    extended = " (extended)" if row.extended_until else ""
    return (
        f"{row.reference}  {row.kind:<13} {row.status:<9} "
        f"due {due.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC{extended}"
    )


def _details(pairs: list[str] | None, kind: RequestKind) -> dict[str, Any]:
    """``--detail key=value`` pairs as the request's details: purposes (comma-separated or
    repeated) for objection and withdrawal, the decision for review, fields otherwise."""
    details: dict[str, Any] = {}
    purposes: list[str] = []
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--detail takes KEY=VALUE, not {pair[:40]!r}")
        key = key.strip()
        if kind in (RequestKind.OBJECTION, RequestKind.WITHDRAWAL) and key in (
            "purpose",
            "purposes",
        ):
            purposes += [p.strip() for p in value.split(",") if p.strip()]
        else:
            details[key] = value
    if purposes:
        details["purposes"] = purposes
    return details


# --------------------------------------------------------------------------- privaat request


@app.command("file")
def file_command(
    org: OrgArgument,
    kind: Annotated[RequestKind, typer.Option("--kind", help="What the person asks for.")],
    email: Annotated[str | None, typer.Option("--email", help="The person's e-mail.")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="The person's phone.")] = None,
    customer_number: Annotated[
        str | None, typer.Option("--customer-number", help="The person's customer number.")
    ] = None,
    language: Annotated[
        str | None, typer.Option("--language", help="nl, en or fr (default: the subject's).")
    ] = None,
    channel: Annotated[
        RequestChannel, typer.Option("--channel", help="How the request came in.")
    ] = RequestChannel.CLI,
    detail: Annotated[
        list[str] | None,
        typer.Option(
            "--detail",
            metavar="KEY=VALUE",
            help="Repeatable. rectification: FIELD=NEW VALUE (a category key, or email, "
            "phone, customer_number); objection, withdrawal: purpose=ID[,ID]; "
            "review: decision=ID.",
        ),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """File a rights request: its deadline starts now, and the receipt is acknowledged."""
    given = [
        (k, v)
        for k, v in (
            (IdentityKind.EMAIL, email),
            (IdentityKind.PHONE, phone),
            (IdentityKind.CUSTOMER_NUMBER, customer_number),
        )
        if v is not None
    ]
    if len(given) != 1:
        raise UsageError("give exactly one of --email, --phone or --customer-number")
    [(identity_kind, value)] = given
    details = _details(detail, kind)

    def work(
        session: Session, org_row: Organisation, _settings: Settings, now: dt.datetime
    ) -> tuple[str, bool]:
        filed = intake.file_request(
            session,
            org=org_row,
            kind=kind,
            identity_kind=identity_kind,
            identity_value=value,
            language=language,
            channel=channel,
            details=details,
            now=now,
            actor=ACTOR,
            policies=PolicyCache(),
        )
        return _line(filed.request), filed.acknowledged

    line, acknowledged = _write(database, org, work)
    typer.echo(line)
    if not acknowledged:
        typer.echo("no e-mail address known: acknowledge the request another way", err=True)


@app.command("list")
def list_command(
    org: OrgArgument,
    overdue: Annotated[bool, typer.Option("--overdue", help="Open requests past due.")] = False,
    due_within: Annotated[
        int | None,
        typer.Option("--due-within", metavar="DAYS", min=0, max=366, help="Open, due within."),
    ] = None,
    status: Annotated[
        list[RequestStatus] | None, typer.Option("--status", help="Repeatable.")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """List requests, the most urgent first: reference, kind, status, deadline."""
    filters = records.Filters(statuses=status or (), overdue=overdue, due_within_days=due_within)
    with _store(database) as (_settings, store), store.reading() as session:
        org_row = orgs.org_by_slug(session, org)
        rows, total = records.listing(
            session, org_row.id, filters, now=SystemClock().now(), limit=1000
        )
        lines = [_line(r) for r in rows]
    for line in lines:
        typer.echo(line)
    if total > len(lines):
        typer.echo(f"(the first {len(lines)} of {total})", err=True)
    if not lines:
        typer.echo("no requests", err=True)


@app.command("show")
def show_command(org: OrgArgument, reference: RefArgument, database: DatabaseOption = None) -> None:
    """Show one request with the person's identity (audited as a read)."""

    def work(
        session: Session, org_row: Organisation, _settings: Settings, now: dt.datetime
    ) -> list[str]:
        row = records.get(session, org_row.id, reference)
        records.audit(session, row, "request.read", actor=ACTOR, now=now)
        messages = outbox.of_request(session, org_row.id, row.id)
        lines = [
            _line(row),
            f"identity: {row.identity_kind} {row.identity_value}",
            f"subject: {row.subject_id if row.subject_id is not None else '(not known)'}",
            f"language: {row.language}  channel: {row.channel}",
            f"received: {row.received_at:%Y-%m-%d %H:%M} UTC",
        ]
        if row.details not in (None, "", "{}"):
            lines.append(f"details: {row.details}")
        if row.extension_reason:
            lines.append(f"extension reason: {row.extension_reason}")
        if row.verified_by:
            lines.append(f"verified: {row.verified_at:%Y-%m-%d %H:%M} UTC by {row.verified_by}")
        if row.verification_note:
            lines.append(f"verification note: {row.verification_note}")
        if row.closing_note:
            lines.append(f"closing note: {row.closing_note}")
        for m in messages:
            state = f"sent {m.sent_at:%Y-%m-%d %H:%M}" if m.sent_at else "queued"
            lines.append(f"message {m.id}: {m.kind} ({m.language}) {state}")
        return lines

    for line in _write(database, org, work):
        typer.echo(line)


@app.command("verify")
def verify_command(
    org: OrgArgument,
    reference: RefArgument,
    send: Annotated[
        verify.Method | None,
        typer.Option("--send", help="Mail the person a one-time code or link."),
    ] = None,
    code: Annotated[
        str | None, typer.Option("--code", help="Confirm with the code the person received.")
    ] = None,
    override: Annotated[
        bool, typer.Option("--override", help="Record that you verified them another way.")
    ] = False,
    reason: Annotated[
        str | None, typer.Option("--reason", help="With --override: how you verified them.")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Verify the person's identity: --send code|link, --code C, or --override --reason R."""
    if sum((send is not None, code is not None, override)) != 1:
        raise UsageError("give one of --send, --code or --override")
    if override and not reason:
        raise UsageError("--override needs --reason (how you verified the person)")

    def work(session: Session, org_row: Organisation, settings: Settings, now: dt.datetime) -> str:
        verifier = verify.Verifier.from_settings(settings)
        if code is not None:
            outcome, row = verify.confirm_code(
                session, org_row.id, reference, code, verifier=verifier, now=now
            )
            return outcome.value
        row = records.get(session, org_row.id, reference, lock=True)
        if send is not None:
            sent = verify.send(
                session, row, send, org=org_row, verifier=verifier, now=now, actor=ACTOR
            )
            until = f"{sent.expires_at:%Y-%m-%d %H:%M} UTC"
            return f"{sent.method.value} queued for the person, valid until {until}"
        assert reason is not None
        verify.override(session, row, reason, now=now, actor=ACTOR)
        return verify.Outcome.VERIFIED.value

    result = _write(database, org, work)
    if result == verify.Outcome.REFUSED.value:  # after the commit: the try is counted
        raise NotFound("the code is wrong, used or expired (a code allows a few tries)")
    typer.echo(f"{reference}: {result.replace('_', ' ')}")


@app.command("extend")
def extend_command(
    org: OrgArgument,
    reference: RefArgument,
    months: Annotated[int, typer.Option("--months", min=1, max=2, help="1 or 2 months more.")],
    reason: ReasonOption,
    database: DatabaseOption = None,
) -> None:
    """Extend the deadline (once, before it passes); the person is told why and until when."""

    def work(
        session: Session, org_row: Organisation, _settings: Settings, now: dt.datetime
    ) -> tuple[str, bool]:
        row = records.get(session, org_row.id, reference, lock=True)
        done = extensions.extend(
            session, row, months, reason, org=org_row, now=now, actor=ACTOR, policies=PolicyCache()
        )
        return _line(done.request), done.notified

    line, notified = _write(database, org, work)
    typer.echo(line)
    if not notified:
        typer.echo("no e-mail address known: tell the person another way", err=True)


@app.command("reject")
def reject_command(
    org: OrgArgument, reference: RefArgument, reason: ReasonOption, database: DatabaseOption = None
) -> None:
    """Reject the request; the person gets a letter with the reason and their remedies."""

    def work(
        session: Session, org_row: Organisation, _settings: Settings, now: dt.datetime
    ) -> tuple[str, bool]:
        row = records.get(session, org_row.id, reference, lock=True)
        done = closing.reject(
            session, row, reason, org=org_row, now=now, actor=ACTOR, policies=PolicyCache()
        )
        return _line(done.request), done.notified

    line, notified = _write(database, org, work)
    typer.echo(line)
    if not notified:
        typer.echo("no e-mail address known: send the person the letter another way", err=True)


@app.command("cancel")
def cancel_command(
    org: OrgArgument, reference: RefArgument, reason: ReasonOption, database: DatabaseOption = None
) -> None:
    """Cancel the request (withdrawn by the person, or a duplicate); nothing is sent."""

    def work(session: Session, org_row: Organisation, _settings: Settings, now: dt.datetime) -> str:
        row = records.get(session, org_row.id, reference, lock=True)
        return _line(closing.cancel(session, row, reason, now=now, actor=ACTOR).request)

    typer.echo(_write(database, org, work))


# --------------------------------------------------------------------------- privaat outbox


@outbox_app.command("send")
def send_command(
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="At most.")] = 500,
    database: DatabaseOption = None,
) -> None:
    """Deliver the queued messages through PRIVAAT_SMTP_URL (each tried up to 5 times)."""
    with _store(database) as (settings, store):
        mailer = outbox.SmtpMailer.from_settings(settings)
        report = outbox.deliver(
            store, mailer, sender=settings.mail_from, now=SystemClock().now, limit=limit
        )
        with store.reading() as session:
            waiting = outbox.unsent_count(session)
    typer.echo(f"{report.sent} sent, {report.failed} failed, {waiting} waiting")
    if report.given_up:
        typer.echo(
            f"{report.given_up} message(s) failed {outbox.MAX_ATTEMPTS} times and are no longer "
            "tried: check the mail server and the addresses",
            err=True,
        )
    if report.failed:
        raise typer.Exit(1)
