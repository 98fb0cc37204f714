"""The data map as a typed contract: where a company's personal data lives.

A data-map file annotates the company's own databases and tools. Per store it says which
tables hold personal data, which of their columns hold which data category of the policy,
and how each row belongs to a person. Everything else privaat does with the company's data
(access exports, erasure, rectification, the search that proves an erasure, retention) is
compiled from this file, so it fails closed: unknown keys are errors, every reference is
checked, and a password never belongs in it.

How a row belongs to a person is a list of *links*; a row is the person's when any link
matches:

- ``identity``: the column holds one of the person's identities (e-mail, phone, customer
  number), as the people table itself does, or a guest ticket, or an invoice's copied buyer
  e-mail;
- ``to``: the column holds a key of another table's rows that are the person's, whether the
  database declares the foreign key or not (``declared: false`` marks an inferred link;
  ``as_text: true`` an id kept in a text column);
- ``to`` with ``when``: a polymorphic type/id pair (``notable_type = 'Customer'``);
- ``json``: the value at a path inside a JSON column is an identity or a key;
- ``mentions``: a free-text column mentions one of the person's identities.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from privaat.core.duration import DurationField
from privaat.core.policy.model import CategoryKey, Id, Text

#: A database identifier as the map writes it: a table or column name.
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_$]*$", max_length=128)]
#: ``table.column`` in the same store.
ColumnRef = Annotated[
    str,
    StringConstraints(
        pattern=r"^[A-Za-z_][A-Za-z0-9_$]*\.[A-Za-z_][A-Za-z0-9_$]*$", max_length=257
    ),
]
#: The name of an environment variable.
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Z_][A-Z0-9_]*$", max_length=128)]


class MapModel(BaseModel):
    """Base of every data-map model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class IdentityKind(StrEnum):
    """How a person is identified in a rights request."""

    EMAIL = "email"
    PHONE = "phone"
    CUSTOMER_NUMBER = "customer_number"


class RowAction(StrEnum):
    """What an erasure does with a row that is the person's."""

    DELETE = "delete"  # delete the row (in an order the foreign keys allow)
    MASK = "mask"  # keep the row, mask its personal fields (each field's ``erase``)
    KEEP = "keep"  # keep the row as it is; ``reason`` says why


class Masking(StrEnum):
    """How a field is made non-personal when its row is masked (or rectified away)."""

    NULL = "null"  # set to NULL
    FIXED = "fixed"  # set to ``value``
    UNIQUE_RANDOM = "unique_random"  # a fresh random value: for UNIQUE / NOT NULL columns
    HMAC = "hmac"  # a keyed hash: the same input gives the same output (joins, statistics)
    REDACT = "redact"  # free text: replace each mention of the person's identities
    KEEP = "keep"  # leave the value (not personal, or needed for the kept row)


class JsonPath(MapModel):
    """A value inside a JSON column: ``column`` and the keys leading to it."""

    column: Name
    path: list[Annotated[str, StringConstraints(min_length=1, max_length=128)]] = Field(
        min_length=1, description="Keys from the document's root, e.g. [customer, email]."
    )


class Link(MapModel):
    """One way a row of the table can belong to a person (see the module docs)."""

    column: Name | None = Field(None, description="The column that holds the value.")
    json_value: JsonPath | None = Field(
        None, alias="json", description="Instead of column: a value inside a JSON column."
    )
    identity: IdentityKind | None = Field(
        None, description="The value is the person's identity of this kind."
    )
    to: ColumnRef | None = Field(
        None, description="The value is a key of this other table's rows (table.column)."
    )
    when: dict[Name, Annotated[str, StringConstraints(max_length=256)]] | None = Field(
        None,
        description="Only rows where these columns hold these values: the type half of a "
        "polymorphic type/id pair, e.g. {notable_type: Customer}.",
    )
    mentions: list[IdentityKind] | None = Field(
        None, description="A free-text column that may mention these identities."
    )
    declared: bool = Field(
        True, description="false when the database declares no foreign key for this link."
    )
    as_text: bool = Field(False, description="The key is kept as text (an id in a varchar).")
    ignore_case: bool = Field(
        True,
        description="Compare identities without regard to case. Needs an index on "
        "lower(column) to be fast on PostgreSQL and SQLite; set false when the column is "
        "stored normalised.",
    )
    guessed: bool = Field(False, description="Proposed by datamap generate; review it.")

    model_config = ConfigDict(populate_by_name=True)

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if (self.column is None) == (self.json_value is None):
            raise ValueError("a link names exactly one of column or json")
        targets = [x for x in (self.identity, self.to, self.mentions) if x is not None]
        if len(targets) != 1:
            raise ValueError("a link has exactly one of identity, to or mentions")
        if self.when is not None and self.to is None:
            raise ValueError("when (a polymorphic type) goes with to")
        if self.mentions is not None and self.json_value is not None:
            raise ValueError("mentions applies to a text column, not a JSON path")
        return self

    @property
    def source_columns(self) -> tuple[str, ...]:
        """The columns of this table the link reads."""
        if self.column is not None:
            return (self.column, *(self.when or {}))
        assert self.json_value is not None  # the validator allows exactly one of the two
        return (self.json_value.column, *(self.when or {}))


class PersonalField(MapModel):
    """A column that holds personal data, its category, and what an erasure does to it."""

    column: Name
    category: CategoryKey = Field(description="A data category of the policy (fideslang key).")
    erase: Masking = Field(
        Masking.NULL, description="How the value is masked when its row is masked."
    )
    value: Annotated[str, StringConstraints(max_length=1000)] | None = Field(
        None, description="The value for erase: fixed."
    )
    provided: bool = Field(
        True,
        description="The person provided it (it goes into a portability export); false for "
        "what the company derived or observed.",
    )
    guessed: bool = Field(False, description="Proposed by datamap generate; review it.")

    @model_validator(mode="after")
    def _fixed_value(self) -> Self:
        if (self.erase is Masking.FIXED) != (self.value is not None):
            raise ValueError("value is given exactly when erase is fixed")
        return self


class Hold(MapModel):
    """Rows the law obliges the company to keep: a statutory hold of the policy."""

    id: Id = Field(description="The id of a statutory hold in the policy.")
    date: Name = Field(
        description="The document's date column; the hold runs from it (from 1 January of "
        "the next year when the policy's hold says so)."
    )


#: A value a ``where`` condition compares a column with.
Scalar = str | int | bool


class Period(StrEnum):
    """How a date is rounded when rows are counted into statistics."""

    HOUR = "hour"  # a timestamp column: counted per hour (the statistics keep a timestamp)
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class GroupBy(MapModel):
    """One column of the statistics table: a column of the swept rows, maybe rounded."""

    column: Name = Field(description="The column of the swept table.")
    into: Name | None = Field(
        None, description="Its column in the statistics table (default: same)."
    )
    period: Period | None = Field(
        None,
        description="For a date or timestamp column: count per hour (timestamps), day, "
        "month or year.",
    )

    @property
    def target(self) -> str:
        return self.into or self.column


class Aggregate(MapModel):
    """Where ``action: aggregate`` counts the rows before they are deleted.

    The statistics table has a unique key over the ``by`` columns and an integer ``count``
    column; each batch adds its counts to the matching row (or inserts it). Nothing personal
    may be among ``by``: privaat refuses a column the map lists as a personal field.
    """

    into: Name = Field(description="The statistics table (in the same database).")
    by: list[GroupBy] = Field(min_length=1, description="What the counts are grouped by.")
    count: Name = Field("count", description="The statistics table's count column.")


class RetentionScope(StrEnum):
    """What a retention rule removes once its period has run out."""

    ROWS = "rows"  # the table's expired rows (and rows that belong to them)
    PERSON = "person"  # the whole person, in this store, as an erasure request would


class Retain(MapModel):
    """A retention rule of the policy bound to this table's rows.

    The period runs from the ``from`` column (default: the table's ``created``); for a rule
    triggered by the person's last activity, from the latest activity timestamp of the person
    across every table of the store. ``where`` narrows the rule to rows in a state (a
    contract ended, a procedure closed). A rule the policy states without a maximum ("as long
    as needed") is bound with ``after``: the period the company applies; ``after`` may also
    be shorter than the policy's maximum, never longer.
    """

    rule: Id = Field(description="A retention rule of the policy.")
    scope: RetentionScope = Field(
        RetentionScope.ROWS,
        description="rows: the expired rows go; person: an expired row's person is erased "
        "from the store (a table of persons; required for last_activity).",
    )
    from_column: Name | None = Field(
        None,
        alias="from",
        description="The date or timestamp the period runs from (the cancellation, the "
        "contract's end, the procedure's end). Default: the table's created.",
    )
    where: dict[Name, Scalar | list[Scalar]] | None = Field(
        None,
        description="Only rows where these columns hold these values (a list: any of them), "
        "e.g. {status: [cancelled, ended]}.",
    )
    after: DurationField | None = Field(
        None,
        description="The period applied (ISO 8601): needed when the policy's rule has no "
        "maximum; at most the policy's maximum.",
    )
    aggregate: Aggregate | None = Field(
        None, description="For a rule with action aggregate: where the rows are counted."
    )
    guessed: bool = Field(False, description="Proposed by datamap generate; review it.")

    model_config = ConfigDict(populate_by_name=True)


class Table(MapModel):
    """A table (or collection) that holds personal data."""

    name: Name
    primary_key: list[Name] = Field(min_length=1)
    person: bool = Field(
        False,
        description="Each row is a person (customers, users, subscribers): its identity "
        "columns add to the identities searched everywhere else.",
    )
    links: list[Link] = Field(min_length=1, description="How a row belongs to a person.")
    fields: list[PersonalField] = Field(default_factory=list, description="The personal data.")
    erase: RowAction = Field(RowAction.DELETE, description="What an erasure does with a row.")
    reason: Text | None = Field(None, description="Why rows are kept, for erase: keep.")
    hold: Hold | None = None
    activity: list[Name] = Field(
        default_factory=list,
        description="Timestamps of the person's activity (last login, order, ticket).",
    )
    created: Name | None = Field(None, description="When the row was collected.")
    soft_delete: Name | None = Field(
        None,
        description="The application's 'deleted' flag or timestamp: such rows are still "
        "personal data, exported and erased like the others.",
    )
    retention: list[Retain] = Field(
        default_factory=list,
        description="The policy's retention rules that apply to this table's rows.",
    )
    guessed: bool = Field(False, description="Proposed by datamap generate; review it.")

    @model_validator(mode="after")
    def _keep_reason(self) -> Self:
        if self.erase is RowAction.KEEP and self.reason is None:
            raise ValueError("erase: keep needs a reason")
        return self


class HttpCall(MapModel):
    """One configured request of the HTTP connector."""

    method: Literal["GET", "POST", "DELETE", "PUT", "PATCH"] = "GET"
    url: Annotated[str, StringConstraints(pattern=r"^https?://", max_length=2000)] = Field(
        description="May name the identity as {email}, {phone} or {customer_number}."
    )
    headers_env: dict[Annotated[str, StringConstraints(max_length=128)], EnvName] = Field(
        default_factory=dict,
        description="Header name → environment variable that holds its value (API keys).",
    )
    body: dict[str, Any] | None = Field(
        None, description="A JSON body; string values may name the identity as above."
    )
    records: list[str] = Field(
        default_factory=list, description="Keys leading to the list of records in the answer."
    )


class StoreKind(StrEnum):
    POSTGRESQL = "postgresql"
    MYSQL = "mysql"
    SQLITE = "sqlite"
    HTTP = "http"
    MANUAL = "manual"


class Store(MapModel):
    """A database or tool that holds personal data, and how to reach it."""

    id: Id
    connector: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)] = (
        Field(description="postgresql, mysql, sqlite, http, manual, or a plugin's name.")
    )
    url_env: EnvName | None = Field(
        None, description="The environment variable that holds the connection URL."
    )
    url: Annotated[str, StringConstraints(max_length=2000)] | None = Field(
        None,
        description="A connection URL without a password (a SQLite file, a socket): a "
        "relative SQLite path is relative to the map file.",
    )
    schema_name: Name | None = Field(None, alias="schema", description="Database schema.")
    description: Text | None = None
    tables: list[Table] = Field(default_factory=list)
    # HTTP connector
    identities: list[IdentityKind] = Field(
        default_factory=list, description="http: the identities the API can be asked by."
    )
    find: HttpCall | None = Field(None, description="http: the request that finds the records.")
    delete: HttpCall | None = Field(None, description="http: the request that erases them.")
    categories: list[CategoryKey] = Field(
        default_factory=list, description="http, manual: the data categories the tool holds."
    )
    # manual connector
    instructions: Text | None = Field(
        None, description="manual: what a staff member does to complete a request here."
    )

    model_config = ConfigDict(populate_by_name=True)

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        sql = self.connector in {StoreKind.POSTGRESQL, StoreKind.MYSQL, StoreKind.SQLITE}
        if sql and (self.url is None) == (self.url_env is None):
            raise ValueError("a database store names exactly one of url_env or url")
        if self.connector == StoreKind.HTTP and self.find is None:
            raise ValueError("an http store needs find (the request that finds records)")
        if self.connector == StoreKind.MANUAL and self.instructions is None:
            raise ValueError("a manual store needs instructions")
        return self


class DataMap(MapModel):
    """Where the organisation's personal data lives: the root of a data-map file."""

    datamap: Literal[1] = Field(description="The format version of this file: 1.")
    organisation: Id | None = Field(
        None, description="The organisation (its id in privaat) this map belongs to."
    )
    stores: list[Store] = Field(min_length=1)

    def store(self, store_id: str) -> Store:
        for candidate in self.stores:
            if candidate.id == store_id:
                return candidate
        raise KeyError(store_id)
