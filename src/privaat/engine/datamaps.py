"""An organisation's data map, versioned: load a new version, read the one in force.

A data map is loaded the way a policy is: checked first (a map with any error is refused,
fail closed), against the organisation's active policy (every category and hold it names
must be the policy's), then stored as the next version, 1, 2, 3..., and audited. The newest
version is the one in force; earlier versions are kept, so that what a past request did can
be explained by the map it ran under.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from privaat.core.datamap.loader import LoadedDataMap, load_datamap
from privaat.engine.audit import AuditRecord, append
from privaat.engine.orgs import PolicyCache, active_policy
from privaat.errors import Conflict, InvalidDocument, NotFound
from privaat.store.models import DataMapVersion, Organisation


@dataclass(frozen=True, slots=True)
class LoadedDataMapVersion:
    """A stored version and its parsed map."""

    version: DataMapVersion
    loaded: LoadedDataMap


class DataMapCache:
    """Parsed maps by version id: a stored version never changes, so it never goes stale."""

    def __init__(self) -> None:
        self._maps: dict[int, LoadedDataMap] = {}
        self._lock = threading.Lock()

    def get(self, version_id: int) -> LoadedDataMap | None:
        return self._maps.get(version_id)

    def put(self, version_id: int, loaded: LoadedDataMap) -> None:
        with self._lock:
            self._maps[version_id] = loaded


def load_datamap_version(
    session: Session,
    org: Organisation,
    text: str,
    *,
    file: str,
    base_dir: Path,
    now: dt.datetime,
    actor: str,
    policies: PolicyCache | None = None,
    cache: DataMapCache | None = None,
) -> LoadedDataMapVersion:
    """Check ``text`` against the active policy and store it as the next version.

    Raises InvalidDocument (every issue, with file:line:column) or UnreadableInput for a bad
    map, and Conflict when the organisation has no policy to check it against.
    """
    try:
        policy = active_policy(session, org, policies)
    except NotFound:
        raise Conflict(
            f"organisation {org.slug!r} has no policy yet; load its policy before its data map"
        ) from None
    loaded = load_datamap(text, file, policy=policy, base_dir=base_dir)
    named = loaded.datamap.organisation
    if named is not None and named != org.slug:
        raise InvalidDocument(
            [
                loaded.source_map.issue(
                    ("organisation",),
                    f"this map is for organisation {named!r}, not {org.slug!r}",
                )
            ]
        )
    number = (
        session.execute(
            select(func.max(DataMapVersion.number)).where(DataMapVersion.org_id == org.id)
        ).scalar_one()
        or 0
    ) + 1
    digest = hashlib.sha256(text.encode()).hexdigest()
    row = DataMapVersion(
        org_id=org.id,
        number=number,
        sha256=digest,
        source=text,
        base_dir=str(base_dir),
        loaded_at=now,
        loaded_by=actor,
    )
    session.add(row)
    session.flush()
    datamap = loaded.datamap
    append(
        session,
        AuditRecord(
            actor,
            "datamap.loaded",
            now,
            org_id=org.id,
            target=f"datamap:{number}",
            detail={
                "number": number,
                "sha256": digest,
                "stores": [s.id for s in datamap.stores],
                "tables": sum(len(s.tables) for s in datamap.stores),
            },
        ),
    )
    if cache is not None:
        cache.put(row.id, loaded)
    return LoadedDataMapVersion(row, loaded)


def active_version(session: Session, org_id: int) -> DataMapVersion | None:
    """The newest stored version, the one in force; None before the first is loaded."""
    return session.execute(
        select(DataMapVersion)
        .where(DataMapVersion.org_id == org_id)
        .order_by(DataMapVersion.number.desc())
        .limit(1)
    ).scalar_one_or_none()


def active_datamap(
    session: Session, org_id: int, *, cache: DataMapCache | None = None
) -> LoadedDataMap | None:
    """The data map in force for an organisation, parsed; None when none is loaded."""
    row = active_version(session, org_id)
    if row is None:
        return None
    if cache is not None:
        hit = cache.get(row.id)
        if hit is not None:
            return hit
    loaded = load_datamap(row.source, f"datamap-v{row.number}.yaml", base_dir=Path(row.base_dir))
    if cache is not None:
        cache.put(row.id, loaded)
    return loaded
