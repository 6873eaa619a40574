"""``/settings``: the settings hub, every settings page the user may open, grouped (your account, the desk, channels,
the workspace). Each entry names the permission of the page it links to — the same table the routes use — so the
hub lists exactly the pages that would open (``tests/web/test_permissions.py`` checks each link against its route).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from compris.accounts.permissions import Permission, allows
from compris.models import User
from compris.web.deps import OwnAccountPage
from compris.web.pages.render import render

router = APIRouter(include_in_schema=False)


def _(message: str) -> str:
    """Marks a string for translation (translated when the page is rendered)."""
    return message


@dataclass(frozen=True)
class Entry:
    href: str
    label: str
    hint: str
    permission: Permission


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    entries: tuple[Entry, ...]


HUB: tuple[Group, ...] = (
    Group("account", _("Your account"), (
        Entry("/settings/profile", _("Profile"), _("Your name, language, signature and password."),
              Permission.OWN_ACCOUNT),
        Entry("/settings/tokens", _("API tokens"), _("Personal tokens for the JSON API."), Permission.OWN_ACCOUNT),
        Entry("/settings/sessions", _("Your sessions"), _("Where you are signed in; sign out a device you don't know."),
              Permission.OWN_ACCOUNT),
    )),
    Group("desk", _("Desk"), (
        Entry("/admin/templates", _("Templates"), _("Saved replies the agents insert."), Permission.MANAGE_DESK),
        Entry("/admin/guard", _("Reply guard"), _("What the guard stopped or flagged before sending."),
              Permission.MANAGE_DESK),
        Entry("/admin/tone", _("Tone of voice"),
              _("Greetings, sign-offs, words to avoid, promises each role may make."), Permission.MANAGE_DESK),
        Entry("/admin/routing", _("Routing"), _("Teams, skills and the rules that give cases to them."),
              Permission.MANAGE_DESK),
        Entry("/admin/sla", _("SLA"), _("Business hours and response-time targets."), Permission.MANAGE_DESK),
        Entry("/admin/surveys", _("Surveys"), _("Satisfaction surveys sent after a case is resolved."),
              Permission.MANAGE_DESK),
        Entry("/admin/tags", _("Tags"), _("The workspace's tags and their colours."), Permission.MANAGE_DESK),
        Entry("/reports/objectives", _("Objectives"), _("Targets the reports measure the desk against."),
              Permission.MANAGE_DESK),
    )),
    Group("channels", _("Channels"), (
        Entry("/admin/channels", _("Channels"), _("The accounts connected on each network."),
              Permission.MANAGE_CHANNELS),
        Entry("/admin/deliveries", _("Deliveries"), _("Incoming deliveries set aside, to replay."),
              Permission.MANAGE_CHANNELS),
    )),
    Group("workspace", _("Workspace"), (
        Entry("/admin/people", _("People"), _("Invitations, roles and deactivation."), Permission.MANAGE_PEOPLE),
        Entry("/admin/mail", _("Outgoing mail"), _("How Compris sends e-mail."), Permission.MANAGE_SETTINGS),
        Entry("/admin/business", _("Business actions"), _("Calls to your own systems from a case."),
              Permission.MANAGE_SETTINGS),
        Entry("/admin/partners", _("Partners"), _("Who cases are escalated to."), Permission.MANAGE_SETTINGS),
        Entry("/admin/webhooks", _("Webhooks"), _("Events sent to your systems."), Permission.MANAGE_SETTINGS),
        Entry("/admin/retention", _("Retention"), _("How long messages and personal data are kept."),
              Permission.MANAGE_SETTINGS),
        Entry("/admin/privacy", _("Personal data"), _("Erasures of customers' personal data, and their records."),
              Permission.MANAGE_PRIVACY),
        Entry("/admin/audit", _("Audit log"), _("Who changed what, and from where."), Permission.VIEW_AUDIT),
        Entry("/instance/workspaces", _("Workspaces"), _("The workspaces of this server (instance administrators)."),
              Permission.MANAGE_INSTANCE),
    )),
)


def visible(user: User) -> list[Group]:
    """The hub's groups as ``user`` sees them: only the entries they may open, and no empty group."""
    groups = [Group(g.key, g.title, tuple(e for e in g.entries if allows(user, e.permission))) for g in HUB]
    return [g for g in groups if g.entries]


@router.get("/settings")
def settings_hub(request: Request, ctx: OwnAccountPage) -> Response:
    return render(request, ctx, "settings.html", groups=visible(ctx.user))
