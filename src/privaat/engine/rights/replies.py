"""The reply letter that closes a request: what was done, in the person's language.

Built from the results of the request's steps (held records and their end dates, the rows
changed, the recipients to inform under Art. 19, the export to download) and queued in the
outbox with the other letters.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from privaat.core.access_report import related
from privaat.core.datamap.loader import LoadedDataMap
from privaat.core.policy.model import LANGUAGES, Policy, pick
from privaat.core.requests import RequestKind
from privaat.engine.rights import letters, records
from privaat.store.models import ExportFile, HeldRecord, ManualTask, RequestStep


@dataclass(frozen=True, slots=True)
class Reply:
    queued: bool  # False: no e-mail address known, someone must send it another way
    recipients: list[str]  # Art. 19: the recipients to inform of the erasure or correction


#: Makes the download address of an export for the letter (None: no public download).
DownloadLink = Callable[[ExportFile], str | None]

_CHANGING = frozenset({"delete", "mask", "rectify", "unlink"})


def recipients_to_inform(
    policy: Policy, datamap: LoadedDataMap | None, lines: list[Mapping[str, Any]]
) -> list[str]:
    """Art. 19: names of the policy's recipients that receive a kind of data that changed."""
    if datamap is None:
        return []
    categories = {
        (store.id, table.name): [f.category for f in table.fields]
        for store in datamap.datamap.stores
        for table in store.tables
    }
    changed: set[str] = set()
    for line in lines:
        if line.get("step") in _CHANGING and line.get("rows"):
            changed.update(categories.get((line["store"], line["table"]), ()))
    return [
        r.name
        for r in policy.recipients
        if any(related(c, k) for c in changed for k in r.categories)
    ]


def queue_reply(
    session: Session,
    org_id: int,
    reference: str,
    *,
    policy: Policy,
    datamap: LoadedDataMap | None,
    now: dt.datetime,
    download_link: DownloadLink | None = None,
) -> Reply:
    """Queue the closing letter (not when privaat has no address to send it to)."""
    request = records.get(session, org_id, reference)
    org = records.organisation(session, org_id)
    lang = letters.language(request.language)
    lines: list[Mapping[str, Any]] = []
    for raw in session.scalars(
        select(RequestStep.result).where(RequestStep.request_id == request.id)
    ):
        if raw:
            lines.extend(json.loads(raw).get("lines", []))
    held = session.scalars(
        select(HeldRecord).where(HeldRecord.request_id == request.id).order_by(HeldRecord.id)
    ).all()
    export = session.scalars(
        select(ExportFile).where(ExportFile.request_id == request.id).order_by(ExportFile.id)
    ).first()
    tasks = session.scalar(select(ManualTask.id).where(ManualTask.request_id == request.id))
    authority, website = letters.authority(policy, lang)
    recipients = recipients_to_inform(policy, datamap, lines)
    purposes = [
        _text(p.name, lang, policy)
        for p in policy.purposes
        if p.id in {line.get("purpose") for line in lines}
    ]
    message = letters.notify(
        session,
        request,
        letters.LetterKind.REPLY,
        org=org,
        policy=policy,
        now=now,
        request_type=RequestKind(request.kind).value,
        rows=sum(int(line.get("rows") or 0) for line in lines if line.get("step") in _CHANGING),
        held=[
            {
                "what": _hold_name(policy, h.hold, lang),
                "until": letters.day(dt.datetime.combine(h.until, dt.time(12), tzinfo=dt.UTC), lang)
                if h.until
                else "-",
            }
            for h in held
        ],
        recipients=", ".join(recipients),
        purposes=", ".join(purposes),
        tasks=tasks is not None,
        download_url=download_link(export) if export and download_link else None,
        expires=letters.day(export.expires_at, lang) if export else "",
        authority=authority,
        authority_website=website,
    )
    return Reply(queued=message is not None, recipients=recipients)


def _text(value: Mapping[Any, str], lang: str, policy: Policy) -> str:
    found = pick(value, lang, (*policy.languages, *LANGUAGES))
    return found[1] if found else ""


def _hold_name(policy: Policy, hold_id: str, lang: str) -> str:
    hold = policy.hold(hold_id)
    return _text(hold.description, lang, policy) if hold else hold_id
