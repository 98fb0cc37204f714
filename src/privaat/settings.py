"""privaat's settings, read from the environment (``PRIVAAT_*``) or a ``.env`` file.

Nothing is instantiated at import time: the CLI builds one :class:`Settings` and passes it
to ``create_app`` and the engine. Outside development the settings refuse to start with the
built-in secret key, so that a production install can never sign links with a known key.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The development key: fine on a laptop, refused when ``environment`` is not development.
DEVELOPMENT_SECRET = "privaat-development-secret-do-not-use-in-production"

Environment = Literal["development", "test", "production"]


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

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
