"""Built-in lint rules, one module per part of the policy. Importing registers them."""

from privaat.core.lint.rules import (
    categories,
    controller,
    cookies,
    decisions,
    languages,
    purposes,
    recipients,
    retention,
    rights,
)

__all__ = [
    "categories",
    "controller",
    "cookies",
    "decisions",
    "languages",
    "purposes",
    "recipients",
    "retention",
    "rights",
]
