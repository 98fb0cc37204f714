"""The ASGI factory uvicorn's workers call: the app from the environment's settings.

``uvicorn --factory privaat.api.asgi:app_from_environment`` (what ``privaat serve`` runs). It
runs the retention schedule too when ``PRIVAAT_TASK_QUEUE`` is ``inprocess``.
"""

from __future__ import annotations

from fastapi import FastAPI

from privaat.api.app import create_app
from privaat.settings import Settings


def app_from_environment() -> FastAPI:
    return create_app(Settings(), schedule=True)
