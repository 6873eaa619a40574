"""A local stand-in OpenID Connect provider: a small ASGI app speaking real OpenID Connect, for trying single sign-on
on your own machine and for the tests.

- ``/.well-known/openid-configuration`` (discovery), ``/jwks`` (an RSA key generated at start);
- ``/authorize``: the authorization code flow; PKCE S256 is required; it signs in the configured ``person`` at once
  (auto-approve), or shows a tiny form asking who you are (an e-mail, a name, whether the e-mail is verified);
- ``/token``: the code exchange, with client authentication (``client_secret_basic`` or ``client_secret_post``)
  and the PKCE verifier checked; RS256 ID tokens;
- ``/userinfo``: the person behind an access token.

``faults`` makes it misbehave on purpose, so that tests see Compris refuse each bad answer: ``wrong_nonce``,
``wrong_audience``, ``wrong_issuer``, ``expired`` (an ID token expired ten minutes ago), ``bad_signature`` (signed
with a key that is not in ``/jwks``), ``no_nonce``, ``deny`` (the person refuses: ``error=access_denied``).

Run it: ``python -m compris.sso_standin --port 9400`` (it prints the ``COMPRIS_OIDC_*`` settings to give Compris).
Not for production: it trusts whoever fills its form.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

import uvicorn
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

FAULTS = frozenset({"wrong_nonce", "wrong_audience", "wrong_issuer", "expired", "bad_signature", "no_nonce", "deny"})
CODE_LIFETIME = 60
TOKEN_LIFETIME = 300


def _rsa_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


@dataclass(frozen=True)
class Person:
    """Who signs in at the stand-in."""

    email: str
    name: str = ""
    #: ``None``: the stand-in does not say (no ``email_verified`` claim, as Microsoft Entra ID)
    email_verified: bool | None = True
    #: the provider's stable id of the person (default: derived from the e-mail)
    subject: str = ""

    def sub(self) -> str:
        return self.subject or "sub-" + hashlib.sha256(self.email.lower().encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TokenRequest:
    """One call to ``/token``, as the stand-in judged it."""

    client_ok: bool
    pkce_ok: bool
    auth_method: str
    error: str | None


@dataclass
class _Grant:
    person: Person
    client_id: str
    redirect_uri: str
    nonce: str | None
    challenge: str
    at: float
    used: bool = False


@dataclass
class StandInProvider:
    """The provider. ``redirect_uris``: the registered ones (empty: any http(s) URI is accepted)."""

    client_id: str = "compris"
    client_secret: str = "standin-secret"  # noqa: S105 (a stand-in's published test secret)
    redirect_uris: tuple[str, ...] = ()
    person: Person | None = None
    host: str = "127.0.0.1"
    port: int = 0
    faults: set[str] = field(default_factory=set)
    token_requests: list[TokenRequest] = field(default_factory=list)
    #: requests received, per path
    hits: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.kid = secrets.token_hex(8)
        self.key = _rsa_key(self.kid)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((self.host, self.port))
        self.port = int(self.sock.getsockname()[1])
        self._grants: dict[str, _Grant] = {}
        self._access: dict[str, Person] = {}
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._routes = Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/jwks", self.jwks),
            Route("/authorize", self.authorize, methods=["GET", "POST"]),
            Route("/token", self.token, methods=["POST"]),
            Route("/userinfo", self.userinfo, methods=["GET", "POST"]),
        ])

    async def app(self, scope: Any, receive: Any, send: Any) -> None:
        """The ASGI app (it counts each path's requests in ``hits``)."""
        if scope["type"] == "http":
            with self._lock:
                self.hits[scope["path"]] = self.hits.get(scope["path"], 0) + 1
        await self._routes(scope, receive, send)

    def rotate_key(self) -> None:
        """A new signing key (a new key id): a client holding the old keys must fetch ``/jwks`` again."""
        self.kid = secrets.token_hex(8)
        self.key = _rsa_key(self.kid)

    @property
    def issuer(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- running it (uvicorn in a thread) -----------------------------------------------------------------

    def start(self, timeout: float = 15.0) -> StandInProvider:
        self._server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", lifespan="off", interface="asgi3",
                                                     timeout_graceful_shutdown=1))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self.sock]},
                                        name="compris-sso-standin", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:  # uvicorn says when it listens; nothing to wait on but the flag
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the stand-in provider did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
        self.sock.close()

    def __enter__(self) -> StandInProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- endpoints ---------------------------------------------------------------------------------------

    async def discovery(self, request: Request) -> Response:
        base = self.issuer
        return JSONResponse({
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "jwks_uri": f"{base}/jwks",
            "userinfo_endpoint": f"{base}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified", "name"],
        })

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: Request) -> Response:
        params: dict[str, str] = dict(request.query_params)
        if request.method == "POST":
            params.update({k: v for k, v in (await request.form()).items() if isinstance(v, str)})
        redirect_uri = params.get("redirect_uri", "")
        if params.get("client_id") != self.client_id:
            return HTMLResponse("<p>unknown client_id</p>", status_code=400)
        if not redirect_uri.startswith(("http://", "https://")) or (
                self.redirect_uris and redirect_uri not in self.redirect_uris):
            return HTMLResponse("<p>redirect_uri is not registered for this client</p>", status_code=400)
        state = params.get("state")

        def back(**answer: str) -> Response:
            query = {**answer, **({"state": state} if state else {})}
            return RedirectResponse(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode(query)}",
                                    status_code=302)

        if params.get("response_type") != "code":
            return back(error="unsupported_response_type")
        if "openid" not in params.get("scope", "").split():
            return back(error="invalid_scope")
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return back(error="invalid_request", error_description="PKCE S256 is required")
        if "deny" in self.faults:
            return back(error="access_denied")
        person = self.person
        if person is None and request.method == "POST" and params.get("email"):
            person = Person(email=params["email"].strip(), name=params.get("name", "").strip(),
                            email_verified=params.get("email_verified") == "on")
        if person is None:
            return self._form(params)
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = _Grant(person=person, client_id=self.client_id, redirect_uri=redirect_uri,
                                        nonce=params.get("nonce"), challenge=params["code_challenge"],
                                        at=time.time())
        return back(code=code)

    def _form(self, params: dict[str, str]) -> Response:
        hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in params.items() if k not in ("email", "name", "email_verified"))
        page = (
            '<!doctype html><html><head><meta charset="utf-8"><title>Stand-in provider</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
            '<body style="font-family: sans-serif; max-width: 24rem; margin: 3rem auto; padding: 0 1rem">'
            "<h1>Stand-in provider</h1><p>Who are you? (Anybody may claim anything here: it is for trying single "
            'sign-on locally.)</p><form method="post" action="/authorize">' + hidden +
            '<p><label>E-mail<br><input name="email" type="email" required autofocus></label></p>'
            '<p><label>Name<br><input name="name"></label></p>'
            '<p><label><input type="checkbox" name="email_verified" checked> the e-mail is verified</label></p>'
            '<p><button type="submit">Sign in</button></p></form></body></html>'
        )
        return HTMLResponse(page)

    def _client(self, request: Request, form: dict[str, str]) -> tuple[bool, str]:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                given_id, _, given_secret = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                return False, "client_secret_basic"
            method = "client_secret_basic"
        else:
            given_id, given_secret, method = form.get("client_id", ""), form.get("client_secret", ""), \
                "client_secret_post"
        ok = secrets.compare_digest(given_id, self.client_id) and secrets.compare_digest(
            given_secret.encode(), self.client_secret.encode())
        return ok, method

    async def token(self, request: Request) -> Response:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        client_ok, method = self._client(request, form)

        def refuse(error: str, status: int = 400, pkce_ok: bool = False) -> Response:
            with self._lock:
                self.token_requests.append(TokenRequest(client_ok, pkce_ok, method, error))
            return JSONResponse({"error": error}, status_code=status, headers={"Cache-Control": "no-store"})

        if not client_ok:
            return refuse("invalid_client", 401)
        if form.get("grant_type") != "authorization_code":
            return refuse("unsupported_grant_type")
        with self._lock:
            grant = self._grants.get(form.get("code", ""))
            fresh = grant is not None and not grant.used and time.time() - grant.at < CODE_LIFETIME
            if grant is not None:
                grant.used = True  # one use, even when the exchange fails below
        if grant is None or not fresh or grant.client_id != self.client_id:
            return refuse("invalid_grant")
        if form.get("redirect_uri") != grant.redirect_uri:
            return refuse("invalid_grant")
        verifier = form.get("code_verifier", "")
        if not verifier or not compare_s256_code_challenge(verifier, grant.challenge):
            return refuse("invalid_grant")
        access = secrets.token_urlsafe(32)
        with self._lock:
            self._access[access] = grant.person
            self.token_requests.append(TokenRequest(True, True, method, None))
        return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME,
                             "id_token": self.id_token(grant.person, nonce=grant.nonce)},
                            headers={"Cache-Control": "no-store"})

    def id_token(self, person: Person, *, nonce: str | None) -> str:
        """An RS256 ID token for ``person`` (with the configured faults)."""
        t = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer, "sub": person.sub(), "aud": self.client_id, "iat": t, "exp": t + TOKEN_LIFETIME,
            "auth_time": t, "email": person.email, "name": person.name or person.email,
        }
        if person.email_verified is not None:
            claims["email_verified"] = person.email_verified
        if nonce and "no_nonce" not in self.faults:
            claims["nonce"] = nonce
        if "wrong_nonce" in self.faults:
            claims["nonce"] = "not-" + (nonce or "the-nonce")
        if "wrong_audience" in self.faults:
            claims["aud"] = "another-client"
        if "wrong_issuer" in self.faults:
            claims["iss"] = "http://issuer.invalid"
        if "expired" in self.faults:
            claims["iat"], claims["exp"] = t - 1200, t - 600
        key = self.key
        if "bad_signature" in self.faults:  # the same key id, another key: the signature cannot verify
            key = _rsa_key(self.kid)
        return jwt.encode({"alg": "RS256", "kid": self.kid, "typ": "JWT"}, claims, key)

    async def userinfo(self, request: Request) -> Response:
        header = request.headers.get("authorization", "")
        with self._lock:
            person = self._access.get(header[7:]) if header.lower().startswith("bearer ") else None
        if person is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401,
                                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        info: dict[str, Any] = {"sub": person.sub(), "email": person.email, "name": person.name or person.email}
        if person.email_verified is not None:
            info["email_verified"] = person.email_verified
        return JSONResponse(info)

    def as_person(self, person: Person | None) -> StandInProvider:
        """Auto-approve ``person`` from now on (``None``: show the form)."""
        self.person = replace(person) if person is not None else None
        return self
