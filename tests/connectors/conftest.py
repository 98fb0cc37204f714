"""Fixtures for the connector tests: the company database (tests/companydb.py) and its map.

``connector`` is the SQL connector on ``company_url``: each test that asks for it runs on
SQLite, PostgreSQL and MariaDB, against a freshly created and seeded database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from privaat.connectors.base import ConnectContext, Connector, Person
from privaat.connectors.registry import connect
from privaat.core.datamap.loader import read_datamap
from privaat.core.datamap.model import DataMap, Store
from privaat.core.policy.loader import load_policy
from privaat.core.policy.model import Policy
from privaat.examples import example_text
from tests import companydb

MAP_FILE = Path(__file__).parents[1] / "fixtures" / "datamaps" / "company.yaml"
URL_ENV = "COMPANY_DATABASE_URL"
MASKING_KEY = b"test-masking-key-0123456789abcdef"
JAN = Person.of(email=companydb.PERSON.email)
EVA = Person.of(email=companydb.OTHER.email)


@pytest.fixture(scope="session")
def jensdev() -> Policy:
    return load_policy(example_text("jensdev")).policy


@pytest.fixture(scope="session")
def company_map(jensdev: Policy) -> DataMap:
    return read_datamap(MAP_FILE, policy=jensdev).datamap


def backend(url: str) -> str:
    """The store connector for a database URL: postgresql, mysql or sqlite."""
    name = make_url(url).get_backend_name()
    return "mysql" if name == "mariadb" else name


def billing(company_map: DataMap, url: str) -> Store:
    """The map's store with the connector of the database the test runs on."""
    return company_map.store("billing").model_copy(update={"connector": backend(url)})


def context_for(
    policy: Policy, url: str, base_dir: Path, today: dt.date = companydb.TODAY
) -> ConnectContext:
    return ConnectContext(
        policy=policy,
        base_dir=base_dir,
        environ={URL_ENV: url},
        masking_key=MASKING_KEY,
        today=today,
    )


@pytest.fixture
def company_engine(company_url: str) -> Iterator[Engine]:
    """The test's own view of the company database, to check what a connector did."""
    engine = sa.create_engine(company_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connector(
    company_map: DataMap, jensdev: Policy, company_url: str, tmp_path: Path
) -> Iterator[Connector]:
    made = connect(billing(company_map, company_url), context_for(jensdev, company_url, tmp_path))
    yield made
    made.close()


@pytest.fixture
def sqlite_company(tmp_path: Path) -> str:
    """The company database on SQLite only (for tests about one engine's behaviour)."""
    url = f"sqlite:///{tmp_path / 'company-only.sqlite3'}"
    engine = sa.create_engine(url)
    companydb.metadata.create_all(engine)
    with engine.begin() as conn:
        companydb.seed(conn)
    engine.dispose()
    return url


def rows(engine: Engine, table: str) -> dict[Any, dict[str, Any]]:
    """A table's rows by id."""
    found = companydb.metadata.tables[table]
    with engine.connect() as conn:
        return {r.id: dict(r._mapping) for r in conn.execute(sa.select(found))}


def dump(engine: Engine) -> dict[str, dict[Any, dict[str, Any]]]:
    """Every row of the company database, to compare states."""
    return {name: rows(engine, name) for name in sorted(companydb.metadata.tables)}


def dangling(engine: Engine) -> list[str]:
    """Foreign-key references that point at nothing (empty: the constraints hold)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return [str(tuple(r)) for r in conn.exec_driver_sql("PRAGMA foreign_key_check")]
        problems: list[str] = []
        for table in companydb.metadata.tables.values():
            for fk in table.foreign_key_constraints:
                parent = fk.referred_table.alias("parent")
                matched = sa.and_(*(e.parent == parent.c[e.column.name] for e in fk.elements))
                query = (
                    sa.select(sa.func.count())
                    .select_from(table)
                    .where(
                        *(table.c[c].isnot(None) for c in fk.column_keys),
                        ~sa.exists(sa.select(1).select_from(parent).where(matched)),
                    )
                )
                if conn.execute(query).scalar_one():
                    problems.append(f"{table.name}.{','.join(fk.column_keys)}")
        return problems
