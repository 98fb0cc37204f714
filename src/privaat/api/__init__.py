"""The HTTP API (FastAPI): parse, call the engine, present. Built by :func:`create_app`."""

from privaat.api.app import create_app

__all__ = ["create_app"]
