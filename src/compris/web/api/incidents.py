"""Incidents: list, read, open (by hand or from an alert / a cluster), edit, confirm / resolve / reopen, link and
unlink cases, the holding statement, crisis mode, escalation and bulk actions on the incident's cases.

Reads are open to every user of the workspace; writes to supervisors and admins (403). Cases are named by their
number; a case or incident of another workspace is "not found"."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from sqlalchemy import select

from compris.kit.errors import NotFound
from compris.listening import incident_handling as handling
from compris.listening import incident_queries as queries
from compris.listening import incidents as actions
from compris.listening.schemas import (
    CaseNumbersIn,
    CrisisIn,
    CrisisOut,
    IncidentCaseList,
    IncidentCaseOut,
    IncidentCasesActionIn,
    IncidentCoverageOut,
    IncidentDetailOut,
    IncidentDraftOut,
    IncidentEscalationIn,
    IncidentEscalationOut,
    IncidentIn,
    IncidentList,
    IncidentMatch,
    IncidentOut,
    IncidentPatch,
    LeftOut,
    LinkedOut,
    ResolveIn,
    ResolveOut,
    RunStartedOut,
    StatementIn,
    StatementOut,
    VolumePoint,
)
from compris.models import ACTIVE_STATUSES, Case, Incident, IncidentCase
from compris.web.api.common import ReadCasesApi, SuperviseApi, errors
from compris.web.deps import PageContext

router = APIRouter(prefix="/incidents", tags=["incidents"])

Number = Annotated[int, Path(description="The incident's number in your workspace.", examples=[3])]
NOT_FOUND = "No such incident (or case) in your workspace."


def _incident(ctx: PageContext, number: int) -> Incident:
    return actions.get_incident(ctx.session, ctx.user.workspace_id, number)


def _ids(ctx: PageContext, numbers: list[int] | None) -> list[int] | None:
    if numbers is None:
        return None
    return [c.id for c in actions.find_cases(ctx.session, ctx.user.workspace_id, numbers=numbers)]


def _numbers(ctx: PageContext, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    return dict(ctx.session.execute(select(Case.id, Case.number).where(
        Case.workspace_id == ctx.user.workspace_id, Case.id.in_(ids))).all())


def _counts(ctx: PageContext, incident: Incident) -> tuple[int, int]:
    rows = ctx.session.execute(select(Case.status).join(IncidentCase, IncidentCase.case_id == Case.id)
                               .where(IncidentCase.incident_id == incident.id)).scalars().all()
    return len(rows), sum(1 for s in rows if s in ACTIVE_STATUSES)


def _match(raw: dict[str, Any]) -> IncidentMatch:
    return IncidentMatch(keywords=list(raw.get("keywords") or []), cluster_ids=list(raw.get("cluster_ids") or []),
                         channel_account_ids=list(raw.get("channel_account_ids") or []),
                         intents=list(raw.get("intents") or []))


def _out(i: Incident, cases: int, open_cases: int) -> dict[str, Any]:
    return {"number": i.number, "name": i.name, "description": i.description, "status": i.status,
            "source": i.source, "match": _match(i.match or {}), "statements": dict(i.statements or {}),
            "closing": dict(i.closing or {}), "crisis": i.crisis, "crisis_priority": i.crisis_priority,
            "crisis_sla_policy_id": i.crisis_sla_policy_id, "cases": cases, "open_cases": open_cases,
            "created_at": i.created_at, "confirmed_at": i.confirmed_at, "resolved_at": i.resolved_at}


def incident_out(ctx: PageContext, incident: Incident) -> IncidentOut:
    return IncidentOut(**_out(incident, *_counts(ctx, incident)))


@router.get("", response_model=IncidentList, summary="List incidents", responses=errors(422))
def list_incidents(
    ctx: ReadCasesApi,
    status: Annotated[str, Query(pattern="^(open|suspected|confirmed|resolved|all)$",
                                 description="`open`: suspected or confirmed.")] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> IncidentList:
    """The workspace's incidents, newest first."""
    rows = queries.list_incidents(ctx.session, ctx.user.workspace_id, status, limit=limit, offset=offset)
    return IncidentList(items=[IncidentOut(**_out(r.incident, r.cases, r.open_cases)) for r in rows])


@router.get("/draft", response_model=IncidentDraftOut, summary="What an alert or a cluster proposes",
            responses=errors(403, 404, 422, not_found="No such alert or cluster in your workspace."))
def draft(
    ctx: SuperviseApi,
    alert: Annotated[int | None, Query(description="An alert's id.")] = None,
    cluster: Annotated[int | None, Query(description="A cluster's id.")] = None,
) -> IncidentDraftOut:
    """The name, matching rules and cases a new incident would take from the alert or the cluster."""
    ws = ctx.user.workspace_id
    if alert is not None:
        d = actions.draft_from_alert(ctx.session, ws, alert)
    elif cluster is not None:
        d = actions.draft_from_cluster(ctx.session, ws, cluster)
    else:
        raise NotFound("no such alert")
    numbers = _numbers(ctx, d.case_ids)
    return IncidentDraftOut(name=d.name, source=d.source, match=_match(d.match),  # type: ignore[arg-type]
                            case_numbers=sorted(numbers.values()), alert_id=d.alert_id, cluster_id=d.cluster_id)


@router.post("", response_model=IncidentOut, status_code=201, summary="Open an incident",
             responses=errors(403, 404, 409, 422, not_found=NOT_FOUND))
def open_incident(body: IncidentIn, ctx: SuperviseApi) -> IncidentOut:
    """Suspected (or `confirmed`) at once; the cases named are linked, and while it is open new messages matching
    `match` are linked automatically."""
    incident = actions.open_incident(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, name=body.name, description=body.description,
        match=body.match.model_dump(), statements={str(k): v for k, v in body.statements.items()},
        closing={str(k): v for k, v in body.closing.items()},
        confirmed=body.confirmed, case_ids=_ids(ctx, body.case_numbers) or [], alert_id=body.alert_id,
        cluster_id=body.cluster_id)
    return incident_out(ctx, incident)


@router.get("/{number}", response_model=IncidentDetailOut, summary="Read an incident",
            responses=errors(404, 422, not_found=NOT_FOUND))
def get_incident(number: Number, ctx: ReadCasesApi) -> IncidentDetailOut:
    """With its cases per status, network and language, its volume over time and the coverage now."""
    incident = _incident(ctx, number)
    ws = ctx.user.workspace_id
    seen = queries.breakdown(ctx.session, ws, incident)
    chart = queries.volume(ctx.session, ws, incident)
    cov = queries.coverage(ctx.session, ws, incident) if incident.status != "resolved" else None
    return IncidentDetailOut(
        **_out(incident, seen.total, seen.active), statuses=seen.statuses, networks=seen.networks,
        languages=seen.languages, volume_step="hour" if chart.hourly else "day",
        volume=[VolumePoint(start=b.start, count=b.count) for b in chart.bars],
        coverage=IncidentCoverageOut(level=cov.level, online=cov.online,  # type: ignore[arg-type]
                                     free_slots=cov.free_slots, on_shift=cov.on_shift, open_cases=cov.open_cases,
                                     unassigned=cov.unassigned) if cov else None)


@router.patch("/{number}", response_model=IncidentOut, summary="Edit an incident",
              responses=errors(403, 404, 422, not_found=NOT_FOUND))
def edit_incident(number: Number, body: IncidentPatch, ctx: SuperviseApi) -> IncidentOut:
    """Change the fields given: name, description, matching rules, statements (a field left out stays)."""
    incident = _incident(ctx, number)
    changes: dict[str, Any] = {}
    for key in body.model_fields_set:
        value = getattr(body, key)
        if value is None:
            continue
        changes[key] = value.model_dump() if key == "match" else (dict(value) if isinstance(value, dict) else value)
    actions.update_incident(ctx.session, ctx.runtime.publisher, actor=ctx.user, incident=incident, **changes)
    return incident_out(ctx, incident)


@router.post("/{number}/confirm", response_model=IncidentOut, summary="Confirm a suspected incident",
             responses=errors(403, 404, 409, 422, not_found=NOT_FOUND))
def confirm(number: Number, ctx: SuperviseApi) -> IncidentOut:
    """A suspected incident is real (409 otherwise)."""
    incident = _incident(ctx, number)
    actions.confirm(ctx.session, ctx.runtime.publisher, actor=ctx.user, incident=incident)
    return incident_out(ctx, incident)


@router.post("/{number}/resolve", response_model=ResolveOut, summary="Resolve an incident",
             responses=errors(403, 404, 409, 422, not_found=NOT_FOUND))
def resolve(number: Number, body: ResolveIn, ctx: SuperviseApi) -> ResolveOut:
    """Crisis mode ends; with `resolve_cases`, its open cases are resolved by a bulk operation (each with the
    closing message in its language when `send_closing`)."""
    incident = _incident(ctx, number)
    outcome = handling.resolve_with_cases(ctx.session, ctx.runtime.publisher, actor=ctx.user, incident=incident,
                                          resolve_cases=body.resolve_cases, send_closing=body.send_closing)
    return ResolveOut(incident=incident_out(ctx, incident), run_id=outcome.run.id if outcome.run else None)


@router.post("/{number}/reopen", response_model=IncidentOut, summary="Reopen a resolved incident",
             responses=errors(403, 404, 409, 422, not_found=NOT_FOUND))
def reopen(number: Number, ctx: SuperviseApi) -> IncidentOut:
    """Confirmed again if it had been, else suspected; crisis mode stays off (409 unless resolved)."""
    incident = _incident(ctx, number)
    actions.reopen(ctx.session, ctx.runtime.publisher, actor=ctx.user, incident=incident)
    return incident_out(ctx, incident)


@router.get("/{number}/cases", response_model=IncidentCaseList, summary="The incident's cases",
            responses=errors(404, 422, not_found=NOT_FOUND))
def cases(
    number: Number,
    ctx: ReadCasesApi,
    status: Annotated[str, Query(pattern="^(active|all|new|open|waiting_customer|waiting_partner|snoozed|"
                                         "resolved|closed)$")] = "all",
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> IncidentCaseList:
    """Most recent activity first, each with the outcome of the latest holding statement."""
    incident = _incident(ctx, number)
    rows = queries.linked_cases(ctx.session, ctx.user.workspace_id, incident, status=status, limit=limit,
                                offset=offset)
    states = handling.statement_states(ctx.session, incident, [r.case.id for r in rows])
    return IncidentCaseList(items=[IncidentCaseOut(
        number=r.case.number, status=r.case.status, language=r.case.language,
        network=r.account.network if r.account else None, priority=r.case.priority, assignee_id=r.case.assignee_id,
        linked_by=r.linked_by if r.linked_by in ("manual", "auto", "cluster", "spike") else "manual",  # type: ignore[arg-type]
        statement=states[r.case.id].state if r.case.id in states else None,  # type: ignore[arg-type]
        statement_reason=states[r.case.id].error if r.case.id in states else None) for r in rows])


@router.post("/{number}/cases", response_model=LinkedOut, summary="Link cases to the incident",
             responses=errors(403, 404, 422, not_found=NOT_FOUND))
def link(number: Number, body: CaseNumbersIn, ctx: SuperviseApi) -> LinkedOut:
    """By number; a case already linked stays as it is. Crisis mode applies to the new ones at once."""
    incident = _incident(ctx, number)
    return LinkedOut(changed=actions.link_cases(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                                incident=incident, numbers=body.case_numbers))


@router.post("/{number}/cases/unlink", response_model=LinkedOut, summary="Unlink cases from the incident",
             responses=errors(403, 404, 422, not_found=NOT_FOUND))
def unlink(number: Number, body: CaseNumbersIn, ctx: SuperviseApi) -> LinkedOut:
    """A wrong link undone; crisis mode no longer applies to them."""
    incident = _incident(ctx, number)
    return LinkedOut(changed=actions.unlink_cases(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                                  incident=incident, numbers=body.case_numbers))


@router.post("/{number}/statement", response_model=StatementOut, status_code=202,
             summary="Send the holding statement", responses=errors(403, 404, 409, 422, not_found=NOT_FOUND))
def send_statement(number: Number, body: StatementIn, ctx: SuperviseApi) -> StatementOut:
    """To every open case of the incident, or `case_numbers` of them; once per case (a case already answered with
    this statement is left out, as are resolved ones). Each reply is personalised, guard-checked and sent through
    the outbox by a bulk operation."""
    incident = _incident(ctx, number)
    outcome = handling.send_statement(ctx.session, ctx.runtime.publisher, actor=ctx.user, incident=incident,
                                      case_ids=_ids(ctx, body.case_numbers), visibility=body.visibility)
    numbers = _numbers(ctx, list(outcome.left_out))
    return StatementOut(run_id=outcome.run.id if outcome.run else None, queued=outcome.queued,
                        left_out=[LeftOut(case_number=numbers[c], reason=r)  # type: ignore[arg-type]
                                  for c, r in outcome.left_out.items() if c in numbers])


@router.post("/{number}/crisis", response_model=CrisisOut, summary="Crisis mode on or off",
             responses=errors(403, 404, 409, 422, not_found=NOT_FOUND))
def crisis(number: Number, body: CrisisIn, ctx: SuperviseApi) -> CrisisOut:
    """On: the open cases' priority raised by `priority` and `sla_policy_id` forced on them (and on new ones);
    off: both restored."""
    incident = _incident(ctx, number)
    kwargs: dict[str, Any] = {}
    if "sla_policy_id" in body.model_fields_set:
        kwargs["sla_policy_id"] = body.sla_policy_id
    changed = actions.set_crisis(ctx.session, ctx.runtime.publisher, actor=ctx.user, incident=incident, on=body.on,
                                 priority=body.priority, **kwargs)
    return CrisisOut(incident=incident_out(ctx, incident), changed=changed)


@router.post("/{number}/escalate", response_model=IncidentEscalationOut, summary="Escalate the incident's cases",
             responses=errors(403, 404, 422, not_found=NOT_FOUND))
def escalate(number: Number, body: IncidentEscalationIn, ctx: SuperviseApi) -> IncidentEscalationOut:
    """One escalation per open case to the partner or team, each with the brief."""
    incident = _incident(ctx, number)
    outcome = actions.escalate_cases(ctx.session, ctx.runtime.publisher, actor=ctx.user, incident=incident,
                                     partner_id=body.partner_id, brief=body.brief,
                                     case_ids=_ids(ctx, body.case_numbers))
    return IncidentEscalationOut(escalated=outcome.escalated,
                                 skipped={str(k): v for k, v in outcome.skipped.items()})  # type: ignore[misc]


@router.post("/{number}/bulk", response_model=RunStartedOut, status_code=202,
             summary="Assign, transfer, tag or set the status of the incident's cases",
             responses=errors(403, 404, 422, not_found=NOT_FOUND))
def bulk_action(number: Number, body: IncidentCasesActionIn, ctx: SuperviseApi) -> RunStartedOut:
    """A bulk operation over all the incident's cases or `case_numbers` of them (`GET /bulk-runs/{run_id}`)."""
    incident = _incident(ctx, number)
    choices: dict[str, dict[str, Any]] = {
        "assign": {"assignee_id": body.assignee_id}, "transfer": {"team_id": body.team_id},
        "tag": {"tags": body.tags}, "untag": {"tags": body.tags}, "set_status": {"status": body.status}}
    params = choices[body.action]
    run = handling.act_on_cases(ctx.session, ctx.runtime.publisher, actor=ctx.user, incident=incident,
                                kind=body.action, params=params, case_ids=_ids(ctx, body.case_numbers))
    return RunStartedOut(run_id=run.id, total=run.total)
