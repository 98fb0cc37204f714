"""Signed download links for access and portability exports.

The reply letter carries a link the person opens without an account. The token signs the
organisation, the export and the first bytes of the archive's hash (so that a reused id can
never serve another archive); the export's own ``expires_at`` decides how long it works.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy.orm import Session

from privaat.errors import LinkInvalid
from privaat.store.models import ExportFile

_SALT = "privaat.export-download"
INVALID = "this download link is not valid, or it has expired"


class DownloadSigner:
    def __init__(self, secret_key: str, base_url: str) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt=_SALT)
        self.base_url = base_url.rstrip("/")

    def token(self, export: ExportFile) -> str:
        return str(self._serializer.dumps([export.org_id, export.id, export.sha256[:16]]))

    def url(self, org_slug: str, export: ExportFile) -> str:
        return f"{self.base_url}/p/{org_slug}/export/{self.token(export)}"

    def open(self, session: Session, org_id: int, token: str, now: dt.datetime) -> ExportFile:
        """The export a token names, if it is this organisation's and has not expired."""
        try:
            payload = self._serializer.loads(token)
        except BadData:
            raise LinkInvalid(INVALID) from None
        match payload:
            case [int(signed_org), int(export_id), str(digest)] if signed_org == org_id:
                export = session.get(ExportFile, export_id)
                if (
                    export is not None
                    and export.org_id == org_id
                    and export.sha256.startswith(digest)
                    and export.expires_at > now
                    and Path(export.path).is_file()
                ):
                    return export
        raise LinkInvalid(INVALID)
