"""The case's survey line (under its title) and the survey settings admin page (``/admin/surveys``: the
workspace's settings and each channel account's own). The results page is ``web/pages/survey_results.py``."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from compris.channels.queries import channel_accounts
from compris.inbox.queries import CaseView
from compris.kit.errors import ComprisError, Invalid, NotFound
from compris.surveys import actions, queries, rules
from compris.surveys.actions import FACES
from compris.web.deps import ManageDeskPage, PageContext
from compris.web.pages.render import domain_action, redirect, render

router = APIRouter(include_in_schema=False)

#: the languages the admin page always shows a question box for (more go in "other languages")
MAIN_LANGUAGES = ("en", "fr")


def rating_text(rating: int | None, scale: str) -> str:
    """A rating as the customer saw it: ★★★★☆ on stars, the face on faces."""
    if rating is None:
        return ""
    if scale == "faces5" and 1 <= rating <= len(FACES):
        return FACES[rating - 1]
    return "★" * rating + "☆" * max(0, 5 - rating)


def panel(ctx: PageContext, view: CaseView) -> dict[str, Any]:
    """The variables the case page's surveys partial (and the timeline's survey lines) need."""
    survey = queries.latest_of_case(ctx.session, ctx.user.workspace_id, view.case.id)
    return {"survey": survey, "survey_reasons": rules.REASONS, "survey_rating": rating_text}


# --- admin -------------------------------------------------------------------------------------------------


def _other_lines(texts: dict[str, str]) -> str:
    return "\n".join(f"{lang}: {text}" for lang, text in sorted(texts.items()) if lang not in MAIN_LANGUAGES)


def _admin_page(request: Request, ctx: PageContext, *, error: str | None = None, status_code: int = 200) -> Response:
    ws = ctx.user.workspace_id
    rows = queries.settings_rows(ctx.session, ws)
    accounts = channel_accounts(ctx.session, ws)
    own = {r.channel_account_id: queries.effective_of(r) for r in rows if r.channel_account_id is not None}
    workspace_row = next((r for r in rows if r.channel_account_id is None), None)
    return render(request, ctx, "admin_surveys.html", status_code=status_code, error=error,
                  workspace=queries.effective_of(workspace_row), accounts=accounts, own=own,
                  names={a.id: a.name for a in accounts}, other_lines=_other_lines,
                  languages=MAIN_LANGUAGES, scales=queries.SCALES)


@router.get("/admin/surveys")
def surveys_page(request: Request, ctx: ManageDeskPage) -> Response:
    return _admin_page(request, ctx)


def _write(request: Request, ctx: PageContext, write: Callable[[], object]) -> Response:
    try:
        with domain_action(ctx.session):
            write()
    except ComprisError as exc:
        return _admin_page(request, ctx, error=exc.message, status_code=422)
    return redirect("/admin/surveys")


def _number(value: str, what: str) -> int:
    text = value.strip()
    if not text.isdigit():
        raise Invalid(f"{what}: a whole number")
    return int(text)


def _texts(main: dict[str, str], more: str, what: str) -> dict[str, str]:
    """The boxes of the main languages, plus ``lang: text`` lines for the others."""
    texts = {lang: text.strip() for lang, text in main.items()}
    for line in more.splitlines():
        if not line.strip():
            continue
        lang, sep, text = line.partition(":")
        if not sep or not text.strip():
            raise Invalid(f"{what}: one 'language: text' a line")
        texts[lang.strip().lower()] = text.strip()
    return texts


def _values(form: dict[str, str]) -> dict[str, Any]:
    return {
        "enabled": bool(form.get("enabled")),
        "delay_minutes": _number(form.get("delay_minutes", ""), "delay"),
        "scale": form.get("scale", "stars5"),
        "ask_comment": bool(form.get("ask_comment")),
        "quiet_days": _number(form.get("quiet_days", ""), "quiet days"),
        "low_rating": _number(form.get("low_rating", ""), "low rating"),
        "reopen_on_low": bool(form.get("reopen_on_low")),
        "link_days": _number(form.get("link_days", ""), "link validity"),
        "questions": _texts({lang: form.get(f"question_{lang}", "") for lang in MAIN_LANGUAGES},
                            form.get("more_questions", ""), "question"),
        "comment_questions": _texts({lang: form.get(f"comment_{lang}", "") for lang in MAIN_LANGUAGES},
                                    form.get("more_comments", ""), "comment question"),
    }


async def _form(request: Request) -> dict[str, str]:
    data = await request.form()
    return {k: v for k, v in data.items() if isinstance(v, str)}


@router.post("/admin/surveys/settings")
async def save_workspace(request: Request, ctx: ManageDeskPage) -> Response:
    form = await _form(request)
    return _write(request, ctx, lambda: actions.save_settings(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, channel_account_id=None, values=_values(form)))


@router.post("/admin/surveys/accounts")
def add_override(request: Request, ctx: ManageDeskPage,
                 channel_account_id: Annotated[str, Form()] = "") -> Response:
    """Settings of its own for one account, starting from the workspace's."""
    def write() -> None:
        account_id = _number(channel_account_id, "channel account")
        if account_id not in {a.id for a in channel_accounts(ctx.session, ctx.user.workspace_id)}:
            raise NotFound("no such channel account")
        actions.save_settings(ctx.session, ctx.runtime.publisher, actor=ctx.user, channel_account_id=account_id,
                              values={})
    return _write(request, ctx, write)


@router.post("/admin/surveys/accounts/{account_id}")
async def save_override(request: Request, account_id: int, ctx: ManageDeskPage) -> Response:
    form = await _form(request)
    return _write(request, ctx, lambda: actions.save_settings(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, channel_account_id=account_id, values=_values(form)))


@router.post("/admin/surveys/accounts/{account_id}/delete")
def delete_override(request: Request, account_id: int, ctx: ManageDeskPage) -> Response:
    def write() -> None:
        with contextlib.suppress(NotFound):  # already gone (a second click)
            actions.delete_override(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                    channel_account_id=account_id)
    return _write(request, ctx, write)
