"""The Markdown notice is clean CommonMark, and policy text never turns into markup."""

from __future__ import annotations

import pytest

from privaat.core.policy.model import Lang, Policy
from privaat.notice import render_notice
from privaat.notice.markdown import escape

from .helpers import LANGS, markdown_to_html, parse_html, rendered, visible_text


@pytest.mark.parametrize("lang", LANGS)
def test_structure(lang: Lang) -> None:
    md = rendered("rich", lang, "md")
    assert md.startswith("# ")
    assert md.endswith("\n")
    assert not md.endswith("\n\n")
    assert "\n\n\n" not in md
    assert not any(line != line.rstrip() for line in md.splitlines())
    p = parse_html(markdown_to_html(md))
    assert len(p.find("h1")) == 1
    assert len(p.find("h2")) == 16
    assert len(p.find("table")) == 2
    assert p.find("li")
    # nothing of the notice is read as raw HTML or code
    assert not any(e.tag in ("script", "pre", "code", "hr") for e in p.elements)


def test_links_are_links() -> None:
    p = parse_html(markdown_to_html(rendered("rich", "en", "md")))
    hrefs = {a.attrs["href"] for a in p.find("a")}
    assert "mailto:privacy@nimbus-hosting.be" in hrefs
    assert "https://www.gegevensbeschermingsautoriteit.be" in hrefs
    assert "tel:+3235551234" in hrefs
    assert not any(h.startswith("#") for h in hrefs)  # anchors differ per Markdown renderer


@pytest.mark.parametrize(
    "text",
    [
        "*bold* _em_ **x** `code`",
        "[link](https://evil.example) ![img](x.png)",
        "<script>alert(1)</script> &amp; &#60;",
        "# not a heading",
        "- not a list",
        "1. not a list",
        "+ not a list",
        "---",
        "> not a quote",
        "a | b | c",
        "back\\slash ~~strike~~",
        "line\n\nbreak    spaces",
    ],
)
def test_escape_keeps_text_literal(text: str) -> None:
    html = markdown_to_html(escape(text))
    page = parse_html(html)
    assert [e.tag for e in page.elements] == ["p"]
    assert page.text == " ".join(text.split())


def test_policy_text_is_escaped(minimal: Policy) -> None:
    hostile = "<script>alert(1)</script> *x* [y](https://evil.example)"
    purpose = minimal.purposes[0].model_copy(
        update={"name": {"nl": hostile, "en": hostile, "fr": hostile}}
    )
    contact = minimal.controller.contact.model_copy(update={"website": "javascript:alert(1)"})
    controller = minimal.controller.model_copy(update={"name": "# Evil | Corp", "contact": contact})
    policy = minimal.model_copy(update={"purposes": [purpose], "controller": controller})
    for lang in LANGS:
        md = render_notice(policy, lang, "md")
        html = markdown_to_html(md)
        page = parse_html(html)
        assert page.find("script") == []
        assert "https://evil.example" not in {a.attrs.get("href") for a in page.find("a")}
        assert not any("javascript:" in a.attrs.get("href", "") for a in page.find("a"))
        text = visible_text(md, "md")
        assert hostile in text
        assert "# Evil | Corp" in text
        assert "javascript:alert(1)" in text
