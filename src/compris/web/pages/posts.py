"""``/posts``: the posts customers comment under, most recently commented first, each with its cases (issue 16)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from compris.inbox.queries import commented_posts
from compris.kit.clock import now
from compris.web.deps import ReadCasesPage
from compris.web.pages.render import render

router = APIRouter(include_in_schema=False)

#: how far back the list looks, by the ``days`` parameter (the default first)
PERIODS = (7, 1, 30)


@router.get("/posts")
def posts_page(request: Request, ctx: ReadCasesPage) -> Response:
    raw = request.query_params.get("days", "")
    days = int(raw) if raw.isdigit() and int(raw) in PERIODS else PERIODS[0]
    posts = commented_posts(ctx.session, ctx.user.workspace_id, since=now() - timedelta(days=days))
    return render(request, ctx, "posts.html", posts=posts, days=days, periods=sorted(PERIODS))
