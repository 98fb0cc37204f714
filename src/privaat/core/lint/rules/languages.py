"""Rules on the languages the notice is published in (Art. 12(1) GDPR)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel

from privaat.core.lint.engine import Hit, Severity, rule
from privaat.core.policy.model import LANGUAGES, Policy
from privaat.core.yamlsource import Path


def localized_texts(
    model: BaseModel, path: Path = (), label: str = ""
) -> Iterator[tuple[Path, str, Mapping[str, str]]]:
    """Every text in several languages below `model`: its path, a readable label, the text.

    A localized text is any non-empty mapping whose keys are all notice languages.
    The label names list items by their id (or key, or name), e.g.
    ``purposes['newsletter'].name``.
    """
    for name in type(model).model_fields:
        yield from _walk(getattr(model, name), (*path, name), f"{label}.{name}" if label else name)


def _walk(value: Any, path: Path, label: str) -> Iterator[tuple[Path, str, Mapping[str, str]]]:
    if isinstance(value, BaseModel):
        yield from localized_texts(value, path, label)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _walk(item, (*path, i), f"{label}[{_item_name(item, i)}]")
    elif isinstance(value, Mapping) and value and all(key in LANGUAGES for key in value):
        yield path, label, value


def _item_name(item: Any, index: int) -> str:
    for attr in ("id", "key", "name"):
        name = getattr(item, attr, None)
        if isinstance(name, str):
            return repr(name)
    return str(index)


@rule(
    "PV901",
    Severity.WARNING,
    "text missing in a language the policy is published in",
    "GDPR Art. 12(1)",
)
def missing_translation(policy: Policy) -> Iterator[Hit]:
    for path, label, text in localized_texts(policy):
        missing = [lang for lang in policy.languages if lang not in text]
        if missing:
            langs = ", ".join(missing)
            yield Hit(
                path,
                f"{label} has no {langs} text, though the policy is published in "
                f"{', '.join(policy.languages)}",
                f"add the {langs} translation of {label}",
            )
