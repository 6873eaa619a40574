"""Satisfaction surveys: settings (admin), a case's surveys, results (CSAT, response rate)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from compris.channels.queries import channel_accounts
from compris.inbox.queries import get_case
from compris.kit.errors import NotFound
from compris.surveys import actions, queries
from compris.surveys.schemas import (
    CaseSurveyList,
    CaseSurveyOut,
    SurveySettingsList,
    SurveySettingsOut,
    SurveySettingsPatch,
)
from compris.web.api.common import ManageDeskApi, ReadCasesApi, errors
from compris.web.deps import PageContext

router = APIRouter(prefix="/surveys", tags=["surveys"])

AccountId = Annotated[int, Path(description="See `GET /channels`.", examples=[1])]
CaseNumber = Annotated[int, Path(description="The case's number in your workspace.", examples=[42])]


def _out(effective: queries.Effective, channel_account_id: int | None, own: bool) -> SurveySettingsOut:
    return SurveySettingsOut(
        channel_account_id=channel_account_id, own=own, enabled=effective.enabled,
        delay_minutes=effective.delay_minutes, questions=dict(effective.questions),
        comment_questions=dict(effective.comment_questions), ask_comment=effective.ask_comment,
        scale="faces5" if effective.scale == "faces5" else "stars5", quiet_days=effective.quiet_days,
        low_rating=effective.low_rating, reopen_on_low=effective.reopen_on_low, link_days=effective.link_days)


def _account(ctx: PageContext, channel_account_id: int) -> None:
    if channel_account_id not in {a.id for a in channel_accounts(ctx.session, ctx.user.workspace_id)}:
        raise NotFound("no such channel account")


@router.get("/settings", response_model=SurveySettingsList, summary="Read the survey settings",
            responses=errors(403))
def get_settings(ctx: ManageDeskApi) -> SurveySettingsList:
    """The workspace's settings and the accounts that override them. Without settings, surveys are off."""
    ws = ctx.user.workspace_id
    rows = queries.settings_rows(ctx.session, ws)
    workspace = next((r for r in rows if r.channel_account_id is None), None)
    return SurveySettingsList(
        workspace=_out(queries.effective_of(workspace), None, workspace is not None),
        accounts=[_out(queries.effective_of(r), r.channel_account_id, True) for r in rows
                  if r.channel_account_id is not None])


@router.patch("/settings", response_model=SurveySettingsOut, summary="Change the workspace's survey settings",
              responses=errors(403, 422))
def update_settings(body: SurveySettingsPatch, ctx: ManageDeskApi) -> SurveySettingsOut:
    """Change the fields given (the others stay as they are)."""
    row = actions.save_settings(ctx.session, ctx.runtime.publisher, actor=ctx.user, channel_account_id=None,
                                values=body.model_dump(include=body.model_fields_set, exclude_none=True))
    return _out(queries.effective_of(row), None, True)


@router.get("/settings/accounts/{channel_account_id}", response_model=SurveySettingsOut,
            summary="Read the survey settings of a channel account",
            responses=errors(403, 404, 422, not_found="No such channel account in your workspace."))
def get_account_settings(channel_account_id: AccountId, ctx: ManageDeskApi) -> SurveySettingsOut:
    """What applies to surveys going out on this account: its own settings, else the workspace's (``own`` false)."""
    _account(ctx, channel_account_id)
    own = queries.settings_row(ctx.session, ctx.user.workspace_id, channel_account_id)
    return _out(queries.effective(ctx.session, ctx.user.workspace_id, channel_account_id), channel_account_id,
                own is not None)


@router.patch("/settings/accounts/{channel_account_id}", response_model=SurveySettingsOut,
              summary="Change the survey settings of a channel account",
              responses=errors(403, 404, 422, not_found="No such channel account in your workspace."))
def update_account_settings(channel_account_id: AccountId, body: SurveySettingsPatch,
                            ctx: ManageDeskApi) -> SurveySettingsOut:
    """The account's own settings (created from the workspace's on the first change); the fields given change."""
    _account(ctx, channel_account_id)
    row = actions.save_settings(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                channel_account_id=channel_account_id,
                                values=body.model_dump(include=body.model_fields_set, exclude_none=True))
    return _out(queries.effective_of(row), channel_account_id, True)


@router.delete("/settings/accounts/{channel_account_id}", status_code=204,
               summary="Remove a channel account's own survey settings",
               responses=errors(403, 404, 422,
                                not_found="No such channel account, or it has no settings of its own."))
def delete_account_settings(channel_account_id: AccountId, ctx: ManageDeskApi) -> Response:
    """The workspace's settings apply to the account again."""
    _account(ctx, channel_account_id)
    actions.delete_override(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                            channel_account_id=channel_account_id)
    return Response(status_code=204)


@router.get("/cases/{number}", response_model=CaseSurveyList, summary="List a case's surveys",
            responses=errors(404, 422, not_found="No such case in your workspace."))
def case_surveys(number: CaseNumber, ctx: ReadCasesApi) -> CaseSurveyList:
    """One per resolution cycle, latest first: scheduled, sent, answered (rating, comment), skipped (why) or
    cancelled (the case was reopened before it went out)."""
    case = get_case(ctx.session, ctx.user.workspace_id, number)
    found = queries.surveys_of_case(ctx.session, ctx.user.workspace_id, case.id)
    return CaseSurveyList(items=[CaseSurveyOut.model_validate({k: v for k, v in queries.survey_dict(s).items()
                                                       if k != "case_id"}) for s in found])
