"""Load a data-map file: bytes -> YAML with positions -> validated DataMap -> checked references.

Fails closed like the policy loader: any problem raises, with every issue found and its
file:line:column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from privaat.core.datamap.model import DataMap
from privaat.core.datamap.refs import reference_problems
from privaat.core.policy.model import Policy
from privaat.core.validation import issues_from_validation
from privaat.core.yamlsource import MAX_BYTES, SourceMap, decode, parse
from privaat.errors import InvalidDocument, SourceIssue, UnreadableInput


@dataclass(frozen=True, slots=True)
class LoadedDataMap:
    """A valid data map and where each of its parts stands in its file."""

    datamap: DataMap
    source_map: SourceMap
    #: The folder relative SQLite paths in the map are resolved against.
    base_dir: Path

    @property
    def file(self) -> str:
        return self.source_map.file


def load_datamap(
    content: bytes | str,
    file: str = "<datamap>",
    *,
    policy: Policy | None = None,
    base_dir: Path | None = None,
) -> LoadedDataMap:
    """Validate data-map text (against ``policy`` when given); raise with every issue."""
    text = decode(content, file) if isinstance(content, bytes) else content
    document = parse(text, file)
    smap = document.source_map
    if not isinstance(document.data, dict):
        kind = "empty" if document.data is None else type(document.data).__name__
        raise InvalidDocument(
            [SourceIssue(file, 1, 1, f"a data map is a YAML mapping at the top level, got {kind}")]
        )
    try:
        datamap = DataMap.model_validate(document.data)
    except ValidationError as exc:
        raise InvalidDocument(issues_from_validation(exc, DataMap, smap)) from None
    problems = reference_problems(datamap, policy)
    if problems:
        issues = sorted(
            (smap.issue(path, message) for path, message in problems),
            key=lambda i: (i.line, i.column),
        )
        raise InvalidDocument(issues)
    return LoadedDataMap(datamap, smap, base_dir if base_dir is not None else Path.cwd())


def read_datamap(path: str | Path, *, policy: Policy | None = None) -> LoadedDataMap:
    """Read and validate a data-map file."""
    name = str(path)
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)  # decode() refuses anything longer
    except FileNotFoundError:
        raise UnreadableInput(SourceIssue(name, 1, 1, "no such file")) from None
    except IsADirectoryError:
        raise UnreadableInput(SourceIssue(name, 1, 1, "is a directory, not a file")) from None
    except OSError as exc:
        raise UnreadableInput(SourceIssue(name, 1, 1, f"cannot read: {exc.strerror}")) from None
    return load_datamap(raw, name, policy=policy, base_dir=Path(path).resolve().parent)
