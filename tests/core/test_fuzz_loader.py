"""Fuzz the policy loader: whatever the input, it answers with a privaat error or a Policy."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privaat.core.policy import load_policy
from privaat.core.yamlsource import parse, walk_paths
from privaat.errors import InvalidDocument, UnreadableInput

FIXTURE = Path(__file__).parents[1] / "fixtures" / "minimal.yaml"
TEXT = FIXTURE.read_text(encoding="utf-8")
DATA = parse(TEXT, "fixture").data
PATHS = [p for p in walk_paths(DATA) if p]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(["P3Y", "consent", "user.contact.email", "nl", "2024-01-01", "BE", ""]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _loads_or_refuses(text: str | bytes) -> None:
    """Either a Policy, or a privaat error whose every issue has a real place and a reason."""
    refusal: InvalidDocument | UnreadableInput | None = None
    try:
        load_policy(text, "fuzz.yaml")
    except (InvalidDocument, UnreadableInput) as exc:
        refusal = exc
    if refusal is None:
        return
    issues = refusal.issues if isinstance(refusal, InvalidDocument) else [refusal.issue]
    assert issues
    assert all(i.line >= 1 and i.column >= 1 and i.message for i in issues)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_arbitrary_text(text: str) -> None:
    _loads_or_refuses(text)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes(raw: bytes) -> None:
    _loads_or_refuses(raw)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PATHS), values)
def test_one_value_replaced(path: tuple[Any, ...], value: Any) -> None:
    data = copy.deepcopy(DATA)
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    _loads_or_refuses(json.dumps(data, default=str))


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len(TEXT) - 1), st.text(min_size=1, max_size=5))
def test_text_spliced(position: int, insert: str) -> None:
    _loads_or_refuses(TEXT[:position] + insert + TEXT[position:])


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=len(TEXT) - 1), st.integers(min_value=1, max_value=40))
def test_text_cut(position: int, length: int) -> None:
    _loads_or_refuses(TEXT[:position] + TEXT[position + length :])
