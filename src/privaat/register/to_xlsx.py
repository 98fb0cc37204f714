"""The register as an Excel workbook: controller records, processor records, the policy.

The same policy gives the same bytes: the document properties carry the policy's date
instead of the time of export, and the zip entries are re-stamped with that date.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from privaat.core.policy.model import Lang
from privaat.i18n import Words
from privaat.register.columns import (
    CONTROLLER_COLUMNS,
    PROCESSOR_COLUMNS,
    AnyRecord,
    Column,
    record_texts,
)
from privaat.register.records import Register

CONTROLLER_SHEET = "Controller records"
PROCESSOR_SHEET = "Processor records"
POLICY_SHEET = "Policy"

_MIN_WIDTH, _MAX_WIDTH = 8, 60


def to_xlsx(register: Register) -> bytes:
    """An XLSX workbook with the sheets "Controller records", "Processor records", "Policy"."""
    wb = Workbook()
    sheet = wb.active
    assert isinstance(sheet, Worksheet)
    sheet.title = CONTROLLER_SHEET
    _records(sheet, CONTROLLER_COLUMNS, register.controller_records, register.lang)
    _records(
        wb.create_sheet(PROCESSOR_SHEET),
        PROCESSOR_COLUMNS,
        register.processor_records,
        register.lang,
    )
    _policy(wb.create_sheet(POLICY_SHEET), register)

    stamp = dt.datetime.combine(register.policy_date, dt.time())
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "privaat"
    wb.properties.lastModifiedBy = "privaat"
    wb.properties.title = (
        f"Art. 30 register {register.controller.party.name} {register.policy_version}"
    )

    raw = io.BytesIO()
    # ExcelWriter rather than Workbook.save: save() stamps "modified" with the clock.
    ExcelWriter(wb, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)).save()
    return _restamp(raw.getvalue(), stamp)


def _records(
    ws: Worksheet, columns: Sequence[Column], records: Sequence[AnyRecord], lang: Lang
) -> None:
    w = Words(lang)
    rows = [[w._(c.label) for c in columns]]
    for record in records:
        texts = record_texts(record, lang)
        rows.append([texts[c.key] for c in columns])
    for row in rows:
        ws.append(row)
    _layout(ws, rows)


def _policy(ws: Worksheet, register: Register) -> None:
    org = register.controller
    party = org.party
    w = Words(register.lang)
    labelled = [
        (w._("Name"), party.name),
        (w._("Legal name"), org.legal_name),
        (w._("Address"), party.address),
        (w._("Enterprise number (KBO)"), org.kbo),
        (w._("Chamber of Commerce (KvK)"), org.kvk),
        (w._("VAT number"), org.vat),
        (w._("E-mail"), party.email),
        (w._("Phone"), party.phone),
        (w._("Website"), party.website),
        (
            w.pgettext("policy sheet", "Data protection officer"),
            org.dpo.text if org.dpo else w._("no data protection officer appointed"),
        ),
        (w._("Representative"), org.representative.text if org.representative else None),
        (w._("Supervisory authority"), org.supervisory_authority),
        (w._("Policy version"), register.policy_version),
        (w._("Policy date"), register.policy_date.isoformat()),
        (w._("Language"), register.lang),
    ]
    rows = [[label, value] for label, value in labelled if value]
    for row in rows:
        ws.append(row)
    for cell in ws["A"]:
        cell.font = Font(bold=True)
    _widths(ws, rows)


def _layout(ws: Worksheet, rows: list[list[str]]) -> None:
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    ws.freeze_panes = "A2"
    if ws.max_row > 1:
        ws.auto_filter.ref = ws.dimensions
    _widths(ws, rows)


def _widths(ws: Worksheet, rows: Sequence[Sequence[object]]) -> None:
    count = max((len(r) for r in rows), default=0)
    for index in range(count):
        longest = max(
            (len(str(r[index])) for r in rows if index < len(r) and r[index] is not None),
            default=0,
        )
        width = min(max(longest + 2, _MIN_WIDTH), _MAX_WIDTH)
        ws.column_dimensions[get_column_letter(index + 1)].width = width


def _restamp(data: bytes, stamp: dt.datetime) -> bytes:
    """The same zip with every entry dated `stamp`, so the bytes depend on the policy only."""
    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, 0, 0, 0)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()
