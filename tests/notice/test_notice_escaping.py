"""Policy text is escaped in the HTML notice: it can never become markup or a script."""

from __future__ import annotations

import pytest

from privaat.core.policy.model import Lang, Policy
from privaat.errors import UsageError
from privaat.notice import render_notice

from .helpers import LANGS, parse_html, visible_text

SCRIPT = "<script>alert('x')</script>"


@pytest.mark.parametrize("lang", LANGS)
def test_script_in_a_purpose_name_comes_out_escaped(minimal: Policy, lang: Lang) -> None:
    purpose = minimal.purposes[0].model_copy(
        update={"name": {"nl": SCRIPT, "en": SCRIPT, "fr": SCRIPT}}
    )
    html = render_notice(minimal.model_copy(update={"purposes": [purpose]}), lang, "html")
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    page = parse_html(html)
    assert page.find("script") == []
    assert SCRIPT in visible_text(html, "html")


def test_unsafe_addresses_are_not_linked(minimal: Policy) -> None:
    contact = minimal.controller.contact.model_copy(
        update={"website": "javascript:alert(1)", "email": 'a@b.be" onclick="x'}
    )
    policy = minimal.model_copy(
        update={"controller": minimal.controller.model_copy(update={"contact": contact})}
    )
    html = render_notice(policy, "en", "html")
    page = parse_html(html)
    hrefs = [a.attrs["href"] for a in page.find("a")]
    assert not any(h.startswith("javascript:") for h in hrefs)
    assert not any("onclick" in a.attrs for a in page.find("a"))
    assert "javascript:alert(1)" in page.text


@pytest.mark.parametrize(("lang", "fmt"), [("de", "md"), ("nl", "pdf")])
def test_unknown_language_or_format_is_refused(minimal: Policy, lang: str, fmt: str) -> None:
    with pytest.raises(UsageError, match="choose one of"):
        render_notice(minimal, lang, fmt)  # type: ignore[arg-type]
