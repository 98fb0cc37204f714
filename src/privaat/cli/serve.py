"""``privaat serve``: run the HTTP API; with ``--demo``, on a ready-made example organisation."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from privaat.cli.service import DatabaseOption, load_settings, open_store
from privaat.examples import EXAMPLES


def serve_command(
    database: DatabaseOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(help="Worker processes (use about one per core in production).", min=1)
    ] = 1,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Serve a demo organisation (an example policy, staff, an API token, subjects "
            "and consents) from privaat-demo/privaat.sqlite3, created on first use.",
        ),
    ] = False,
    example: Annotated[
        str, typer.Option(help=f"The example policy of the demo: {', '.join(EXAMPLES)}.")
    ] = "jetstax",
    log_level: Annotated[str, typer.Option(help="uvicorn's log level.")] = "info",
) -> None:
    """Run the HTTP API (OpenAPI at /docs).

    With PRIVAAT_TASK_QUEUE=inprocess (the default) it also runs the retention schedule (off
    in the demo unless PRIVAAT_RETENTION_SCHEDULE is set).
    """
    import uvicorn

    if demo and database is None:
        folder = Path("privaat-demo")
        folder.mkdir(exist_ok=True)
        database = f"sqlite:///{(folder / 'privaat.sqlite3').resolve()}"
    # Links privaat hands out must reach this server unless the public address is set.
    os.environ.setdefault("PRIVAAT_BASE_URL", f"http://{host}:{port}")
    if demo:
        # The demo's expired rows are there to be planned and swept by hand first
        # (`privaat retention plan|run jensdev`); PRIVAAT_RETENTION_SCHEDULE turns it on.
        os.environ.setdefault("PRIVAAT_RETENTION_SCHEDULE", "off")
    settings = load_settings(database_url=database)
    store = open_store(settings)  # migrates the embedded SQLite store
    try:
        if demo:
            from privaat.cli.demo_service import seed_demo

            seed_demo(store, settings, example=example, base=f"http://{host}:{port}")
    finally:
        store.dispose()
    os.environ["PRIVAAT_DATABASE_URL"] = settings.database_url
    uvicorn.run(
        "privaat.api.asgi:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=False,  # access lines carry e-mail addresses in query strings
        proxy_headers=False,
    )
