"""Find the connector for a store: built-ins and plugins through one entry-point group.

An entry point is loaded only when a store of its kind is used, so that a broken or heavy
plugin costs nothing to a map that does not name it.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from privaat.connectors.base import ConnectContext, Connector, ConnectorFactory, Registry
from privaat.core.datamap.model import Store
from privaat.errors import UsageError

#: Packages add connectors by declaring an entry point in this group.
ENTRY_POINT_GROUP = "privaat.connectors"


@cache
def installed() -> dict[str, str]:
    """Connector kind -> entry point value, for every installed connector."""
    return {entry.name: entry.value for entry in entry_points(group=ENTRY_POINT_GROUP)}


@cache
def _load(name: str) -> ConnectorFactory:
    [entry] = entry_points(group=ENTRY_POINT_GROUP, name=name)
    factory: ConnectorFactory = entry.load()
    return factory


def connect(store: Store, context: ConnectContext, registry: Registry | None = None) -> Connector:
    """A connector for ``store``; UsageError when no installed connector has its kind.

    ``registry`` replaces the installed connectors (tests, embedding applications).
    """
    if registry is not None:
        factory = registry.factories.get(store.connector)
        known = registry.names()
    else:
        factory = _load(store.connector) if store.connector in installed() else None
        known = sorted(installed())
    if factory is None:
        raise UsageError(
            f"store {store.id!r}: no connector {store.connector!r} is installed "
            f"(known: {', '.join(known) or 'none'})"
        )
    return factory(store, context)
