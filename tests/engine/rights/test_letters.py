"""Every message privaat sends exists in Dutch, English and French, and says what it must."""

from __future__ import annotations

import datetime as dt

import pytest

from privaat.core.policy.model import LANGUAGES, Lang
from privaat.core.requests import RequestKind
from privaat.engine.rights import letters
from privaat.engine.rights.letters import KIND_NAMES, LetterKind

CONTEXT: dict[str, object] = {
    "organisation": "Jetstax",
    "contact": "privacy@jetstax.example",
    "reference": "Ref-0123456789abcdefghij",
    "request_kind": "KIND",
    "received": "RECEIVED",
    "due": "DUE",
    "code": "123456",
    "link": "https://example.test/p/jetstax/verify/TOKEN",
    "expires": "EXPIRES",
    "reason": "THE REASON",
    "new_due": "NEW DUE",
    "months": 2,
    "authority": "AUTHORITY",
    "authority_website": "https://authority.example",
}

MUST_SAY: dict[LetterKind, tuple[str, ...]] = {
    LetterKind.ACKNOWLEDGEMENT: ("RECEIVED", "DUE", "KIND"),
    LetterKind.VERIFICATION_CODE: ("123456", "EXPIRES"),
    LetterKind.VERIFICATION_LINK: ("https://example.test/p/jetstax/verify/TOKEN", "EXPIRES"),
    LetterKind.EXTENSION: ("THE REASON", "NEW DUE"),
    LetterKind.REJECTION: ("THE REASON", "AUTHORITY", "https://authority.example"),
}


@pytest.mark.parametrize("kind", list(MUST_SAY))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_letter_renders_in_every_language(kind: LetterKind, lang: Lang) -> None:
    letter = letters.render(kind, lang, **CONTEXT)
    assert letter.subject
    assert "\n" not in letter.subject
    for phrase in (*MUST_SAY[kind], "Jetstax", "Ref-0123456789abcdefghij"):
        assert phrase in letter.body, (kind, lang, phrase)
    assert "{{" not in letter.body
    assert "{%" not in letter.body
    assert letter.body.endswith("\n")
    assert "\n\n\n\n" not in letter.body


def test_a_letter_without_a_value_fails_instead_of_leaving_a_blank() -> None:
    context = {k: v for k, v in CONTEXT.items() if k != "code"}
    with pytest.raises(Exception, match="code"):
        letters.render(LetterKind.VERIFICATION_CODE, "nl", **context)


def test_every_kind_of_request_has_a_name_in_every_language() -> None:
    for lang in LANGUAGES:
        assert set(KIND_NAMES[lang]) == set(RequestKind)


@pytest.mark.parametrize(
    ("lang", "written"),
    [("nl", "1 maart 2027"), ("en", "1 March 2027"), ("fr", "1 mars 2027")],
)
def test_dates_are_written_as_the_language_writes_them(lang: Lang, written: str) -> None:
    # 23:30 UTC on 28 February is 1 March in Brussels
    assert letters.day(dt.datetime(2027, 2, 28, 23, 30, tzinfo=dt.UTC), lang) == written
