"""``privaat serve``: run the HTTP API (to be filled)."""

from __future__ import annotations


def serve_command() -> None:
    """Run the HTTP API."""
