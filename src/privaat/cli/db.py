"""``privaat db``: privaat's own store."""

from __future__ import annotations

import typer

from privaat.cli.service import DatabaseOption, load_settings
from privaat.errors import UsageError
from privaat.store.db import Store
from privaat.store.migrate import current_revision, head_revision, upgrade

app = typer.Typer(no_args_is_help=True, help="privaat's own store: migrations.")


@app.command("upgrade")
def upgrade_command(database: DatabaseOption = None) -> None:
    """Create or migrate the store's schema to the newest version.

    With PRIVAAT_TASK_QUEUE=procrastinate it also creates the task queue's tables when they
    are missing.
    """
    settings = load_settings(database_url=database)
    store = Store(settings.database_url)
    try:
        before = current_revision(store.engine)
        upgrade(store.engine)
    except UsageError:
        raise
    except Exception as exc:
        raise UsageError(f"cannot migrate the database: {type(exc).__name__}") from None
    finally:
        store.dispose()
    after = head_revision()
    if before == after:
        typer.echo(f"the store is current (revision {after})")
    else:
        typer.echo(f"the store was migrated from {before or 'empty'} to {after}")
    if settings.task_queue == "procrastinate":
        from privaat import queue

        try:
            made = queue.ensure_schema(settings)
        except Exception as exc:
            raise UsageError(
                f"cannot create the task queue's tables: {type(exc).__name__}"
            ) from None
        typer.echo(
            "the task queue's tables were created" if made else "the task queue's tables exist"
        )
