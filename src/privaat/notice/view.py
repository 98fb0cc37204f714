"""The notice as a typed view model: sections of paragraphs, lists, fields and tables.

Everything the notice says is decided here and in :mod:`privaat.notice.sections`;
the Markdown and HTML templates only lay this structure out, so the two formats
cannot say different things. All strings are plain text: each template escapes
them for its own format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from privaat.core.policy.model import Lang


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text: plain, strong, or a link.

    ``href`` is set only for links, and only to a checked ``https:``, ``mailto:``,
    ``tel:`` or in-page ``#`` address. ``lang`` is set when the text comes from
    the policy in another language than the notice's (a missing translation).
    """

    text: str
    kind: Literal["text", "strong", "link"] = "text"
    href: str = ""
    lang: str = ""


#: A line of inline text.
Line = tuple[Span, ...]


def plain(text: str) -> Line:
    return (Span(text),)


def strong(text: str) -> Line:
    return (Span(text, "strong"),)


@dataclass(frozen=True, slots=True)
class Paragraph:
    line: Line
    kind: ClassVar[str] = "paragraph"


@dataclass(frozen=True, slots=True)
class Bullets:
    items: tuple[Line, ...]
    kind: ClassVar[str] = "bullets"


@dataclass(frozen=True, slots=True)
class Field:
    """A labelled value; several values are shown as a list, none as the label alone."""

    label: str
    lead: str  # the label with its colon, as the language writes it; without, if no values
    values: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class Fields:
    fields: tuple[Field, ...]
    kind: ClassVar[str] = "fields"


@dataclass(frozen=True, slots=True)
class Table:
    """A table whose first column heads its rows."""

    id: str
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Line, ...], ...]
    kind: ClassVar[str] = "table"


Block = Paragraph | Bullets | Fields | Table


@dataclass(frozen=True, slots=True)
class Section:
    """A titled part of the notice; top-level sections are numbered."""

    id: str
    heading: Line
    blocks: tuple[Block, ...] = ()
    subsections: tuple[Section, ...] = ()
    number: str = ""


@dataclass(frozen=True, slots=True)
class Notice:
    """The whole notice in one language."""

    lang: Lang
    title: str
    meta: tuple[Line, ...]
    intro: tuple[Block, ...]
    sections: tuple[Section, ...] = field(default_factory=tuple)


def bold(line: Line) -> Line:
    """The same text, emphasised."""
    return tuple(Span(s.text, "strong", "", s.lang) if s.kind == "text" else s for s in line)


def linked(line: Line, href: str) -> Line:
    """The same text, as a link to `href` (an in-page ``#id`` or a checked address)."""
    return tuple(Span(s.text, "link", href, s.lang) for s in line)


def concat(*lines: Line, sep: str = "") -> Line:
    """Lines joined into one, with `sep` between those that are not empty."""
    out: list[Span] = []
    for line in lines:
        if not line:
            continue
        if out and sep:
            out.append(Span(sep))
        out.extend(line)
    return tuple(out)


#: Separates a term from its explanation in a list item ("Access – you can...").
DASH = " – "
