"""Settings refuse what would be unsafe, with one readable line in the CLI."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from privaat.settings import DEVELOPMENT_SECRET, Settings


def test_development_may_use_the_built_in_key() -> None:
    settings = Settings(environment="development")
    assert settings.secret_key.get_secret_value() == DEVELOPMENT_SECRET


@pytest.mark.parametrize("environment", ["production", "test"])
def test_outside_development_the_built_in_key_is_refused(environment: str) -> None:
    with pytest.raises(ValidationError, match="PRIVAAT_SECRET_KEY must be set"):
        Settings(environment=environment)


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(environment="production", secret_key="short")


def test_the_secret_is_never_shown() -> None:
    settings = Settings(environment="production", secret_key="s" * 40)
    assert "s" * 40 not in repr(settings)
    assert "s" * 40 not in str(settings.model_dump())


def test_the_cli_says_what_is_wrong_in_one_line(tmp_path: object) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "privaat", "db", "upgrade"],
        env={"PRIVAAT_ENVIRONMENT": "production", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: settings: PRIVAAT_SECRET_KEY must be set outside development (the built-in key is public)"
    ]
