"""Every write of accounts: workspaces, users, logins (and their rate limiting), personal API tokens.

Administrative writes record their audit row (``compris.timeline``) and emit :class:`compris.events.SettingsChanged`.
Reads are in :mod:`compris.accounts.queries`. ``publisher`` may be left out where no web process is around (the
CLI, the demo, the test worlds): events are then dispatched to the listeners with nobody to tell live.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from compris import audit, timeline
from compris.kit import passwords
from compris.kit.clock import now
from compris.kit.errors import Conflict, Invalid, NotFound
from compris.live import Publisher
from compris.models import ApiToken, LoginAttempt, Role, User, Workspace

TOKEN_PREFIX = "cpr_"  # noqa: S105 (a public prefix, not a secret)
LOGIN_WINDOW = timedelta(minutes=15)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def create_workspace(
    session: Session, *, slug: str, name: str, timezone: str = "UTC", default_language: str = "en",
    publisher: Publisher | None = None,
) -> Workspace:
    """A new workspace (the CLI, the demo, the test worlds)."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,62}", slug):
        raise Invalid("a workspace slug is 2-63 lower-case letters, digits or dashes")
    if session.scalar(select(Workspace.id).where(Workspace.slug == slug)) is not None:
        raise Conflict(f"workspace {slug!r} exists")
    workspace = Workspace(slug=slug, name=name, timezone=timezone, default_language=default_language)
    session.add(workspace)
    session.flush()
    audit.record(session, publisher, workspace_id=workspace.id, actor_user_id=None, entity="workspace",
                 action="created", entity_id=workspace.id, changes=["slug", "name", "timezone", "default_language"])
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
    actor_user_id: int | None = None,
    publisher: Publisher | None = None,
) -> User:
    """A user of ``workspace``; the e-mail is unique across workspaces."""
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
    timeline.user_created(session, workspace_id=workspace.id, user_id=user.id, role=role, actor_user_id=actor_user_id)
    audit.announce(session, publisher, workspace_id=workspace.id, actor_user_id=actor_user_id, entity="user",
                   action="created", entity_id=user.id, changes=("email", "language", "name", "role"))
    return user


def get_user(session: Session, workspace_id: int, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.workspace_id != workspace_id:
        raise NotFound("no such user")
    return user


def update_user(session: Session, *, actor: User, user_id: int, role: str | None = None, active: bool | None = None,
                publisher: Publisher | None = None) -> User:
    """Change a user's role or deactivate / reactivate them (``None``: unchanged). A deactivated user can no longer
    sign in, their tokens stop working and routing gives them no new case. The workspace always keeps an active
    admin: demoting or deactivating the last one is a ``Conflict``."""
    user = get_user(session, actor.workspace_id, user_id)
    if role is not None and role not in {r.value for r in Role}:
        raise Invalid(f"unknown role {role!r}")
    new_role = user.role if role is None else role
    new_active = user.is_active if active is None else active
    if user.role == Role.ADMIN and user.is_active and not (new_role == Role.ADMIN and new_active):
        # the active admins' rows are locked, so that two admins demoting each other cannot both succeed
        admins = session.scalars(select(User.id).where(User.workspace_id == user.workspace_id, User.is_active,
                                                       User.role == Role.ADMIN).with_for_update()).all()
        if not [i for i in admins if i != user.id]:
            raise Conflict("the workspace needs an active admin: make another user admin first")
    changes = []
    if new_role != user.role:
        user.role = new_role
        changes.append("role")
    if new_active != user.is_active:
        user.is_active = new_active
        changes.append("is_active")
    if changes:
        session.flush()
        audit.record(session, publisher, workspace_id=user.workspace_id, actor_user_id=actor.id, entity="user",
                     action="updated", entity_id=user.id, changes=changes)
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


def create_token(session: Session, user: User, name: str, *,
                 publisher: Publisher | None = None) -> tuple[ApiToken, str]:
    """A personal API token of ``user``: the row and the token itself, which is shown once and never stored."""
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
    timeline.api_token_created(session, workspace_id=user.workspace_id, actor_user_id=user.id, token_id=token.id,
                               name=token.name)
    audit.announce(session, publisher, workspace_id=user.workspace_id, actor_user_id=user.id, entity="api_token",
                   action="created", entity_id=token.id, changes=("name",))
    return token, raw


def user_for_token(session: Session, raw: str) -> User | None:
    """The active user a token belongs to (``None``: unknown, revoked, or its user deactivated). Notes when the
    token was last used (at most once a minute)."""
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


def revoke_token(session: Session, user: User, token_id: int, *, publisher: Publisher | None = None) -> None:
    """Revoke one of ``user``'s own tokens (another user's is "not found")."""
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None:
        raise NotFound("no such token")
    if token.revoked_at is not None:
        return
    token.revoked_at = now()
    audit.record(session, publisher, workspace_id=user.workspace_id, actor_user_id=user.id, entity="api_token",
                 action="revoked", entity_id=token.id, changes=["revoked_at"])


# --- rate limits of pages without a login (the partner portal, the survey page) ------------------------------


@dataclass(frozen=True)
class RateLimited(Exception):
    retry_after: int  # seconds


def count_request(session: Session, key: str, *, limit: int, window: timedelta, workspace_id: int | None = None,
                  at: datetime | None = None) -> None:
    """Count one request under ``key`` (a row of ``login_attempts``, the login limiter's table, shared by every
    process and purged daily by ``maintenance.purge``), or raise :class:`RateLimited` when ``limit`` were made
    within ``window``."""
    at = at or now()
    since = at - window
    made, oldest = session.execute(
        select(func.count(), func.min(LoginAttempt.created_at))
        .where(LoginAttempt.key == key[:300], LoginAttempt.created_at >= since)).one()
    if (made or 0) >= limit:
        retry = int(((oldest or at) + window - at).total_seconds()) + 1
        raise RateLimited(max(1, retry))
    session.add(LoginAttempt(key=key[:300], workspace_id=workspace_id, created_at=at))
    session.flush()
