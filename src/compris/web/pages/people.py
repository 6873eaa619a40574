"""People: one's own profile (``/settings/profile``: name, signature, language, password) and the admins' people
page (``/admin/people``: users, their role, teams and skills, deactivation; invitations)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from compris.accounts import actions as accounts
from compris.accounts import invitations, queries
from compris.kit.errors import ComprisError, NotFound
from compris.models import Invitation, Role, User
from compris.routing import actions as routing
from compris.web import i18n
from compris.web.deps import OwnAccountPage, PageContext, PeoplePage, sign_in
from compris.web.pages.render import domain_action, redirect, render

router = APIRouter(include_in_schema=False)

#: the roles' names as the pages show them (translated)
ROLE_LABELS = {Role.ADMIN.value: "Admin", Role.SUPERVISOR.value: "Supervisor", Role.AGENT.value: "Agent",
               Role.ANALYST.value: "Analyst"}
ROLE_HELP = {
    Role.ADMIN.value: "everything, people and settings included",
    Role.SUPERVISOR.value: "cases, supervision, reports, routing and templates",
    Role.AGENT.value: "answers and works on cases",
    Role.ANALYST.value: "reads cases and reports, changes nothing",
}
LANGUAGE_LABELS = {"en": "English", "fr": "Français"}


def initials(name: str) -> str:
    """A user's avatar initials: the first letters of their first and last words (``Camille Martin`` → ``CM``)."""
    words = [w for w in name.split() if w[:1].isalnum()]
    if not words:
        return "?"
    return (words[0][0] + (words[-1][0] if len(words) > 1 else "")).upper()


def field_of(message: str) -> str:
    """Which field of a form an action's refusal is about (its message next to that field)."""
    text = message.lower()
    for needle, field in (("current password", "current"), ("password", "password"), ("e-mail", "email"),
                          ("invitation", "email"), ("role", "role"), ("admin", "role"), ("team", "teams"),
                          ("language", "language"), ("network", "networks"), ("signature", "signature"),
                          ("name", "name")):
        if needle in text:
            return field
    return "form"


def _error(ctx: PageContext, exc: ComprisError) -> dict[str, str]:
    return {field_of(exc.message): i18n.error_text(ctx.user.language, exc)}


# --- one's own profile -----------------------------------------------------------------------------------------


def _profile(request: Request, ctx: PageContext, *, errors: dict[str, str] | None = None,
             form: dict[str, str] | None = None, status_code: int = 200, saved: str = "") -> Response:
    user = ctx.user
    values = {"name": user.name, "signature": user.signature or "", "language": user.language}
    values.update(form or {})
    return render(request, ctx, "profile.html", status_code=status_code, errors=errors or {}, form=values,
                  saved=saved, initials=initials(user.name), languages=LANGUAGE_LABELS,
                  role_label=ROLE_LABELS.get(user.role, user.role), sso=bool(user.oidc_subject))


@router.get("/settings/profile")
def profile_page(request: Request, ctx: OwnAccountPage, saved: str = "") -> Response:
    return _profile(request, ctx, saved=saved if saved in ("profile", "password") else "")


@router.post("/settings/profile")
def profile_save(request: Request, ctx: OwnAccountPage, name: Annotated[str, Form()] = "",
                 signature: Annotated[str, Form()] = "", language: Annotated[str, Form()] = "en") -> Response:
    try:
        with domain_action(ctx.session):
            accounts.update_profile(ctx.session, user=ctx.user, name=name, signature=signature, language=language,
                                    publisher=ctx.runtime.publisher)
    except ComprisError as exc:
        ctx.session.refresh(ctx.user)
        return _profile(request, ctx, errors=_error(ctx, exc), status_code=422,
                        form={"name": name, "signature": signature, "language": language})
    return redirect("/settings/profile?saved=profile")


@router.post("/settings/profile/password")
def profile_password(request: Request, ctx: OwnAccountPage, current: Annotated[str, Form()] = "",
                     password: Annotated[str, Form()] = "", confirm: Annotated[str, Form()] = "") -> Response:
    """Change one's own password: the current one is required; every other session ends, this browser gets a new
    one."""
    if password != confirm:
        return _profile(request, ctx, status_code=422,
                        errors={"password": i18n.gettext(ctx.user.language, "The two passwords differ.")})
    try:
        with domain_action(ctx.session):
            accounts.change_own_password(ctx.session, user=ctx.user, current=current, new=password,
                                         publisher=ctx.runtime.publisher)
            sign_in(request, ctx.session, ctx.user)
    except ComprisError as exc:
        return _profile(request, ctx, errors=_error(ctx, exc), status_code=422)
    return redirect("/settings/profile?saved=password")


# --- the people page (admins) ------------------------------------------------------------------------------------


def _link(ctx: PageContext, invitation: Invitation) -> str:
    return invitations.link_for(invitation, base_url=ctx.runtime.settings.base_url,
                                secret_key=ctx.runtime.settings.secret_key)


def _people(request: Request, ctx: PageContext, *, errors: dict[str, str] | None = None,
            user_errors: dict[int, dict[str, str]] | None = None, form: dict[str, object] | None = None,
            status_code: int = 200, invited: int | None = None, notice: str = "") -> Response:
    ws = ctx.user.workspace_id
    pending = queries.open_invitations(ctx.session, ws)
    shown = next((i for i in pending if i.id == invited), None)
    invite_form: dict[str, object] = {"email": "", "name": "", "role": "agent", "team_ids": [], "language": "en"}
    invite_form.update(form or {})
    return render(
        request, ctx, "people.html", status_code=status_code, users=queries.all_users(ctx.session, ws),
        invitations=pending, teams=queries.workspace_teams(ctx.session, ws),
        teams_of=queries.team_ids_by_user(ctx.session, ws), skills_of=queries.skills_by_user(ctx.session, ws),
        status_of=invitations.status_of, link_of=lambda i: _link(ctx, i), roles=ROLE_LABELS, role_help=ROLE_HELP,
        languages=LANGUAGE_LABELS, errors=errors or {}, user_errors=user_errors or {}, form=invite_form,
        shown=shown, notice=notice, mail_ready=invitations.mail_configured(ctx.session, ws))


@router.get("/admin/people")
def people_page(request: Request, ctx: PeoplePage, invited: int | None = None, notice: str = "") -> Response:
    known = {"invited", "resent", "revoked", "saved", "deactivated", "reactivated"}
    return _people(request, ctx, invited=invited, notice=notice if notice in known else "")


@router.post("/admin/people/invite")
def people_invite(request: Request, ctx: PeoplePage, email: Annotated[str, Form()] = "",
                  name: Annotated[str, Form()] = "", role: Annotated[str, Form()] = "agent",
                  team_ids: Annotated[list[int] | None, Form()] = None,
                  language: Annotated[str, Form()] = "en") -> Response:
    teams = list(team_ids or [])
    try:
        with domain_action(ctx.session):
            invitation, _ = invitations.invite(
                ctx.session, ctx.runtime.publisher, workspace_id=ctx.user.workspace_id, email=email, name=name,
                role=role, team_ids=teams, language=language, invited_by=ctx.user,
                base_url=ctx.runtime.settings.base_url, secret_key=ctx.runtime.settings.secret_key)
    except ComprisError as exc:
        return _people(request, ctx, errors=_error(ctx, exc), status_code=422,
                       form={"email": email, "name": name, "role": role, "team_ids": teams, "language": language})
    return redirect(f"/admin/people?invited={invitation.id}&notice=invited")


@router.post("/admin/people/invitations/{invitation_id}/resend")
def people_resend(request: Request, ctx: PeoplePage, invitation_id: int) -> Response:
    try:
        with domain_action(ctx.session):
            invitations.resend(ctx.session, ctx.runtime.publisher, actor=ctx.user, invitation_id=invitation_id,
                               base_url=ctx.runtime.settings.base_url, secret_key=ctx.runtime.settings.secret_key)
    except ComprisError as exc:
        return _people(request, ctx, errors={"invitations": i18n.error_text(ctx.user.language, exc)},
                       status_code=exc.status_code)
    return redirect(f"/admin/people?invited={invitation_id}&notice=resent")


@router.post("/admin/people/invitations/{invitation_id}/revoke")
def people_revoke(request: Request, ctx: PeoplePage, invitation_id: int) -> Response:
    try:
        with domain_action(ctx.session):
            invitations.revoke(ctx.session, ctx.runtime.publisher, actor=ctx.user, invitation_id=invitation_id)
    except ComprisError as exc:
        return _people(request, ctx, errors={"invitations": i18n.error_text(ctx.user.language, exc)},
                       status_code=exc.status_code)
    return redirect("/admin/people?notice=revoked")


def apply_changes(ctx: PageContext, user_id: int, *, role: str | None, team_ids: list[int] | None,
                  languages: str | list[str] | None, networks: str | list[str] | None) -> User:
    """A user's role, teams and skills as the people page (and the API) set them (``None``: unchanged); each part
    through its own action (accounts' role, routing's members and profile), each audited."""
    user = accounts.update_user(ctx.session, actor=ctx.user, user_id=user_id, role=role,
                                publisher=ctx.runtime.publisher)
    if team_ids is not None:
        wanted = set(team_ids)
        known = {t.id for t in queries.workspace_teams(ctx.session, ctx.user.workspace_id)}
        if not wanted <= known:
            raise NotFound("no such team")
        current = set(queries.team_ids_by_user(ctx.session, ctx.user.workspace_id).get(user.id, []))
        for team_id in sorted(wanted - current):
            routing.add_member(ctx.session, ctx.runtime.publisher, actor=ctx.user, team_id=team_id, user_id=user.id)
        for team_id in sorted(current - wanted):
            routing.remove_member(ctx.session, ctx.runtime.publisher, actor=ctx.user, team_id=team_id,
                                  user_id=user.id)
    if languages is not None or networks is not None:
        routing.update_agent(ctx.session, ctx.runtime.publisher, actor=ctx.user, user_id=user.id,
                             languages=languages, networks=networks)
    return user


@router.post("/admin/people/{user_id}")
def people_update(request: Request, ctx: PeoplePage, user_id: int, role: Annotated[str, Form()] = "",
                  team_ids: Annotated[list[int] | None, Form()] = None, languages: Annotated[str, Form()] = "",
                  networks: Annotated[str, Form()] = "") -> Response:
    try:
        with domain_action(ctx.session):
            apply_changes(ctx, user_id, role=role or None, team_ids=list(team_ids or []), languages=languages,
                          networks=networks)
    except ComprisError as exc:
        return _people(request, ctx, user_errors={user_id: _error(ctx, exc)}, status_code=exc.status_code)
    return redirect(f"/admin/people?notice=saved#user-{user_id}")


@router.post("/admin/people/{user_id}/active")
def people_active(request: Request, ctx: PeoplePage, user_id: int, active: Annotated[int, Form()] = 0) -> Response:
    """Deactivate (every session and API token of theirs ends at once) or reactivate a user."""
    try:
        with domain_action(ctx.session):
            accounts.update_user(ctx.session, actor=ctx.user, user_id=user_id, active=bool(active),
                                 publisher=ctx.runtime.publisher)
    except ComprisError as exc:
        return _people(request, ctx, user_errors={user_id: {"active": i18n.error_text(ctx.user.language, exc)}},
                       status_code=exc.status_code)
    return redirect(f"/admin/people?notice={'reactivated' if active else 'deactivated'}#user-{user_id}")
