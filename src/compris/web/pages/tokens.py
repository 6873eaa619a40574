"""``/settings/tokens``: personal API tokens with their scopes and expiry (the token itself is shown once, at
creation); for those who manage people, every token of the workspace (revoke any)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from compris.accounts.actions import allowed_scopes, create_token, revoke_token, revoke_workspace_token
from compris.accounts.permissions import Permission, allows
from compris.accounts.queries import token_state, user_tokens, workspace_tokens
from compris.kit.errors import ComprisError, Invalid, NotFound
from compris.web.deps import OwnAccountPage, PageContext, PeoplePage
from compris.web.pages.render import domain_action, redirect, render, workspace_of

router = APIRouter(include_in_schema=False)

#: the expiry choices of the form: days, or "date" (a day of the user's choosing), or "never"
EXPIRY_DAYS = ("30", "90", "365")
#: the scopes a form's radio buttons stand for
SCOPE_CHOICES = {"read": "read", "write": "read write", "admin": "read write admin"}


def _page(request: Request, ctx: PageContext, *, created: str | None = None, created_name: str = "",
          errors: dict[str, str] | None = None, form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    mine = user_tokens(ctx.session, ctx.user)
    everyone = (workspace_tokens(ctx.session, ctx.user.workspace_id)
                if allows(ctx.user, Permission.MANAGE_PEOPLE) else None)
    states = {t.id: token_state(t) for t in mine}
    if everyone is not None:
        states.update({t.id: token_state(t) for t, _ in everyone})
    return render(request, ctx, "tokens.html", status_code=status_code, tokens=mine, everyone=everyone,
                  states=states, expiring=[t for t in mine if states[t.id] == "expiring"],
                  scopes=allowed_scopes(ctx.user), created=created, created_name=created_name,
                  errors=errors or {}, form=form or {"name": "", "scope": "write", "expiry": "90", "expires_on": ""})


@router.get("/settings/tokens")
def tokens_page(request: Request, ctx: OwnAccountPage) -> Response:
    return _page(request, ctx)


def _expiry(ctx: PageContext, expiry: str, expires_on: str) -> dict[str, Any]:
    """The form's expiry as :func:`create_token`'s arguments; a date ends at midnight, the workspace's time."""
    if expiry == "never":
        return {}
    if expiry in EXPIRY_DAYS:
        return {"expires_in_days": int(expiry)}
    if expiry == "date":
        try:
            day = date.fromisoformat(expires_on.strip())
        except ValueError:
            raise Invalid("choose the day the token expires") from None
        tz = ZoneInfo(workspace_of(ctx.session, ctx).timezone)
        return {"expires_at": datetime.combine(day, time.max, tzinfo=tz).replace(microsecond=0)}
    raise Invalid("choose when the token expires")


@router.post("/settings/tokens")
def create(request: Request, ctx: OwnAccountPage, name: Annotated[str, Form()] = "",
           scope: Annotated[str, Form()] = "write", expiry: Annotated[str, Form()] = "90",
           expires_on: Annotated[str, Form()] = "") -> Response:
    form = {"name": name, "scope": scope, "expiry": expiry, "expires_on": expires_on}
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "give the token a name"
    if scope not in SCOPE_CHOICES:
        errors["scope"] = "choose what the token may do"
    try:
        when = _expiry(ctx, expiry, expires_on)
    except Invalid as exc:
        errors["expiry"] = exc.message
        when = {}
    if errors:
        return _page(request, ctx, errors=errors, form=form, status_code=422)
    try:
        with domain_action(ctx.session):
            token, raw = create_token(ctx.session, ctx.user, name, scopes=SCOPE_CHOICES[scope],
                                      publisher=ctx.runtime.publisher, **when)
    except ComprisError as exc:
        field = "scope" if "scope" in exc.message else "expiry"
        return _page(request, ctx, errors={field: exc.message}, form=form, status_code=422)
    # Shown in this answer only; the page is not cached and a reload shows the list without it.
    return _page(request, ctx, created=raw, created_name=token.name, status_code=201)


@router.post("/settings/tokens/{token_id}/revoke")
def revoke(token_id: int, request: Request, ctx: OwnAccountPage) -> Response:
    try:
        with domain_action(ctx.session):
            revoke_token(ctx.session, ctx.user, token_id, publisher=ctx.runtime.publisher)
    except NotFound:
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    return redirect("/settings/tokens")


@router.post("/settings/tokens/workspace/{token_id}/revoke")
def revoke_any(token_id: int, request: Request, ctx: PeoplePage) -> Response:
    """Revoke any token of the workspace (those who manage people)."""
    try:
        with domain_action(ctx.session):
            revoke_workspace_token(ctx.session, ctx.user, token_id, publisher=ctx.runtime.publisher)
    except NotFound:
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    return redirect("/settings/tokens#workspace-tokens")
