"""``/inbox``: the case list with its filters and counts; ``/inbox/rows`` is the HTMX partial."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from compris.channels.queries import channel_accounts
from compris.inbox.queries import (
    SORTS,
    STATUS_FILTERS,
    VIEWS,
    InboxFilter,
    PostView,
    counts,
    get_post,
    list_cases,
    open_incidents,
    tag_filter_key,
)
from compris.kit.errors import NotFound
from compris.listening.alert_queries import high_reach_cases
from compris.web.deps import PageContext, ReadCasesPage
from compris.web.pages import bulk as bulk_pages
from compris.web.pages.render import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50


def inbox_filter(request: Request) -> InboxFilter:
    """The filters from the query string; anything unknown falls back to the default rather than failing."""
    params = request.query_params
    view = params.get("view", "all")
    status = params.get("status", "active")
    sort = params.get("sort", "newest")
    account = params.get("account", "")
    try:
        page = max(1, min(int(params.get("page", "1")), 1000))
    except ValueError:
        page = 1
    post = params.get("post", "")  # threads and context (issue 16): the cases under one post
    return InboxFilter(
        post_id=int(post) if post.isdigit() and len(post) < 12 else None,
        view=view if view in VIEWS else "all",
        status=status if status in STATUS_FILTERS else "active",
        sort=sort if sort in SORTS else "newest",
        channel_account_id=int(account) if account.isdigit() else None,
        q=params.get("q", "")[:200],
        tag=params.get("tag", "")[:200],
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
        incident=int(params["incident"]) if params.get("incident", "").isdigit() else None,
        high_reach=params.get("reach", "") == "1",
    )


def filter_params(f: InboxFilter, **changes: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"view": f.view, "status": f.status, "sort": f.sort,
                              "account": f.channel_account_id or "", "q": f.q, "tag": f.tag, "post": f.post_id or ""}
    params["incident"] = f.incident or ""
    params["reach"] = "1" if f.high_reach else ""
    params.update(changes)
    return params


def _inbox_vars(ctx: PageContext, f: InboxFilter) -> dict[str, Any]:
    rows = list_cases(ctx.session, ctx.user.workspace_id, ctx.user.id, f)
    more = len(rows) > PAGE_SIZE
    return {
        "f": f,
        "rows": rows[:PAGE_SIZE],
        "high_reach": high_reach_cases(ctx.session, ctx.user.workspace_id, [r.case.id for r in rows[:PAGE_SIZE]]),
        "more": more,
        "page": f.offset // PAGE_SIZE + 1,
        "counts": counts(ctx.session, ctx.user.workspace_id, ctx.user.id, replace(f, limit=1, offset=0)),
        "params": lambda **changes: filter_params(f, **changes),
        "views": VIEWS,
        "statuses": STATUS_FILTERS,
        "sorts": SORTS,
        "post_filter": post_filter(ctx, f),
    }


def post_filter(ctx: PageContext, f: InboxFilter) -> PostView | None:
    """The post the inbox is filtered on (issue 16), None when it is not (or the post is not this workspace's)."""
    if f.post_id is None:
        return None
    try:
        return get_post(ctx.session, ctx.user.workspace_id, f.post_id)
    except NotFound:
        return None


@router.get("/inbox")
def inbox_page(request: Request, ctx: ReadCasesPage) -> Response:
    return render(request, ctx, "inbox.html", **inbox_context(request, ctx))


def inbox_context(request: Request, ctx: PageContext) -> dict[str, Any]:
    """Everything the inbox's list pane shows (filters, bulk bar, rows) for the filters of ``request``'s query
    string; the desk's case page renders the same list (``web/pages/desk.py``)."""
    f = inbox_filter(request)
    accounts = channel_accounts(ctx.session, ctx.user.workspace_id)
    bar = bulk_pages.bar_vars(ctx)
    selected = tag_filter_key(f.tag) if f.tag else ""
    return dict(accounts=accounts, **_inbox_vars(ctx, f), **bar,
                tag_key_selected=selected, tag_known=any(u.tag.key == selected for u in bar["all_tags"]),
                incidents=open_incidents(ctx.session, ctx.user.workspace_id))


@router.get("/inbox/rows")
def inbox_rows(request: Request, ctx: ReadCasesPage) -> Response:
    f = inbox_filter(request)
    return render(request, ctx, "_rows.html", oob_counts=True, **_inbox_vars(ctx, f))
