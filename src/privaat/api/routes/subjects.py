"""Routes: data subjects, found or created by e-mail address, phone number or customer number.

Reading a subject shows personal data, so every read is audited (``subject.read``), also a
lookup that finds nobody.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.orm import Session

from privaat.api.deps import OrgAccess, ServicesDep, require
from privaat.core.access import Scope
from privaat.engine import orgs, subjects
from privaat.engine.audit import AuditRecord, append
from privaat.engine.subjects import IdentityKind
from privaat.errors import Conflict, InvalidInput, NotFound
from privaat.store.models import Organisation

router = APIRouter(prefix="/api/v1/orgs", tags=["subjects"])

GroupId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,4})?$")]
SubjectId = Annotated[int, Path(ge=1, le=2**62, description="The subject's id.")]


class IdentityFields(BaseModel):
    """Who: an e-mail address, a phone number (with country code) or a customer number."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(None, min_length=1, max_length=320)
    phone: str | None = Field(None, min_length=1, max_length=40)
    customer_number: str | None = Field(None, min_length=1, max_length=100)

    def identities(self) -> list[tuple[IdentityKind, str]]:
        given = [
            (IdentityKind.EMAIL, self.email),
            (IdentityKind.PHONE, self.phone),
            (IdentityKind.CUSTOMER_NUMBER, self.customer_number),
        ]
        return [(kind, value) for kind, value in given if value is not None]


class SubjectIn(IdentityFields):
    groups: list[GroupId] = Field(
        default_factory=list,
        max_length=20,
        description="Subject groups of the policy to add, e.g. ['customers'].",
    )
    language: Language | None = Field(None, max_length=8, description="Preferred language.")


class IdentityOut(BaseModel):
    kind: IdentityKind
    value: str


class SubjectOut(BaseModel):
    id: int
    identities: list[IdentityOut]
    groups: list[str]
    language: str | None
    created_at: dt.datetime
    created: bool = Field(False, description="True when this request created the subject.")


def subject_out(view: subjects.SubjectView, created: bool = False) -> SubjectOut:
    return SubjectOut(
        id=view.id,
        identities=[IdentityOut(kind=i.kind, value=i.value) for i in view.identities],
        groups=list(view.groups),
        language=view.language,
        created_at=view.created_at,
        created=created,
    )


def audit_read(
    session: Session, access: OrgAccess, now: dt.datetime, action: str, subject_id: int | None
) -> None:
    append(
        session,
        AuditRecord(
            access.actor,
            action,
            now,
            org_id=access.org_id,
            subject_id=subject_id,
            target=f"subject:{subject_id}" if subject_id else "subject:lookup",
            detail={} if subject_id else {"found": False},
        ),
    )


@router.post(
    "/{org}/subjects",
    status_code=201,
    summary="Find or create a subject by its identities",
    description="Give one or more of email, phone, customer_number. A subject that has one of "
    "them already is returned (200) with the others linked to it and the groups added; "
    "otherwise a new subject is created (201). Identities that belong to two different "
    "subjects are a conflict (409).",
    responses={200: {"model": SubjectOut, "description": "The subject existed already."}},
)
def ensure_subject(
    body: SubjectIn,
    access: Annotated[OrgAccess, require(Scope.SUBJECTS_WRITE)],
    services: ServicesDep,
    response: Response,
) -> SubjectOut:
    given = body.identities()
    if not given:
        raise InvalidInput("give at least one of email, phone or customer_number")
    now = services.clock.now()
    with services.store.transaction() as session:
        org = session.get(Organisation, access.org_id)
        assert org is not None
        groups = subjects.validate_groups(
            orgs.active_policy(session, org, services.policies), body.groups
        )
        normal = [(kind, subjects.normalise(kind, value)) for kind, value in given]
        owners = {
            sid
            for kind, value in normal
            if (sid := subjects.find(session, org.id, kind, value)) is not None
        }
        if len(owners) > 1:
            raise Conflict("these identities belong to different subjects")
        created = not owners
        if owners:
            subject_id = owners.pop()
            subjects.update_subject(
                session,
                org.id,
                subject_id,
                now=now,
                actor=access.actor,
                groups=groups,
                language=body.language,
            )
        else:
            kind, value = normal[0]
            subject_id = subjects.ensure(
                session,
                org.id,
                kind,
                value,
                now=now,
                actor=access.actor,
                groups=groups,
                language=body.language,
            )
        for kind, value in normal:
            subjects.add_identity(
                session, org.id, subject_id, kind, value, now=now, actor=access.actor
            )
        view = subjects.get(session, org.id, subject_id)
    response.status_code = 201 if created else 200
    return subject_out(view, created)


@router.get(
    "/{org}/subjects",
    summary="Find a subject by one identity",
    description="Exactly one of email, phone or customer_number. Audited, also when nobody "
    "is found (404).",
)
def find_subject(
    access: Annotated[OrgAccess, require(Scope.SUBJECTS_READ)],
    services: ServicesDep,
    email: Annotated[str | None, Query(min_length=1, max_length=320)] = None,
    phone: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    customer_number: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
) -> SubjectOut:
    kind, value = one_identity(email, phone, customer_number)
    now = services.clock.now()
    view: subjects.SubjectView | None = None
    with services.store.transaction() as session:
        subject_id = subjects.find(session, access.org_id, kind, value)
        audit_read(session, access, now, "subject.read", subject_id)
        if subject_id is not None:
            view = subjects.get(session, access.org_id, subject_id)
    if view is None:  # raised after the commit: the audit entry stays
        raise NotFound("no subject with this identity")
    return subject_out(view)


def one_identity(
    email: str | None, phone: str | None, customer_number: str | None
) -> tuple[IdentityKind, str]:
    fields = IdentityFields(email=email, phone=phone, customer_number=customer_number)
    given = fields.identities()
    if len(given) != 1:
        raise InvalidInput("give exactly one of email, phone or customer_number")
    return given[0]


@router.get("/{org}/subjects/{subject_id}", summary="One subject (audited)")
def get_subject(
    subject_id: SubjectId,
    access: Annotated[OrgAccess, require(Scope.SUBJECTS_READ)],
    services: ServicesDep,
) -> SubjectOut:
    with services.store.transaction() as session:
        view = subjects.get(session, access.org_id, subject_id)
        audit_read(session, access, services.clock.now(), "subject.read", subject_id)
    return subject_out(view)
