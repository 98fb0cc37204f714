"""The readable summary of an access export, in the person's language (nl, en, fr).

It tells the person what was found (per table: how many records, which kinds of data) and
the Art. 15 information for exactly those kinds of data: why they are processed and on which
legal basis, who receives them and where, how long they are kept, where they come from, the
automated decisions, the person's rights and the authority to complain to. The full privacy
notice goes into the archive beside it (``notice.html``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, cast

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from privaat.core.access_report import access_report
from privaat.core.law import AUTHORITIES
from privaat.core.policy.model import LANGUAGES, Lang, Policy, pick
from privaat.engine.rights.export import ExportedTable
from privaat.i18n import Words, translations
from privaat.notice.labels import LEGAL_BASIS, RIGHT, SOURCE
from privaat.notice.render import render_notice

TEMPLATES = Path(__file__).parent / "templates"


def summary_files(
    policy: Policy,
    lang: Lang,
    tables: tuple[ExportedTable, ...],
    *,
    reference: str,
    received: dt.date,
    portability: bool,
    notice_html: str | None = None,
) -> list[tuple[str, str]]:
    """``summary.html`` and ``notice.html`` for the archive (``notice_html``: the notice
    already rendered, e.g. from the cache of :mod:`privaat.engine.notices`)."""
    w = Words(lang)
    report = access_report(policy, {c for t in tables if t.rows for c in t.categories})

    def text(value: Mapping[Any, str] | None) -> str:
        found = pick(value, lang, (*policy.languages, *LANGUAGES)) if value else None
        return found[1] if found else ""

    def category(key: str) -> str:
        found = policy.category(key)
        return text(found.label) if found else key

    stated = policy.supervisory_authority
    known = AUTHORITIES.get(stated.key)
    authority = {
        "name": stated.name or (text(known.name) if known else stated.key),
        "website": stated.website or (known.website if known else ""),
        "email": stated.email or (known.email if known else "") or "",
    }
    context: dict[str, Any] = {
        "lang": lang,
        "controller": policy.controller.name,
        "reference": reference,
        "received": w.date(received),
        "portability": portability,
        "tables": [
            {
                "name": f"{t.store} / {t.table}",
                "file": f"data/{t.store}/{t.table}",
                "rows": t.rows,
                "categories": w.join(category(c) for c in t.categories) if t.categories else "",
            }
            for t in tables
            if t.rows
        ],
        "purposes": [
            {
                "name": text(p.name),
                "bases": [w._(LEGAL_BASIS[b]) for b in p.legal_basis],
            }
            for p in report.purposes
        ],
        "recipients": [
            {"name": r.name, "country": w.country(r.country), "detail": text(r.description)}
            for r in report.recipients
        ],
        "retention": [text(r.description) for r in report.retention],
        "sources": [w._(SOURCE[s]) for s in report.sources],
        "decisions": [
            {"name": text(d.name), "logic": text(d.logic), "consequences": text(d.consequences)}
            for d in report.decisions
        ],
        "rights": [
            {"name": w._(RIGHT[r][0]), "text": w._(RIGHT[r][1])} for r in policy.rights.rights
        ],
        "authority": authority,
    }
    page = _environment(lang).get_template("summary.html.j2").render(**context)
    notice = notice_html if notice_html is not None else render_notice(policy, lang, "html")
    return [("summary.html", page), ("notice.html", notice)]


@cache
def _environment(lang: Lang) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    cast(Any, env).install_gettext_translations(translations(lang), newstyle=True)
    return env
