"""Policies shared by the notice tests."""

from __future__ import annotations

import pytest

from privaat.core.policy.model import Policy

from .helpers import load


@pytest.fixture
def minimal() -> Policy:
    return load("minimal")


@pytest.fixture
def rich() -> Policy:
    return load("rich")
