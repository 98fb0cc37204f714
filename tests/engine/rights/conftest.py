"""Fixtures of the rights-request engine tests: a verifier, and helpers to read the outbox."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from privaat.engine.rights.verify import Verifier
from privaat.store.db import Store
from privaat.store.models import OutboxMessage
from tests.conftest import TEST_SECRET

TTL = dt.timedelta(minutes=30)


@pytest.fixture
def verifier() -> Verifier:
    return Verifier(TEST_SECRET, "http://testserver", TTL)


def messages(store: Store, kind: str | None = None) -> list[OutboxMessage]:
    with store.reading() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        return list(session.execute(query).scalars())


def code_in(message: OutboxMessage) -> str:
    found = re.search(r"^    (\d{6})$", message.body, re.MULTILINE)
    assert found, message.body
    return found.group(1)


def token_in(message: OutboxMessage) -> str:
    found = re.search(r"http://testserver/p/[a-z0-9-]+/verify/(\S+)", message.body)
    assert found, message.body
    return found.group(1)
