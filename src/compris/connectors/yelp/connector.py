"""The Yelp connector: partner review webhooks in (each review fetched with our own key), public responses out
through the Respond to Reviews (R2R) partner API."""

from __future__ import annotations

import dataclasses
import hmac
import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

import httpx
import regex  # type: ignore[import-untyped]

from compris.connectors.base import (
    AccountContext,
    Author,
    Connector,
    ConnectorError,
    InboundMessage,
    Limits,
    OutboundMessage,
    ParsedDelivery,
    SendError,
    SendResult,
    SignatureError,
    Visibility,
    WebhookRequest,
    WebhookResponse,
    WindowStatus,
)
from compris.connectors.choices import refuse_public
from compris.connectors.yelp import inbound, outbound

DEFAULT_API_BASE = "https://api.yelp.com"
DEFAULT_PARTNER_API_BASE = "https://partner-api.yelp.com"
#: R2R: "response_text … exceeds 5K characters" is refused (R2R_INVALID_RESPONSE_TEXT)
MAX_RESPONSE = 5000
DAILY_RESPONSES = 20
#: the reviews fetched to find the one a webhook names (newest first)
REVIEWS_PAGE = 50
#: Yelp's verification string is "alphanumeric English characters": anything else is not echoed
VERIFICATION = re.compile(r"[A-Za-z0-9_\-]{1,512}")
#: the webhook's language (ISO 639-1) → the locale of Yelp's reviews endpoint, which returns only the reviews
#: written in its locale's language (default en_US)
LOCALES = {"en": "en_US", "fr": "fr_FR", "de": "de_DE", "es": "es_ES", "it": "it_IT", "nl": "nl_NL",
           "pt": "pt_PT", "ja": "ja_JP", "zh": "zh_HK", "sv": "sv_SE", "da": "da_DK", "nb": "nb_NO",
           "no": "nb_NO", "fi": "fi_FI", "pl": "pl_PL", "tr": "tr_TR", "cs": "cs_CZ"}

NO_PRIVATE = ("Yelp's Respond to Reviews API posts public comments only: Compris cannot answer a reviewer "
              "privately on Yelp (use Yelp for Business, or another channel the customer gave you)")
NO_EMOJI = ("Yelp does not accept emoji in review responses: remove them and send again")
TEXT_ONLY = "Yelp review responses are text only"

_EMOJI = regex.compile(r"\p{Emoji_Presentation}|\p{Regional_Indicator}|\p{Extended_Pictographic}\uFE0F")


def has_emoji(text: str) -> bool:
    """Whether ``text`` holds an emoji Yelp would refuse: a pictograph shown as emoji (by default or with the
    emoji variation selector), a flag, or any pictograph outside the Basic Multilingual Plane."""
    if _EMOJI.search(text):
        return True
    return any(ord(c) > 0xFFFF and regex.match(r"\p{Extended_Pictographic}", c) for c in text)


class YelpConnector(Connector):
    network: ClassVar[str] = "yelp"
    display_name: ClassVar[str] = "Yelp"
    aliases: ClassVar[tuple[str, ...]] = ()
    reviews: ClassVar[bool] = True
    private_messages: ClassVar[bool] = False  # no private conversation with a customer
    limits: ClassVar[Limits] = Limits(public_max_length=MAX_RESPONSE, emoji=False,
                                      daily_public_replies=DAILY_RESPONSES,
                                      public_attachments_reason=TEXT_ONLY,
                                      private_attachments_reason=NO_PRIVATE)
    secret_fields: ClassVar[tuple[str, ...]] = ("api_key", "access_token", "refresh_token", "client_secret",
                                                "webhook_secret")
    setting_fields: ClassVar[tuple[str, ...]] = ("client_id", "api_base", "partner_api_base")
    optional_fields: ClassVar[tuple[str, ...]] = ("refresh_token", "client_secret")
    generated_fields: ClassVar[tuple[str, ...]] = ("webhook_secret",)
    #: no idempotency key in the R2R API: a repeated POST may post (or replace) the response again
    supports_idempotency: ClassVar[bool] = False
    #: the APIs open to us show no business response on a review (the reviews endpoint gives its text, rating,
    #: author and link only): after an ambiguous send the response is marked uncertain for a person
    can_find_sent: ClassVar[bool] = False
    field_labels: ClassVar[Mapping[str, str]] = {
        "external_id": "Yelp business id",
        "api_key": "Yelp Places API key",
        "access_token": "Business user access token (Respond to Reviews)",
        "refresh_token": "Refresh token (Respond to Reviews)",
        "client_secret": "Yelp app client secret",
        "webhook_secret": "Webhook URL secret",
        "client_id": "Yelp app client id",
        "api_base": "Yelp API address",
        "partner_api_base": "Yelp partner API address",
    }
    field_help: ClassVar[Mapping[str, str]] = {
        "external_id": "The 22-character id of the location on Yelp (data.id in Yelp's webhooks; the business "
        "subscriptions API lists them), not its alias from the page address.",
        "api_key": "Yelp Developers → Manage App → API Key (the app Yelp enabled for partner access). Used to read "
        "the full text of each review Yelp's webhook announces.",
        "access_token": "The token Yelp issues for the business owner through the OAuth authorization code "
        "workflow of the Respond to Reviews API (valid 7 days). Posts the public responses.",
        "refresh_token": "Issued with the access token (valid 365 days). With the client id and secret, Compris "
        "renews the access token by itself when Yelp refuses it.",
        "client_secret": "Yelp Developers → Manage App → Client secret; needed only to renew the access token.",
        "webhook_secret": "Leave empty: Compris makes one. Give Yelp the webhook URL followed by "
        "?secret= and this value; use the same secret on every Yelp location of this workspace, since "
        "Yelp sends the webhooks of all your locations to one URL.",
        "client_id": "Yelp Developers → Manage App → Client ID (the one you gave Yelp to set up webhooks).",
        "api_base": "Leave empty for https://api.yelp.com.",
        "partner_api_base": "Leave empty for https://partner-api.yelp.com.",
    }

    # --- inbound -------------------------------------------------------------------------
    def _secret_matches(self, account: AccountContext, request: WebhookRequest) -> None:
        expected = account.secrets.get("webhook_secret")
        if not expected:
            raise SignatureError("no webhook secret is configured for this Yelp account", 403)
        given = request.query.get("secret", "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise SignatureError("the webhook URL's secret is missing or wrong", 403)

    def handshake(self, account: AccountContext, request: WebhookRequest) -> WebhookResponse | None:
        """Yelp's verification: ``GET <url>?verification=<string>``, answered 200 with the string echoed as
        ``{"verification": "<string>"}`` — only when the URL carries this account's secret."""
        value = request.query.get("verification")
        if request.method.upper() != "GET" or value is None:
            return None
        try:
            self._secret_matches(account, request)
        except SignatureError as exc:
            return WebhookResponse(exc.status_code, json.dumps({"error": exc.reason}).encode())
        if not VERIFICATION.fullmatch(value):
            return WebhookResponse(400, b'{"error":"the verification string is not alphanumeric"}')
        return WebhookResponse(200, json.dumps({"verification": value}).encode())

    def verify(self, account: AccountContext, request: WebhookRequest) -> None:
        """Yelp does not sign its webhooks: a delivery is accepted when the URL carries the account's secret.
        Nothing it says is trusted beyond the review ids it names (the review is fetched with our key)."""
        if request.method.upper() != "POST":
            raise SignatureError("Yelp deliveries are POST requests", 405)
        self._secret_matches(account, request)

    def event_id(self, account: AccountContext, request: WebhookRequest) -> str:
        return inbound.event_id(request.body) or super().event_id(account, request)

    def routing_ids(self, body: bytes) -> frozenset[str]:
        """Yelp posts the webhooks of every subscribed location to the one URL registered for the partner."""
        return inbound.routing_ids(body)

    def parse(self, account: AccountContext, body: bytes) -> ParsedDelivery:
        return inbound.parse(body, business_id=account.external_id)

    def needs_enrichment(self, message: InboundMessage) -> bool:
        return message.extra.get("needs_fetch") is True

    def enrich(self, account: AccountContext, message: InboundMessage, client: httpx.Client) -> InboundMessage:
        """Fetch the review's text, rating, author and link from ``GET /v3/businesses/{id}/reviews`` (newest
        first, in the review's language) with the account's API key."""
        if not self.needs_enrichment(message):
            return message
        review_id = str(message.extra.get("review_id") or message.thread_key)
        business_id = str(message.extra.get("business_id") or account.external_id)
        api_key = account.secrets.get("api_key")
        if not api_key:
            raise ConnectorError("no Yelp API key is configured: the review's text cannot be fetched")
        params = {"limit": str(REVIEWS_PAGE), "sort_by": "newest"}
        locale = LOCALES.get(str(message.extra.get("language") or "").split("_")[0].split("-")[0].lower())
        if locale:
            params["locale"] = locale
        data = outbound.request(client, "GET", f"{self._base(account)}/v3/businesses/{quote(business_id, safe='')}"
                                "/reviews", token=api_key, params=params)
        reviews = data.get("reviews") if isinstance(data, dict) else None
        found = next((r for r in reviews if isinstance(r, dict) and r.get("id") == review_id), None) \
            if isinstance(reviews, list) else None
        if found is None:
            raise ConnectorError(f"Yelp did not list review {review_id[:40]} among the business's newest reviews")
        return self._completed(message, found)

    @staticmethod
    def _completed(message: InboundMessage, review: Mapping[str, Any]) -> InboundMessage:
        user = review.get("user") if isinstance(review.get("user"), dict) else {}
        assert isinstance(user, dict)

        def text_of(value: object) -> str | None:
            return value if isinstance(value, str) and value else None

        author = Author(
            platform_user_id=(text_of(user.get("id")) or message.author.platform_user_id)[:200],
            name=(text_of(user.get("name")) or "")[:200] or None,
            avatar_url=text_of(user.get("image_url")),
        )
        rating = inbound.stars(review.get("rating"))
        extra = {**message.extra, "needs_fetch": False}
        if text_of(review.get("time_created")):
            extra["time_created"] = str(review["time_created"])[:40]  # the business's local time, no zone
        if text_of(user.get("profile_url")):
            extra["profile_url"] = str(user["profile_url"])
        return dataclasses.replace(message, text=text_of(review.get("text")) or "", author=author,
                                   rating=rating if rating is not None else message.rating,
                                   permalink=text_of(review.get("url")) or message.permalink, extra=extra)

    # --- outbound ------------------------------------------------------------------------
    def _base(self, account: AccountContext) -> str:
        return str(account.settings.get("api_base") or DEFAULT_API_BASE).rstrip("/")

    def _partner_base(self, account: AccountContext) -> str:
        return str(account.settings.get("partner_api_base") or DEFAULT_PARTNER_API_BASE).rstrip("/")

    def reply_window(self, visibility: Visibility, last_customer_message_at: datetime | None,
                     now: datetime) -> WindowStatus:
        """A review can be answered publicly at any time; never privately (R2R has ``public_comment`` only)."""
        if visibility is Visibility.PRIVATE:
            return WindowStatus(open=False, closes_at=None, reason=NO_PRIVATE)
        return super().reply_window(visibility, last_customer_message_at, now)

    def send(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult:
        """``POST /reviews/v1/{review_id} {response_text, response_type: "public_comment"}`` with the business
        user's token. Refused before any call (never retried): private messages, files, more than 5,000
        characters, emoji. Yelp's daily quota (20 responses per location) is refused as final, with its reason."""
        refuse_public(message, self.display_name)
        if message.visibility is Visibility.PRIVATE:
            raise SendError(NO_PRIVATE, retryable=False)
        if message.visibility is not Visibility.PUBLIC:
            raise SendError("internal notes are never sent to Yelp", retryable=False)
        if message.attachments:
            raise SendError(TEXT_ONLY, retryable=False)
        text = message.text.strip()
        if not text:
            raise SendError("Yelp refuses an empty response", retryable=False)
        if len(text) > MAX_RESPONSE:
            raise SendError(f"Yelp accepts at most {MAX_RESPONSE:,} characters in a response ({len(text):,} "
                            "given)", retryable=False)
        if has_emoji(text):
            raise SendError(NO_EMOJI, retryable=False)
        review_id = str(message.extra.get("review_id") or message.thread_key or "")
        if not review_id:
            raise SendError("a Yelp response needs the review it answers", retryable=False)
        token = account.secrets.get("access_token")
        if not token:
            raise SendError("no Yelp business user access token is configured for this account", retryable=False)
        data = outbound.request(client, "POST", f"{self._partner_base(account)}/reviews/v1/"
                                f"{quote(review_id, safe='')}", token=token,
                                body={"response_text": text, "response_type": "public_comment"})
        given = data.get("id") if isinstance(data, dict) else None
        platform_id = str(given) if isinstance(given, str | int) and not isinstance(given, bool) and given else \
            f"{review_id}:response:{message.idempotency_key}"
        return SendResult(platform_message_id=platform_id[:300], thread_key=message.thread_key)

    def refresh_credentials(self, account: AccountContext, client: httpx.Client) -> Mapping[str, str] | None:
        """Business user tokens last 7 days: ``POST /oauth2/token`` (form: client_id, client_secret,
        grant_type=refresh_token, refresh_token). Yelp's v3 token endpoint also rotates the refresh token."""
        refresh_token = account.secrets.get("refresh_token")
        client_id = str(account.settings.get("client_id") or "")
        client_secret = account.secrets.get("client_secret")
        if not refresh_token or not client_id or not client_secret:
            return None
        try:
            response = client.post(f"{self._base(account)}/oauth2/token", content=urlencode({
                "client_id": client_id, "client_secret": client_secret, "grant_type": "refresh_token",
                "refresh_token": refresh_token}).encode(),
                headers={"content-type": "application/x-www-form-urlencoded", "accept": "application/json"})
        except httpx.TransportError as exc:
            raise ConnectorError(f"could not reach Yelp to renew the access token: {type(exc).__name__}") from None
        if response.status_code != 200:
            reason, _ = outbound.yelp_error(response)
            raise ConnectorError(f"Yelp refused to renew the access token ({response.status_code}): {reason}; "
                                 "authorize Compris again for this business")
        try:
            data = response.json()
            access = str(data["access_token"])
        except (ValueError, KeyError, TypeError):
            raise ConnectorError("Yelp answered the token renewal with an unexpected body") from None
        renewed = {"access_token": access}
        if isinstance(data.get("refresh_token"), str) and data["refresh_token"]:
            renewed["refresh_token"] = data["refresh_token"]
        return renewed

    def check_connection(self, account: AccountContext, client: httpx.Client) -> str:
        """``GET /v1/business_owner/me/profile``: whose token posts the responses."""
        token = account.secrets.get("access_token")
        if not token:
            raise ConnectorError("no Yelp business user access token is configured")
        data = outbound.request(client, "GET", f"{self._partner_base(account)}/v1/business_owner/me/profile",
                                token=token)
        if not isinstance(data, dict):
            raise ConnectorError("Yelp did not describe the business owner")
        name = " ".join(str(data.get(k) or "") for k in ("first_name", "last_name")).strip() or "?"
        return f"responses post as {name} ({str(data.get('position') or 'business user').lower()})"
