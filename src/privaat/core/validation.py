"""Turn pydantic validation errors into ``file:line:col`` issues a person can act on."""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from privaat.core.yamlsource import Path, SourceMap
from privaat.errors import SourceIssue


def issues_from_validation(
    exc: ValidationError, root: type[BaseModel], smap: SourceMap
) -> list[SourceIssue]:
    """One issue per error, with its place in the file and a readable message."""
    errors = exc.errors(include_url=False)
    misspelt = _misspelt_required_keys(errors, root)
    issues: list[SourceIssue] = []
    seen: set[tuple[Path, str]] = set()
    for error in errors:
        loc: Path = tuple(x for x in error["loc"] if x != "[key]")
        if error["type"] == "missing" and loc in misspelt:
            continue  # reported once, as the unknown key that was meant to be this one
        message = _message(error, loc, root)
        if (loc, message) in seen:
            continue
        seen.add((loc, message))
        prefer_key = error["type"] in {"extra_forbidden"} or "[key]" in error["loc"]
        issues.append(smap.issue(loc, message, prefer_key=prefer_key))
    return sorted(issues, key=lambda i: (i.line, i.column))


def _misspelt_required_keys(errors: Any, root: type[BaseModel]) -> set[Path]:
    """Missing keys that an unknown key beside them was evidently meant to be."""
    missing = {tuple(e["loc"]) for e in errors if e["type"] == "missing"}
    meant: set[Path] = set()
    for error in errors:
        if error["type"] != "extra_forbidden":
            continue
        loc = tuple(error["loc"])
        close = difflib.get_close_matches(str(loc[-1]), _allowed_keys(root, loc[:-1]), n=1)
        if close and (*loc[:-1], close[0]) in missing:
            meant.add((*loc[:-1], close[0]))
    return meant


def dotted(path: Path) -> str:
    """``("purposes", 2, "name")`` as ``purposes[2].name``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(document)"


def _message(error: Any, loc: Path, root: type[BaseModel]) -> str:
    kind = error["type"]
    where = dotted(loc[:-1]) if loc else "(document)"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(root, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        if close:
            return f"unknown key {loc[-1]!r} in {where}; did you mean {close[0]!r}?"
        hint = f"; allowed keys here: {', '.join(allowed)}" if allowed else ""
        return f"unknown key {loc[-1]!r} in {where}{hint}"
    if kind == "missing":
        return f"missing required key {loc[-1]!r} in {where}"
    if kind == "string_type" and isinstance(error.get("input"), int | float):
        return f"{dotted(loc)}: expected text, got a number; put it in quotes"
    if kind == "literal_error" and "[key]" in error["loc"]:
        return f"{dotted(loc)}: unsupported language {loc[-1]!r}; use nl, en or fr"
    msg = str(error["msg"])
    msg = msg.removeprefix("Value error, ")
    if kind in {"enum", "literal_error"} and isinstance(error.get("input"), str):
        choices = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        close = difflib.get_close_matches(error["input"], choices, n=1)
        if close:
            return f"{dotted(loc)}: {error['input']!r} is not allowed; did you mean {close[0]!r}?"
    return f"{dotted(loc)}: {msg}"


def _allowed_keys(root: type[BaseModel], path: Path) -> list[str]:
    model: Any = root
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(part)
        if field is None:
            return []
        model = _model_in(field.annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _model_in(annotation: Any) -> Any:
    """The BaseModel inside list[...], X | None, Annotated[...] wrappers, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is None and not isinstance(annotation, types.UnionType):
        return None
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
