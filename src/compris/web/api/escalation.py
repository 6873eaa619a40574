"""Escalation: partners and internal teams (admin), a case's escalations (escalate, follow up, close, cancel,
reopen, revoke links), overdue escalations.

The same actions as the pages (``compris.escalation.actions``): every write is checked, recorded on the case
timeline or the audit log, and emits its domain event.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from compris.escalation import actions, queries
from compris.escalation.queries import EscalationItem
from compris.escalation.schemas import (
    EscalationIn,
    EscalationList,
    EscalationOut,
    ExchangeOut,
    FollowUpIn,
    PartnerIn,
    PartnerList,
    PartnerOut,
    PartnerPatch,
    Reminders,
    ReopenIn,
    SharedOut,
)
from compris.inbox.queries import get_case
from compris.models import Case, Escalation, Partner
from compris.web.api.common import ReadCasesApi, SettingsApi, WorkCasesApi, errors
from compris.web.deps import PageContext

router = APIRouter(tags=["escalation"])

PartnerId = Annotated[int, Path(description="The partner's or team's id (see `GET /partners`).", examples=[3])]
CaseNumber = Annotated[int, Path(description="The case number, as shown in the inbox.", examples=[1042])]
EscalationId = Annotated[int, Path(description="The escalation's id.", examples=[11])]
NO_PARTNER = "No such partner or team (or business hours) in your workspace."
NO_ESCALATION = "No such case, escalation, partner, message or file in your workspace."


def _partner(p: Partner) -> PartnerOut:
    reminders = p.reminders or {}
    return PartnerOut(id=p.id, name=p.name, kind=p.kind,  # type: ignore[arg-type]
                      emails=[str(e) for e in p.emails or []], language=p.language,
                      business_hours_id=p.business_hours_id, due_minutes=p.due_minutes,
                      reminders=Reminders(before_minutes=list(reminders.get("before_minutes") or []),
                                          after_minutes=list(reminders.get("after_minutes") or []),
                                          repeat_minutes=int(reminders.get("repeat_minutes") or 0)),
                      link_days=p.link_days, notes=p.notes, is_active=p.is_active)


def _escalation(item: EscalationItem, case: Case, *, with_exchanges: bool = False) -> EscalationOut:
    e = item.escalation
    shared = e.shared or {}
    return EscalationOut(
        id=e.id, case_number=case.number, partner_id=item.partner.id, partner_name=item.partner.name,
        partner_kind=item.partner.kind, status=e.status, outcome=e.outcome,  # type: ignore[arg-type]
        partner_outcome=e.partner_outcome, brief=e.brief,
        shared=SharedOut(message_ids=[int(i) for i in shared.get("message_ids") or []],
                         upload_ids=[int(i) for i in shared.get("upload_ids") or []],
                         personal_data=bool(shared.get("personal_data"))),
        due_at=e.due_at, overdue=item.is_overdue(), created_by_id=e.created_by_id, created_at=e.created_at,
        opened_at=e.opened_at, answered_at=e.answered_at, closed_at=e.closed_at, link_version=e.link_version,
        exchanges=[ExchangeOut(id=x.id, direction=x.direction, kind=x.kind,  # type: ignore[arg-type]
                               text=x.text, upload_ids=[int(u) for u in x.upload_ids or []],
                               author_user_id=x.author_user_id, author_email=x.author_email, via=x.via,
                               created_at=x.created_at) for x in item.exchanges] if with_exchanges else None)


def _one(ctx: PageContext, case: Case, escalation_id: int) -> EscalationOut:
    ctx.session.flush()
    item = queries.escalation_item(ctx.session, ctx.user.workspace_id, escalation_id)
    assert item is not None
    return _escalation(item, case, with_exchanges=True)


# --- partners and internal teams --------------------------------------------------------------------------


@router.get("/partners", response_model=PartnerList, summary="List partners and teams", responses=errors(422))
def list_partners(ctx: ReadCasesApi, active: Annotated[bool, Query(description="Only the active ones.")] = False
                  ) -> PartnerList:
    """The partners and internal teams a case can be escalated to (every user may read them: agents escalate)."""
    return PartnerList(items=[_partner(p) for p in queries.partners(ctx.session, ctx.user.workspace_id,
                                                                    active_only=active)])


@router.post("/partners", status_code=201, response_model=PartnerOut, summary="Create a partner or team",
             responses=errors(403, 404, 409, 422, not_found=NO_PARTNER))
def create_partner(body: PartnerIn, ctx: SettingsApi) -> PartnerOut:
    """A partner or internal team, with its e-mail addresses, language, due-time policy and reminders (admins).
    A bad e-mail address or negative minutes is a 422 naming the problem; a second one of the same name, 409."""
    partner = actions.create_partner(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, name=body.name, kind=body.kind, emails=body.emails,
        language=body.language, business_hours_id=body.business_hours_id, due_minutes=body.due_minutes,
        reminders=body.reminders.model_dump(), link_days=body.link_days, notes=body.notes)
    return _partner(partner)


@router.get("/partners/{partner_id}", response_model=PartnerOut, summary="Read a partner or team",
            responses=errors(404, 422, not_found=NO_PARTNER))
def get_partner(partner_id: PartnerId, ctx: ReadCasesApi) -> PartnerOut:
    """One partner or internal team."""
    return _partner(actions.get_partner(ctx.session, ctx.user.workspace_id, partner_id))


@router.patch("/partners/{partner_id}", response_model=PartnerOut, summary="Change or deactivate a partner or team",
              responses=errors(403, 404, 409, 422, not_found=NO_PARTNER))
def update_partner(partner_id: PartnerId, body: PartnerPatch, ctx: SettingsApi) -> PartnerOut:
    """Change the fields given (admins); `is_active: false` deactivates (no new escalation to them)."""
    given = body.model_fields_set
    partner = actions.update_partner(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, partner_id=partner_id, name=body.name, kind=body.kind,
        emails=body.emails, language=body.language,
        **({"business_hours_id": body.business_hours_id} if "business_hours_id" in given else {}),
        due_minutes=body.due_minutes, reminders=body.reminders.model_dump() if body.reminders else None,
        link_days=body.link_days, notes=body.notes)
    if body.is_active is not None:
        partner = actions.set_partner_active(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                             partner_id=partner_id, active=body.is_active)
    return _partner(partner)


# --- a case's escalations ---------------------------------------------------------------------------------


@router.get("/cases/{number}/escalations", response_model=EscalationList, summary="List a case's escalations",
            responses=errors(404, 422, not_found=NO_ESCALATION))
def list_case_escalations(number: CaseNumber, ctx: ReadCasesApi) -> EscalationList:
    """The case's escalations, newest first (without their exchanges: read one for them)."""
    case = get_case(ctx.session, ctx.user.workspace_id, number)
    return EscalationList(items=[_escalation(i, case) for i in queries.case_escalations(
        ctx.session, ctx.user.workspace_id, case.id)])


@router.post("/cases/{number}/escalations", status_code=201, response_model=EscalationOut,
             summary="Escalate a case", responses=errors(404, 409, 422, not_found=NO_ESCALATION))
def escalate(number: CaseNumber, body: EscalationIn, ctx: WorkCasesApi) -> EscalationOut:
    """Hand the case to a partner or internal team (any agent). The case becomes "waiting on partner" (its SLA
    pauses); the partner gets an e-mail with a signed link. A resolved or closed case is a 409."""
    case = get_case(ctx.session, ctx.user.workspace_id, number, for_update=True)
    escalation = actions.escalate(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, case=case, partner_id=body.partner_id, brief=body.brief,
        message_ids=body.message_ids, upload_ids=body.upload_ids, personal_data=body.personal_data,
        due_at=body.due_at, template_id=body.template_id, via="api")
    return _one(ctx, case, escalation.id)


def _locked(ctx: PageContext, number: int, escalation_id: int) -> tuple[Case, Escalation]:
    """The case and its escalation, locked for a change (404 when either is not there)."""
    case = get_case(ctx.session, ctx.user.workspace_id, number, for_update=True)
    return case, actions.get_escalation(ctx.session, ctx.user.workspace_id, escalation_id, case=case,
                                        for_update=True)


@router.get("/cases/{number}/escalations/{escalation_id}", response_model=EscalationOut,
            summary="Read an escalation", responses=errors(404, 422, not_found=NO_ESCALATION))
def get_escalation(number: CaseNumber, escalation_id: EscalationId, ctx: ReadCasesApi) -> EscalationOut:
    """One escalation with its exchanges (the brief, follow-ups, reminders, the partner's answers)."""
    case = get_case(ctx.session, ctx.user.workspace_id, number)
    actions.get_escalation(ctx.session, ctx.user.workspace_id, escalation_id, case=case)
    return _one(ctx, case, escalation_id)


@router.post("/cases/{number}/escalations/{escalation_id}/follow-up", response_model=EscalationOut,
             summary="Write to the partner again", responses=errors(404, 409, 422, not_found=NO_ESCALATION))
def follow_up(number: CaseNumber, escalation_id: EscalationId, body: FollowUpIn, ctx: WorkCasesApi) -> EscalationOut:
    """More information or a nudge; an escalation the partner had answered waits for them again. 409 once ended."""
    case, escalation = _locked(ctx, number, escalation_id)
    actions.follow_up(ctx.session, ctx.runtime.publisher, actor=ctx.user, escalation=escalation, text=body.text,
                      upload_ids=body.upload_ids, via="api")
    return _one(ctx, case, escalation_id)


@router.post("/cases/{number}/escalations/{escalation_id}/close", response_model=EscalationOut,
             summary="Close an escalation", responses=errors(404, 409, 422, not_found=NO_ESCALATION))
def close(number: CaseNumber, escalation_id: EscalationId, ctx: WorkCasesApi) -> EscalationOut:
    """Done (after the partner's answer): outcome `resolved`. The last open escalation ending puts a case still
    waiting on the partner back to open."""
    case, escalation = _locked(ctx, number, escalation_id)
    actions.close(ctx.session, ctx.runtime.publisher, actor=ctx.user, escalation=escalation)
    return _one(ctx, case, escalation_id)


@router.post("/cases/{number}/escalations/{escalation_id}/cancel", response_model=EscalationOut,
             summary="Cancel an escalation", responses=errors(404, 409, 422, not_found=NO_ESCALATION))
def cancel(number: CaseNumber, escalation_id: EscalationId, ctx: WorkCasesApi) -> EscalationOut:
    """No longer needed: outcome `cancelled`."""
    case, escalation = _locked(ctx, number, escalation_id)
    actions.cancel(ctx.session, ctx.runtime.publisher, actor=ctx.user, escalation=escalation)
    return _one(ctx, case, escalation_id)


@router.post("/cases/{number}/escalations/{escalation_id}/reopen", response_model=EscalationOut,
             summary="Reopen an escalation", responses=errors(404, 409, 422, not_found=NO_ESCALATION))
def reopen(number: CaseNumber, escalation_id: EscalationId, body: ReopenIn, ctx: WorkCasesApi) -> EscalationOut:
    """A closed or cancelled escalation waits for the partner again, with a new due time; earlier links die."""
    case, escalation = _locked(ctx, number, escalation_id)
    actions.reopen(ctx.session, ctx.runtime.publisher, actor=ctx.user, escalation=escalation, due_at=body.due_at)
    return _one(ctx, case, escalation_id)


@router.post("/cases/{number}/escalations/{escalation_id}/revoke-links", response_model=EscalationOut,
             summary="Revoke an escalation's links", responses=errors(404, 422, not_found=NO_ESCALATION))
def revoke_links(number: CaseNumber, escalation_id: EscalationId, ctx: WorkCasesApi) -> EscalationOut:
    """Every portal link sent so far stops working."""
    case, escalation = _locked(ctx, number, escalation_id)
    actions.revoke_links(ctx.session, ctx.runtime.publisher, actor=ctx.user, escalation=escalation)
    return _one(ctx, case, escalation_id)
