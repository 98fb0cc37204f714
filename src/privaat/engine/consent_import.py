"""CSV import of an existing consent list (a newsletter tool's export), with its provenance.

The file is UTF-8 (a byte-order mark is fine), comma- or semicolon-separated, with a header
row naming its columns: one identity column (``email``, ``phone`` or ``customer_number``),
``purpose``, ``status`` (given, withdrawn or objected) and ``occurred_at`` (the original time
of the fact: an ISO date or date-time, UTC when no offset is given), and optionally ``ip``,
``user_agent``, ``language`` and ``groups`` (subject-group ids separated by ``|``).

Every row is checked completely before anything is written, so a bad row is reported (line,
column, message) and never half-imported. Good rows are written in batches: a few statements
per thousand rows. Each event records the ``source`` as provenance and the import channel;
privaat did not show these people its notice, so no notice hash or policy version is claimed.
A row imported before (same subject, purpose, status and time) is skipped as a duplicate, so
an interrupted import can simply be run again. The caller owns the transaction: an import is
all its good rows or, on a failure such as an unreadable file, nothing.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import hashlib
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from privaat.core.policy import Policy
from privaat.engine import consent
from privaat.engine.audit import AuditRecord, append, append_many
from privaat.engine.consent import Channel, EventKind
from privaat.engine.orgs import PolicyCache
from privaat.engine.subjects import (
    IdentityKind,
    SubjectSpec,
    dialect_insert,
    ensure_many,
    lock_writes,
    normalise,
    validate_groups,
    validate_language,
)
from privaat.errors import FieldIssue, InvalidInput, SourceIssue, UnreadableInput
from privaat.store.models import Organisation

MAX_BYTES = 50 * 1024 * 1024
BATCH_ROWS = 1000
MAX_REPORTED_ERRORS = 1000
SOURCE_MAX = 500

IDENTITY_COLUMNS = tuple(k.value for k in IdentityKind)
REQUIRED_COLUMNS = ("purpose", "status", "occurred_at")
OPTIONAL_COLUMNS = ("ip", "user_agent", "language", "groups")
KNOWN_COLUMNS = (*IDENTITY_COLUMNS, *REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
STATUSES = {k.value: k for k in (EventKind.GIVEN, EventKind.WITHDRAWN, EventKind.OBJECTED)}
_GROUP_SPLIT = re.compile(r"[|;,\s]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem with one row: its 1-based line in the file, the column, what is wrong."""

    line: int
    column: str
    message: str


@dataclass(slots=True)
class ImportReport:
    rows: int = 0  # data rows read (blank lines not counted)
    imported: int = 0
    duplicates: int = 0  # rows imported before, or repeated in the file
    failed: int = 0  # rows with at least one error: not imported
    errors: list[RowError] = field(default_factory=list)  # at most MAX_REPORTED_ERRORS
    errors_truncated: bool = False


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    kind: IdentityKind
    value: str
    purpose: str
    status: EventKind
    occurred_at: dt.datetime
    ip: str | None
    user_agent: str | None
    language: str | None
    groups: tuple[str, ...]


def import_csv(
    session: Session,
    *,
    org: Organisation,
    data: BinaryIO,
    source: str,
    actor: str,
    now: dt.datetime,
    policies: PolicyCache,
    name: str = "upload.csv",
    max_bytes: int = MAX_BYTES,
) -> ImportReport:
    """Import the consent list in ``data``; bad rows are reported, good rows imported.

    Raises InvalidInput when there is nothing to import from (no header row, unknown or
    missing columns) and UnreadableInput when the file is too large, not UTF-8 or not CSV.
    """
    provenance = _source(source)
    version_id = consent.active_version_id(session, org.id)
    policy = policies.get(session, version_id)
    lock_writes(session, org.id)  # before subjects and states: one lock order
    lines = _lines(data, name, max_bytes)
    first = next(lines, None)
    if first is None or not first.strip():
        raise InvalidInput(
            "the file is empty: its first line must be a header row "
            "such as email,purpose,status,occurred_at"
        )
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter, strict=True)
    header = _read(reader, name)
    if header is None:  # pragma: no cover - the first line is not blank
        raise InvalidInput("the file is empty")
    columns, identity = _columns(header)
    report = ImportReport()
    batch: list[_Row] = []
    previous_line = reader.line_num
    while (values := _read(reader, name)) is not None:
        line = previous_line + 1
        previous_line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        report.rows += 1
        parsed = _parse(values, line, columns, identity, policy, now)
        if isinstance(parsed, _Row):
            batch.append(parsed)
            if len(batch) >= BATCH_ROWS:
                _write(session, org.id, batch, provenance, actor, now, report)
                batch = []
            continue
        report.failed += 1
        room = MAX_REPORTED_ERRORS - len(report.errors)
        report.errors.extend(parsed[: max(room, 0)])
        report.errors_truncated = report.errors_truncated or len(parsed) > room
    if batch:
        _write(session, org.id, batch, provenance, actor, now, report)
    append(
        session,
        AuditRecord(
            actor,
            "consent.imported",
            now,
            org_id=org.id,
            target="consent:import",
            detail={
                "rows": report.rows,
                "imported": report.imported,
                "duplicates": report.duplicates,
                "failed": report.failed,
            },
        ),
    )
    return report


# --------------------------------------------------------------------------- reading


def _source(source: str) -> str:
    text = source.strip()
    if not text:
        raise InvalidInput(
            "source is required: where the list comes from, e.g. 'Mailchimp export 2024-05-01'"
        )
    if len(text) > SOURCE_MAX or _CONTROL.search(text):
        raise InvalidInput(f"source is at most {SOURCE_MAX} printable characters")
    return text


def _lines(data: BinaryIO, name: str, max_bytes: int) -> Iterator[str]:
    """The file's lines as text, refusing more than ``max_bytes`` and anything not UTF-8."""
    total = 0
    for number in itertools.count(1):
        raw = data.readline(max_bytes - total + 1)
        if not raw:
            return
        total += len(raw)
        if total > max_bytes:
            raise UnreadableInput(
                SourceIssue(name, number, 1, f"the file is larger than {_size(max_bytes)}")
            )
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnreadableInput(
                SourceIssue(
                    name,
                    number,
                    exc.start + 1,
                    "the file is not UTF-8 text; save it as UTF-8 (in Excel: CSV UTF-8)",
                )
            ) from None


def _size(n: int) -> str:
    return f"{n // 2**20} MB" if n >= 2**20 else f"{n} bytes"


def _read(reader: Any, name: str) -> list[str] | None:
    try:
        values: list[str] = next(reader)
    except StopIteration:
        return None
    except csv.Error as exc:
        raise UnreadableInput(
            SourceIssue(name, reader.line_num, 1, f"not valid CSV: {exc}")
        ) from None
    return values


def _columns(header: Sequence[str]) -> tuple[dict[str, int], IdentityKind]:
    names = [h.strip().lower() for h in header]
    issues: list[FieldIssue] = []
    if not any(n in KNOWN_COLUMNS for n in names):
        raise InvalidInput(
            "the first line is not a header row: it must name the columns, "
            "such as email,purpose,status,occurred_at",
            [FieldIssue(("header",), "no known column names")],
        )
    for index, column in enumerate(names):
        if column not in KNOWN_COLUMNS:
            hint = difflib.get_close_matches(column, KNOWN_COLUMNS, n=1)
            message = f"unknown column {column[:40]!r}" + (
                f"; did you mean {hint[0]!r}?" if hint else f" (known: {', '.join(KNOWN_COLUMNS)})"
            )
            issues.append(FieldIssue(("header", column[:40] or f"#{index + 1}"), message))
        elif names.index(column) != index:
            issues.append(FieldIssue(("header", column), f"column {column!r} appears twice"))
    identities = [c for c in IDENTITY_COLUMNS if c in names]
    if len(identities) != 1:
        issues.append(
            FieldIssue(
                ("header", "email"),
                "name exactly one identity column: email, phone or customer_number"
                + (f" (found {', '.join(identities)})" if identities else ""),
            )
        )
    for column in REQUIRED_COLUMNS:
        if column not in names:
            issues.append(FieldIssue(("header", column), f"column {column!r} is required"))
    if issues:
        raise InvalidInput(
            "the header row is not right: " + "; ".join(i.message for i in issues), issues
        )
    return {c: names.index(c) for c in KNOWN_COLUMNS if c in names}, IdentityKind(identities[0])


def _parse(
    values: Sequence[str],
    line: int,
    columns: dict[str, int],
    identity: IdentityKind,
    policy: Policy,
    now: dt.datetime,
) -> _Row | list[RowError]:
    if len(values) != len(columns):
        return [RowError(line, "row", f"expected {len(columns)} fields, found {len(values)}")]
    errors: list[RowError] = []

    def cell(column: str) -> str:
        index = columns.get(column)
        return values[index].strip() if index is not None and index < len(values) else ""

    def check(column: str, parse: Any, text: str) -> Any:
        try:
            return parse(text)
        except (InvalidInput, ValueError) as exc:
            errors.append(RowError(line, column, str(exc)))
            return None

    value = check(identity.value, lambda t: normalise(identity, t), cell(identity.value))
    purpose = cell("purpose")
    status = STATUSES.get(cell("status").lower())
    if not purpose:
        errors.append(RowError(line, "purpose", "required: a purpose id of the policy"))
    elif policy.purpose(purpose) is None:
        errors.append(RowError(line, "purpose", f"purpose {purpose[:64]!r} is not in the policy"))
    if status is None:
        errors.append(RowError(line, "status", "must be given, withdrawn or objected"))
    elif purpose and policy.purpose(purpose) is not None:
        check("status", lambda _t: consent.validate(policy, purpose, status), "")
    occurred_at = check("occurred_at", lambda t: _when(t, now), cell("occurred_at"))
    ip = check("ip", lambda t: consent.truncate_ip(t) if t else None, cell("ip"))
    language = check("language", lambda t: validate_language(t or None), cell("language"))
    groups = check(
        "groups",
        lambda t: validate_groups(policy, [g for g in _GROUP_SPLIT.split(t) if g]),
        cell("groups"),
    )
    if errors:
        return errors
    assert status is not None
    user_agent = consent.clean_user_agent(cell("user_agent"))
    return _Row(
        line, identity, value, purpose, status, occurred_at, ip, user_agent, language, groups
    )


def _when(text: str, now: dt.datetime) -> dt.datetime:
    if not text:
        raise ValueError("required: when the person acted (an ISO date or date-time)")
    try:
        if len(text) <= 10:
            day = dt.date.fromisoformat(text)
            at = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        else:
            at = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            "not an ISO date or date-time such as 2024-05-01 or 2024-05-01T09:30:00Z"
        ) from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    at = at.astimezone(dt.UTC)
    if at > now:
        raise ValueError("lies in the future")
    return at


# --------------------------------------------------------------------------- writing


def _write(
    session: Session,
    org_id: int,
    rows: Sequence[_Row],
    provenance: str,
    actor: str,
    now: dt.datetime,
    report: ImportReport,
) -> None:
    subjects = ensure_many(
        session,
        org_id,
        [SubjectSpec(r.kind, r.value, r.groups, r.language) for r in rows],
        now=now,
        actor=actor,
    )
    events: dict[str, dict[str, Any]] = {}
    for r in rows:
        subject_id = subjects[(r.kind, r.value)]
        fact = f"{subject_id}|{r.purpose}|{r.status.value}|{r.occurred_at.isoformat()}"
        key = "import:" + hashlib.sha256(fact.encode()).hexdigest()
        events.setdefault(
            key,
            {
                "org_id": org_id,
                "subject_id": subject_id,
                "purpose": r.purpose,
                "kind": r.status.value,
                "channel": Channel.IMPORT.value,
                "occurred_at": r.occurred_at,
                "recorded_at": now,
                "policy_version_id": None,
                "notice_sha256": None,
                "ip": r.ip,
                "user_agent": r.user_agent,
                "actor": actor,
                "provenance": provenance,
                "idempotency_key": key,
            },
        )
    stmt = (
        dialect_insert(session, consent.EVENT)
        .on_conflict_do_nothing(index_elements=["org_id", "idempotency_key"])
        .returning(consent.EVENT.c.id, consent.EVENT.c.idempotency_key)
    )
    inserted = [
        dict(events[key], id=event_id)
        for event_id, key in session.execute(stmt, list(events.values()))
    ]
    report.imported += len(inserted)
    report.duplicates += len(rows) - len(inserted)
    if not inserted:
        return
    latest: dict[tuple[int, str], dict[str, Any]] = {}
    for event in inserted:
        at = (event["subject_id"], event["purpose"])
        current = latest.get(at)
        if current is None or (event["occurred_at"], event["id"]) > (
            current["occurred_at"],
            current["id"],
        ):
            latest[at] = event
    consent.upsert_states(
        session,
        [
            {
                "org_id": org_id,
                "subject_id": e["subject_id"],
                "purpose": e["purpose"],
                "kind": e["kind"],
                "event_id": e["id"],
                "occurred_at": e["occurred_at"],
                "policy_version_id": None,
                "needs_reconsent": False,
            }
            for e in latest.values()
        ],
    )
    inserted.sort(key=lambda e: int(e["id"]))
    append_many(session, [consent.audit_record(e, actor, now) for e in inserted])
