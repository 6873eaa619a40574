"""The Tripadvisor connector: reviews read with the Content API (polled), management responses posted by hand.

Tripadvisor's Content API is read-only: ``GET /location/{locationId}/reviews?key=…&language=…`` answers the **5 most
recent reviews** of a location in one language, with no paging back and no "since" filter. There is no API for
management responses: Compris lets the agent write and guard-check the response, then the agent copies it, posts it
in Tripadvisor's Management Center (:meth:`TripAdvisorConnector.manual_send_url`) and confirms it in Compris
(:attr:`Connector.manual_public_replies`; the reply waits in the ``manual`` delivery state).
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from compris.connectors.base import (
    AccountContext,
    Author,
    Connector,
    ConnectorError,
    InboundMessage,
    Limits,
    OutboundMessage,
    ParsedDelivery,
    PolledEvent,
    PollResult,
    SendError,
    SendResult,
    UnprocessableEvent,
    Visibility,
    retry_after_seconds,
)

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.content.tripadvisor.com/api/v1"
DEFAULT_LANGUAGES = ("en", "fr")
#: the Content API's minimum interval between two polls of one location (minutes): each poll costs one call per
#: language, and the first 5,000 calls of a month are the free ones
DEFAULT_POLL_MINUTES = 15
#: review ids remembered between polls (the API only ever answers the 5 newest per language: far fewer come back)
SEEN_KEPT = 200
#: where owners answer reviews when the review's own page is unknown (Tripadvisor's owners' entry point: it opens the
#: Management Center of the signed-in owner's listing)
MANAGEMENT_CENTER_URL = "https://www.tripadvisor.com/Owners"
TIMEOUT = 15.0
MANUAL_ONLY = ("Tripadvisor has no API for management responses: copy the response, post it on Tripadvisor, "
               "then confirm it in Compris")


class TripAdvisorError(ConnectorError):
    """The Content API refused a call; ``retry_after`` is its wait hint (429)."""

    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.retry_after = retry_after


def languages_of(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """The ``languages`` setting (``"en,fr"``) as language codes, without duplicates; the default when empty."""
    raw = settings.get("languages")
    items = raw if isinstance(raw, list | tuple) else str(raw or "").replace(";", ",").split(",")
    found: list[str] = []
    for item in items:
        code = str(item).strip()
        if code and code not in found and len(code) <= 10 and all(c.isalnum() or c == "_" or c == "-" for c in code):
            found.append(code)
    return tuple(found) or DEFAULT_LANGUAGES


def _poll_minutes(settings: Mapping[str, Any]) -> float:
    """The ``poll_minutes`` setting: 0 polls at every slot of the runtime (each minute); empty: the default."""
    raw = settings.get("poll_minutes")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return DEFAULT_POLL_MINUTES
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return DEFAULT_POLL_MINUTES
    return DEFAULT_POLL_MINUTES if not math.isfinite(value) else min(max(value, 0.0), 24 * 60.0)


class TripAdvisorConnector(Connector):
    network: ClassVar[str] = "tripadvisor"
    display_name: ClassVar[str] = "Tripadvisor"
    aliases: ClassVar[tuple[str, ...]] = ("trip advisor",)
    reviews: ClassVar[bool] = True
    manual_public_replies: ClassVar[bool] = True
    private_messages: ClassVar[bool] = False  # no private conversation with a customer
    supports_polling: ClassVar[bool] = True
    #: management responses only (one per review, no private messages); Tripadvisor publishes no length limit for
    #: them in its guidelines, so none is enforced here
    limits: ClassVar[Limits] = Limits(public_attachments_reason="Tripadvisor management responses are text only",
                                      private_attachments_reason="Tripadvisor has no private messages")
    secret_fields: ClassVar[tuple[str, ...]] = ("api_key",)
    setting_fields: ClassVar[tuple[str, ...]] = ("languages", "poll_minutes")
    field_labels: ClassVar[Mapping[str, str]] = {
        "external_id": "Tripadvisor location id",
        "api_key": "Content API key",
        "languages": "Review languages",
        "poll_minutes": "Minutes between polls",
    }
    field_help: ClassVar[Mapping[str, str]] = {
        "external_id": "The number after \"-d\" in your listing's address on tripadvisor.com (…-g187147-d188150-… "
        "→ 188150). One Compris account per location.",
        "api_key": "Tripadvisor developer portal (tripadvisor.com/developers) → your Content API app → API key. "
        "Allow this server's IP address (or domain) for the key there, or every call is refused.",
        "languages": "Comma-separated language codes of the reviews to read, e.g. en,fr (default). Each language "
        "costs one API call per poll.",
        "poll_minutes": "Default 15 (0: every minute). The Content API gives only the 5 newest reviews per "
        "language: poll more often if more than 5 reviews in one language may arrive between two polls "
        "(each poll costs one call per language).",
    }

    # --- inbound -------------------------------------------------------------------------
    def _base(self, account: AccountContext) -> str:
        return str(account.settings.get("api_base") or DEFAULT_API_BASE).rstrip("/")

    def _get(self, account: AccountContext, client: httpx.Client, path: str, params: Mapping[str, str]) -> Any:
        """One Content API call. The key travels in the query string (the API's only way): never put the URL in an
        error message or a log."""
        key = account.secrets.get("api_key") or ""
        if not key:
            raise TripAdvisorError("no Content API key is set for this account")
        try:
            response = client.get(f"{self._base(account)}{path}", params={**params, "key": key},
                                  headers={"accept": "application/json"}, timeout=TIMEOUT)
        except httpx.HTTPError as exc:
            raise TripAdvisorError(f"Tripadvisor could not be reached ({type(exc).__name__})") from None
        if response.status_code >= 400:
            raise _error(response)
        try:
            return response.json()
        except ValueError:
            raise TripAdvisorError(f"Tripadvisor answered HTTP {response.status_code} with no JSON") from None

    def reviews_page(self, account: AccountContext, client: httpx.Client, language: str) -> list[dict[str, Any]]:
        """The newest reviews (at most 5) of the account's location in ``language``."""
        data = self._get(account, client, f"/location/{_location(account)}/reviews", {"language": language})
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise TripAdvisorError("Tripadvisor's review list has no data")
        return [item for item in items if isinstance(item, dict)]

    def poll(self, account: AccountContext, state: Mapping[str, Any], *, wait: float = 0.0,
             interrupted: Callable[[], bool] | None = None, client: httpx.Client | None = None) -> PollResult:
        """The reviews not seen before, one event per review (event id ``review:<id>``).

        ``state`` is ``{"seen": {review id: published date}, "polled_at": iso}``: a review already seen is not
        fetched again, and the state is saved only after the events are stored (a restart re-fetches, the storage
        de-duplicates by event id). The API gives only the 5 newest reviews per language: when none of them was
        seen before and the oldest is newer than everything seen, reviews may have been missed between two polls
        (logged, and counted in ``state["possible_gaps"]``)."""
        moment = datetime.now(UTC)
        last = _parse_time(state.get("polled_at")) if state.get("polled_at") else None
        if last is not None and moment - last < timedelta(minutes=_poll_minutes(account.settings)):
            return PollResult(events=(), state=dict(state))
        owned = client is None
        http = client or httpx.Client()
        try:
            pages = {lang: self.reviews_page(account, http, lang) for lang in languages_of(account.settings)}
        finally:
            if owned:
                http.close()
        raw_seen = state.get("seen")
        seen: dict[str, str] = ({str(k): str(v) for k, v in raw_seen.items()} if isinstance(raw_seen, dict) else {})
        newest_seen = max(seen.values(), default="")
        gaps = dict(state.get("possible_gaps") or {}) if isinstance(state.get("possible_gaps"), dict) else {}
        events: list[PolledEvent] = []
        for lang, reviews in pages.items():
            ids = [_review_id(r) for r in reviews]
            fresh = [(rid, r) for rid, r in zip(ids, reviews, strict=True) if rid and rid not in seen]
            dates = [str(r.get("published_date") or "") for r in reviews]
            if (seen and len(reviews) >= 5 and len(fresh) == len(reviews)
                    and newest_seen and min(_sortable(d) for d in dates) > _sortable(newest_seen)):
                log.warning("tripadvisor location %s (%s): the 5 newest reviews are all new — older ones may have "
                            "been missed since the last poll", account.external_id, lang)
                gaps[lang] = int(gaps.get(lang) or 0) + 1
            for rid, review in fresh:
                body = json.dumps({"location_id": account.external_id, "language": lang, "review": review},
                                  ensure_ascii=False, sort_keys=True).encode("utf-8")
                events.append(PolledEvent(event_id=f"review:{rid}", body=body))
                seen[rid] = str(review.get("published_date") or "")
        kept = dict(sorted(seen.items(), key=lambda item: _sortable(item[1]), reverse=True)[:SEEN_KEPT])
        new_state: dict[str, Any] = {"seen": kept, "polled_at": moment.isoformat()}
        if gaps:
            new_state["possible_gaps"] = gaps
        return PollResult(events=tuple(events), state=new_state)

    def parse(self, account: AccountContext, body: bytes) -> ParsedDelivery:
        try:
            envelope = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise UnprocessableEvent("not JSON") from None
        if not isinstance(envelope, dict) or not isinstance(envelope.get("review"), dict):
            raise UnprocessableEvent("no review in this event")
        review: dict[str, Any] = envelope["review"]
        location = _text(review.get("location_id")) or _text(envelope.get("location_id"))
        if location and account.external_id and location != account.external_id:
            return ParsedDelivery(skipped=(f"review of another location ({location[:40]})",))
        return ParsedDelivery(messages=(review_message(review),))

    # --- outbound ------------------------------------------------------------------------
    def manual_send_url(self, account: AccountContext, message: OutboundMessage) -> str | None:
        """The review's own page on Tripadvisor (from the Content API's ``url``), where a signed-in owner of the
        listing finds the "respond" link; the Management Center's entry point when the review's address is
        unknown. Tripadvisor documents no deep link to the response form of one review."""
        url = message.extra.get("review_url")
        if isinstance(url, str) and _tripadvisor_url(url):
            return url
        return MANAGEMENT_CENTER_URL

    def send(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult:
        """Never called for a public reply (it waits in the ``manual`` state); refuses anything it is given."""
        if message.visibility is Visibility.PUBLIC:
            raise SendError(MANUAL_ONLY, retryable=False)
        raise SendError("Tripadvisor has no private messages", retryable=False)

    def check_connection(self, account: AccountContext, client: httpx.Client) -> str:
        """The location's details (``GET /location/{id}/details``): proves the key and the location id."""
        data = self._get(account, client, f"/location/{_location(account)}/details", {"language": "en"})
        if not isinstance(data, dict):
            raise TripAdvisorError("Tripadvisor's location details are not an object")
        name = _text(data.get("name")) or "?"
        reviews = _text(data.get("num_reviews"))
        rating = _text(data.get("rating"))
        facts = ", ".join(x for x in (f"{reviews} reviews" if reviews else "",
                                      f"rated {rating}" if rating else "") if x)
        return f"location {account.external_id}: {name}" + (f" ({facts})" if facts else "")


def _location(account: AccountContext) -> str:
    location = account.external_id.strip()
    if not location.isascii() or not location.isdigit():
        raise TripAdvisorError("the Tripadvisor location id is a number (the digits after \"-d\" in the listing's "
                               "address)")
    return location


def _error(response: httpx.Response) -> TripAdvisorError:
    """The Content API's refusal as a sentence (the key never appears: only the status and the API's message)."""
    message = ""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        inner = data.get("error")
        error: Mapping[str, Any] = inner if isinstance(inner, dict) else data
        message = _text(error.get("message") or error.get("Message")) or ""
    message = message[:300]
    status = response.status_code
    if status == 401:
        reason = "Tripadvisor refused the Content API key (HTTP 401): check the key on the developer portal"
    elif status == 403:
        reason = ("Tripadvisor refused the call (HTTP 403): the key is not allowed from this server (allow its IP "
                  "address or domain for the key on the developer portal), or was revoked")
    elif status == 404:
        reason = "Tripadvisor knows no such location (HTTP 404): check the location id"
    elif status == 429:
        reason = "Tripadvisor's rate limit or daily budget is reached (HTTP 429): the next poll tries again"
    elif status == 400:
        reason = "Tripadvisor refused the request (HTTP 400): check the location id and the languages"
    else:
        reason = f"Tripadvisor answered HTTP {status}"
    if message:
        reason = f"{reason} — {message}"
    retry_after = retry_after_seconds(dict(response.headers), datetime.now(UTC)) if status == 429 else None
    return TripAdvisorError(reason, status=status, retry_after=retry_after)


def review_message(review: Mapping[str, Any]) -> InboundMessage:
    """One Content API review as a public customer message opening its own thread (a review is its own thread)."""
    review_id = _review_id(review)
    if not review_id:
        raise UnprocessableEvent("review without an id")
    raw_user = review.get("user")
    user: Mapping[str, Any] = raw_user if isinstance(raw_user, dict) else {}
    username = _text(user.get("username"))
    user_id = _text(user.get("user_id")) or _text(user.get("member_id"))
    author = Author(
        platform_user_id=user_id or (f"username:{username}" if username else f"review:{review_id}"),
        handle=username,
        name=username,
        avatar_url=_avatar(user.get("avatar")),
    )
    title = _text(review.get("title"))
    text = _text(review.get("text")) or title or ""
    url = _text(review.get("url"))
    url = url if url and _tripadvisor_url(url) else None
    extra: dict[str, Any] = {"source": "tripadvisor_review", "review_id": review_id}
    for key in ("lang", "location_id", "trip_type", "travel_date"):
        value = _text(review.get(key))
        if value:
            extra[key] = value[:200]
    votes = _number(review.get("helpful_votes"))
    if votes is not None:
        extra["helpful_votes"] = int(votes)
    if isinstance(review.get("is_machine_translated"), bool):
        extra["machine_translated"] = review["is_machine_translated"]
    raw_place = user.get("user_location")
    place: Mapping[str, Any] = raw_place if isinstance(raw_place, dict) else {}
    if _text(place.get("name")):
        extra["reviewer_location"] = _text(place.get("name"))
    subratings = _subratings(review.get("subratings"))
    if subratings:
        extra["subratings"] = subratings
    if url:
        extra["review_url"] = url
    if isinstance(review.get("owner_response"), dict):  # already answered on Tripadvisor
        extra["owner_response"] = True
    return InboundMessage(
        platform_message_id=review_id,
        thread_key=review_id,
        visibility=Visibility.PUBLIC,
        author=author,
        text=text,
        created_at=_parse_time(review.get("published_date")) or datetime.now(UTC),
        thread_title=title,
        permalink=url,
        extra=extra,
        rating=_stars(review.get("rating")),
    )


def _review_id(review: Mapping[str, Any]) -> str | None:
    value = review.get("id")
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    return text if text and len(text) <= 64 and text.isascii() and text.isalnum() else None


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and math.isfinite(value):
        return str(value)
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _stars(value: Any) -> int | None:
    """Tripadvisor's bubbles (1-5) as stars; anything else: no rating."""
    number = _number(value)
    if number is None or not 1 <= number <= 5:
        return None
    return round(number)


def _subratings(value: Any) -> dict[str, float]:
    """``{"0": {"name": "RATE_VALUE", "localized_name": "Value", "value": 4}, …}`` → ``{"Value": 4.0}``."""
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    found: dict[str, float] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        name = _text(item.get("localized_name")) or _text(item.get("name"))
        number = _number(item.get("value"))
        if name and number is not None:
            found[name[:60]] = number
    return found


def _avatar(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    for size in ("small", "thumbnail", "medium", "large", "original"):
        url = _text(value.get(size))
        if url and url.startswith("https://"):
            return url
    return None


def _tripadvisor_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and _TRIPADVISOR_HOST.fullmatch(host) is not None


#: tripadvisor.com and its country sites (tripadvisor.fr, tripadvisor.co.uk, tripadvisor.com.au, www. …)
_TRIPADVISOR_HOST = re.compile(r"(?:[a-z0-9-]+\.)*tripadvisor\.(?:com|[a-z]{2}|co\.[a-z]{2}|com\.[a-z]{2})")


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _sortable(value: str) -> str:
    """A published date as a string that sorts in time order (UTC ISO); unparsable dates sort first."""
    moment = _parse_time(value)
    return moment.astimezone(UTC).isoformat() if moment is not None else ""
