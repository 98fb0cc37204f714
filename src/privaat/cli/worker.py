"""``privaat worker``: run the jobs of the procrastinate queue (``PRIVAAT_TASK_QUEUE=procrastinate``)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from privaat.cli.service import DatabaseOption, load_settings, open_store
from privaat.errors import UsageError


def worker_command(
    database: DatabaseOption = None,
    concurrency: Annotated[
        int, typer.Option(help="Jobs this process runs at once (each sweep is one job).", min=1)
    ] = 1,
    log_level: Annotated[str, typer.Option(help="Log level: debug, info, warning.")] = "info",
) -> None:
    """Run the task queue's jobs: the scheduled retention sweeps.

    Needs PRIVAAT_TASK_QUEUE=procrastinate (and `privaat db upgrade` once). Start as many workers as wanted, on any machine that reaches the database: no two run the
    same organisation's sweep at once. SIGTERM or Ctrl-C stops the worker; a sweep at work
    stops after its current batch and is resumed at the next hourly tick.
    """
    settings = load_settings(database_url=database)
    if settings.task_queue != "procrastinate":
        raise UsageError(
            "privaat worker runs the procrastinate queue: set PRIVAAT_TASK_QUEUE=procrastinate "
            "(with the inprocess default, `privaat serve` runs the schedule itself)"
        )
    from privaat import queue

    store = open_store(settings)  # refuses a store whose schema is not current
    try:
        if not queue.has_schema(settings):
            raise UsageError("the task queue's tables are missing; run: privaat db upgrade")
        level = getattr(logging, log_level.upper(), None)
        if not isinstance(level, int):
            raise UsageError(f"--log-level {log_level!r}: use debug, info or warning")
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        app = queue.make_app(settings, store)
        # procrastinate's own handlers: SIGTERM and SIGINT stop fetching jobs; a running
        # sweep is asked to stop at once (shutdown_graceful_timeout=0) and does so after
        # its current batch.
        app.run_worker(
            concurrency=concurrency,
            install_signal_handlers=True,
            shutdown_graceful_timeout=0,
        )
    finally:
        store.dispose()
