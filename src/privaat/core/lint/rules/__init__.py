"""Built-in lint rules, one module per part of the policy. Importing registers them."""

from privaat.core.lint.rules import purposes  # noqa: F401
