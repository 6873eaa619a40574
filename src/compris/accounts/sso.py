"""Single sign-on: who the provider's person is in Compris (the protocol is :mod:`compris.accounts.oidc`).

The matching rules (``docs/administration.md`` → *Single sign-on*), in order:

1. the user already linked to this identity (``users.oidc_issuer`` and ``oidc_subject``);
2. else the ACTIVE user whose e-mail the provider vouches for (``email_verified`` true; or not stated, when
   ``COMPRIS_OIDC_TRUST_EMAIL`` is on): the identity is linked to
   them (:class:`~compris.events.SsoLinked`, ``how="email"``), unless they are linked to another identity of a
   provider already;
3. else a pending invitation to that verified e-mail: it is accepted (the user is created in the invited role,
   language and teams, with a random password nobody knows: they sign in by single sign-on, or reset it), and
   linked (``how="invitation"``);
4. else nobody: single sign-on never creates a user who was not invited.

A deactivated user is refused at every step, and so is an e-mail outside ``COMPRIS_OIDC_ALLOWED_DOMAINS``. An admin
may :func:`unlink` a user (their next single sign-on links again by verified e-mail).
"""

from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compris import audit, bus
from compris.accounts import invitations
from compris.accounts.actions import get_user
from compris.accounts.oidc import Identity
from compris.events import SsoLinked
from compris.kit.clock import now
from compris.live import Publisher
from compris.models import Invitation, User

#: why a sign-in was refused (the login page words each one)
REASONS = ("domain", "unverified", "unknown", "inactive", "linked_elsewhere")


class SsoRefused(Exception):
    """The provider vouched for someone Compris does not let in: ``reason`` is one of :data:`REASONS` (``detail``,
    for the log, names no e-mail address)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def _domain_allowed(email: str, domains: frozenset[str]) -> bool:
    return not domains or email.rpartition("@")[2].lower() in domains


def linked_user(session: Session, issuer: str, subject: str) -> User | None:
    """The user linked to this single sign-on identity (any state)."""
    return session.scalar(select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject))


def pending_invitation(session: Session, email: str) -> Invitation | None:
    """The newest pending (neither accepted nor revoked, not expired) invitation to ``email``, locked."""
    return session.scalar(
        select(Invitation)
        .where(func.lower(Invitation.email) == email.lower(), Invitation.accepted_at.is_(None),
               Invitation.revoked_at.is_(None), Invitation.expires_at > now())
        .order_by(Invitation.id.desc()).limit(1).with_for_update())


def sign_in_with(session: Session, publisher: Publisher | None, identity: Identity, *,
                 allowed_domains: frozenset[str] = frozenset(), trust_unstated_email: bool = False) -> User:
    """The user this identity signs in as (linked now if it was not yet), or :class:`SsoRefused`. The caller starts
    the session (``compris.web.deps.sign_in``). ``trust_unstated_email``: an e-mail the provider does not say is
    verified or not counts as verified (``COMPRIS_OIDC_TRUST_EMAIL``); one it says is not verified never does."""
    publisher = publisher or Publisher.outside_server(session)
    if identity.email and not _domain_allowed(identity.email, allowed_domains):
        raise SsoRefused("domain", identity.email.rpartition("@")[2])
    user = linked_user(session, identity.issuer, identity.subject)
    if user is not None:
        if not _domain_allowed(user.email, allowed_domains):
            raise SsoRefused("domain", user.email.rpartition("@")[2])
        if not user.is_active:
            raise SsoRefused("inactive", f"user {user.id}")
        user.last_login_at = now()
        return user
    if not identity.email:
        raise SsoRefused("unknown", "the provider gave no e-mail address")
    domain = identity.email.rpartition("@")[2]
    verified = identity.email_verified is True or (identity.email_verified is None and trust_unstated_email)
    if not verified:
        raise SsoRefused("unverified", f"an address at {domain} the provider has not verified")
    user = session.scalar(select(User).where(User.email == identity.email).with_for_update())
    if user is not None:
        if not user.is_active:
            raise SsoRefused("inactive", f"user {user.id}")
        if user.oidc_subject is not None:
            raise SsoRefused("linked_elsewhere", f"user {user.id} is linked to another single sign-on identity")
        _link(session, publisher, user, identity, how="email")
        return user
    invitation = pending_invitation(session, identity.email)
    if invitation is None:
        raise SsoRefused("unknown", f"no user nor pending invitation for that address at {domain}")
    return _accept(session, publisher, invitation, identity)


def _link(session: Session, publisher: Publisher, user: User, identity: Identity, *, how: str) -> None:
    user.oidc_issuer = identity.issuer
    user.oidc_subject = identity.subject
    user.last_login_at = now()
    session.flush()
    bus.emit(session, publisher, SsoLinked(workspace_id=user.workspace_id, actor_user_id=user.id, user_id=user.id,
                                           issuer=identity.issuer, subject=identity.subject, how=how))


def _accept(session: Session, publisher: Publisher, invitation: Invitation, identity: Identity) -> User:
    """Accept ``invitation`` through single sign-on (as the invitation link would; the password is a random one
    nobody knows: the person signs in through the provider, or resets it by e-mail)."""
    user = invitations.accept_invitation(session, publisher, invitation, password=secrets.token_urlsafe(32),
                                         name=invitation.name or identity.name or identity.email)
    _link(session, publisher, user, identity, how="invitation")
    return user


def unlink(session: Session, publisher: Publisher | None, *, actor: User, user_id: int) -> User:
    """An admin forgets a user's single sign-on identity (the person changed provider account, or the wrong one was
    linked): their next single sign-on links again by verified e-mail. Another workspace's user is not found."""
    user = get_user(session, actor.workspace_id, user_id)
    if user.oidc_issuer is None and user.oidc_subject is None:
        return user
    user.oidc_issuer = None
    user.oidc_subject = None
    session.flush()
    audit.record(session, publisher, workspace_id=user.workspace_id, actor_user_id=actor.id, entity="user",
                 action="sso_unlinked", entity_id=user.id, changes=["oidc_issuer", "oidc_subject"])
    return user
