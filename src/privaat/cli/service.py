"""What every command that touches privaat's store shares: settings, the store, the clock."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from pydantic import ValidationError

from privaat.errors import UsageError
from privaat.settings import Settings
from privaat.store.db import Store
from privaat.store.migrate import is_up_to_date, upgrade

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="privaat's store, e.g. sqlite:///privaat.sqlite3 or "
        "postgresql+psycopg://user@host/db (default: PRIVAAT_DATABASE_URL, then the SQLite file).",
        show_default=False,
    ),
]


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with the command's options on top; one clear line if bad."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise UsageError(f"settings: {where + ': ' if where else ''}{message}") from None


def open_store(settings: Settings) -> Store:
    """The store, its schema current: SQLite (embedded) is migrated on the spot, PostgreSQL
    must have been migrated with ``privaat db upgrade``."""
    store = Store(settings.database_url)
    try:
        if store.dialect == "sqlite":
            upgrade(store.engine)
        elif not is_up_to_date(store.engine):
            raise UsageError("the database schema is not current; run: privaat db upgrade")
    except UsageError:
        store.dispose()
        raise
    except Exception as exc:  # a connection or permission problem, said in one line
        store.dispose()
        raise UsageError(
            f"cannot open the database: {type(exc).__name__}: {_first_line(exc)}"
        ) from None
    return store


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else ""
