"""Lay the notice's view model out as Markdown or as a standalone HTML page."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, Literal, cast

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from privaat.core.policy.model import LANGUAGES, Lang, Policy
from privaat.errors import UsageError
from privaat.i18n import Words, translations
from privaat.notice import markdown
from privaat.notice.build import build_notice

Format = Literal["md", "html"]
FORMATS: tuple[Format, ...] = ("md", "html")
TEMPLATES = Path(__file__).parent / "templates"


def render_notice(policy: Policy, lang: Lang, fmt: Format) -> str:
    """The privacy notice of `policy` in `lang`, as Markdown (``md``) or HTML (``html``).

    Texts the policy lacks in `lang` fall back to another of its languages (marked with
    their own ``lang`` in HTML); the linter reports such gaps.
    """
    if lang not in LANGUAGES:
        raise UsageError(f"no notice language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    if fmt not in FORMATS:
        raise UsageError(f"no notice format {fmt!r}; choose one of {', '.join(FORMATS)}")
    notice = build_notice(policy, lang, Words(lang))
    text = _environment(lang, fmt).get_template(f"notice.{fmt}.j2").render(notice=notice)
    if fmt == "md":
        text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n"


@cache
def _environment(lang: Lang, fmt: Format) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=fmt == "html",
        finalize=markdown.finalize if fmt == "md" else None,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # Added by the i18n extension; typed stubs do not know it.
    cast(Any, env).install_gettext_translations(translations(lang), newstyle=True)
    return env
