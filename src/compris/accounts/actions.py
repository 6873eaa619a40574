"""Every write of accounts: workspaces, users, logins (and their rate limiting), sessions, personal API tokens.

Administrative writes record their audit row (``compris.timeline``) and emit :class:`compris.events.SettingsChanged`.
Reads are in :mod:`compris.accounts.queries`. ``publisher`` may be left out where no web process is around (the
CLI, the demo, the test worlds): events are then dispatched to the listeners with nobody to tell live.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from compris import audit, bus, timeline
from compris.accounts.permissions import SCOPES, normalise_scopes, scopes_cover
from compris.events import SessionsEnded
from compris.kit import passwords
from compris.kit.clock import now
from compris.kit.errors import Conflict, Invalid, NotFound
from compris.live import Publisher
from compris.models import ApiToken, LoginAttempt, Role, User, UserSession, Workspace

TOKEN_PREFIX = "cpr_"  # noqa: S105 (a public prefix, not a secret)
LOGIN_WINDOW = timedelta(minutes=15)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def create_workspace(
    session: Session, *, slug: str, name: str, timezone: str = "UTC", default_language: str = "en",
    publisher: Publisher | None = None, actor_user_id: int | None = None,
) -> Workspace:
    """A new workspace (the CLI, the demo, the test worlds)."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,62}", slug):
        raise Invalid("a workspace slug is 2-63 lower-case letters, digits or dashes")
    if session.scalar(select(Workspace.id).where(Workspace.slug == slug)) is not None:
        raise Conflict(f"workspace {slug!r} exists")
    workspace = Workspace(slug=slug, name=name, timezone=timezone, default_language=default_language)
    session.add(workspace)
    session.flush()
    audit.record(session, publisher, workspace_id=workspace.id, actor_user_id=actor_user_id, entity="workspace",
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
        if not new_active:
            revoke_sessions(session, user.id)  # signed out everywhere at once
            revoke_tokens(session, user.id)  # and their tokens revoked (reactivating them does not bring those back)
    if changes:
        session.flush()
        audit.record(session, publisher, workspace_id=user.workspace_id, actor_user_id=actor.id, entity="user",
                     action="updated", entity_id=user.id, changes=changes)
    return user


def set_password(session: Session, *, user: User, password: str, actor_user_id: int | None = None,
                 publisher: Publisher | None = None) -> None:
    """A new password for ``user``: every session of theirs ends at once (they sign in again with it)."""
    if len(password) < 10:
        raise Invalid("a password has at least 10 characters")
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = now()  # voids the password reset links made before (accounts.recovery)
    revoke_sessions(session, user.id)
    session.flush()
    audit.record(session, publisher, workspace_id=user.workspace_id, actor_user_id=actor_user_id, entity="user",
                 action="updated", entity_id=user.id, changes=["password"])


LANGUAGES = ("en", "fr")
SIGNATURE_MAX = 500


def update_profile(session: Session, *, user: User, name: str | None = None, signature: str | None = None,
                   language: str | None = None, publisher: Publisher | None = None) -> User:
    """A user's own profile: their name, the signature of their replies (``{agent_signature}``, a few lines) and
    their interface language (``None``: unchanged)."""
    changes = []
    if name is not None:
        name = " ".join(name.split())
        if not name:
            raise Invalid("the name cannot be empty")
        if len(name) > 200:
            raise Invalid("the name has at most 200 characters")
        if name != user.name:
            user.name = name
            changes.append("name")
    if signature is not None:
        signature = "\n".join(line.rstrip() for line in signature.replace("\r\n", "\n").split("\n")).strip()
        if len(signature) > SIGNATURE_MAX:
            raise Invalid(f"the signature has at most {SIGNATURE_MAX} characters")
        if signature != user.signature:
            user.signature = signature
            changes.append("signature")
    if language is not None:
        if language not in LANGUAGES:
            raise Invalid("the language is en or fr")
        if language != user.language:
            user.language = language
            changes.append("language")
    if changes:
        session.flush()
        audit.record(session, publisher, workspace_id=user.workspace_id, actor_user_id=user.id, entity="user",
                     action="updated", entity_id=user.id, changes=changes)
    return user


class WrongPassword(Invalid):
    """The current password given to change one's own password is not right."""


def change_own_password(session: Session, *, user: User, current: str, new: str,
                        publisher: Publisher | None = None) -> None:
    """A user changes their own password: the current one is required; every session of theirs ends (the web
    layer signs this browser in again)."""
    if not passwords.verify_password(user.password_hash, current):
        raise WrongPassword("the current password is not right")
    set_password(session, user=user, password=new, actor_user_id=user.id, publisher=publisher)


def revoke_tokens(session: Session, user_id: int) -> int:
    """Revoke every API token of a user at once (deactivation): how many were usable."""
    result = session.execute(update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                             .values(revoked_at=now()))
    return int(getattr(result, "rowcount", 0) or 0)


# --- logins and their rate limits -----------------------------------------------------------------------------


class LoginRateLimited(Exception):
    pass


def _lock_keys(session: Session, keys: list[str]) -> None:
    """Serialise the count-and-decide of rate-limit ``keys`` until the transaction ends. PostgreSQL: a transaction
    advisory lock per key (taken in a fixed order: no deadlock); SQLite: every transaction is ``BEGIN IMMEDIATE``
    (one writer at a time), which already serialises them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    ids = sorted({int.from_bytes(hashlib.sha256(f"rate:{k}".encode()).digest()[:8], "big", signed=True)
                  for k in keys})
    for lock_id in ids:
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})


def _failures(session: Session, key: str, since: datetime) -> int:
    return session.scalar(select(func.count()).select_from(LoginAttempt)
                          .where(LoginAttempt.key == key, LoginAttempt.created_at >= since)) or 0


@dataclass(frozen=True)
class LoginTicket:
    """A login attempt let through the rate limits, already counted as a failure until it succeeds."""

    email: str
    attempt_ids: tuple[int, ...]


def reserve_login(session: Session, email: str, *, ip: str, max_failures: int) -> LoginTicket:
    """Let one login attempt through the limits (per e-mail and per IP), or raise :class:`LoginRateLimited`. The
    attempt is counted as a failure here, under a lock on its keys, so that concurrent attempts can never all see
    room left: at most ``max_failures`` passwords are checked per key and window. Commit, check the password with
    :func:`finish_login` in a second transaction (the lock is not held during the slow hash)."""
    email = email.strip().lower()
    keys = [f"email:{email}"[:300], f"ip:{ip}"[:300]]
    _lock_keys(session, keys)
    since = now() - LOGIN_WINDOW
    if any(_failures(session, key, since) >= max_failures for key in keys):
        raise LoginRateLimited()
    workspace_id = session.scalar(select(User.workspace_id).where(User.email == email))
    attempts = [LoginAttempt(key=key, workspace_id=workspace_id, created_at=now()) for key in keys]
    session.add_all(attempts)
    session.flush()
    return LoginTicket(email, tuple(a.id for a in attempts))


def finish_login(session: Session, ticket: LoginTicket, password: str) -> User | None:
    """Check the password of an attempt :func:`reserve_login` let through: the user (the attempt is no longer a
    failure, and the e-mail's earlier failures are forgotten), or ``None`` (the attempt stays a failure)."""
    user = session.scalar(select(User).where(User.email == ticket.email))
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)  # the same password: sessions go on
    session.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(ticket.attempt_ids)))
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == f"email:{ticket.email}"[:300]))
    user.last_login_at = now()
    return user


def authenticate(session: Session, email: str, password: str, *, ip: str, max_failures: int) -> User | None:
    """Check a login in one transaction (:func:`reserve_login` then :func:`finish_login`); record failures; refuse
    when too many failed recently (per e-mail and per IP)."""
    return finish_login(session, reserve_login(session, email, ip=ip, max_failures=max_failures), password)


# --- sessions ------------------------------------------------------------------------------------------------

SESSION_TOUCH = timedelta(minutes=1)


def start_session(session: Session, user: User, *, lifetime: timedelta, ip: str = "", user_agent: str = "",
                  replacing: str | None = None) -> str:
    """A new session of ``user`` (a login): its random id, for the signed cookie; only its SHA-256 is stored. The
    session the browser had before (``replacing``, a pre-login or another user's) ends: ids rotate at login."""
    if replacing:
        end_session(session, replacing)
    raw = secrets.token_urlsafe(32)
    t = now()
    session.add(UserSession(workspace_id=user.workspace_id, user_id=user.id, id_hash=_digest(raw), created_at=t,
                            last_seen_at=t, expires_at=t + lifetime, ip=ip[:64], user_agent=user_agent[:300]))
    session.flush()
    return raw


def user_for_session(session: Session, raw: str, *, idle: timedelta) -> User | None:
    """The active user of a session id (``None``: unknown, revoked, expired, idle longer than ``idle``, or its user
    deactivated). Notes when it was last seen, at most once a minute."""
    if not raw or len(raw) > 100:
        return None
    row = session.scalar(select(UserSession).where(UserSession.id_hash == _digest(raw)))
    t = now()
    if row is None or row.revoked_at is not None or row.expires_at <= t or row.last_seen_at + idle <= t:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active or user.workspace_id != row.workspace_id:
        return None
    if t - row.last_seen_at >= SESSION_TOUCH:
        row.last_seen_at = t
    return user


def end_session(session: Session, raw: str) -> None:
    """End one session (its id rotated away)."""
    session.execute(update(UserSession).where(UserSession.id_hash == _digest(raw), UserSession.revoked_at.is_(None))
                    .values(revoked_at=now()))


def revoke_sessions(session: Session, user_id: int) -> int:
    """End every session of a user at once (logout, password change, deactivation): how many were open."""
    result = session.execute(update(UserSession)
                             .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
                             .values(revoked_at=now()))
    return int(getattr(result, "rowcount", 0) or 0)


def logout(session: Session, raw: str) -> None:
    """Sign out: the session's user is signed out everywhere (every session of theirs ends)."""
    row = session.scalar(select(UserSession).where(UserSession.id_hash == _digest(raw)))
    if row is not None:
        revoke_sessions(session, row.user_id)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_ref(raw: str) -> str:
    """A session's reference in the audit log: the first 12 hex digits of its stored id hash (not the id)."""
    return _digest(raw)[:12]


def allowed_scopes(user: User) -> tuple[str, ...]:
    """The scopes ``user`` may give a token: ``admin`` only for admins (and instance admins, whose instance routes
    need it); ``read`` and ``write`` for everyone."""
    if user.role == Role.ADMIN or user.instance_admin:
        return SCOPES
    return ("read", "write")


#: the longest a token may live when it expires at all (about ten years)
MAX_TOKEN_DAYS = 3650


def token_expiry(*, expires_at: datetime | None = None, expires_in_days: int | None = None) -> datetime | None:
    """When a token made now expires (``None``: never): a date in the future, or a number of days from now."""
    if expires_at is not None and expires_in_days is not None:
        raise Invalid("give an expiry date or a number of days, not both")
    t = now()
    if expires_in_days is not None:
        if not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
            raise Invalid(f"a token expires in 1 to {MAX_TOKEN_DAYS} days")
        return t + timedelta(days=expires_in_days)
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise Invalid("an expiry date needs a time zone offset")
        if expires_at <= t:
            raise Invalid("the expiry date is in the past")
        if expires_at > t + timedelta(days=MAX_TOKEN_DAYS):
            raise Invalid(f"a token expires within {MAX_TOKEN_DAYS} days")
        return expires_at
    return None


def create_token(session: Session, user: User, name: str, *, scopes: str | Sequence[str] | None = None,
                 expires_at: datetime | None = None, expires_in_days: int | None = None,
                 within_scopes: str | None = None, within_expires_at: datetime | None = None,
                 publisher: Publisher | None = None) -> tuple[ApiToken, str]:
    """A personal API token of ``user``: the row and the token itself, which is shown once and never stored (only
    its SHA-256). ``scopes`` (``"read"``, ``"read write"``, ``["admin"]``...; each implies those below it) left
    out: the broadest ``user`` may hold (:func:`allowed_scopes`), as tokens had before scopes existed. A scope
    beyond the user's role is ``Invalid``; so is one beyond ``within_scopes`` (the scopes of the token a token is
    made with: a token never makes a stronger one). Expiry: :func:`token_expiry`."""
    allowed = allowed_scopes(user)
    if scopes is None:
        scopes = list(allowed)
    try:
        wanted = normalise_scopes(scopes if isinstance(scopes, str) else list(scopes))
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    beyond = [s for s in wanted.split() if s not in allowed]
    if beyond:
        raise Invalid(f"your role does not allow the {beyond[0]!r} scope")
    if within_scopes is not None and not scopes_cover(within_scopes, wanted.split()[-1]):
        raise Invalid(f"a token cannot make a token with more scopes than its own ({within_scopes})")
    expires = token_expiry(expires_at=expires_at, expires_in_days=expires_in_days)
    if within_expires_at is not None and (expires is None or expires > within_expires_at):
        raise Invalid("a token cannot make a token that outlives it: give an expiry no later than its own")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        workspace_id=user.workspace_id,
        user_id=user.id,
        name=name.strip()[:100] or "token",
        prefix=raw[:10],
        token_hash=_digest(raw),
        scopes=wanted,
        expires_at=expires,
    )
    session.add(token)
    session.flush()
    timeline.api_token_created(session, workspace_id=user.workspace_id, actor_user_id=user.id, token_id=token.id,
                               name=token.name, scopes=wanted,
                               expires_at=expires.isoformat() if expires else None)
    audit.announce(session, publisher, workspace_id=user.workspace_id, actor_user_id=user.id, entity="api_token",
                   action="created", entity_id=token.id, changes=("name", "scopes", "expires_at"))
    return token, raw


def user_for_token(session: Session, raw: str) -> User | None:
    """The active user a token belongs to (``None``: unknown, revoked, expired, or its user deactivated). Notes
    when the token was last used (at most once a minute)."""
    found = token_and_user(session, raw)
    return found[1] if found else None


def token_and_user(session: Session, raw: str) -> tuple[ApiToken, User] | None:
    """The token and its active user (``None``: unknown, revoked, expired, or its user deactivated). Notes when
    the token was last used (at most once a minute)."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(raw), ApiToken.revoked_at.is_(None)))
    t = now()
    if token is None or (token.expires_at is not None and token.expires_at <= t):
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active or user.workspace_id != token.workspace_id:
        return None
    if token.last_used_at is None or t - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = t
    return token, user


def revoke_token(session: Session, user: User, token_id: int, *, publisher: Publisher | None = None) -> None:
    """Revoke one of ``user``'s own tokens (another user's is "not found")."""
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id,
                                                  ApiToken.workspace_id == user.workspace_id))
    if token is None:
        raise NotFound("no such token")
    _revoke(session, user, token, publisher)


def revoke_workspace_token(session: Session, actor: User, token_id: int, *,
                           publisher: Publisher | None = None) -> ApiToken:
    """Revoke any token of ``actor``'s workspace (an admin's "API tokens of the workspace"; the caller checked the
    permission). Another workspace's token is "not found"."""
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id,
                                                  ApiToken.workspace_id == actor.workspace_id))
    if token is None:
        raise NotFound("no such token")
    _revoke(session, actor, token, publisher)
    return token


def _revoke(session: Session, actor: User, token: ApiToken, publisher: Publisher | None) -> None:
    if token.revoked_at is not None:
        return
    token.revoked_at = now()
    audit.record(session, publisher, workspace_id=token.workspace_id, actor_user_id=actor.id, entity="api_token",
                 action="revoked", entity_id=token.id, changes=["revoked_at"])


# --- the user's own sessions ("Your sessions") -------------------------------------------------------------


def sign_out_session(session: Session, user: User, session_id: int, *, publisher: Publisher | None = None) -> None:
    """End one of ``user``'s own open sessions (a lost phone, a shared computer); another user's is "not found",
    one already ended is left as it is."""
    row = session.scalar(select(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id,
                                                   UserSession.workspace_id == user.workspace_id))
    if row is None:
        raise NotFound("no such session")
    if row.revoked_at is not None:
        return
    row.revoked_at = now()
    bus.emit(session, publisher or Publisher.outside_server(session), SessionsEnded(
        workspace_id=user.workspace_id, actor_user_id=user.id, user_id=user.id, count=1, session_id=row.id))


def sign_out_other_sessions(session: Session, user: User, keep: str, *, publisher: Publisher | None = None) -> int:
    """End every open session of ``user`` but this browser's (``keep``, its raw id): how many ended."""
    result = session.execute(update(UserSession)
                             .where(UserSession.user_id == user.id, UserSession.workspace_id == user.workspace_id,
                                    UserSession.revoked_at.is_(None), UserSession.id_hash != _digest(keep))
                             .values(revoked_at=now()))
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        bus.emit(session, publisher or Publisher.outside_server(session), SessionsEnded(
            workspace_id=user.workspace_id, actor_user_id=user.id, user_id=user.id, count=count))
    return count


# --- rate limits of pages without a login (the partner portal, the survey page) ------------------------------


class RateLimited(Exception):
    """Too many requests under a key: ``retry_after`` seconds until one is let through again. (Not a frozen
    dataclass: an exception's traceback is set as it leaves a ``with`` block.)"""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after  # seconds


def count_request(session: Session, key: str, *, limit: int, window: timedelta, workspace_id: int | None = None,
                  at: datetime | None = None) -> None:
    """Count one request under ``key`` (a row of ``login_attempts``, the login limiter's table, shared by every
    process and purged daily by ``maintenance.purge``), or raise :class:`RateLimited` when ``limit`` were made
    within ``window``. Atomic: concurrent requests under one key are counted one after the other."""
    at = at or now()
    since = at - window
    _lock_keys(session, [key[:300]])  # the count and the decision are one step under concurrency
    made, oldest = session.execute(
        select(func.count(), func.min(LoginAttempt.created_at))
        .where(LoginAttempt.key == key[:300], LoginAttempt.created_at >= since)).one()
    if (made or 0) >= limit:
        retry = int(((oldest or at) + window - at).total_seconds()) + 1
        raise RateLimited(max(1, retry))
    session.add(LoginAttempt(key=key[:300], workspace_id=workspace_id, created_at=at))
    session.flush()
