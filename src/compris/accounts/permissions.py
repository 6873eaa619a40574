"""Who may do what: the one table of permissions, read by the web layer for every page and API route
(``web/deps.py``: ``Allowed(...)`` for pages, ``ApiAllowed(...)`` for the API) and printed in
``docs/administration.md``.

A route names one :class:`Permission`; :data:`GRANTS` says which roles hold it. API tokens narrow it further by
their scopes (:func:`scope_needed`): ``read`` lets a token read, ``write`` also change, ``admin`` also do what
only admins may. Instance administration (creating workspaces) is not a role but a flag of the user
(``users.instance_admin``).
"""

from __future__ import annotations

import enum

from compris.models import Role, User


class Permission(enum.StrEnum):
    #: profile, own password, own API tokens, sign out: everyone signed in
    OWN_ACCOUNT = "account.own"
    #: see the inbox, cases, contacts, incidents, posts (read-only): everyone, the analyst included
    READ_CASES = "cases.read"
    #: answer, assign, resolve, tag, note, merge, escalate, run business actions: agents and up
    WORK_CASES = "cases.work"
    #: reports, exports of figures: supervisors, admins, analysts
    VIEW_REPORTS = "reports.view"
    #: supervision, staffing, coverage, listening alerts and settings, incidents management, bulk replies
    SUPERVISE = "desk.supervise"
    #: routing (teams, rules), SLA policies, templates, tone of voice, reply guard, surveys, tags, objectives
    MANAGE_DESK = "desk.manage"
    #: channel accounts and deliveries set aside
    MANAGE_CHANNELS = "channels.manage"
    #: people: invitations, roles, teams and skills, deactivation
    MANAGE_PEOPLE = "people.manage"
    #: outgoing mail, business actions, partners, outgoing webhooks, retention, workspace settings
    MANAGE_SETTINGS = "settings.manage"
    #: the audit log and its export
    VIEW_AUDIT = "audit.view"
    #: a contact's personal data: export and erasure
    MANAGE_PRIVACY = "privacy.manage"
    #: create workspaces and their first admin (instance admins only, whatever their role)
    MANAGE_INSTANCE = "instance.manage"


_EVERYONE = frozenset(Role)
_WORKERS = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.AGENT})
_SUPERVISORS = frozenset({Role.ADMIN, Role.SUPERVISOR})
_ADMINS = frozenset({Role.ADMIN})

#: the roles holding each permission
GRANTS: dict[Permission, frozenset[Role]] = {
    Permission.OWN_ACCOUNT: _EVERYONE,
    Permission.READ_CASES: _EVERYONE,
    Permission.WORK_CASES: _WORKERS,
    Permission.VIEW_REPORTS: frozenset({Role.ADMIN, Role.SUPERVISOR, Role.ANALYST}),
    Permission.SUPERVISE: _SUPERVISORS,
    Permission.MANAGE_DESK: _SUPERVISORS,
    Permission.MANAGE_CHANNELS: _ADMINS,
    Permission.MANAGE_PEOPLE: _ADMINS,
    Permission.MANAGE_SETTINGS: _ADMINS,
    Permission.VIEW_AUDIT: _ADMINS,
    Permission.MANAGE_PRIVACY: _ADMINS,
    Permission.MANAGE_INSTANCE: frozenset(),  # the instance_admin flag, not a role
}

#: permissions only admins hold: an API token needs the ``admin`` scope for them
ADMIN_ONLY: frozenset[Permission] = frozenset(p for p, roles in GRANTS.items() if roles == _ADMINS) | {
    Permission.MANAGE_INSTANCE}

SCOPES = ("read", "write", "admin")


def allows(user: User, permission: Permission) -> bool:
    """Whether ``user`` (active) holds ``permission``."""
    if not user.is_active:
        return False
    return role_allows(user.role, permission, instance_admin=bool(user.instance_admin))


def role_allows(role: str, permission: Permission | str, *, instance_admin: bool = False) -> bool:
    """Whether a user of ``role`` holds ``permission`` (given as the enum, its value ``"cases.work"`` or its name
    ``"WORK_CASES"``; an unknown name is an error, not a silent no). Instance administration is the
    ``instance_admin`` flag, whatever the role."""
    wanted = parse(permission)
    if wanted is Permission.MANAGE_INSTANCE:
        return instance_admin
    return role in GRANTS[wanted]


def parse(permission: Permission | str) -> Permission:
    """A permission from the enum itself, its value (``"cases.work"``) or its name (``"WORK_CASES"``)."""
    if isinstance(permission, Permission):
        return permission
    try:
        return Permission(permission)
    except ValueError:
        try:
            return Permission[permission]
        except KeyError:
            raise ValueError(f"unknown permission {permission!r}") from None


def scope_needed(permission: Permission, method: str) -> str:
    """The token scope a request needs: ``admin`` for admin-only permissions, ``write`` for any change, else
    ``read``."""
    if permission in ADMIN_ONLY:
        return "admin"
    return "read" if method.upper() in ("GET", "HEAD", "OPTIONS") else "write"


def scopes_cover(scopes: str, needed: str) -> bool:
    """Whether a token's space-separated ``scopes`` cover ``needed`` (``admin`` ⊃ ``write`` ⊃ ``read``)."""
    held = set(scopes.split())
    rank = {name: i for i, name in enumerate(SCOPES)}
    best = max((rank[s] for s in held if s in rank), default=-1)
    return best >= rank[needed]


def normalise_scopes(scopes: str | list[str]) -> str:
    """Scopes as stored (``"read write"``): known names only, in order, each implying those below it."""
    names = scopes.split() if isinstance(scopes, str) else list(scopes)
    unknown = [s for s in names if s not in SCOPES]
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r}: use read, write or admin")
    if not names:
        raise ValueError("a token needs at least one scope")
    top = max(SCOPES.index(s) for s in names)
    return " ".join(SCOPES[: top + 1])


#: what each permission lets one do, as the table in ``docs/administration.md`` says it
DESCRIPTIONS: dict[Permission, str] = {
    Permission.OWN_ACCOUNT: "Own profile, password and API tokens; sign out",
    Permission.READ_CASES: "See the inbox, cases, contacts, incidents and posts",
    Permission.WORK_CASES: "Answer, note, assign, transfer, resolve, tag, merge, escalate; run business actions; "
                           "bulk-work one's cases",
    Permission.VIEW_REPORTS: "Reports, survey results and their exports",
    Permission.SUPERVISE: "Supervision, coverage, staffing, escalations follow-up; listening alerts and clusters; "
                          "manage incidents",
    Permission.MANAGE_DESK: "Templates, reply guard, tone of voice, routing, SLA, surveys, tags, objectives",
    Permission.MANAGE_CHANNELS: "Channel accounts and deliveries set aside",
    Permission.MANAGE_PEOPLE: "People: invitations, roles, deactivation",
    Permission.MANAGE_SETTINGS: "Outgoing mail, business actions, partners, webhooks, retention",
    Permission.VIEW_AUDIT: "The audit log and its export",
    Permission.MANAGE_PRIVACY: "A contact's personal data: export and erasure",
    Permission.MANAGE_INSTANCE: "Workspaces of the server and their first admin (instance administrators only)",
}

_ROLE_ORDER = (Role.ADMIN, Role.SUPERVISOR, Role.AGENT, Role.ANALYST)


def markdown_table() -> str:
    """Who may do what, as the Markdown table of ``docs/administration.md`` (a test keeps the two identical)."""
    head = ["Permission", "What it covers", *(r.value.title() for r in _ROLE_ORDER), "API token scope"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for permission in Permission:
        if permission is Permission.MANAGE_INSTANCE:
            marks = ["instance admins" for _ in _ROLE_ORDER]
        else:
            marks = ["yes" if role in GRANTS[permission] else "—" for role in _ROLE_ORDER]
        scope = "admin" if permission in ADMIN_ONLY else "read (reads), write (changes)"
        lines.append(f"| `{permission.value}` | {DESCRIPTIONS[permission]} | " + " | ".join(marks) + f" | {scope} |")
    return "\n".join(lines) + "\n"
