"""Fixtures for everything that touches privaat's own store.

Each test that asks for ``store`` runs twice: on SQLite in a temp dir and on PostgreSQL at
127.0.0.1:5432 (a database made for this test session, emptied after each test). Locally a
missing PostgreSQL skips its half; under CI=true it is a failure.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from privaat.api import create_app
from privaat.core.access import ALL_SCOPES, Scope
from privaat.core.clock import FrozenClock
from privaat.engine import orgs, tokens
from privaat.examples import example_text
from privaat.settings import Settings
from privaat.store.db import Store
from privaat.store.migrate import upgrade
from privaat.store.models import Base, Organisation

POSTGRES_ADMIN_URL = os.environ.get(
    "PRIVAAT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TEST_SECRET = "test-secret-key-0123456789-abcdefghijklmnop"
START = dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)


def _unavailable(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "template.sqlite3"
    store = Store(f"sqlite:///{path}")
    upgrade(store.engine)
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name = f"privaat_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server: a skip locally, a failure in CI
        admin.dispose()
        _unavailable(f"PostgreSQL at {POSTGRES_ADMIN_URL} is not available: {type(exc).__name__}")
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    store = Store(url)
    upgrade(store.engine)
    store.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_store(postgres_url: str) -> Iterator[Store]:
    """The session's PostgreSQL store, emptied after the test (for tests that start a real
    server on it)."""
    store = Store(postgres_url)
    yield store
    store.dispose()
    engine = create_engine(postgres_url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


def drop_connections(store: Store) -> None:
    """End every other connection to the store's database, as a restart would (PostgreSQL;
    SQLite has no server whose connections could drop)."""
    if store.dialect == "postgresql":
        with store.engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )


def jetstax_for_a_server(store: Store, url: str) -> tuple[int, str, dict[str, str]]:
    """The Jetstax example loaded with an API token of every scope: its organisation id, the
    token, and the environment a ``privaat serve`` on ``url`` runs with."""
    now = dt.datetime.now(dt.UTC)
    with store.transaction() as session:
        org = orgs.create_org(session, "jetstax", "Jetstax", now=now, actor="test")
        orgs.load_version(session, org, example_text("jetstax"), now=now, actor="test")
        _row, token = tokens.issue_api_token(
            session,
            org_id=org.id,
            scopes=ALL_SCOPES,
            name="load",
            now=now,
            actor="test",
            ttl=dt.timedelta(hours=1),
        )
    env = {
        "PRIVAAT_ENVIRONMENT": "production",
        "PRIVAAT_SECRET_KEY": TEST_SECRET,
        "PRIVAAT_DATABASE_URL": url,
        "PRIVAAT_AUDIT_SEAL_SECONDS": "0.2",
    }
    return org.id, token, env


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "privaat.sqlite3"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_url")
    yield url
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url)
    yield store
    store.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        secret_key=TEST_SECRET,
        base_url="http://testserver",
        auth_cache_seconds=0,
        export_dir=tmp_path / "exports",
    )


@pytest.fixture
def app(settings: Settings, store: Store, clock: FrozenClock) -> FastAPI:
    return create_app(settings, store=store, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def org(store: Store, clock: FrozenClock) -> Organisation:
    """An organisation running the Jetstax example policy."""
    with store.transaction() as session:
        org = orgs.create_org(session, "jetstax", "Jetstax BV", now=clock.now(), actor="cli")
        orgs.load_version(session, org, example_text("jetstax"), now=clock.now(), actor="cli")
    return org


TokenFactory = Callable[..., str]


@pytest.fixture
def token_for(store: Store, clock: FrozenClock) -> TokenFactory:
    """Issue an API token with the given scopes in an organisation (default: all scopes)."""

    def issue(org: Organisation, scopes: frozenset[Scope] = ALL_SCOPES) -> str:
        with store.transaction() as session:
            _row, token = tokens.issue_api_token(
                session,
                org_id=org.id,
                scopes=scopes,
                name="test",
                now=clock.now(),
                actor="cli",
                ttl=dt.timedelta(days=30),
            )
        return token

    return issue


@pytest.fixture
def admin_token(org: Organisation, token_for: TokenFactory) -> str:
    return token_for(org)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --------------------------------------------------------------------------- company databases
#
# The company's own databases that connectors work on (tests/companydb.py): each test that
# asks for ``company_url`` runs on SQLite, PostgreSQL and MariaDB, with the fixture's schema
# created and filled afresh. Under CI=true a missing server is a failure.

MYSQL_ADMIN_URL = os.environ.get("PRIVAAT_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/")


@pytest.fixture(scope="session")
def company_servers() -> Iterator[dict[str, str]]:
    """One scratch database per server for this test session: dialect -> URL."""
    name = f"privaat_co_{uuid.uuid4().hex[:12]}"
    made: dict[str, str] = {}
    for dialect, admin_url, quote in (
        ("postgresql", POSTGRES_ADMIN_URL, '"'),
        ("mysql", MYSQL_ADMIN_URL, "`"),
    ):
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f"CREATE DATABASE {quote}{name}{quote}"))
            made[dialect] = admin.url.set(database=name).render_as_string(hide_password=False)
        except Exception as exc:  # recorded; the tests that need it skip or fail
            made[dialect] = f"unavailable: {type(exc).__name__}"
        finally:
            admin.dispose()
    yield made
    for dialect, admin_url, quote in (
        ("postgresql", POSTGRES_ADMIN_URL, '"'),
        ("mysql", MYSQL_ADMIN_URL, "`"),
    ):
        if made[dialect].startswith("unavailable"):
            continue
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            force = " WITH (FORCE)" if dialect == "postgresql" else ""
            conn.execute(text(f"DROP DATABASE IF EXISTS {quote}{name}{quote}{force}"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def company_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A company database (tests/companydb.py), freshly created and filled, on each server."""
    from tests import companydb

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'company.sqlite3'}"
    else:
        url = request.getfixturevalue("company_servers")[request.param]
        if url.startswith("unavailable"):
            _unavailable(f"{request.param} for the company database is {url}")
    engine = create_engine(url)
    try:
        companydb.metadata.drop_all(engine)
        companydb.metadata.create_all(engine)
        with engine.begin() as conn:
            companydb.seed(conn)
    finally:
        engine.dispose()
    return url
