"""Find the connector for a store: built-ins and plugins through one entry-point group."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from privaat.connectors.base import ConnectContext, Connector, ConnectorFactory, Registry
from privaat.core.datamap.model import Store
from privaat.errors import UsageError

#: Packages add connectors by declaring an entry point in this group.
ENTRY_POINT_GROUP = "privaat.connectors"


@cache
def default_registry() -> Registry:
    """Every installed connector kind, privaat's own included (they are entry points too)."""
    registry = Registry()
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        factory: ConnectorFactory = entry.load()
        registry.register(entry.name, factory)
    return registry


def connect(store: Store, context: ConnectContext, registry: Registry | None = None) -> Connector:
    """A connector for ``store``; UsageError when no installed connector has its kind."""
    found = (registry or default_registry()).factories.get(store.connector)
    if found is None:
        known = ", ".join((registry or default_registry()).names()) or "none"
        raise UsageError(
            f"store {store.id!r}: no connector {store.connector!r} is installed (known: {known})"
        )
    return found(store, context)
