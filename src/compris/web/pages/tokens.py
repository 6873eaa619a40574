"""``/settings/tokens``: personal API tokens (the token itself is shown once, at creation)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from compris.accounts.actions import create_token, revoke_token
from compris.accounts.queries import user_tokens
from compris.kit.errors import NotFound
from compris.web.deps import OwnAccountPage
from compris.web.pages.render import redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/settings/tokens")
def tokens_page(request: Request, ctx: OwnAccountPage) -> Response:
    return render(request, ctx, "tokens.html", tokens=user_tokens(ctx.session, ctx.user), created=None)


@router.post("/settings/tokens")
def create(request: Request, ctx: OwnAccountPage,
           name: Annotated[str, Form()] = "") -> Response:
    token, raw = create_token(ctx.session, ctx.user, name, publisher=ctx.runtime.publisher)
    # Shown in this answer only; the page is not cached and a reload shows the list without it.
    return render(request, ctx, "tokens.html", tokens=user_tokens(ctx.session, ctx.user), created=raw,
                  created_name=token.name, status_code=201)


@router.post("/settings/tokens/{token_id}/revoke")
def revoke(token_id: int, request: Request, ctx: OwnAccountPage) -> Response:
    try:
        revoke_token(ctx.session, ctx.user, token_id, publisher=ctx.runtime.publisher)
    except NotFound:
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    return redirect("/settings/tokens")
