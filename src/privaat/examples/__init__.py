"""The bundled example policies: one per reference company in shared/seeds/."""

from __future__ import annotations

from importlib import resources

from privaat.errors import UsageError

#: name -> what the company does (the seed it models).
EXAMPLES: dict[str, str] = {
    "jetstax": "managed hosting and cloud services (BE)",
    "jsm": "telecom services and installation (BE)",
    "jensdev": "web development consultancy with hosting and domains (BE)",
    "jixawstudio": "web solutions, hosting, domains (NL)",
    "sendtex": "e-mail marketing SaaS, processor for customers' lists (BE)",
}


def example_text(name: str) -> str:
    """The YAML text of a bundled example."""
    if name not in EXAMPLES:
        raise UsageError(f"unknown example {name!r}; choose one of: {', '.join(EXAMPLES)}")
    return resources.files(__package__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
