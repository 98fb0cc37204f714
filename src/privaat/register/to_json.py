"""The register as JSON: structured records, each with the text the register prints."""

from __future__ import annotations

import json

from privaat.core.policy.model import Lang
from privaat.register.columns import AnyRecord, plain, record_data, record_texts, record_type
from privaat.register.records import Register


def register_dict(register: Register) -> dict[str, object]:
    """The register as a JSON-ready mapping.

    Each record holds its columns as data (``purposes`` is a list of objects) and, under
    ``text``, the same columns as the one-line texts of the CSV and XLSX exports.
    """
    org = register.controller
    controller = plain(org.party)
    assert isinstance(controller, dict)
    controller |= {
        "legal_name": org.legal_name,
        "kbo": org.kbo,
        "kvk": org.kvk,
        "vat": org.vat,
        "privacy_contact": org.privacy_contact,
        "dpo": plain(org.dpo),
        "representative": plain(org.representative),
        "jurisdiction": org.jurisdiction,
        "supervisory_authority": org.supervisory_authority,
    }
    return {
        "controller": controller,
        "policy_version": register.policy_version,
        "policy_date": register.policy_date.isoformat(),
        "language": register.lang,
        "controller_records": [_record(r, register.lang) for r in register.controller_records],
        "processor_records": [_record(r, register.lang) for r in register.processor_records],
    }


def _record(record: AnyRecord, lang: Lang) -> dict[str, object]:
    return (
        {"record_type": record_type(record)}
        | record_data(record)
        | {"text": record_texts(record, lang)}
    )


def to_json(register: Register) -> bytes:
    text = json.dumps(register_dict(register), indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")
