"""Writes of the instance: a new workspace with its defaults and its first admin's invitation; the instance admin
flag. Each ends with its domain event (``SettingsChanged`` of the workspace, its templates, its SLA policy and
its invitation; :class:`compris.events.InstanceAdminChanged`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris import bus
from compris.accounts import actions as accounts
from compris.accounts import invitations
from compris.accounts.actions import EMAIL_RE
from compris.events import InstanceAdminChanged
from compris.kit.errors import Conflict, Invalid
from compris.live import Publisher
from compris.models import Invitation, Role, User, Workspace
from compris.replies.actions import ensure_default_templates
from compris.routing.actions import check_timezone
from compris.sla import actions as sla

LANGUAGES = ("en", "fr")

#: the SLA policy a new workspace starts with (as the demo's): first answer within an hour, then within four
#: hours, resolved within two days; the admin tunes it under SLA
DEFAULT_SLA_NAME = "Standard"
DEFAULT_SLA_TARGETS = (3600, 4 * 3600, 48 * 3600)


@dataclass(frozen=True)
class NewWorkspace:
    workspace: Workspace
    invitation: Invitation
    #: the first admin's accept link (also e-mailed when the instance can send mail): shown to the instance admin
    link: str


def create_workspace(session: Session, publisher: Publisher, *, actor: User, slug: str, name: str,
                     timezone: str = "UTC", default_language: str = "en", admin_email: str, admin_name: str = "",
                     base_url: str, secret_key: str) -> NewWorkspace:
    """A new workspace made by an instance admin (``actor``; the caller checked the permission), with its defaults
    (:func:`provision`) and the invitation of its first admin, who chooses their password from the link. Nothing
    of ``actor``'s own workspace is shared with it: ``actor`` is not a member of it."""
    slug = slug.strip().lower()
    name = name.strip()
    if not name:
        raise Invalid("a workspace needs a name")
    if len(name) > 200:
        raise Invalid("a workspace name has at most 200 characters")
    try:
        timezone = check_timezone(timezone)
    except Invalid:
        raise Invalid("unknown time zone: use a name such as Europe/Paris or America/New_York") from None
    if default_language not in LANGUAGES:
        raise Invalid("the language is en or fr")
    admin_email = admin_email.strip().lower()
    if not EMAIL_RE.match(admin_email) or len(admin_email) > 254:
        raise Invalid("the first admin's e-mail is not an e-mail address")
    if session.scalar(select(Workspace.id).where(Workspace.slug == slug)) is not None:
        raise Conflict("another workspace has that short name")
    workspace = accounts.create_workspace(session, slug=slug, name=name, timezone=timezone,
                                          default_language=default_language, publisher=publisher,
                                          actor_user_id=actor.id)
    provision(session, publisher, workspace)
    invitation, link = invitations.invite(
        session, publisher, workspace_id=workspace.id, email=admin_email, name=admin_name, role=Role.ADMIN,
        team_ids=[], language=default_language, invited_by=None, base_url=base_url, secret_key=secret_key)
    return NewWorkspace(workspace, invitation, link)


def provision(session: Session, publisher: Publisher, workspace: Workspace) -> None:
    """What a new workspace starts with: the default FR/EN reply templates and the standard SLA policy. Written by
    the system (no user of the workspace exists yet): their audit rows name no actor."""
    system = _system_actor(workspace)
    ensure_default_templates(session, system, publisher=publisher)
    first, following, resolution = DEFAULT_SLA_TARGETS
    sla.create_policy(session, publisher, actor=system, name=DEFAULT_SLA_NAME, first_response_s=first,
                      next_response_s=following, resolution_s=resolution)


def _system_actor(workspace: Workspace) -> User:
    """A user that is nobody (never added to the database session): actions taken as it belong to ``workspace``
    and name no actor (``id`` None)."""
    return User(id=None, workspace_id=workspace.id, email="", name="Compris", role=Role.ADMIN, is_active=True,
                instance_admin=False)


def set_instance_admin(session: Session, user: User, granted: bool, *, actor_user_id: int | None = None,
                       publisher: Publisher | None = None) -> bool:
    """Make ``user`` an instance admin (``granted``) or no longer one: whether anything changed."""
    if bool(user.instance_admin) == granted:
        return False
    user.instance_admin = granted
    session.flush()
    bus.emit(session, publisher or Publisher.outside_server(session), InstanceAdminChanged(
        workspace_id=user.workspace_id, actor_user_id=actor_user_id, user_id=user.id, granted=granted))
    return True
