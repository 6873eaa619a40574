"""Yelp's review webhooks (``{time, object: "business", data: {id, updates: [...]}}``) → messages and deletions.

A delivery names reviews but does not carry their text: each new or edited review becomes a message marked
``needs_fetch``, completed by :meth:`YelpConnector.enrich` from Yelp's reviews API with our own key. Nothing in the
payload is trusted beyond the ids it names: the text, the author's name and the stars come from that fetch (a review
Yelp does not list stays without text and without stars).
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime

from compris.connectors.base import (
    Author,
    DeliveryStatus,
    InboundMessage,
    ParsedDelivery,
    UnprocessableEvent,
    Visibility,
)
from compris.connectors.wire import JSON, arr, load_object, obj, opt_str, req_str

NEW_REVIEW = "NEW_REVIEW_EVENT"
REVIEW_EDITED = "REVIEW_EDITED_EVENT"
REVIEW_REMOVED = "REVIEW_REMOVED_EVENT"
#: what the thread of a review is called before (and if) its text is fetched
REVIEW_TITLE = "Yelp review"
MAX_ID = 200


def when(value: object) -> datetime:
    """Yelp's ``time`` ("2020-10-10T19:30:27.731910", documented without a zone; read as UTC)."""
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise UnprocessableEvent("time: expected an ISO-8601 time")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UnprocessableEvent("time: not an ISO-8601 time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise UnprocessableEvent("time: out of range") from None


def stars(value: object) -> int | None:
    """Yelp's rating (a float, 1.0-5.0) as whole stars 1-5; None when absent or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value != value or value in (float("inf"), float("-inf")):  # NaN, infinities
        return None
    return max(1, min(5, math.floor(value + 0.5)))  # half up: 4.5 → 5


def _id(data: JSON, key: str, what: str) -> str:
    value = req_str(data, key, what)
    if len(value) > MAX_ID:
        raise UnprocessableEvent(f"{what}: {key} too long")
    return value


def envelope(body: bytes) -> tuple[JSON, str, list[JSON]]:
    """(the delivery, the business id, its updates) of a review webhook, checked."""
    data = load_object(body)
    if data.get("object") != "business":
        raise UnprocessableEvent(f"object {str(data.get('object'))[:40]!r} is not handled")
    payload = obj(data.get("data"), "data")
    business_id = _id(payload, "id", "data")
    updates = [obj(u, "update") for u in arr(payload.get("updates"), "data.updates")]
    return data, business_id, updates


def update_key(business_id: str, update: JSON, time: str) -> str:
    """One update's identity: Yelp's ``event_id`` when it gives one, else business + review + event type + time."""
    given = opt_str(update, "event_id")
    if given:
        return f"{business_id}:{given}"[:300]
    return ":".join([business_id, str(opt_str(update, "review_id")), str(opt_str(update, "event_type")), time])


def event_id(body: bytes) -> str | None:
    """The delivery's key for idempotent storage, or None when it is not a review webhook we can read."""
    try:
        data, business_id, updates = envelope(body)
        keys = sorted({update_key(business_id, u, str(data.get("time"))) for u in updates})
    except UnprocessableEvent:
        return None
    if not keys:
        return None
    joined = ",".join(keys)
    if len(keys) == 1 and len(joined) <= 300:
        return joined
    return "yelp:" + hashlib.sha256(joined.encode()).hexdigest()


def routing_ids(body: bytes) -> frozenset[str]:
    try:
        return frozenset({envelope(body)[1]})
    except UnprocessableEvent:
        return frozenset()


def parse(body: bytes, *, business_id: str) -> ParsedDelivery:
    data, named, updates = envelope(body)
    if named != business_id:
        return ParsedDelivery(skipped=(f"a delivery for another Yelp business ({named[:40]})",))
    at = when(data.get("time"))
    messages: list[InboundMessage] = []
    statuses: list[DeliveryStatus] = []
    skipped: list[str] = []
    for update in updates:
        kind = opt_str(update, "event_type")
        if kind not in (NEW_REVIEW, REVIEW_EDITED, REVIEW_REMOVED):
            skipped.append(f"event type {str(kind)[:40]} is not handled")
            continue
        review_id = _id(update, "review_id", kind)
        if kind == REVIEW_REMOVED:
            statuses.append(DeliveryStatus(platform_message_id=review_id, status="deleted", at=at))
            continue
        user_id = opt_str(update, "user_id")
        language = opt_str(update, "language")
        # the delivery's rating is kept for reference only: the stars come from the fetched review
        extra = {"needs_fetch": True, "business_id": named, "review_id": review_id, "event_type": kind,
                 "language": language[:20] if language else None, "user_id": user_id,
                 "webhook_rating": stars(update.get("rating"))}
        edited = kind == REVIEW_EDITED
        messages.append(InboundMessage(
            # an edit is a new version of the review: its own message in the review's thread
            platform_message_id=f"{review_id}:edited:{at.isoformat()}" if edited else review_id,
            thread_key=review_id,
            visibility=Visibility.PUBLIC,
            author=Author(platform_user_id=user_id[:MAX_ID] if user_id else f"yelp-review:{review_id}"),
            text="",
            created_at=at,
            reply_to_platform_id=review_id if edited else None,
            thread_title=REVIEW_TITLE,
            extra={**extra, "edited": edited},
        ))
    return ParsedDelivery(messages=tuple(messages), statuses=tuple(statuses), skipped=tuple(skipped))
