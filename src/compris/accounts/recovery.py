"""Password reset by e-mail ("Forgot your password?").

:func:`request_reset` answers the same whether the e-mail is a user's or not (no account enumeration); it is rate
limited per e-mail and per address (:func:`compris.accounts.actions.count_request`). For an active user whose
workspace has outgoing mail it queues an e-mail with a signed link (purpose ``reset``), valid one hour, naming the
user and a fingerprint of their current password: once the password changed (by this link or otherwise) the
fingerprint no longer matches and the link is void, so a link works once. Setting the new password ends every
session of the user (:func:`compris.accounts.actions.set_password`).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.accounts.actions import count_request, set_password
from compris.kit import signing
from compris.kit.clock import now
from compris.kit.errors import ComprisError
from compris.live import Publisher
from compris.mail.actions import queue_mail
from compris.models import MailSettings, User

PURPOSE = "reset"
LIFETIME = timedelta(hours=1)
MAIL_PURPOSE = "password_reset"
PER_EMAIL = 3  # reset mails asked per e-mail and window
PER_IP = 10  # asked per client address and window
WINDOW = timedelta(hours=1)


class ResetRefused(ComprisError):
    """A reset link that cannot be used: ``reason`` is ``invalid`` (malformed, tampered with, or its user gone or
    deactivated), ``expired``, or ``used`` (the password changed since the link was made)."""

    status_code = 410

    def __init__(self, reason: str) -> None:
        super().__init__(f"this password reset link cannot be used ({reason})")
        self.reason = reason
        if reason == "invalid":
            self.status_code = 400


def fingerprint(user: User) -> str:
    """What the link carries of the user's current password: it changes with the password."""
    changed = user.password_changed_at.isoformat() if user.password_changed_at else ""
    return hashlib.sha256(f"{user.id}:{user.password_hash}:{changed}".encode()).hexdigest()[:20]


def reset_link(user: User, *, base_url: str, secret_key: str, lifetime: timedelta = LIFETIME) -> str:
    token = signing.link_token(secret_key, PURPOSE, {"u": user.id, "f": fingerprint(user)}, now() + lifetime)
    return f"{base_url.rstrip('/')}/password/reset/{token}"


_TEXT = {
    "en": ("Reset your Compris password",
           "Hello {name},\n\nSomeone (you, we hope) asked to reset your Compris password.\n\n"
           "Choose a new one here (the link works once, for one hour):\n{link}\n\n"
           "If you did not ask for it, ignore this e-mail: your password stays as it is.\n"),
    "fr": ("Réinitialiser votre mot de passe Compris",
           "Bonjour {name},\n\nQuelqu'un (vous, espérons-le) a demandé à réinitialiser votre mot de passe "
           "Compris.\n\nChoisissez-en un nouveau ici (le lien sert une fois, pendant une heure) :\n{link}\n\n"
           "Si vous ne l'avez pas demandé, ignorez cet e-mail : votre mot de passe ne change pas.\n"),
}


def request_reset(session: Session, publisher: Publisher, *, email: str, ip: str, base_url: str,
                  secret_key: str) -> None:
    """Count the request (:class:`compris.accounts.actions.RateLimited` past the limits, whoever the e-mail is)
    and, for an active user whose workspace can send mail, queue the reset e-mail. Says nothing of whether the
    e-mail is a user's."""
    email = email.strip().lower()[:254]
    count_request(session, f"reset:ip:{ip}", limit=PER_IP, window=WINDOW)
    count_request(session, f"reset:email:{email}", limit=PER_EMAIL, window=WINDOW)
    user = session.scalar(select(User).where(User.email == email))
    if user is None or not user.is_active:
        return
    settings = session.scalar(select(MailSettings).where(MailSettings.workspace_id == user.workspace_id))
    if settings is None or not settings.host or not settings.from_address:
        return  # nobody can e-mail them: an admin sets a new password instead (docs/administration.md)
    subject, body = _TEXT["fr" if user.language == "fr" else "en"]
    link = reset_link(user, base_url=base_url, secret_key=secret_key)
    queue_mail(session, publisher, workspace_id=user.workspace_id, to=[user.email], subject=subject,
               text=body.format(name=user.name, link=link), purpose=MAIL_PURPOSE, ref={"user_id": user.id})


def user_for_reset(session: Session, token: str, secret_key: str) -> User:
    """The active user a reset link names, else :class:`ResetRefused`."""
    try:
        data = signing.read_link_token(secret_key, PURPOSE, token, now())
    except signing.LinkError as exc:
        raise ResetRefused("expired" if exc.expired else "invalid") from None
    user_id, print_ = data.get("u"), data.get("f")
    if not isinstance(user_id, int) or not isinstance(print_, str):
        raise ResetRefused("invalid")
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise ResetRefused("invalid")
    if not hmac.compare_digest(fingerprint(user).encode(), print_.encode()):
        raise ResetRefused("used")
    return user


def reset_password(session: Session, publisher: Publisher, *, token: str, password: str, secret_key: str) -> User:
    """Set the new password a reset link allows: every session of the user ends, the link is void."""
    user = user_for_reset(session, token, secret_key)
    set_password(session, user=user, password=password, actor_user_id=user.id, publisher=publisher)
    return user
