"""Read a live SQL database for the data map: its schema, a sample of rows, key look-ups.

SQLAlchemy's inspector gives tables, columns, types, primary keys, unique constraints and
indexes, and declared foreign keys with their ON DELETE rules. Sampling is one ``SELECT ...
LIMIT n`` per table (set-based, never a query per row). Confirming an undeclared link is one
``WHERE key IN (...)`` per candidate with the sampled distinct values.

Sampled values are personal data: they stay in memory, are never logged, and errors say the
exception's type, never a value or the connection URL's password.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Time,
    Uuid,
    column,
    create_engine,
    distinct,
    func,
    inspect,
    select,
    table,
)
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.types import TypeEngine

from privaat.core.datamap.propose import (
    Candidate,
    Evidence,
    Proposal,
    StoreSource,
    link_candidates,
    propose,
)
from privaat.core.datamap.schema import (
    ColumnInfo,
    ColumnKind,
    ForeignKeyInfo,
    SchemaInfo,
    TableInfo,
)
from privaat.core.policy.model import Policy
from privaat.errors import UsageError

DEFAULT_SAMPLE = 200
#: Distinct values read from a polymorphic ``*_type`` column.
TYPE_VALUES = 50
_ID = re.compile(r"[^a-z0-9]+")


def kind_of(sql_type: TypeEngine[Any]) -> ColumnKind:
    """The data map's view of a reflected column type."""
    checks: list[tuple[type[TypeEngine[Any]], ColumnKind]] = [
        (Boolean, ColumnKind.BOOLEAN),
        (Integer, ColumnKind.INTEGER),
        (Numeric, ColumnKind.NUMERIC),
        (JSON, ColumnKind.JSON),
        (DateTime, ColumnKind.DATETIME),
        (Date, ColumnKind.DATE),
        (Time, ColumnKind.TIME),
        (Uuid, ColumnKind.UUID),
        (String, ColumnKind.TEXT),
        (LargeBinary, ColumnKind.BINARY),
    ]
    for kind_type, kind in checks:
        if isinstance(sql_type, kind_type):
            return kind
    name = type(sql_type).__name__.upper()
    if name in {"JSONB", "JSON"}:
        return ColumnKind.JSON
    if name == "TINYINT":
        return ColumnKind.INTEGER
    if name in {"CITEXT", "TEXT", "CLOB", "NVARCHAR", "VARCHAR", "CHAR"}:
        return ColumnKind.TEXT
    if name == "TIMESTAMP":
        return ColumnKind.DATETIME
    return ColumnKind.OTHER


def safe_url(url: str | URL) -> str:
    """The URL with its password hidden, for messages and comments."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "(an unparsable URL)"


def open_engine(url: str) -> Engine:
    """An engine for a company database; UsageError in one line when the URL is wrong.

    A SQLite file must exist: connecting would otherwise create an empty database.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise UsageError("not a database URL, e.g. postgresql+psycopg://user@host/db") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in {"", ":memory:"} or not Path(database).is_file():
            raise UsageError(f"no SQLite database file at {database or '(none)'}")
    try:
        return create_engine(parsed)
    except (ArgumentError, ValueError):
        raise UsageError("not a database URL, e.g. postgresql+psycopg://user@host/db") from None
    except (NoSuchModuleError, ImportError) as exc:
        raise UsageError(f"no driver for this URL: {type(exc).__name__}") from None


def connection_problem(exc: Exception, url: str | URL) -> str:
    """What went wrong connecting, in one line, without the password."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = text[0] if text else ""
    password = make_url(url).password if isinstance(url, URL | str) else None
    if password:
        first = first.replace(str(password), "***")
    return f"{type(exc).__name__}: {first}"[:300]


def store_source(url: str | URL, database: str) -> StoreSource:
    """Store id, connector and environment variable for a database, from its name."""
    parsed = make_url(url)
    connector = {"postgresql": "postgresql", "mysql": "mysql", "mariadb": "mysql"}.get(
        parsed.get_backend_name(), "sqlite"
    )
    stem = database.rsplit("/", 1)[-1].split(".", 1)[0] if database else ""
    store_id = _ID.sub("_", stem.lower()).strip("_") or connector
    if not store_id[0].isalpha():
        store_id = f"db_{store_id}"
    return StoreSource(
        store_id=store_id[:64],
        connector=connector,
        url_env=f"{store_id.upper()[:100]}_DATABASE_URL",
        url_hint=safe_url(parsed),
    )


def describe(
    conn: Connection,
    *,
    sample: int = DEFAULT_SAMPLE,
    schema: str | None = None,
    only: Iterable[str] | None = None,
) -> SchemaInfo:
    """The database's tables with their keys and up to ``sample`` rows each."""
    inspector = inspect(conn)
    wanted = set(only) if only is not None else None
    tables = []
    for name in sorted(inspector.get_table_names(schema=schema)):
        if wanted is not None and name not in wanted:
            continue
        columns = tuple(
            ColumnInfo(
                c["name"],
                kind_of(c["type"]),
                bool(c.get("nullable", True)),
                type(c["type"]).__name__.upper(),
            )
            for c in inspector.get_columns(name, schema=schema)
        )
        pk = tuple(
            inspector.get_pk_constraint(name, schema=schema).get("constrained_columns") or ()
        )
        uniques = {
            tuple(u["column_names"])
            for u in inspector.get_unique_constraints(name, schema=schema)
            if u.get("column_names")
        }
        for index in inspector.get_indexes(name, schema=schema):
            names = [c for c in index.get("column_names") or [] if c is not None]
            if index.get("unique") and names and len(names) == len(index["column_names"]):
                uniques.add(tuple(names))
        fks = tuple(
            ForeignKeyInfo(
                tuple(fk["constrained_columns"]),
                fk["referred_table"],
                tuple(fk["referred_columns"]),
                (fk.get("options") or {}).get("ondelete"),
            )
            for fk in inspector.get_foreign_keys(name, schema=schema)
            if fk.get("referred_table") and fk.get("constrained_columns")
        )
        info = TableInfo(name, columns, pk, tuple(sorted(uniques)), fks)
        if sample > 0:
            info = _sampled(conn, info, sample, schema)
        tables.append(info)
    url = conn.engine.url
    database = url.database or ""
    return SchemaInfo(conn.dialect.name, database.rsplit("/", 1)[-1], tuple(tables), schema)


def _table(info: TableInfo, schema: str | None, kinds: Mapping[str, ColumnKind]) -> Table:
    """A lightweight Table for the query: JSON columns read as JSON, others as they come."""
    cols = [
        Column(c.name, JSON) if kinds.get(c.name) is ColumnKind.JSON else Column(c.name)
        for c in info.columns
        if c.kind is not ColumnKind.BINARY
    ]
    return Table(info.name, MetaData(), *cols, schema=schema)


def _sampled(conn: Connection, info: TableInfo, sample: int, schema: str | None) -> TableInfo:
    kinds = {c.name: c.kind for c in info.columns}
    t = _table(info, schema, kinds)
    rows = [dict(r._mapping) for r in conn.execute(select(t).limit(sample))]
    distinct_values: dict[str, list[Any]] = {}
    for c in info.columns:
        if c.kind is ColumnKind.TEXT and c.name.lower().endswith("type"):
            query = (
                select(t.c[c.name]).where(t.c[c.name].is_not(None)).distinct().limit(TYPE_VALUES)
            )
            distinct_values[c.name] = [v for (v,) in conn.execute(query)]
    return TableInfo(
        info.name,
        info.columns,
        info.primary_key,
        info.uniques,
        info.foreign_keys,
        rows,
        distinct_values,
    )


def _converted(values: Iterable[Any], kind: ColumnKind) -> list[Any]:
    """Sampled values as the target key's type; values that cannot be such keys are dropped."""
    out: set[Any] = set()
    for value in values:
        if kind in {ColumnKind.INTEGER, ColumnKind.NUMERIC}:
            if isinstance(value, bool):
                continue
            if isinstance(value, int):
                out.add(value)
            elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
                out.add(int(value.strip()))
        elif kind is ColumnKind.TEXT:
            if isinstance(value, str | int) and not isinstance(value, bool):
                out.add(str(value))
        elif value is not None:
            out.add(value)
    return sorted(out, key=str)


def verify(
    conn: Connection,
    schema: SchemaInfo,
    candidates: Sequence[Candidate],
    *,
    sample: int = DEFAULT_SAMPLE,
) -> dict[Candidate, Evidence]:
    """For each candidate: how many of its sampled distinct values are keys of the target."""
    out: dict[Candidate, Evidence] = {}
    for cand in candidates:
        source = schema.table(cand.table)
        if source is None:
            continue
        if cand.when is not None:
            src = table(cand.table, column(cand.column), column(cand.when[0]), schema=schema.schema)
            query = (
                select(src.c[cand.column])
                .where(src.c[cand.when[0]] == cand.when[1], src.c[cand.column].is_not(None))
                .distinct()
                .limit(sample)
            )
            raw: list[Any] = [v for (v,) in conn.execute(query)]
        else:
            raw = source.values(cand.column)
        sampled = set(map(str, raw))
        values = _converted(raw, cand.target_kind)
        if not sampled:
            out[cand] = Evidence(0, 0)
            continue
        if not values:
            out[cand] = Evidence(0, len(sampled))
            continue
        target = table(cand.target, column(cand.target_column), schema=schema.schema)
        key = target.c[cand.target_column]
        try:
            found = conn.execute(
                select(func.count(distinct(key))).where(key.in_(values))
            ).scalar_one()
        except SQLAlchemyError:  # the types would not compare: no evidence
            conn.rollback()
            found = 0
        out[cand] = Evidence(int(found), len(sampled))
    return out


def generate(
    url: str,
    *,
    sample: int = DEFAULT_SAMPLE,
    policy: Policy | None = None,
    schema: str | None = None,
) -> Proposal:
    """Introspect the database at ``url``, sample it, and propose its data map."""
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            info = describe(conn, sample=sample, schema=schema)
            candidates = link_candidates(info)
            evidence = verify(conn, info, candidates, sample=sample)
    except SQLAlchemyError as exc:
        raise UsageError(
            f"cannot read the database {safe_url(url)}: {connection_problem(exc, url)}"
        ) from None
    finally:
        engine.dispose()
    return propose(
        info,
        evidence,
        store_source(url, info.database),
        candidates=candidates,
        policy=policy,
        sample_size=sample,
    )
