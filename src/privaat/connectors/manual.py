"""The manual connector: a system without an API, where a staff member does the work.

Every change becomes a MANUAL plan line; the request engine turns those into tasks that a
staff member completes and signs off. Nothing can be searched or exported automatically.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from privaat.connectors.base import (
    Collection,
    ConnectContext,
    Connector,
    Hit,
    Outcome,
    Person,
    PlanLine,
    Rectification,
    Step,
)
from privaat.core.datamap.model import Store


class ManualConnector:
    """A store whose part of every request is a task for a person."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _task(self, what: str) -> PlanLine:
        return PlanLine(
            self.store.id,
            "-",
            Step.MANUAL,
            0,
            columns=tuple(self.store.categories),
            detail=f"{what}: {self.store.instructions}",
        )

    def close(self) -> None:
        """Nothing to release."""

    def expand(self, person: Person) -> Person:
        return person

    def plan_access(self, person: Person) -> list[PlanLine]:
        return [self._task("export by hand")]

    def plan_erasure(self, persons: Sequence[Person]) -> list[list[PlanLine]]:
        return [[self._task("erase by hand")] for _ in persons]

    def export(self, person: Person) -> Iterator[Collection]:
        return iter(())

    def erase(self, persons: Sequence[Person]) -> list[Outcome]:
        return [Outcome((self._task("erase by hand"),)) for _ in persons]

    def rectify(self, person: Person, changes: Sequence[Rectification]) -> Outcome:
        return Outcome((self._task("rectify by hand"),))

    def search(self, person: Person, keys: Mapping[str, Sequence[Any]] | None = None) -> list[Hit]:
        return []


def connect(store: Store, context: ConnectContext) -> Connector:
    """The entry point registered as ``manual``."""
    return ManualConnector(store)
