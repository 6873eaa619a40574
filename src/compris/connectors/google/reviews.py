"""The Business Profile reviews API (``mybusiness.googleapis.com/v4``): calls, Google's error shape, and a review
turned into Compris's messages.

A review (``accounts/{a}/locations/{l}/reviews/{r}``)::

    {"name", "reviewId", "reviewer": {"displayName", "profilePhotoUrl", "isAnonymous"},
     "starRating": "ONE".."FIVE" | "STAR_RATING_UNSPECIFIED", "comment", "createTime", "updateTime",
     "reviewReply": {"comment", "updateTime"}}

Errors are ``{"error": {"code", "message", "status", "details"}}``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from compris.connectors.base import (
    AccountContext,
    Author,
    InboundMessage,
    SendError,
    UnprocessableEvent,
    Visibility,
    retry_after_seconds,
    transport_failure,
)
from compris.connectors.wire import JSON, error_text, from_iso, obj, opt_obj, opt_str

DEFAULT_API_BASE = "https://mybusiness.googleapis.com"
STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
REVIEW_NAME = re.compile(r"^(accounts/[^/\s]+/locations/[^/\s]+)/reviews/[^/\s]+$")
LOCATION_NAME = re.compile(r"^accounts/[^/\s]+/locations/[^/\s]+$")
#: Google's machine translation blocks in a review's comment
TRANSLATED = "(Translated by Google)"
ORIGINAL = "(Original)"


def api_base(account: AccountContext) -> str:
    return str(account.settings.get("api_base") or DEFAULT_API_BASE).rstrip("/")


def location_of(review_name: str) -> str | None:
    """``accounts/{a}/locations/{l}`` of a review's resource name, None when it is not one."""
    found = REVIEW_NAME.match(review_name)
    return found.group(1) if found else None


def google_reason(response: httpx.Response) -> str:
    """Google's own words: ``error.status: error.message``."""
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        return error_text(response.content)
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        status, message = error.get("status"), error.get("message")
        parts = [str(p) for p in (status, message) if isinstance(p, str) and p]
        if parts:
            return ": ".join(parts)[:300]
    if isinstance(error, str):  # OAuth-style errors
        return error[:300]
    return error_text(response.content)


def _status(response: httpx.Response) -> str:
    try:
        data = response.json()
        return str(data["error"]["status"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return ""


def request(client: httpx.Client, method: str, url: str, *, token: str, body: Mapping[str, Any] | None = None,
            params: Mapping[str, str | int] | None = None) -> dict[str, Any]:
    """One call; returns the JSON object (``{}`` for an empty answer), raises :class:`SendError` classified for
    retries: 429 ``RESOURCE_EXHAUSTED`` and 5xx retryable, 401 ``unauthorized`` (the access token is renewed and
    the call tried again), 403 and 404 not retryable, with Google's reason. A write (``PUT``, ``DELETE``) that
    failed once it may have reached Google (a timeout or a broken connection after the request was written, a 5xx,
    an unreadable 2xx) is *ambiguous*: the reply may be on Google (sending the same ``PUT`` again is harmless)."""
    writes = method.upper() not in ("GET", "HEAD")
    try:
        response = client.request(
            method, url, params=params,
            content=None if body is None else json.dumps(body, ensure_ascii=False).encode(),
            headers={"authorization": f"Bearer {token}", "content-type": "application/json",
                     "accept": "application/json"})
    except httpx.TransportError as exc:
        failure = transport_failure(exc, "Google")
        if failure.ambiguous and not writes:  # a read changed nothing
            failure = SendError(f"the call to Google failed: {type(exc).__name__}", retryable=True)
        raise failure from None
    status = response.status_code
    now = datetime.now(UTC)
    if status == 429 or _status(response) == "RESOURCE_EXHAUSTED":
        raise SendError(f"Google's quota is exhausted for now ({google_reason(response)})", retryable=True,
                        retry_after=retry_after_seconds(response.headers, now))
    if status >= 500:
        raise SendError(f"Google server error {status}: {google_reason(response)}", retryable=True,
                        retry_after=retry_after_seconds(response.headers, now), ambiguous=writes)
    if status == 401:
        raise SendError(f"Google refused the access token (401): {google_reason(response)}", retryable=False,
                        unauthorized=True)
    if status == 403:
        raise SendError(f"Google refused the request (403): {google_reason(response)} — check that the account "
                        "manages this location, that the location is verified and that the API is enabled",
                        retryable=False)
    if status == 404:
        raise SendError(f"Google does not know this review or location (404): {google_reason(response)} — the "
                        "review may have been deleted", retryable=False)
    if status >= 400:
        raise SendError(f"Google refused the request ({status}): {google_reason(response)}", retryable=False)
    if not response.content.strip():
        return {}
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        raise SendError(f"Google answered {status} with a body that is not JSON", retryable=writes,
                        ambiguous=writes) from None
    if not isinstance(data, dict):
        raise SendError(f"Google answered {status} with an unexpected body", retryable=writes, ambiguous=writes)
    return data


# --- a review as messages ---------------------------------------------------------------------------


def split_translation(comment: str) -> tuple[str, str | None]:
    """The reviewer's own words and Google's translation (None when there is none).

    Google shows a review written in another language than the reader's as ``(Translated by Google) <translation>
    \\n\\n(Original)\\n<original>``, or as ``<original>\\n\\n(Translated by Google)\\n<translation>``: the original
    is kept as the message's text, the translation goes in ``extra``."""
    if TRANSLATED not in comment:
        return comment.strip(), None
    if ORIGINAL in comment:
        before, _, original = comment.partition(ORIGINAL)
        translation = before.replace(TRANSLATED, "").strip()
        original = original.split(TRANSLATED)[0].strip()
        return original, translation or None
    original, _, translation = comment.partition(TRANSLATED)
    return original.strip(), translation.strip() or None


def _when(review: JSON, *keys: str) -> datetime:
    for key in keys:
        value = opt_str(review, key)
        if value:
            return from_iso(value, key)
    raise UnprocessableEvent(f"review: no {' or '.join(keys)}")


def review_message_id(name: str, rating: str, comment: str) -> str:
    """A review version's message id: its name and a digest of what the reviewer wrote. A redelivery, the same
    review from the push and from the poll, or a change of ``updateTime`` alone (Google's own bookkeeping) is the
    same message; an edited text or rating is a new message in the review's thread."""
    digest = hashlib.sha256(f"{rating}\n{comment}".encode()).hexdigest()[:16]
    return f"{name}@{digest}"


def reply_message_id(review_name: str, update_time: str) -> str:
    """Our reply to a review: the same id whether Compris sent it (the PUT's answer) or the poll saw it."""
    return f"{review_name}/reply@{update_time.strip()}"


def thread_title(account: AccountContext) -> str:
    title = str(account.settings.get("location_title") or "").strip()
    return f"Review of {title}" if title else "Google review"


def review_messages(account: AccountContext, review: JSON) -> tuple[InboundMessage, ...]:
    """The review as a public message (its thread is the review), plus the business's existing reply to it as an
    ``is_own`` message (an echo: recorded as sent outside Compris, or recognised as the reply Compris sent)."""
    name = opt_str(review, "name") or ""
    location = location_of(name)
    if location is None:
        raise UnprocessableEvent("review: name is not accounts/…/locations/…/reviews/…")
    reviewer = opt_obj(review.get("reviewer"), "reviewer")
    anonymous = reviewer.get("isAnonymous") is True
    display = opt_str(reviewer, "displayName") or ""
    photo = opt_str(reviewer, "profilePhotoUrl")
    star = opt_str(review, "starRating") or ""
    comment = opt_str(review, "comment") or ""
    original, translation = split_translation(comment)
    created = _when(review, "updateTime", "createTime")
    message_id = review_message_id(name, star, comment)
    extra: dict[str, Any] = {"review_name": name, "review_id": opt_str(review, "reviewId"), "location": location,
                             "star_rating": star or None, "update_time": opt_str(review, "updateTime"),
                             "create_time": opt_str(review, "createTime"), "anonymous": anonymous}
    if translation:
        extra["google_translation"] = translation
    messages = [InboundMessage(
        platform_message_id=message_id,
        thread_key=name,
        visibility=Visibility.PUBLIC,
        # Google gives no reviewer id: each review is its own reviewer (a display name is no identity)
        author=Author(platform_user_id=f"reviewer:{name}", name=display or ("A Google user" if anonymous else None),
                      avatar_url=None if anonymous else photo),
        text=original,
        created_at=created,
        thread_title=thread_title(account),
        extra=extra,
        rating=STARS.get(star),
    )]
    reply = opt_obj(review.get("reviewReply"), "reviewReply")
    reply_text = opt_str(reply, "comment")
    reply_time = opt_str(reply, "updateTime")
    if reply_text and reply_time:
        messages.append(InboundMessage(
            platform_message_id=reply_message_id(name, reply_time),
            thread_key=name,
            visibility=Visibility.PUBLIC,
            author=Author(platform_user_id=location, name=str(account.settings.get("location_title") or "") or None),
            text=reply_text,
            created_at=from_iso(reply_time, "reviewReply.updateTime"),
            reply_to_platform_id=message_id,
            is_own=True,
            extra={"review_name": name},
        ))
    return tuple(messages)


def pending_message(account: AccountContext, review_name: str, notification: str, message_id: str,
                    published: str | None) -> InboundMessage:
    """What a Pub/Sub notification says before the review is fetched (:meth:`enrich` replaces it)."""
    try:
        created = from_iso(published, "publishTime") if published else datetime.now(UTC)
    except UnprocessableEvent:
        created = datetime.now(UTC)
    return InboundMessage(
        platform_message_id=f"{review_name}@notified:{message_id}",
        thread_key=review_name,
        visibility=Visibility.PUBLIC,
        author=Author(platform_user_id=f"reviewer:{review_name}"),
        text="(Google announced this review but did not let Compris read it; open the location's reviews "
             "on Google)",
        created_at=created,
        thread_title=thread_title(account),
        extra={"review_name": review_name, "notification": notification, "pending": True,
               "location": location_of(review_name)},
    )


def review_of(data: JSON) -> JSON:
    """The review object of a polled event body (``{"review": {...}}``)."""
    return obj(data.get("review"), "review")
