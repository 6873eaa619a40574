"""Bulk actions from the inbox (selected cases → one bulk run) and the free tags of a case and of the workspace.

- ``POST /inbox/bulk``: start a run over the selected cases (a reply, or a resolution with a closing message, is
  first previewed: the personalised text for one case and the count, then confirmed);
- ``POST /inbox/bulk/preview``: that preview;
- ``GET /inbox/bulk/{id}``: the run's progress (HTMX fragment; a page without HTMX), ``POST …/cancel``;
- ``GET /cases/{n}/tags``, ``POST /cases/{n}/tags`` (add), ``POST /cases/{n}/tags/remove``: the case page's tags;
- ``GET /admin/tags`` and its forms: the workspace's tags (supervisors and admins).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from compris.accounts.permissions import Permission, allows
from compris.accounts.queries import workspace_users
from compris.inbox import queries as inbox_queries
from compris.inbox.actions import tags as tag_actions
from compris.kit.errors import ComprisError, Invalid, NotFound
from compris.listening import bulk
from compris.listening import queries as listening_queries
from compris.models import Case, Team, TemplatePurpose
from compris.replies.queries import list_templates
from compris.web import i18n
from compris.web.deps import ManageDeskPage, PageContext, ReadCasesPage, WorkCasesPage
from compris.web.pages.render import domain_action, is_htmx, redirect, render, safe_next

router = APIRouter(include_in_schema=False)

#: the bulk actions offered in the inbox, in order
ACTIONS: dict[str, str] = {
    bulk.ASSIGN: "Assign",
    bulk.TRANSFER: "Transfer to a team",
    bulk.TAG: "Add a tag",
    bulk.UNTAG: "Remove a tag",
    bulk.SET_STATUS: "Set the status",
    bulk.RESOLVE: "Resolve",
    bulk.REPLY: "Reply with a template",
}
#: what the inbox's list calls each kind of run once started
RUN_TITLES: dict[str, str] = {
    bulk.ASSIGN: "Assigning", bulk.TRANSFER: "Transferring", bulk.TAG: "Tagging", bulk.UNTAG: "Removing a tag",
    bulk.SET_STATUS: "Setting the status", bulk.RESOLVE: "Resolving", bulk.REPLY: "Replying",
}


def bar_vars(ctx: PageContext) -> dict[str, Any]:
    """What the inbox's bulk bar offers: agents, teams, tags, templates, statuses."""
    session, ws = ctx.session, ctx.user.workspace_id
    return {
        "bulk_actions": ACTIONS,
        "bulk_agents": workspace_users(session, ws),
        "bulk_teams": list(session.scalars(select(Team).where(Team.workspace_id == ws).order_by(Team.name))),
        "bulk_templates": [t for t in list_templates(session, ws, purpose=TemplatePurpose.REPLY) if t.is_active],
        "bulk_statuses": list(bulk.BULK_STATUSES),
        "bulk_supervisor": allows(ctx.user, Permission.SUPERVISE),
        "all_tags": inbox_queries.list_tags(session, ws, cap=inbox_queries.COUNT_CAP + 1),  # "(500+)" beyond
    }


def _ids(values: list[str]) -> list[int]:
    ids = [int(v) for v in values if v.isascii() and v.isdigit()]
    if len(ids) != len(values):
        raise NotFound("no such case")
    return ids


def _params(kind: str, *, assignee: str, team: str, tag: str, status: str, template: str, visibility: str,
            user_id: int) -> dict[str, Any]:
    if kind == bulk.ASSIGN:
        return {"assignee_id": user_id if assignee == "me" else (None if assignee in ("", "none") else assignee)}
    if kind == bulk.TRANSFER:
        return {"team_id": None if team in ("", "none") else team}
    if kind in (bulk.TAG, bulk.UNTAG):
        return {"tags": [tag]}
    if kind == bulk.SET_STATUS:
        return {"status": status}
    if kind in (bulk.REPLY, bulk.RESOLVE):
        return {"template_id": template or None, "visibility": visibility or bulk.SAME}
    raise Invalid("pick an action")


def _error(ctx: PageContext, exc: ComprisError) -> str:
    return i18n.error_text(ctx.user.language, exc)


def _needs_confirmation(kind: str, params: dict[str, Any]) -> bool:
    return kind == bulk.REPLY or (kind == bulk.RESOLVE and params.get("template_id") is not None)


def _preview(request: Request, ctx: PageContext, ids: list[int], kind: str, params: dict[str, Any],
             *, status_code: int = 200) -> Response:
    preview = bulk.preview(ctx.session, actor=ctx.user, case_ids=ids, kind=kind, params=params)
    return render(request, ctx, "_bulk_preview.html", status_code=status_code, preview=preview, kind=kind,
                  params=params, case_ids=ids, titles=RUN_TITLES)


Fields = Annotated[list[str], Form()]


@router.post("/inbox/bulk/preview")
def bulk_preview(request: Request, ctx: WorkCasesPage, case_ids: Fields = [],  # noqa: B006
                 kind: Annotated[str, Form()] = "", assignee: Annotated[str, Form()] = "",
                 team: Annotated[str, Form()] = "", tag: Annotated[str, Form()] = "",
                 status: Annotated[str, Form()] = "", template: Annotated[str, Form()] = "",
                 visibility: Annotated[str, Form()] = "") -> Response:
    try:
        ids = _ids(case_ids)
        if not ids:
            raise Invalid("select at least one case")
        params = _params(kind, assignee=assignee, team=team, tag=tag, status=status, template=template,
                         visibility=visibility, user_id=ctx.user.id)
        return _preview(request, ctx, ids, kind, params)
    except ComprisError as exc:
        return render(request, ctx, "_bulk_error.html", status_code=422, error=_error(ctx, exc))


@router.post("/inbox/bulk")
def bulk_start(request: Request, ctx: WorkCasesPage, case_ids: Fields = [],  # noqa: B006
               kind: Annotated[str, Form()] = "", assignee: Annotated[str, Form()] = "",
               team: Annotated[str, Form()] = "", tag: Annotated[str, Form()] = "",
               status: Annotated[str, Form()] = "", template: Annotated[str, Form()] = "",
               visibility: Annotated[str, Form()] = "", confirm: Annotated[str, Form()] = "",
               next: Annotated[str, Form()] = "/inbox") -> Response:
    """Start the run; a message to many customers is previewed first and sent only once confirmed."""
    try:
        ids = _ids(case_ids)
        if not ids:
            raise Invalid("select at least one case")
        params = _params(kind, assignee=assignee, team=team, tag=tag, status=status, template=template,
                         visibility=visibility, user_id=ctx.user.id)
        if _needs_confirmation(kind, params) and confirm != str(len(ids)):
            return _preview(request, ctx, ids, kind, params)
        with domain_action(ctx.session):
            run = bulk.start(ctx.session, ctx.runtime.publisher, actor=ctx.user, case_ids=ids, kind=kind,
                             params=params)
    except ComprisError as exc:
        return render(request, ctx, "_bulk_error.html", status_code=422, error=_error(ctx, exc))
    if not is_htmx(request):
        return redirect(f"/inbox/bulk/{run.id}?next={safe_next(next)}")
    return _run(request, ctx, run.id)


def _run(request: Request, ctx: PageContext, run_id: int, *, page: bool = False, back: str = "/inbox") -> Response:
    progress = listening_queries.bulk_progress(ctx.session, ctx.user.workspace_id, run_id)
    return render(request, ctx, "bulk_run.html" if page else "_bulk_run.html", p=progress, titles=RUN_TITLES,
                  back=safe_next(back), may_cancel=progress.run.state == bulk.RUNNING and (
                      progress.run.actor_user_id == ctx.user.id or allows(ctx.user, Permission.SUPERVISE)))


@router.get("/inbox/bulk/{run_id}")
def bulk_run(run_id: int, request: Request, ctx: ReadCasesPage, next: str = "/inbox") -> Response:
    try:
        return _run(request, ctx, run_id, page=not is_htmx(request), back=next)
    except NotFound:
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")


@router.post("/inbox/bulk/{run_id}/cancel")
def bulk_cancel(run_id: int, request: Request, ctx: WorkCasesPage) -> Response:
    try:
        with domain_action(ctx.session):
            run = listening_queries.get_bulk_run(ctx.session, ctx.user.workspace_id, run_id)
            bulk.cancel(ctx.session, ctx.runtime.publisher, actor=ctx.user, run=run)
    except NotFound:
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    except ComprisError as exc:
        return render(request, ctx, "_bulk_error.html", status_code=422, error=_error(ctx, exc))
    if not is_htmx(request):
        return redirect(f"/inbox/bulk/{run_id}")
    return _run(request, ctx, run_id)


# --- the tags of a case (the case page's panel) ------------------------------------------------------------------


def _case_or_none(ctx: PageContext, number: int, *, for_update: bool = False) -> Case | None:
    try:
        return inbox_queries.get_case(ctx.session, ctx.user.workspace_id, number, for_update=for_update)
    except NotFound:
        return None


def _tags_panel(request: Request, ctx: PageContext, case: Case, *, error: str | None = None,
                status_code: int = 200) -> Response:
    if not is_htmx(request):
        return redirect(f"/cases/{case.number}")
    return render(request, ctx, "_case_tags.html", status_code=status_code, case=case, loaded=True,
                  case_tags=inbox_queries.tags_of(ctx.session, case),
                  all_tags=inbox_queries.list_tags(ctx.session, ctx.user.workspace_id), tags_error=error)


@router.get("/cases/{number}/tags")
def case_tags(number: int, request: Request, ctx: ReadCasesPage) -> Response:
    case = _case_or_none(ctx, number)
    if case is None:
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    return _tags_panel(request, ctx, case)


def _change_tags(request: Request, ctx: PageContext, number: int, *, add: list[str], remove: list[str]) -> Response:
    case = _case_or_none(ctx, number, for_update=True)
    if case is None:
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    try:
        with domain_action(ctx.session):
            tag_actions.tag_case(ctx.session, ctx.runtime.publisher, actor=ctx.user, case=case, add=add,
                                 remove=remove)
    except ComprisError as exc:
        return _tags_panel(request, ctx, case, error=_error(ctx, exc), status_code=422)
    return _tags_panel(request, ctx, case)


@router.post("/cases/{number}/tags")
def case_tag_add(number: int, request: Request, ctx: WorkCasesPage,
                 tag: Annotated[str, Form()] = "") -> Response:
    names = [n for n in tag.split(",") if n.strip()] or [tag]
    return _change_tags(request, ctx, number, add=names, remove=[])


@router.post("/cases/{number}/tags/remove")
def case_tag_remove(number: int, request: Request, ctx: WorkCasesPage,
                    tag: Annotated[str, Form()] = "") -> Response:
    return _change_tags(request, ctx, number, add=[], remove=[tag])


# --- the workspace's tags (supervisors and admins) ----------------------------------------------------------------


def _admin(request: Request, ctx: PageContext, *, error: str | None = None, status_code: int = 200) -> Response:
    return render(request, ctx, "admin_tags.html", status_code=status_code, tags=inbox_queries.list_tags(
        ctx.session, ctx.user.workspace_id), colors=tag_actions.COLORS, error=error)


@router.get("/admin/tags")
def admin_tags(request: Request, ctx: ManageDeskPage) -> Response:
    return _admin(request, ctx)


def _admin_write(request: Request, ctx: PageContext, do: Any) -> Response:
    try:
        with domain_action(ctx.session):
            do()
    except ComprisError as exc:
        return _admin(request, ctx, error=_error(ctx, exc), status_code=422)
    return redirect("/admin/tags")


@router.post("/admin/tags")
def admin_tag_create(request: Request, ctx: ManageDeskPage, name: Annotated[str, Form()] = "",
                     color: Annotated[str, Form()] = "") -> Response:
    return _admin_write(request, ctx, lambda: tag_actions.create_tag(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, name=name, color=color or None))


@router.post("/admin/tags/{tag_id}")
def admin_tag_update(tag_id: int, request: Request, ctx: ManageDeskPage, name: Annotated[str, Form()] = "",
                     color: Annotated[str, Form()] = "") -> Response:
    def do() -> None:
        tag = tag_actions.get_tag(ctx.session, ctx.user.workspace_id, tag_id)
        tag_actions.update_tag(ctx.session, ctx.runtime.publisher, actor=ctx.user, tag=tag, name=name,
                               color=color or None, set_color=True)

    return _admin_write(request, ctx, do)


@router.post("/admin/tags/{tag_id}/delete")
def admin_tag_delete(tag_id: int, request: Request, ctx: ManageDeskPage) -> Response:
    def do() -> None:
        tag = tag_actions.get_tag(ctx.session, ctx.user.workspace_id, tag_id)
        tag_actions.delete_tag(ctx.session, ctx.runtime.publisher, actor=ctx.user, tag=tag)

    return _admin_write(request, ctx, do)


__all__ = ["ACTIONS", "bar_vars", "router"]
