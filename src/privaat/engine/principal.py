"""Who is calling: a staff member (through a login session) or an application's API token."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from privaat.core.access import Scope


@dataclass(frozen=True, slots=True)
class Principal:
    kind: Literal["staff", "token"]
    id: int  # staff id or token id
    grants: Mapping[int, frozenset[Scope]]  # organisation id -> scopes held there

    @property
    def label(self) -> str:
        """How the audit trail names this caller: ``staff:3`` or ``token:12``."""
        return f"{self.kind}:{self.id}"

    def scopes_in(self, org_id: int) -> frozenset[Scope]:
        return self.grants.get(org_id, frozenset())

    def can_see(self, org_id: int) -> bool:
        return org_id in self.grants
