"""YAML with positions: parse a document into plain data plus a map from path to place.

Used by every privaat file format (the policy now, the data map later), so that
every schema error and lint finding can say ``file:line:column``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from privaat.errors import SourceIssue, UnreadableInput

Path = tuple[str | int, ...]

#: Larger files are refused before parsing: no privacy policy is this long.
MAX_BYTES = 2 * 1024 * 1024
#: Aliases can make a small file expand into a huge tree; this caps the tree.
MAX_NODES = 200_000
#: No policy nests this deep; deeper input is refused before the parser recurses.
MAX_DEPTH = 64


@dataclass(frozen=True, slots=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


@dataclass(slots=True)
class SourceMap:
    """Where each key and value of a parsed document stands in its file."""

    file: str
    keys: dict[Path, Position] = field(default_factory=dict)
    values: dict[Path, Position] = field(default_factory=dict)

    def locate(self, path: Path, *, prefer_key: bool = False) -> Position:
        """The place of `path`, or of its nearest ancestor that has one."""
        probe = tuple(path)
        while True:
            first, second = (self.keys, self.values) if prefer_key else (self.values, self.keys)
            if probe in first:
                return first[probe]
            if probe in second:
                return second[probe]
            if not probe:
                return Position(1, 1)
            probe = probe[:-1]

    def issue(self, path: Path, message: str, *, prefer_key: bool = False) -> SourceIssue:
        pos = self.locate(path, prefer_key=prefer_key)
        return SourceIssue(self.file, pos.line, pos.column, message)


@dataclass(frozen=True, slots=True)
class Document:
    data: Any
    source_map: SourceMap


def decode(raw: bytes, file: str) -> str:
    """Bytes to text, refusing oversize input and anything that is not UTF-8."""
    if len(raw) > MAX_BYTES:
        raise UnreadableInput(
            SourceIssue(
                file,
                1,
                1,
                f"file is {len(raw):,} bytes; the limit is {MAX_BYTES:,} bytes",
            )
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise UnreadableInput(
            SourceIssue(
                file,
                line,
                column,
                f"not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded; save the file as UTF-8",
            )
        ) from None
    return text.removeprefix("\ufeff")


def parse(text: str, file: str) -> Document:
    """Parse YAML text into plain Python data and a source map.

    Raises UnreadableInput for syntax errors, duplicate keys, and documents that
    are too deep or too large once aliases are expanded.
    """
    _check_depth(text, file)
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        root = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        if "duplicate key" in str(exc).lower():
            problem = _duplicate_message(exc)
        raise UnreadableInput(SourceIssue(file, line, column, f"invalid YAML: {problem}")) from None
    except YAMLError as exc:
        raise UnreadableInput(SourceIssue(file, 1, 1, f"invalid YAML: {exc}")) from None
    except RecursionError:
        raise UnreadableInput(
            SourceIssue(file, 1, 1, "invalid YAML: the document is nested too deeply")
        ) from None
    source_map = SourceMap(file)
    budget = _Budget(file)
    try:
        data = _plain(root, (), source_map, budget)
    except RecursionError:
        raise UnreadableInput(
            SourceIssue(file, 1, 1, "the document is nested too deeply")
        ) from None
    return Document(data, source_map)


def _check_depth(text: str, file: str) -> None:
    """Refuse absurd nesting cheaply: the YAML parser recurses, and is slow at depth."""
    depth = 0
    line = 1
    quote: str | None = None
    for char in text:
        if char == "\n":
            line += 1
            quote = None
        elif quote is not None:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise UnreadableInput(
                    SourceIssue(file, line, 1, f"nested more than {MAX_DEPTH} levels deep")
                )
        elif char in "]}":
            depth = max(0, depth - 1)
    for number, row in enumerate(text.splitlines(), start=1):
        if len(row) - len(row.lstrip(" ")) > 2 * MAX_DEPTH:
            raise UnreadableInput(
                SourceIssue(file, number, 1, f"nested more than {MAX_DEPTH} levels deep")
            )


def _duplicate_message(exc: MarkedYAMLError) -> str:
    text = str(exc.problem or exc)
    for line in text.splitlines():
        if "duplicate key" in line:
            return line.strip().rstrip(".") + " (each key may appear once in a mapping)"
    return "duplicate key (each key may appear once in a mapping)"


@dataclass(slots=True)
class _Budget:
    file: str
    left: int = MAX_NODES

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise UnreadableInput(
                SourceIssue(
                    self.file,
                    1,
                    1,
                    f"the document expands to more than {MAX_NODES:,} values "
                    "(check for alias loops)",
                )
            )


def _plain(node: Any, path: Path, smap: SourceMap, budget: _Budget) -> Any:
    budget.spend()
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key in node:
            value = node[key]
            plain_key = _scalar(key)
            child = (*path, plain_key if isinstance(plain_key, str | int) else str(plain_key))
            kline, kcol = node.lc.key(key)
            smap.keys[child] = Position(kline + 1, kcol + 1)
            vpos = node.lc.value(key)
            if vpos is not None:
                smap.values[child] = Position(vpos[0] + 1, vpos[1] + 1)
            out[plain_key] = _plain(value, child, smap, budget)
        return out
    if isinstance(node, CommentedSeq):
        items: list[Any] = []
        for index, value in enumerate(node):
            child = (*path, index)
            line, col = node.lc.item(index)
            smap.values[child] = Position(line + 1, col + 1)
            items.append(_plain(value, child, smap, budget))
        return items
    return _scalar(node)


def _scalar(node: Any) -> Any:
    if node is None or isinstance(node, bool):
        return node
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, dt.datetime):
        return dt.datetime.fromisoformat(node.isoformat())
    if isinstance(node, dt.date):
        return dt.date(node.year, node.month, node.day)
    return str(node)


def walk_paths(data: Any, path: Path = ()) -> Iterator[Path]:
    """Every path in plain data (for tests and tools)."""
    yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from walk_paths(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from walk_paths(value, (*path, index))
