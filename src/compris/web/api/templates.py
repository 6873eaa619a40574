"""Reply templates (supervisors and admins): the same actions as the admin page (``compris.replies.actions``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from compris.models import ReplyTemplate
from compris.replies import actions, queries
from compris.replies.schemas import TemplateIn, TemplateList, TemplateOut, TemplatePatch
from compris.web.api.common import ManageDeskApi, errors

router = APIRouter(tags=["templates"])

TemplateId = Annotated[int, Path(description="See `GET /templates`.", examples=[5])]
NOT_FOUND = "No such template in your workspace."


def _template(row: ReplyTemplate) -> TemplateOut:
    return TemplateOut(id=row.id, name=row.name, shortcut=row.shortcut, team=row.team,
                       purpose=row.purpose,  # type: ignore[arg-type]
                       bodies={str(k): str(v) for k, v in (row.bodies or {}).items()}, is_active=row.is_active,
                       usage_count=row.usage_count, last_used_at=row.last_used_at)


@router.get("/templates", response_model=TemplateList, summary="List reply templates", responses=errors(403, 422))
def list_templates(
    ctx: ManageDeskApi,
    purpose: Annotated[Literal["reply", "move_to_private"] | None,
                       Query(description="Only the templates of this purpose.")] = None,
) -> TemplateList:
    """Every template of the workspace (active or not), by purpose then name."""
    rows = queries.list_templates(ctx.session, ctx.user.workspace_id, purpose=purpose)
    return TemplateList(items=[_template(t) for t in rows])


@router.post("/templates", status_code=201, response_model=TemplateOut, summary="Create a reply template",
             responses=errors(403, 409, 422))
def create_template(body: TemplateIn, ctx: ManageDeskApi) -> TemplateOut:
    """A template with a body per language. Unknown variables or no text at all are refused (422); a name or
    shortcut another template has is a conflict (409)."""
    bodies = {str(k): v for k, v in body.bodies.items()}
    row = actions.create_template(ctx.session, actor=ctx.user, name=body.name, bodies=bodies,
                                  shortcut=body.shortcut, team=body.team, purpose=body.purpose,
                                  publisher=ctx.runtime.publisher)
    return _template(row)


@router.get("/templates/{template_id}", response_model=TemplateOut, summary="Read a reply template",
            responses=errors(403, 404, 422, not_found=NOT_FOUND))
def get_template(template_id: TemplateId, ctx: ManageDeskApi) -> TemplateOut:
    """One template with its bodies and how often it was used."""
    return _template(queries.get_template(ctx.session, ctx.user.workspace_id, template_id))


@router.patch("/templates/{template_id}", response_model=TemplateOut, summary="Change a reply template",
              responses=errors(403, 404, 409, 422, not_found=NOT_FOUND))
def update_template(template_id: TemplateId, body: TemplatePatch, ctx: ManageDeskApi) -> TemplateOut:
    """Change the fields given; `bodies`, when given, replaces every language's text. A name or shortcut another
    template has is a conflict (409)."""
    row = queries.get_template(ctx.session, ctx.user.workspace_id, template_id)
    given = body.bodies if body.bodies is not None else row.bodies
    row = actions.update_template(
        ctx.session, actor=ctx.user, template=row,
        name=body.name if body.name is not None else row.name,
        bodies={str(k): str(v) for k, v in given.items()},
        shortcut=body.shortcut if body.shortcut is not None else row.shortcut,
        team=body.team if "team" in body.model_fields_set else row.team,
        purpose=body.purpose if body.purpose is not None else row.purpose,
        is_active=body.is_active if body.is_active is not None else row.is_active,
        publisher=ctx.runtime.publisher)
    return _template(row)


@router.delete("/templates/{template_id}", status_code=204, summary="Delete a reply template",
               responses=errors(403, 404, 422, not_found=NOT_FOUND))
def delete_template(template_id: TemplateId, ctx: ManageDeskApi) -> Response:
    """The template; replies already sent from it are unchanged."""
    row = queries.get_template(ctx.session, ctx.user.workspace_id, template_id)
    actions.delete_template(ctx.session, actor=ctx.user, template=row, publisher=ctx.runtime.publisher)
    return Response(status_code=204)
