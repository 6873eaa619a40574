"""The desk (issue 18): the inbox list, the open case's conversation and its customer and case panel side by side.

``/inbox`` renders the list with an empty conversation pane; ``/cases/N`` renders the same list (with the agent's
last inbox filters, remembered in a cookie that ``desk.js`` sets whenever the list's filters change) beside the
case. A click in the list asks ``/cases/N`` for the case pane alone (``HX-Target: desk-case``), so the list keeps
its filters, scroll position and selection; htmx pushes the URL, and back/forward restore whole pages.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from fastapi import Request

from compris.web.deps import PageContext
from compris.web.pages import inbox as inbox_pages

LIST_COOKIE = "compris_list"
PANE_TARGET = "desk-case"
MAX_QUERY = 2000


def remembered_query(request: Request) -> str:
    """The inbox filters the agent last used (a query string), or "" when none (or not a plausible one)."""
    value = unquote(request.cookies.get(LIST_COOKIE, ""))
    if len(value) > MAX_QUERY or not value.isascii() or not value.isprintable() or any(c in value for c in " <>\"'#"):
        return ""
    return value.lstrip("?")


def wants_pane(request: Request) -> bool:
    """An htmx request from the desk's list for the case pane alone (not a history restore, which needs the page)."""
    headers = request.headers
    return (headers.get("hx-request") == "true" and headers.get("hx-target") == PANE_TARGET
            and headers.get("hx-history-restore-request") != "true")


def list_context(request: Request, ctx: PageContext) -> dict[str, Any]:
    """The list pane's variables for the remembered filters (the inbox's own parsing: bad values fall back)."""
    query = remembered_query(request)
    scope = dict(request.scope)
    scope["query_string"] = query.encode("ascii")
    variables = inbox_pages.inbox_context(Request(scope), ctx)
    variables["list_query"] = query
    # the case page's own "statuses" (every case status, for its actions) would hide the list's filter choices
    variables["list_statuses"] = variables.get("statuses")
    return variables
