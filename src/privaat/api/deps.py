"""The API's dependencies: the services, the caller, and the organisation they act in.

Every route under ``/api/v1/orgs/{org}`` takes ``require(Scope.X)``: it authenticates the
bearer token, finds the organisation, and refuses unless the caller holds ``X`` there. An
organisation the caller has no grant in answers 404, as if it did not exist.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from privaat.core.access import Scope
from privaat.core.clock import Clock
from privaat.engine import tokens
from privaat.engine.orgs import PolicyCache
from privaat.engine.principal import Principal
from privaat.errors import AuthenticationFailed, NotFound, PermissionDenied
from privaat.settings import Settings
from privaat.store.db import Store
from privaat.store.models import Organisation


@dataclass
class Services:
    """What a request needs, built once by ``create_app``."""

    settings: Settings
    store: Store
    clock: Clock
    policies: PolicyCache = field(default_factory=PolicyCache)
    _principals: dict[str, tuple[float, Principal]] = field(default_factory=dict)
    _org_ids: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _resolving: dict[str, asyncio.Future[Principal]] = field(default_factory=dict)

    def cached_principal(self, token: str) -> Principal | None:
        hit = self._principals.get(tokens.token_hash(token))
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return None

    def principal(self, token: str) -> Principal:
        """The caller behind a token, cached for ``auth_cache_seconds``."""
        key = tokens.token_hash(token)
        hit = self._principals.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        with self.store.reading() as session:
            principal = tokens.resolve(session, token, self.clock.now())
        ttl = self.settings.auth_cache_seconds
        if ttl > 0:
            with self._lock:
                if len(self._principals) > 10_000:
                    self._principals.clear()
                self._principals[key] = (time.monotonic() + ttl, principal)
        return principal

    async def principal_async(self, token: str) -> Principal:
        """:meth:`principal` from the event loop: a cached caller at once; otherwise one look-up
        per token at a time in the thread pool, which the requests arriving meanwhile share.

        When a cached caller expires (every ``auth_cache_seconds``) under load, every request
        of that moment used to look it up for itself, each in its own thread.
        """
        principal = self.cached_principal(token)
        if principal is not None:
            return principal
        key = tokens.token_hash(token)
        loop = asyncio.get_running_loop()
        pending = self._resolving.get(key)
        if pending is None or pending.get_loop() is not loop:
            pending = asyncio.ensure_future(run_in_threadpool(self.principal, token))
            self._resolving[key] = pending
            pending.add_done_callback(lambda done: self._resolved(key, done))
        return await asyncio.shield(pending)

    def _resolved(self, key: str, done: asyncio.Future[Principal]) -> None:
        if self._resolving.get(key) is done:
            del self._resolving[key]
        if not done.cancelled():
            done.exception()  # retrieved: its waiters may all have left

    def forget_principals(self) -> None:
        """Drop cached callers (after a revocation or a role change in this process)."""
        with self._lock:
            self._principals.clear()

    def known_org_id(self, slug: str) -> int | None:
        """An organisation's id if this process has looked it up before (no database)."""
        return self._org_ids.get(slug)

    def org_id(self, slug: str) -> int:
        """An organisation's id by slug (organisations are never renamed or removed)."""
        org_id = self._org_ids.get(slug)
        if org_id is None:
            with self.store.reading() as session:
                org_id = session.execute(
                    select(Organisation.id).where(Organisation.slug == slug)
                ).scalar_one_or_none()
            if org_id is None:
                raise NotFound(f"no organisation {slug!r}")
            self._org_ids[slug] = org_id
        return org_id


# The dependencies are coroutines: FastAPI runs a plain ``def`` dependency in the thread
# pool, one hop per dependency and request. Only a cache miss needs the database, and
# that goes to the thread pool.


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

bearer = HTTPBearer(
    auto_error=False,
    description="An API token or a staff session token (POST /api/v1/auth/login).",
)


async def get_principal(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None:
        raise AuthenticationFailed("a bearer token is required")
    return await services.principal_async(credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(get_principal)]

OrgSlug = Annotated[
    str,
    Path(
        description="The organisation's slug.",
        min_length=2,
        max_length=63,
        pattern=r"^[a-z0-9][a-z0-9-]+$",
    ),
]


@dataclass(frozen=True, slots=True)
class OrgAccess:
    """The caller, inside one organisation, holding the scope the route needs."""

    org_id: int
    slug: str
    principal: Principal
    scopes: frozenset[Scope]

    @property
    def actor(self) -> str:
        return self.principal.label


def require(scope: Scope) -> Any:
    """A dependency: the caller must hold ``scope`` in the organisation of the path."""

    async def dependency(org: OrgSlug, principal: PrincipalDep, services: ServicesDep) -> OrgAccess:
        try:
            known = services.known_org_id(org)
            org_id = known if known is not None else await run_in_threadpool(services.org_id, org)
        except NotFound:
            raise NotFound(f"no organisation {org!r}") from None
        if not principal.can_see(org_id):
            raise NotFound(f"no organisation {org!r}")
        held = principal.scopes_in(org_id)
        if scope not in held:
            raise PermissionDenied(f"this needs the {scope.value} permission")
        return OrgAccess(org_id, org, principal, held)

    dependency.__name__ = f"require_{scope.name.lower()}"
    return Depends(dependency)
