"""``/instance/workspaces``: the instance's workspaces (instance admins): the list, and a new workspace with its
first admin, invited by e-mail (the link is also shown here, to hand over when no mail goes out)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from compris.instance import actions, queries
from compris.kit.errors import ComprisError
from compris.web.deps import InstancePage, PageContext
from compris.web.pages.render import domain_action, render

router = APIRouter(include_in_schema=False)

FIELDS = ("slug", "name", "timezone", "default_language", "admin_email", "admin_name")


def _field_of(message: str) -> str:
    """Which form field a refusal is about (its message names it)."""
    lowered = message.lower()
    if "slug" in lowered or "short name" in lowered:
        return "slug"
    if "time zone" in lowered:
        return "timezone"
    if "language" in lowered:
        return "default_language"
    if "e-mail" in lowered or "invitation" in lowered:
        return "admin_email"
    if "name" in lowered:
        return "name"
    return "slug"


def _page(request: Request, ctx: PageContext, *, form: dict[str, str] | None = None,
          errors: dict[str, str] | None = None, made: actions.NewWorkspace | None = None,
          status_code: int = 200) -> Response:
    return render(request, ctx, "instance_workspaces.html", status_code=status_code,
                  workspaces=queries.workspaces(ctx.session), made=made, errors=errors or {},
                  form=form or {"slug": "", "name": "", "timezone": "UTC", "default_language": "en",
                                "admin_email": "", "admin_name": ""})


@router.get("/instance/workspaces")
def workspaces_page(request: Request, ctx: InstancePage) -> Response:
    return _page(request, ctx)


@router.post("/instance/workspaces")
def create(request: Request, ctx: InstancePage, slug: Annotated[str, Form()] = "",
           name: Annotated[str, Form()] = "", timezone: Annotated[str, Form()] = "UTC",
           default_language: Annotated[str, Form()] = "en", admin_email: Annotated[str, Form()] = "",
           admin_name: Annotated[str, Form()] = "") -> Response:
    form = {"slug": slug, "name": name, "timezone": timezone, "default_language": default_language,
            "admin_email": admin_email, "admin_name": admin_name}
    settings = ctx.runtime.settings
    try:
        with domain_action(ctx.session):
            made = actions.create_workspace(
                ctx.session, ctx.runtime.publisher, actor=ctx.user, slug=slug, name=name, timezone=timezone,
                default_language=default_language, admin_email=admin_email, admin_name=admin_name,
                base_url=settings.base_url, secret_key=settings.secret_key)
    except ComprisError as exc:
        return _page(request, ctx, form=form, errors={_field_of(exc.message): exc.message}, status_code=422)
    return _page(request, ctx, made=made, status_code=201)
