"""Fixtures of the retention examples: privaat's store with one example company in it, its
own database on SQLite (and on PostgreSQL and MariaDB where a test asks), and a way to plan
and run the sweep on any day."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from privaat.core.clock import FrozenClock
from privaat.engine import datamaps, orgs, retention
from privaat.engine.rights.execute import Runtime
from privaat.examples import example_text
from privaat.settings import Settings
from privaat.store.db import Store
from tests.conftest import TEST_SECRET, _unavailable
from tests.retention_examples import schemas

MAPS = Path(__file__).parent / "maps"
#: The day the policy and the map are loaded: before every date the tests travel to.
LOADED = dt.datetime(2014, 1, 2, 9, 0, tzinfo=dt.UTC)


def connector_of(url: str) -> str:
    backend = make_url(url).get_backend_name()
    return {"postgresql": "postgresql", "mysql": "mysql"}.get(backend, "sqlite")


def map_text(company: str, url: str | None = None) -> str:
    """The company's data map, for the database at ``url`` (its connector)."""
    text = (MAPS / f"{company}.yaml").read_text(encoding="utf-8")
    if url is None:
        return text
    return text.replace("connector: sqlite", f"connector: {connector_of(url)}", 1)


def noon(day: dt.date) -> FrozenClock:
    return FrozenClock(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC))


@dataclass
class Company:
    """One example company: its organisation in privaat and its own database."""

    name: str
    store: Store
    org_id: int
    url: str
    settings: Settings
    policies: orgs.PolicyCache = field(default_factory=orgs.PolicyCache)
    maps: datamaps.DataMapCache = field(default_factory=datamaps.DataMapCache)

    def runtime(self, day: dt.date) -> Runtime:
        variable = f"{self.name.upper()}_DATABASE_URL"
        return Runtime(
            self.settings,
            noon(day),
            environ={variable: self.url},
            policies=self.policies,
            maps=self.maps,
        )

    def plan(self, day: dt.date, rules: Sequence[str] | None = None) -> dict[str, Any]:
        return retention.plan(self.store, self.org_id, self.runtime(day), rules)

    def run(self, day: dt.date, rules: Sequence[str] | None = None) -> dict[str, Any]:
        return retention.run(self.store, self.org_id, self.runtime(day), rules)

    def insert(self, table: str, *rows: Mapping[str, Any]) -> None:
        target = schemas.SCHEMAS[self.name].tables[table]
        engine = sa.create_engine(self.url)
        try:
            with engine.begin() as conn:
                conn.execute(sa.insert(target), [dict(r) for r in rows])
        finally:
            engine.dispose()

    def select(self, sql: str) -> list[tuple[Any, ...]]:
        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(sa.text(sql))]
        finally:
            engine.dispose()

    def columns(self, table: str) -> set[str]:
        engine = sa.create_engine(self.url)
        try:
            return {c["name"] for c in sa.inspect(engine).get_columns(table)}
        finally:
            engine.dispose()

    def ids(self, table: str) -> set[int]:
        return {int(r[0]) for r in self.select(f"SELECT id FROM {table}")}


@pytest.fixture
def privaat_store(sqlite_template: Path, tmp_path: Path) -> Iterator[Store]:
    """privaat's own store on SQLite (the store's own tests cover PostgreSQL)."""
    path = tmp_path / "privaat.sqlite3"
    shutil.copy(sqlite_template, path)
    store = Store(f"sqlite:///{path}")
    yield store
    store.dispose()


def database_url(request: pytest.FixtureRequest, dialect: str, tmp_path: Path) -> str:
    """A scratch company database on ``dialect`` (a missing server: skip, or fail in CI)."""
    if dialect == "sqlite":
        return f"sqlite:///{tmp_path / 'company.sqlite3'}"
    url: str = request.getfixturevalue("company_servers")[dialect]
    if url.startswith("unavailable"):
        _unavailable(f"{dialect} for the company database is {url}")
    return url


def open_company(name: str, url: str, store: Store, tmp_path: Path) -> Company:
    """The example policy and the company's data map loaded, its database built empty."""
    schemas.build(url, name)
    with store.transaction() as session:
        org = orgs.create_org(session, name, name.upper(), now=LOADED, actor="cli")
        orgs.load_version(session, org, example_text(name), now=LOADED, actor="cli")
        datamaps.load_datamap_version(
            session,
            org,
            map_text(name, url),
            file=f"{name}.yaml",
            base_dir=MAPS,
            now=LOADED,
            actor="cli",
        )
        org_id = org.id
    return Company(name, store, org_id, url, settings_for(store, tmp_path))


def settings_for(store: Store, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        database_url=str(store.engine.url),
        secret_key=TEST_SECRET,
        export_dir=tmp_path / "exports",
    )


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def everywhere(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A company database on each server (JENSDEV and JSM run on all three); the tables are
    dropped afterwards, so that the session's other tests find the server database empty."""
    url = database_url(request, str(request.param), tmp_path)
    yield url
    if request.param != "sqlite":
        schemas.drop_everything(url)


@pytest.fixture
def sqlite_only(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'company.sqlite3'}"
