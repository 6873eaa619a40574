"""Invitations: an admin (or an instance admin, for a workspace's first admin) invites someone by e-mail; the
invitation's signed link lets them choose their password, which creates their user, in the invited role, teams
and language, and signs them in.

The link is a :func:`compris.kit.signing.link_token` (purpose ``invite``) naming the invitation and its random
``nonce``, valid 7 days by default. It is single-use: accepting, revoking or re-sending the invitation (a new
nonce) voids it; a tampered link or an expired one is refused (:class:`InvitationRefused`, with its reason).

The e-mail goes through the workspace's outgoing mail (:func:`compris.mail.actions.queue_mail`, purpose
``invitation``), in the invitation's language. Without outgoing mail the invitation is made all the same
(``sent_at`` stays empty): the admin copies the link from the page and hands it over. (``accounts`` sits below
``mail`` in the layers; this module's one import of ``compris.mail.actions`` is declared in pyproject's import
contract: queueing a mail imports nothing above ``accounts``.)
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris import audit
from compris.accounts.actions import EMAIL_RE, create_user
from compris.kit import signing
from compris.kit.clock import now
from compris.kit.errors import ComprisError, Conflict, Invalid, NotFound
from compris.live import Publisher
from compris.mail.actions import queue_mail
from compris.models import Invitation, MailSettings, Role, Team, TeamMember, User, Workspace

PURPOSE = "invite"
LIFETIME = timedelta(days=7)
MAIL_PURPOSE = "invitation"
LANGUAGES = ("en", "fr")


class InvitationRefused(ComprisError):
    """An invitation link that cannot be used: ``reason`` is ``invalid`` (malformed or tampered with),
    ``expired``, ``replaced`` (re-sent since: a newer link exists), ``revoked`` or ``accepted``."""

    status_code = 410

    def __init__(self, reason: str) -> None:
        super().__init__(f"this invitation link cannot be used ({reason})")
        self.reason = reason
        if reason == "invalid":
            self.status_code = 400


def status_of(invitation: Invitation, at: datetime | None = None) -> str:
    """``pending``, ``accepted``, ``revoked`` or ``expired``."""
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= (at or now()):
        return "expired"
    return "pending"


def link_for(invitation: Invitation, *, base_url: str, secret_key: str) -> str:
    """The invitation's accept link (the same for as long as the invitation is not re-sent)."""
    token = signing.link_token(secret_key, PURPOSE, {"i": invitation.id, "n": invitation.nonce},
                               invitation.expires_at)
    return f"{base_url.rstrip('/')}/invitations/{token}"


def mail_configured(session: Session, workspace_id: int) -> bool:
    """Whether the workspace can send mail (an SMTP host and a sending address)."""
    row = session.scalar(select(MailSettings).where(MailSettings.workspace_id == workspace_id))
    return row is not None and bool(row.host) and bool(row.from_address)


def _team_ids(session: Session, workspace_id: int, team_ids: list[int] | tuple[int, ...]) -> list[int]:
    ids = sorted({int(t) for t in team_ids})
    if ids:
        found = set(session.scalars(select(Team.id).where(Team.workspace_id == workspace_id, Team.id.in_(ids))))
        if found != set(ids):
            raise Invalid("no such team")
    return ids


_TEXT = {
    "en": ("Your invitation to {workspace} on Compris",
           "Hello{name},\n\n{inviter} invites you to join {workspace} on Compris as {role}.\n\n"
           "Choose your password here (the link works once, until {until}):\n{link}\n\n"
           "If you did not expect this invitation, ignore this e-mail.\n"),
    "fr": ("Votre invitation à {workspace} sur Compris",
           "Bonjour{name},\n\n{inviter} vous invite à rejoindre {workspace} sur Compris en tant que {role}.\n\n"
           "Choisissez votre mot de passe ici (le lien sert une fois, jusqu'au {until}) :\n{link}\n\n"
           "Si vous n'attendiez pas cette invitation, ignorez cet e-mail.\n"),
}
_ROLES = {
    "en": {"admin": "admin", "supervisor": "supervisor", "agent": "agent", "analyst": "analyst"},
    "fr": {"admin": "administrateur", "supervisor": "superviseur", "agent": "agent", "analyst": "analyste"},
}


def _send(session: Session, publisher: Publisher, invitation: Invitation, link: str, inviter: str) -> bool:
    """Queue the invitation's e-mail (``False``: the workspace has no outgoing mail; nothing queued)."""
    if not mail_configured(session, invitation.workspace_id):
        return False
    workspace = session.get(Workspace, invitation.workspace_id)
    assert workspace is not None
    lang = invitation.language if invitation.language in LANGUAGES else "en"
    subject, body = _TEXT[lang]
    until = invitation.expires_at.strftime("%d/%m/%Y %H:%M UTC" if lang == "fr" else "%Y-%m-%d %H:%M UTC")
    values = {"workspace": workspace.name, "name": f" {invitation.name}" if invitation.name else "",
              "inviter": inviter or "Compris", "role": _ROLES[lang].get(invitation.role, invitation.role),
              "until": until, "link": link}
    queue_mail(session, publisher, workspace_id=invitation.workspace_id, to=[invitation.email],
               subject=subject.format(**values), text=body.format(**values), purpose=MAIL_PURPOSE,
               ref={"invitation_id": invitation.id})
    invitation.sent_at = now()
    return True


def invite(
    session: Session,
    publisher: Publisher,
    *,
    workspace_id: int,
    email: str,
    name: str,
    role: str,
    team_ids: list[int] | tuple[int, ...],
    language: str,
    invited_by: User | None,
    base_url: str,
    secret_key: str,
    lifetime: timedelta = LIFETIME,
) -> tuple[Invitation, str]:
    """Invite ``email`` into the workspace: the invitation and its accept link. The e-mail is queued when the
    workspace has outgoing mail (``invitation.sent_at`` set), else the caller shows the link to hand over."""
    email = email.strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise Invalid("that is not an e-mail address")
    if role not in {r.value for r in Role}:
        raise Invalid(f"unknown role {role!r}")
    if language not in LANGUAGES:
        raise Invalid("the language is en or fr")
    name = name.strip()[:200]
    if session.get(Workspace, workspace_id) is None:
        raise NotFound("no such workspace")
    teams = _team_ids(session, workspace_id, team_ids)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("a user with that e-mail exists")
    t = now()
    pending = session.scalar(select(Invitation.id).where(
        Invitation.workspace_id == workspace_id, Invitation.email == email, Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None), Invitation.expires_at > t))
    if pending is not None:
        raise Conflict("an invitation to that e-mail is pending: re-send it or revoke it")
    invitation = Invitation(workspace_id=workspace_id, email=email, name=name, role=role, team_ids=teams,
                            language=language, invited_by_id=invited_by.id if invited_by else None,
                            expires_at=t + lifetime, nonce=secrets.token_urlsafe(16))
    session.add(invitation)
    session.flush()
    link = link_for(invitation, base_url=base_url, secret_key=secret_key)
    _send(session, publisher, invitation, link, invited_by.name if invited_by else "")
    session.flush()
    audit.record(session, publisher, workspace_id=workspace_id, actor_user_id=invited_by.id if invited_by else None,
                 entity="invitation", action="created", entity_id=invitation.id,
                 changes=["email", "name", "role", "team_ids", "language"])
    return invitation, link


def get_invitation(session: Session, workspace_id: int, invitation_id: int) -> Invitation:
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.workspace_id != workspace_id:
        raise NotFound("no such invitation")
    return invitation


def resend(session: Session, publisher: Publisher, *, actor: User, invitation_id: int, base_url: str,
           secret_key: str, lifetime: timedelta = LIFETIME) -> tuple[Invitation, str]:
    """A new link (new nonce, 7 more days; the older link stops working), e-mailed again when the workspace has
    outgoing mail. An accepted or revoked invitation cannot be re-sent (409)."""
    invitation = get_invitation(session, actor.workspace_id, invitation_id)
    state = status_of(invitation)
    if state in ("accepted", "revoked"):
        raise Conflict(f"this invitation was {state}")
    invitation.nonce = secrets.token_urlsafe(16)
    invitation.expires_at = now() + lifetime
    invitation.sent_at = None
    session.flush()
    link = link_for(invitation, base_url=base_url, secret_key=secret_key)
    _send(session, publisher, invitation, link, actor.name)
    session.flush()
    audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id, entity="invitation",
                 action="resent", entity_id=invitation.id, changes=["nonce", "expires_at"])
    return invitation, link


def revoke(session: Session, publisher: Publisher, *, actor: User, invitation_id: int) -> Invitation:
    """Void the invitation and its link (an accepted one is a 409; revoking twice changes nothing)."""
    invitation = get_invitation(session, actor.workspace_id, invitation_id)
    if invitation.accepted_at is not None:
        raise Conflict("this invitation was accepted")
    if invitation.revoked_at is None:
        invitation.revoked_at = now()
        session.flush()
        audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id,
                     entity="invitation", action="revoked", entity_id=invitation.id, changes=["revoked_at"])
    return invitation


def invitation_for_link(session: Session, token: str, secret_key: str, *, lock: bool = False) -> Invitation:
    """The pending invitation a link names, else :class:`InvitationRefused` with the reason."""
    try:
        data = signing.read_link_token(secret_key, PURPOSE, token, now())
    except signing.LinkError as exc:
        raise InvitationRefused("expired" if exc.expired else "invalid") from None
    invitation_id, nonce = data.get("i"), data.get("n")
    if not isinstance(invitation_id, int) or not isinstance(nonce, str):
        raise InvitationRefused("invalid")
    query = select(Invitation).where(Invitation.id == invitation_id)
    invitation = session.scalar(query.with_for_update() if lock else query)
    if invitation is None:
        raise InvitationRefused("invalid")
    if invitation.accepted_at is not None:
        raise InvitationRefused("accepted")
    if invitation.revoked_at is not None:
        raise InvitationRefused("revoked")
    if not secrets.compare_digest(invitation.nonce.encode(), nonce.encode()):
        raise InvitationRefused("replaced")
    if invitation.expires_at <= now():
        raise InvitationRefused("expired")
    return invitation


def accept(session: Session, publisher: Publisher, *, token: str, password: str, name: str,
           secret_key: str) -> User:
    """Accept an invitation: its user is created (the invited role, language and teams; the password chosen
    here), the invitation is used up (its link void). The caller signs the user in."""
    invitation = invitation_for_link(session, token, secret_key, lock=True)
    return accept_invitation(session, publisher, invitation, password=password, name=name.strip() or invitation.name)


def accept_invitation(session: Session, publisher: Publisher, invitation: Invitation, *, password: str,
                      name: str) -> User:
    """Use up ``invitation`` (already checked: by its link, or by single sign-on's verified e-mail): its user is
    created with ``password`` and ``name``, the invited role, language and teams (a team deleted since is skipped)."""
    workspace = session.get(Workspace, invitation.workspace_id)
    assert workspace is not None
    user = create_user(session, workspace=workspace, email=invitation.email, name=name,
                       password=password, role=invitation.role, language=invitation.language,
                       actor_user_id=invitation.invited_by_id, publisher=publisher)
    wanted = [int(t) for t in invitation.team_ids or [] if isinstance(t, int | str) and str(t).isdigit()]
    teams = set(session.scalars(select(Team.id).where(Team.workspace_id == workspace.id, Team.id.in_(wanted))))
    for team_id in sorted(teams):
        session.add(TeamMember(workspace_id=workspace.id, team_id=team_id, user_id=user.id))
    invitation.accepted_at = now()
    invitation.accepted_user_id = user.id
    session.flush()
    audit.record(session, publisher, workspace_id=workspace.id, actor_user_id=user.id, entity="invitation",
                 action="accepted", entity_id=invitation.id, changes=["accepted_at"])
    return user
