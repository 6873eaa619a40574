"""XRPC calls to a Bluesky PDS with an app-password session; AT Protocol errors → SendError.

Every call goes to the account's PDS (``https://bsky.social`` unless the admin set another): ``GET`` for queries,
``POST`` with a JSON body for procedures, ``Authorization: Bearer <accessJwt>``. Direct messages are served by the
Bluesky chat service through the PDS, which forwards a call carrying ``atproto-proxy: did:web:api.bsky.chat#bsky_chat``.

Errors are ``{"error": "<Name>", "message": "..."}`` with an HTTP status: ``ExpiredToken`` (400, sometimes 401) when
the access token (about two hours) has expired, ``InvalidToken``/``AuthenticationRequired`` (401), ``InvalidRequest``
(400), ``RateLimitExceeded`` (429, with ``ratelimit-limit``/``-remaining``/``-reset`` headers: reset is an epoch time
in seconds), 5xx from the PDS or the services behind it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from compris.connectors.base import ConnectorError, SendError, retry_after_seconds
from compris.connectors.wire import error_text

DEFAULT_PDS = "https://bsky.social"
CHAT_PROXY = "did:web:api.bsky.chat#bsky_chat"

#: error names that mean "this access token is no longer good": renew the session
EXPIRED = frozenset({"ExpiredToken"})
UNAUTHORIZED = frozenset({"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AccountTakedown"})


class XrpcError(ConnectorError):
    """A call the PDS (or the service behind it) refused or failed."""

    def __init__(self, status: int, error: str, message: str, headers: Mapping[str, str] | None = None, *,
                 ambiguous: bool = False) -> None:
        super().__init__(f"{error or status}: {message}" if message else (error or str(status)))
        self.status = status
        self.error = error
        self.message = message
        self.headers = dict(headers or {})
        #: a procedure (``POST``) that may have been carried out although it failed: a timeout or a broken
        #: connection once the request was written, a 5xx
        self.ambiguous = ambiguous

    @property
    def expired(self) -> bool:
        return self.error in EXPIRED

    @property
    def renewable(self) -> bool:
        """An expired or refused access token, which a new session may cure. Not a token without the scope the call
        needs ("Bad token scope": an app password without access to direct messages): renewing cannot help, and
        renewing on every poll would spend ``createSession``'s small daily allowance."""
        return self.expired or (self.status == 401 and "scope" not in self.message.lower())

    @property
    def unauthorized(self) -> bool:
        return self.status == 401 or self.error in UNAUTHORIZED

    @property
    def retryable(self) -> bool:
        return self.status == 429 or self.status >= 500 or self.status == 0

    def retry_after(self) -> float | None:
        return rate_limit_wait(self.headers, datetime.now(UTC))

    def as_send_error(self, what: str = "Bluesky") -> SendError:
        if self.status == 0:
            if self.ambiguous:
                return SendError(f"{what}: {self.message}: the message may have arrived", retryable=True,
                                 ambiguous=True)
            return SendError(f"could not reach {what}: {self.message}", retryable=True)
        if self.status == 429:
            return SendError(f"{what} rate limit reached: {self.message or self.error}", retryable=True,
                             retry_after=self.retry_after())
        if self.status >= 500:
            return SendError(f"{what} server error {self.status}: {self.message or self.error}", retryable=True,
                             retry_after=self.retry_after(), ambiguous=self.ambiguous)
        if self.unauthorized:
            return SendError(f"{what} refused our session ({self.error or self.status}): {self.message}",
                             retryable=False, unauthorized=True)
        return SendError(f"{what} refused the request ({self.error or self.status}): {self.message}",
                         retryable=False)


def rate_limit_wait(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds to wait from ``Retry-After`` or Bluesky's ``ratelimit-reset`` (epoch seconds)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    reset = lowered.get("ratelimit-reset")
    if reset:
        try:
            number = float(reset)
        except ValueError:
            number = None
        if number is not None:
            return max(0.0, number - now.timestamp()) if number > 1_000_000_000 else max(0.0, number)
    return retry_after_seconds(lowered, now)


def _reason(response: httpx.Response) -> tuple[str, str]:
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        return "", error_text(response.content)
    if isinstance(data, dict):
        error = data.get("error")
        message = data.get("message")
        return (str(error) if isinstance(error, str) else "",
                str(message)[:300] if isinstance(message, str) else "")
    return "", error_text(response.content)


def call(client: httpx.Client, base: str, method: str, nsid: str, *, token: str | None,
         params: Mapping[str, Any] | None = None, body: Mapping[str, Any] | None = None,
         proxy: str | None = None, timeout: float | None = None) -> dict[str, Any]:
    """One XRPC call; returns the JSON object or raises :class:`XrpcError` (status 0: no answer; ``ambiguous`` when a
    procedure may have been carried out all the same)."""
    headers = {"accept": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    if proxy:
        headers["atproto-proxy"] = proxy
    if body is not None:
        headers["content-type"] = "application/json"
    extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
    writes = method.upper() == "POST"
    try:
        response = client.request(
            method, f"{base}/xrpc/{nsid}", params=params, headers=headers,
            content=None if body is None else json.dumps(body, ensure_ascii=False).encode(), **extra,
        )
    except httpx.TransportError as exc:
        # the request certainly never left when no connection could be opened; else a procedure may have run
        sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
        if isinstance(exc, httpx.TimeoutException):
            raise XrpcError(0, "Timeout", f"{nsid} did not answer in time", ambiguous=writes and sent) from None
        raise XrpcError(0, "TransportError", type(exc).__name__, ambiguous=writes and sent) from None
    if response.status_code >= 400:
        error, message = _reason(response)
        raise XrpcError(response.status_code, error, message, response.headers,
                        ambiguous=writes and response.status_code >= 500)
    if not response.content:
        return {}
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        raise XrpcError(502, "BadResponse", f"{nsid} answered with a body that is not JSON", ambiguous=writes) \
            from None
    if not isinstance(data, dict):
        raise XrpcError(502, "BadResponse", f"{nsid} answered with an unexpected body", ambiguous=writes)
    return data


@dataclass
class Session:
    """An app-password session: the tokens in the account's secrets, renewed in place when allowed.

    ``renew`` True (polling): an expired access token is refreshed (``refreshSession``, or a new ``createSession``
    when the refresh token is refused too) and the call tried again; the new tokens are in ``renewed`` for the
    caller to store. False (sending): an expired token raises, so that the outbox renews and stores it
    (:meth:`Connector.refresh_credentials`) before sending again.
    """

    client: httpx.Client
    base: str
    identifier: str
    secrets: Mapping[str, str]
    renew: bool = True
    timeout: float | None = None
    renewed: dict[str, str] = field(default_factory=dict)

    @property
    def access(self) -> str | None:
        return self.renewed.get("access_jwt") or self.secrets.get("access_jwt") or None

    def get(self, nsid: str, params: Mapping[str, Any] | None = None, *, chat: bool = False) -> dict[str, Any]:
        return self._call("GET", nsid, params=params, chat=chat)

    def post(self, nsid: str, body: Mapping[str, Any], *, chat: bool = False) -> dict[str, Any]:
        return self._call("POST", nsid, body=body, chat=chat)

    def _call(self, method: str, nsid: str, *, params: Mapping[str, Any] | None = None,
              body: Mapping[str, Any] | None = None, chat: bool = False) -> dict[str, Any]:
        if not self.access:
            if not self.renew:
                raise XrpcError(401, "AuthenticationRequired", "no session yet: Compris opens one with the app "
                                "password")
            self.renewed.update(create_session(self.client, self.base, self.identifier, self.secrets, self.timeout))
        try:
            return call(self.client, self.base, method, nsid, token=self.access, params=params, body=body,
                        proxy=CHAT_PROXY if chat else None, timeout=self.timeout)
        except XrpcError as exc:
            if not (self.renew and exc.renewable):
                raise
        self.renewed.update(renew_session(self.client, self.base, self.identifier,
                                          {**self.secrets, **self.renewed}, self.timeout))
        return call(self.client, self.base, method, nsid, token=self.access, params=params, body=body,
                    proxy=CHAT_PROXY if chat else None, timeout=self.timeout)


def _tokens(data: Mapping[str, Any], what: str) -> dict[str, str]:
    access, refresh = data.get("accessJwt"), data.get("refreshJwt")
    if not isinstance(access, str) or not isinstance(refresh, str) or not access or not refresh:
        raise ConnectorError(f"Bluesky answered {what} without tokens")
    return {"access_jwt": access, "refresh_jwt": refresh}


def create_session(client: httpx.Client, base: str, identifier: str, secrets: Mapping[str, str],
                   timeout: float | None = None) -> dict[str, str]:
    """``com.atproto.server.createSession {identifier, password}`` with the app password."""
    password = secrets.get("app_password")
    if not password or not identifier:
        raise ConnectorError("the Bluesky account needs its handle (or DID) and an app password")
    try:
        data = call(client, base, "POST", "com.atproto.server.createSession", token=None,
                    body={"identifier": identifier, "password": password}, timeout=timeout)
    except XrpcError as exc:
        if exc.retryable:
            raise ConnectorError(f"Bluesky could not open a session now ({exc.error or exc.status}); "
                                 "tried again at the next poll") from None
        raise ConnectorError(f"Bluesky refused the app password ({exc.error or exc.status}: {exc.message}); "
                             "check the handle and create a new app password") from None
    return _tokens(data, "createSession")


def renew_session(client: httpx.Client, base: str, identifier: str, secrets: Mapping[str, str],
                  timeout: float | None = None) -> dict[str, str]:
    """``com.atproto.server.refreshSession`` (the refresh token as bearer; it is rotated), or a new session with
    the app password when the refresh token is refused (expired after about two months, or already used)."""
    refresh = secrets.get("refresh_jwt")
    if refresh:
        try:
            return _tokens(call(client, base, "POST", "com.atproto.server.refreshSession", token=refresh,
                                timeout=timeout), "refreshSession")
        except XrpcError as exc:
            if exc.retryable:
                raise ConnectorError(f"Bluesky could not renew the session now ({exc.error or exc.status})") \
                    from None
    return create_session(client, base, identifier, secrets, timeout)
