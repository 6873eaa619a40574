"""Incident pages: ``/incidents`` (the list, by status), ``/incidents/new`` (the form, prefilled from an alert or a
cluster), ``/incidents/<number>`` (status, linked cases with a selection, the statements with their preview, the
holding statement's send, crisis mode and the coverage warning, the volume chart, networks and languages).

Everyone signed in sees incidents and their cases; supervisors and admins manage them (the actions check it too).
Every form posts, runs one action in a savepoint (a refusal leaves nothing written) and redirects back with what
happened in the query string (``?done=sent&n=12``), or shows the page again with the error and what was typed.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from compris.accounts.permissions import Permission, allows
from compris.accounts.queries import workspace_users
from compris.channels.queries import channel_accounts
from compris.escalation import queries as escalation_queries
from compris.kit.errors import ComprisError, Invalid, NotFound
from compris.listening import bulk
from compris.listening import incident_handling as handling
from compris.listening import incident_queries as queries
from compris.listening import incidents as actions
from compris.models import ACTIVE_STATUSES, CaseStatus, Cluster, Incident, SlaPolicy, Team
from compris.replies.rendering import LANGUAGES, VARIABLES
from compris.triage.labels import INTENTS
from compris.web import i18n
from compris.web.deps import PageContext, ReadCasesPage, SupervisePage
from compris.web.pages.render import domain_action, is_htmx, redirect, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 100
CASE_PAGE = 200
#: what a redirect after an action may say (``?done=<code>``)
DONE = ("opened", "confirmed", "resolved", "reopened", "saved", "sent", "nothing_to_send", "linked", "unlinked",
        "crisis_on", "crisis_off", "escalated", "bulk")


def _ids(values: list[str]) -> list[int]:
    out: list[int] = []
    for value in values:
        for part in value.replace(",", " ").split():
            part = part.strip().lstrip("#")
            if not (part.isascii() and part.isdigit()) or len(part) > 12:
                raise Invalid.of("%(value)s is not a number", value=part[:20])
            out.append(int(part))
    return out


def _words(value: str) -> list[str]:
    return [w.strip() for w in value.replace("\n", ",").split(",") if w.strip()]


def _error(ctx: PageContext, error: ComprisError) -> str:
    return i18n.error_text(ctx.user.language, error)


def panel(ctx: PageContext, view: Any) -> dict[str, Any]:
    """What the case page's incident partial (``_case_incident.html``) needs: the case's incidents."""
    return {"case_incidents": queries.incidents_of_case(ctx.session, ctx.user.workspace_id, view.case.id)}


# --- the list ----------------------------------------------------------------------------------------------------


@router.get("/incidents")
def incidents_page(request: Request, ctx: ReadCasesPage) -> Response:
    status = request.query_params.get("status", "open")
    if status not in queries.STATUS_FILTERS:
        status = "open"
    ws = ctx.user.workspace_id
    rows = queries.list_incidents(ctx.session, ws, status, limit=PAGE_SIZE)
    return render(request, ctx, "incidents.html", rows=rows, status=status, filters=queries.STATUS_FILTERS,
                  counts=queries.status_counts(ctx.session, ws), may_manage=allows(ctx.user, Permission.SUPERVISE))


# --- opening -----------------------------------------------------------------------------------------------------


def _form_options(ctx: PageContext) -> dict[str, Any]:
    ws = ctx.user.workspace_id
    return {
        "accounts": channel_accounts(ctx.session, ws),
        "intents": INTENTS,
        "clusters": {c.id: c for c in ctx.session.scalars(select(Cluster).where(Cluster.workspace_id == ws)
                                                          .order_by(Cluster.id.desc()).limit(200))},
    }


def _draft_form(draft: actions.Draft) -> dict[str, Any]:
    return {"name": draft.name, "description": draft.description, "keywords": ", ".join(draft.match["keywords"]),
            "intents": list(draft.match["intents"]), "accounts": list(draft.match["channel_account_ids"]),
            "cluster_ids": list(draft.match["cluster_ids"]), "case_ids": draft.case_ids, "alert_id": draft.alert_id,
            "cluster_id": draft.cluster_id, "source": draft.source, "confirmed": False}


@router.get("/incidents/new")
def new_page(request: Request, ctx: SupervisePage) -> Response:
    ws = ctx.user.workspace_id
    params = request.query_params
    try:
        if params.get("alert", "").isdigit():
            draft = actions.draft_from_alert(ctx.session, ws, int(params["alert"]))
        elif params.get("cluster", "").isdigit():
            draft = actions.draft_from_cluster(ctx.session, ws, int(params["cluster"]))
        else:
            draft = actions.Draft()
    except NotFound:
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    return render(request, ctx, "incident_new.html", form=_draft_form(draft), error=None, **_form_options(ctx))


@router.post("/incidents/new")
def create(
    request: Request,
    ctx: SupervisePage,
    name: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    keywords: Annotated[str, Form()] = "",
    intents: Annotated[list[str] | None, Form()] = None,
    accounts: Annotated[list[str] | None, Form()] = None,
    cluster_ids: Annotated[list[str] | None, Form()] = None,
    case_ids: Annotated[list[str] | None, Form()] = None,
    cases: Annotated[str, Form()] = "",
    alert_id: Annotated[str, Form()] = "",
    cluster_id: Annotated[str, Form()] = "",
    confirmed: Annotated[str, Form()] = "",
) -> Response:
    form = {"name": name, "description": description, "keywords": keywords, "intents": intents or [],
            "accounts": [int(a) for a in accounts or [] if a.isdigit()],
            "cluster_ids": [int(c) for c in cluster_ids or [] if c.isdigit()],
            "case_ids": [int(c) for c in case_ids or [] if c.isdigit()], "cases": cases,
            "alert_id": int(alert_id) if alert_id.isdigit() else None,
            "cluster_id": int(cluster_id) if cluster_id.isdigit() else None, "confirmed": bool(confirmed),
            "source": "manual"}
    try:
        with domain_action(ctx.session):
            ids = _ids(case_ids or [])
            numbers = _ids([cases])
            if numbers:
                ids += [c.id for c in actions.find_cases(ctx.session, ctx.user.workspace_id, numbers=numbers)]
            incident = actions.open_incident(
                ctx.session, ctx.runtime.publisher, actor=ctx.user, name=name, description=description,
                match={"keywords": _words(keywords), "intents": intents or [],
                       "channel_account_ids": _ids(accounts or []),
                       "cluster_ids": _ids(cluster_ids or [])},
                confirmed=bool(confirmed), case_ids=ids,
                alert_id=int(alert_id) if alert_id.isdigit() else None,
                cluster_id=int(cluster_id) if cluster_id.isdigit() else None)
    except ComprisError as exc:
        return render(request, ctx, "incident_new.html", status_code=422, form=form, error=_error(ctx, exc),
                      **_form_options(ctx))
    return redirect(f"/incidents/{incident.number}?done=opened")


# --- the incident ------------------------------------------------------------------------------------------------


def _incident(ctx: PageContext, number: int) -> Incident:
    return actions.get_incident(ctx.session, ctx.user.workspace_id, number)


def _detail_vars(ctx: PageContext, incident: Incident, request: Request) -> dict[str, Any]:
    s, ws = ctx.session, ctx.user.workspace_id
    case_status = request.query_params.get("cases", "active")
    if case_status not in ("active", "all"):
        case_status = "active"
    cases = queries.linked_cases(s, ws, incident, status=case_status, limit=CASE_PAGE)
    breakdown = queries.breakdown(s, ws, incident)
    manage = allows(ctx.user, Permission.SUPERVISE)
    runs = handling.runs_of(s, incident) if manage else []
    done = request.query_params.get("done", "")
    return {
        "incident": incident,
        "cases": cases,
        "case_filter": case_status,
        "breakdown": breakdown,
        "chart": queries.volume(s, ws, incident),
        "states": handling.statement_states(s, incident, [c.case.id for c in cases]),
        "coverage": queries.coverage(s, ws, incident) if incident.status != "resolved" else None,
        "may_manage": manage,
        "runs": [(r, handling.run_counts(s, r)) for r in runs],
        "policies": list(s.scalars(select(SlaPolicy).where(SlaPolicy.workspace_id == ws,
                                                          SlaPolicy.is_active.is_(True))
                                   .order_by(SlaPolicy.position, SlaPolicy.id))),
        "agents": workspace_users(s, ws) if manage else [],
        "teams": list(s.scalars(select(Team).where(Team.workspace_id == ws).order_by(Team.name))) if manage else [],
        "partners": escalation_queries.partners(s, ws, active_only=True) if manage else [],
        "statuses": [st.value for st in CaseStatus if st.value in bulk.BULK_STATUSES],
        "languages": LANGUAGES,
        "variables": [v for v in VARIABLES if "<" not in v],
        "intents": INTENTS,
        "accounts": channel_accounts(s, ws),
        "done": done if done in DONE else "",
        "done_n": request.query_params.get("n", ""),
        "done_left": request.query_params.get("left", ""),
        "preview": None,
        "error": None,
        "draft": None,
        "active_statuses": ACTIVE_STATUSES,
    }


@router.get("/incidents/{number}")
def incident_page(number: int, request: Request, ctx: ReadCasesPage) -> Response:
    try:
        incident = _incident(ctx, number)
    except NotFound:
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    if is_htmx(request) and request.query_params.get("part") == "summary":
        ws = ctx.user.workspace_id
        return render(request, ctx, "incident_summary.html", incident=incident,
                      breakdown=queries.breakdown(ctx.session, ws, incident),
                      chart=queries.volume(ctx.session, ws, incident))
    variables = _detail_vars(ctx, incident, request)
    return render(request, ctx, "incident.html", **variables)


def _back(number: int, done: str, **extra: Any) -> Response:
    query = urlencode({"done": done, **{k: v for k, v in extra.items() if v not in (None, "")}})
    return redirect(f"/incidents/{number}?{query}")


def _refused(request: Request, ctx: PageContext, number: int, exc: ComprisError,
             draft: dict[str, Any] | None = None) -> Response:
    incident = _incident(ctx, number)
    variables = _detail_vars(ctx, incident, request)
    variables.update({"error": _error(ctx, exc), "draft": draft, "done": ""})
    return render(request, ctx, "incident.html", status_code=422, **variables)


@router.post("/incidents/{number}/status")
def status(
    number: int,
    request: Request,
    ctx: SupervisePage,
    action: Annotated[str, Form()] = "",
    resolve_cases: Annotated[str, Form()] = "",
    send_closing: Annotated[str, Form()] = "",
) -> Response:
    try:
        incident = _incident(ctx, number)
    except NotFound:
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    n: int | None = None
    try:
        with domain_action(ctx.session):
            p = ctx.runtime.publisher
            if action == "confirm":
                actions.confirm(ctx.session, p, actor=ctx.user, incident=incident)
                done = "confirmed"
            elif action == "resolve":
                outcome = handling.resolve_with_cases(ctx.session, p, actor=ctx.user, incident=incident,
                                                      resolve_cases=bool(resolve_cases),
                                                      send_closing=bool(send_closing))
                n = outcome.run.total if outcome.run is not None else None
                done = "resolved"
            elif action == "reopen":
                actions.reopen(ctx.session, p, actor=ctx.user, incident=incident)
                done = "reopened"
            else:
                raise Invalid("unknown action")
    except ComprisError as exc:
        return _refused(request, ctx, number, exc)
    return _back(number, done, n=n)


@router.post("/incidents/{number}/edit")
def edit(
    number: int,
    request: Request,
    ctx: SupervisePage,
    name: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    keywords: Annotated[str, Form()] = "",
    intents: Annotated[list[str] | None, Form()] = None,
    accounts: Annotated[list[str] | None, Form()] = None,
    cluster_ids: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        incident = _incident(ctx, number)
    except NotFound:
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    try:
        with domain_action(ctx.session):
            actions.update_incident(
                ctx.session, ctx.runtime.publisher, actor=ctx.user, incident=incident, name=name,
                description=description,
                match={"keywords": _words(keywords), "intents": intents or [],
                       "channel_account_ids": _ids(accounts or []),
                       "cluster_ids": _ids(cluster_ids or [])})
    except ComprisError as exc:
        return _refused(request, ctx, number, exc)
    return _back(number, "saved")


@router.post("/incidents/{number}/statements")
def statements(
    number: int,
    request: Request,
    ctx: SupervisePage,
    statement_fr: Annotated[str, Form()] = "",
    statement_en: Annotated[str, Form()] = "",
    closing_fr: Annotated[str, Form()] = "",
    closing_en: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "save",
) -> Response:
    """Save the statements, or preview them (``action=preview``: each language as one of the incident's customers
    will read it, with the guard's findings; nothing saved)."""
    try:
        incident = _incident(ctx, number)
    except NotFound:
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    texts = {"fr": statement_fr, "en": statement_en}
    closing = {"fr": closing_fr, "en": closing_en}
    draft = {"statements": texts, "closing": closing}
    if action == "preview":
        variables = _detail_vars(ctx, incident, request)
        variables.update({
            "preview": {"holding": handling.preview(ctx.session, actor=ctx.user, incident=incident, texts=texts),
                        "closing": handling.preview(ctx.session, actor=ctx.user, incident=incident, texts=closing)},
            "draft": draft, "done": ""})
        return render(request, ctx, "incident.html", **variables)
    try:
        with domain_action(ctx.session):
            actions.update_incident(ctx.session, ctx.runtime.publisher, actor=ctx.user, incident=incident,
                                    statements=texts, closing=closing)
    except ComprisError as exc:
        return _refused(request, ctx, number, exc, draft)
    return _back(number, "saved")


@router.post("/incidents/{number}/send")
def send(
    number: int,
    request: Request,
    ctx: SupervisePage,
    selected: Annotated[list[str] | None, Form()] = None,
    scope: Annotated[str, Form()] = "all",
    visibility: Annotated[str, Form()] = bulk.SAME,
) -> Response:
    """Send the holding statement to every active linked case (``scope=all``) or the selected ones."""
    try:
        incident = _incident(ctx, number)
    except NotFound:
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    try:
        with domain_action(ctx.session):
            ids = None if scope == "all" else _ids(selected or [])
            if ids is not None and not ids:
                raise Invalid("select at least one case")
            outcome = handling.send_statement(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                              incident=incident, case_ids=ids, visibility=visibility)
    except ComprisError as exc:
        return _refused(request, ctx, number, exc)
    left = len(outcome.left_out)
    if outcome.run is None:
        return _back(number, "nothing_to_send", left=left)
    return _back(number, "sent", n=outcome.queued, left=left)


@router.post("/incidents/{number}/cases")
def cases(
    number: int,
    request: Request,
    ctx: SupervisePage,
    action: Annotated[str, Form()] = "",
    selected: Annotated[list[str] | None, Form()] = None,
    numbers: Annotated[str, Form()] = "",
    assignee_id: Annotated[str, Form()] = "",
    team_id: Annotated[str, Form()] = "",
    tags: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
) -> Response:
    """Link cases by number; unlink, assign, transfer, tag or set the status of the selected ones."""
    try:
        incident = _incident(ctx, number)
    except NotFound:
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    p = ctx.runtime.publisher
    try:
        with domain_action(ctx.session):
            if action == "link":
                n = actions.link_cases(ctx.session, p, actor=ctx.user, incident=incident, numbers=_ids([numbers]))
                return _back(number, "linked", n=n)
            ids = _ids(selected or [])
            if not ids:
                raise Invalid("select at least one case")
            if action == "unlink":
                n = actions.unlink_cases(ctx.session, p, actor=ctx.user, incident=incident, case_ids=ids)
                return _back(number, "unlinked", n=n)
            choices: dict[str, dict[str, Any]] = {
                "assign": {"assignee_id": assignee_id or None}, "transfer": {"team_id": team_id or None},
                "tag": {"tags": _words(tags)}, "untag": {"tags": _words(tags)}, "set_status": {"status": status}}
            params = choices.get(action, {})
            run = handling.act_on_cases(ctx.session, p, actor=ctx.user, incident=incident, kind=action,
                                        params=params, case_ids=ids)
    except ComprisError as exc:
        return _refused(request, ctx, number, exc)
    return _back(number, "bulk", n=run.total)


@router.post("/incidents/{number}/crisis")
def crisis(
    number: int,
    request: Request,
    ctx: SupervisePage,
    on: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = "",
    sla_policy_id: Annotated[str, Form()] = "",
) -> Response:
    try:
        incident = _incident(ctx, number)
    except NotFound:
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    try:
        with domain_action(ctx.session):
            value = priority.strip()
            if value and not (value.isascii() and value.isdigit()):
                raise Invalid.of("the crisis priority raise is 0-%(max)s", max=actions.MAX_CRISIS_PRIORITY)
            policy = sla_policy_id.strip()
            if policy and not policy.isdigit():
                raise NotFound("no such SLA policy")
            n = actions.set_crisis(ctx.session, ctx.runtime.publisher, actor=ctx.user, incident=incident,
                                   on=on == "1", priority=int(value) if value else None,
                                   sla_policy_id=int(policy) if policy else None)
    except ComprisError as exc:
        return _refused(request, ctx, number, exc)
    return _back(number, "crisis_on" if on == "1" else "crisis_off", n=n)


@router.post("/incidents/{number}/escalate")
def escalate(
    number: int,
    request: Request,
    ctx: SupervisePage,
    partner_id: Annotated[str, Form()] = "",
    brief: Annotated[str, Form()] = "",
    selected: Annotated[list[str] | None, Form()] = None,
    scope: Annotated[str, Form()] = "all",
) -> Response:
    try:
        incident = _incident(ctx, number)
    except NotFound:
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    try:
        with domain_action(ctx.session):
            if not partner_id.isdigit():
                raise Invalid("pick a partner or team")
            ids = None if scope == "all" else _ids(selected or [])
            outcome = actions.escalate_cases(ctx.session, ctx.runtime.publisher, actor=ctx.user, incident=incident,
                                             partner_id=int(partner_id), brief=brief, case_ids=ids)
    except ComprisError as exc:
        return _refused(request, ctx, number, exc)
    return _back(number, "escalated", n=len(outcome.escalated), left=len(outcome.skipped))
