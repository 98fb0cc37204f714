"""Rights requests: their kinds, their statuses, and the moves allowed between statuses.

A request moves received → verified → planned → executing → done. Before it is executed it
can be rejected (with reasons given to the person, Art. 12(4)) or cancelled (the person
withdrew it, or it was filed twice). Every status change goes through :func:`check_move`,
so that no code path can skip identity verification or reopen a closed request.

Pure data and one check.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from privaat.errors import Conflict


class RequestKind(StrEnum):
    ACCESS = "access"  # Art. 15
    PORTABILITY = "portability"  # Art. 20
    RECTIFICATION = "rectification"  # Art. 16
    ERASURE = "erasure"  # Art. 17
    RESTRICTION = "restriction"  # Art. 18
    OBJECTION = "objection"  # Art. 21
    WITHDRAWAL = "withdrawal"  # of consent, Art. 7(3)
    REVIEW = "review"  # human review of an automated decision, Art. 22(3)


class RequestStatus(StrEnum):
    RECEIVED = "received"
    VERIFIED = "verified"
    PLANNED = "planned"
    EXECUTING = "executing"
    DONE = "done"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class RequestChannel(StrEnum):
    """How the request reached the organisation."""

    API = "api"
    CLI = "cli"
    PORTAL = "portal"
    EMAIL = "email"
    LETTER = "letter"


_S = RequestStatus

#: status → the statuses it may move to. A plan can be dropped (data map changed) by going
#: back to verified; execution only ends in done.
TRANSITIONS: Final[dict[RequestStatus, frozenset[RequestStatus]]] = {
    _S.RECEIVED: frozenset({_S.VERIFIED, _S.REJECTED, _S.CANCELLED}),
    _S.VERIFIED: frozenset({_S.PLANNED, _S.REJECTED, _S.CANCELLED}),
    _S.PLANNED: frozenset({_S.EXECUTING, _S.VERIFIED, _S.REJECTED, _S.CANCELLED}),
    _S.EXECUTING: frozenset({_S.DONE}),
    _S.DONE: frozenset(),
    _S.REJECTED: frozenset(),
    _S.CANCELLED: frozenset(),
}

#: Statuses of a request that still has to be answered (its deadline runs).
OPEN: Final = frozenset(s for s, nexts in TRANSITIONS.items() if nexts)
CLOSED: Final = frozenset(RequestStatus) - OPEN


def can_move(current: RequestStatus, new: RequestStatus) -> bool:
    return new in TRANSITIONS[current]


def check_move(current: str, new: RequestStatus) -> None:
    """Conflict unless a request in `current` may move to `new`."""
    try:
        status = RequestStatus(current)
    except ValueError:
        raise Conflict(f"the request has an unknown status {current!r}") from None
    if not can_move(status, new):
        raise Conflict(f"a request that is {status.value} cannot become {new.value}")
