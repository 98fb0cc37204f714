"""Check a data map against the live schema of each database it names.

A map that loads (its own references hold) can still be wrong about the database: a table
renamed, a column dropped, an integer key compared with a text column, a hold counted from a
text column. Every request and retention sweep compiles from the map, so these are found
here, before a request runs, each at the map element's ``file:line:column`` with a one-line
fix. Errors make the map unusable; warnings are about speed or completeness.

Connections come from ``url_env`` (looked up in the given environment) or ``url``; nothing
here prints a URL's password or any value read from the database.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from privaat.connectors.introspect import connection_problem, describe, open_engine
from privaat.core.datamap.columns import personal_columns
from privaat.core.datamap.loader import LoadedDataMap
from privaat.core.datamap.model import (
    IdentityKind,
    Link,
    Masking,
    Retain,
    RowAction,
    Store,
    Table,
)
from privaat.core.datamap.refs import SQL_CONNECTORS
from privaat.core.datamap.schema import ColumnInfo, ColumnKind, SchemaInfo, TableInfo, same_key_type
from privaat.core.yamlsource import Path as DocPath
from privaat.errors import UsageError

#: Rows sampled from each table missing from the map, to see whether it looks personal.
SAMPLE = 50


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class CheckFinding:
    """One problem of the map against the live database, at the map element's place."""

    code: str
    severity: Severity
    file: str
    line: int
    column: int
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.severity.value} {self.code}: {self.message}"


_DIALECT = {"postgresql": "postgresql", "mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite"}


def check_datamap(
    loaded: LoadedDataMap, *, environ: Mapping[str, str], sample: int = SAMPLE
) -> list[CheckFinding]:
    """Every finding for every database store of the map, errors first."""
    findings: list[CheckFinding] = []
    for index, store in enumerate(loaded.datamap.stores):
        if store.connector in SQL_CONNECTORS:
            findings.extend(_StoreCheck(loaded, index, store, environ, sample).run())
    return sorted(findings, key=lambda f: (f.severity != Severity.ERROR, f.line, f.column))


class _StoreCheck:
    def __init__(
        self,
        loaded: LoadedDataMap,
        index: int,
        store: Store,
        environ: Mapping[str, str],
        sample: int,
    ) -> None:
        self.loaded = loaded
        self.base: DocPath = ("stores", index)
        self.store = store
        self.environ = environ
        self.sample = sample
        self.findings: list[CheckFinding] = []

    def add(self, code: str, severity: Severity, path: DocPath, message: str, fix: str) -> None:
        pos = self.loaded.source_map.locate((*self.base, *path))
        self.findings.append(
            CheckFinding(code, severity, self.loaded.file, pos.line, pos.column, message, fix)
        )

    # ---------------------------------------------------------------- connecting

    def url(self) -> str | None:
        if self.store.url_env is not None:
            url = self.environ.get(self.store.url_env)
            if not url:
                self.add(
                    "DM001",
                    Severity.ERROR,
                    ("url_env",),
                    f"store {self.store.id!r}: the environment variable {self.store.url_env} "
                    "is not set",
                    f"export {self.store.url_env}=<the database URL> before running the check",
                )
            return url or None
        url = self.store.url or ""
        try:
            parsed = make_url(url)
        except (ArgumentError, ValueError):
            self.add(
                "DM002",
                Severity.ERROR,
                ("url",),
                f"store {self.store.id!r}: url is not a database URL",
                "write it as sqlite:///file.sqlite3 or use url_env",
            )
            return None
        if parsed.get_backend_name() == "sqlite" and parsed.database not in {None, "", ":memory:"}:
            path = Path(str(parsed.database))
            if not path.is_absolute():
                parsed = parsed.set(database=str(self.loaded.base_dir / path))
        return parsed.render_as_string(hide_password=False)

    def run(self) -> list[CheckFinding]:
        url = self.url()
        if url is None:
            return self.findings
        where = ("url_env",) if self.store.url_env else ("url",)
        try:
            engine = open_engine(url)
        except UsageError as exc:
            self.add("DM002", Severity.ERROR, where, f"store {self.store.id!r}: {exc}", _FIX_URL)
            return self.findings
        try:
            with engine.connect() as conn:
                self.check_dialect(conn, url)
                schema = describe(conn, sample=0, schema=self.store.schema_name)
                self.check_tables(conn, schema)
        except SQLAlchemyError as exc:
            self.add(
                "DM002",
                Severity.ERROR,
                where,
                f"store {self.store.id!r}: cannot read the database: "
                f"{connection_problem(exc, url)}",
                _FIX_URL,
            )
        finally:
            engine.dispose()
        return self.findings

    def check_dialect(self, conn: Connection, url: str) -> None:
        actual = _DIALECT.get(conn.dialect.name, conn.dialect.name)
        if actual != self.store.connector:
            self.add(
                "DM003",
                Severity.ERROR,
                ("connector",),
                f"store {self.store.id!r} says connector {self.store.connector}, but the "
                f"database is {actual}",
                f"set connector: {actual}",
            )

    # ---------------------------------------------------------------- tables

    def check_tables(self, conn: Connection, schema: SchemaInfo) -> None:
        names = [t.name for t in schema.tables]
        for ti, table in enumerate(self.store.tables):
            info = schema.table(table.name)
            if info is None:
                close = difflib.get_close_matches(table.name, names, n=1)
                self.add(
                    "DM101",
                    Severity.ERROR,
                    ("tables", ti, "name"),
                    f"table {table.name!r} does not exist in the database",
                    f"did you mean {close[0]!r}?"
                    if close
                    else "correct the name or remove the table",
                )
                continue
            _TableCheck(self, ("tables", ti), table, info, schema, conn).run()
        self.check_missing(conn, schema)

    def check_missing(self, conn: Connection, schema: SchemaInfo) -> None:
        mapped = {t.name for t in self.store.tables}
        unmapped = [t.name for t in schema.tables if t.name not in mapped]
        if not unmapped:
            return
        sampled = describe(conn, sample=self.sample, schema=self.store.schema_name, only=unmapped)
        for info in sampled.tables:
            personal = personal_columns(info)
            if not personal:
                continue
            said = "; ".join(f"{name}: {why}" for name, why in personal[:4])
            more = f" and {len(personal) - 4} more" if len(personal) > 4 else ""
            self.add(
                "DM120",
                Severity.WARNING,
                ("tables",),
                f"table {info.name!r} is not in the map but looks personal ({said}{more})",
                "add it to the map (privaat datamap generate proposes an entry), or leave it "
                "out if it holds no personal data",
            )


_FIX_URL = "check the URL, the server and the credentials in the environment"
_TEXTLIKE_JSON = {"sqlite", "mysql"}  # JSON kept as text is queryable with json functions


class _TableCheck:
    def __init__(
        self,
        store: _StoreCheck,
        here: DocPath,
        table: Table,
        info: TableInfo,
        schema: SchemaInfo,
        conn: Connection,
    ) -> None:
        self.store = store
        self.here = here
        self.table = table
        self.info = info
        self.schema = schema
        self.conn = conn

    def add(self, code: str, severity: Severity, path: DocPath, message: str, fix: str) -> None:
        self.store.add(code, severity, (*self.here, *path), message, fix)

    def column(self, name: str, path: DocPath) -> ColumnInfo | None:
        found = self.info.column(name)
        if found is None:
            names = [c.name for c in self.info.columns]
            close = difflib.get_close_matches(name, names, n=1)
            self.add(
                "DM102",
                Severity.ERROR,
                path,
                f"column {self.table.name}.{name} does not exist",
                f"did you mean {close[0]!r}?" if close else "correct the name or remove it",
            )
        return found

    def run(self) -> None:
        self.primary_key()
        for li, link in enumerate(self.table.links):
            self.link(("links", li), link)
        for fi, field in enumerate(self.table.fields):
            found = self.column(field.column, ("fields", fi, "column"))
            masked = self.table.erase is RowAction.MASK
            if masked and found is not None and not found.nullable and field.erase is Masking.NULL:
                self.add(
                    "DM111",
                    Severity.WARNING,
                    ("fields", fi),
                    f"{self.table.name}.{field.column} is NOT NULL: masking the row (erase: "
                    "mask) with null would fail",
                    "use erase: unique_random, or fixed with a value",
                )
        if self.table.hold is not None:
            date = self.column(self.table.hold.date, ("hold", "date"))
            if date is not None and not date.kind.is_temporal:
                self.add(
                    "DM109",
                    Severity.ERROR,
                    ("hold", "date"),
                    f"the hold counts from {self.table.name}.{date.name}, a {date.kind.value} "
                    "column, not a date",
                    "name the document's date or date-time column",
                )
        for ai, name in enumerate(self.table.activity):
            self.temporal(name, ("activity", ai))
        if self.table.created is not None:
            self.temporal(self.table.created, ("created",))
        if self.table.soft_delete is not None:
            self.column(self.table.soft_delete, ("soft_delete",))
        for bi, binding in enumerate(self.table.retention):
            self.retention(("retention", bi), binding)

    def retention(self, path: DocPath, binding: Retain) -> None:
        if binding.from_column is not None:
            found = self.column(binding.from_column, (*path, "from"))
            if found is not None and not found.kind.is_temporal:
                self.add(
                    "DM112",
                    Severity.ERROR,
                    (*path, "from"),
                    f"the retention period runs from {self.table.name}.{found.name}, a "
                    f"{found.kind.value} column, not a date",
                    "name the date or date-time column the period starts from",
                )
        for name in binding.where or {}:
            self.column(name, (*path, "where", name))
        aggregate = binding.aggregate
        if aggregate is None:
            return
        for gi, group in enumerate(aggregate.by):
            found = self.column(group.column, (*path, "aggregate", "by", gi, "column"))
            if found is not None and group.period is not None and not found.kind.is_temporal:
                self.add(
                    "DM112",
                    Severity.ERROR,
                    (*path, "aggregate", "by", gi, "period"),
                    f"{self.table.name}.{found.name} is a {found.kind.value} column: a period "
                    "rounds dates only",
                    "remove period, or name a date or date-time column",
                )
        into = self.schema.table(aggregate.into)
        if into is None:
            return  # created by the first sweep, with its unique key
        targets = {g.target for g in aggregate.by}
        missing = sorted((targets | {aggregate.count}) - {c.name for c in into.columns})
        unique = any(set(u) == targets for u in into.uniques) or set(into.primary_key) == targets
        if missing or not unique:
            what = (
                f"lacks the columns {', '.join(missing)}"
                if missing
                else f"has no unique key over ({', '.join(sorted(targets))})"
            )
            self.add(
                "DM113",
                Severity.ERROR,
                (*path, "aggregate", "into"),
                f"the statistics table {aggregate.into!r} {what}: counts cannot be added up",
                f"add a unique key over ({', '.join(sorted(targets))}) and a {aggregate.count} "
                "column, or name a table that does not exist yet (privaat creates it)",
            )

    def temporal(self, name: str, path: DocPath) -> None:
        found = self.column(name, path)
        if found is not None and not found.kind.is_temporal:
            self.add(
                "DM110",
                Severity.WARNING,
                path,
                f"{self.table.name}.{name} is a {found.kind.value} column, not a date or time",
                "name a date or date-time column",
            )

    def primary_key(self) -> None:
        columns = [
            self.column(name, ("primary_key", ki)) for ki, name in enumerate(self.table.primary_key)
        ]
        if any(c is None for c in columns):
            return
        key = tuple(self.table.primary_key)
        if set(key) == set(self.info.primary_key) or any(
            set(key) == set(u) for u in self.info.uniques
        ):
            return
        declared = ", ".join(self.info.primary_key) or "none"
        self.add(
            "DM103",
            Severity.ERROR,
            ("primary_key",),
            f"[{', '.join(key)}] is not a key of {self.table.name} (its primary key: {declared})",
            "list the table's primary key (or a unique key) columns",
        )

    def link(self, path: DocPath, link: Link) -> None:
        if link.json_value is not None:
            column = self.column(link.json_value.column, (*path, "json", "column"))
            if column is not None:
                self.json_column(column, (*path, "json", "column"))
        else:
            assert link.column is not None
            column = self.column(link.column, (*path, "column"))
        for name in link.when or {}:
            self.column(name, (*path, "when", name))
        if column is None:
            return
        if link.to is not None and link.json_value is None:
            self.target(path, link, column)
        if link.identity is not None and link.json_value is None:
            self.identity(path, link, column)
        if link.mentions is not None and column.kind is not ColumnKind.TEXT:
            self.add(
                "DM107",
                Severity.ERROR,
                (*path, "column"),
                f"mentions needs a text column; {self.table.name}.{column.name} is "
                f"{column.kind.value}",
                "point mentions at a free-text column",
            )

    def json_column(self, column: ColumnInfo, path: DocPath) -> None:
        if column.kind is ColumnKind.JSON:
            return
        if column.kind is ColumnKind.TEXT and self.schema.dialect in _TEXTLIKE_JSON:
            return
        self.add(
            "DM106",
            Severity.ERROR,
            path,
            f"{self.table.name}.{column.name} is a {column.kind.value} column, not JSON",
            "a json link needs a JSON column (json or jsonb on PostgreSQL)",
        )

    def target(self, path: DocPath, link: Link, column: ColumnInfo) -> None:
        assert link.to is not None
        target_table, target_column = link.to.split(".", 1)
        info = self.schema.table(target_table)
        if info is None:
            self.add(
                "DM104",
                Severity.ERROR,
                (*path, "to"),
                f"the link's target table {target_table!r} does not exist in the database",
                "correct the table name",
            )
            return
        target = info.column(target_column)
        if target is None:
            self.add(
                "DM104",
                Severity.ERROR,
                (*path, "to"),
                f"the link's target column {link.to} does not exist in the database",
                "correct the column name",
            )
            return
        same = same_key_type(column.kind, target.kind)
        if not same and not link.as_text:
            self.add(
                "DM105",
                Severity.ERROR,
                (*path, "to"),
                f"{self.table.name}.{column.name} is {column.kind.value} and {link.to} is "
                f"{target.kind.value}: the values will not compare",
                "add as_text: true to the link (the key is kept as text)",
            )
        elif same and link.as_text:
            self.add(
                "DM105",
                Severity.WARNING,
                (*path, "as_text"),
                f"{self.table.name}.{column.name} and {link.to} are both {column.kind.value}: "
                "as_text forces a cast that keeps indexes from being used",
                "remove as_text",
            )

    def identity(self, path: DocPath, link: Link, column: ColumnInfo) -> None:
        if link.identity is IdentityKind.EMAIL and column.kind is not ColumnKind.TEXT:
            self.add(
                "DM107",
                Severity.ERROR,
                (*path, "column"),
                f"an e-mail identity in {self.table.name}.{column.name}, a "
                f"{column.kind.value} column",
                "point the link at the column that holds the e-mail address",
            )
            return
        if (
            link.ignore_case
            and link.identity is not IdentityKind.PHONE
            and column.kind is ColumnKind.TEXT
            and self.schema.dialect == "postgresql"
            and column.type_name != "CITEXT"
            and not _has_lower_index(self.conn, self.table.name, column.name, self.schema.schema)
        ):
            self.add(
                "DM108",
                Severity.WARNING,
                (*path, "column"),
                f"ignore_case on {self.table.name}.{column.name} without an index on "
                f"lower({column.name}): every look-up reads the whole table",
                f"CREATE INDEX ON {self.table.name} (lower({column.name})); or set "
                "ignore_case: false when the column is stored lower-case",
            )


def _has_lower_index(conn: Connection, table: str, column: str, schema: str | None) -> bool:
    pattern = re.compile(rf"lower\(\(?\"?{re.escape(column)}\"?\)?(::\w+)?\)", re.IGNORECASE)
    for index in inspect(conn).get_indexes(table, schema=schema):
        for expression in index.get("expressions") or []:
            if expression and pattern.search(str(expression)):
                return True
    return False
