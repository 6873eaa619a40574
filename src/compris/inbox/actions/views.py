"""Saved views of the inbox (issue 18): an agent names the current filters and sort; a view is private (only its
owner sees it) or shared with the workspace (sharing needs ``desk.manage``: supervisors and admins)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compris import bus
from compris.accounts.permissions import Permission, allows
from compris.events import InboxViewDeleted, InboxViewSaved, InboxViewUpdated
from compris.inbox.queries import InboxFilter
from compris.kit.errors import Forbidden, Invalid
from compris.live import Publisher
from compris.models import InboxView, User

MAX_NAME = 80
#: private views one agent may keep
MAX_VIEWS = 50


def check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise Invalid("the view needs a name")
    if len(name) > MAX_NAME:
        raise Invalid(f"a view's name is at most {MAX_NAME} characters")
    return name


def may_share(actor: User) -> bool:
    """Whether ``actor`` may share a view with the workspace (and change or delete the shared ones)."""
    return allows(actor, Permission.MANAGE_DESK)


def may_change(actor: User, view: InboxView) -> bool:
    """Its owner changes a private view; a shared one, whoever may manage the desk (its owner included)."""
    if view.workspace_id != actor.workspace_id:
        return False
    return may_share(actor) if view.shared else view.owner_id == actor.id


def _stored(f: InboxFilter) -> dict[str, str]:
    """The filters kept by a view: everything but a post's comments (a page of its own) and paging."""
    params = f.params()
    params.pop("post", None)
    return params


def create_view(session: Session, publisher: Publisher, *, actor: User, name: str, filters: InboxFilter,
                shared: bool = False) -> InboxView:
    name = check_name(name)
    if shared and not may_share(actor):
        raise Forbidden("sharing a view with the workspace needs the desk management permission")
    owned = session.scalar(select(func.count()).select_from(InboxView).where(
        InboxView.workspace_id == actor.workspace_id, InboxView.owner_id == actor.id)) or 0
    if owned >= MAX_VIEWS:
        raise Invalid(f"at most {MAX_VIEWS} views per agent: delete one first")
    view = InboxView(workspace_id=actor.workspace_id, owner_id=actor.id, name=name, shared=shared,
                     filters=_stored(filters))
    session.add(view)
    session.flush()
    bus.emit(session, publisher, InboxViewSaved(workspace_id=actor.workspace_id, actor_user_id=actor.id,
                                                view_id=view.id, name=view.name, shared=view.shared,
                                                filters=dict(view.filters)))
    return view


def update_view(session: Session, publisher: Publisher, *, actor: User, view: InboxView, name: str | None = None,
                filters: InboxFilter | None = None, shared: bool | None = None) -> InboxView:
    """Rename, share or unshare ``view``, or give it ``filters``; only what differs is written."""
    if not may_change(actor, view):
        raise Forbidden("only its owner changes a private view, and a supervisor a shared one")
    changes: list[str] = []
    if name is not None and (name := check_name(name)) != view.name:
        view.name = name
        changes.append("name")
    if shared is not None and shared != view.shared:
        if not may_share(actor):
            raise Forbidden("sharing a view with the workspace needs the desk management permission")
        view.shared = shared
        changes.append("shared")
    if filters is not None and (stored := _stored(filters)) != view.filters:
        view.filters = stored
        changes.append("filters")
    if changes:
        session.flush()
        bus.emit(session, publisher, InboxViewUpdated(workspace_id=actor.workspace_id, actor_user_id=actor.id,
                                                      view_id=view.id, name=view.name, shared=view.shared,
                                                      changes=tuple(changes)))
    return view


def delete_view(session: Session, publisher: Publisher, *, actor: User, view: InboxView) -> None:
    if not may_change(actor, view):
        raise Forbidden("only its owner deletes a private view, and a supervisor a shared one")
    event = InboxViewDeleted(workspace_id=actor.workspace_id, actor_user_id=actor.id, view_id=view.id,
                             name=view.name, shared=view.shared)
    session.delete(view)
    session.flush()
    bus.emit(session, publisher, event)
