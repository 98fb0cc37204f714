"""The Art. 30 register (records of processing activities) and its exports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from privaat.core.policy.model import Policy
from privaat.errors import UsageError
from privaat.register.records import Register, build_register
from privaat.register.to_csv import to_csv
from privaat.register.to_json import to_json
from privaat.register.to_jsonld import to_jsonld
from privaat.register.to_xlsx import to_xlsx

RopaFormat = Literal["csv", "xlsx", "json", "jsonld"]

EXPORTERS: dict[str, Callable[[Register], bytes]] = {
    "csv": to_csv,
    "xlsx": to_xlsx,
    "json": to_json,
    "jsonld": to_jsonld,
}


def export_ropa(policy: Policy, fmt: RopaFormat | str, lang: str | None = None) -> bytes:
    """The Art. 30 register of `policy` as bytes in `fmt`.

    - ``csv``: one header row of stable column keys, one row per record with a
      ``record_type`` column (controller/processor), multi-valued fields joined with
      ``"; "``; UTF-8 with a byte-order mark so that Excel opens it correctly.
    - ``xlsx``: sheets "Controller records", "Processor records" and "Policy"; the same
      policy gives the same bytes.
    - ``json``: ``controller``, ``policy_version``, ``policy_date``, ``controller_records``,
      ``processor_records``.
    - ``jsonld``: W3C Data Privacy Vocabulary (see :mod:`privaat.register.to_jsonld`).

    Texts are in `lang`, by default the policy's first language.
    """
    exporter = EXPORTERS.get(fmt)
    if exporter is None:
        raise UsageError(f"unknown register format {fmt!r}; choose one of {', '.join(EXPORTERS)}")
    return exporter(build_register(policy, lang))


__all__ = ["EXPORTERS", "Register", "RopaFormat", "build_register", "export_ropa"]
