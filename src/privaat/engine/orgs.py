"""Organisations and their policy versions.

Loading a policy checks it (a file with schema errors is refused: fail closed), stores it
as the organisation's next version, makes it the active one, and keeps every earlier
version. When a consent purpose changed in a way that needs new consent (the policy diff
decides), the current consents for that purpose are flagged: they no longer allow the
processing until the person consents again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, func, select, update
from sqlalchemy.orm import Session

from privaat.core.lint import Finding, lint
from privaat.core.policy import Policy, load_policy
from privaat.core.policy.diff import diff_policies
from privaat.engine.audit import AuditRecord, append
from privaat.errors import Conflict, InvalidInput, NotFound
from privaat.store.models import ConsentState, Organisation, PolicyVersion

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


@dataclass(frozen=True, slots=True)
class LoadedVersion:
    version: PolicyVersion
    findings: list[Finding]
    reconsent: tuple[str, ...]  # purposes whose consent must be asked again


class PolicyCache:
    """Parsed policies and version numbers by version id: a stored version never changes, so
    neither goes stale."""

    def __init__(self) -> None:
        self._policies: dict[int, Policy] = {}
        self._numbers: dict[int, int] = {}
        self._lock = threading.Lock()

    def get(self, session: Session | Connection, version_id: int) -> Policy:
        policy = self._policies.get(version_id)
        if policy is None:
            row = session.execute(
                select(PolicyVersion.source, PolicyVersion.number).where(
                    PolicyVersion.id == version_id
                )
            ).first()
            if row is None:
                raise NotFound("policy version not found")
            policy = load_policy(row.source, f"policy-v{row.number}.yaml").policy
            with self._lock:
                self._policies[version_id] = policy
                self._numbers[version_id] = row.number
        return policy

    def numbers(self, session: Session, version_ids: Iterable[int | None]) -> dict[int, int]:
        """Version number by id (``None`` ids left out): what is not cached in one query."""
        wanted = {v for v in version_ids if v is not None}
        missing = sorted(wanted - self._numbers.keys())
        if missing:
            rows = session.execute(
                select(PolicyVersion.id, PolicyVersion.number).where(PolicyVersion.id.in_(missing))
            ).all()
            with self._lock:
                self._numbers.update({row.id: row.number for row in rows})
        return {v: self._numbers[v] for v in wanted if v in self._numbers}


def create_org(
    session: Session, slug: str, name: str, *, now: dt.datetime, actor: str
) -> Organisation:
    if not SLUG.match(slug):
        raise InvalidInput("an organisation's slug is 2-63 lowercase letters, digits and dashes")
    if session.execute(select(Organisation.id).where(Organisation.slug == slug)).first():
        raise Conflict(f"organisation {slug!r} exists already")
    org = Organisation(slug=slug, name=name, created_at=now)
    session.add(org)
    session.flush()
    append(
        session,
        AuditRecord(actor, "org.created", now, org_id=org.id, target=f"org:{slug}"),
    )
    return org


def org_by_slug(session: Session, slug: str) -> Organisation:
    org = session.execute(
        select(Organisation).where(Organisation.slug == slug)
    ).scalar_one_or_none()
    if org is None:
        raise NotFound(f"no organisation {slug!r}")
    return org


def load_version(
    session: Session,
    org: Organisation,
    source: str,
    *,
    now: dt.datetime,
    actor: str,
    cache: PolicyCache | None = None,
    file: str = "policy.yaml",
) -> LoadedVersion:
    """Check ``source`` and make it the organisation's active policy (InvalidDocument if bad)."""
    policy = load_policy(source, file).policy  # raises InvalidDocument / UnreadableInput
    findings = lint(policy)
    previous = active_policy(session, org, cache) if org.active_policy_id else None
    number = (
        session.execute(
            select(func.max(PolicyVersion.number)).where(PolicyVersion.org_id == org.id)
        ).scalar_one()
        or 0
    ) + 1
    row = PolicyVersion(
        org_id=org.id,
        number=number,
        version=policy.version,
        sha256=hashlib.sha256(source.encode()).hexdigest(),
        source=source,
        loaded_at=now,
        loaded_by=actor,
    )
    session.add(row)
    session.flush()
    org.active_policy_id = row.id
    reconsent: tuple[str, ...] = ()
    if previous is not None:
        reconsent = diff_policies(previous, policy).reconsent_needed
        if reconsent:
            session.execute(
                update(ConsentState)
                .where(
                    ConsentState.org_id == org.id,
                    ConsentState.purpose.in_(reconsent),
                    ConsentState.kind == "given",
                )
                .values(needs_reconsent=True)
            )
    if cache is not None:
        with cache._lock:
            cache._policies[row.id] = policy
            cache._numbers[row.id] = number
    append(
        session,
        AuditRecord(
            actor,
            "policy.loaded",
            now,
            org_id=org.id,
            target=f"policy:{number}",
            detail={
                "number": number,
                "version": policy.version,
                "sha256": row.sha256,
                "reconsent": list(reconsent),
            },
        ),
    )
    return LoadedVersion(row, findings, reconsent)


def active_policy(session: Session, org: Organisation, cache: PolicyCache | None = None) -> Policy:
    if org.active_policy_id is None:
        raise NotFound(f"organisation {org.slug!r} has no policy loaded yet")
    return (cache or PolicyCache()).get(session, org.active_policy_id)


def versions(session: Session, org_id: int) -> list[PolicyVersion]:
    return list(
        session.execute(
            select(PolicyVersion)
            .where(PolicyVersion.org_id == org_id)
            .order_by(PolicyVersion.number)
        ).scalars()
    )
