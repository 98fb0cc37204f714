"""The access and portability export: one ZIP with JSON and CSV per table and a summary.

Rows are streamed from the connectors straight into the archive: each table's JSON entry is
written row by row while its CSV goes to a spooled temporary file (memory up to a few MB,
then disk), so memory stays flat for a person with a million log rows. The summary, written
last because it needs the counts, tells the person in their language what was found and the
Art. 15 information (see :mod:`privaat.core.access_report`).

Portability (Art. 20) keeps only the columns the person provided, machine-readable.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import decimal
import hashlib
import io
import json
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from privaat.connectors.base import Collection

#: A CSV above this size spills from memory to a temporary file.
SPOOL_BYTES = 8 * 1024 * 1024
#: Rows encoded before they are written out together.
WRITE_BATCH = 500
#: Values JSON and CSV take as they are (``_plain`` returns them unchanged, and the csv
#: module writes them as ``str()`` would, None as an empty cell).
_AS_IS = frozenset({type(None), bool, int, float, str})
#: ``json.dumps(value, ensure_ascii=False)``, without making an encoder per call.
_encode = json.JSONEncoder(ensure_ascii=False).encode


@dataclass(frozen=True, slots=True)
class ExportedTable:
    """What went into the archive for one table."""

    store: str
    table: str
    rows: int
    columns: tuple[str, ...]
    categories: tuple[str, ...]  # the data categories of the exported columns


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    sha256: str
    size: int
    tables: tuple[ExportedTable, ...]


#: Renders the summary from what was exported: (file name, text) pairs to add.
SummaryWriter = Callable[[tuple[ExportedTable, ...]], list[tuple[str, str]]]


def write_export(
    path: Path,
    collections: Iterable[Collection],
    *,
    portability: bool,
    summary: SummaryWriter,
) -> ExportResult:
    """Write the archive at ``path`` (created afresh; the folder must exist)."""
    tables: list[ExportedTable] = []
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for collection in collections:
            tables.append(_write_collection(archive, collection, portability=portability))
        for name, text in summary(tuple(tables)):
            archive.writestr(name, text)
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return ExportResult(path, digest.hexdigest(), path.stat().st_size, tuple(tables))


def _write_collection(
    archive: zipfile.ZipFile, collection: Collection, *, portability: bool
) -> ExportedTable:
    keep = [
        i
        for i, column in enumerate(collection.columns)
        if not portability or column in collection.provided
    ]
    columns = tuple(collection.columns[i] for i in keep)
    # Rows of others that only mention the person go beside the table's own rows.
    name = f"{collection.table}.mentions" if collection.mentions else collection.table
    base = f"data/{collection.store}/{name}"
    rows = 0
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b") as spool:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        with archive.open(f"{base}.json", "w", force_zip64=True) as raw:
            out = io.TextIOWrapper(io.BufferedWriter(raw, 1 << 16), encoding="utf-8")
            out.write("[")
            # Rows are written a batch at a time (one write per batch, not per row).
            objects: list[str] = []
            cells: list[list[Any]] = []
            for row in collection.rows:
                values = [v if type(v) in _AS_IS else _plain(v) for v in (row[i] for i in keep)]
                objects.append(_encode(dict(zip(columns, values, strict=True))))
                cells.append([v if type(v) in _AS_IS else _cell(v) for v in values])
                if len(objects) == WRITE_BATCH:
                    rows = _flush(out, objects, rows)
                    _flush_csv(spool, buffer, writer, cells)
            rows = _flush(out, objects, rows)
            out.write("\n]\n" if rows else "]\n")
            out.flush()
            out.detach()
        _flush_csv(spool, buffer, writer, cells)
        spool.seek(0)
        with archive.open(f"{base}.csv", "w", force_zip64=True) as target:
            shutil.copyfileobj(spool, target)
    categories = sorted({collection.categories.get(c, "") for c in columns} - {""})
    return ExportedTable(collection.store, name, rows, columns, tuple(categories))


def _flush(out: io.TextIOWrapper, objects: list[str], rows: int) -> int:
    """Write the encoded rows as JSON array items; the number of rows written so far."""
    if objects:
        out.write((",\n " if rows else "\n ") + ",\n ".join(objects))
        rows += len(objects)
        objects.clear()
    return rows


def _flush_csv(spool: Any, buffer: io.StringIO, writer: Any, cells: list[list[Any]]) -> None:
    """Write the rows (None as an empty cell) and the header before them to the spool."""
    writer.writerows(cells)
    cells.clear()
    spool.write(buffer.getvalue().encode("utf-8"))
    buffer.seek(0)
    buffer.truncate()


def _plain(value: Any) -> Any:
    """A database value as JSON can hold it."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict | list):
        return json.loads(json.dumps(value, default=str))
    return str(value)


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
