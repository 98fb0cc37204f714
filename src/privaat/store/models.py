"""The tables of privaat's own store (SQLAlchemy 2 declarative models).

Every row that holds an organisation's data carries ``org_id``; queries always filter on it.
``consent_event`` and ``audit_entry`` are append-only: rows are inserted, never updated or
deleted. ``consent_state`` is derived from the events (one row per subject × purpose) so that
the hot read is one indexed lookup; it is written in the same transaction as its event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from privaat.store.types import UTCDateTime

#: Integer primary keys: 64-bit on PostgreSQL, SQLite's rowid alias on SQLite.
BigId = BigInteger().with_variant(Integer, "sqlite")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime()}


# --------------------------------------------------------------------------- organisations


class Organisation(Base):
    """A controller (or a processor's customer) served by this install."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]
    # The version in force (a plain column: policy_version points back to organisation).
    active_policy_id: Mapped[int | None] = mapped_column(BigId)


class PolicyVersion(Base):
    """One loaded version of an organisation's policy file; old versions are kept."""

    __tablename__ = "policy_version"
    __table_args__ = (UniqueConstraint("org_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisation.id"))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3... per organisation
    version: Mapped[str] = mapped_column(String(100))  # the policy's own version label
    sha256: Mapped[str] = mapped_column(String(64))  # of the source text
    source: Mapped[str] = mapped_column(Text)  # the YAML as loaded
    loaded_at: Mapped[dt.datetime]
    loaded_by: Mapped[str] = mapped_column(String(100))


# --------------------------------------------------------------------------- subjects


class Subject(Base):
    """A data subject known to an organisation."""

    __tablename__ = "subject"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisation.id"), index=True)
    groups: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of policy subject ids
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[dt.datetime]


class SubjectIdentity(Base):
    """How a subject is recognised: an e-mail address, a phone number, a customer number."""

    __tablename__ = "subject_identity"
    __table_args__ = (UniqueConstraint("org_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisation.id"))
    subject_id: Mapped[int] = mapped_column(BigId, ForeignKey("subject.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # email | phone | customer_number
    value: Mapped[str] = mapped_column(String(320))  # normalised


# --------------------------------------------------------------------------- consent


class ConsentEvent(Base):
    """One fact of the consent ledger, with its proof. Inserted, never changed."""

    __tablename__ = "consent_event"
    __table_args__ = (
        UniqueConstraint("org_id", "idempotency_key"),
        Index("ix_consent_event_subject", "org_id", "subject_id", "purpose", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisation.id"))
    subject_id: Mapped[int] = mapped_column(BigId, ForeignKey("subject.id"))
    purpose: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # given | withdrawn | expired | objected
    channel: Mapped[str] = mapped_column(String(24))  # web_form | api | import | ...
    occurred_at: Mapped[dt.datetime]  # when the person acted
    recorded_at: Mapped[dt.datetime]  # when privaat stored it
    policy_version_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("policy_version.id"))
    notice_sha256: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))  # truncated before storage
    user_agent: Mapped[str | None] = mapped_column(String(512))
    actor: Mapped[str] = mapped_column(String(100))  # staff:1, token:2, subject, system
    provenance: Mapped[str | None] = mapped_column(Text)  # import source, confirmation ref
    idempotency_key: Mapped[str | None] = mapped_column(String(200))


class ConsentState(Base):
    """The current consent of a subject for a purpose, derived from the latest event."""

    __tablename__ = "consent_state"

    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisation.id"), primary_key=True)
    subject_id: Mapped[int] = mapped_column(BigId, ForeignKey("subject.id"), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[int] = mapped_column(BigId, ForeignKey("consent_event.id"))
    occurred_at: Mapped[dt.datetime]
    policy_version_id: Mapped[int | None] = mapped_column(BigId)
    needs_reconsent: Mapped[bool] = mapped_column(Boolean, default=False)


# --------------------------------------------------------------------------- staff


class Staff(Base):
    """A person who works in privaat: password (argon2id) and TOTP second factor."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(String(200))  # encrypted with the secret key
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)  # replay protection
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]


class Membership(Base):
    """A staff member's role in one organisation."""

    __tablename__ = "membership"

    staff_id: Mapped[int] = mapped_column(BigId, ForeignKey("staff.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisation.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32))


class ApiToken(Base):
    """A bearer token: an application's scoped API token, or a staff login session.

    Only the SHA-256 of the token is stored; the token itself is shown once.
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # api | session | setup
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("organisation.id"))  # api tokens
    staff_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("staff.id"))  # sessions
    scopes: Mapped[str] = mapped_column(Text, default="")  # space-separated, api tokens
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


# --------------------------------------------------------------------------- audit


class AuditHead(Base):
    """The end of one hash chain: its last sequence number and hash (locked to append)."""

    __tablename__ = "audit_head"

    chain: Mapped[int] = mapped_column(BigId, primary_key=True)  # 0: the install; else org id
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class AuditPending(Base):
    """An audit record committed with the change it records, not yet chained.

    Writers insert here without any lock; :func:`privaat.engine.audit.seal` moves pending
    records into their chain (in commit order) right after the writer's commit, so that
    many writers never queue on one chain's head while they work.
    """

    __tablename__ = "audit_pending"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chain: Mapped[int] = mapped_column(BigId, index=True)
    at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    org_id: Mapped[int | None] = mapped_column(BigId)
    subject_id: Mapped[int | None] = mapped_column(BigId)
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="{}")


class AuditEntry(Base):
    """Who did what to whose data, linked to the previous entry by its hash."""

    __tablename__ = "audit_entry"
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chain: Mapped[int] = mapped_column(BigId)
    seq: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    org_id: Mapped[int | None] = mapped_column(BigId)
    subject_id: Mapped[int | None] = mapped_column(BigId)
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


# --------------------------------------------------------------------------- data maps


class DataMapVersion(Base):
    """One loaded version of an organisation's data map; the newest is in force."""

    __tablename__ = "datamap_version"
    __table_args__ = (UniqueConstraint("org_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisation.id"))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3... per organisation
    sha256: Mapped[str] = mapped_column(String(64))  # of the source text
    source: Mapped[str] = mapped_column(Text)  # the YAML as loaded
    base_dir: Mapped[str] = mapped_column(Text)  # relative SQLite paths resolve against it
    loaded_at: Mapped[dt.datetime]
    loaded_by: Mapped[str] = mapped_column(String(100))


# --------------------------------------------------------------------------- rights requests


class RightsRequest(Base):
    """A data subject's request (access, erasure, ...) and where it stands.

    ``status`` moves received -> verified -> planned -> executing -> done, or to rejected /
    cancelled; ``due_at`` is one calendar month after receipt, ``extended_until`` up to two
    more months when a reason was given (and told to the person) within the first.
    """

    __tablename__ = "rights_request"
    __table_args__ = (
        UniqueConstraint("org_id", "reference"),
        Index("ix_rights_request_open", "org_id", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisation.id"))
    reference: Mapped[str] = mapped_column(String(32))  # shown to the person, unguessable
    kind: Mapped[str] = mapped_column(String(24))  # access | portability | erasure | ...
    status: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("subject.id"))
    identity_kind: Mapped[str] = mapped_column(String(20))  # email | phone | customer_number
    identity_value: Mapped[str] = mapped_column(String(320))  # normalised
    language: Mapped[str] = mapped_column(String(8))  # the letters' language: nl | en | fr
    channel: Mapped[str] = mapped_column(String(16))  # api | cli | portal | email | letter
    details: Mapped[str] = mapped_column(Text, default="{}")  # JSON: per kind (rectification)
    received_at: Mapped[dt.datetime]
    due_at: Mapped[dt.datetime]
    extended_until: Mapped[dt.datetime | None]
    extension_reason: Mapped[str | None] = mapped_column(Text)
    verified_at: Mapped[dt.datetime | None]
    verified_by: Mapped[str | None] = mapped_column(String(100))  # code | link | staff:N
    verification_note: Mapped[str | None] = mapped_column(Text)  # a staff override's reason
    datamap_version_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("datamap_version.id"))
    plan: Mapped[str | None] = mapped_column(Text)  # JSON: the plan shown before execution
    result: Mapped[str | None] = mapped_column(Text)  # JSON: what was done, per store
    completed_at: Mapped[dt.datetime | None]
    closing_note: Mapped[str | None] = mapped_column(Text)  # why rejected or cancelled
    created_by: Mapped[str] = mapped_column(String(100))


class RequestStep(Base):
    """One store's part of executing a request: done exactly once, resumable."""

    __tablename__ = "request_step"
    __table_args__ = (UniqueConstraint("request_id", "store"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisation.id"))
    request_id: Mapped[int] = mapped_column(BigId, ForeignKey("rights_request.id"))
    store: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # pending | done | failed | manual
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    result: Mapped[str | None] = mapped_column(Text)  # JSON: the store's outcome
    error: Mapped[str | None] = mapped_column(Text)  # the error's kind, never personal data


class VerificationChallenge(Base):
    """A one-time code or link sent to the identity a request names."""

    __tablename__ = "verification_challenge"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisation.id"))
    request_id: Mapped[int] = mapped_column(BigId, ForeignKey("rights_request.id"), index=True)
    method: Mapped[str] = mapped_column(String(8))  # code | link
    secret_sha256: Mapped[str] = mapped_column(String(64))  # of the code or link token
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[dt.datetime | None]


class OutboxMessage(Base):
    """A message privaat sends (verification codes, notices, reply letters)."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_unsent", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisation.id"))
    request_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("rights_request.id"))
    kind: Mapped[str] = mapped_column(String(32))  # verification | extension | reply | ...
    to_address: Mapped[str] = mapped_column(String(320))
    subject_line: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))  # the error's kind only


class ManualTask(Base):
    """Work a staff member completes by hand (a manual store, a blocked row)."""

    __tablename__ = "manual_task"
    __table_args__ = (Index("ix_manual_task_open", "org_id", "done_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisation.id"))
    request_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("rights_request.id"))
    store: Mapped[str] = mapped_column(String(64))
    instructions: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    done_at: Mapped[dt.datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)


class HeldRecord(Base):
    """Rows kept under a statutory hold after an erasure: restricted, deleted when it ends."""

    __tablename__ = "held_record"
    __table_args__ = (Index("ix_held_record_due", "org_id", "deleted_at", "until"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisation.id"))
    request_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("rights_request.id"))
    store: Mapped[str] = mapped_column(String(64))
    table_name: Mapped[str] = mapped_column(String(128))
    keys: Mapped[str] = mapped_column(Text)  # JSON list of primary keys
    hold: Mapped[str] = mapped_column(String(64))  # the policy's hold id
    until: Mapped[dt.date | None] = mapped_column(Date)  # first day the hold no longer applies
    created_at: Mapped[dt.datetime]
    deleted_at: Mapped[dt.datetime | None]


class Restriction(Base):
    """A subject's processing restricted (Art. 18): applications see it in the consent check."""

    __tablename__ = "restriction"
    __table_args__ = (Index("ix_restriction_subject", "org_id", "subject_id", "lifted_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisation.id"))
    subject_id: Mapped[int] = mapped_column(BigId, ForeignKey("subject.id"))
    request_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("rights_request.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    lifted_at: Mapped[dt.datetime | None]


class ExportFile(Base):
    """An access or portability export, kept for download until it expires."""

    __tablename__ = "export_file"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisation.id"))
    request_id: Mapped[int] = mapped_column(BigId, ForeignKey("rights_request.id"), index=True)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]


# --------------------------------------------------------------------------- retention


class RetentionRun(Base):
    """One retention sweep of an organisation: every bound rule, for one day."""

    __tablename__ = "retention_run"
    __table_args__ = (Index("ix_retention_run_org", "org_id", "status", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisation.id"))
    day: Mapped[dt.date] = mapped_column(Date)  # the day the sweep counts periods to
    rules: Mapped[str | None] = mapped_column(Text)  # JSON list of rule ids; None: all
    status: Mapped[str] = mapped_column(String(16))  # running, done, failed
    started_by: Mapped[str] = mapped_column(String(100))  # cli, schedule, staff:1...
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    report: Mapped[str | None] = mapped_column(Text)  # JSON: the finished run's report


class RetentionProgress(Base):
    """How far one rule of a run got in one table: resumed from ``last_key`` after a kill."""

    __tablename__ = "retention_progress"
    __table_args__ = (UniqueConstraint("run_id", "sweep"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("retention_run.id"))
    sweep: Mapped[str] = mapped_column(String(300))  # rule:store.table
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
    last_key: Mapped[str | None] = mapped_column(Text)  # JSON primary key
    lines: Mapped[str] = mapped_column(Text, default="[]")  # JSON: what was done so far
    done: Mapped[bool] = mapped_column(Boolean, default=False)


class SweepLease(Base):
    """Who runs an organisation's sweep now: two workers never sweep at once."""

    __tablename__ = "sweep_lease"

    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisation.id"), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))  # host:pid:random
    expires_at: Mapped[dt.datetime]


def table(model: type[Base]) -> Table:
    """A model's table, typed as one (``__table__`` is typed as any FromClause)."""
    return Base.metadata.tables[model.__tablename__]
