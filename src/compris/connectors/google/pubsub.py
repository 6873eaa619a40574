"""Cloud Pub/Sub push deliveries: the Google-signed JWT that authenticates them, and their envelope.

A push subscription with authentication sends ``Authorization: Bearer <JWT>``: an OpenID Connect ID token signed
by Google (RS256, key id ``kid`` from https://www.googleapis.com/oauth2/v3/certs), with the claims ``iss``
(``accounts.google.com`` or ``https://accounts.google.com``), ``aud`` (the audience set on the subscription),
``email`` (the subscription's service account), ``email_verified``, ``iat`` and ``exp``.

Google's public keys: :meth:`Connector.verify` receives no HTTP client, so this module keeps its own small cache,
per JWKS address, shared by every account of the process: the key set is fetched with a short-timeout ``httpx``
client, kept for the ``max-age`` Google's answer gives (clamped to 1 minute - 1 day; one hour without one), and
fetched again early when a token names a key id the cached set lacks (Google rotates its keys), at most once a
minute (so forged tokens with random key ids cannot make us hammer Google). A fetch failure is a
:class:`SignatureError` with status 503: nothing is stored and Pub/Sub redelivers the message later.

The envelope: ``{"message": {"data": base64(JSON), "messageId", "publishTime", "attributes"}, "subscription"}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from compris.connectors.base import SignatureError, UnprocessableEvent
from compris.connectors.wire import JSON, load_object, obj, opt_str

GOOGLE_JWKS_URL = "https://www.googleapis.com/oauth2/v3/certs"
ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})
FETCH_TIMEOUT = 3.0
DEFAULT_MAX_AGE = 3600.0
MIN_MAX_AGE, MAX_MAX_AGE = 60.0, 86400.0
MIN_REFETCH_SECONDS = 60.0
LEEWAY_SECONDS = 60  # clock skew tolerated on exp/iat


@dataclass
class _KeySet:
    keys: dict[str, jwt.PyJWK]
    expires: float
    fetched: float


_cache: dict[str, _KeySet] = {}
_lock = threading.Lock()
#: the clock of the cache (monotonic seconds); tests replace it to expire the cache
clock: Callable[[], float] = time.monotonic


def clear_cache() -> None:
    """Forget every fetched key set (tests; a key rotation is handled without it)."""
    with _lock:
        _cache.clear()


def _max_age(headers: Mapping[str, str]) -> float:
    for part in str(headers.get("cache-control") or "").split(","):
        name, _, value = part.strip().partition("=")
        if name.lower() == "max-age" and value.strip().isdigit():
            return min(MAX_MAX_AGE, max(MIN_MAX_AGE, float(value.strip())))
    return DEFAULT_MAX_AGE


def _fetch(url: str) -> tuple[dict[str, jwt.PyJWK], float]:
    try:
        with httpx.Client(timeout=FETCH_TIMEOUT) as client:
            response = client.get(url, headers={"accept": "application/json"})
    except httpx.HTTPError as exc:
        raise SignatureError(f"could not fetch Google's signing keys: {type(exc).__name__}", 503) from None
    if response.status_code != 200:
        raise SignatureError(f"could not fetch Google's signing keys (HTTP {response.status_code})", 503)
    try:
        data = response.json()
        entries = data["keys"]
        if not isinstance(entries, list):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise SignatureError("Google's signing keys came in an unexpected shape", 503) from None
    keys: dict[str, jwt.PyJWK] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            continue
        try:
            keys[entry["kid"]] = jwt.PyJWK(entry)
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            continue  # a key type we do not use
    return keys, _max_age(response.headers)


def signing_key(url: str, kid: str) -> jwt.PyJWK:
    """Google's public key ``kid`` from the key set at ``url`` (cached; see the module's docstring)."""
    now = clock()
    with _lock:
        cached = _cache.get(url)
        if cached is not None and now < cached.expires:
            if kid in cached.keys:
                return cached.keys[kid]
            if now - cached.fetched < MIN_REFETCH_SECONDS:
                raise SignatureError("the token is signed with a key Google does not publish", 401)
    keys, max_age = _fetch(url)  # outside the lock: a slow fetch does not block cached verifications
    with _lock:
        _cache[url] = _KeySet(keys=keys, expires=now + max_age, fetched=now)
    if kid not in keys:
        raise SignatureError("the token is signed with a key Google does not publish", 401)
    return keys[kid]


def verify_push_token(headers: Mapping[str, str], *, audience: str, service_account: str,
                      jwks_url: str = GOOGLE_JWKS_URL) -> dict[str, Any]:
    """The claims of the push request's bearer token once it checks; raise :class:`SignatureError`."""
    auth = str(headers.get("authorization") or "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise SignatureError("the push request has no bearer token (turn on authentication on the push "
                             "subscription)", 401)
    token = token.strip()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise SignatureError("the bearer token is not a JWT", 401) from None
    if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
        raise SignatureError("the bearer token is not an RS256 token with a key id", 401)
    key = signing_key(jwks_url, header["kid"])
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key.key, algorithms=["RS256"], audience=audience, leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud"]})
    except jwt.ExpiredSignatureError:
        raise SignatureError("the bearer token has expired", 401) from None
    except jwt.MissingRequiredClaimError as exc:
        raise SignatureError(f"the bearer token lacks a required claim: {exc.claim}", 401) from None
    except jwt.InvalidAudienceError:
        raise SignatureError("the bearer token is not for this account (another audience)", 403) from None
    except jwt.InvalidTokenError as exc:
        raise SignatureError(f"the bearer token does not check: {type(exc).__name__}", 401) from None
    if claims.get("iss") not in ISSUERS:
        raise SignatureError("the bearer token was not issued by Google", 401)
    email = claims.get("email")
    if not isinstance(email, str) or email.casefold() != service_account.strip().casefold():
        raise SignatureError("the bearer token is for another service account than the push subscription's", 403)
    if claims.get("email_verified") is not True:
        raise SignatureError("the bearer token's service account e-mail is not verified", 403)
    return claims


@dataclass(frozen=True)
class PushMessage:
    message_id: str
    publish_time: str | None
    data: JSON  # the decoded notification
    subscription: str | None


def message_id(body: bytes) -> str | None:
    """The envelope's ``message.messageId`` (Pub/Sub redelivers with the same id), None when unreadable."""
    try:
        data = json.loads(body)
        message = data["message"]
        found = message.get("messageId") or message.get("message_id")
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    return str(found) if isinstance(found, str | int) and not isinstance(found, bool) and str(found) else None


def read_push(body: bytes) -> PushMessage:
    """The push envelope and its decoded notification; raise :class:`UnprocessableEvent`."""
    envelope = load_object(body)
    message = obj(envelope.get("message"), "message")
    found_id = opt_str(message, "messageId") or opt_str(message, "message_id")
    if not found_id:
        raise UnprocessableEvent("message: missing messageId")
    raw = message.get("data")
    if not isinstance(raw, str) or not raw:
        raise UnprocessableEvent("message: missing data")
    try:
        decoded = base64.b64decode(raw + "=" * (-len(raw) % 4), altchars=b"-_" if "-" in raw or "_" in raw else None,
                                   validate=True)
    except (binascii.Error, ValueError):
        raise UnprocessableEvent("message.data is not base64") from None
    data = load_object(decoded)
    subscription = envelope.get("subscription")
    return PushMessage(message_id=found_id, publish_time=opt_str(message, "publishTime"), data=data,
                       subscription=subscription if isinstance(subscription, str) else None)
