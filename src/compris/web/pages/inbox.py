"""``/inbox``: the case list with its filters, saved views and counts; ``/inbox/rows`` is the HTMX partial;
``/inbox/views...`` save, change and delete views; ``/cases/{number}/unread`` marks a case unread for oneself."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from compris.accounts.permissions import Permission, allows
from compris.channels.queries import channel_accounts
from compris.inbox.actions import reads
from compris.inbox.actions import views as view_actions
from compris.inbox.queries import (
    COUNT_CAP,
    INTENT_FILTERS,
    PRIORITY_BANDS,
    SLA_STATES,
    SORTS,
    STATUS_FILTERS,
    VIEWS,
    InboxFilter,
    PostView,
    counts,
    filter_from_params,
    filter_options,
    get_case,
    get_post,
    get_saved_view,
    list_cases,
    open_incidents,
    saved_view_counts,
    saved_views,
    tag_filter_key,
)
from compris.kit.errors import NotFound
from compris.listening.alert_queries import high_reach_cases
from compris.web.deps import PageContext, ReadCasesPage, WorkCasesPage
from compris.web.pages import bulk as bulk_pages
from compris.web.pages.render import domain_action, is_htmx, redirect, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
#: the deepest page the inbox offers (50,000 cases in a view's order): beyond, a filter or a search narrows the view
MAX_PAGE = 1000
#: the filters shown under "More filters" (the panel opens by itself when one of them is set)
MORE_FILTERS = ("account", "tag", "assignee", "team", "network", "priority", "language", "intent", "sla",
                "incident", "reach", "unread")


def inbox_filter(request: Request) -> InboxFilter:
    """The filters from the query string; anything unknown falls back to the default rather than failing."""
    params = request.query_params
    try:
        page = max(1, min(int(params.get("page", "1")), MAX_PAGE))
    except ValueError:
        page = 1
    return filter_from_params(params, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)


def _saved_id(request: Request) -> int | None:
    value = request.query_params.get("saved", "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def filter_params(f: InboxFilter, saved: int | None = None, **changes: Any) -> dict[str, Any]:
    params: dict[str, Any] = dict(f.params())
    if saved is not None:
        params["saved"] = saved
    params.update(changes)
    return params


def _inbox_vars(ctx: PageContext, f: InboxFilter, saved: int | None = None) -> dict[str, Any]:
    rows = list_cases(ctx.session, ctx.user.workspace_id, ctx.user.id, f)
    page = f.offset // PAGE_SIZE + 1
    more = len(rows) > PAGE_SIZE
    return {
        "f": f,
        "rows": rows[:PAGE_SIZE],
        "high_reach": high_reach_cases(ctx.session, ctx.user.workspace_id, [r.case.id for r in rows[:PAGE_SIZE]]),
        "more": more and page < MAX_PAGE,
        "last_page_offered": more and page >= MAX_PAGE,
        "page": page,
        "counts": counts(ctx.session, ctx.user.workspace_id, ctx.user.id, replace(f, limit=1, offset=0),
                         cap=COUNT_CAP + 1),  # shown "500+" beyond: counting stops there
        "count_cap": COUNT_CAP,
        "params": lambda **changes: filter_params(f, saved, **changes),
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


def _views_vars(ctx: PageContext, f: InboxFilter, saved: int | None) -> dict[str, Any]:
    """The saved views (with their counts), the one in use and what the user may do with it."""
    mine = saved_views(ctx.session, ctx.user)
    current = next((v for v in mine if v.id == saved), None)
    return {
        "saved_views": mine,
        "saved_counts": saved_view_counts(ctx.session, ctx.user, mine, cap=COUNT_CAP + 1),
        "saved_current": current,
        "saved_may_change": current is not None and view_actions.may_change(ctx.user, current),
        "may_share": view_actions.may_share(ctx.user),
        "may_save": allows(ctx.user, Permission.WORK_CASES),
        "view_query": lambda v: urlencode({**{str(k): str(x) for k, x in (v.filters or {}).items()},
                                           "saved": v.id}),
        "filter_query": urlencode(f.params()),
        "more_open": any(k in f.params() for k in MORE_FILTERS),
        "options": filter_options(ctx.session, ctx.user.workspace_id),
        "priority_bands": list(PRIORITY_BANDS),
        "sla_states": SLA_STATES,
        "intents": INTENT_FILTERS,
    }


@router.get("/inbox")
def inbox_page(request: Request, ctx: ReadCasesPage) -> Response:
    return render(request, ctx, "inbox.html", **inbox_context(request, ctx))


def inbox_context(request: Request, ctx: PageContext) -> dict[str, Any]:
    """Everything the inbox's list pane shows (filters, bulk bar, rows) for the filters of ``request``'s query
    string; the desk's case page renders the same list (``web/pages/desk.py``)."""
    f = inbox_filter(request)
    saved = _saved_id(request)
    accounts = channel_accounts(ctx.session, ctx.user.workspace_id)
    bar = bulk_pages.bar_vars(ctx)
    selected = tag_filter_key(f.tag) if f.tag else ""
    return dict(accounts=accounts, **_inbox_vars(ctx, f, saved), **bar, **_views_vars(ctx, f, saved),
                tag_key_selected=selected, tag_known=any(u.tag.key == selected for u in bar["all_tags"]),
                incidents=open_incidents(ctx.session, ctx.user.workspace_id))


@router.get("/inbox/rows")
def inbox_rows(request: Request, ctx: ReadCasesPage) -> Response:
    f = inbox_filter(request)
    return render(request, ctx, "_rows.html", oob_counts=True, **_inbox_vars(ctx, f, _saved_id(request)))


# --- saved views ------------------------------------------------------------------------------------------------


def _posted_filter(form: FormData) -> InboxFilter:
    """The filters a form posts: the filter panel's own fields (sent along by htmx), else the ``query`` the page
    was drawn with (a browser without scripts)."""
    if "status" in form or "sort" in form:
        return filter_from_params({k: str(v) for k, v in form.multi_items() if isinstance(v, str)})
    return filter_from_params(dict(parse_qsl(str(form.get("query") or ""))[:40]))


def _go(request: Request, url: str) -> Response:
    """After a change: htmx follows ``HX-Redirect``; a plain form a 303."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return redirect(url)


def _view_url(view_id: int, f: InboxFilter) -> str:
    return "/inbox?" + urlencode({**f.params(), "saved": view_id})


@router.post("/inbox/views")
async def create_view(request: Request, ctx: WorkCasesPage) -> Response:
    """Save the inbox's current filters and sort under a name (``shared``: for the whole workspace)."""
    form = await request.form()
    f = _posted_filter(form)
    with domain_action(ctx.session):
        view = view_actions.create_view(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                        name=str(form.get("name") or ""), filters=f,
                                        shared=form.get("shared") == "1")
    return _go(request, _view_url(view.id, f))


@router.post("/inbox/views/{view_id}")
async def change_view(view_id: int, request: Request, ctx: WorkCasesPage) -> Response:
    """``action``: ``rename`` (with ``name``), ``filters`` (the current filters), ``share`` or ``unshare``."""
    form = await request.form()
    view = get_saved_view(ctx.session, ctx.user, view_id)
    action = str(form.get("action") or "")
    with domain_action(ctx.session):
        if action == "rename":
            view_actions.update_view(ctx.session, ctx.runtime.publisher, actor=ctx.user, view=view,
                                     name=str(form.get("name") or ""))
        elif action == "filters":
            view_actions.update_view(ctx.session, ctx.runtime.publisher, actor=ctx.user, view=view,
                                     filters=_posted_filter(form))
        elif action in ("share", "unshare"):
            view_actions.update_view(ctx.session, ctx.runtime.publisher, actor=ctx.user, view=view,
                                     shared=action == "share")
        else:
            return Response("unknown action", status_code=422, media_type="text/plain")
    return _go(request, "/inbox?" + urlencode({**(view.filters or {}), "saved": view.id}))


@router.post("/inbox/views/{view_id}/delete")
def delete_view(view_id: int, request: Request, ctx: WorkCasesPage) -> Response:
    view = get_saved_view(ctx.session, ctx.user, view_id)
    with domain_action(ctx.session):
        view_actions.delete_view(ctx.session, ctx.runtime.publisher, actor=ctx.user, view=view)
    return _go(request, "/inbox")


# --- read marks -------------------------------------------------------------------------------------------------


@router.post("/cases/{number}/unread")
def case_unread(number: int, request: Request, ctx: WorkCasesPage) -> Response:
    """Mark the case unread for oneself (issue 18, defect 9). 204 for a script; a plain form returns to the
    inbox."""
    case = get_case(ctx.session, ctx.user.workspace_id, number, for_update=True)
    reads.mark_unread(ctx.session, ctx.runtime.publisher, actor=ctx.user, case=case)
    if is_htmx(request) or request.headers.get("x-csrf-token"):
        return Response(status_code=204, headers={"Cache-Control": "no-store"})
    from compris.web.pages.desk import remembered_query  # the desk renders this module's list: imported late

    query = remembered_query(request)
    return redirect(f"/inbox?{query}" if query else "/inbox")
