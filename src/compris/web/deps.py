"""Request-scoped dependencies: the runtime, a transaction per request, the signed-in user, CSRF, and the one
permission check of the web layer (:func:`require`, reading :mod:`compris.accounts.permissions`): every page route
names its permission with one of the aliases below (``ReadCasesPage``, ``ManageDeskPage``...), every API route
with one of ``web/api/common.py`` (``ReadCasesApi``...)."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from compris import bus
from compris.accounts import actions as accounts
from compris.accounts.permissions import Permission, allows
from compris.config import Settings, parse_networks
from compris.events import LoginFailed, UserSignedIn, UserSignedOut
from compris.kit import origin
from compris.kit.errors import Forbidden
from compris.models import User
from compris.runtime import Runtime

CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed at the edge (after the handler returns)."""
    with get_runtime(request).db.transaction() as session:
        yield session


class NotSignedIn(Exception):
    """A page needs a signed-in user: the app redirects to the login page."""


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get("csrf")
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not expected or not given or not hmac.compare_digest(str(expected), given):
        raise HTTPException(403, "CSRF check failed: reload the page and try again")


# --- the client's address ------------------------------------------------------------------------------------

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(setting: str) -> tuple[IpNetwork, ...]:
    return parse_networks(setting)


def _trusted(address: str, networks: tuple[IpNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip.version == n.version and ip in n for n in networks)


def client_ip(request: Request) -> str:
    """The client's IP address, the one every rate limit, session and audit row uses: the peer's address, unless
    the peer is one of ``COMPRIS_TRUSTED_PROXIES`` — then the rightmost ``X-Forwarded-For`` hop that is not a
    trusted proxy (hops to its left may be forged by the client and are never read)."""
    peer = request.client.host if request.client else "unknown"
    networks = _networks(get_runtime(request).settings.trusted_proxies)
    if not networks or not _trusted(peer, networks):
        return peer[:64]
    hops = [h.strip() for v in request.headers.getlist("x-forwarded-for") for h in v.split(",") if h.strip()]
    address = peer
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # not an address (a proxy would not write that): keep the last trusted hop
        address = hop
        if not _trusted(hop, networks):
            break
    return address[:64]


# --- sessions (kept on the server: accounts.start_session) ----------------------------------------------------


def _settings(request: Request) -> Settings:
    return get_runtime(request).settings


def session_user(request: Request, session: Session) -> User | None:
    """The signed-in user of this browser session (``None``: none, or it ended — logout, password change,
    deactivation, idle or absolute timeout)."""
    raw = request.session.get("sid")
    if not isinstance(raw, str):
        return None
    return accounts.user_for_session(session, raw, idle=timedelta(seconds=_settings(request).session_idle_timeout))


def sign_in(request: Request, session: Session, user: User, method: str = "password") -> None:
    """A new server-side session for ``user``: a new id (whatever the browser had before ends) and a new CSRF
    token; the audit log notes it (``method``: password, sso...)."""
    previous = request.session.get("sid")
    raw = accounts.start_session(
        session, user, lifetime=timedelta(seconds=_settings(request).session_absolute_timeout),
        ip=client_ip(request), user_agent=request.headers.get("user-agent", ""),
        replacing=previous if isinstance(previous, str) else None)
    mark_origin(request, session, "session", f"session:{accounts.session_ref(raw)}")
    bus.emit(session, get_runtime(request).publisher,
             UserSignedIn(workspace_id=user.workspace_id, actor_user_id=user.id, method=method))
    request.session.clear()
    request.session["sid"] = raw
    request.session["csrf"] = secrets.token_urlsafe(32)


def sign_out(request: Request, session: Session) -> None:
    """Logout: every session of the user ends, and this browser's cookie is emptied."""
    raw = request.session.get("sid")
    if isinstance(raw, str):
        user = session_user(request, session)
        if user is not None:
            mark_origin(request, session, "session", f"session:{accounts.session_ref(raw)}")
            bus.emit(session, get_runtime(request).publisher,
                     UserSignedOut(workspace_id=user.workspace_id, actor_user_id=user.id))
        accounts.logout(session, raw)
    request.session.clear()


def note_login_failed(request: Request, session: Session, email: str) -> None:
    """The audit log notes a failed login to a known account (an unknown address belongs to no workspace)."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        return
    mark_origin(request, session, "session", None)
    bus.emit(session, get_runtime(request).publisher, LoginFailed(
        workspace_id=user.workspace_id, user_id=user.id, reason="password" if user.is_active else "inactive"))


@dataclass
class PageContext:
    user: User
    session: Session
    runtime: Runtime


@dataclass(frozen=True)
class SignedIn:
    """What an error page shows of the signed-in user (read before the request's transaction ends)."""

    id: int
    name: str
    email: str
    role: str
    language: str
    instance_admin: bool = False


def note_signed_in(request: Request, user: User) -> None:
    """Keep what an error page needs of the user, for after the request's transaction."""
    request.state.signed_in = SignedIn(user.id, user.name, user.email, user.role, user.language,
                                       bool(user.instance_admin))


def signed_in(request: Request) -> SignedIn | None:
    """The user of this request, for an error page rendered after the transaction ended (``None``: anonymous)."""
    found = getattr(request.state, "signed_in", None)
    return found if isinstance(found, SignedIn) else None


async def page_user(
    request: Request, session: Session = Depends(get_session, scope="function"), _csrf: None = Depends(check_csrf)
) -> PageContext:
    user = session_user(request, session)
    if user is None:
        raise NotSignedIn()
    note_signed_in(request, user)
    raw = request.session.get("sid")
    mark_origin(request, session, "session", f"session:{accounts.session_ref(raw)}" if isinstance(raw, str) else None)
    return PageContext(user, session, get_runtime(request))


def api_user(request: Request, session: Session = Depends(get_session, scope="function")) -> PageContext:
    """API calls authenticate with ``Authorization: Bearer <personal token>``."""
    header = request.headers.get("authorization", "")
    scheme, _, raw = header.partition(" ")
    found = accounts.token_and_user(session, raw.strip()) if scheme.lower() == "bearer" else None
    user = found[1] if found else None
    if found is None or user is None:
        raise HTTPException(401, "a valid personal API token is required", headers={"WWW-Authenticate": "Bearer"})
    request.state.token_scopes = found[0].scopes
    mark_origin(request, session, "token", f"token:{found[0].id}")
    return PageContext(user, session, get_runtime(request))


def request_id(request: Request) -> str:
    """The request's id: the caller's ``X-Request-ID`` when it is a sane token, else a new one (kept for the
    request)."""
    found = getattr(request.state, "request_id", None)
    if isinstance(found, str):
        return found
    given = request.headers.get("x-request-id", "")
    rid = given if 8 <= len(given) <= 64 and given.replace("-", "").replace("_", "").isalnum() else uuid.uuid4().hex
    request.state.request_id = rid
    return rid


def mark_origin(request: Request, session: Session, via: str, ref: str | None) -> None:
    """The audit log's "from where" of every action in this request's transaction (:mod:`compris.kit.origin`)."""
    origin.mark(session, origin.Origin(via=via, ip=client_ip(request), ref=ref, request_id=request_id(request)))


def require(ctx: PageContext, permission: Permission) -> PageContext:
    """The web layer's one permission check (:mod:`compris.accounts.permissions`): ``Forbidden`` (403) unless the
    user holds ``permission``."""
    if not allows(ctx.user, permission):
        raise Forbidden("your role does not allow this")
    return ctx


def page_permission(permission: Permission) -> Callable[..., PageContext]:
    """A page dependency: the signed-in user (CSRF checked), who must hold ``permission``. The dependency carries
    ``.permission`` (the route-by-route permission test reads it)."""

    def dependency(ctx: PageContext = Depends(page_user)) -> PageContext:
        return require(ctx, permission)

    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


def declared(permission: Permission) -> Callable[[], None]:
    """A route-level marker (``dependencies=[Depends(declared(...))]``) for the few routes that cannot take their
    user as a dependency (they open their own transactions around a network call) and call :func:`require`
    themselves: it checks nothing, it names the route's permission for the route-by-route test."""

    def dependency() -> None:
        return None

    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


# One alias per permission, for a page route's ``ctx`` parameter (the API's are in ``web/api/common.py``).
OwnAccountPage = Annotated[PageContext, Depends(page_permission(Permission.OWN_ACCOUNT))]
ReadCasesPage = Annotated[PageContext, Depends(page_permission(Permission.READ_CASES))]
WorkCasesPage = Annotated[PageContext, Depends(page_permission(Permission.WORK_CASES))]
ReportsPage = Annotated[PageContext, Depends(page_permission(Permission.VIEW_REPORTS))]
SupervisePage = Annotated[PageContext, Depends(page_permission(Permission.SUPERVISE))]
ManageDeskPage = Annotated[PageContext, Depends(page_permission(Permission.MANAGE_DESK))]
ChannelsPage = Annotated[PageContext, Depends(page_permission(Permission.MANAGE_CHANNELS))]
PeoplePage = Annotated[PageContext, Depends(page_permission(Permission.MANAGE_PEOPLE))]
SettingsPage = Annotated[PageContext, Depends(page_permission(Permission.MANAGE_SETTINGS))]
AuditPage = Annotated[PageContext, Depends(page_permission(Permission.VIEW_AUDIT))]
PrivacyPage = Annotated[PageContext, Depends(page_permission(Permission.MANAGE_PRIVACY))]
InstancePage = Annotated[PageContext, Depends(page_permission(Permission.MANAGE_INSTANCE))]
