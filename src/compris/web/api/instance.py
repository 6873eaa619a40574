"""The instance's workspaces (instance admins, with a token holding the `admin` scope)."""

from __future__ import annotations

from fastapi import APIRouter

from compris.instance import actions, queries
from compris.instance.queries import WorkspaceRow
from compris.instance.schemas import (
    InstanceWorkspaceCreated,
    InstanceWorkspaceIn,
    InstanceWorkspaceList,
    InstanceWorkspaceOut,
)
from compris.web.api.common import InstanceApi, errors

router = APIRouter(tags=["instance"])


def _workspace(row: WorkspaceRow) -> InstanceWorkspaceOut:
    w = row.workspace
    return InstanceWorkspaceOut(id=w.id, slug=w.slug, name=w.name, timezone=w.timezone,
                                default_language=w.default_language, created_at=w.created_at, users=row.users,
                                cases=row.cases)


@router.get("/instance/workspaces", response_model=InstanceWorkspaceList, summary="List the workspaces",
            responses=errors(403))
def list_workspaces(ctx: InstanceApi) -> InstanceWorkspaceList:
    """Every workspace of this server with its users and cases (instance admins only)."""
    return InstanceWorkspaceList(items=[_workspace(r) for r in queries.workspaces(ctx.session)])


@router.post("/instance/workspaces", status_code=201, response_model=InstanceWorkspaceCreated,
             summary="Create a workspace and invite its first admin", responses=errors(403, 409, 422))
def create_workspace(body: InstanceWorkspaceIn, ctx: InstanceApi) -> InstanceWorkspaceCreated:
    """A new workspace with the default reply templates and SLA policy, and the invitation of its first admin. A
    slug or e-mail already in use is a conflict (409). You do not become a member of it."""
    settings = ctx.runtime.settings
    made = actions.create_workspace(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, slug=body.slug, name=body.name, timezone=body.timezone,
        default_language=body.default_language, admin_email=body.admin_email, admin_name=body.admin_name,
        base_url=settings.base_url, secret_key=settings.secret_key)
    return InstanceWorkspaceCreated(workspace=_workspace(WorkspaceRow(made.workspace, 0, 0)),
                                    invitation_id=made.invitation.id, invitation_link=made.link,
                                    invitation_sent=made.invitation.sent_at is not None)
