"""What every example test reads: the example's policy, its notices and its lint findings.

Each test module names its bundled example in ``NAME``; the fixtures load that example.
"""

from __future__ import annotations

import pytest

from privaat.core.lint import Finding, lint
from privaat.core.policy import Policy, load_policy
from privaat.core.policy.model import Lang
from privaat.examples import example_text
from privaat.notice import render_notice
from privaat.notice.render import Format

#: A finding as (code, id of the list item it points into), e.g. ("PV401", "google").
Place = tuple[str, str]


@pytest.fixture(scope="module")
def policy(request: pytest.FixtureRequest) -> Policy:
    name: str = request.module.NAME
    return load_policy(example_text(name), f"{name}.yaml").policy


@pytest.fixture(scope="module")
def notice_nl(policy: Policy) -> str:
    return render_notice(policy, "nl", "md")


@pytest.fixture(scope="module")
def controller_section_nl(notice_nl: str) -> str:
    """The Dutch notice's section on who the controller is."""
    start = notice_nl.index("Wie is verantwoordelijk voor uw persoonsgegevens")
    return notice_nl[start : notice_nl.index("\n## ", start)]


@pytest.fixture(
    scope="module",
    params=[("en", "md"), ("en", "html"), ("fr", "md"), ("fr", "html")],
    ids=lambda param: "-".join(param),
)
def notice_en_fr(request: pytest.FixtureRequest, policy: Policy) -> str:
    """The English or the French notice, as Markdown or HTML: each test runs for all four."""
    lang: Lang
    fmt: Format
    lang, fmt = request.param
    return render_notice(policy, lang, fmt)


@pytest.fixture(scope="module")
def findings(policy: Policy) -> list[Finding]:
    return lint(policy)


@pytest.fixture(scope="module")
def places(policy: Policy, findings: list[Finding]) -> set[Place]:
    """Where every finding points."""
    return {(f.code, _item(policy, f)) for f in findings}


def _item(policy: Policy, finding: Finding) -> str:
    """The id (or key, name, statute) of the list item a finding points into."""
    path = finding.path
    if len(path) < 2 or not isinstance(path[1], int):
        return str(path[0]) if path else ""
    item = getattr(policy, str(path[0]))[path[1]]
    for attr in ("id", "key", "name", "statute"):
        value = getattr(item, attr, None)
        if isinstance(value, str):
            return value
    return str(path[1])
