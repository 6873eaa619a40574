"""YouTube: comments on the channel's videos, read by polling the Data API v3, answered with public replies.

Inbound: ``GET /commentThreads?part=snippet,replies&allThreadsRelatedToChannelId=<channel>&order=time``, newest
first, until what the previous poll saw; replies beyond the few a thread carries come from
``GET /comments?parentId=<thread>``; recently active threads are re-read by id every quarter of an hour so that a
new reply on an older thread is not missed; video titles from ``GET /videos?part=snippet&id=...`` (cached).
Outbound: ``POST /comments?part=snippet`` with ``{"snippet": {"parentId", "textOriginal"}}``. YouTube has no private
messages. Every call spends the project's daily quota: see ``quota.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx

from compris.connectors import googleauth
from compris.connectors.base import (
    AccountContext,
    Connector,
    ConnectorError,
    Limits,
    OutboundMessage,
    ParsedDelivery,
    PolledEvent,
    PollResult,
    SendError,
    SendResult,
    Visibility,
    profile_link,
)
from compris.connectors.youtube import api, inbound, quota
from compris.kit import clock

#: comments a comment thread list page holds (the API's maximum)
PAGE_SIZE = 100
#: pages one poll reads at most (2,000 threads); beyond it, older comments of a flood are skipped (see the docs)
MAX_PAGES = 20
#: reply pages read for one thread at most (500 replies)
MAX_REPLY_PAGES = 5
#: reply pages :meth:`YouTubeConnector.find_sent` reads at most (1 unit each: 500 replies)
FIND_PAGES = 5
#: comments within this time of the newest one seen are compared by id, so a comment YouTube lists a little late
#: is still taken, and none is taken twice
OVERLAP = timedelta(minutes=10)
#: threads with activity within this time are re-read by id (one call for 50 threads) every WATCH_EVERY
WATCH_DAYS = 7
WATCH_EVERY = timedelta(minutes=15)
WATCH_MAX = 200
TITLES_MAX = 300
DEFAULT_INITIAL_FETCH = 20
DEFAULT_POLL_MINUTES = 1


def event_key(comment_id: str, at: datetime) -> str:
    """The event id of one version of a comment: an edit (a new ``updatedAt``) is a new event, a re-fetch is not."""
    return f"{comment_id}@{at.strftime('%Y-%m-%dT%H:%M:%SZ')}"


def _key_time(key: str) -> datetime | None:
    return inbound.timestamp(key.rpartition("@")[2])


def _minutes(settings: Mapping[str, Any], name: str, default: int) -> int:
    try:
        value = int(str(settings.get(name) or default).strip())
    except (TypeError, ValueError):
        return default
    return max(1, min(value, 24 * 60))


class _Calls:
    """Read calls of one poll: the access token (renewed once on a 401) and the units they spend."""

    def __init__(self, account: AccountContext, client: httpx.Client, record: dict[str, Any]) -> None:
        self.account, self.client, self.record = account, client, record
        self.token = account.secrets.get("access_token", "")
        self.renewed: dict[str, str] | None = None

    def _renew(self) -> None:
        if self.renewed is not None:
            raise ConnectorError("YouTube refused the renewed access token; reconnect the account")
        self.renewed = dict(googleauth.refresh_access_token(self.account, self.client, network="YouTube"))
        self.token = self.renewed["access_token"]

    def get(self, path: str, params: Mapping[str, str]) -> Any:
        if not self.token:
            self._renew()
        while True:
            self.record["poll_units"] = int(self.record.get("poll_units") or 0) + quota.LIST_COST
            try:
                return api.get(self.client, self.account, path, params, self.token)
            except api.Unauthorized:
                self._renew()


class YouTubeConnector(Connector):
    network: ClassVar[str] = "youtube"
    display_name: ClassVar[str] = "YouTube"
    aliases: ClassVar[tuple[str, ...]] = ()
    limits: ClassVar[Limits] = Limits(
        public_max_length=10_000,
        public_attachments_reason="YouTube replies are text only",
        private_attachments_reason="YouTube has no private messages",
    )
    secret_fields: ClassVar[tuple[str, ...]] = googleauth.SECRET_FIELDS
    optional_fields: ClassVar[tuple[str, ...]] = googleauth.OPTIONAL_FIELDS
    setting_fields: ClassVar[tuple[str, ...]] = (
        "client_id", "daily_quota", "poll_budget", "poll_minutes", "initial_fetch_limit", "token_url", "api_base",
    )
    supports_polling: ClassVar[bool] = True
    supports_idempotency: ClassVar[bool] = False
    can_start_private: ClassVar[bool] = False
    private_messages: ClassVar[bool] = False  # no private conversation with a customer
    field_labels: ClassVar[Mapping[str, str]] = {
        **googleauth.FIELD_LABELS,
        "external_id": "Channel ID",
        "daily_quota": "Daily quota (units)",
        "poll_budget": "Polling budget (units a day)",
        "poll_minutes": "Minutes between polls",
        "initial_fetch_limit": "Comments taken at first",
        "api_base": "API address",
    }
    field_help: ClassVar[Mapping[str, str]] = {
        **googleauth.FIELD_HELP,
        "external_id": "The channel's ID, starting with UC: YouTube Studio → Settings → Channel → Advanced "
                       "settings (or youtube.com/account_advanced).",
        "refresh_token": "Obtained once by signing in with the Google account that manages the channel and granting "
                         "the scope https://www.googleapis.com/auth/youtube.force-ssl with offline access (see the "
                         "YouTube channel documentation); Compris renews the hour-long access tokens with it.",
        "daily_quota": "The YouTube Data API quota of your Google Cloud project: Google Cloud console → APIs & "
                       "Services → YouTube Data API v3 → Quotas (10,000 by default; one reply costs 50).",
        "poll_budget": "The most units polling may spend in a day (default 5,000), so that replies always have "
                       "quota left; polling pauses until midnight Pacific time once it is spent.",
        "poll_minutes": "Default 1 (about 1,500 units a day). Raise it for a quiet channel to save quota.",
        "initial_fetch_limit": "On the first poll only the newest comments are taken (default 20).",
        "api_base": "Leave empty for https://www.googleapis.com/youtube/v3.",
    }

    def profile_url(self, settings: Mapping[str, Any], *, platform_user_id: str, handle: str | None) -> str | None:
        # a commenter's channel id (``UC…``); the ``name:`` ids of commenters YouTube did not identify have none
        if platform_user_id.startswith("UC"):
            return profile_link("https://www.youtube.com/channel/", platform_user_id)
        return None

    # --- inbound -------------------------------------------------------------------------
    def poll(self, account: AccountContext, state: Mapping[str, Any], *, wait: float = 0.0,
             interrupted: Callable[[], bool] | None = None, client: httpx.Client | None = None) -> PollResult:
        """New and edited comments since ``state``, oldest first; see the module's docstring and ``quota.py``.

        ``state``: ``since`` (the newest comment time seen), ``seen`` (the event ids within :data:`OVERLAP` of it),
        ``quota`` (today's units), ``watch`` (recently active threads), ``titles`` (video titles), ``last_poll``.
        """
        if client is None:
            with httpx.Client(timeout=20.0) as own:
                return self.poll(account, state, wait=wait, interrupted=interrupted, client=own)
        at = clock.now()
        record = quota.today(state, at, account.settings)
        kept = {**state, "quota": record}
        blocked = quota.blocked_until(record, at)
        if blocked is not None:  # saved by the poll YouTube answered quotaExceeded: shown on the account until then
            raise ConnectorError("YouTube's daily quota is spent (quotaExceeded); polling resumes after midnight "
                                 f"Pacific time ({blocked:%Y-%m-%d %H:%M} UTC)")
        if quota.skip_reason(record, at) is not None:
            return PollResult(events=(), state=kept)
        last = inbound.timestamp(state.get("last_poll"))
        every = timedelta(minutes=_minutes(account.settings, "poll_minutes", DEFAULT_POLL_MINUTES))
        if last is not None and at - last < every - timedelta(seconds=5):
            return PollResult(events=(), state=kept)

        calls = _Calls(account, client, record)
        try:
            events, new_state = self._poll(account, state, calls, at)
        except api.QuotaExceeded:
            record["blocked_until"] = quota.next_reset(at).isoformat()
            return PollResult(events=(), state={**state, "quota": record}, secrets=calls.renewed)
        return PollResult(events=events, state={**new_state, "quota": record, "last_poll": at.isoformat()},
                          secrets=calls.renewed)

    def _poll(self, account: AccountContext, state: Mapping[str, Any], calls: _Calls,
              at: datetime) -> tuple[tuple[PolledEvent, ...], dict[str, Any]]:
        channel = account.external_id
        since = inbound.timestamp(state.get("since"))
        first = since is None
        cutoff = since - OVERLAP if since is not None else None
        seen = {k for k in state.get("seen") or [] if isinstance(k, str)}
        watch = _watch(state.get("watch"))

        # 1. the channel's threads, newest first, down to what the last poll saw
        threads: dict[str, dict[str, Any]] = {}
        token = ""
        for _ in range(MAX_PAGES):
            params = {"part": "snippet,replies", "allThreadsRelatedToChannelId": channel, "order": "time",
                      "maxResults": str(PAGE_SIZE), "textFormat": "plainText"}
            if token:
                params["pageToken"] = token
            data = calls.get("commentThreads", params)
            reached = first
            for thread in _items(data):
                threads.setdefault(str(thread["id"]), thread)
                latest = _latest(thread)
                if cutoff is not None and (latest is None or latest < cutoff):
                    reached = True
            token = data.get("nextPageToken") if isinstance(data.get("nextPageToken"), str) else ""
            if reached or not token:
                break

        # 2. recently active threads not on those pages, by id (a new reply does not always bring a thread up)
        checked = inbound.timestamp(state.get("watch_checked"))
        watch_checked = state.get("watch_checked")
        if not first and (checked is None or at - checked >= WATCH_EVERY):
            ids = [t for t in sorted(watch, key=lambda t: watch[t][0], reverse=True) if t not in threads][:50]
            if ids:
                data = calls.get("commentThreads", {"part": "snippet,replies", "id": ",".join(ids),
                                                    "textFormat": "plainText"})
                for thread in _items(data):
                    threads.setdefault(str(thread["id"]), thread)
            watch_checked = at.isoformat()

        # 3. every comment of those threads (all replies where the thread carries only some and changed)
        found: list[tuple[datetime, str, dict[str, Any], dict[str, Any]]] = []
        for thread_id, thread in threads.items():
            comments = list(inbound.thread_comments(thread))
            snippet = thread.get("snippet") if isinstance(thread.get("snippet"), Mapping) else {}
            assert isinstance(snippet, Mapping)
            total = snippet.get("totalReplyCount")
            total = total if isinstance(total, int) else 0
            latest = _latest(thread)
            changed = (cutoff is not None and latest is not None and latest >= cutoff) or (
                thread_id in watch and watch[thread_id][1] != total)
            if not first and total > len(comments) - 1 and changed:
                comments = comments[:1] + self._replies(calls, thread_id)
            for comment in comments:
                when, comment_id = inbound.comment_time(comment), comment.get("id")
                if when is None or not isinstance(comment_id, str) or not comment_id:
                    continue
                found.append((when, event_key(comment_id, when), thread, comment))
            if latest is not None:
                watch[thread_id] = (latest.isoformat(), total)

        # 4. what is new: after the cutoff and not seen (on the first poll: the newest few only)
        found.sort(key=lambda f: f[0])
        if first:
            limit = _minutes(account.settings, "initial_fetch_limit", DEFAULT_INITIAL_FETCH)
            fresh = found[-limit:] if limit > 0 else []
        else:
            assert cutoff is not None
            fresh = [f for f in found if f[0] >= cutoff and f[1] not in seen]
        fresh = list({f[1]: f for f in fresh}.values())  # a thread both listed and re-read by id: once
        titles = _titles(state.get("titles"))
        self._fetch_titles(calls, titles, {_video(f[2], f[3]) for f in fresh} - {None} - set(titles))
        events = []
        for when, key, thread, comment in fresh:
            video = _video(thread, comment)
            body = inbound.event(channel, thread, comment, titles.get(video) if video else None)
            events.append(PolledEvent(event_id=key, body=json.dumps(body, ensure_ascii=False).encode()))
            snippet = comment.get("snippet")
            if (isinstance(snippet, Mapping) and inbound.author_channel(snippet) == channel
                    and snippet.get("publishedAt") == snippet.get("updatedAt")
                    and quota.pacific_day(when) == calls.record["day"]):
                calls.record["replies"] = int(calls.record.get("replies") or 0) + 1  # about 50 units each

        # 5. the new cursor: the newest time seen, and every event id within the overlap of it
        newest = max([since, *(f[0] for f in found)], key=lambda d: d.timestamp() if d else 0.0)
        if newest is not None:  # a time in the future (a skewed clock) must not hold the cursor beyond today
            newest = min(newest, at + OVERLAP)
        new_seen = sorted({*seen, *(f[1] for f in found)})
        if newest is not None:
            floor = newest - OVERLAP
            new_seen = [k for k in new_seen if (t := _key_time(k)) is not None and t >= floor]
        horizon = at - timedelta(days=WATCH_DAYS)
        kept_watch = sorted(((t, v) for t, v in watch.items() if (inbound.timestamp(v[0]) or horizon) > horizon),
                            key=lambda item: item[1][0], reverse=True)[:WATCH_MAX]
        new_state = {**state, "since": newest.isoformat() if newest else None, "seen": new_seen,
                     "watch": {t: list(v) for t, v in kept_watch}, "watch_checked": watch_checked,
                     "titles": dict(list(titles.items())[-TITLES_MAX:])}
        return tuple(events), new_state

    def _replies(self, calls: _Calls, parent_id: str) -> list[dict[str, Any]]:
        """Every reply to one top-level comment (``comments.list``, 1 unit a page)."""
        replies: list[dict[str, Any]] = []
        token = ""
        for _ in range(MAX_REPLY_PAGES):
            params = {"part": "snippet", "parentId": parent_id, "maxResults": str(PAGE_SIZE),
                      "textFormat": "plainText"}
            if token:
                params["pageToken"] = token
            data = calls.get("comments", params)
            items = data.get("items")
            if isinstance(items, list):
                replies.extend(i for i in items if isinstance(i, dict))
            token = data.get("nextPageToken") if isinstance(data.get("nextPageToken"), str) else ""
            if not token:
                break
        return replies

    def _fetch_titles(self, calls: _Calls, titles: dict[str, str], missing: set[str | None]) -> None:
        """The titles of the videos new comments are on (``videos.list``, 1 unit for up to 50)."""
        ids = sorted(v for v in missing if v)[:50]
        if not ids:
            return
        try:
            data = calls.get("videos", {"part": "snippet", "id": ",".join(ids), "maxResults": "50"})
        except api.QuotaExceeded:
            raise
        except ConnectorError:
            return  # the comments come without their video's title rather than not at all
        for item in _items(data):
            snippet = item.get("snippet")
            if isinstance(snippet, Mapping) and isinstance(snippet.get("title"), str):
                titles[str(item["id"])] = snippet["title"][:300]

    def parse(self, account: AccountContext, body: bytes) -> ParsedDelivery:
        return inbound.parse(account.external_id, body)

    # --- outbound ------------------------------------------------------------------------
    def send(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult:
        """A public reply under the thread's top-level comment (YouTube threads have one level of replies)."""
        if message.visibility is Visibility.NOTE:
            raise SendError("internal notes are never sent", retryable=False)
        if message.visibility is not Visibility.PUBLIC:
            raise SendError("YouTube has no private messages: answer in public under the comment", retryable=False)
        if message.attachments:
            raise SendError("YouTube replies are text only", retryable=False)
        if not message.text.strip():
            raise SendError("a YouTube reply needs text", retryable=False)
        limit = self.limits.public_max_length or 0
        if len(message.text) > limit:
            raise SendError(f"YouTube replies have at most {limit:,} characters", retryable=False)
        parent = message.thread_key
        if not parent:
            raise SendError("no YouTube comment to answer", retryable=False)
        token = account.secrets.get("access_token", "")
        if not token:
            raise SendError("no YouTube access token yet", retryable=False, unauthorized=True)
        data = api.insert_comment(client, account, parent, message.text, token, clock.now())
        return SendResult(platform_message_id=str(data["id"]), thread_key=parent)

    #: the replies under a comment (``comments.list?parentId=``) show whether ours was posted
    can_find_sent: ClassVar[bool] = True

    def find_sent(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult | None:
        """After an ambiguous send: our channel's reply with the same text among the replies to the thread's
        top-level comment (``GET /comments?part=snippet&parentId=<thread>&maxResults=100``, 1 quota unit a page, at
        most :data:`FIND_PAGES` pages), not older than the comment it answers. Not found once every reply was read:
        None; YouTube unreachable, out of quota, or more replies than the pages read: :class:`ConnectorError`."""
        parent = message.thread_key
        if not parent:
            raise ConnectorError("no YouTube comment to look under")
        calls = _Calls(account, client, {})
        expected = " ".join(message.text.split())
        replies: list[dict[str, Any]] = []
        token = ""
        for _ in range(FIND_PAGES):
            params = {"part": "snippet", "parentId": parent, "maxResults": str(PAGE_SIZE), "textFormat": "plainText"}
            if token:
                params["pageToken"] = token
            try:
                data = calls.get("comments", params)
            except ConnectorError as exc:
                raise ConnectorError(f"YouTube could not list the replies: {exc}") from None
            replies.extend(_items(data))
            token = data.get("nextPageToken") if isinstance(data.get("nextPageToken"), str) else ""
            if not token:
                break
        answered_at = next((_published(r) for r in replies if r.get("id") == message.reply_to_platform_id), None)
        for reply in replies:
            snippet = reply.get("snippet")
            if not isinstance(snippet, Mapping) or inbound.author_channel(snippet) != account.external_id:
                continue
            text = snippet.get("textOriginal") if isinstance(snippet.get("textOriginal"), str) else \
                snippet.get("textDisplay")
            if not isinstance(text, str) or " ".join(text.split()) != expected:
                continue
            when = _published(reply)
            if answered_at is not None and when is not None and when < answered_at:
                continue  # the same words posted before the comment this reply answers: an earlier reply
            return SendResult(platform_message_id=str(reply["id"]), thread_key=parent)
        if token:
            raise ConnectorError(f"the comment has more than {FIND_PAGES * PAGE_SIZE} replies: Compris cannot tell "
                                 "whether ours is among them")
        return None

    def refresh_credentials(self, account: AccountContext, client: httpx.Client) -> Mapping[str, str] | None:
        return googleauth.refresh_access_token(account, client, network="YouTube")

    def check_connection(self, account: AccountContext, client: httpx.Client) -> str:
        """``GET /channels?part=snippet&mine=true`` (1 unit): the channel the token manages."""
        calls = _Calls(account, client, {})
        data = calls.get("channels", {"part": "snippet", "mine": "true"})
        items = _items(data)
        if not items:
            raise ConnectorError("the Google account of this token manages no YouTube channel")
        ids = [str(i["id"]) for i in items]
        if account.external_id not in ids:
            raise ConnectorError(f"the token manages channel {', '.join(ids)}, not {account.external_id}: check the "
                                 "channel ID, or sign in with the account that manages it")
        item = items[ids.index(account.external_id)]
        snippet = item.get("snippet") if isinstance(item.get("snippet"), Mapping) else {}
        assert isinstance(snippet, Mapping)
        title = snippet.get("title") if isinstance(snippet.get("title"), str) else account.external_id
        renewed = " (access token renewed)" if calls.renewed else ""
        return f"YouTube channel {title} ({account.external_id}){renewed}"

    # --- youtube: the quota on the admin page -------------------------------------------------
    def poll_status_message(self, state: Mapping[str, Any]) -> tuple[str, dict[str, object]] | None:
        stored = state.get("quota")
        if not isinstance(stored, Mapping):
            return None
        at = clock.now()
        settings = {"daily_quota": stored.get("daily_quota"), "poll_budget": stored.get("poll_budget")}
        record = quota.today(state, at, settings)
        values: dict[str, object] = {
            "used": quota.spent(record), "quota": record["daily_quota"], "polled": record["poll_units"],
            "budget": record["poll_budget"], "replies": record["replies"],
            "reset": f"{quota.next_reset(at):%H:%M}",
        }
        reason = quota.skip_reason(record, at)
        if reason == "quota_exceeded":
            return ("YouTube quota today: spent (YouTube said quotaExceeded); polling resumes at midnight Pacific "
                    "time (%(reset)s UTC).", values)
        if reason is not None:
            return ("YouTube quota today: %(used)s of %(quota)s units (polling %(polled)s of its %(budget)s, "
                    "%(replies)s replies); polling pauses until midnight Pacific time (%(reset)s UTC) so that "
                    "replies keep their share.", values)
        return ("YouTube quota today: %(used)s of %(quota)s units (polling %(polled)s of its %(budget)s, "
                "%(replies)s replies at about 50 each); it resets at midnight Pacific time (%(reset)s UTC).", values)


def _published(comment: Mapping[str, Any]) -> datetime | None:
    snippet = comment.get("snippet")
    return inbound.timestamp(snippet.get("publishedAt")) if isinstance(snippet, Mapping) else None


def _items(data: Any) -> list[dict[str, Any]]:
    items = data.get("items") if isinstance(data, Mapping) else None
    if not isinstance(items, list):
        return []
    return [i for i in items if isinstance(i, dict) and isinstance(i.get("id"), str) and i["id"]]


def _latest(thread: Mapping[str, Any]) -> datetime | None:
    """The newest change a thread shows (its top-level comment or a reply it carries)."""
    times = [t for t in (inbound.comment_time(c) for c in inbound.thread_comments(thread)) if t is not None]
    return max(times) if times else None


def _video(thread: Mapping[str, Any], comment: Mapping[str, Any]) -> str | None:
    snippet = comment.get("snippet")
    if isinstance(snippet, Mapping) and isinstance(snippet.get("videoId"), str) and snippet["videoId"]:
        return str(snippet["videoId"])
    thread_snippet = thread.get("snippet")
    if isinstance(thread_snippet, Mapping) and isinstance(thread_snippet.get("videoId"), str):
        return str(thread_snippet["videoId"]) or None
    return None


def _watch(raw: Any) -> dict[str, tuple[str, int]]:
    watch: dict[str, tuple[str, int]] = {}
    if isinstance(raw, Mapping):
        for key, value in raw.items():
            if (isinstance(key, str) and isinstance(value, list | tuple) and len(value) == 2
                    and isinstance(value[0], str) and isinstance(value[1], int)):
                watch[key] = (value[0], value[1])
    return watch


def _titles(raw: Any) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        return {}
    return {k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, str)}
