"""The ASGI factory uvicorn's workers call: the app from the environment's settings.

``uvicorn --factory privaat.api.asgi:app_from_environment`` (what ``privaat serve`` runs). It
runs the retention schedule too when ``PRIVAAT_TASK_QUEUE`` is ``inprocess``.
"""

from __future__ import annotations

import gc

from fastapi import FastAPI

from privaat.api.app import create_app
from privaat.settings import Settings


def app_from_environment() -> FastAPI:
    app = create_app(Settings(), schedule=True)
    # What a worker builds to serve (modules, the app, its routes and models: some 175,000
    # objects) lives as long as the worker. Frozen, the collector no longer scans it: a full
    # collection under load went from ~190,000 objects to ~20,000, each one a pause of the
    # worker's requests.
    gc.collect()
    gc.freeze()
    return app
