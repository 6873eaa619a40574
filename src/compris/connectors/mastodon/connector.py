"""The Mastodon connector: mentions and direct messages read from the account's notifications (the streaming API,
with the REST API as catch-up and fallback), replies posted as statuses.

Plain ``httpx`` on the runtime's shared client rather than Mastodon.py: see ``docs/channels/mastodon.md``.
"""

from __future__ import annotations

import dataclasses
import json
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qs, quote, urlsplit

import httpx

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
from compris.connectors.choices import as_text, refuse_public
from compris.connectors.mastodon import inbound, outbound
from compris.kit.textlength import mastodon_length

#: Mastodon's default character limit; an instance may set its own (``configuration.statuses.max_characters``)
DEFAULT_MAX_CHARACTERS = 500
DEFAULT_INITIAL_FETCH = 20
DEFAULT_MAX_PER_POLL = 200
PAGE = 40  # notifications per REST page (Mastodon: default 40, at most 80)
#: the streaming server writes a ``:thump`` heartbeat about every 15 seconds: a silence twice as long means the
#: connection is dead
STREAM_READ_TIMEOUT = 35.0
STREAM_CONNECT_TIMEOUT = 10.0
STREAM_PATH = "/api/v1/streaming/user/notification"
NOTIFICATIONS_PATH = "/api/v1/notifications"
#: statuses per page, and pages at most, read by :meth:`MastodonConnector.find_sent`
FIND_PAGE = 40
FIND_PAGES = 5


class MastodonConnector(Connector):
    network: ClassVar[str] = "mastodon"
    display_name: ClassVar[str] = "Mastodon"
    aliases: ClassVar[tuple[str, ...]] = ()
    #: Mastodon delivers a reply only to the accounts it names: a public reply starts with the customer's @acct,
    #: and a direct message must name them (see :meth:`reply_mention` and :meth:`send`)
    public_reply_mentions: ClassVar[bool] = True
    #: a direct status may name anyone (their own settings may still filter it)
    can_start_private: ClassVar[bool] = True
    limits: ClassVar[Limits] = Limits(
        public_max_length=DEFAULT_MAX_CHARACTERS, private_max_length=DEFAULT_MAX_CHARACTERS, length_unit="mastodon",
        public_attachments_reason="Compris does not upload media to Mastodon yet",
        private_attachments_reason="Compris does not upload media to Mastodon yet",
    )
    #: ``POST /api/v1/statuses`` honours ``Idempotency-Key``: the same key within an hour returns the status
    #: already created instead of posting it twice (the key is kept one hour only)
    supports_idempotency: ClassVar[bool] = True
    supports_polling: ClassVar[bool] = True
    secret_fields: ClassVar[tuple[str, ...]] = ("access_token",)
    setting_fields: ClassVar[tuple[str, ...]] = (
        "api_base", "max_characters", "idle_seconds", "streaming", "streaming_base", "language",
        "initial_fetch_limit",
    )
    field_labels: ClassVar[Mapping[str, str]] = {
        "external_id": "Account id",
        "access_token": "Access token",
        "api_base": "Instance address",
        "max_characters": "Character limit",
        "idle_seconds": "Streaming wait (seconds)",
        "streaming": "Streaming",
        "streaming_base": "Streaming server address",
        "language": "Language of replies",
        "initial_fetch_limit": "Mentions taken at first",
    }
    field_help: ClassVar[Mapping[str, str]] = {
        "external_id": "The numeric id of the brand's account (the id field of GET /api/v1/accounts/verify_credentials;"
        " the connection test shows it), not the @name.",
        "access_token": "Preferences → Development → New application, with the scopes read:notifications "
        "read:statuses write:statuses read:accounts; then open the application and copy “Your access token”.",
        "api_base": "The address of the brand's Mastodon server, e.g. https://mastodon.social.",
        "max_characters": "The server's limit per status (500 unless the server changed it). The connection test "
        "reads it from the server and tells you when this value differs.",
        "idle_seconds": "0-50. Each poll keeps a streaming connection open this long, so mentions arrive within "
        "seconds instead of at the next minute (it keeps one worker busy meanwhile). 0: polling only.",
        "streaming": "on (default) or off (polling only, once a minute).",
        "streaming_base": "Only when the server streams from another address (the connection test shows it); "
        "leave empty otherwise.",
        "language": "ISO 639 code given to replies (e.g. fr); leave empty to let Mastodon decide.",
        "initial_fetch_limit": "On the first poll only the newest mentions are taken (default 20).",
    }

    def profile_url(self, settings: Mapping[str, Any], *, platform_user_id: str, handle: str | None) -> str | None:
        """``user@instance`` on its own instance; a bare ``user`` is on the brand's instance (``api_base``)."""
        user, _, instance = (handle or "").strip().lstrip("@").partition("@")
        if not instance:
            instance = urlsplit(str(settings.get("api_base") or "")).hostname or ""
        if not instance or not all(c.isascii() and (c.isalnum() or c in ".-") for c in instance):
            return None
        return profile_link(f"https://{instance}/@", user)

    # --- limits ----------------------------------------------------------------------------
    def limits_for(self, settings: Mapping[str, Any]) -> Limits:
        """The instance's own character limit (the ``max_characters`` setting), for public and direct statuses."""
        limit = _positive(settings.get("max_characters"))
        if limit is None or limit == self.limits.public_max_length:
            return self.limits
        return dataclasses.replace(self.limits, public_max_length=limit, private_max_length=limit)

    def reply_mention(self, visibility: str, handle: str | None) -> str:
        """``"@user@server "`` for public replies and direct messages alike: a direct status reaches only the
        accounts it names."""
        if visibility == Visibility.PRIVATE:
            visibility = Visibility.PUBLIC
        return super().reply_mention(visibility, handle)

    # --- inbound -------------------------------------------------------------------------
    def parse(self, account: AccountContext, body: bytes) -> ParsedDelivery:
        return inbound.parse(body, own_id=account.external_id)

    def poll(self, account: AccountContext, state: Mapping[str, Any], *, wait: float = 0.0,
             interrupted: Callable[[], bool] | None = None, client: httpx.Client | None = None) -> PollResult:
        """New mentions since ``state`` (``{"cursor": <highest notification id seen>}``); event ids are
        ``notification:<id>``.

        First the REST API catches up from the cursor (``GET /api/v1/notifications?types[]=mention&min_id=``, page
        by page), so a restart leaves no gap. Then, with ``wait`` > 0 and streaming on, the streaming API
        (``GET /api/v1/streaming/user/notification``, server-sent events) is held open up to ``wait`` seconds, or
        until ``interrupted()`` answers True (asked every second), or until a mention arrives; whatever way it
        ends (a dropped stream included), the REST API catches up once more, so nothing that arrived meanwhile
        waits for the next poll. On the first poll only the newest ``initial_fetch_limit`` mentions are taken.
        """
        if client is None:
            with httpx.Client(timeout=_timeout(account)) as own:
                return self.poll(account, state, wait=wait, interrupted=interrupted, client=own)
        cursor = state.get("cursor") if isinstance(state.get("cursor"), str) and state.get("cursor") else None
        found: dict[str, dict[str, Any]] = {}
        seen = self._catch_up(account, client, cursor, found)
        if wait > 0 and _streaming(account.settings) and not (interrupted and interrupted()):
            for item in self._listen(account, client, wait, interrupted):
                if seen is None or inbound.id_key(str(item["id"])) > inbound.id_key(seen):
                    found.setdefault(str(item["id"]), item)
            seen = self._catch_up(account, client, seen, found) if seen is not None else seen
        mentions = sorted((n for n in found.values() if n.get("type") == "mention"),
                          key=lambda n: inbound.id_key(str(n["id"])))
        events = tuple(PolledEvent(event_id=f"notification:{n['id']}",
                                   body=json.dumps(n, ensure_ascii=False).encode()) for n in mentions)
        newest = inbound.newest(found, seen)
        return PollResult(events=events, state={"cursor": newest} if newest else {})

    def _base(self, account: AccountContext) -> str:
        base = str(account.settings.get("api_base") or "").strip().rstrip("/")
        if not base:
            raise ConnectorError("set the Mastodon instance address (e.g. https://mastodon.social)")
        return base

    def _token(self, account: AccountContext) -> str:
        token = account.secrets.get("access_token")
        if not token:
            raise SendError("no Mastodon access token is configured for this account", retryable=False)
        return token

    def _catch_up(self, account: AccountContext, client: httpx.Client, cursor: str | None,
                  found: dict[str, dict[str, Any]]) -> str | None:
        """Read the notifications after ``cursor`` by REST into ``found``; returns the highest id seen.

        With a cursor, pages go forward from it (``min_id``: the page just after it; the next page starts after the
        newest of this one, as the ``Link: rel="prev"`` header says), at most ``DEFAULT_MAX_PER_POLL`` a poll: the
        rest waits for the next poll, and no gap opens since the cursor stops at the newest one read. Without a
        cursor (the first poll), only the newest ``initial_fetch_limit``."""
        token, url = self._token(account), f"{self._base(account)}{NOTIFICATIONS_PATH}"
        timeout = _timeout(account)
        if cursor is None:
            limit = _positive(account.settings.get("initial_fetch_limit"), allow_zero=True)
            limit = DEFAULT_INITIAL_FETCH if limit is None else min(limit, 80)
            if limit == 0:
                page = _page(outbound.request(client, "GET", url, token=token, timeout=timeout,
                                              params=[("types[]", "mention"), ("limit", "1")]))
                return inbound.newest(str(n["id"]) for n in page)
            page = _page(outbound.request(client, "GET", url, token=token, timeout=timeout,
                                          params=[("types[]", "mention"), ("limit", str(limit))]))
            for item in page:
                found.setdefault(str(item["id"]), item)
            return inbound.newest(str(n["id"]) for n in page)
        seen = cursor
        read = 0
        while read < DEFAULT_MAX_PER_POLL:
            response = outbound.request(client, "GET", url, token=token, timeout=timeout,
                                        params=[("types[]", "mention"), ("min_id", seen), ("limit", str(PAGE))])
            page = [n for n in _page(response) if inbound.id_key(str(n["id"])) > inbound.id_key(seen)]
            for item in page:
                found.setdefault(str(item["id"]), item)
            read += len(page)
            newest = inbound.newest((str(n["id"]) for n in page), seen)
            following = _link_min_id(response) or newest
            if not page or newest is None or following is None or len(page) < PAGE:
                return newest
            seen = newest if inbound.id_key(following) < inbound.id_key(newest) else following
        return seen

    def _listen(self, account: AccountContext, client: httpx.Client, wait: float,
                interrupted: Callable[[], bool] | None) -> list[dict[str, Any]]:
        """Hold the streaming connection up to ``wait`` seconds; returns the notifications it carried.

        The stream is read on a helper thread so that this one can ask ``interrupted()`` every second and keep the
        deadline whatever the server sends; the helper stops at its next line (a heartbeat comes every 15 seconds)
        or at its read timeout, and closes its own connection. The wait ends early once a mention arrived (the REST
        catch-up that follows takes any other) or when the stream ends or fails (the REST API is the fallback)."""
        base = str(account.settings.get("streaming_base") or "").strip().rstrip("/") or self._base(account)
        token = self._token(account)
        lines: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()

        def read() -> None:
            try:
                with client.stream("GET", f"{base}{STREAM_PATH}",
                                   headers={"authorization": f"Bearer {token}", "accept": "text/event-stream"},
                                   timeout=httpx.Timeout(STREAM_CONNECT_TIMEOUT, read=STREAM_READ_TIMEOUT)) as response:
                    if response.status_code != 200:
                        lines.put(("end", f"the streaming API answered {response.status_code}"))
                        return
                    for event, data in inbound.sse_events(_until(stop, response.iter_lines())):
                        found = inbound.streamed_notification(event, data)
                        if found is not None:
                            lines.put(("notification", found))
                lines.put(("end", "the stream ended"))
            except Exception as exc:  # a dropped or refused stream: the REST API catches up
                lines.put(("end", type(exc).__name__))

        helper = threading.Thread(target=read, name=f"mastodon-stream-{account.account_id}", daemon=True)
        helper.start()
        received: list[dict[str, Any]] = []
        deadline = time.monotonic() + wait
        try:
            while not (interrupted and interrupted()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    kind, item = lines.get(timeout=min(1.0, remaining))
                except queue.Empty:
                    continue
                if kind != "notification":
                    break
                received.append(item)
                if item.get("type") == "mention":
                    break
        finally:
            stop.set()
        while True:  # what the helper had already read
            try:
                kind, item = lines.get_nowait()
            except queue.Empty:
                break
            if kind == "notification":
                received.append(item)
        return received

    # --- outbound ------------------------------------------------------------------------
    def send(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult:
        """``POST /api/v1/statuses`` with the reply's ``Idempotency-Key``. A public reply answers the customer's
        status with that status's visibility (public, unlisted or followers-only); a private one is a ``direct``
        status, which reaches only the accounts it names: it is made to start with the customer's @acct."""
        if message.visibility is Visibility.NOTE:
            raise SendError("internal notes are never sent to Mastodon", retryable=False)
        refuse_public(message, self.display_name)
        if message.attachments:
            raise SendError("Compris does not upload media to Mastodon yet", retryable=False)
        text = as_text(message.text, message.choices) if message.choices else message.text
        body: dict[str, Any] = {}
        if message.visibility is Visibility.PUBLIC:
            if not message.reply_to_platform_id:
                raise SendError("a public Mastodon reply needs the status it answers", retryable=False)
            answered = message.extra.get("visibility")
            visibility = answered if answered in inbound.PUBLIC_VISIBILITIES else "public"
        else:
            handle = (message.recipient.handle if message.recipient else None) or message.extra.get("acct")
            if not isinstance(handle, str) or not handle.strip("@ "):
                raise SendError("a Mastodon direct message needs the customer's @name", retryable=False)
            text = with_mention(text, handle)
            visibility = inbound.DIRECT
            limit = self.limits_for(account.settings).max_length(Visibility.PRIVATE)
            if limit is not None and mastodon_length(text) > limit:  # the mention put back made it too long
                raise SendError(f"with the customer's @{handle.strip().lstrip('@')} that a direct status must "
                                f"name, this message is over the server's {limit} characters: shorten it",
                                retryable=False)
        body["status"] = text
        body["visibility"] = visibility
        if message.reply_to_platform_id:
            body["in_reply_to_id"] = message.reply_to_platform_id
        language = str(account.settings.get("language") or "").strip()
        if language:
            body["language"] = language
        response = outbound.request(client, "POST", f"{self._base(account)}/api/v1/statuses",
                                    token=self._token(account), body=body,
                                    headers={"idempotency-key": message.idempotency_key})
        try:
            status = response.json()
        except (ValueError, UnicodeDecodeError):
            status = None
        if not isinstance(status, dict) or not isinstance(status.get("id"), str | int):
            # a 2xx: the status was created, but we cannot tell which it is
            raise SendError("Mastodon accepted the status but did not return its id", retryable=True,
                            ambiguous=True)
        return SendResult(platform_message_id=str(status["id"]), thread_key=message.thread_key)

    #: our account's recent statuses (``GET /api/v1/accounts/:id/statuses``) show whether a reply was posted: used
    #: after an ambiguous send once the hour Mastodon keeps an ``Idempotency-Key`` may have passed
    can_find_sent: ClassVar[bool] = True

    def find_sent(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult | None:
        """Our status answering the same status (``in_reply_to_id``) with the same text (mentions aside: Mastodon
        shows them as ``@user``), among our account's statuses newer than the status answered (``since_id``; our
        own direct statuses are listed to us too), at most :data:`FIND_PAGES` pages of 40. Not found when the
        listing ends before that; :class:`ConnectorError` when Mastodon cannot be asked or the pages run out."""
        base, token = self._base(account), self._token(account)
        answered = message.reply_to_platform_id
        expected = comparable(as_text(message.text, message.choices) if message.choices else message.text)
        params: dict[str, str] = {"limit": str(FIND_PAGE), "exclude_reblogs": "true"}
        if answered:
            params["since_id"] = answered
        url = f"{base}/api/v1/accounts/{quote(account.external_id, safe='')}/statuses"
        for _ in range(FIND_PAGES):
            try:
                page = outbound.json_of(outbound.request(client, "GET", url, token=token, params=params),
                                        "our statuses")
            except SendError as exc:
                raise ConnectorError(f"Mastodon could not list our recent statuses: {exc.reason}") from None
            if not isinstance(page, list):
                raise ConnectorError("Mastodon answered our statuses with something that is not a list")
            statuses = [item for item in page if isinstance(item, dict) and isinstance(item.get("id"), str | int)]
            for status in statuses:
                if answered and str(status.get("in_reply_to_id") or "") != answered:
                    continue
                if not answered and status.get("visibility") != inbound.DIRECT:
                    continue
                content = status.get("content")
                if isinstance(content, str) and comparable(inbound.html_to_text(content)) == expected:
                    return SendResult(platform_message_id=str(status["id"]), thread_key=message.thread_key)
            if len(page) < FIND_PAGE or not statuses:
                return None  # the whole listing since the answered status was read
            params["max_id"] = str(min((str(s["id"]) for s in statuses), key=inbound.id_key))
        raise ConnectorError(f"our account posted more than {FIND_PAGE * FIND_PAGES} statuses since: Compris "
                             "cannot tell whether the reply is among them")

    def check_connection(self, account: AccountContext, client: httpx.Client) -> str:
        """``GET /api/v1/accounts/verify_credentials`` (whose token is it?) and ``GET /api/v2/instance`` (the
        instance's character limit and streaming address)."""
        base, token = self._base(account), self._token(account)
        me = outbound.json_of(outbound.request(client, "GET", f"{base}/api/v1/accounts/verify_credentials",
                                               token=token), "verify_credentials")
        if not isinstance(me, dict) or not me.get("id"):
            raise ConnectorError("Mastodon did not describe the authenticated account")
        acct = inbound.full_acct(me) or str(me.get("acct"))
        if account.external_id and str(me["id"]) != account.external_id:
            raise ConnectorError(f"the access token belongs to @{acct} (account id {me['id']}), not to the account "
                                 f"id {account.external_id} given here")
        note = f"connected as @{acct} (account id {me['id']})"
        try:
            instance = outbound.json_of(outbound.request(client, "GET", f"{base}/api/v2/instance", token=token),
                                        "instance")
        except SendError:
            return f"{note}; the server did not describe itself (GET /api/v2/instance): Character limit unchecked"
        config = instance.get("configuration") if isinstance(instance, dict) else None
        statuses = config.get("statuses") if isinstance(config, dict) else None
        allowed = _positive(statuses.get("max_characters")) if isinstance(statuses, dict) else None
        if allowed is not None:
            current = self.limits_for(account.settings).public_max_length
            note += f"; the server allows {allowed} characters per status"
            if allowed != current:
                note += f" — set “Character limit” to {allowed} (it is {current})"
        urls = config.get("urls") if isinstance(config, dict) else None
        streaming = urls.get("streaming") if isinstance(urls, dict) else None
        if isinstance(streaming, str) and streaming.startswith(("http://", "https://", "wss://", "ws://")):
            stream_base = streaming.replace("wss://", "https://", 1).replace("ws://", "http://", 1).rstrip("/")
            given = str(account.settings.get("streaming_base") or "").rstrip("/") or base
            if stream_base != given:
                note += f"; it streams from {stream_base}: set “Streaming server address” to it"
        return note


def comparable(text: str) -> str:
    """``text`` as compared by :meth:`MastodonConnector.find_sent`: without its ``@mentions`` (Mastodon's HTML
    shows ``@user`` for ``@user@server``), its whitespace collapsed."""
    return " ".join(word for word in text.split() if not word.startswith("@"))


def with_mention(text: str, handle: str) -> str:
    """``text`` starting with ``@user@server`` unless it already names that account."""
    bare = handle.strip().lstrip("@")
    if re.search(rf"(?<![\w@]){re.escape('@' + bare)}(?![\w@.-]|\.\w)", text, re.IGNORECASE):
        return text
    return f"@{bare} {text.lstrip()}"


def _until(stop: threading.Event, lines: Iterator[str]) -> Iterator[str]:
    for line in lines:
        if stop.is_set():
            return
        yield line


def _page(response: httpx.Response) -> list[dict[str, Any]]:
    """The notifications of a REST page (a JSON list); entries without an id and type are dropped."""
    data = outbound.json_of(response, "the notifications")
    if not isinstance(data, list):
        raise SendError("Mastodon answered the notifications with something that is not a list", retryable=True)
    return [n for n in data if isinstance(n, dict) and isinstance(n.get("id"), str) and n["id"]
            and isinstance(n.get("type"), str)]


def _link_min_id(response: httpx.Response) -> str | None:
    """The ``min_id`` of the ``Link: <...>; rel="prev"`` header (the next page of newer notifications)."""
    try:
        url = response.links.get("prev", {}).get("url")
    except Exception:  # a malformed Link header: the page's newest id does as well
        return None
    if not url:
        return None
    values = parse_qs(urlsplit(url).query).get("min_id")
    return values[0] if values and values[0] else None


def _positive(value: Any, *, allow_zero: bool = False) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    if number < 0 or (number == 0 and not allow_zero) or number > 1_000_000:
        return None
    return number


def _streaming(settings: Mapping[str, Any]) -> bool:
    return str(settings.get("streaming") or "on").strip().lower() not in ("off", "no", "false", "0")


def _timeout(account: AccountContext) -> float:
    try:
        return max(1.0, min(60.0, float(account.settings.get("timeout") or 20.0)))
    except (TypeError, ValueError):
        return 20.0
