"""Free tags: the workspace's tags (supervisors and admins manage them) and the tags of a case (anyone)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from compris.inbox import queries
from compris.inbox.actions import tags as tag_actions
from compris.inbox.schemas import CaseTagsIn, CaseTagsOut, TagIn, TagList, TagOut, TagPatch
from compris.models import Case, Tag
from compris.web.api.common import ManageDeskApi, ReadCasesApi, WorkCasesApi, errors

router = APIRouter(tags=["tags"])

CaseNumber = Annotated[int, Path(description="The case number, as shown in the inbox.", examples=[1042])]
TagId = Annotated[int, Path(description="The tag's id (see `GET /tags`).", examples=[7])]


def tag_out(tag: Tag, cases: int | None = None) -> TagOut:
    return TagOut(id=tag.id, name=tag.name, key=tag.key, color=tag.color, cases=cases)  # type: ignore[arg-type]


def _case_tags(case: Case, tags: list[Tag]) -> CaseTagsOut:
    return CaseTagsOut(number=case.number, tags=[tag_out(t) for t in tags])


@router.get("/tags", response_model=TagList, summary="List the workspace's tags", responses=errors())
def list_tags(ctx: ReadCasesApi) -> TagList:
    """Every tag of the workspace, by name, with how many cases carry it."""
    return TagList(items=[tag_out(u.tag, u.cases) for u in queries.list_tags(ctx.session, ctx.user.workspace_id)])


@router.post("/tags", status_code=201, response_model=TagOut, summary="Create a tag",
             responses=errors(403, 409, 422))
def create_tag(body: TagIn, ctx: ManageDeskApi) -> TagOut:
    """A new tag (supervisors and admins; agents create tags by tagging a case). 409 when a tag of that name
    (without regard to case and accents) exists."""
    tag = tag_actions.create_tag(ctx.session, ctx.runtime.publisher, actor=ctx.user, name=body.name,
                                 color=body.color)
    return tag_out(tag, 0)


@router.patch("/tags/{tag_id}", response_model=TagOut, summary="Rename or recolour a tag",
              responses=errors(403, 404, 409, 422, not_found="No such tag in your workspace."))
def update_tag(tag_id: TagId, body: TagPatch, ctx: ManageDeskApi) -> TagOut:
    """Rename the tag (409 when another tag has that name, without regard to case and accents) and/or change its
    colour (`null`: grey). The cases keep it under its new name."""
    tag = tag_actions.get_tag(ctx.session, ctx.user.workspace_id, tag_id)
    tag_actions.update_tag(ctx.session, ctx.runtime.publisher, actor=ctx.user, tag=tag, name=body.name,
                           color=body.color, set_color="color" in body.model_fields_set)
    return tag_out(tag)


@router.delete("/tags/{tag_id}", status_code=204, summary="Delete a tag",
               responses=errors(403, 404, 422, not_found="No such tag in your workspace."))
def delete_tag(tag_id: TagId, ctx: ManageDeskApi) -> Response:
    """The tag leaves every case that had it (their timelines keep the history)."""
    tag = tag_actions.get_tag(ctx.session, ctx.user.workspace_id, tag_id)
    tag_actions.delete_tag(ctx.session, ctx.runtime.publisher, actor=ctx.user, tag=tag)
    return Response(status_code=204)


@router.get("/cases/{number}/tags", response_model=CaseTagsOut, summary="A case's tags",
            responses=errors(404, 422))
def get_case_tags(number: CaseNumber, ctx: ReadCasesApi) -> CaseTagsOut:
    """The case's tags, by name."""
    case = queries.get_case(ctx.session, ctx.user.workspace_id, number)
    return _case_tags(case, queries.tags_of(ctx.session, case))


@router.put("/cases/{number}/tags", response_model=CaseTagsOut, summary="Set a case's tags",
            responses=errors(404, 422))
def put_case_tags(number: CaseNumber, body: CaseTagsIn, ctx: WorkCasesApi) -> CaseTagsOut:
    """The case's tags become exactly `tags` (an empty list removes them all). The change is on the case's
    timeline and in the `case.tagged` event."""
    case = queries.get_case(ctx.session, ctx.user.workspace_id, number, for_update=True)
    tag_actions.set_case_tags(ctx.session, ctx.runtime.publisher, actor=ctx.user, case=case, names=body.tags)
    return _case_tags(case, queries.tags_of(ctx.session, case))
