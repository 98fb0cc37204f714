"""The HTML notice is one standalone, accessible, print-friendly page."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from privaat.core.policy.model import Lang
from privaat.i18n import Words

from .helpers import LANGS, Page, parse_html, rendered

CASES = [(name, lang) for name in ("minimal", "rich") for lang in LANGS]


def page(name: str, lang: Lang) -> Page:
    return parse_html(rendered(name, lang, "html"))


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_document_parses_and_nests(name: str, lang: Lang) -> None:
    html = rendered(name, lang, "html")
    assert html.startswith("<!DOCTYPE html>\n")
    p = page(name, lang)
    assert p.errors == []
    assert [e.tag for e in p.elements[:1]] == ["html"]


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_head_declares_language_charset_viewport_and_title(name: str, lang: Lang) -> None:
    p = page(name, lang)
    assert p.find("html")[0].attrs["lang"] == lang
    metas = p.find("meta")
    assert any(m.attrs.get("charset", "").lower() == "utf-8" for m in metas)
    viewport = [m.attrs["content"] for m in metas if m.attrs.get("name") == "viewport"]
    assert viewport == ["width=device-width, initial-scale=1"]  # zoom stays allowed
    [title] = p.find("title")
    [h1] = p.find("h1")
    assert title.text.strip() == h1.text.strip() != ""


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_one_h1_and_heading_levels_never_skip(name: str, lang: Lang) -> None:
    p = page(name, lang)
    levels = [int(e.tag[1]) for e in p.elements if re.fullmatch(r"h[1-6]", e.tag)]
    assert levels.count(1) == 1
    assert levels[0] == 1
    for before, after in pairwise(levels):
        assert after <= before + 1, f"h{before} followed by h{after}"


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_landmarks_contents_and_skip_link(name: str, lang: Lang) -> None:
    p = page(name, lang)
    w = Words(lang)
    [main] = p.find("main")
    [nav] = p.find("nav")
    assert nav.attrs["aria-label"] == w._("Contents")
    links = p.find("a")
    skip = links[0]
    assert skip.attrs["href"] == "#content"
    assert skip.text == w._("Skip to the content")
    assert main.attrs["id"] == "content"
    toc = [a for a in links if "nav" in a.parents]
    sections = [e for e in p.elements if e.tag == "section" and e.parents[-1] == "main"]
    assert [a.attrs["href"] for a in toc] == [f"#{s.attrs['id']}" for s in sections]


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_ids_are_unique_and_in_page_links_resolve(name: str, lang: Lang) -> None:
    p = page(name, lang)
    ids = [e.attrs["id"] for e in p.elements if "id" in e.attrs]
    assert len(ids) == len(set(ids))
    targets = {a.attrs["href"][1:] for a in p.find("a") if a.attrs["href"].startswith("#")}
    assert targets <= set(ids)


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_tables_have_captions_and_scoped_headers(name: str, lang: Lang) -> None:
    p = page(name, lang)
    tables = p.find("table")
    captions = p.find("caption")
    if name == "rich":
        assert len(tables) == 2  # statutory holds, cookies
    assert len(captions) == len(tables)
    assert all(c.parents[-1] == "table" and c.text.strip() for c in captions)
    headers = p.find("th")
    assert len(headers) >= 2 * len(tables)
    assert all(th.attrs.get("scope") in ("col", "row") for th in headers)


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_standalone_without_scripts_or_external_resources(name: str, lang: Lang) -> None:
    html = rendered(name, lang, "html")
    p = page(name, lang)
    assert p.find("script") == []
    assert p.find("link") == []
    assert p.find("img") == []
    assert not any("src" in e.attrs for e in p.elements)
    assert not any(a.startswith("on") for e in p.elements for a in e.attrs)
    [style] = p.find("style")
    assert "url(" not in style.text
    assert "@import" not in style.text
    assert "@media print" in html


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_colours_have_enough_contrast() -> None:
    [style] = page("minimal", "en").find("style")
    colours = re.findall(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", style.text)
    backgrounds = re.findall(r"background:\s*(#[0-9a-fA-F]{6})", style.text)
    assert colours
    assert backgrounds
    for fg in colours:
        for bg in backgrounds:
            assert _contrast(fg, bg) >= 4.5, f"{fg} on {bg}: {_contrast(fg, bg):.2f}"


def test_layout_scales_with_zoom() -> None:
    [style] = page("minimal", "en").find("style")
    # widths, font sizes and breakpoints in rem, em, % or ch: they follow the zoom
    assert not re.search(r"(width|font-size|max-width|min-width)\s*:\s*[\d.]+px", style.text)
    assert "@media (max-width: 40rem)" in style.text
