"""Saved views of the inbox (issue 18): named filters and a sort, private or shared with the workspace."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from compris.inbox import queries
from compris.inbox.actions import views as view_actions
from compris.inbox.view_schemas import ViewFilters, ViewIn, ViewList, ViewOut, ViewPatch
from compris.models import InboxView, User
from compris.web.api.common import ReadCasesApi, WorkCasesApi, errors

router = APIRouter(tags=["views"])

ViewId = Annotated[int, Path(description="The view's id (see `GET /views`).", examples=[3], ge=1, le=2**31 - 1)]
NOT_FOUND = "No such view among those you see (yours and the shared ones)."


def view_out(user: User, view: InboxView, cases: int) -> ViewOut:
    return ViewOut(id=view.id, name=view.name, shared=view.shared, mine=view.owner_id == user.id,
                   may_change=view_actions.may_change(user, view), filters=ViewFilters.of(queries.view_filter(view)),
                   cases=cases, created_at=view.created_at, updated_at=view.updated_at)


def _one(ctx: ReadCasesApi, view: InboxView) -> ViewOut:
    count = queries.saved_view_counts(ctx.session, ctx.user, [view], cap=None).get(view.id, 0)
    return view_out(ctx.user, view, count)


@router.get("/views", response_model=ViewList, summary="List your saved views", responses=errors())
def list_views(ctx: ReadCasesApi) -> ViewList:
    """Your private views and the workspace's shared ones (shared first, then by name), each with the number of
    cases it shows you now. List a view's cases with `GET /cases` and its `filters`."""
    found = queries.saved_views(ctx.session, ctx.user)
    counts = queries.saved_view_counts(ctx.session, ctx.user, found, cap=None)
    return ViewList(items=[view_out(ctx.user, v, counts.get(v.id, 0)) for v in found])


@router.post("/views", status_code=201, response_model=ViewOut, summary="Save a view",
             responses=errors(403, 422))
def create_view(body: ViewIn, ctx: WorkCasesApi) -> ViewOut:
    """Save filters and a sort under a name. `shared: true` needs `desk.manage` (403 otherwise)."""
    view = view_actions.create_view(ctx.session, ctx.runtime.publisher, actor=ctx.user, name=body.name,
                                    filters=body.filters.to_filter(), shared=body.shared)
    return _one(ctx, view)


@router.get("/views/{view_id}", response_model=ViewOut, summary="Read a view",
            responses=errors(404, 422, not_found=NOT_FOUND))
def get_view(view_id: ViewId, ctx: ReadCasesApi) -> ViewOut:
    """One view you see, with the number of cases it shows you now."""
    return _one(ctx, queries.get_saved_view(ctx.session, ctx.user, view_id))


@router.patch("/views/{view_id}", response_model=ViewOut, summary="Rename, share or change a view",
              responses=errors(403, 404, 422, not_found=NOT_FOUND))
def update_view(view_id: ViewId, body: ViewPatch, ctx: WorkCasesApi) -> ViewOut:
    """Its owner changes a private view; a shared one, whoever holds `desk.manage` (403 otherwise)."""
    view = queries.get_saved_view(ctx.session, ctx.user, view_id)
    view_actions.update_view(ctx.session, ctx.runtime.publisher, actor=ctx.user, view=view, name=body.name,
                             shared=body.shared, filters=body.filters.to_filter() if body.filters else None)
    return _one(ctx, view)


@router.delete("/views/{view_id}", status_code=204, summary="Delete a view",
               responses=errors(403, 404, 422, not_found=NOT_FOUND))
def delete_view(view_id: ViewId, ctx: WorkCasesApi) -> Response:
    """Its owner deletes a private view; a shared one, whoever holds `desk.manage` (403 otherwise)."""
    view = queries.get_saved_view(ctx.session, ctx.user, view_id)
    view_actions.delete_view(ctx.session, ctx.runtime.publisher, actor=ctx.user, view=view)
    return Response(status_code=204)
