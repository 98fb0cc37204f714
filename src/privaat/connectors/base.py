"""What every connector does, and the values it hands back.

A connector serves one store of the data map. The request engine never speaks SQL or HTTP
itself: it asks each store's connector to find a person, plan a change, export, erase,
rectify, and search again after an erasure. Methods that change data take a batch of
persons so that many requests go through the same compiled plan at once; each such call is
one transaction in the store, so a failure leaves nothing half-done.

Connectors never log values they read: personal data stays out of application logs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from privaat.core.datamap.model import IdentityKind, Store
from privaat.core.policy.model import Policy
from privaat.core.retention import Sweep


@dataclass(frozen=True, slots=True)
class Person:
    """A person as a request knows them: identity values by kind (normalised)."""

    identities: Mapping[IdentityKind, frozenset[str]]

    @classmethod
    def of(cls, **values: str | Sequence[str]) -> Person:
        out: dict[IdentityKind, frozenset[str]] = {}
        for kind, value in values.items():
            items = [value] if isinstance(value, str) else list(value)
            out[IdentityKind(kind)] = frozenset(normalise(IdentityKind(kind), v) for v in items)
        return cls(out)

    def values(self, kind: IdentityKind) -> frozenset[str]:
        return self.identities.get(kind, frozenset())

    def merged(self, other: Person) -> Person:
        kinds = set(self.identities) | set(other.identities)
        return Person({k: self.values(k) | other.values(k) for k in kinds})

    def __bool__(self) -> bool:
        return any(self.identities.values())


def normalise(kind: IdentityKind, value: str) -> str:
    """An identity as privaat compares it: e-mail trimmed and lower-cased, others trimmed."""
    value = value.strip()
    return value.lower() if kind is IdentityKind.EMAIL else value


class Step(StrEnum):
    """What a plan says will happen to a set of rows."""

    EXPORT = "export"  # goes into the access / portability export
    DELETE = "delete"  # rows deleted
    MASK = "mask"  # fields masked, row kept
    HOLD = "hold"  # kept under a statutory hold, restricted; deletion scheduled
    KEEP = "keep"  # kept as the map says (erase: keep), with its reason
    UNLINK = "unlink"  # a link column nulled first (a cycle, or a RESTRICT reference)
    CASCADE = "cascade"  # removed or nulled by the database's own ON DELETE rule
    RECTIFY = "rectify"  # values replaced by the corrected ones
    MANUAL = "manual"  # a staff member must act (manual store, or a blocked row)
    AGGREGATE = "aggregate"  # counted into anonymous statistics, then deleted (retention)


@dataclass(frozen=True, slots=True)
class PlanLine:
    """One line of a plan: in this store and table, this many rows, this step."""

    store: str
    table: str
    step: Step
    rows: int
    columns: tuple[str, ...] = ()  # for mask / rectify / unlink: which columns, and how
    detail: str = ""  # how: masking strategies, the ON DELETE rule, the hold and its end
    until: dt.date | None = None  # for hold: the first day the hold no longer applies
    examples: tuple[str, ...] = ()  # a few primary keys (never personal values)


@dataclass(frozen=True, slots=True)
class Collection:
    """One table's rows of a person, for an export; ``rows`` is streamed once."""

    store: str
    table: str
    columns: tuple[str, ...]
    categories: Mapping[str, str]  # column -> data category
    rows: Iterator[tuple[Any, ...]]
    provided: frozenset[str] = frozenset()  # the columns the person provided (portability)
    #: rows of others that only mention the person: their key and mentioning text only
    mentions: bool = False


@dataclass(frozen=True, slots=True)
class HeldRows:
    """Rows kept under a statutory hold: restricted now, to be deleted when it ends."""

    store: str
    table: str
    hold: str
    keys: tuple[tuple[Any, ...], ...]  # primary keys of the held rows
    until: dt.date | None  # None: the document date is missing, review by hand


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a change did in one store for one person."""

    lines: tuple[PlanLine, ...]
    held: tuple[HeldRows, ...] = ()


@dataclass(frozen=True, slots=True)
class Hit:
    """A place where a person's identity or key was still found (the post-erasure search)."""

    store: str
    table: str
    column: str
    rows: int
    held: bool  # all these rows are under a hold, which is why they remain
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ConnectContext:
    """What a connector may use besides its own part of the map."""

    policy: Policy
    base_dir: Path  # relative paths in the map are relative to the map file
    environ: Mapping[str, str]  # where url_env and headers_env are looked up
    masking_key: bytes  # the organisation's key for HMAC masking and random values
    today: dt.date


@dataclass(frozen=True, slots=True)
class Rectification:
    """A corrected value for every column of a data category (or an identity kind)."""

    category: str
    value: str


@dataclass(frozen=True, slots=True)
class SweepBatch:
    """What one committed batch of a retention sweep did."""

    lines: tuple[PlanLine, ...]
    rows: int  # the expired rows (or persons) this batch handled
    last: tuple[Any, ...] | None  # the last primary key handled: where the next batch starts


@runtime_checkable
class Retainer(Protocol):
    """A connector that runs retention sweeps (the SQL connector; plugins may too)."""

    def plan_retention(self, sweep: Sweep) -> list[PlanLine]:
        """What the sweep would do today, per table and step; nothing changes."""

    def sweep(self, sweep: Sweep, after: tuple[Any, ...] | None = None) -> Iterator[SweepBatch]:
        """Carry the sweep out, one committed transaction per yielded batch; ``after``
        resumes after that primary key."""


@runtime_checkable
class Connector(Protocol):
    """One store of the data map. Created by the registry, closed by its user."""

    store: Store

    def close(self) -> None:
        """Release connections."""

    def expand(self, person: Person) -> Person:
        """The person with every identity the store's tables of persons add."""

    def plan_access(self, person: Person) -> list[PlanLine]:
        """Per table, how many of the person's rows an export would hold (EXPORT lines)."""

    def plan_erasure(self, persons: Sequence[Person]) -> list[list[PlanLine]]:
        """Per person: what an erasure would delete, mask, keep, hold, unlink or leave."""

    def export(self, person: Person) -> Iterator[Collection]:
        """The person's rows, table by table, streamed."""

    def erase(self, persons: Sequence[Person]) -> list[Outcome]:
        """Erase the persons' data in one transaction; per person, what was done."""

    def rectify(self, person: Person, changes: Sequence[Rectification]) -> Outcome:
        """Replace the values of the changed categories everywhere they are copied."""

    def search(self, person: Person, keys: Mapping[str, Sequence[Any]] | None = None) -> list[Hit]:
        """Search every identity, link, JSON and free-text column for the person again.

        ``keys`` are primary keys of person tables found before an erasure (table ->
        keys), so that rows still pointing at an erased person are found too.
        """


class ConnectorFactory(Protocol):
    def __call__(self, store: Store, context: ConnectContext) -> Connector: ...


@dataclass(slots=True)
class Registry:
    """Connector kinds by name. Built-ins register like plugins (entry point group
    ``privaat.connectors``, each entry a ConnectorFactory)."""

    factories: dict[str, ConnectorFactory] = field(default_factory=dict)

    def register(self, name: str, factory: ConnectorFactory) -> None:
        self.factories[name] = factory

    def names(self) -> list[str]:
        return sorted(self.factories)


def merge_lines(lines: Iterable[PlanLine]) -> list[PlanLine]:
    """Lines of the same store, table, step, columns, detail and end date added up."""
    merged: dict[tuple[Any, ...], PlanLine] = {}
    for line in lines:
        key = (line.store, line.table, line.step, line.columns, line.detail, line.until)
        found = merged.get(key)
        if found is None:
            merged[key] = line
        else:
            merged[key] = replace(
                found,
                rows=found.rows + line.rows,
                examples=tuple(dict.fromkeys(found.examples + line.examples))[:3],
            )
    return list(merged.values())
