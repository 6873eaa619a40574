"""``/contacts/{id}``: a customer's identities and cases; merge them into another contact, split an identity off.

Plain forms (CSRF-checked by ``page_user``) answered with a redirect (post/redirect/get), or the page again with
the error when the action is refused (nothing written: each action runs in a savepoint).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from compris.accounts.permissions import Permission, allows
from compris.inbox import actions
from compris.inbox import queries as contact_queries
from compris.kit.errors import ComprisError, Invalid, NotFound
from compris.web import i18n
from compris.web.deps import PageContext, page_user
from compris.web.pages.render import domain_action, redirect, render

router = APIRouter(include_in_schema=False)


def _not_found(request: Request, ctx: PageContext) -> Response:
    return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")


def _page(request: Request, ctx: PageContext, contact_id: int, *, q: str = "", error: str | None = None,
          split: int | None = None, status_code: int = 200) -> Response:
    view = contact_queries.contact_view(ctx.session, ctx.user.workspace_id, contact_id)
    matches = contact_queries.search_contacts(ctx.session, ctx.user.workspace_id, q[:200], exclude_id=contact_id)
    variables: dict[str, Any] = {"view": view, "q": q, "matches": matches, "error": error, "split": None,
                                 "can_manage_privacy": allows(ctx.user, Permission.MANAGE_PRIVACY)}
    if split is not None:
        with suppress(NotFound):
            variables["split"] = contact_queries.get_contact(ctx.session, ctx.user.workspace_id, split)
    return render(request, ctx, "contact.html", status_code=status_code, **variables)


@router.get("/contacts/{contact_id}")
def contact_page(contact_id: int, request: Request, ctx: PageContext = Depends(page_user), q: str = "",
                 split: int | None = None) -> Response:
    """The contact; with ``q``, the other contacts matching it (by name, handle or network id) to merge into."""
    try:
        return _page(request, ctx, contact_id, q=q, split=split)
    except NotFound:
        return _not_found(request, ctx)


def _refused(request: Request, ctx: PageContext, contact_id: int, error: ComprisError, q: str = "") -> Response:
    return _page(request, ctx, contact_id, q=q, error=i18n.error_text(ctx.user.language, error),
                 status_code=409 if error.status_code == 409 else 422)


@router.post("/contacts/{contact_id}/merge")
def merge(contact_id: int, request: Request, ctx: PageContext = Depends(page_user),
          into: Annotated[str, Form()] = "", q: Annotated[str, Form()] = "") -> Response:
    """Merge this contact into ``into``: its identities and cases move there; the agent lands on that contact."""
    session, workspace_id = ctx.session, ctx.user.workspace_id
    try:
        source = contact_queries.get_contact(session, workspace_id, contact_id, for_update=True)
    except NotFound:
        return _not_found(request, ctx)
    try:
        with domain_action(session):
            if not (into.isascii() and into.isdigit()):
                raise Invalid("pick the contact to merge into")
            try:
                target = contact_queries.get_contact(session, workspace_id, int(into), for_update=True)
            except NotFound:
                raise Invalid("no such contact") from None
            if target.id == source.id:
                raise Invalid("a contact cannot be merged into itself")
            actions.merge_contacts(session, ctx.runtime.publisher, actor=ctx.user, source=source, target=target)
    except ComprisError as exc:
        return _refused(request, ctx, contact_id, exc, q)
    return redirect(f"/contacts/{target.id}")


@router.post("/contacts/{contact_id}/identities/{identity_id}/unmerge")
def unmerge(contact_id: int, identity_id: int, request: Request, ctx: PageContext = Depends(page_user)) -> Response:
    """Split one identity off into a contact of its own; back to this contact, which links to the new one."""
    session = ctx.session
    try:
        contact = contact_queries.get_contact(session, ctx.user.workspace_id, contact_id, for_update=True)
        identity = contact_queries.get_identity(session, contact, identity_id)
    except NotFound:
        return _not_found(request, ctx)
    try:
        with domain_action(session):
            new = actions.unmerge_identity(session, ctx.runtime.publisher, actor=ctx.user, identity=identity)
    except ComprisError as exc:
        return _refused(request, ctx, contact_id, exc)
    return redirect(f"/contacts/{contact_id}?split={new.id}")
