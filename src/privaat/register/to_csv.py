"""The register as CSV: one header row, one row per record."""

from __future__ import annotations

import csv
import io

from privaat.register.columns import CSV_COLUMNS, AnyRecord, record_texts, record_type
from privaat.register.records import Register


def to_csv(register: Register) -> bytes:
    """CSV in UTF-8 with a byte-order mark, so that Excel reads the accents right.

    The header holds stable column keys (``record_type``, ``controller``, ``purposes``...);
    a column a record type does not have is left empty. Multi-valued fields are joined
    with ``"; "``.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    records: list[AnyRecord] = [*register.controller_records, *register.processor_records]
    for record in records:
        texts = record_texts(record, register.lang) | {"record_type": record_type(record)}
        writer.writerow([texts.get(key, "") for key in CSV_COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")
