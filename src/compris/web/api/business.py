"""Business actions: their definitions (admin) and running one from a case.

Admins define actions (`/business-actions`); an agent with the permission runs one on a case
(`POST /cases/{number}/actions/{key}`, the body being the form's input); the call to the brand's system is made
in the background, signed and idempotent (docs/escalation.md → Business actions).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Response
from fastapi.responses import JSONResponse

from compris.business import actions, forms, prefill, queries
from compris.business.schemas import (
    ActionIn,
    ActionList,
    ActionOut,
    ActionPatch,
    ActionWithSecret,
    RunList,
    RunnableList,
    RunnableOut,
    RunOut,
)
from compris.inbox import queries as inbox_queries
from compris.models import BusinessAction, BusinessActionRun
from compris.replies.schemas import IDEMPOTENCY_KEY_PATTERN
from compris.web.api.common import ErrorOut, ReadCasesApi, SettingsApi, WorkCasesApi, errors

router = APIRouter(tags=["business actions"])

ActionId = Annotated[int, Path(description="The action's id (see `GET /business-actions`).", examples=[3])]
CaseNumber = Annotated[int, Path(description="The case number, as shown in the inbox.", examples=[1042])]
ActionKey = Annotated[str, Path(description="The action's key.", examples=["rebook"], max_length=40)]
NO_ACTION = "No such business action in your workspace."


def _out(action: BusinessAction) -> ActionOut:
    return ActionOut(id=action.id, key=action.key, names=dict(action.names), descriptions=dict(action.descriptions),
                     endpoint_url=action.endpoint_url, input_schema=dict(action.input_schema),
                     prefill=dict(action.prefill), roles=list(action.roles),
                     team_ids=[int(t) for t in action.team_ids], timeout_seconds=action.timeout_seconds,
                     max_attempts=action.max_attempts, is_active=action.is_active,
                     secret_rotated_at=action.secret_rotated_at)


def _with_secret(action: BusinessAction, secret: str) -> ActionWithSecret:
    return ActionWithSecret(**_out(action).model_dump(), signing_secret=secret)


def _run(run: BusinessActionRun, number: int, key: str) -> RunOut:
    return RunOut(id=run.id, case_number=number, action_key=key, state=run.state,  # type: ignore[arg-type]
                  input=dict(run.input), result=dict(run.result), error=run.error, http_status=run.http_status,
                  attempts=run.attempts, idempotency_key=run.idempotency_key, requested_by_id=run.requested_by_id,
                  created_at=run.created_at, finished_at=run.finished_at)


def _local(ctx: Any) -> bool:
    settings = ctx.runtime.settings
    return bool(settings.allow_local_http_endpoints or settings.demo)


def _labels(value: Any) -> dict[str, Any]:
    return {k: v for k, v in value.model_dump().items() if v is not None}


# --- definitions (admins) ------------------------------------------------------------------------------------


@router.get("/business-actions", response_model=ActionList, summary="List business actions",
            responses=errors(403))
def list_actions(ctx: SettingsApi) -> ActionList:
    """Every action of the workspace, active or not, by key. Secrets are never shown."""
    return ActionList(items=[_out(a) for a in queries.actions(ctx.session, ctx.user.workspace_id)])


@router.post("/business-actions", status_code=201, response_model=ActionWithSecret,
             summary="Create a business action", responses=errors(403, 409, 422))
def create_action(body: ActionIn, ctx: SettingsApi) -> ActionWithSecret:
    """An action and its signing secret, shown only in this answer (rotate it to get a new one)."""
    action, secret = actions.create_action(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, secret_key=ctx.runtime.settings.secret_key,
        allow_local=_local(ctx), key=body.key, names=_labels(body.names), descriptions=_labels(body.descriptions),
        endpoint_url=body.endpoint_url, input_schema=body.input_schema, prefill_rules=body.prefill,
        roles=body.roles, team_ids=body.team_ids, timeout_seconds=body.timeout_seconds,
        max_attempts=body.max_attempts, is_active=body.is_active)
    return _with_secret(action, secret)


@router.get("/business-actions/{action_id}", response_model=ActionOut, summary="Read a business action",
            responses=errors(403, 404, 422, not_found=NO_ACTION))
def get_action(action_id: ActionId, ctx: SettingsApi) -> ActionOut:
    """One action, without its secret."""
    return _out(queries.get_action(ctx.session, ctx.user.workspace_id, action_id))


@router.patch("/business-actions/{action_id}", response_model=ActionOut, summary="Change a business action",
              responses=errors(403, 404, 422, not_found=NO_ACTION))
def update_action(action_id: ActionId, body: ActionPatch, ctx: SettingsApi) -> ActionOut:
    """Change the fields given; `is_active: false` deactivates it (agents no longer see it; its runs stay)."""
    action = actions.update_action(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, action_id=action_id, allow_local=_local(ctx),
        names=_labels(body.names) if body.names is not None else None,
        descriptions=_labels(body.descriptions) if body.descriptions is not None else None,
        endpoint_url=body.endpoint_url, input_schema=body.input_schema, prefill_rules=body.prefill,
        roles=body.roles, team_ids=body.team_ids, timeout_seconds=body.timeout_seconds,
        max_attempts=body.max_attempts, is_active=body.is_active)
    return _out(action)


@router.post("/business-actions/{action_id}/rotate-secret", response_model=ActionWithSecret,
             summary="Rotate the signing secret", responses=errors(403, 404, 422, not_found=NO_ACTION))
def rotate_secret(action_id: ActionId, ctx: SettingsApi) -> ActionWithSecret:
    """A new signing secret, shown only in this answer; calls are signed with it from now on."""
    action, secret = actions.rotate_secret(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                           secret_key=ctx.runtime.settings.secret_key, action_id=action_id)
    return _with_secret(action, secret)


# --- runs from a case ----------------------------------------------------------------------------------------


@router.get("/cases/{number}/actions", response_model=RunnableList, summary="Actions you may run on a case",
            responses=errors(404, 422))
def runnable_actions(number: CaseNumber, ctx: ReadCasesApi) -> RunnableList:
    """The active actions the token's user may run, each with its form's schema prefilled from the case."""
    case = inbox_queries.get_case(ctx.session, ctx.user.workspace_id, number)
    facts = queries.case_facts(ctx.session, case)
    lang = ctx.user.language
    return RunnableList(items=[
        RunnableOut(key=a.key, name=queries.label(a, lang), description=queries.description(a, lang),
                    input_schema=dict(a.input_schema),
                    prefilled=prefill.prefill(a.prefill or {}, facts, a.input_schema))
        for a in queries.runnable(ctx.session, ctx.user)])


@router.post(
    "/cases/{number}/actions/{key}", status_code=202, response_model=RunOut, summary="Run a business action",
    responses={200: {"model": RunOut, "description": "A replay: the run this Idempotency-Key already created."},
               202: {"description": "The run, queued: the call is made in the background."},
               **errors(403, 404, 409, not_found="No such case or action in your workspace."),
               422: {"model": ErrorOut, "description": "The input does not match the action's schema: `details` "
                     "names each field."}},
)
def run_action(
    number: CaseNumber,
    key: ActionKey,
    ctx: WorkCasesApi,
    response: Response,
    body: Annotated[dict[str, Any], Body(description="The form's input: an object matching the action's schema.",
                                         examples=[{"record_locator": "K7XQ2M", "flight_date": "2026-12-24"}])],
    idempotency_key: Annotated[str | None, Header(
        alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Any unique string (1-64 printable ASCII characters). Retrying with the same key returns the "
        "first run instead of starting a second one.")] = None,
) -> Any:
    """Queue a run (403 without the permission). Follow it with `GET /cases/{number}/actions/runs`: it ends
    `succeeded` (with the returned fields) or `failed` (with the error), and both land on the case timeline."""
    case = inbox_queries.get_case(ctx.session, ctx.user.workspace_id, number, for_update=True)
    try:
        run, created = actions.request_run(ctx.session, ctx.runtime.publisher, actor=ctx.user, case=case, key=key,
                                           input=body, idempotency_key=idempotency_key)
    except forms.InputInvalid as exc:
        details = [{"field": f"body.{name}" if name else "body", "message": message}
                   for name, message in exc.fields.items()]
        return JSONResponse({"error": "the input does not match the action's form", "details": details},
                            status_code=422)
    if not created:
        response.status_code = 200
    return _run(run, case.number, key)


@router.get("/cases/{number}/actions/runs", response_model=RunList, summary="A case's business action runs",
            responses=errors(404, 422))
def list_runs(number: CaseNumber, ctx: ReadCasesApi) -> RunList:
    """The case's runs, newest first."""
    case = inbox_queries.get_case(ctx.session, ctx.user.workspace_id, number)
    keys = {a.id: a.key for a in queries.actions(ctx.session, ctx.user.workspace_id)}
    return RunList(items=[_run(r, case.number, keys.get(r.action_id, "")) for r in
                          queries.runs_of_case(ctx.session, case)])
