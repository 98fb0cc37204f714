"""Who may do what: staff roles, API-token scopes, and the scopes each role holds.

Every endpoint declares the one scope it needs. A staff member holds the scopes of their
role in each organisation they belong to; an API token holds the scopes it was given, in
the one organisation it belongs to. Pure data, so that the API, the CLI and the tests share it.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    PRIVACY_OFFICER = "privacy_officer"
    SUPPORT = "support"
    AUDITOR = "auditor"


class Scope(StrEnum):
    POLICY_READ = "policy:read"
    POLICY_WRITE = "policy:write"
    SUBJECTS_READ = "subjects:read"
    SUBJECTS_WRITE = "subjects:write"
    CONSENT_CHECK = "consent:check"  # the hot path: is this allowed? (no personal data out)
    CONSENT_READ = "consent:read"  # history and proof (personal data, audited)
    CONSENT_WRITE = "consent:write"
    CONSENT_IMPORT = "consent:import"
    AUDIT_READ = "audit:read"
    DATAMAP_READ = "datamap:read"  # the data map (where personal data lives)
    DATAMAP_WRITE = "datamap:write"
    REQUESTS_READ = "requests:read"  # rights requests and their plans (personal data, audited)
    REQUESTS_WRITE = "requests:write"  # intake, verification, extension, rejection
    REQUESTS_EXECUTE = "requests:execute"  # run a plan: export, erase, rectify
    RETENTION_READ = "retention:read"  # sweep plans and reports (counts, no personal data)
    RETENTION_RUN = "retention:run"  # start a sweep: deletes from the company's databases
    STAFF_ADMIN = "staff:admin"  # staff accounts, roles and API tokens


ALL_SCOPES = frozenset(Scope)

ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.ADMIN: ALL_SCOPES,
    Role.PRIVACY_OFFICER: ALL_SCOPES - {Scope.STAFF_ADMIN},
    Role.SUPPORT: frozenset(
        {
            Scope.POLICY_READ,
            Scope.SUBJECTS_READ,
            Scope.SUBJECTS_WRITE,
            Scope.CONSENT_CHECK,
            Scope.CONSENT_READ,
            Scope.CONSENT_WRITE,
            Scope.REQUESTS_READ,
            Scope.REQUESTS_WRITE,
        }
    ),
    Role.AUDITOR: frozenset(
        {
            Scope.POLICY_READ,
            Scope.SUBJECTS_READ,
            Scope.CONSENT_CHECK,
            Scope.CONSENT_READ,
            Scope.AUDIT_READ,
            Scope.DATAMAP_READ,
            Scope.REQUESTS_READ,
            Scope.RETENTION_READ,
        }
    ),
}
