"""Data subjects and the identities they are recognised by (e-mail, phone, customer number).

An identity is stored normalised and is unique per organisation, so that "find or create"
is safe under concurrency: the identity row is inserted with ``ON CONFLICT DO NOTHING`` and
the loser of a race removes the subject it had just made and takes the winner's. Creating a
subject and changing its groups or language are audited; the audit never holds the identity.

Lock order: a write that touches many rows of an organisation (changing subjects' groups,
creating several subjects at once, an import, an expiry sweep) first takes the organisation's
write lock (:func:`lock_writes`, its ``organisation`` row), and only then touches identities,
subjects or consent states, so such writers queue instead of deadlocking on rows taken in
different orders. The common write (one new identity, one consent event, one state) takes no
such lock: it holds at most one contended row at a time, so it cannot be part of a cycle. A
group of consent writes (``consent.record_many``) takes the lock shared: groups run side by
side and touch rows in one fixed order (new identities by kind and value, then events'
idempotency keys, then states by subject and purpose), and the many-row writers above wait
for them, as they wait for those.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from privaat.core.policy import Policy
from privaat.engine.audit import AuditRecord, append, append_many
from privaat.errors import Conflict, InvalidInput, NotFound
from privaat.store.db import psycopg_connection
from privaat.store.models import Organisation, Subject, SubjectIdentity, table

_SUBJECT = table(Subject)
_IDENTITY = table(SubjectIdentity)
_CHUNK = 500  # values per IN (...) list


class IdentityKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    CUSTOMER_NUMBER = "customer_number"


# --------------------------------------------------------------------------- normalising

_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_PHONE_NOISE = re.compile(r"[\s().\-/]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,4})?$")


def normalise(kind: IdentityKind, value: str) -> str:
    """The stored form of an identity; InvalidInput when it is not one."""
    kind = IdentityKind(kind)
    if kind is IdentityKind.EMAIL:
        return _email(value)
    if kind is IdentityKind.PHONE:
        return _phone(value)
    return _customer_number(value)


def _email(value: str) -> str:
    text = value.strip().lower()
    bad = InvalidInput("not a valid e-mail address (expected name@example.com)")
    if not text or len(text) > 254 or text.count("@") != 1:
        raise bad
    local, domain = text.split("@")
    if not local or len(local) > 64 or not _LOCAL.match(local):
        raise bad
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise bad
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise bad from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise bad
    if labels[-1].isdigit():
        raise bad
    return f"{local}@{domain}"


def _phone(value: str) -> str:
    text = _PHONE_NOISE.sub("", value.strip().replace("(0)", ""))
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+"):
        raise InvalidInput(
            "a phone number needs its country code, e.g. +32 470 12 34 56 or 0031 6 12345678"
        )
    digits = text[1:]
    if not digits.isascii() or not digits.isdigit() or not 8 <= len(digits) <= 15:
        raise InvalidInput("not a valid phone number (expected + country code and 8-15 digits)")
    if digits.startswith("0"):
        raise InvalidInput("not a valid phone number (a country code never starts with 0)")
    return "+" + digits


def _customer_number(value: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidInput("a customer number may not be empty")
    if len(text) > 100 or _CONTROL.search(text):
        raise InvalidInput("a customer number is at most 100 printable characters")
    return text


def validate_groups(policy: Policy, groups: Iterable[str]) -> tuple[str, ...]:
    """The groups, each checked against the policy's subject groups, without duplicates."""
    known = {s.id for s in policy.subjects}
    out: list[str] = []
    for group in groups:
        if group not in known:
            listed = ", ".join(sorted(known))
            raise InvalidInput(f"subject group {group!r} is not in the policy (known: {listed})")
        if group not in out:
            out.append(group)
    return tuple(out)


def validate_language(language: str | None) -> str | None:
    if language is None or language == "":
        return None
    if not _LANGUAGE.match(language) or len(language) > 8:
        raise InvalidInput(f"{language[:20]!r} is not a language code such as nl, en or fr")
    return language


# --------------------------------------------------------------------------- locking

# FOR NO KEY UPDATE: many-row writers queue on each other, while the foreign-key checks of
# single writes (FOR KEY SHARE on the organisation) go on. FOR SHARE: groups of consent
# writes run side by side, and queue with the many-row writers.
_ACTIVE = select(Organisation.active_policy_id).where(Organisation.id == bindparam("org_id"))
_LOCK = _ACTIVE.with_for_update(key_share=True)
_SHARED_LOCK = _ACTIVE.with_for_update(read=True)


def lock_writes(session: Session, org_id: int, *, shared: bool = False) -> int | None:
    """Take the organisation's write lock now, before any other row (see the module
    docstring). Held to the end of the transaction; taking it again is free.

    ``shared``: the lock groups of consent writes take, which touch rows in a fixed order
    (see the module docstring) and so cannot deadlock with each other; such a transaction
    must not take the exclusive lock after it.

    Returns the id of the organisation's policy version in force (None when none is).
    """
    row = session.execute(_SHARED_LOCK if shared else _LOCK, {"org_id": org_id}).first()
    return None if row is None or row[0] is None else int(row[0])


# The shared lock and the identities in one statement (one round trip less per group).
_LOCK_SHARED_AND_FIND_PG = """
SELECT o.active_policy_id, v.kind, v.value, v.subject_id
FROM (SELECT active_policy_id FROM organisation WHERE id = %(org_id)s FOR SHARE) AS o
LEFT JOIN LATERAL (
    SELECT t.kind, t.value, (
        SELECT subject_id FROM subject_identity
        WHERE org_id = %(org_id)s AND kind = t.kind AND value = t.value
    ) AS subject_id
    FROM unnest(%(kinds)b::text[], %(values)b::text[]) AS t(kind, value)
) AS v ON true
"""


def lock_shared_and_find(
    session: Session, org_id: int, keys: Collection[tuple[IdentityKind, str]]
) -> tuple[int | None, dict[tuple[IdentityKind, str], int]]:
    """``lock_writes(shared=True)`` and then :func:`find` for each of ``keys`` (normalised):
    the active policy version id and the identities found."""
    driver = psycopg_connection(session)
    if driver is None:
        version_id = lock_writes(session, org_id, shared=True)
        return version_id, _find_many(session, org_id, list(keys))
    params = {
        "org_id": org_id,
        "kinds": [kind.value for kind, _value in keys],
        "values": [value for _kind, value in keys],
    }
    rows = driver.execute(_LOCK_SHARED_AND_FIND_PG, params).fetchall()
    if not rows:
        return None, {}
    found = {(IdentityKind(kind), value): sid for _v, kind, value, sid in rows if sid is not None}
    return (None if rows[0][0] is None else int(rows[0][0])), found


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class Identity:
    kind: IdentityKind
    value: str


@dataclass(frozen=True, slots=True)
class SubjectView:
    """A subject with its identities, as the API shows it."""

    id: int
    groups: tuple[str, ...]
    language: str | None
    created_at: dt.datetime
    identities: tuple[Identity, ...]


_FIND = select(_IDENTITY.c.subject_id).where(
    _IDENTITY.c.org_id == bindparam("org_id"),
    _IDENTITY.c.kind == bindparam("kind"),
    _IDENTITY.c.value == bindparam("value"),
)


def find(session: Session, org_id: int, kind: IdentityKind, value: str) -> int | None:
    """The id of the subject with this identity, if any."""
    params = {"org_id": org_id, "kind": IdentityKind(kind).value, "value": normalise(kind, value)}
    found: int | None = session.execute(_FIND, params).scalar_one_or_none()
    return found


def get(session: Session, org_id: int, subject_id: int) -> SubjectView:
    """One subject of the organisation with its identities (NotFound otherwise)."""
    row = session.execute(
        select(Subject).where(Subject.id == subject_id, Subject.org_id == org_id)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no subject {subject_id}")
    identities = session.execute(
        select(SubjectIdentity.kind, SubjectIdentity.value)
        .where(SubjectIdentity.org_id == org_id, SubjectIdentity.subject_id == subject_id)
        .order_by(SubjectIdentity.id)
    ).all()
    return SubjectView(
        id=row.id,
        groups=parse_groups(row.groups),
        language=row.language,
        created_at=row.created_at,
        identities=tuple(Identity(IdentityKind(k), v) for k, v in identities),
    )


def exists(session: Session, org_id: int, subject_id: int) -> bool:
    found = session.execute(
        select(Subject.id).where(Subject.id == subject_id, Subject.org_id == org_id)
    ).scalar_one_or_none()
    return found is not None


def parse_groups(text: str | None) -> tuple[str, ...]:
    """The subject-group ids stored with a subject (a JSON list)."""
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return ()
    return tuple(str(g) for g in value) if isinstance(value, list) else ()


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True, slots=True)
class SubjectSpec:
    """A subject to find or create by one normalised identity, with what to add to it."""

    kind: IdentityKind
    value: str
    groups: tuple[str, ...] = ()
    language: str | None = None


@dataclass(slots=True)
class _Wanted:
    groups: list[str] = field(default_factory=list)
    language: str | None = None


def ensure(
    session: Session,
    org_id: int,
    kind: IdentityKind,
    value: str,
    *,
    now: dt.datetime,
    actor: str,
    groups: Sequence[str] = (),
    language: str | None = None,
) -> int:
    """The subject with this identity, created if it is new; ``groups`` are added to it."""
    kind = IdentityKind(kind)
    spec = SubjectSpec(kind, normalise(kind, value), tuple(groups), validate_language(language))
    if not spec.groups and not spec.language:  # the common case: one indexed lookup
        found = find(session, org_id, kind, spec.value)
        if found is not None:
            return found
    return ensure_many(session, org_id, [spec], now=now, actor=actor)[(spec.kind, spec.value)]


def ensure_unseen(
    session: Session, org_id: int, kind: IdentityKind, value: str, *, now: dt.datetime, actor: str
) -> int:
    """:func:`ensure` for an identity this transaction has just looked up and not found (the
    consent write path): created without looking it up again; a concurrent transaction that
    created it first still wins, as in :func:`ensure_many`."""
    kind = IdentityKind(kind)
    spec = SubjectSpec(kind, normalise(kind, value))
    made = ensure_many(session, org_id, [spec], now=now, actor=actor, known={})
    return made[(spec.kind, spec.value)]


def ensure_many(
    session: Session,
    org_id: int,
    specs: Sequence[SubjectSpec],
    *,
    now: dt.datetime,
    actor: str | Mapping[tuple[IdentityKind, str], str],
    known: Mapping[tuple[IdentityKind, str], int] | None = None,
    audit: list[AuditRecord] | None = None,
    shared: bool = False,
) -> dict[tuple[IdentityKind, str], int]:
    """Find or create many subjects at once (values must be normalised): identity → subject id.

    A few statements per 500 identities, whatever their number; safe against a concurrent
    transaction creating the same identity. ``actor``: who creates or changes the
    subjects, one for all or one per identity (a group of several callers' writes).
    ``known``: the caller has just looked the identities up in this transaction, and these
    are the ones it found. ``audit``: the audit records of what changed are added to this
    list, for the caller to append with its own, instead of being appended here. ``shared``: the caller holds the organisation's shared write
    lock (``lock_writes(shared=True)``), and no exclusive one is taken.
    """
    wanted: dict[tuple[IdentityKind, str], _Wanted] = {}
    for spec in specs:
        entry = wanted.setdefault((spec.kind, spec.value), _Wanted())
        entry.groups.extend(g for g in spec.groups if g not in entry.groups)
        entry.language = spec.language or entry.language
    found = dict(known) if known is not None else _find_many(session, org_id, list(wanted))
    # in a fixed order: two writers creating the same identities wait, never deadlock
    missing = sorted(key for key in wanted if key not in found)
    created: set[int] = set()
    many = len(missing) > 1 or any(w.groups or w.language for w in wanted.values())
    if many and not shared:
        lock_writes(session, org_id)
    if missing:
        made = _create(session, org_id, missing, wanted, now)
        created = set(made.values())
        found.update(made)
        lost = [key for key in missing if key not in made]
        if lost:  # another transaction created them first: use its subjects
            found.update(_find_many(session, org_id, lost))
    actor_of = {found[key]: actor if isinstance(actor, str) else actor[key] for key in wanted}
    changes = {
        found[key]: (want.groups, want.language)
        for key, want in wanted.items()
        if found[key] not in created and (want.groups or want.language)
    }
    records: list[AuditRecord] = []
    if changes:
        records += _merge(session, org_id, changes, now=now, actor=actor_of, shared=shared)
    if created:
        kinds = {found[key]: key[0] for key in missing if key in found}
        records += [
            AuditRecord(
                actor_of[sid],
                "subject.created",
                now,
                org_id=org_id,
                subject_id=sid,
                target=f"subject:{sid}",
                detail={"identity": kinds[sid].value},
            )
            for sid in sorted(created)
        ]
    if audit is not None:
        audit += records
    else:
        append_many(session, records)
    return found


def update_subject(
    session: Session,
    org_id: int,
    subject_id: int,
    *,
    now: dt.datetime,
    actor: str,
    groups: Sequence[str] = (),
    language: str | None = None,
) -> None:
    """Add groups to a subject and set its language (audited when something changes)."""
    if not exists(session, org_id, subject_id):
        raise NotFound(f"no subject {subject_id}")
    if groups or language:
        changes = {subject_id: (list(groups), validate_language(language))}
        append_many(session, _merge(session, org_id, changes, now=now, actor=actor))


def add_identity(
    session: Session,
    org_id: int,
    subject_id: int,
    kind: IdentityKind,
    value: str,
    *,
    now: dt.datetime,
    actor: str,
) -> bool:
    """Link one more identity to a subject (audited); False if it was linked already.

    An identity that belongs to another subject raises Conflict.
    """
    kind = IdentityKind(kind)
    normal = normalise(kind, value)
    owner = find(session, org_id, kind, normal)
    if owner == subject_id:
        return False
    if owner is None:
        lock_writes(session, org_id)
        row = {"org_id": org_id, "subject_id": subject_id, "kind": kind.value, "value": normal}
        inserted = session.execute(
            dialect_insert(session, _IDENTITY)
            .values(row)
            .on_conflict_do_nothing(index_elements=["org_id", "kind", "value"])
            .returning(_IDENTITY.c.id)
        ).first()
        if inserted is not None:
            append(
                session,
                AuditRecord(
                    actor,
                    "subject.identity_added",
                    now,
                    org_id=org_id,
                    subject_id=subject_id,
                    target=f"subject:{subject_id}",
                    detail={"identity": kind.value},
                ),
            )
            return True
        if find(session, org_id, kind, normal) == subject_id:
            return False
    raise Conflict(f"this {kind.value.replace('_', ' ')} belongs to another subject")


def dialect_insert(session: Session, table: Any) -> Any:
    """The dialect's INSERT, which has ON CONFLICT on both SQLite and PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)


# One index probe per value, whatever the planner believes of the table: an IN list on the
# last column of the unique index is a filter, not a probe, when the statistics say that the
# organisation has a handful of identities (a table that grew since it was last analysed).
# LIMIT keeps the subquery from being flattened into a join the planner could hash.
_FIND_MANY_PG = """
SELECT v.value, i.subject_id
FROM unnest(%(values)b::text[]) AS v(value)
CROSS JOIN LATERAL (
    SELECT subject_id FROM subject_identity
    WHERE org_id = %(org_id)s AND kind = %(kind)s AND value = v.value
    LIMIT 1
) AS i
"""


def _find_many(
    session: Session, org_id: int, keys: Sequence[tuple[IdentityKind, str]]
) -> dict[tuple[IdentityKind, str], int]:
    found: dict[tuple[IdentityKind, str], int] = {}
    by_kind: dict[IdentityKind, list[str]] = {}
    for kind, value in keys:
        by_kind.setdefault(kind, []).append(value)
    driver = psycopg_connection(session)
    for kind, values in by_kind.items():
        if driver is not None:
            params = {"values": values, "org_id": org_id, "kind": kind.value}
            probed = driver.execute(_FIND_MANY_PG, params).fetchall()
            found.update({(kind, value): subject_id for value, subject_id in probed})
            continue
        for start in range(0, len(values), _CHUNK):
            rows = session.execute(
                select(_IDENTITY.c.value, _IDENTITY.c.subject_id).where(
                    _IDENTITY.c.org_id == org_id,
                    _IDENTITY.c.kind == kind.value,
                    _IDENTITY.c.value.in_(values[start : start + _CHUNK]),
                )
            )
            found.update({(kind, value): subject_id for value, subject_id in rows})
    return found


# The subjects and their identities in one statement. The subjects are inserted in the
# order given, so that their ids (from the sequence, in that order) number them as the
# input; an identity another transaction inserted first is not linked, and its new subject
# is an orphan for the caller to delete.
_CREATE_PG = """
WITH input AS (
    SELECT * FROM unnest(%(kind)b::text[], %(value)b::text[], %(groups)b::text[],
        %(language)b::text[]) WITH ORDINALITY AS t(kind, value, groups, language, n)
), made AS (
    INSERT INTO subject (org_id, groups, language, created_at)
    SELECT %(org_id)s, groups, language, %(now)s FROM input ORDER BY n
    RETURNING id
), numbered AS (
    SELECT id, row_number() OVER (ORDER BY id) AS n FROM made
), linked AS (
    INSERT INTO subject_identity (org_id, subject_id, kind, value)
    SELECT %(org_id)s, numbered.id, input.kind, input.value
    FROM input JOIN numbered USING (n)
    ORDER BY input.n
    ON CONFLICT (org_id, kind, value) DO NOTHING
    RETURNING subject_id
)
SELECT numbered.n, numbered.id, linked.subject_id IS NOT NULL
FROM numbered LEFT JOIN linked ON linked.subject_id = numbered.id
"""


def _create(
    session: Session,
    org_id: int,
    keys: Sequence[tuple[IdentityKind, str]],
    wanted: Mapping[tuple[IdentityKind, str], _Wanted],
    now: dt.datetime,
) -> dict[tuple[IdentityKind, str], int]:
    """New subjects for identities not seen yet; those another transaction won are undone."""
    made: dict[tuple[IdentityKind, str], int] = {}
    driver = psycopg_connection(session)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        if driver is not None:
            params = {
                "org_id": org_id,
                "now": now,
                "kind": [kind.value for kind, _value in chunk],
                "value": [value for _kind, value in chunk],
                "groups": [json.dumps(wanted[key].groups) for key in chunk],
                "language": [wanted[key].language for key in chunk],
            }
            rows = driver.execute(_CREATE_PG, params).fetchall()
            assert len(rows) == len(chunk)
            made.update((chunk[n - 1], sid) for n, sid, linked in rows if linked)
            orphans = [sid for _n, sid, linked in rows if not linked]
            if orphans:
                session.execute(delete(_SUBJECT).where(_SUBJECT.c.id.in_(orphans)))
            continue
        ids = session.execute(
            insert(_SUBJECT).returning(_SUBJECT.c.id, sort_by_parameter_order=True),
            [
                {
                    "org_id": org_id,
                    "groups": json.dumps(wanted[key].groups),
                    "language": wanted[key].language,
                    "created_at": now,
                }
                for key in chunk
            ],
        ).scalars()
        subject_of = dict(zip(chunk, ids, strict=True))
        linked = {
            (IdentityKind(kind), value): sid
            for kind, value, sid in session.execute(
                dialect_insert(session, _IDENTITY)
                .on_conflict_do_nothing(index_elements=["org_id", "kind", "value"])
                .returning(_IDENTITY.c.kind, _IDENTITY.c.value, _IDENTITY.c.subject_id),
                [
                    {"org_id": org_id, "subject_id": sid, "kind": key[0].value, "value": key[1]}
                    for key, sid in subject_of.items()
                ],
            )
        }
        orphans = [sid for key, sid in subject_of.items() if key not in linked]
        if orphans:
            session.execute(delete(_SUBJECT).where(_SUBJECT.c.id.in_(orphans)))
        made.update(linked)
    return made


def _merge(
    session: Session,
    org_id: int,
    changes: Mapping[int, tuple[Sequence[str], str | None]],
    *,
    now: dt.datetime,
    actor: str | Mapping[int, str],
    shared: bool = False,
) -> list[AuditRecord]:
    """Add groups and set the language of existing subjects, locking their rows in id order;
    the audit records of what changed (by ``actor``, or by each subject's). ``shared``: as
    in :func:`ensure_many`."""
    if not shared:
        lock_writes(session, org_id)
    ids = sorted(changes)
    records: list[AuditRecord] = []
    updates: list[dict[str, Any]] = []
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(_SUBJECT.c.id, _SUBJECT.c.groups, _SUBJECT.c.language)
            .where(_SUBJECT.c.org_id == org_id, _SUBJECT.c.id.in_(ids[start : start + _CHUNK]))
            .order_by(_SUBJECT.c.id)
            .with_for_update()
        ).all()
        for sid, groups_text, language in rows:
            add, new_language = changes[sid]
            groups = list(parse_groups(groups_text))
            added = [g for g in add if g not in groups]
            detail: dict[str, object] = {}
            if added:
                detail["groups_added"] = added
            if new_language and new_language != language:
                detail["language"] = new_language
            if not detail:
                continue
            updates.append(
                {
                    "sid": sid,
                    "new_groups": json.dumps(groups + added),
                    "new_language": new_language or language,
                }
            )
            records.append(
                AuditRecord(
                    actor if isinstance(actor, str) else actor[sid],
                    "subject.updated",
                    now,
                    org_id=org_id,
                    subject_id=sid,
                    target=f"subject:{sid}",
                    detail=detail,
                )
            )
    if updates:
        session.execute(
            update(_SUBJECT)
            .where(_SUBJECT.c.id == bindparam("sid"))
            .values(groups=bindparam("new_groups"), language=bindparam("new_language")),
            updates,
        )
    return records
