"""Google reviews (Business Profile): new reviews by Cloud Pub/Sub push (verified JWT) with a polling fallback over
``accounts.locations.reviews.list``; public replies with ``PUT …/reviews/{id}/reply`` (an upsert)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar

import httpx

from compris.connectors import googleauth
from compris.connectors.base import (
    AccountContext,
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
    SignatureError,
    UnprocessableEvent,
    Visibility,
    WebhookRequest,
)
from compris.connectors.choices import refuse_public
from compris.connectors.google import pubsub, reviews
from compris.connectors.wire import from_iso, load_object, opt_str

#: ``ReviewReply.comment``: "The maximum length is 4096 bytes" (UTF-8): the guard counts characters, and
#: :meth:`GoogleReviewsConnector.send` refuses a text over 4,096 bytes (accented or non-Latin text is shorter)
MAX_REPLY_BYTES = 4096
PAGE_SIZE = 50  # the largest page reviews.list gives
MAX_PAGES_PER_POLL = 5
DEFAULT_INITIAL_FETCH = 20
REVIEW_NOTIFICATIONS = frozenset({"NEW_REVIEW", "UPDATED_REVIEW"})


def _first(data: Mapping[str, Any], *keys: str) -> str | None:
    """The notification's field under any of the spellings Google's documents use (``review``, ``reviewName``,
    ``review_name``...)."""
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return None


class GoogleReviewsConnector(Connector):
    network: ClassVar[str] = "google"
    display_name: ClassVar[str] = "Google reviews"
    aliases: ClassVar[tuple[str, ...]] = ("google business profile", "google my business", "gbp")
    reviews: ClassVar[bool] = True
    private_messages: ClassVar[bool] = False  # no private conversation with a customer
    limits: ClassVar[Limits] = Limits(
        public_max_length=MAX_REPLY_BYTES,
        public_attachments_reason="a reply to a Google review is text only",
        private_attachments_reason="Google reviews have no private messages",
    )
    can_start_private: ClassVar[bool] = False
    #: the reply is ``PUT …/reviews/{id}/reply``: an upsert of the review's one reply, so sending the same reply
    #: twice (a retry after a crash mid-send) leaves one reply with that text on Google
    supports_idempotency: ClassVar[bool] = True
    #: nothing to look up: an interrupted reply is sent again as the same ``PUT`` (see :meth:`idempotent`)
    can_find_sent: ClassVar[bool] = False
    supports_polling: ClassVar[bool] = True
    secret_fields: ClassVar[tuple[str, ...]] = googleauth.SECRET_FIELDS
    optional_fields: ClassVar[tuple[str, ...]] = googleauth.OPTIONAL_FIELDS
    setting_fields: ClassVar[tuple[str, ...]] = (
        "client_id", "location_title", "push_audience", "push_service_account", "poll_minutes",
        "initial_fetch_limit", "api_base", "token_url", "jwks_url",
    )
    field_labels: ClassVar[Mapping[str, str]] = {
        **googleauth.FIELD_LABELS,
        "external_id": "Location (accounts/…/locations/…)",
        "location_title": "Location name",
        "push_audience": "Push audience",
        "push_service_account": "Push service account",
        "poll_minutes": "Check for reviews every (minutes)",
        "initial_fetch_limit": "Reviews taken at first",
        "api_base": "API address",
        "jwks_url": "Google's signing keys",
    }
    field_help: ClassVar[Mapping[str, str]] = {
        **googleauth.FIELD_HELP,
        "refresh_token": "Obtained once by signing in with a Google account that manages this location and granting "
                         "the https://www.googleapis.com/auth/business.manage scope (offline access); Compris "
                         "renews the hour-long access tokens with it.",
        "external_id": "The location's resource name, accounts/{account id}/locations/{location id}: the account id "
                       "from accounts.list, the location id from the Business Information API's locations.list "
                       "(or the Business Profile Manager's advanced settings).",
        "location_title": "Shown in the threads' titles (\"Review of …\") and as the author of the replies.",
        "push_audience": "The audience set on the Pub/Sub push subscription's authentication (Pub/Sub uses the "
                         "push endpoint URL when none is set). Leave empty to receive reviews by polling only.",
        "push_service_account": "The service account e-mail the push subscription authenticates as "
                                "(…@….iam.gserviceaccount.com).",
        "poll_minutes": "1 by default: Compris lists the newest reviews this often (a safety net behind Pub/Sub "
                        "push, or the only way in without it). 0: never poll (push only).",
        "initial_fetch_limit": "On the first check only the newest reviews are taken (20 by default).",
        "api_base": "Leave empty for https://mybusiness.googleapis.com.",
        "jwks_url": "Leave empty for https://www.googleapis.com/oauth2/v3/certs.",
    }

    # --- inbound: Pub/Sub push ----------------------------------------------------------------
    def verify(self, account: AccountContext, request: WebhookRequest) -> None:
        if request.method.upper() != "POST":
            raise SignatureError("Pub/Sub pushes are POST requests", 405)
        audience = str(account.settings.get("push_audience") or "").strip()
        service_account = str(account.settings.get("push_service_account") or "").strip()
        if not audience or not service_account:
            raise SignatureError("Pub/Sub push is not set up on this account: set the push audience and the push "
                                 "service account", 403)
        pubsub.verify_push_token(
            {k.lower(): v for k, v in request.headers.items()}, audience=audience, service_account=service_account,
            jwks_url=str(account.settings.get("jwks_url") or pubsub.GOOGLE_JWKS_URL))

    def event_id(self, account: AccountContext, request: WebhookRequest) -> str:
        found = pubsub.message_id(request.body)
        return f"pubsub:{found}" if found else super().event_id(account, request)

    def routing_ids(self, body: bytes) -> frozenset[str]:
        """The location a notification names: one push subscription may serve every location account of the
        workspace (each verifies the token with its own settings and keeps only its own reviews)."""
        try:
            data = pubsub.read_push(body).data
        except UnprocessableEvent:
            return frozenset()
        review = _first(data, "review", "reviewName", "review_name")
        location = _first(data, "location", "locationName", "location_name") or (
            reviews.location_of(review) if review else None)
        return frozenset({location}) if location and reviews.LOCATION_NAME.match(location) else frozenset()

    def parse(self, account: AccountContext, body: bytes) -> ParsedDelivery:
        data = load_object(body)
        if "message" in data:
            return self._parse_push(account, body)
        review = reviews.review_of(data)  # a polled (or fetched) review
        if reviews.location_of(opt_str(review, "name") or "") not in (None, account.external_id):
            return ParsedDelivery(skipped=("a review of another location",))
        return ParsedDelivery(messages=reviews.review_messages(account, review))

    def _parse_push(self, account: AccountContext, body: bytes) -> ParsedDelivery:
        push = pubsub.read_push(body)
        kind = _first(push.data, "type", "notificationType") or ""
        if kind not in REVIEW_NOTIFICATIONS:
            return ParsedDelivery(skipped=(f"notification {kind[:40] or '(no type)'} is not about a review",))
        name = _first(push.data, "review", "reviewName", "review_name") or ""
        location = reviews.location_of(name)
        if location is None:
            raise UnprocessableEvent("the notification names no review (accounts/…/locations/…/reviews/…)")
        if location != account.external_id:
            return ParsedDelivery(skipped=(f"a review of another location ({location[:120]})",))
        return ParsedDelivery(messages=(reviews.pending_message(account, name, kind, push.message_id,
                                                                push.publish_time),))

    def needs_enrichment(self, message: InboundMessage) -> bool:
        return message.extra.get("pending") is True

    def enrich(self, account: AccountContext, message: InboundMessage, client: httpx.Client) -> InboundMessage:
        """Fetch the review a notification names (``GET /v4/{review name}``). An expired access token is renewed
        for this call only (the renewed token is not stored from here: the next poll or send stores its own)."""
        name = str(message.extra.get("review_name") or "")
        try:
            review = self._call(account, client, "GET", f"{reviews.api_base(account)}/v4/{name}")[0]
        except SendError as exc:
            raise ConnectorError(f"fetching the review failed: {exc.reason}") from None
        if not isinstance(review, dict) or review.get("name") != name:
            raise ConnectorError("Google answered the review fetch with another review or none")
        try:
            found = reviews.review_messages(account, review)
        except UnprocessableEvent as exc:
            raise ConnectorError(f"the fetched review is not understood: {exc}") from None
        return found[0]  # an existing reply is recorded when the poll sees the review

    # --- access token --------------------------------------------------------------------------
    def refresh_credentials(self, account: AccountContext, client: httpx.Client) -> Mapping[str, str] | None:
        return googleauth.refresh_access_token(account, client, network=self.display_name)

    def _call(self, account: AccountContext, client: httpx.Client, method: str, url: str, *,
              body: Mapping[str, Any] | None = None, params: Mapping[str, str | int] | None = None,
              ) -> tuple[dict[str, Any], Mapping[str, str] | None]:
        """One API call with the account's access token; without one, or when Google refuses it (401), the
        token is renewed with the refresh token and the call made once more. Returns the answer and the renewed
        secrets (None when the stored token served)."""
        token = account.secrets.get("access_token", "")
        renewed: Mapping[str, str] | None = None
        if not token:
            renewed = self._renew(account, client)
            token = renewed["access_token"]
        try:
            return reviews.request(client, method, url, token=token, body=body, params=params), renewed
        except SendError as exc:
            if not exc.unauthorized or renewed is not None:
                raise
        renewed = self._renew(account, client)
        return reviews.request(client, method, url, token=renewed["access_token"], body=body, params=params), renewed

    def _renew(self, account: AccountContext, client: httpx.Client) -> Mapping[str, str]:
        try:
            return googleauth.refresh_access_token(account, client, network=self.display_name)
        except ConnectorError as exc:
            raise SendError(str(exc), retryable=False) from None

    # --- inbound: polling ------------------------------------------------------------------------
    def poll(self, account: AccountContext, state: Mapping[str, Any], *, wait: float = 0.0,
             interrupted: Callable[[], bool] | None = None, client: httpx.Client | None = None) -> PollResult:
        """The reviews updated since the last poll, newest first (``reviews.list`` ordered by ``updateTime desc``).

        ``state``: ``since`` (the newest ``updateTime`` taken, ISO), ``walk`` (a walk through older pages that one
        poll did not finish: the next page's token and the newest time of the walk), ``at`` (when it last
        listed). Reviews updated at or after ``since`` are taken (the one at ``since`` again each time: its event
        id, name + updateTime, makes it a duplicate the store drops), so a crash before the state is saved
        fetches the same events again and nothing is missed. ``since`` moves on only when a walk reached it.
        An edited review has a new ``updateTime``: a new event."""
        minutes = _number(account.settings.get("poll_minutes"), 1.0)
        now = time.time()
        if minutes <= 0 or (not state.get("walk") and isinstance(state.get("at"), int | float)
                            and now - float(state["at"]) < minutes * 60 - 5):
            return PollResult(events=(), state=dict(state))
        if client is None:
            with httpx.Client(timeout=10.0) as own:
                return self._poll(account, state, own, now)
        return self._poll(account, state, client, now)

    def _poll(self, account: AccountContext, state: Mapping[str, Any], client: httpx.Client,
              now: float) -> PollResult:
        if not reviews.LOCATION_NAME.match(account.external_id):
            raise ConnectorError("the account's location must be accounts/{account id}/locations/{location id}")
        since = _time(state.get("since"))
        walk = state.get("walk") if isinstance(state.get("walk"), dict) else None
        token = str(walk.get("token") or "") if walk else ""
        newest = _time(walk.get("newest")) if walk else None
        initial = int(_number(account.settings.get("initial_fetch_limit"), DEFAULT_INITIAL_FETCH))
        url = f"{reviews.api_base(account)}/v4/{account.external_id}/reviews"
        events: list[PolledEvent] = []
        renewed: dict[str, str] = {}
        done = False
        for _ in range(MAX_PAGES_PER_POLL):
            params: dict[str, str | int] = {"pageSize": PAGE_SIZE, "orderBy": "updateTime desc"}
            if token:
                params["pageToken"] = token
            try:
                page, fresh = self._call(_with(account, renewed), client, "GET", url, params=params)
            except SendError as exc:
                if token and "INVALID_ARGUMENT" in exc.reason:  # an expired page token: walk again from the top
                    token, newest = "", None
                    continue
                raise ConnectorError(f"listing the reviews failed: {exc.reason}") from None
            renewed.update(fresh or {})
            found = page.get("reviews")
            for review in found if isinstance(found, list) else []:
                if not isinstance(review, dict) or not isinstance(review.get("name"), str):
                    continue
                when = _time(review.get("updateTime") or review.get("createTime"))
                if when is None:
                    continue
                if since is not None and when < since:
                    done = True
                    break
                newest = max(newest, when) if newest else when
                if since is None and len(events) >= initial:  # the first poll takes only the newest reviews
                    done = True
                    break
                stamp = str(review.get("updateTime") or review.get("createTime"))
                events.append(PolledEvent(event_id=f"review:{review['name']}@{stamp}",
                                          body=json.dumps({"review": review}, ensure_ascii=False).encode()))
            next_token = page.get("nextPageToken")
            token = next_token if isinstance(next_token, str) else ""
            if done or not token:
                done = True
                break
        if done:
            newest_seen = max(t for t in (newest, since) if t is not None) if (newest or since) else None
            new_state: dict[str, Any] = {"since": newest_seen.isoformat() if newest_seen else None, "at": now}
        else:  # more pages to go: the next poll goes on from here, ``since`` stays until the walk reaches it
            new_state = {"since": since.isoformat() if since else None, "at": now,
                         "walk": {"token": token, "newest": newest.isoformat() if newest else None}}
        return PollResult(events=tuple(events), state=new_state, secrets=renewed or None)

    # --- outbound --------------------------------------------------------------------------------
    def send(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult:
        refuse_public(message, self.display_name)
        if message.visibility is not Visibility.PUBLIC:
            raise SendError("Google reviews have no private messages: only a public reply to the review can be "
                            "sent", retryable=False)
        if message.attachments:
            raise SendError("a reply to a Google review is text only", retryable=False)
        name = self._review_name(account, message.thread_key)
        text = message.text.strip()
        if not text:
            raise SendError("a reply to a Google review needs text", retryable=False)
        size = len(text.encode("utf-8"))
        if size > MAX_REPLY_BYTES:
            raise SendError(f"Google takes replies of at most {MAX_REPLY_BYTES} bytes; this one has {size} (accented "
                            "and non-Latin letters count two or more): shorten it", retryable=False)
        reply = self._send_call(account, client, "PUT", f"{reviews.api_base(account)}/v4/{name}/reply",
                                body={"comment": text})
        stamp = reply.get("updateTime")
        platform_id = reviews.reply_message_id(name, stamp) if isinstance(stamp, str) and stamp else \
            f"{name}/reply@sent:{message.idempotency_key}"
        return SendResult(platform_message_id=platform_id, thread_key=name)

    def delete_reply(self, account: AccountContext, review_name: str, client: httpx.Client) -> str:
        """Remove the business's reply to a review (``DELETE …/reviews/{id}/reply``); returns a short note.

        No screen of Compris calls it yet: see docs/channels/google.md ("Deleting a reply")."""
        name = self._review_name(account, review_name)
        try:
            self._send_call(account, client, "DELETE", f"{reviews.api_base(account)}/v4/{name}/reply")
        except SendError as exc:
            if "404" in exc.reason:
                return "the review has no reply (or no longer exists)"
            raise
        return "reply deleted"

    def _send_call(self, account: AccountContext, client: httpx.Client, method: str, url: str, *,
                   body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Sends use the stored token as is: a 401 goes back to the send job (``unauthorized``), which renews the
        token, stores it and sends again. Without any stored token, the job is asked to renew first."""
        token = account.secrets.get("access_token", "")
        if not token:
            raise SendError("no access token yet: it is obtained with the refresh token", retryable=False,
                            unauthorized=True)
        return reviews.request(client, method, url, token=token, body=body)

    def _review_name(self, account: AccountContext, name: str) -> str:
        location = reviews.location_of(name)
        if location is None:
            raise SendError("this thread is not a Google review (accounts/…/locations/…/reviews/…)", retryable=False)
        if location != account.external_id:
            raise SendError("this review belongs to another location than the account's", retryable=False)
        return name

    def check_connection(self, account: AccountContext, client: httpx.Client) -> str:
        if not reviews.LOCATION_NAME.match(account.external_id):
            raise ConnectorError("the location must be accounts/{account id}/locations/{location id}")
        try:
            data, _ = self._call(account, client, "GET",
                                 f"{reviews.api_base(account)}/v4/{account.external_id}/reviews",
                                 params={"pageSize": 1})
        except SendError as exc:
            raise ConnectorError(exc.reason) from None
        total = data.get("totalReviewCount", 0)
        average = data.get("averageRating")
        rating = f", average {average}" if isinstance(average, int | float) else ""
        return f"connected to {account.external_id}: {total} reviews{rating}"


def _with(account: AccountContext, renewed: Mapping[str, str]) -> AccountContext:
    if not renewed:
        return account
    from dataclasses import replace

    return replace(account, secrets={**account.secrets, **renewed})


def _number(value: Any, default: float) -> float:
    try:
        return float(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return from_iso(value, "time")
    except UnprocessableEvent:
        return None
