"""Load a policy file: bytes -> YAML with positions -> validated Policy -> checked references.

Fails closed: any problem raises, with every issue found and its file:line:column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from privaat.core.policy.model import Policy
from privaat.core.policy.refs import reference_problems
from privaat.core.validation import issues_from_validation
from privaat.core.yamlsource import MAX_BYTES, SourceMap, decode, parse
from privaat.errors import InvalidDocument, SourceIssue, UnreadableInput


@dataclass(frozen=True, slots=True)
class LoadedPolicy:
    """A valid policy and where each of its parts stands in its file."""

    policy: Policy
    source_map: SourceMap

    @property
    def file(self) -> str:
        return self.source_map.file


def load_policy(content: bytes | str, file: str = "<policy>") -> LoadedPolicy:
    """Validate policy text; raise UnreadableInput or InvalidDocument with every issue."""
    text = decode(content, file) if isinstance(content, bytes) else content
    document = parse(text, file)
    smap = document.source_map
    if not isinstance(document.data, dict):
        kind = "empty" if document.data is None else type(document.data).__name__
        raise InvalidDocument(
            [SourceIssue(file, 1, 1, f"a policy is a YAML mapping at the top level, got {kind}")]
        )
    try:
        policy = Policy.model_validate(document.data)
    except ValidationError as exc:
        raise InvalidDocument(issues_from_validation(exc, Policy, smap)) from None
    problems = reference_problems(policy)
    if problems:
        issues = sorted(
            (smap.issue(path, message) for path, message in problems),
            key=lambda i: (i.line, i.column),
        )
        raise InvalidDocument(issues)
    return LoadedPolicy(policy, smap)


def read_policy(path: str | Path) -> LoadedPolicy:
    """Read and validate a policy file."""
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
    return load_policy(raw, name)
