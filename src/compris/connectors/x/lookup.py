"""After an ambiguous send: is our reply on X? Our account's recent posts (``GET /2/users/:id/tweets``, since the
answered post) matched on the answered post and the text; a DM among the conversation's recent events
(``GET /2/dm_conversations/with/:participant_id/dm_events``) matched on the sender (us) and the text, no older than
the reply's queueing. Any failure to look raises :class:`ConnectorError`: the reply is then marked uncertain."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from typing import Any

import httpx

from compris.connectors.base import ConnectorError, SendError
from compris.connectors.x import outbound

#: pages of 100 looked at before giving up (the platform cannot tell then)
MAX_PAGES = 5
#: clock skew allowed between X and Compris when comparing times
SKEW = timedelta(minutes=2)

_MENTIONS = re.compile(r"^(?:@\w+\s+)+")
_URL = re.compile(r"https?://\S+")
_SPACE = re.compile(r"\s+")


def same_text(theirs: str, ours: str) -> bool:
    """X's text of a post against ours: X adds the reply's leading @mentions, shortens links (t.co), appends a
    link to attached media and escapes ``& < >``; all are ignored."""
    def norm(text: str) -> str:
        text = _MENTIONS.sub("", html.unescape(text).strip())
        return _SPACE.sub(" ", _URL.sub(" ", text)).strip()
    return norm(theirs) == norm(ours)


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def since(extra: dict[str, Any] | Any) -> datetime | None:
    """When the reply was queued (``extra["queued_at"]``), less the clock skew: nothing older is ours."""
    queued = _time(extra.get("queued_at")) if hasattr(extra, "get") else None
    return queued - SKEW if queued else None


def _get(client: httpx.Client, url: str, token: str, params: dict[str, str]) -> dict[str, Any]:
    try:
        return outbound.request(client, "GET", url, token=token, params=params)
    except SendError as exc:
        raise ConnectorError(f"could not look on X whether the reply arrived: {exc.reason}") from None


def find_post(client: httpx.Client, base: str, token: str, own_id: str, reply_to: str, text: str,
              after: datetime | None) -> str | None:
    """The id of our reply to ``reply_to`` with ``text`` among our posts since ``reply_to``, or None."""
    params = {"max_results": "100", "since_id": reply_to, "exclude": "retweets",
              "tweet.fields": "created_at,referenced_tweets,in_reply_to_user_id"}
    for _ in range(MAX_PAGES):
        data = _get(client, f"{base}/2/users/{own_id}/tweets", token, params)
        posts = data.get("data") or []
        if not isinstance(posts, list):
            raise ConnectorError("X listed our posts in an unexpected shape")
        for post in posts:
            if not isinstance(post, dict) or not post.get("id"):
                continue
            replied = [str(r.get("id")) for r in post.get("referenced_tweets") or []
                       if isinstance(r, dict) and r.get("type") == "replied_to"]
            created = _time(post.get("created_at"))
            if after is not None and created is not None and created < after:
                continue
            if reply_to in replied and same_text(str(post.get("text") or ""), text):
                return str(post["id"])
        meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
        next_token = meta.get("next_token") if isinstance(meta, dict) else None
        if not next_token:
            return None
        params = {**params, "pagination_token": str(next_token)}
    raise ConnectorError(f"our account posted more than {MAX_PAGES * 100} times since: too many to check")


def find_dm(client: httpx.Client, base: str, token: str, own_id: str, participant: str, text: str,
            after: datetime | None) -> tuple[str, str | None] | None:
    """(event id, conversation id) of our DM with ``text`` to ``participant`` sent after ``after``, or None."""
    params = {"max_results": "100", "event_types": "MessageCreate",
              "dm_event.fields": "id,text,sender_id,created_at,dm_conversation_id,event_type"}
    for _ in range(MAX_PAGES):
        data = _get(client, f"{base}/2/dm_conversations/with/{participant}/dm_events", token, params)
        events = data.get("data") or []
        if not isinstance(events, list):
            raise ConnectorError("X listed the conversation in an unexpected shape")
        older = False
        for event in events:  # newest first
            if not isinstance(event, dict) or not event.get("id"):
                continue
            created = _time(event.get("created_at"))
            if after is not None and created is not None and created < after:
                older = True
                continue
            if str(event.get("sender_id") or "") == own_id and same_text(str(event.get("text") or ""), text):
                conversation = event.get("dm_conversation_id")
                return str(event["id"]), str(conversation) if conversation else None
        meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
        next_token = meta.get("next_token") if isinstance(meta, dict) else None
        if older or not next_token:
            return None
        params = {**params, "pagination_token": str(next_token)}
    raise ConnectorError(f"the conversation has more than {MAX_PAGES * 100} messages since: too many to check")
