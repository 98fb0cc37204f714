"""Escaping for CommonMark: policy text must come out as text, never as markup.

The Markdown template runs every ``{{ value }}`` through :func:`finalize`, which
escapes it unless it is already :class:`markupsafe.Markup` (the output of the
template's own macros). So escaping is on by default, as HTML autoescaping is.
"""

from __future__ import annotations

import re

from markupsafe import Markup

# Characters with a meaning inside a line: emphasis, code, links, raw HTML, tables,
# strikethrough, headings' closing sequence, and the backslash itself.
_INLINE = re.compile(r"([\\`*_\[\]<>|~#])")
# An entity or numeric character reference would be decoded: "&amp;" -> "&".
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
# What starts a block when it begins a line: a bullet ("- ", "+ "), a thematic break
# ("---"), a setext underline ("===") or an ordered list item ("1. ", "1) ").
_BULLET = re.compile(r"^( ?)([-+=])(?=\s|$|\2)")
_ORDERED = re.compile(r"^( ?\d{1,9})([.)])(?=\s|$)")
_SPACE = re.compile(r"\s+")


def escape(text: str) -> str:
    """`text` as literal Markdown on one line (runs of white space become one space)."""
    text = _SPACE.sub(" ", text)
    text = _INLINE.sub(r"\\\1", text)
    text = _ENTITY.sub(r"\\&", text)
    text = _BULLET.sub(r"\1\\\2", text)
    return _ORDERED.sub(r"\1\\\2", text)


def finalize(value: object) -> object:
    """Jinja2 ``finalize`` hook: escape every printed value that is not Markup."""
    if isinstance(value, Markup):
        return value
    return escape(str(value))
