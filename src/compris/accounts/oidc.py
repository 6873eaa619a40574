"""Single sign-on's OpenID Connect client: the protocol side (no database; :mod:`compris.accounts.sso` matches the
person to a user).

The flow is the authorization code flow with PKCE (S256), a ``state`` and a ``nonce``. The protocol's pieces come
from Authlib: the authorization request (:func:`authlib.oauth2.rfc6749.parameters.prepare_grant_uri`), the PKCE
challenge (:func:`authlib.oauth2.rfc7636.create_s256_code_challenge`), the token request and the client's
authentication at the token endpoint (``client_secret_basic``, or ``client_secret_post`` when the provider supports
only that), and the ID token's validation (:class:`authlib.oidc.core.CodeIDToken` over a :mod:`joserfc` decode
against the provider's JWKS: signature, ``iss``, ``aud``, ``azp``, ``exp``, ``iat``, ``nonce``, ``at_hash``), as
Authlib's own framework clients do it.

The provider's discovery document (``/.well-known/openid-configuration``) and keys are cached per issuer for
:data:`DISCOVERY_TTL`; when the provider cannot be reached the failure is remembered for :data:`RETRY_AFTER` (the
login page says single sign-on is unavailable without waiting on the provider each time). An unknown key id
(the provider rotated its keys) fetches the keys once more.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

log = logging.getLogger(__name__)

DISCOVERY_TTL = 3600.0
RETRY_AFTER = 60.0
TIMEOUT = 5.0
#: seconds of clock difference accepted on ``exp``, ``iat`` and ``nbf``
LEEWAY = 60
#: how long a sign-in started at the provider may take before the callback is refused
FLOW_LIFETIME = 600
SCOPES = "openid email profile"
#: signature algorithms accepted on ID tokens: asymmetric ones only (never ``none``, never HMAC with the secret)
ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519")


class OidcError(Exception):
    """Single sign-on failed. ``reason``: ``unavailable`` (the provider could not be reached or answered nonsense),
    ``state`` (no sign-in in progress, or its state does not match: a forged or replayed callback), ``provider``
    (the provider refused: ``detail`` is its error code), ``token`` (the ID token is not valid for us)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Provider:
    """What discovery said of the provider."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    algorithms: tuple[str, ...]
    auth_methods: tuple[str, ...]


@dataclass(frozen=True)
class Identity:
    """The person the provider vouched for (from the validated ID token, completed by userinfo)."""

    issuer: str
    subject: str
    email: str
    #: ``None``: the provider did not say (Microsoft Entra ID, for one)
    email_verified: bool | None
    name: str


@dataclass
class _Entry:
    provider: Provider | None = None
    jwks: dict[str, Any] | None = None
    fetched_at: float = 0.0
    failed_at: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_cache: dict[str, _Entry] = {}
_cache_lock = threading.Lock()


def clear_cache() -> None:
    """Forget every provider's discovery and keys (tests; a changed configuration is picked up at restart)."""
    with _cache_lock:
        _cache.clear()


def _entry(issuer: str) -> _Entry:
    with _cache_lock:
        return _cache.setdefault(issuer, _Entry())


def recently_unreachable(issuer: str) -> bool:
    """The provider could not be reached less than :data:`RETRY_AFTER` seconds ago (no network call)."""
    with _cache_lock:
        entry = _cache.get(issuer.rstrip("/"))
    return bool(entry and entry.failed_at is not None and time.monotonic() - entry.failed_at < RETRY_AFTER)


def acceptable_url(url: str, *, allow_local_http: bool) -> bool:
    """``https://``; ``http://`` only to a loopback address and only when local endpoints are allowed."""
    parts = urlsplit(url)
    if not parts.hostname:
        return False
    if parts.scheme == "https":
        return True
    if parts.scheme != "http" or not allow_local_http:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Pending:
    """A sign-in under way at the provider, kept in the browser's signed session cookie until the callback."""

    state: str
    nonce: str
    verifier: str
    next: str
    started: int

    def to_session(self) -> dict[str, Any]:
        return {"state": self.state, "nonce": self.nonce, "verifier": self.verifier, "next": self.next,
                "started": self.started}

    @classmethod
    def from_session(cls, data: object) -> Pending | None:
        if not isinstance(data, dict):
            return None
        try:
            values = {k: data[k] for k in ("state", "nonce", "verifier", "next")}
            started = data["started"]
        except KeyError:
            return None
        if not all(isinstance(v, str) for v in values.values()) or not isinstance(started, int):
            return None
        return cls(started=started, **values)


class Client:
    """The OpenID Connect relying party Compris is at one provider."""

    def __init__(self, *, issuer: str, client_id: str, client_secret: str, redirect_uri: str,
                 allow_local_http: bool = False, timeout: float = TIMEOUT) -> None:
        self.issuer = issuer.strip().rstrip("/")
        self.client_id = client_id.strip()
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.allow_local_http = allow_local_http
        self.timeout = timeout

    # --- discovery and keys (cached) ----------------------------------------------------------------------

    def _get_json(self, url: str) -> dict[str, Any]:
        if not acceptable_url(url, allow_local_http=self.allow_local_http):
            raise OidcError("unavailable", f"refused URL {url!r} (https:// is required)")
        try:
            response = httpx.get(url, timeout=self.timeout, headers={"Accept": "application/json"})
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError("unavailable", f"{url}: {type(exc).__name__}: {exc}"[:300]) from None
        if not isinstance(data, dict):
            raise OidcError("unavailable", f"{url}: not a JSON object")
        return data

    def provider(self) -> Provider:
        """The provider's discovery document (cached :data:`DISCOVERY_TTL`; a recent failure is not retried
        before :data:`RETRY_AFTER`)."""
        entry = _entry(self.issuer)
        with entry.lock:
            t = time.monotonic()
            if entry.provider is not None and t - entry.fetched_at < DISCOVERY_TTL:
                return entry.provider
            if entry.failed_at is not None and t - entry.failed_at < RETRY_AFTER:
                if entry.provider is not None:
                    return entry.provider  # stale but known: better than nothing while the provider is away
                raise OidcError("unavailable", "the provider could not be reached a moment ago")
            try:
                provider = self._discover()
                jwks = self._get_json(provider.jwks_uri)
            except OidcError as exc:
                entry.failed_at = t
                log.warning("single sign-on: discovery at %s failed: %s", self.issuer, exc.detail or exc.reason)
                if entry.provider is not None:
                    return entry.provider
                raise
            entry.provider, entry.jwks, entry.fetched_at, entry.failed_at = provider, jwks, t, None
            return provider

    def _discover(self) -> Provider:
        data = self._get_json(f"{self.issuer}/.well-known/openid-configuration")
        issuer = data.get("issuer")
        if not isinstance(issuer, str) or issuer.rstrip("/") != self.issuer:
            # OpenID Connect Discovery 1.0, 4.3: the issuer must be the one configured (else a mix-up)
            raise OidcError("unavailable", f"the discovery document names issuer {issuer!r}")
        endpoints = {}
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = data.get(name)
            if not isinstance(value, str) or not acceptable_url(value, allow_local_http=self.allow_local_http):
                raise OidcError("unavailable", f"the discovery document's {name} is missing or not https")
            endpoints[name] = value
        userinfo = data.get("userinfo_endpoint")
        if not isinstance(userinfo, str) or not acceptable_url(userinfo, allow_local_http=self.allow_local_http):
            userinfo = None
        algorithms = data.get("id_token_signing_alg_values_supported")
        supported = tuple(a for a in algorithms if a in ASYMMETRIC) if isinstance(algorithms, list) else ("RS256",)
        methods = data.get("token_endpoint_auth_methods_supported")
        return Provider(
            issuer=issuer, userinfo_endpoint=userinfo, algorithms=supported or ("RS256",),
            auth_methods=tuple(m for m in methods if isinstance(m, str)) if isinstance(methods, list)
            else ("client_secret_basic",),
            **endpoints,
        )

    def _keys(self, *, refresh: bool = False) -> KeySet:
        entry = _entry(self.issuer)
        provider = self.provider()
        with entry.lock:
            if refresh or entry.jwks is None:
                entry.jwks = self._get_json(provider.jwks_uri)
            jwks = entry.jwks
        try:
            return KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise OidcError("unavailable", f"the provider's keys cannot be read: {exc}") from None

    # --- the flow ------------------------------------------------------------------------------------------

    def start(self, next_path: str) -> tuple[str, Pending]:
        """The provider's authorization URL to send the browser to, and what to keep until the callback."""
        provider = self.provider()
        pending = Pending(state=generate_token(43), nonce=generate_token(43), verifier=generate_token(64),
                          next=next_path, started=int(time.time()))
        url = prepare_grant_uri(
            provider.authorization_endpoint, self.client_id, "code", redirect_uri=self.redirect_uri, scope=SCOPES,
            state=pending.state, nonce=pending.nonce,
            code_challenge=create_s256_code_challenge(pending.verifier), code_challenge_method="S256",
        )
        return str(url), pending

    def finish(self, pending: Pending | None, params: dict[str, str]) -> Identity:
        """The callback: check the state, exchange the code (with the PKCE verifier), validate the ID token and
        read who signed in. :class:`OidcError` when anything is wrong."""
        state = params.get("state", "")
        if pending is None:
            raise OidcError("state", "no single sign-on was started in this browser (or it was already used)")
        if not state or not secrets.compare_digest(state.encode(), pending.state.encode()):
            raise OidcError("state", "the state does not match the sign-in started in this browser")
        if time.time() - pending.started > FLOW_LIFETIME:
            raise OidcError("state", "the sign-in took too long; start again")
        if params.get("error"):
            raise OidcError("provider", params["error"][:100])
        code = params.get("code", "")
        if not code:
            raise OidcError("provider", "no authorization code")
        provider = self.provider()
        token = self._exchange(provider, code, pending.verifier)
        claims = self.validate_id_token(token, nonce=pending.nonce)
        info = dict(claims)
        if ("email" not in info or "email_verified" not in info) and provider.userinfo_endpoint:
            info = {**self._userinfo(provider, str(token.get("access_token") or ""), str(claims["sub"])), **info}
        email = info.get("email")
        verified = info.get("email_verified")
        if isinstance(verified, str):  # a few providers send "true"
            verified = verified.lower() == "true"
        elif verified is not None:
            verified = verified is True
        name = info.get("name") or " ".join(str(info.get(k) or "") for k in ("given_name", "family_name")).strip()
        return Identity(issuer=str(claims["iss"]), subject=str(claims["sub"]),
                        email=email.strip().lower() if isinstance(email, str) else "",
                        email_verified=verified, name=str(name or "")[:200])

    def _exchange(self, provider: Provider, code: str, verifier: str) -> dict[str, Any]:
        body = prepare_token_request("authorization_code", redirect_uri=self.redirect_uri, code=code,
                                     code_verifier=verifier)
        method = ("client_secret_post" if "client_secret_basic" not in provider.auth_methods
                  and "client_secret_post" in provider.auth_methods else "client_secret_basic")
        headers = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}
        url, headers, body = ClientAuth(self.client_id, self.client_secret, method).prepare(
            "POST", provider.token_endpoint, headers, body)
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=self.timeout)
            data = response.json()
        except httpx.HTTPError as exc:
            raise OidcError("unavailable", f"token endpoint: {type(exc).__name__}") from None
        except ValueError:
            raise OidcError("provider", f"the token endpoint answered {response.status_code}, not JSON") from None
        if not isinstance(data, dict):
            raise OidcError("provider", "the token endpoint's answer is not a JSON object")
        if response.status_code != 200 or "error" in data:
            raise OidcError("provider", str(data.get("error") or f"HTTP {response.status_code}")[:100])
        if not isinstance(data.get("id_token"), str):
            raise OidcError("token", "the token endpoint gave no ID token")
        return data

    def validate_id_token(self, token: dict[str, Any], *, nonce: str) -> CodeIDToken:
        """The ID token's claims once its signature (the provider's keys) and claims are checked, as Authlib's
        ``OpenIDMixin.parse_id_token`` does, with the audience and issuer required."""
        provider = self.provider()
        raw = str(token["id_token"])
        try:
            try:
                decoded = jwt.decode(raw, self._keys(), algorithms=list(provider.algorithms))
            except InvalidKeyIdError:  # the provider rotated its keys since we read them
                decoded = jwt.decode(raw, self._keys(refresh=True), algorithms=list(provider.algorithms))
            options: dict[str, Any] = {
                "iss": {"essential": True, "value": provider.issuer},
                "aud": {"essential": True, "value": self.client_id},
                "sub": {"essential": True},
                "exp": {"essential": True},
            }
            params: dict[str, Any] = {"nonce": nonce, "client_id": self.client_id}
            if isinstance(token.get("access_token"), str):
                params["access_token"] = token["access_token"]
            claims = CodeIDToken(decoded.claims, decoded.header, options, params)
            claims.validate(leeway=LEEWAY)
        except JoseError as exc:
            raise OidcError("token", f"{type(exc).__name__}: {exc}"[:200]) from None
        except (ValueError, TypeError) as exc:  # not even a JWT
            raise OidcError("token", f"malformed ID token: {type(exc).__name__}") from None
        if not isinstance(claims.get("nonce"), str):
            raise OidcError("token", "the ID token carries no nonce")
        return claims

    def _userinfo(self, provider: Provider, access_token: str, subject: str) -> dict[str, Any]:
        assert provider.userinfo_endpoint is not None
        try:
            response = httpx.get(provider.userinfo_endpoint, timeout=self.timeout,
                                 headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"})
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError):
            log.warning("single sign-on: userinfo at %s failed", provider.userinfo_endpoint)
            return {}
        if not isinstance(data, dict) or data.get("sub") != subject:
            # OpenID Connect Core 5.3.2: a userinfo answer about someone else is not used
            log.warning("single sign-on: userinfo answered about another subject; ignored")
            return {}
        return data
