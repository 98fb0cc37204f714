"""privaat's settings, read from the environment (``PRIVAAT_*``) or a ``.env`` file.

Nothing is instantiated at import time: the CLI builds one :class:`Settings` and passes it
to ``create_app`` and the engine. Outside development the settings refuse to start with the
built-in secret key, so that a production install can never sign links with a known key.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The development key: fine on a laptop, refused when ``environment`` is not development.
DEVELOPMENT_SECRET = "privaat-development-secret-do-not-use-in-production"

Environment = Literal["development", "test", "production"]
TaskQueue = Literal["inprocess", "procrastinate"]

_TIME_OF_DAY = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


class Settings(BaseSettings):
    """Configuration of one privaat install."""

    model_config = SettingsConfigDict(
        env_prefix="PRIVAAT_", env_file=".env", extra="ignore", frozen=True
    )

    environment: Environment = Field("development", description="development, test or production.")
    database_url: str = Field(
        "sqlite:///privaat.sqlite3",
        description="privaat's own store: a SQLite file (embedded default) or "
        "postgresql+psycopg://user@host/db.",
    )
    secret_key: SecretStr = Field(
        SecretStr(DEVELOPMENT_SECRET),
        description="Signs double opt-in and unsubscribe links; at least 32 characters.",
    )
    base_url: str = Field(
        "http://127.0.0.1:8000", description="Public address used in the links privaat sends."
    )
    session_ttl_seconds: int = Field(
        8 * 3600, ge=60, description="Lifetime of a staff session token after login."
    )
    token_ttl_days: int = Field(
        365, ge=1, le=3650, description="Default lifetime of an API token, in days."
    )
    confirmation_ttl_seconds: int = Field(
        7 * 24 * 3600, ge=300, description="Lifetime of a double opt-in confirmation link."
    )
    auth_cache_seconds: float = Field(
        5.0,
        ge=0,
        le=60,
        description="How long a resolved token is cached in the process; a revoked token "
        "stops working within this time.",
    )

    audit_seal_seconds: float = Field(
        1.0,
        ge=0.05,
        le=60,
        description="How often the service chains audit records a busy moment left pending "
        "(PostgreSQL; on SQLite every record is chained when it commits).",
    )

    verification_ttl_seconds: int = Field(
        1800,
        ge=60,
        le=7 * 24 * 3600,
        description="Lifetime of a rights request's verification code or link.",
    )
    smtp_url: str | None = Field(
        None,
        description="Where privaat's outbox delivers mail: smtp://host:port (STARTTLS when "
        "the server offers it) or smtps://user@host:port (TLS); unset, messages stay queued.",
    )
    smtp_password: SecretStr | None = Field(
        None, description="Password of the SMTP user named in PRIVAAT_SMTP_URL."
    )
    mail_from: str = Field(
        "privaat@localhost", description="Sender address of the mail privaat sends."
    )
    export_dir: Path = Field(
        Path("privaat-exports"),
        description="Folder for access and portability exports (relative to the working "
        "directory).",
    )
    export_ttl_days: int = Field(
        30, ge=1, le=365, description="Days an export stays available for download."
    )

    retention_schedule: str = Field(
        "03:00",
        description="When the service runs each organisation's retention sweep: a time of day "
        "(HH:MM) in Brussels time, daily; off: no scheduled sweeps.",
    )
    task_queue: TaskQueue = Field(
        "inprocess",
        description="Where scheduled work runs: inprocess (inside `privaat serve`, the embedded "
        "default) or procrastinate (a queue on privaat's PostgreSQL, run by `privaat worker`).",
    )

    @field_validator("retention_schedule")
    @classmethod
    def _retention_schedule(cls, value: str) -> str:
        value = value.strip().lower()
        if value == "off":
            return value
        found = _TIME_OF_DAY.fullmatch(value)
        if found is None:
            raise ValueError("expected a time of day as HH:MM (Brussels time) or off")
        return f"{int(found.group(1)):02d}:{found.group(2)}"

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        try:
            port = parts.port
        except ValueError:
            port = None  # not a number
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname or port is None:
            raise ValueError("expected smtp://host:port or smtps://user@host:port")
        if parts.password:
            raise ValueError("put the SMTP password in PRIVAAT_SMTP_PASSWORD, not in the URL")
        return value

    @model_validator(mode="after")
    def _no_default_secret_outside_development(self) -> Settings:
        secret = self.secret_key.get_secret_value()
        if self.environment != "development" and secret == DEVELOPMENT_SECRET:
            raise ValueError(
                "PRIVAAT_SECRET_KEY must be set outside development (the built-in key is public)"
            )
        if len(secret) < 32:
            raise ValueError("PRIVAAT_SECRET_KEY must be at least 32 characters long")
        return self

    @model_validator(mode="after")
    def _procrastinate_needs_postgresql(self) -> Settings:
        if self.task_queue == "procrastinate" and not self.database_url.startswith("postgresql"):
            raise ValueError(
                "PRIVAAT_TASK_QUEUE=procrastinate needs privaat's store on PostgreSQL: set "
                "PRIVAAT_DATABASE_URL to postgresql+psycopg://user@host/db"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def retention_time(self) -> dt.time | None:
        """The daily time of the retention sweeps (Brussels time); None when off."""
        if self.retention_schedule == "off":
            return None
        return dt.time.fromisoformat(self.retention_schedule)


def settings_markdown() -> str:
    """The settings reference (docs/settings.md), generated from :class:`Settings`."""
    lines = [
        "# Settings",
        "",
        "<!-- Generated by `privaat settings-reference`; do not edit. -->",
        "",
        "privaat reads its settings from environment variables (or a `.env` file in the",
        "working directory). Outside `development` a secret key of your own is required.",
        "",
        "| Variable | Default | Meaning |",
        "|---|---|---|",
    ]
    for name, info in Settings.model_fields.items():
        default = info.default
        shown = "(development key)" if isinstance(default, SecretStr) else f"`{default}`"
        lines.append(f"| `PRIVAAT_{name.upper()}` | {shown} | {info.description or ''} |")
    return "\n".join(lines) + "\n"
