"""Workspaces, users, passwords, API tokens, login rate limiting."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from compris.kit import passwords
from compris.kit.clock import now
from compris.kit.errors import Conflict, Invalid, NotFound
from compris.models import ApiToken, CaseEvent, LoginAttempt, Role, User, Workspace

TOKEN_PREFIX = "cpr_"  # noqa: S105 (a public prefix, not a secret)
LOGIN_WINDOW = timedelta(minutes=15)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def create_workspace(
    session: Session, *, slug: str, name: str, timezone: str = "UTC", default_language: str = "en"
) -> Workspace:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,62}", slug):
        raise Invalid("a workspace slug is 2-63 lower-case letters, digits or dashes")
    if session.scalar(select(Workspace.id).where(Workspace.slug == slug)) is not None:
        raise Conflict(f"workspace {slug!r} exists")
    workspace = Workspace(slug=slug, name=name, timezone=timezone, default_language=default_language)
    session.add(workspace)
    session.flush()
    return workspace


def create_user(
    session: Session,
    *,
    workspace: Workspace,
    email: str,
    name: str,
    password: str,
    role: str = Role.AGENT,
    language: str = "en",
) -> User:
    email = email.strip().lower()
    if not EMAIL_RE.match(email):
        raise Invalid("that is not an e-mail address")
    if len(password) < 10:
        raise Invalid("a password has at least 10 characters")
    if role not in {r.value for r in Role}:
        raise Invalid(f"unknown role {role!r}")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("a user with that e-mail exists")
    user = User(
        workspace_id=workspace.id,
        email=email,
        name=name.strip() or email,
        role=role,
        password_hash=passwords.hash_password(password),
        language=language if language in ("en", "fr") else "en",
    )
    session.add(user)
    session.flush()
    session.add(CaseEvent(workspace_id=workspace.id, kind="user_created", data={"user_id": user.id, "role": role}))
    return user


class LoginRateLimited(Exception):
    pass


def authenticate(session: Session, email: str, password: str, *, ip: str, max_failures: int) -> User | None:
    """Check a login; record failures; refuse when too many failed recently (per e-mail and per IP)."""
    email = email.strip().lower()
    since = now() - LOGIN_WINDOW
    keys = [f"email:{email}", f"ip:{ip}"]
    for key in keys:
        failures = session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.key == key, LoginAttempt.created_at >= since)
        )
        if (failures or 0) >= max_failures:
            raise LoginRateLimited()
    user = session.scalar(select(User).where(User.email == email))
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        workspace_id = user.workspace_id if user else None
        for key in keys:
            session.add(LoginAttempt(key=key[:300], workspace_id=workspace_id))
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == f"email:{email}"))
    user.last_login_at = now()
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """Returns the row and the token itself, which is shown once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        workspace_id=user.workspace_id,
        user_id=user.id,
        name=name.strip()[:100] or "token",
        prefix=raw[:10],
        token_hash=_digest(raw),
    )
    session.add(token)
    session.flush()
    session.add(
        CaseEvent(
            workspace_id=user.workspace_id,
            actor_user_id=user.id,
            kind="api_token_created",
            data={"token_id": token.id, "name": token.name},
        )
    )
    return token, raw


def user_for_token(session: Session, raw: str) -> User | None:
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(raw), ApiToken.revoked_at.is_(None)))
    if token is None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active or user.workspace_id != token.workspace_id:
        return None
    t = now()
    if token.last_used_at is None or t - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = t
    return user


def revoke_token(session: Session, user: User, token_id: int) -> None:
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None:
        raise NotFound("no such token")
    token.revoked_at = now()


def workspace_users(session: Session, workspace_id: int) -> list[User]:
    return list(
        session.scalars(select(User).where(User.workspace_id == workspace_id, User.is_active).order_by(User.name))
    )
