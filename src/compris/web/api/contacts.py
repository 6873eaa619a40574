"""Contacts and merges: read a contact, merge two contacts or two cases of one contact, split an identity off."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from sqlalchemy.orm import Session

from compris.inbox import actions, queries
from compris.inbox import queries as contact_queries
from compris.inbox.schemas import CaseMergeIn, CaseSummary, ContactDetail, ContactMergeIn, PreviousCase
from compris.kit.errors import NotFound
from compris.web.api import load, serialize
from compris.web.api.cases import CaseNumber, field_error
from compris.web.api.common import ErrorOut, ReadCasesApi, WorkCasesApi, errors

router = APIRouter()

ContactId = Annotated[int, Path(description="The contact id (a case's `contact.id`).", examples=[12])]
IdentityId = Annotated[int, Path(description="The identity id (from the contact's `identities`).", examples=[31])]


def _errors(*codes: int, not_found: str = "No such contact in your workspace.") -> dict[int | str, dict[str, Any]]:
    documented = errors(*codes)
    if 404 in documented:
        documented[404] = {"model": ErrorOut, "description": not_found}
    return documented


def contact_detail(session: Session, workspace_id: int, contact_id: int) -> ContactDetail:
    view = contact_queries.contact_view(session, workspace_id, contact_id)
    out = serialize.contact(view.contact, view.identities)
    return ContactDetail(
        **out.model_dump(), merged_into_id=view.merged_into.id if view.merged_into is not None else None,
        cases=[PreviousCase(number=c.number, status=c.status,  # type: ignore[arg-type]
                            subject=c.subject, last_activity_at=c.last_activity_at) for c in view.cases],
    )


@router.get("/contacts/{contact_id}", response_model=ContactDetail, summary="Read a contact", tags=["contacts"],
            responses=_errors(404, 422))
def get_contact(contact_id: ContactId, ctx: ReadCasesApi) -> ContactDetail:
    """The contact, each of their identities, and their cases. A contact merged into another has no identity
    left: `merged_into_id` says where they went."""
    return contact_detail(ctx.session, ctx.user.workspace_id, contact_id)


@router.post("/contacts/{contact_id}/merge", response_model=ContactDetail, summary="Merge into another contact",
             tags=["contacts"], responses=_errors(404, 409, 422))
def merge_contact(contact_id: ContactId, body: ContactMergeIn, ctx: WorkCasesApi) -> ContactDetail:
    """The same person wrote from two accounts: this contact's identities and cases move to `into`, which is
    returned. Undo it per identity with `POST /contacts/{id}/identities/{identity_id}/unmerge`. Merging a
    contact into itself, or into one that was itself merged away, is refused (422); a contact already merged
    away cannot be merged again (409)."""
    session, user = ctx.session, ctx.user
    source = contact_queries.get_contact(session, user.workspace_id, contact_id, for_update=True)
    if body.into == source.id:
        field_error(("body", "into"), "a contact cannot be merged into itself", body.into)
    try:
        target = contact_queries.get_contact(session, user.workspace_id, body.into, for_update=True)
    except NotFound:
        field_error(("body", "into"), "no such contact in this workspace", body.into)
    actions.merge_contacts(session, ctx.runtime.publisher, actor=user, source=source, target=target)
    session.flush()
    return contact_detail(session, user.workspace_id, target.id)


@router.post("/contacts/{contact_id}/identities/{identity_id}/unmerge", status_code=201,
             response_model=ContactDetail, summary="Split an identity off", tags=["contacts"],
             responses=_errors(404, 422, not_found="No such contact in your workspace, or no such identity of "
                               "this contact."))
def unmerge_identity(contact_id: ContactId, identity_id: IdentityId, ctx: WorkCasesApi) -> ContactDetail:
    """Undo a merge for one identity: it becomes a contact of its own (returned, 201), and its future messages
    open cases there; existing cases stay where they are. The contact's only identity cannot be split off (422)."""
    session, user = ctx.session, ctx.user
    contact = contact_queries.get_contact(session, user.workspace_id, contact_id, for_update=True)
    identity = contact_queries.get_identity(session, contact, identity_id)
    new = actions.unmerge_identity(session, ctx.runtime.publisher, actor=user, identity=identity)
    session.flush()
    return contact_detail(session, user.workspace_id, new.id)


@router.post("/cases/{number}/merge", response_model=CaseSummary, summary="Merge into another case",
             tags=["cases"], responses=errors(404, 422))
def merge_case(number: CaseNumber, body: CaseMergeIn, ctx: WorkCasesApi) -> CaseSummary:
    """The customer's same issue in two cases: this case's messages move to case `into` (of the same contact),
    which is returned, and this case is closed. `into` is reopened when it was resolved and this case was
    still open. Merging a case into itself or into another customer's case is refused (422)."""
    session, user = ctx.session, ctx.user
    source = queries.get_case(session, user.workspace_id, number, for_update=True)
    if body.into == source.number:
        field_error(("body", "into"), "a case cannot be merged into itself", body.into)
    try:
        target = queries.get_case(session, user.workspace_id, body.into, for_update=True)
    except NotFound:
        field_error(("body", "into"), "no such case in this workspace", body.into)
    if target.contact_id != source.contact_id:
        field_error(("body", "into"), "only cases of the same customer can be merged (merge the contacts first)",
                    body.into)
    actions.merge_cases(session, ctx.runtime.publisher, actor=user, source=source, target=target)
    return load.case_summary(session, target)
