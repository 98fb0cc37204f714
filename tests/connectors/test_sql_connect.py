"""Connecting a SQL store: the URL, and the map checked against the live schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from privaat.connectors.base import Person
from privaat.connectors.registry import connect, installed
from privaat.connectors.sql import SqlConnector
from privaat.connectors.sql import connect as sql_connect
from privaat.connectors.sql.engine import database_url
from privaat.core.datamap.model import DataMap, Masking, Store, Table
from privaat.core.policy.model import Policy
from privaat.errors import PrivaatError, UsageError
from tests import companydb
from tests.connectors.conftest import URL_ENV, billing, context_for


def _with_table(store: Store, extra: dict[str, object]) -> Store:
    return store.model_copy(update={"tables": [*store.tables, Table.model_validate(extra)]})


def test_the_builtin_connectors_are_registered_like_plugins() -> None:
    entry = f"{sql_connect.__module__}:{sql_connect.__name__}"

    assert installed()["postgresql"] == entry
    assert installed()["mysql"] == entry
    assert installed()["sqlite"] == entry


def test_an_unset_environment_variable_is_named(
    company_map: DataMap, jensdev: Policy, tmp_path: Path
) -> None:
    context = context_for(jensdev, "", tmp_path)

    with pytest.raises(UsageError, match=f"'billing'.*{URL_ENV}.*not set"):
        connect(billing(company_map, "sqlite://"), context)


def test_a_relative_sqlite_path_is_relative_to_the_map(
    sqlite_company: str, company_map: DataMap, jensdev: Policy
) -> None:
    path = Path(sqlite_company.removeprefix("sqlite:///"))
    store = company_map.store("billing").model_copy(
        update={"url_env": None, "url": f"sqlite:///{path.name}"}
    )
    context = context_for(jensdev, "", path.parent)

    connector = connect(store, context)
    try:
        assert connector.plan_access(Person.of(email=companydb.PERSON.email))
    finally:
        connector.close()


@pytest.mark.parametrize(
    ("connector", "url", "driver"),
    [
        ("postgresql", "postgresql://u@localhost/db", "postgresql+psycopg"),
        ("postgresql", "postgresql+psycopg2://u@localhost/db", "postgresql+psycopg"),
        ("mysql", "mysql://u@localhost/db", "mysql+pymysql"),
        ("mysql", "mariadb://u@localhost/db", "mariadb+pymysql"),
        ("sqlite", "sqlite:///company.db", "sqlite+pysqlite"),
    ],
)
def test_each_kind_uses_privaats_driver(
    company_map: DataMap, jensdev: Policy, tmp_path: Path, connector: str, url: str, driver: str
) -> None:
    store = company_map.store("billing").model_copy(update={"connector": connector})

    resolved = database_url(store, context_for(jensdev, url, tmp_path))

    assert resolved.drivername == driver
    if connector == "sqlite":
        assert resolved.database == str(tmp_path / "company.db")


def test_a_url_of_another_kind_is_refused(
    company_map: DataMap, jensdev: Policy, tmp_path: Path
) -> None:
    store = company_map.store("billing").model_copy(update={"connector": "postgresql"})

    with pytest.raises(UsageError, match="postgresql store needs a postgresql URL"):
        connect(store, context_for(jensdev, "mysql://u@localhost/db", tmp_path))


def test_an_unreachable_server_is_reported_without_the_password(
    company_map: DataMap, jensdev: Policy, tmp_path: Path
) -> None:
    store = company_map.store("billing").model_copy(update={"connector": "postgresql"})
    url = "postgresql://someone:hunter2-secret@127.0.0.1:9/nowhere"

    with pytest.raises(PrivaatError) as raised:
        connect(store, context_for(jensdev, url, tmp_path))

    assert "billing" in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_a_table_the_database_lacks_is_named(
    company_url: str, company_map: DataMap, jensdev: Policy, tmp_path: Path
) -> None:
    store = _with_table(
        billing(company_map, company_url),
        {
            "name": "quotes",
            "primary_key": ["id"],
            "links": [{"column": "email", "identity": "email"}],
        },
    )

    with pytest.raises(UsageError, match=r"store 'billing': table 'quotes'.*not in the database"):
        connect(store, context_for(jensdev, company_url, tmp_path))


def test_a_column_the_database_lacks_is_named(
    sqlite_company: str, company_map: DataMap, jensdev: Policy, tmp_path: Path
) -> None:
    store = billing(company_map, sqlite_company)
    clients = store.tables[0].model_copy(
        update={
            "fields": [
                *store.tables[0].fields,
                store.tables[0].fields[0].model_copy(update={"column": "nickname"}),
            ]
        }
    )
    store = store.model_copy(update={"tables": [clients, *store.tables[1:]]})

    with pytest.raises(UsageError, match="store 'billing', table 'clients': column 'nickname'"):
        connect(store, context_for(jensdev, sqlite_company, tmp_path))


def test_a_strategy_that_cannot_fit_its_column_is_refused(
    sqlite_company: str, company_map: DataMap, jensdev: Policy, tmp_path: Path
) -> None:
    store = billing(company_map, sqlite_company)
    logins = store.tables[2]
    broken = logins.model_copy(
        update={
            "fields": [
                logins.fields[0].model_copy(update={"column": "at", "erase": Masking.REDACT})
            ]
        }
    )
    store = store.model_copy(update={"tables": [*store.tables[:2], broken, *store.tables[3:]]})

    with pytest.raises(UsageError, match="table 'logins', column 'at': masking 'redact'"):
        connect(store, context_for(jensdev, sqlite_company, tmp_path))


def test_the_connector_is_a_connector(
    sqlite_company: str, company_map: DataMap, jensdev: Policy, tmp_path: Path
) -> None:
    made = connect(
        billing(company_map, sqlite_company), context_for(jensdev, sqlite_company, tmp_path)
    )
    try:
        assert isinstance(made, SqlConnector)
    finally:
        made.close()
