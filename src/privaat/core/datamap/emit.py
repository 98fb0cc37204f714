"""Write a data map as YAML a person reviews: one link or field per line, with comments.

ruamel.yaml can attach comments, but not where a reviewer wants them on flow-style items;
the data map's shape is fixed and small, so it is written directly here. Every string that
is not a plain identifier is written as a JSON string (a valid YAML double-quoted scalar),
so no value can change the document's structure. The result is loaded back and compared in
the tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from privaat.core.yamlsource import Path

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.$/-]*$")
_RESERVED = frozenset(
    {"null", "true", "false", "yes", "no", "on", "off", "y", "n", "~", "nan", "inf"}
)
#: Lists of mappings written one mapping per line.
_FLOW_ITEMS = frozenset({"links", "fields"})
#: Lists of mappings written as blocks.
_BLOCK_ITEMS = frozenset({"stores", "tables"})

Notes = Mapping[Path, Sequence[str]]


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=False)


def flow(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def _comment(notes: Sequence[str]) -> str:
    # A note never contains a newline; joined, they read as one remark.
    return "  # " + "; ".join(n.replace("\n", " ") for n in notes) if notes else ""


def render(
    document: Mapping[str, Any],
    notes: Notes,
    *,
    header: Sequence[str] = (),
    footer: Sequence[str] = (),
) -> str:
    """The document as YAML: notes at a path become a comment on that path's line."""
    lines = [f"# {h}" if h else "#" for h in header]
    _mapping(document, 0, (), notes, lines)
    if footer:
        lines.append("")
        lines.extend(f"# {f}" if f else "#" for f in footer)
    return "\n".join(lines) + "\n"


def _mapping(
    value: Mapping[str, Any], indent: int, path: Path, notes: Notes, lines: list[str]
) -> None:
    pad = " " * indent
    for key, item in value.items():
        here = (*path, key)
        if isinstance(item, list) and key in _BLOCK_ITEMS | _FLOW_ITEMS and item:
            lines.append(f"{pad}{key}:{_comment(notes.get(here, ()))}")
            for index, element in enumerate(item):
                child = (*here, index)
                if key in _BLOCK_ITEMS:
                    for note in notes.get(child, ()):
                        lines.append(f"{pad}  # {note}")
                    first = len(lines)
                    _mapping(element, indent + 4, child, notes, lines)
                    lines[first] = f"{pad}  - {lines[first][indent + 4 :]}"
                else:
                    lines.append(f"{pad}  - {flow(element)}{_comment(notes.get(child, ()))}")
        else:
            lines.append(f"{pad}{key}: {flow(item)}{_comment(notes.get(here, ()))}")
