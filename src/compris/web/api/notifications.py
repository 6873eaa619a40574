"""``/api/v1/notifications``: the token user's own notifications — list them (newest first, keyset pages), mark
one or all read. Another user's notification is "not found"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query

from compris.notifications import actions, queries
from compris.notifications.kinds import sentence
from compris.notifications.schemas import MarkedRead, NotificationList, NotificationOut, ReadAllIn
from compris.web import i18n
from compris.web.api.common import OwnAccountApi, errors

router = APIRouter(tags=["notifications"])

NotificationId = Annotated[int, Path(ge=1, description="The notification's id (see `GET /notifications`).",
                                     examples=[42])]


def _out(item: queries.Item, language: str) -> NotificationOut:
    return NotificationOut.model_validate({
        "id": item.id, "kind": item.kind, "text": sentence(item.kind, item.values(),
                                                           lambda m: i18n.gettext(language, m)),
        "case_number": item.case_number, "message_id": item.message_id, "url": item.url, "excerpt": item.excerpt,
        "data": item.data, "created_at": item.created_at, "read_at": item.read_at})


@router.get("/notifications", response_model=NotificationList, summary="Your notifications",
            responses=errors(403, 422))
def list_notifications(
    ctx: OwnAccountApi,
    unread: Annotated[bool, Query(description="Only the unread ones.")] = False,
    before: Annotated[int | None, Query(ge=1, description="Older than this id (`next_before` of the previous "
                                                          "page).")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="How many (at most 100).")] = 30,
) -> NotificationList:
    """Newest first: mentions in internal notes, cases assigned to you, partners' answers, SLA at risk or breached,
    low satisfaction ratings (`docs/desk.md` → Notifications)."""
    items = queries.before(ctx.session, ctx.user, before_id=before, limit=limit + 1, unread_only=unread)
    more = len(items) > limit
    items = items[:limit]
    language = i18n.normalise(ctx.user.language)
    return NotificationList(items=[_out(i, language) for i in items],
                            unread_count=queries.unread_count(ctx.session, ctx.user),
                            next_before=items[-1].id if more and items else None)


@router.post("/notifications/read-all", response_model=MarkedRead, summary="Mark all your notifications read",
             responses=errors(403, 422))
def read_all(ctx: OwnAccountApi, body: Annotated[ReadAllIn | None, Body()] = None) -> MarkedRead:
    """Every unread notification of yours, or only those up to `up_to` (the newest you saw)."""
    marked = actions.mark_all_read(ctx.session, ctx.runtime.publisher, ctx.user,
                                   up_to=body.up_to if body is not None else None)
    return MarkedRead(marked=marked)


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut,
             summary="Mark a notification read", responses=errors(403, 404, 422, not_found="No such notification "
                                                                                          "of yours."))
def read_one(notification_id: NotificationId, ctx: OwnAccountApi) -> NotificationOut:
    """Already read: unchanged (200)."""
    actions.mark_read(ctx.session, ctx.runtime.publisher, ctx.user, notification_id)
    return _out(queries.one(ctx.session, ctx.user, notification_id), i18n.normalise(ctx.user.language))
