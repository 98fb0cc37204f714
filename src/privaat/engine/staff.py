"""Staff accounts: invitation, enrolment (password and TOTP), login, sessions and roles.

The way in: an admin (or the CLI) invites a person into an organisation with a role, which
gives a one-time setup token (72 hours). With it the person chooses a password (argon2id)
and receives a TOTP secret, then confirms one code: the account is active. Logging in takes
the e-mail address, the password and a current code, and gives a session token.

A refused login says only that the credentials are invalid, whatever the reason, and costs
about the same time for an unknown address (a dummy hash is checked). Five refusals in a row
lock the account for fifteen minutes. A code's 30-second step is used at most once.
Nothing here logs; the audit trail names staff by id (``staff:3``), never by e-mail.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import re
import secrets
from dataclasses import dataclass

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from privaat.core.access import Role
from privaat.engine import tokens
from privaat.engine.audit import AuditRecord, append
from privaat.engine.secrets_box import SecretBox, SecretUnreadable
from privaat.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound
from privaat.store.models import ApiToken, Membership, Organisation, Staff

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
SETUP_TTL = dt.timedelta(hours=72)
MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
TOTP_DIGITS = 6
TOTP_INTERVAL = 30
TOTP_WINDOW = 1  # steps accepted either side of the current one
ISSUER = "privaat"

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()  # argon2id with the library's defaults


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Invitation:
    """A staff member invited into an organisation; the setup token is shown once."""

    staff: Staff
    role: Role
    new_account: bool
    setup_token: str | None  # None: the person already has an account or an invitation
    setup_expires_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What the person needs to add privaat to an authenticator app (shown once)."""

    staff_id: int
    totp_secret: str
    totp_uri: str


@dataclass(frozen=True, slots=True)
class IssuedSession:
    staff_id: int
    token_id: int
    token: str  # shown once
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Member:
    """A staff member as one organisation sees them."""

    staff_id: int
    email: str
    name: str
    role: Role
    enrolled: bool


# --------------------------------------------------------------------------- checks


def normalise_email(email: str) -> str:
    address = email.strip().lower()
    if len(address) > 320 or not address.isprintable() or not EMAIL.match(address):
        raise InvalidInput("that is not an e-mail address")
    return address


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password has at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"a password has at most {MAX_PASSWORD} characters")


def hash_password(password: str) -> str:
    check_password(password)
    return _hasher.hash(password)


def _password_matches(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(24))


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL)


def _matching_step(secret: str, code: str, now: dt.datetime, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to, if it is current and that step is not used yet."""
    code = code.strip().replace(" ", "")
    if len(code) != TOTP_DIGITS or not (code.isascii() and code.isdigit()):
        return None
    totp = _totp(secret)
    current = totp.timecode(now)
    found: int | None = None
    for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
        fresh = last_step is None or step > last_step
        if hmac.compare_digest(totp.generate_otp(step), code) and fresh:
            found = step
    return found


def _bound(staff: Staff) -> str:
    return f"staff:{staff.id}"


# --------------------------------------------------------------------------- lookups


def staff_by_email(session: Session, email: str) -> Staff:
    address = normalise_email(email)
    staff = session.execute(select(Staff).where(Staff.email == address)).scalar_one_or_none()
    if staff is None:
        raise NotFound("no staff member with that e-mail address")
    return staff


def _membership(session: Session, org_id: int, staff_id: int) -> Membership:
    query = select(Membership).where(Membership.org_id == org_id, Membership.staff_id == staff_id)
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no staff member {staff_id} in this organisation")
    return row


def members(session: Session, org_id: int) -> list[Member]:
    rows = session.execute(
        select(Staff, Membership.role)
        .join(Membership, Membership.staff_id == Staff.id)
        .where(Membership.org_id == org_id)
        .order_by(Staff.id)
    ).all()
    return [_member(staff, role) for staff, role in rows]


def member(session: Session, org_id: int, staff_id: int) -> Member:
    row = _membership(session, org_id, staff_id)
    staff = session.get(Staff, staff_id)
    assert staff is not None
    return _member(staff, row.role)


def _member(staff: Staff, role: str) -> Member:
    return Member(staff.id, staff.email, staff.name, Role(role), staff.active)


# --------------------------------------------------------------------------- invitation


def create_staff(
    session: Session,
    *,
    email: str,
    name: str,
    org_id: int,
    role: Role,
    now: dt.datetime,
    actor: str,
) -> Invitation:
    """Invite a person into an organisation with ``role``: a new account, or a new membership.

    A setup token is issued only for an account that is not enrolled yet and belongs to no
    other organisation: an admin of one organisation can never take over an account that
    another organisation relies on. Inviting a pending member again replaces their token
    (and sets the role). An existing account keeps its name.
    """
    address = normalise_email(email)
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise InvalidInput("a name has 1 to 200 characters")
    staff = session.execute(
        select(Staff).where(Staff.email == address).with_for_update()
    ).scalar_one_or_none()
    new_account = staff is None
    if staff is None:
        staff = Staff(email=address, name=name, active=False, failed_logins=0, created_at=now)
        try:
            with session.begin_nested():
                session.add(staff)
        except IntegrityError:  # invited at the same moment by someone else
            raise Conflict("that person was just invited; try again") from None
    existing = session.execute(select(Membership).where(Membership.staff_id == staff.id)).scalars()
    memberships = {m.org_id: m for m in existing}
    only_here = set(memberships) <= {org_id}
    if org_id in memberships and (staff.active or not only_here):
        raise Conflict(f"staff member {staff.id} is already a member of this organisation")
    if org_id in memberships:
        _lock_memberships(session, org_id)
        if memberships[org_id].role != role.value:
            _keep_an_admin(session, org_id, Role(memberships[org_id].role))
        memberships[org_id].role = role.value
    else:
        session.add(Membership(staff_id=staff.id, org_id=org_id, role=role.value))
    setup_token: str | None = None
    expires_at: dt.datetime | None = None
    if not staff.active and only_here:
        setup_token, expires_at = _issue_setup(session, staff, now=now, actor=actor)
    session.flush()
    append(
        session,
        AuditRecord(
            actor,
            "staff.invited",
            now,
            org_id=org_id,
            target=f"staff:{staff.id}",
            detail={
                "role": role.value,
                "new_account": new_account,
                "setup_issued": setup_token is not None,
            },
        ),
    )
    return Invitation(staff, role, new_account, setup_token, expires_at)


def _issue_setup(
    session: Session, staff: Staff, *, now: dt.datetime, actor: str
) -> tuple[str, dt.datetime]:
    tokens.revoke_where(
        session, now, ApiToken.staff_id == staff.id, ApiToken.kind == "setup"
    )  # one live setup token per person
    row, token = tokens.issue_token(
        session, kind="setup", name="setup", now=now, ttl=SETUP_TTL, actor=actor, staff_id=staff.id
    )
    return token, row.expires_at


def reset_staff(
    session: Session, staff: Staff, *, now: dt.datetime, actor: str
) -> tuple[str, dt.datetime]:
    """Start over (a lost phone): no password, no TOTP, no sessions, a new setup token.

    For the install's operator (the CLI): it ignores which organisations the person is in.
    """
    staff.password_hash = None
    staff.totp_secret = None
    staff.totp_last_step = None
    staff.active = False
    staff.failed_logins = 0
    staff.locked_until = None
    tokens.revoke_where(session, now, ApiToken.staff_id == staff.id)
    token, expires_at = _issue_setup(session, staff, now=now, actor=actor)
    append(session, AuditRecord(actor, "staff.reset", now, target=_bound(staff)))
    return token, expires_at


# --------------------------------------------------------------------------- enrolment


def set_password(session: Session, staff: Staff, password: str) -> None:
    staff.password_hash = hash_password(password)
    session.flush()


def enrol_totp(session: Session, staff: Staff, *, box: SecretBox) -> str:
    """A new TOTP secret for ``staff``, stored encrypted; the base32 secret is returned once."""
    secret = pyotp.random_base32()
    staff.totp_secret = box.seal(secret, bound_to=_bound(staff))
    staff.totp_last_step = None
    session.flush()
    return secret


def provisioning_uri(secret: str, email: str) -> str:
    """The ``otpauth://`` address an authenticator app reads (usually from a QR code)."""
    return _totp(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def confirm_totp(
    session: Session, staff: Staff, code: str, *, now: dt.datetime, box: SecretBox
) -> None:
    """Activate the account once it shows a valid code (AuthenticationFailed if not)."""
    if staff.password_hash is None or staff.totp_secret is None:
        raise Conflict("choose a password first; it comes with the TOTP secret")
    secret = box.open(staff.totp_secret, bound_to=_bound(staff))
    step = _matching_step(secret, code, now, staff.totp_last_step)
    if step is None:
        raise AuthenticationFailed("invalid code")
    staff.totp_last_step = step
    staff.active = True
    staff.failed_logins = 0
    staff.locked_until = None
    tokens.revoke_where(session, now, ApiToken.staff_id == staff.id, ApiToken.kind == "setup")
    append(session, AuditRecord(f"staff:{staff.id}", "staff.enrolled", now, target=_bound(staff)))


def _setup_staff(session: Session, setup_token: str, now: dt.datetime) -> Staff:
    row = tokens.find_live(session, setup_token, "setup", now)
    staff = session.get(Staff, row.staff_id, with_for_update=True) if row.staff_id else None
    if staff is None or staff.active:
        raise AuthenticationFailed("invalid or expired token")
    return staff


def begin_setup(
    session: Session, *, setup_token: str, password: str, now: dt.datetime, box: SecretBox
) -> Enrolment:
    """With a setup token: choose the password and receive a new TOTP secret (shown once)."""
    staff = _setup_staff(session, setup_token, now)
    set_password(session, staff, password)
    secret = enrol_totp(session, staff, box=box)
    append(session, AuditRecord(f"staff:{staff.id}", "staff.setup", now, target=_bound(staff)))
    return Enrolment(staff.id, secret, provisioning_uri(secret, staff.email))


def finish_setup(
    session: Session, *, setup_token: str, code: str, now: dt.datetime, box: SecretBox
) -> Staff:
    """With a setup token and a code from the authenticator: the account is active."""
    staff = _setup_staff(session, setup_token, now)
    confirm_totp(session, staff, code, now=now, box=box)
    return staff


def create_enrolled_staff(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    org_id: int,
    role: Role,
    now: dt.datetime,
    actor: str,
    box: SecretBox,
) -> tuple[Staff, str]:
    """A staff member ready to log in (for the demo and tests); returns the TOTP secret.

    No time step is used up: a code of the current step logs in at once.
    """
    invitation = create_staff(
        session, email=email, name=name, org_id=org_id, role=role, now=now, actor=actor
    )
    staff = invitation.staff
    if staff.active:
        raise Conflict(f"staff member {staff.id} is enrolled already")
    set_password(session, staff, password)
    secret = enrol_totp(session, staff, box=box)
    staff.active = True
    tokens.revoke_where(session, now, ApiToken.staff_id == staff.id, ApiToken.kind == "setup")
    append(session, AuditRecord(actor, "staff.enrolled", now, target=_bound(staff)))
    return staff, secret


def current_code(secret: str, now: dt.datetime) -> str:
    """The code an authenticator shows at ``now`` (for the demo and tests)."""
    return _totp(secret).at(now)


# --------------------------------------------------------------------------- login


def login(
    session: Session,
    *,
    email: str,
    password: str,
    code: str,
    now: dt.datetime,
    ttl: dt.timedelta,
    box: SecretBox,
) -> IssuedSession | None:
    """A session for the right e-mail, password and code; None when refused.

    A refusal is recorded (failure count, lockout, audit) in ``session``: the caller must
    commit it, then answer "invalid credentials" whatever the reason.
    """
    address = email.strip().lower()
    staff = None
    # Only an address shaped like one is looked up: PostgreSQL refuses a NUL byte in text.
    if (
        len(address) <= 320
        and address.isprintable()
        and EMAIL.match(address)
        and len(password) <= MAX_PASSWORD
    ):
        staff = session.execute(
            select(Staff).where(Staff.email == address).with_for_update()
        ).scalar_one_or_none()
    if staff is None or staff.password_hash is None:
        _password_matches(_dummy_hash(), password)  # the same work as for a known address
        _refused(session, staff, "unknown", now)
        return None
    password_ok = _password_matches(staff.password_hash, password)
    if staff.locked_until is not None and staff.locked_until > now:
        _refused(session, staff, "locked", now)
        return None
    if not password_ok:
        _failed(session, staff, "password", now)
        return None
    if not staff.active or staff.totp_secret is None:
        _failed(session, staff, "not_enrolled", now)
        return None
    try:
        secret = box.open(staff.totp_secret, bound_to=_bound(staff))
    except SecretUnreadable:
        _failed(session, staff, "totp_unreadable", now)
        return None
    step = _matching_step(secret, code, now, staff.totp_last_step)
    if step is None:
        _failed(session, staff, "code", now)
        return None
    staff.totp_last_step = step
    staff.failed_logins = 0
    staff.locked_until = None
    if _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = _hasher.hash(password)
    issued = start_session(session, staff, now=now, ttl=ttl)
    append(
        session,
        AuditRecord(
            f"staff:{staff.id}",
            "staff.login",
            now,
            target=_bound(staff),
            detail={"session": issued.token_id, "expires_at": issued.expires_at.isoformat()},
        ),
    )
    return issued


def _failed(session: Session, staff: Staff, reason: str, now: dt.datetime) -> None:
    _refused(session, staff, reason, now)
    staff.failed_logins += 1
    if staff.failed_logins >= MAX_FAILED_LOGINS:
        staff.failed_logins = 0
        staff.locked_until = now + LOCKOUT
        append(
            session,
            AuditRecord(
                "system",
                "staff.locked",
                now,
                target=_bound(staff),
                detail={"until": staff.locked_until.isoformat()},
            ),
        )


def _refused(session: Session, staff: Staff | None, reason: str, now: dt.datetime) -> None:
    target = _bound(staff) if staff is not None else None
    append(
        session,
        AuditRecord(
            "anonymous", "staff.login_failed", now, target=target, detail={"reason": reason}
        ),
    )


def start_session(
    session: Session, staff: Staff, *, now: dt.datetime, ttl: dt.timedelta
) -> IssuedSession:
    """A session token for ``staff`` (login calls this after checking both factors)."""
    row, token = tokens.issue_token(
        session,
        kind="session",
        name="session",
        now=now,
        ttl=ttl,
        actor=_bound(staff),
        staff_id=staff.id,
    )
    return IssuedSession(staff.id, row.id, token, row.expires_at)


def logout(session: Session, token: str, *, now: dt.datetime) -> int:
    """Revoke a live session token; the staff id it belonged to."""
    row = tokens.find_live(session, token, "session", now)
    row.revoked_at = now
    assert row.staff_id is not None
    append(
        session,
        AuditRecord(
            f"staff:{row.staff_id}",
            "staff.logout",
            now,
            target=f"staff:{row.staff_id}",
            detail={"session": row.id},
        ),
    )
    return row.staff_id


# --------------------------------------------------------------------------- roles


def _lock_memberships(session: Session, org_id: int) -> None:
    """Changes to an organisation's memberships queue on its row: two admins demoting each
    other at once cannot both succeed (nor deadlock). ``FOR NO KEY UPDATE`` does not hold up
    inserts that merely reference the organisation."""
    query = select(Organisation.id).where(Organisation.id == org_id)
    session.execute(query.with_for_update(key_share=True))


def _keep_an_admin(session: Session, org_id: int, leaving: Role) -> None:
    if leaving is Role.ADMIN and _admin_count(session, org_id) <= 1:
        raise Conflict("this is the organisation's last admin; make someone else admin first")


def _admin_count(session: Session, org_id: int) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(Membership)
            .where(Membership.org_id == org_id, Membership.role == Role.ADMIN.value)
        ).scalar_one()
    )


def change_role(
    session: Session, *, org_id: int, staff_id: int, role: Role, now: dt.datetime, actor: str
) -> Member:
    _lock_memberships(session, org_id)
    row = _membership(session, org_id, staff_id)
    before = Role(row.role)
    if before is role:
        return member(session, org_id, staff_id)
    _keep_an_admin(session, org_id, before)
    row.role = role.value
    session.flush()
    append(
        session,
        AuditRecord(
            actor,
            "staff.role_changed",
            now,
            org_id=org_id,
            target=f"staff:{staff_id}",
            detail={"from": before.value, "to": role.value},
        ),
    )
    return member(session, org_id, staff_id)


def remove_member(
    session: Session, *, org_id: int, staff_id: int, now: dt.datetime, actor: str
) -> None:
    """Take a staff member out of an organisation; with no organisation left, end their
    sessions and invitation too."""
    _lock_memberships(session, org_id)
    row = _membership(session, org_id, staff_id)
    role = Role(row.role)
    _keep_an_admin(session, org_id, role)
    session.delete(row)
    session.flush()
    left = session.execute(
        select(func.count()).select_from(Membership).where(Membership.staff_id == staff_id)
    ).scalar_one()
    ended = 0
    if left == 0:
        ended = tokens.revoke_where(session, now, ApiToken.staff_id == staff_id)
    append(
        session,
        AuditRecord(
            actor,
            "staff.removed",
            now,
            org_id=org_id,
            target=f"staff:{staff_id}",
            detail={"role": role.value, "tokens_revoked": ended},
        ),
    )
