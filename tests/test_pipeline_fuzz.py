"""Whatever valid policy a user writes, lint, render, register and diff never crash.

Valid policies are made by removing parts of the bundled examples: list items and
optional keys. Removals that leave a dangling reference are refused by the loader,
which is right; the rest must go through the whole pipeline.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from privaat.core.lint import lint
from privaat.core.policy import Policy, load_policy
from privaat.core.policy.diff import diff_policies
from privaat.core.yamlsource import parse, walk_paths
from privaat.errors import InvalidDocument
from privaat.examples import EXAMPLES, example_text
from privaat.notice import render_notice
from privaat.register import export_ropa

SOURCES: dict[str, Any] = {name: parse(example_text(name), name).data for name in EXAMPLES}
ORIGINALS: dict[str, Policy] = {
    name: load_policy(example_text(name), name).policy for name in EXAMPLES
}


def _removable(data: Any) -> list[tuple[Any, ...]]:
    return [p for p in walk_paths(data) if p and p[0] not in {"privaat", "version", "date"}]


@st.composite
def trimmed(draw: st.DrawFn) -> tuple[str, Policy]:
    name = draw(st.sampled_from(sorted(EXAMPLES)))
    data = copy.deepcopy(SOURCES[name])
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        paths = _removable(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        del parent[path[-1]]
    try:
        policy = load_policy(json.dumps(data, default=str), f"{name}.yaml").policy
    except InvalidDocument:
        assume(False)
        raise
    return name, policy


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(trimmed())
def test_pipeline_never_crashes(case: tuple[str, Policy]) -> None:
    name, policy = case
    for finding in lint(policy):
        assert finding.message
        assert finding.fix
    for lang in policy.languages:
        assert policy.controller.name in render_notice(policy, lang, "md")
        assert render_notice(policy, lang, "html").startswith("<!DOCTYPE html>")
    for fmt in ("csv", "json", "jsonld", "xlsx"):
        assert export_ropa(policy, fmt)
    change = diff_policies(ORIGINALS[name], policy)
    assert isinstance(change.as_dict(), dict)
    assert change.render_text()
