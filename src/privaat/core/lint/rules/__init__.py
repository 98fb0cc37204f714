"""Built-in lint rules, one module per part of the policy. Importing registers them."""

from privaat.core.lint.rules import (  # noqa: F401
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
