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
from privaat.register import texts as t
from privaat.register.records import ControllerRecord, Party, ProcessorRecord

AnyRecord = ControllerRecord | ProcessorRecord
SEPARATOR = "; "


@dataclass(frozen=True, slots=True)
class Column:
    """A register column: a stable key, its header per language, the article it answers."""

    key: str
    label: t.Words
    article: str | None = None


def _c(key: str, nl: str, en: str, fr: str, article: str | None = None) -> Column:
    return Column(key, {"nl": nl, "en": en, "fr": fr}, article)


_ID = _c("activity_id", "Id", "Id", "Id")
_ACTIVITY = _c("activity", "Verwerkingsactiviteit", "Processing activity", "Activité de traitement")
_DESCRIPTION = _c("description", "Beschrijving", "Description", "Description")
_REPRESENTATIVE = _c(
    "representative", "Vertegenwoordiger", "Representative", "Représentant", "30(1)(a), 30(2)(a)"
)
_DPO = _c(
    "dpo",
    "Functionaris voor gegevensbescherming",
    "Data protection officer",
    "Délégué à la protection des données",
    "30(1)(a), 30(2)(a)",
)
_PURPOSES = _c("purposes", "Doeleinden", "Purposes", "Finalités", "30(1)(b)")
_BASIS = _c(
    "legal_basis", "Rechtsgrond per doel", "Legal basis per purpose", "Base juridique", "6(1)"
)
_SUBJECTS = _c(
    "data_subjects",
    "Categorieën van betrokkenen",
    "Categories of data subjects",
    "Catégories de personnes concernées",
    "30(1)(c)",
)
_CATEGORIES = _c(
    "data_categories",
    "Categorieën van persoonsgegevens",
    "Categories of personal data",
    "Catégories de données",
    "30(1)(c)",
)
_SPECIAL = _c(
    "special_categories",
    "Bijzondere en strafrechtelijke gegevens",
    "Special categories and criminal data",
    "Données sensibles et pénales",
    "9(2), 10",
)
_SOURCES = _c(
    "sources", "Bron van de gegevens", "Source of the data", "Source des données", "14(2)(f)"
)
_TRANSFERS = _c(
    "transfers",
    "Doorgifte naar derde landen en waarborgen",
    "Transfers to third countries and safeguards",
    "Transferts vers des pays tiers et garanties",
    "30(1)(e), 30(2)(c)",
)
_RETENTION = _c(
    "retention",
    "Bewaartermijnen (voorzien wissen)",
    "Time limits for erasure",
    "Délais d'effacement",
    "30(1)(f)",
)
_RETENTION_ISO = _c(
    "retention_iso",
    "Bewaartermijnen (ISO 8601)",
    "Time limits (ISO 8601)",
    "Délais (ISO 8601)",
    "30(1)(f)",
)
_SECURITY = _c(
    "security",
    "Beveiligingsmaatregelen",
    "Security measures",
    "Mesures de sécurité",
    "30(1)(g), 30(2)(d)",
)
_SYSTEMS = _c("systems", "Systemen", "Systems", "Systèmes")

CONTROLLER_COLUMNS: tuple[Column, ...] = (
    _ID,
    _ACTIVITY,
    _DESCRIPTION,
    _c("role", "Rol", "Role", "Rôle"),
    _c(
        "controller",
        "Verwerkingsverantwoordelijke",
        "Controller",
        "Responsable du traitement",
        "30(1)(a)",
    ),
    _c(
        "joint_controllers",
        "Gezamenlijke verwerkingsverantwoordelijken",
        "Joint controllers",
        "Responsables conjoints",
        "30(1)(a)",
    ),
    _REPRESENTATIVE,
    _DPO,
    _PURPOSES,
    _BASIS,
    _SUBJECTS,
    _CATEGORIES,
    _SPECIAL,
    _SOURCES,
    _c(
        "recipients",
        "Categorieën van ontvangers",
        "Categories of recipients",
        "Catégories de destinataires",
        "30(1)(d)",
    ),
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
    _c("processor", "Verwerker", "Processor", "Sous-traitant", "30(2)(a)"),
    _c(
        "controllers",
        "Verwerkingsverantwoordelijken voor wie wordt verwerkt",
        "Controllers on whose behalf we act",
        "Responsables pour le compte desquels nous agissons",
        "30(2)(a)",
    ),
    _REPRESENTATIVE,
    _DPO,
    _c(
        "processing",
        "Categorieën van verwerkingen",
        "Categories of processing",
        "Catégories de traitements",
        "30(2)(b)",
    ),
    _SUBJECTS,
    _CATEGORIES,
    _SPECIAL,
    _SOURCES,
    _c("sub_processors", "Subverwerkers", "Sub-processors", "Sous-traitants ultérieurs", "28(2)"),
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


def _join(items: list[str], lang: str, none: t.Words) -> str:
    return SEPARATOR.join(items) if items else t.word(none, lang)


def record_texts(record: AnyRecord, lang: str) -> dict[str, str]:
    """The record's value in each of its columns, as the register prints it."""
    org = record.controller if isinstance(record, ControllerRecord) else record.processor
    rep_none = t.NO_REPRESENTATIVE_EU if org.country in EEA else t.NO_REPRESENTATIVE
    sources = SEPARATOR.join(s.text for s in record.sources)
    if record.source_detail:
        sources += f" ({record.source_detail})"
    retention = [r.text for r in record.retention] + [h.text for h in record.holds]
    retention_iso = [r.iso for r in record.retention] + [h.iso for h in record.holds]
    common = {
        "activity_id": record.activity_id,
        "activity": record.activity,
        "description": record.description or "",
        "representative": record.representative.text
        if record.representative
        else t.word(rep_none, lang),
        "dpo": record.dpo.text if record.dpo else t.word(t.NO_DPO, lang),
        "data_subjects": _join([s.text for s in record.data_subjects], lang, t.NONE),
        "data_categories": _join([c.text for c in record.data_categories], lang, t.NONE),
        "special_categories": _join(
            [c.flag_text for c in record.special_categories if c.flag_text], lang, t.NO_SPECIAL
        ),
        "sources": sources,
        "transfers": _join([x.text for x in record.transfers], lang, t.NO_TRANSFERS),
        "retention": _join(retention, lang, t.NO_RETENTION),
        "retention_iso": _join(retention_iso, lang, t.NO_RETENTION),
        "security": _join([m.text for m in record.security], lang, t.NO_SECURITY),
        "systems": _join(list(record.systems), lang, t.NONE),
    }
    if isinstance(record, ControllerRecord):
        specific = {
            "role": t.word(t.ROLE[record.role], lang),
            "controller": record.controller.text,
            "joint_controllers": _join(
                [p.text for p in record.joint_controllers], lang, t.NO_JOINT_CONTROLLER
            ),
            "purposes": _join([p.text for p in record.purposes], lang, t.NO_PURPOSE),
            "legal_basis": _join([p.basis_line for p in record.purposes], lang, t.NO_PURPOSE),
            "recipients": _join([r.text for r in record.recipients], lang, t.NO_RECIPIENTS),
        }
    else:
        specific = {
            "processor": record.processor.text,
            "controllers": record.controllers or t.word(t.NO_CONTROLLERS, lang),
            "processing": record.processing,
            "sub_processors": _join([r.text for r in record.sub_processors], lang, t.NONE),
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
