"""``/notifications``: the signed-in user's notifications (newest first, in pages), marking them read, their
preferences; ``/notifications/menu``: the top bar bell's menu (the unread count and the latest ones), fetched by
``notifications.js`` on load and on each live ``notification`` event for this user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, Response

from compris.notifications import actions, queries
from compris.notifications.kinds import GROUP_LABELS, GROUPS, METRICS, SENTENCES, SHORT
from compris.web.deps import OwnAccountPage, WorkCasesPage
from compris.web.pages.render import domain_action, redirect, render, safe_next

router = APIRouter(include_in_schema=False)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.get("/notifications")
def notifications_page(request: Request, ctx: OwnAccountPage,
                       page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                       show: Annotated[str, Query(pattern="^(all|unread)$")] = "all",
                       saved: Annotated[str, Query(max_length=8)] = "") -> Response:
    found = queries.page_of(ctx.session, ctx.user, page=page, unread_only=show == "unread")
    return render(request, ctx, "notifications.html", found=found, show=show, sentences=SENTENCES, short=SHORT,
                  prefs=queries.preferences(ctx.session, ctx.user), groups=list(GROUPS), group_labels=GROUP_LABELS,
                  saved=saved == "1", metrics=METRICS)


@router.get("/notifications/menu")
def notifications_menu(request: Request, ctx: OwnAccountPage) -> Response:
    """The bell's menu: the unread count (``data-unread``), the latest notifications, the browser preference."""
    return render(request, ctx, "_notifications_menu.html", items=queries.latest(ctx.session, ctx.user),
                  unread=queries.unread_count(ctx.session, ctx.user), sentences=SENTENCES,
                  prefs=queries.preferences(ctx.session, ctx.user), metrics=METRICS)


@router.get("/notifications/mentionable")
def mentionable(ctx: WorkCasesPage) -> Response:
    """The people a note may mention (the note box's "@" suggestions): name and e-mail local part."""
    people = queries.mentionable(ctx.session, ctx.user.workspace_id)
    return JSONResponse([{"id": p.id, "name": p.name, "handle": p.handle} for p in people],
                        headers={"Cache-Control": "no-store"})


@router.post("/notifications/read-all")
def read_all(request: Request, ctx: OwnAccountPage, up_to: Annotated[int | None, Form(ge=1)] = None) -> Response:
    with domain_action(ctx.session):
        marked = actions.mark_all_read(ctx.session, ctx.runtime.publisher, ctx.user, up_to=up_to)
    if _wants_json(request):
        return JSONResponse({"marked": marked, "unread": queries.unread_count(ctx.session, ctx.user)})
    return redirect("/notifications")


@router.post("/notifications/preferences")
def save_preferences(ctx: OwnAccountPage, kinds: Annotated[list[str] | None, Form(max_length=20)] = None,
                     browser: Annotated[str, Form(max_length=8)] = "") -> Response:
    with domain_action(ctx.session):
        actions.save_preferences(ctx.session, ctx.runtime.publisher, ctx.user, enabled=kinds or [],
                                 browser=browser in ("1", "on", "true"))
    return redirect("/notifications?saved=1#preferences")


@router.post("/notifications/{notification_id}/read")
def read_one(request: Request, notification_id: int, ctx: OwnAccountPage,
             next: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Mark one read: ``notifications.js`` calls it when a notification is opened (JSON answer); the list's button
    posts it as a form (back to ``next``, a local path)."""
    with domain_action(ctx.session):
        actions.mark_read(ctx.session, ctx.runtime.publisher, ctx.user, notification_id)
    if _wants_json(request):
        return JSONResponse({"unread": queries.unread_count(ctx.session, ctx.user)})
    return redirect(safe_next(next, "/notifications"))
