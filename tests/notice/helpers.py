"""Reading rendered notices back: HTML structure, visible text, and what the policy says."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt
from pydantic import BaseModel

from privaat.core.policy import read_policy
from privaat.core.policy.model import Lang, Policy
from privaat.notice import render_notice

FIXTURES = Path(__file__).parents[1] / "fixtures"
LANGS: tuple[Lang, ...] = ("nl", "en", "fr")
VOID = frozenset({"meta", "link", "br", "img", "input", "hr", "source", "wbr"})
HIDDEN = frozenset({"head", "style", "script", "title"})


@cache
def load(name: str) -> Policy:
    return read_policy(FIXTURES / f"{name}.yaml").policy


@cache
def rendered(name: str, lang: Lang, fmt: str) -> str:
    """A fixture's notice, rendered once per session."""
    return render_notice(load(name), lang, "md" if fmt == "md" else "html")


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parents: tuple[str, ...]
    text: str = ""


class Page(HTMLParser):
    """An HTML document read with the standard library parser, checking its nesting."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.errors: list[str] = []
        self.text_parts: list[str] = []
        self._open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, tuple(e.tag for e in self._open))
        self.elements.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        if not self._open or self._open[-1].tag != tag:
            self.errors.append(f"</{tag}> closes <{self._open[-1].tag if self._open else ''}>")
            return
        self._open.pop()

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text += data
        if not HIDDEN.intersection(e.tag for e in self._open):
            self.text_parts.append(data)

    def find(self, tag: str) -> list[Element]:
        return [e for e in self.elements if e.tag == tag]

    @property
    def text(self) -> str:
        return normal("".join(self.text_parts))


def parse_html(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def markdown_to_html(markdown: str) -> str:
    """CommonMark with GFM tables, as a Markdown reader would show the notice."""
    html: str = MarkdownIt("commonmark").enable("table").render(markdown)
    return html


def visible_text(output: str, fmt: str) -> str:
    """What a reader sees, with white space normalised."""
    html = markdown_to_html(output) if fmt == "md" else output
    return parse_html(html).text


def normal(text: str) -> str:
    return " ".join(text.split())


def localized_texts(model: BaseModel, lang: Lang) -> Iterator[str]:
    """Every text the policy gives in `lang`, wherever it stands in the model."""
    for name in type(model).model_fields:
        yield from _texts(getattr(model, name), lang)


def _texts(value: object, lang: Lang) -> Iterator[str]:
    if isinstance(value, BaseModel):
        yield from localized_texts(value, lang)
    elif isinstance(value, dict) and value and set(value) <= set(LANGS):
        if lang in value:
            yield str(value[lang])
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item, lang)
