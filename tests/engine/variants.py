"""Variants of the Jetstax example policy that the consent tests load as a new version."""

from __future__ import annotations

from privaat.examples import example_text


def jetstax_with(*replacements: tuple[str, str]) -> str:
    """The Jetstax example with each (old, new) text replaced once; fails if one is missing."""
    text = example_text("jetstax")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


#: The newsletter's consent lapses after a year.
NEWSLETTER_EXPIRES = (
    "      withdrawal: {nl: U kunt zich uiteraard afmelden voor dit soort berichten.",
    "      expires_after: P1Y\n"
    "      withdrawal: {nl: U kunt zich uiteraard afmelden voor dit soort berichten.",
)

#: The newsletter's text changes in a way that needs new consent.
NEWSLETTER_REWORDED = (
    "en: The Jetstax newsletter,",
    "en: The Jetstax newsletter with partner offers,",
)
