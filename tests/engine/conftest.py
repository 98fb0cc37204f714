"""The engine tests' fixtures: a policy cache of their own."""

from __future__ import annotations

import pytest

from privaat.engine.orgs import PolicyCache


@pytest.fixture
def policies() -> PolicyCache:
    return PolicyCache()
