"""The consent ledger: append-only events with their proof, and the state derived from them.

Each fact (given, withdrawn, expired, objected) is one ``consent_event`` row, never changed.
``consent_state`` holds, per subject × purpose, the event that is current: the one that
occurred last (``occurred_at``, then the event id for events of the same moment). An event
that arrives late, such as an imported consent from last year, is kept in the ledger but
does not override a newer fact. The state is written in the same transaction as its event.

Which events a purpose accepts (``record`` refuses the others with InvalidInput):

- given / withdrawn / expired: purposes resting on consent, and every direct-marketing
  purpose. Electronic marketing needs consent from anyone who is not an existing customer
  (ePrivacy Art. 13), whatever GDPR basis the purpose names, and giving consent again is how
  a person undoes an earlier objection. What can be given can be withdrawn just as easily.
- objected: purposes resting on legitimate interest or a public task (Art. 21(1)) and every
  direct-marketing purpose (Art. 21(2): an objection always stops direct marketing).

Whether processing is allowed now (``check``, the hot path) is decided by :func:`decide`.

Recording one event takes no organisation-wide lock: it inserts the event and upserts one
state row. Writes over many rows (the expiry sweep, an import) take the organisation's write
lock first (``subjects.lock_writes``), so they queue instead of deadlocking on state rows.
"""

from __future__ import annotations

import calendar
import datetime as dt
import ipaddress
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, and_, bindparam, exists, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from privaat.core.duration import Duration
from privaat.core.policy import Policy
from privaat.core.policy.model import LegalBasis, Purpose
from privaat.engine import notices
from privaat.engine.audit import AuditRecord, append, append_many
from privaat.engine.orgs import PolicyCache
from privaat.engine.subjects import (
    IdentityKind,
    SubjectSpec,
    ensure_many,
    lock_shared_and_find,
    lock_writes,
    normalise,
    parse_groups,
    validate_groups,
    validate_language,
)
from privaat.errors import Conflict, InvalidInput, NotFound, PrivaatError
from privaat.store.db import postgresql_sql, psycopg_connection
from privaat.store.models import (
    ConsentEvent,
    ConsentState,
    Organisation,
    Restriction,
    Subject,
    SubjectIdentity,
    table,
)

EVENT = table(ConsentEvent)
STATE = table(ConsentState)
_ORG = table(Organisation)
_SUBJECT = table(Subject)
_IDENTITY = table(SubjectIdentity)

USER_AGENT_MAX = 512
#: How far in the future ``occurred_at`` may lie (clock skew between systems).
CLOCK_SKEW = dt.timedelta(minutes=5)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class EventKind(StrEnum):
    GIVEN = "given"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    OBJECTED = "objected"


class Channel(StrEnum):
    """How an event reached privaat."""

    WEB_FORM = "web_form"
    API = "api"
    IMPORT = "import"
    DOUBLE_OPT_IN = "double_opt_in"
    UNSUBSCRIBE = "unsubscribe"
    GPC = "gpc"
    STAFF = "staff"
    SYSTEM = "system"  # privaat itself: the expiry sweep


class State(StrEnum):
    """The current consent of a subject for a purpose; ``none`` when nothing is recorded."""

    GIVEN = "given"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    OBJECTED = "objected"
    NONE = "none"


class Reason(StrEnum):
    """Why ``check`` answered as it did."""

    CONSENT_GIVEN = "consent_given"  # allowed: a valid consent
    SOFT_OPT_IN = "soft_opt_in"  # allowed: an existing customer who has not objected
    NOT_OBJECTED = "not_objected"  # allowed: legitimate interest / public task, no objection
    NOT_CONSENT_BASED = "not_consent_based"  # allowed: contract, legal obligation, vital interest
    NO_CONSENT = "no_consent"  # refused: nothing given (or a prospect for soft opt-in)
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    OBJECTED = "objected"
    RECONSENT_NEEDED = "reconsent_needed"  # the purpose's text changed since consent was given
    RESTRICTED = "restricted"  # refused: the person restricted processing (Art. 18)
    NO_LEGAL_BASIS = "no_legal_basis"  # the policy names no single basis: fail closed


@dataclass(frozen=True, slots=True)
class Proof:
    """What shows that the person acted: when, how, and which notice they saw."""

    channel: Channel
    occurred_at: dt.datetime
    ip: str | None = None  # raw; stored truncated (IPv4 /24, IPv6 /48)
    user_agent: str | None = None  # cut to 512 characters
    notice_sha256: str | None = None  # default: the active notice in ``language``
    language: str | None = None
    provenance: str | None = None  # import source, confirmation reference


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer of ``check``: may the organisation process for this purpose now?"""

    allowed: bool
    purpose: str
    basis: str | None
    state: State
    reason: Reason
    needs_reconsent: bool
    since: dt.datetime | None  # when the current state began
    expires_at: dt.datetime | None  # when a given consent lapses (consent.expires_after)


# --------------------------------------------------------------------------- rules


def accepts(purpose: Purpose, kind: EventKind) -> bool:
    """Whether ``kind`` can be recorded for ``purpose`` (see the module docstring)."""
    if kind is EventKind.OBJECTED:
        return purpose.marketing or purpose.basis in (
            LegalBasis.LEGITIMATE_INTEREST,
            LegalBasis.PUBLIC_TASK,
        )
    return purpose.marketing or purpose.basis is LegalBasis.CONSENT


def validate(policy: Policy, purpose_id: str, kind: EventKind) -> Purpose:
    """The purpose, if it exists and accepts ``kind``; InvalidInput naming it otherwise."""
    purpose = policy.purpose(purpose_id)
    if purpose is None:
        raise InvalidInput(f"purpose {purpose_id!r} is not in the organisation's policy")
    if not accepts(purpose, EventKind(kind)):
        basis = purpose.basis.value if purpose.basis else "no single legal basis"
        if kind is EventKind.OBJECTED:
            raise InvalidInput(
                f"purpose {purpose_id!r} rests on {basis}: an objection applies to "
                "legitimate-interest, public-task and direct-marketing purposes"
            )
        raise InvalidInput(
            f"purpose {purpose_id!r} rests on {basis}, not on consent: "
            f"there is no consent to record as {kind.value}"
        )
    return purpose


def lapses_at(purpose: Purpose, given_at: dt.datetime) -> dt.datetime | None:
    """When a consent given at ``given_at`` lapses, if the purpose sets ``expires_after``."""
    if purpose.consent is None or purpose.consent.expires_after is None:
        return None
    return add_duration(given_at, purpose.consent.expires_after)


def add_duration(at: dt.datetime, duration: Duration) -> dt.datetime:
    """``at`` plus a calendar duration, keeping the time of day (months clamp to month end)."""
    day = duration.add_to(at.date())
    return at.replace(year=day.year, month=day.month, day=day.day)


def subtract_duration(at: dt.datetime, duration: Duration) -> dt.datetime:
    """``at`` minus a calendar duration, keeping the time of day."""
    index = at.year * 12 + at.month - 1 - duration.total_months
    year, month = divmod(index, 12)
    day = min(at.day, calendar.monthrange(year, month + 1)[1])
    return at.replace(year=year, month=month + 1, day=day) - dt.timedelta(days=duration.days)


def decide(
    purpose: Purpose,
    policy: Policy,
    *,
    state: State,
    since: dt.datetime | None,
    needs_reconsent: bool,
    groups: Collection[str],
    now: dt.datetime,
) -> Decision:
    """Whether processing for ``purpose`` is allowed for a subject in ``state`` now.

    - consent basis: only a given consent that needs no re-consent and has not lapsed
      (a lapsed consent counts as expired before the sweep writes the event).
    - direct marketing with soft opt-in (legitimate interest): existing customers (a subject
      group with ``existing_customers``) are allowed until they object or withdraw;
      prospects need a given consent as above.
    - any other purpose: allowed unless the subject objected (or withdrew, for marketing).
      Contract, legal obligation and vital interests do not rest on consent; legitimate
      interest and public task stand until an objection.
    - a purpose without exactly one basis is refused: the policy is wrong, fail closed.
    """
    basis = purpose.basis
    expires_at = lapses_at(purpose, since) if state is State.GIVEN and since else None
    reconsent = needs_reconsent and state is State.GIVEN

    def answer(allowed: bool, reason: Reason, shown: State = state) -> Decision:
        shown_since = expires_at if shown is State.EXPIRED and expires_at else since
        return Decision(
            allowed,
            purpose.id,
            basis.value if basis else None,
            shown,
            reason,
            reconsent,
            shown_since,
            expires_at,
        )

    def consent_answer() -> Decision:
        if state is State.GIVEN:
            if reconsent:
                return answer(False, Reason.RECONSENT_NEEDED)
            if expires_at is not None and expires_at <= now:
                return answer(False, Reason.EXPIRED, State.EXPIRED)
            return answer(True, Reason.CONSENT_GIVEN)
        return answer(False, _REFUSED[state])

    if basis is None:
        return answer(False, Reason.NO_LEGAL_BASIS)
    if basis is LegalBasis.CONSENT:
        return consent_answer()
    if state in (State.OBJECTED, State.WITHDRAWN):
        return answer(False, _REFUSED[state])
    if purpose.marketing and purpose.soft_opt_in:
        if _existing_customer(policy, groups):
            return answer(True, Reason.SOFT_OPT_IN)
        return consent_answer()
    if basis in (LegalBasis.LEGITIMATE_INTEREST, LegalBasis.PUBLIC_TASK):
        return answer(True, Reason.NOT_OBJECTED)
    return answer(True, Reason.NOT_CONSENT_BASED)


_REFUSED = {
    State.NONE: Reason.NO_CONSENT,
    State.WITHDRAWN: Reason.WITHDRAWN,
    State.EXPIRED: Reason.EXPIRED,
    State.OBJECTED: Reason.OBJECTED,
    State.GIVEN: Reason.CONSENT_GIVEN,  # not reached: a given state is decided above
}


def _existing_customer(policy: Policy, groups: Collection[str]) -> bool:
    return any(s.existing_customers and s.id in groups for s in policy.subjects)


# --------------------------------------------------------------------------- check (hot path)

_RESTRICTION = table(Restriction)

_STATE_COLUMNS = (
    _ORG.c.active_policy_id,
    _SUBJECT.c.id,
    _SUBJECT.c.groups,
    STATE.c.kind,
    STATE.c.occurred_at,
    STATE.c.needs_reconsent,
    exists()
    .where(
        _RESTRICTION.c.org_id == _ORG.c.id,
        _RESTRICTION.c.subject_id == _SUBJECT.c.id,
        _RESTRICTION.c.lifted_at.is_(None),
    )
    .label("restricted"),
)

#: What a restriction of processing (Art. 18(2)) still allows besides storage: processing
#: with the person's consent, and what the law itself requires or a life depends on.
_ALLOWED_WHEN_RESTRICTED = frozenset({LegalBasis.LEGAL_OBLIGATION, LegalBasis.VITAL_INTERESTS})

_BY_IDENTITY = (
    select(*_STATE_COLUMNS)
    .select_from(_ORG)
    .outerjoin(
        _IDENTITY,
        and_(
            _IDENTITY.c.org_id == _ORG.c.id,
            _IDENTITY.c.kind == bindparam("kind"),
            _IDENTITY.c.value == bindparam("value"),
        ),
    )
    .outerjoin(_SUBJECT, _SUBJECT.c.id == _IDENTITY.c.subject_id)
    .outerjoin(
        STATE,
        and_(
            STATE.c.org_id == _ORG.c.id,
            STATE.c.subject_id == _SUBJECT.c.id,
            STATE.c.purpose == bindparam("purpose"),
        ),
    )
    .where(_ORG.c.id == bindparam("org_id"))
)

_BY_ID = (
    select(*_STATE_COLUMNS)
    .select_from(_ORG)
    .outerjoin(
        _SUBJECT, and_(_SUBJECT.c.id == bindparam("subject_id"), _SUBJECT.c.org_id == _ORG.c.id)
    )
    .outerjoin(
        STATE,
        and_(
            STATE.c.org_id == _ORG.c.id,
            STATE.c.subject_id == _SUBJECT.c.id,
            STATE.c.purpose == bindparam("purpose"),
        ),
    )
    .where(_ORG.c.id == bindparam("org_id"))
)

SubjectRef = int | tuple[IdentityKind, str]


_BY_IDENTITY_PG = postgresql_sql(_BY_IDENTITY)
_BY_ID_PG = postgresql_sql(_BY_ID)


def check(
    session: Session | Connection,
    org: Organisation | int,
    subject: SubjectRef,
    purpose: str,
    policies: PolicyCache,
    now: dt.datetime,
) -> Decision:
    """May the organisation process for ``purpose`` for this subject now? One indexed query.

    ``subject`` is a subject id or an identity ``(kind, value)``; an unknown subject has
    state ``none``. The policy comes from ``policies`` (parsed once per version).
    """
    org_id = org if isinstance(org, int) else org.id
    if isinstance(subject, int):
        params: dict[str, Any] = {"org_id": org_id, "subject_id": subject, "purpose": purpose}
        query, query_pg = _BY_ID, _BY_ID_PG
    else:
        kind, value = subject
        params = {
            "org_id": org_id,
            "kind": IdentityKind(kind).value,
            "value": normalise(kind, value),
            "purpose": purpose,
        }
        query, query_pg = _BY_IDENTITY, _BY_IDENTITY_PG
    driver = psycopg_connection(session)
    if driver is not None:  # the hot path: see psycopg_connection
        row = driver.execute(query_pg, params).fetchone()
    else:
        row = session.execute(query, params).first()
    if row is None:
        raise NotFound("no such organisation")
    version_id, subject_id, groups_text, kind_text, since, needs_reconsent, restricted = row
    if version_id is None:
        raise NotFound("the organisation has no policy loaded yet")
    policy = policies.get(session, version_id)
    found = policy.purpose(purpose)
    if found is None:
        raise InvalidInput(f"purpose {purpose!r} is not in the organisation's policy")
    state = State(kind_text) if kind_text else State.NONE
    groups: Collection[str] = ()
    if subject_id is not None and found.marketing and found.soft_opt_in:
        groups = parse_groups(groups_text)
    decided = decide(
        found,
        policy,
        state=state,
        since=since.astimezone(dt.UTC) if since is not None else None,  # as UTCDateTime
        needs_reconsent=bool(needs_reconsent),
        groups=groups,
        now=now,
    )
    if (
        restricted
        and decided.allowed
        and decided.reason is not Reason.CONSENT_GIVEN
        and found.basis not in _ALLOWED_WHEN_RESTRICTED
    ):
        return replace(decided, allowed=False, reason=Reason.RESTRICTED)
    return decided


# --------------------------------------------------------------------------- recording


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"({_OCTET}\.{_OCTET}\.{_OCTET})\.{_OCTET}")


def truncate_ip(raw: str) -> str:
    """An IP address cut to its network: IPv4 to /24, IPv6 to /48 (InvalidInput if not one)."""
    text = raw.strip().split("%", 1)[0]
    if dotted := _IPV4.fullmatch(text):  # the common case, without ipaddress's objects
        return f"{dotted.group(1)}.0"
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise InvalidInput("ip is not an IPv4 or IPv6 address") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    return str(network.network_address)


def clean_user_agent(raw: str | None) -> str | None:
    """A user agent as stored: control characters as spaces, cut to 512 characters."""
    if raw is None:
        return None
    text = _CONTROL.sub(" ", raw).strip()[:USER_AGENT_MAX]
    return text or None


def _occurred(at: dt.datetime, now: dt.datetime) -> dt.datetime:
    if at.tzinfo is None:
        raise InvalidInput("occurred_at needs a time zone (e.g. 2026-05-01T10:00:00Z)")
    if at > now + CLOCK_SKEW:
        raise InvalidInput("occurred_at lies in the future")
    return at.astimezone(dt.UTC)


def _notice_hash(proof: Proof, policy: Policy, version_id: int) -> str:
    if proof.notice_sha256 is not None:
        digest = proof.notice_sha256.strip().lower()
        if not _SHA256.match(digest):
            raise InvalidInput("notice_sha256 must be 64 hexadecimal characters")
        return digest
    wanted = proof.language or policy.languages[0]
    for lang in policy.languages:
        if lang == wanted:
            return notices.notice_sha256(version_id, policy, lang)
    shown = ", ".join(policy.languages)
    raise InvalidInput(f"language {wanted[:8]!r} is not a language of the notice ({shown})")


_CONTEXT = (
    select(_ORG.c.active_policy_id, _SUBJECT.c.id)
    .select_from(_ORG)
    .outerjoin(
        _SUBJECT, and_(_SUBJECT.c.id == bindparam("subject_id"), _SUBJECT.c.org_id == _ORG.c.id)
    )
    .where(_ORG.c.id == bindparam("org_id"))
)

_CONTEXT_BY_IDENTITY = (
    select(_ORG.c.active_policy_id, _IDENTITY.c.subject_id)
    .select_from(_ORG)
    .outerjoin(
        _IDENTITY,
        and_(
            _IDENTITY.c.org_id == _ORG.c.id,
            _IDENTITY.c.kind == bindparam("kind"),
            _IDENTITY.c.value == bindparam("value"),
        ),
    )
    .where(_ORG.c.id == bindparam("org_id"))
)


_CONTEXT_BY_IDENTITY_PG = postgresql_sql(_CONTEXT_BY_IDENTITY)


def _context(session: Session, org_id: int, subject_id: int) -> int:
    """The active policy version id; NotFound if the subject is not the organisation's."""
    row = session.execute(_CONTEXT, {"org_id": org_id, "subject_id": subject_id}).first()
    if row is None:
        raise NotFound("no such organisation")
    if row[1] is None:
        raise NotFound(f"no subject {subject_id}")
    if row[0] is None:
        raise NotFound("the organisation has no policy loaded yet")
    return int(row[0])


def identity_context(
    session: Session, org_id: int, kind: IdentityKind, value: str
) -> tuple[int, int | None]:
    """The active policy version id and the subject with this identity (None if unknown yet).

    One statement where finding the subject and then reading the organisation took two:
    the hot write path (``record(..., version_id=...)``) needs both.
    """
    params = {"org_id": org_id, "kind": IdentityKind(kind).value, "value": normalise(kind, value)}
    driver = psycopg_connection(session)
    if driver is not None:  # the hot path: see psycopg_connection
        row = driver.execute(_CONTEXT_BY_IDENTITY_PG, params).fetchone()
    else:
        row = session.execute(_CONTEXT_BY_IDENTITY, params).first()
    if row is None:
        raise NotFound("no such organisation")
    if row[0] is None:
        raise NotFound("the organisation has no policy loaded yet")
    return int(row[0]), row[1]


_STATEMENTS: dict[tuple[str, str], Any] = {}


def _statement(session: Session, name: str) -> Any:
    """A prepared write of this module for the session's dialect, built once."""
    dialect = session.get_bind().dialect.name
    stmt = _STATEMENTS.get((dialect, name))
    if stmt is None:
        insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
        if name == "state":
            upsert = insert_(STATE)
            new = upsert.excluded
            later = or_(
                new.occurred_at > STATE.c.occurred_at,
                and_(new.occurred_at == STATE.c.occurred_at, new.event_id > STATE.c.event_id),
            )
            stmt = upsert.on_conflict_do_update(
                index_elements=[STATE.c.org_id, STATE.c.subject_id, STATE.c.purpose],
                set_={
                    "kind": new.kind,
                    "event_id": new.event_id,
                    "occurred_at": new.occurred_at,
                    "policy_version_id": new.policy_version_id,
                    "needs_reconsent": new.needs_reconsent,
                },
                where=later,
            )
        else:  # "event": nothing when the idempotency key exists (NULL keys never clash)
            stmt = (
                insert_(EVENT)
                .on_conflict_do_nothing(index_elements=["org_id", "idempotency_key"])
                .returning(EVENT.c.id)
            )
        _STATEMENTS[(dialect, name)] = stmt
    return stmt


def upsert_states(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Make each row the current state unless a later fact is current already.

    Rows carry org_id, subject_id, purpose, kind, event_id, occurred_at, policy_version_id
    and needs_reconsent; at most one row per subject × purpose.
    """
    if rows:
        session.execute(_statement(session, "state"), list(rows))


def audit_record(
    event: ConsentEvent | Event | Mapping[str, Any], actor: str, now: dt.datetime
) -> AuditRecord:
    def get(name: str) -> Any:
        return event[name] if isinstance(event, Mapping) else getattr(event, name)

    return AuditRecord(
        actor,
        f"consent.{get('kind')}",
        now,
        org_id=get("org_id"),
        subject_id=get("subject_id"),
        target=f"purpose:{get('purpose')}",
        detail={
            "event_id": get("id"),
            "channel": get("channel"),
            "occurred_at": get("occurred_at").isoformat(),
            "policy_version_id": get("policy_version_id"),
        },
    )


def record(
    session: Session,
    *,
    org: Organisation | int,
    subject_id: int,
    purpose: str,
    kind: EventKind,
    proof: Proof,
    actor: str,
    now: dt.datetime,
    policies: PolicyCache,
    idempotency_key: str | None = None,
    version_id: int | None = None,
) -> ConsentEvent:
    """Append one event with its proof, update the current state, and audit it.

    With an ``idempotency_key`` the organisation has seen before, the earlier event is
    returned and nothing is written (Conflict if that key was used for another fact).
    ``version_id`` is the active policy version when the caller has just read it in this
    transaction together with the subject (:func:`identity_context`); otherwise it is read
    here, and the subject checked. The event returned is not attached to the session.
    """
    kind = EventKind(kind)
    org_id = org if isinstance(org, int) else org.id
    if version_id is None:
        version_id = _context(session, org_id, subject_id)
    policy = policies.get(session, version_id)
    row = _event_row(
        org_id, subject_id, purpose, kind, proof, actor, now, policy, version_id, idempotency_key
    )
    event_id = _insert_event(session, row)
    if event_id is None:
        return _replayed(session, org_id, idempotency_key, subject_id, purpose, kind)
    event = ConsentEvent(id=event_id, **row)
    append(session, audit_record(event, actor, now))
    return event


def _event_row(
    org_id: int,
    subject_id: int | None,
    purpose: str,
    kind: EventKind,
    proof: Proof,
    actor: str,
    now: dt.datetime,
    policy: Policy,
    version_id: int,
    idempotency_key: str | None,
) -> dict[str, Any]:
    """The ``consent_event`` row of one fact, checked against the policy in force."""
    validate(policy, purpose, kind)
    if idempotency_key is not None and (
        not 1 <= len(idempotency_key) <= 200 or _CONTROL.search(idempotency_key)
    ):
        raise InvalidInput("an idempotency key is 1-200 printable characters")
    return {
        "org_id": org_id,
        "subject_id": subject_id,
        "purpose": purpose,
        "kind": kind.value,
        "channel": Channel(proof.channel).value,
        "occurred_at": _occurred(proof.occurred_at, now),
        "recorded_at": now.astimezone(dt.UTC),
        "policy_version_id": version_id,
        "notice_sha256": (
            _notice_hash(proof, policy, version_id) if kind is not EventKind.EXPIRED else None
        ),
        "ip": truncate_ip(proof.ip) if proof.ip else None,
        "user_agent": clean_user_agent(proof.user_agent),
        "actor": actor,
        "provenance": proof.provenance,
        "idempotency_key": idempotency_key,
    }


@dataclass(frozen=True, slots=True)
class Event:
    """A recorded ``consent_event`` row, as :func:`record_many` returns it (without the ORM's
    bookkeeping, which cost more than the rest of a write)."""

    id: int
    org_id: int
    subject_id: int
    purpose: str
    kind: str
    channel: str
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    policy_version_id: int | None
    notice_sha256: str | None
    ip: str | None
    user_agent: str | None
    actor: str
    provenance: str | None
    idempotency_key: str | None

    @classmethod
    def of(cls, row: ConsentEvent) -> Event:
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True, slots=True)
class Write:
    """One fact for :func:`record_many`: what :func:`record` takes, the subject named by its
    id or by one identity (created when new, with ``groups`` added and ``language`` set)."""

    subject: SubjectRef
    purpose: str
    kind: EventKind
    proof: Proof
    actor: str
    idempotency_key: str | None = None
    groups: tuple[str, ...] = ()
    language: str | None = None


def record_many(
    session: Session,
    org_id: int,
    writes: Sequence[Write],
    *,
    now: dt.datetime,
    policies: PolicyCache,
) -> list[Event | PrivaatError]:
    """Record ``writes`` in the caller's transaction, in order, each as :func:`record` would
    (its subject found or created as ``subjects.ensure`` would), in a few statements for the
    whole batch: the group commit of the API's write path.

    A write that is not valid (a purpose the policy lacks, a malformed identity, an unknown
    subject id, a group the policy does not define) gets its error in its place and writes
    nothing; the others are recorded. The batch takes the organisation's write lock shared
    first, and touches rows in a fixed order (see ``engine/subjects.py``), so that batches
    run side by side. Its audit records are chained at once (the head lock is taken last). An
    idempotency key seen before returns the earlier
    event; Conflict (a key used for another fact) is raised for the whole batch, which the
    caller rolls back and records one by one. A subject named by id cannot get groups or a
    language here (``subjects.update_subject`` does that).
    """
    if not writes:
        return []
    results: list[Event | PrivaatError | None] = [None] * len(writes)
    refs: list[SubjectRef | None] = []
    for at, write in enumerate(writes):
        try:
            refs.append(_named(write))
        except PrivaatError as exc:
            results[at] = exc
            refs.append(None)
    identities = {ref for ref in refs if isinstance(ref, tuple)}
    version_id, known = lock_shared_and_find(session, org_id, identities)
    if version_id is None:
        raise NotFound("the organisation has no policy loaded yet")
    policy = policies.get(session, version_id)
    pending: list[tuple[int, SubjectRef, dict[str, Any]]] = []
    specs: list[SubjectSpec] = []
    actors: dict[tuple[IdentityKind, str], str] = {}  # who creates or changes each subject
    for at, (write, ref) in enumerate(zip(writes, refs, strict=True)):
        if ref is None:
            continue
        try:
            groups = validate_groups(policy, write.groups)
            row = _event_row(
                org_id,
                None,
                write.purpose,
                EventKind(write.kind),
                write.proof,
                write.actor,
                now,
                policy,
                version_id,
                write.idempotency_key,
            )
        except PrivaatError as exc:
            results[at] = exc
            continue
        if not isinstance(ref, int):
            specs.append(SubjectSpec(*ref, groups, validate_language(write.language)))
            actors.setdefault(ref, write.actor)  # the first caller to name them
        pending.append((at, ref, row))
    records: list[AuditRecord] = []
    subject_of: dict[SubjectRef, int] = {}
    if specs:  # all at once: new identities in one sorted order for the whole group
        made = ensure_many(
            session,
            org_id,
            specs,
            now=now,
            actor=actors,
            known=known,
            audit=records,
            shared=True,
        )
        subject_of.update(made.items())
    named = {ref for _at, ref, _row in pending if isinstance(ref, int)}
    if named:
        subject_of.update((sid, sid) for sid in _existing(session, org_id, named))
    rows: list[tuple[int, dict[str, Any]]] = []
    for at, ref, row in pending:
        if ref not in subject_of:
            results[at] = NotFound(f"no subject {ref}")
            continue
        row["subject_id"] = subject_of[ref]
        rows.append((at, row))
    event_ids = _insert_events(session, [row for _at, row in rows])
    for (at, row), event_id in zip(rows, event_ids, strict=True):
        write = writes[at]
        if event_id is None:
            key, subject_id = row["idempotency_key"], row["subject_id"]
            kind = EventKind(write.kind)
            replayed = _replayed(session, org_id, key, subject_id, write.purpose, kind)
            results[at] = Event.of(replayed)
            continue
        event = Event(id=event_id, **row)
        records.append(audit_record(event, write.actor, now))
        results[at] = event
    append_many(session, records, chain=True)
    done = [result for result in results if result is not None]
    assert len(done) == len(writes), "every write has its event or its error"
    return done


def _named(write: Write) -> SubjectRef:
    """The write's subject: its id, or its identity normalised; its language checked."""
    if isinstance(write.subject, int):
        if write.groups or write.language:
            raise ValueError("record_many cannot change a subject named by id")
        return write.subject
    kind, value = write.subject
    kind = IdentityKind(kind)
    validate_language(write.language)
    return kind, normalise(kind, value)


def _existing(session: Session, org_id: int, ids: Collection[int]) -> set[int]:
    """Which of these subject ids are the organisation's."""
    return set(
        session.scalars(
            select(_SUBJECT.c.id).where(_SUBJECT.c.org_id == org_id, _SUBJECT.c.id.in_(ids))
        )
    )


# Events and their states in one statement, straight through psycopg (which prepares it on
# the server after a few uses): the write path's largest cost was SQLAlchemy's own work
# around each statement, not the database's. Each event takes its id in the order given
# (so that facts of one moment are ordered by arrival, as one by one), then the events are
# inserted with keyed ones in key order (two groups taking the same keys wait for each
# other, never deadlock); a state takes each subject × purpose's latest event of the batch,
# in subject order. A row whose idempotency key was seen before inserts nothing.
_EVENT_COLUMNS = {
    "org_id": "bigint",
    "subject_id": "bigint",
    "purpose": "text",
    "kind": "text",
    "channel": "text",
    "occurred_at": "timestamptz",
    "recorded_at": "timestamptz",
    "policy_version_id": "bigint",
    "notice_sha256": "text",
    "ip": "text",
    "user_agent": "text",
    "actor": "text",
    "provenance": "text",
    "idempotency_key": "text",
}
_NAMES = ", ".join(_EVENT_COLUMNS)
_EVENTS_AND_STATES = f"""
WITH input AS (
    SELECT * FROM unnest({", ".join(f"%({c})b::{t}[]" for c, t in _EVENT_COLUMNS.items())})
        WITH ORDINALITY AS t({_NAMES}, n)
), numbered AS (
    SELECT nextval(pg_get_serial_sequence('consent_event', 'id')) AS id, ordered.*
    FROM (SELECT * FROM input ORDER BY n) AS ordered
), event AS (
    INSERT INTO consent_event (id, {_NAMES})
    SELECT id, {_NAMES} FROM numbered ORDER BY idempotency_key, n
    ON CONFLICT (org_id, idempotency_key) DO NOTHING
    RETURNING id, org_id, subject_id, purpose, kind, occurred_at, policy_version_id
), latest AS (
    SELECT DISTINCT ON (org_id, subject_id, purpose) *
    FROM event
    ORDER BY org_id, subject_id, purpose, occurred_at DESC, id DESC
), state AS (
    INSERT INTO consent_state (org_id, subject_id, purpose, kind, event_id, occurred_at,
        policy_version_id, needs_reconsent)
    SELECT org_id, subject_id, purpose, kind, id, occurred_at, policy_version_id, false
    FROM latest
    ORDER BY org_id, subject_id, purpose
    ON CONFLICT (org_id, subject_id, purpose) DO UPDATE SET
        kind = excluded.kind,
        event_id = excluded.event_id,
        occurred_at = excluded.occurred_at,
        policy_version_id = excluded.policy_version_id,
        needs_reconsent = excluded.needs_reconsent
    WHERE excluded.occurred_at > consent_state.occurred_at
        OR (excluded.occurred_at = consent_state.occurred_at
            AND excluded.event_id > consent_state.event_id)
)
SELECT event.id FROM numbered LEFT JOIN event USING (id) ORDER BY numbered.n
"""


def _insert_events(session: Session, rows: Sequence[Mapping[str, Any]]) -> list[int | None]:
    """:func:`_insert_event` for many rows, in order (on PostgreSQL in one statement): each
    row's event id, None for a row whose idempotency key was seen before."""
    driver = psycopg_connection(session)
    if driver is None:
        return [_insert_event(session, row) for row in rows]
    columns = {name: [row[name] for row in rows] for name in _EVENT_COLUMNS}
    return [event_id for (event_id,) in driver.execute(_EVENTS_AND_STATES, columns)]


def _insert_event(session: Session, row: Mapping[str, Any]) -> int | None:
    """Insert the event and make it the current state unless a later fact is current.

    Its id; None when the organisation has seen its idempotency key before.
    """
    if psycopg_connection(session) is not None:
        [inserted] = _insert_events(session, [row])
        return inserted
    event_id: int | None = session.execute(_statement(session, "event"), row).scalar()
    if event_id is not None:
        upsert_states(
            session,
            [
                {
                    "org_id": row["org_id"],
                    "subject_id": row["subject_id"],
                    "purpose": row["purpose"],
                    "kind": row["kind"],
                    "event_id": event_id,
                    "occurred_at": row["occurred_at"],
                    "policy_version_id": row["policy_version_id"],
                    "needs_reconsent": False,
                }
            ],
        )
    return event_id


def _replayed(
    session: Session,
    org_id: int,
    key: str | None,
    subject_id: int,
    purpose: str,
    kind: EventKind,
) -> ConsentEvent:
    existing = session.scalars(
        select(ConsentEvent).where(
            ConsentEvent.org_id == org_id, ConsentEvent.idempotency_key == key
        )
    ).one()
    if (existing.subject_id, existing.purpose, existing.kind) != (subject_id, purpose, kind.value):
        raise Conflict("this idempotency key was used for another consent event")
    return existing


def record_gpc(
    session: Session,
    *,
    org: Organisation | int,
    subject_id: int,
    proof: Proof,
    actor: str,
    now: dt.datetime,
    policies: PolicyCache,
    except_purposes: Collection[str] = (),
) -> list[ConsentEvent]:
    """Honour a Global Privacy Control signal: an objection to every marketing purpose.

    Purposes already objected to or withdrawn are skipped, and so are ``except_purposes``
    (a consent the person gives in the same request wins over the browser's signal).
    """
    org_id = org if isinstance(org, int) else org.id
    version_id = _context(session, org_id, subject_id)
    policy = policies.get(session, version_id)
    targets = [p.id for p in policy.purposes if p.marketing and p.id not in except_purposes]
    if not targets:
        return []
    current: dict[str, str] = dict(
        session.execute(
            select(STATE.c.purpose, STATE.c.kind).where(
                STATE.c.org_id == org_id,
                STATE.c.subject_id == subject_id,
                STATE.c.purpose.in_(targets),
            )
        ).all()
    )
    gpc = replace(proof, channel=Channel.GPC)
    return [
        record(
            session,
            org=org_id,
            subject_id=subject_id,
            purpose=pid,
            kind=EventKind.OBJECTED,
            proof=gpc,
            actor=actor,
            now=now,
            policies=policies,
            version_id=version_id,
        )
        for pid in targets
        if current.get(pid) not in (State.OBJECTED.value, State.WITHDRAWN.value)
    ]


# --------------------------------------------------------------------------- expiry

_EXPIRE_BATCH = 1000


def expire_due(
    session: Session,
    *,
    org: Organisation,
    now: dt.datetime,
    policies: PolicyCache,
    actor: str = "system",
) -> int:
    """Append an expired event for every given consent past its purpose's ``expires_after``.

    One query per purpose finds the due states (locked against concurrent writers); the
    events, states and audit entries are written in batches. The expired event occurred
    when the consent lapsed. Returns how many consents expired.
    """
    version_id = active_version_id(session, org.id)
    policy = policies.get(session, version_id)
    lock_writes(session, org.id)  # before the states: one lock order
    total = 0
    for purpose in policy.purposes:
        if purpose.consent is None or purpose.consent.expires_after is None:
            continue
        # A superset in SQL (month ends clamp differently both ways), exact in Python.
        bound = subtract_duration(now, purpose.consent.expires_after) + dt.timedelta(days=3)
        rows = session.execute(
            select(STATE.c.subject_id, STATE.c.occurred_at)
            .where(
                STATE.c.org_id == org.id,
                STATE.c.purpose == purpose.id,
                STATE.c.kind == EventKind.GIVEN.value,
                STATE.c.occurred_at <= bound,
            )
            .order_by(STATE.c.subject_id)
            .with_for_update()
        ).all()
        due = [
            (subject_id, lapse)
            for subject_id, given_at in rows
            if (lapse := lapses_at(purpose, given_at)) is not None and lapse <= now
        ]
        for batch in _batches(due, _EXPIRE_BATCH):
            total += _expire_batch(session, org.id, purpose.id, batch, version_id, now, actor)
    return total


def active_version_id(session: Session, org_id: int) -> int:
    """The id of the organisation's policy version in force (NotFound when none)."""
    version_id = session.execute(
        select(_ORG.c.active_policy_id).where(_ORG.c.id == org_id)
    ).scalar_one_or_none()
    if version_id is None:
        raise NotFound("the organisation has no policy loaded yet")
    return int(version_id)


def _batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _expire_batch(
    session: Session,
    org_id: int,
    purpose: str,
    due: Sequence[tuple[int, dt.datetime]],
    version_id: int,
    now: dt.datetime,
    actor: str,
) -> int:
    rows = [
        {
            "org_id": org_id,
            "subject_id": subject_id,
            "purpose": purpose,
            "kind": EventKind.EXPIRED.value,
            "channel": Channel.SYSTEM.value,
            "occurred_at": lapse,
            "recorded_at": now,
            "policy_version_id": version_id,
            "actor": actor,
        }
        for subject_id, lapse in due
    ]
    inserted = session.execute(
        insert(EVENT).returning(EVENT.c.id, sort_by_parameter_order=True), rows
    ).scalars()
    events = [dict(row, id=event_id) for row, event_id in zip(rows, inserted, strict=True)]
    upsert_states(
        session,
        [
            {
                "org_id": org_id,
                "subject_id": e["subject_id"],
                "purpose": purpose,
                "kind": EventKind.EXPIRED.value,
                "event_id": e["id"],
                "occurred_at": e["occurred_at"],
                "policy_version_id": version_id,
                "needs_reconsent": False,
            }
            for e in events
        ],
    )
    append_many(session, [audit_record(e, actor, now) for e in events])
    return len(events)


# --------------------------------------------------------------------------- reading


def history(
    session: Session, org_id: int, subject_id: int, purpose: str | None = None
) -> list[ConsentEvent]:
    """Every event of a subject (for one purpose or all), in the order they occurred."""
    query = select(ConsentEvent).where(
        ConsentEvent.org_id == org_id, ConsentEvent.subject_id == subject_id
    )
    if purpose is not None:
        query = query.where(ConsentEvent.purpose == purpose)
    return list(session.scalars(query.order_by(ConsentEvent.occurred_at, ConsentEvent.id)))


def states(session: Session, org_id: int, subject_id: int) -> list[ConsentState]:
    """The current state of each purpose the subject has an event for."""
    return list(
        session.scalars(
            select(ConsentState)
            .where(ConsentState.org_id == org_id, ConsentState.subject_id == subject_id)
            .order_by(ConsentState.purpose)
        )
    )
