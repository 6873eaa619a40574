"""Posts customers comment under (issue 16, threads and context): the list, one post."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query

from compris.inbox import queries
from compris.inbox.schemas import PostList, PostOut
from compris.kit.clock import now
from compris.web.api import serialize
from compris.web.api.common import ReadCasesApi, errors

router = APIRouter(tags=["posts"])


@router.get("/posts", response_model=PostList, summary="List the posts customers comment under",
            responses=errors(422))
def list_posts(
    ctx: ReadCasesApi,
    days: Annotated[int, Query(ge=1, le=365, description="Posts commented on in the last so many days.")] = 7,
    limit: Annotated[int, Query(ge=1, le=200, description="At most this many posts.")] = 50,
) -> PostList:
    """The posts with customers' comments, the most recently commented first, with how many cases and comments
    are under each (list a post's cases with `GET /cases?post_id=`)."""
    views = queries.commented_posts(ctx.session, ctx.user.workspace_id, since=now() - timedelta(days=days),
                                    limit=limit)
    return PostList(items=[serialize.post(v) for v in views])


@router.get("/posts/{post_id}", response_model=PostOut, summary="Read a post", responses=errors(404, 422))
def get_post(post_id: Annotated[int, Path(ge=1, le=2**31 - 1)], ctx: ReadCasesApi) -> PostOut:
    """One post with what is under it (`404` for another workspace's post)."""
    return serialize.post(queries.get_post(ctx.session, ctx.user.workspace_id, post_id))
