"""Helpers for API tests that need real staff members: enrolled, then logged in over HTTP."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from privaat.core.access import Role
from privaat.core.clock import FrozenClock
from privaat.engine import staff
from privaat.engine.secrets_box import SecretBox
from privaat.store.db import Store
from privaat.store.models import Organisation
from tests.conftest import TEST_SECRET

PASSWORD = "correct horse battery staple"
BOX = SecretBox(TEST_SECRET)


def enrol(
    store: Store, clock: FrozenClock, org: Organisation, role: Role, email: str
) -> tuple[int, str]:
    """A staff member ready to log in: their id and TOTP secret."""
    with store.transaction() as session:
        person, secret = staff.create_enrolled_staff(
            session,
            email=email,
            name=email.split("@")[0].title(),
            password=PASSWORD,
            org_id=org.id,
            role=role,
            now=clock.now(),
            actor="cli",
            box=BOX,
        )
    return person.id, secret


def login(
    client: TestClient, clock: FrozenClock, email: str, secret: str, password: str = PASSWORD
) -> str:
    """Log in over HTTP (in a fresh 30-second step, so codes never collide); the session token."""
    clock.advance(dt.timedelta(seconds=30))
    response = client.post(
        "/api/v1/auth/login",
        json={
            "email": email,
            "password": password,
            "code": staff.current_code(secret, clock.now()),
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token
