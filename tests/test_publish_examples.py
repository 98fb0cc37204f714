"""Every bundled example publishes completely in every language: notice (md, html) and register."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from privaat.core.lint import lint
from privaat.core.policy import load_policy
from privaat.core.policy.model import Lang
from privaat.examples import EXAMPLES, example_text
from privaat.notice import render_notice
from privaat.register import export_ropa

LANGS: tuple[Lang, ...] = ("nl", "en", "fr")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_is_fully_translated(name: str) -> None:
    policy = load_policy(example_text(name), f"{name}.yaml").policy
    assert tuple(policy.languages) == LANGS
    assert "PV901" not in {f.code for f in lint(policy)}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_notice_in_every_language_has_no_foreign_text(name: str, lang: Lang) -> None:
    policy = load_policy(example_text(name), f"{name}.yaml").policy
    page = render_notice(policy, lang, "html")
    assert f'<html lang="{lang}"' in page
    # a text shown in another language than the page is marked with its own lang: none here
    assert re.findall(r'<(?:span|a|strong)[^>]* lang="', page) == []
    markdown = render_notice(policy, lang, "md")
    assert policy.controller.name in markdown
    assert len(markdown) > 3000


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_register_in_every_language(name: str, lang: Lang) -> None:
    policy = load_policy(example_text(name), f"{name}.yaml").policy
    rows = list(csv.DictReader(io.StringIO(export_ropa(policy, "csv", lang).decode("utf-8-sig"))))
    assert len(rows) == len(policy.activities)
    assert all(row["record_type"] in {"controller", "processor"} for row in rows)
    data = json.loads(export_ropa(policy, "json", lang))
    assert len(data["controller_records"]) + len(data["processor_records"]) == len(
        policy.activities
    )
    graph = json.loads(export_ropa(policy, "jsonld", lang))
    assert "@context" in graph
    assert export_ropa(policy, "xlsx", lang)[:2] == b"PK"
