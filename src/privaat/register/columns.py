"""The columns of the register and each record's value in them, as text and as data.

Both record types are flattened here once; the CSV, XLSX and JSON exports only lay
the result out. A field with nothing to list says so in words ("no joint controller"),
so that every Art. 30 item is visibly answered.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from enum import Enum

from privaat.core.law import EEA
from privaat.core.policy.model import Lang
from privaat.i18n import N_, Words
from privaat.register import labels
from privaat.register.records import ControllerRecord, Party, ProcessorRecord

AnyRecord = ControllerRecord | ProcessorRecord
SEPARATOR = "; "


@dataclass(frozen=True, slots=True)
class Column:
    """A register column: a stable key, its header (an English msgid), the article it answers."""

    key: str
    label: str
    article: str | None = None


_ID = Column("activity_id", N_("Id"))
_ACTIVITY = Column("activity", N_("Processing activity"))
_DESCRIPTION = Column("description", N_("Description"))
_REPRESENTATIVE = Column("representative", N_("Representative"), "30(1)(a), 30(2)(a)")
_DPO = Column("dpo", N_("Data protection officer"), "30(1)(a), 30(2)(a)")
_PURPOSES = Column("purposes", N_("Purposes"), "30(1)(b)")
_BASIS = Column("legal_basis", N_("Legal basis per purpose"), "6(1)")
_SUBJECTS = Column("data_subjects", N_("Categories of data subjects"), "30(1)(c)")
_CATEGORIES = Column("data_categories", N_("Categories of personal data"), "30(1)(c)")
_SPECIAL = Column("special_categories", N_("Special categories and criminal data"), "9(2), 10")
_SOURCES = Column("sources", N_("Source of the data"), "14(2)(f)")
_TRANSFERS = Column(
    "transfers", N_("Transfers to third countries and safeguards"), "30(1)(e), 30(2)(c)"
)
_RETENTION = Column("retention", N_("Time limits for erasure"), "30(1)(f)")
_RETENTION_ISO = Column("retention_iso", N_("Time limits (ISO 8601)"), "30(1)(f)")
_SECURITY = Column("security", N_("Security measures"), "30(1)(g), 30(2)(d)")
_SYSTEMS = Column("systems", N_("Systems"))

CONTROLLER_COLUMNS: tuple[Column, ...] = (
    _ID,
    _ACTIVITY,
    _DESCRIPTION,
    Column("role", N_("Role")),
    Column("controller", N_("Controller"), "30(1)(a)"),
    Column("joint_controllers", N_("Joint controllers"), "30(1)(a)"),
    _REPRESENTATIVE,
    _DPO,
    _PURPOSES,
    _BASIS,
    _SUBJECTS,
    _CATEGORIES,
    _SPECIAL,
    _SOURCES,
    Column("recipients", N_("Categories of recipients"), "30(1)(d)"),
    _TRANSFERS,
    _RETENTION,
    _RETENTION_ISO,
    _SECURITY,
    _SYSTEMS,
)

PROCESSOR_COLUMNS: tuple[Column, ...] = (
    _ID,
    _ACTIVITY,
    _DESCRIPTION,
    Column("processor", N_("Processor"), "30(2)(a)"),
    Column("controllers", N_("Controllers on whose behalf we act"), "30(2)(a)"),
    _REPRESENTATIVE,
    _DPO,
    Column("processing", N_("Categories of processing"), "30(2)(b)"),
    _SUBJECTS,
    _CATEGORIES,
    _SPECIAL,
    _SOURCES,
    Column("sub_processors", N_("Sub-processors"), "28(2)"),
    _TRANSFERS,
    _RETENTION,
    _RETENTION_ISO,
    _SECURITY,
    _SYSTEMS,
)

#: The CSV header: a record type, then every column of either record type, once.
CSV_COLUMNS: tuple[str, ...] = (
    "record_type",
    *dict.fromkeys(c.key for c in (*CONTROLLER_COLUMNS, *PROCESSOR_COLUMNS)),
)


def record_type(record: AnyRecord) -> str:
    return "controller" if isinstance(record, ControllerRecord) else "processor"


def columns_of(record: AnyRecord) -> tuple[Column, ...]:
    return CONTROLLER_COLUMNS if isinstance(record, ControllerRecord) else PROCESSOR_COLUMNS


# --------------------------------------------------------------------------- text


def _join(items: list[str], none: str) -> str:
    return SEPARATOR.join(items) if items else none


def record_texts(record: AnyRecord, lang: Lang) -> dict[str, str]:
    """The record's value in each of its columns, as the register prints it."""
    w = Words(lang)
    none = w._("none")
    org = record.controller if isinstance(record, ControllerRecord) else record.processor
    if record.representative:
        representative = record.representative.text
    elif org.country in EEA:
        representative = w._("not required (established in the EEA)")
    else:
        representative = w._("no representative designated")
    sources = SEPARATOR.join(s.text for s in record.sources)
    if record.source_detail:
        sources += f" ({record.source_detail})"
    retention = [r.text for r in record.retention] + [h.text for h in record.holds]
    retention_iso = [r.iso for r in record.retention] + [h.iso for h in record.holds]
    no_retention = w._("no retention rule recorded")
    common = {
        "activity_id": record.activity_id,
        "activity": record.activity,
        "description": record.description or "",
        "representative": representative,
        "dpo": record.dpo.text if record.dpo else w._("no data protection officer appointed"),
        "data_subjects": _join([s.text for s in record.data_subjects], none),
        "data_categories": _join([c.text for c in record.data_categories], none),
        "special_categories": _join(
            [c.flag_text for c in record.special_categories if c.flag_text],
            w._("no special-category or criminal data"),
        ),
        "sources": sources,
        "transfers": _join([x.text for x in record.transfers], w._("no transfers outside the EEA")),
        "retention": _join(retention, no_retention),
        "retention_iso": _join(retention_iso, no_retention),
        "security": _join([m.text for m in record.security], w._("no measures described")),
        "systems": _join(list(record.systems), none),
    }
    if isinstance(record, ControllerRecord):
        no_purpose = w._("no purpose stated")
        specific = {
            "role": labels.role(w, record.role),
            "controller": record.controller.text,
            "joint_controllers": _join(
                [p.text for p in record.joint_controllers], w._("no joint controller")
            ),
            "purposes": _join([p.text for p in record.purposes], no_purpose),
            "legal_basis": _join([p.basis_line for p in record.purposes], no_purpose),
            "recipients": _join([r.text for r in record.recipients], w._("no recipients")),
        }
    else:
        specific = {
            "processor": record.processor.text,
            "controllers": record.controllers or w._("controllers not stated"),
            "processing": record.processing,
            "sub_processors": _join([r.text for r in record.sub_processors], none),
        }
    texts = common | specific
    return {c.key: texts[c.key] for c in columns_of(record)}


# --------------------------------------------------------------------------- data


def plain(value: object) -> object:
    """A JSON-ready copy of a record part: dataclasses to dicts, enums to values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value


def _party(party: Party | None) -> object:
    return plain(party)


def record_data(record: AnyRecord) -> dict[str, object]:
    """The record's value in each of its columns, as structured data."""
    common: dict[str, object] = {
        "activity_id": record.activity_id,
        "activity": record.activity,
        "description": record.description,
        "representative": _party(record.representative),
        "dpo": _party(record.dpo),
        "data_subjects": plain(record.data_subjects),
        "data_categories": plain(record.data_categories),
        "special_categories": [
            {
                "key": c.key,
                "label": c.label,
                "special": c.special,
                "criminal": c.criminal,
                "art9_condition": plain(c.art9_condition),
            }
            for c in record.special_categories
        ],
        "sources": {
            "sources": [s.source.value for s in record.sources],
            "detail": record.source_detail,
        },
        "transfers": plain(record.transfers),
        "retention": {"rules": plain(record.retention), "holds": plain(record.holds)},
        "retention_iso": [r.iso for r in record.retention] + [h.iso for h in record.holds],
        "security": plain(record.security),
        "systems": list(record.systems),
    }
    if isinstance(record, ControllerRecord):
        specific: dict[str, object] = {
            "role": record.role.value,
            "controller": _party(record.controller),
            "joint_controllers": plain(record.joint_controllers),
            "purposes": [
                {
                    "id": p.id,
                    "name": p.name,
                    "description": p.description,
                    "marketing": p.marketing,
                    "profiling": p.profiling,
                }
                for p in record.purposes
            ],
            "legal_basis": [
                {
                    "purpose": p.id,
                    "legal_basis": plain(p.legal_basis),
                    "text": p.legal_basis_text,
                    "detail": p.basis_detail,
                }
                for p in record.purposes
            ],
            "recipients": plain(record.recipients),
        }
    else:
        specific = {
            "processor": _party(record.processor),
            "controllers": record.controllers,
            "processing": record.processing,
            "sub_processors": plain(record.sub_processors),
        }
    data = common | specific
    return {c.key: data[c.key] for c in columns_of(record)}
