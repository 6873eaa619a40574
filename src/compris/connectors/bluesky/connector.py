"""The Bluesky connector: notifications and direct messages polled from the account's PDS, replies posted as
``app.bsky.feed.post`` records, direct messages sent through the Bluesky chat service (AT Protocol XRPC over plain
httpx; see ``docs/channels/bluesky.md`` for why not the ``atproto`` SDK)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from compris.connectors.base import (
    AccountContext,
    Author,
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
from compris.connectors.bluesky import inbound, richtext
from compris.connectors.bluesky.xrpc import DEFAULT_PDS, Session, XrpcError, call, renew_session
from compris.connectors.choices import as_text, refuse_public
from compris.kit.textlength import grapheme_count

POST = "app.bsky.feed.post"
PUBLIC_MAX, PRIVATE_MAX = 300, 1000  # graphemes (the lexicons: post text 3,000 bytes, message text 10,000 bytes)
PUBLIC_MAX_BYTES, PRIVATE_MAX_BYTES = 3000, 10_000
#: pages read per poll: 100 notifications or one chat-log page each; a longer backlog goes on at the next poll
MAX_PAGES = 10
#: messages of a conversation read by :meth:`BlueskyConnector.find_sent` (``getMessages``' maximum)
FIND_MESSAGES = 100
PROFILES_BATCH = 25  # app.bsky.actor.getProfiles takes at most 25 actors
TRUE = frozenset({"1", "true", "yes", "on"})


def _flag(settings: Mapping[str, Any], key: str, default: bool) -> bool:
    value = settings.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUE


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class BlueskyConnector(Connector):
    network: ClassVar[str] = "bluesky"
    display_name: ClassVar[str] = "Bluesky"
    aliases: ClassVar[tuple[str, ...]] = ("bsky",)
    limits: ClassVar[Limits] = Limits(public_max_length=PUBLIC_MAX, private_max_length=PRIVATE_MAX,
                                      length_unit="graphemes")
    secret_fields: ClassVar[tuple[str, ...]] = ("app_password", "access_jwt", "refresh_jwt")
    setting_fields: ClassVar[tuple[str, ...]] = ("handle", "api_base", "direct_messages", "mark_seen",
                                                 "post_language")
    optional_fields: ClassVar[tuple[str, ...]] = ("access_jwt", "refresh_jwt")
    supports_polling: ClassVar[bool] = True
    #: a public reply is threaded under the customer's post (``reply.root``/``reply.parent``) and notifies them:
    #: no @mention is needed
    public_reply_mentions: ClassVar[bool] = False
    #: ``chat.bsky.convo.getConvoForMembers`` opens a conversation with any account, but the customer's chat
    #: setting decides whether our message is accepted (by default only from accounts they follow): the send then
    #: fails and says so
    can_start_private: ClassVar[bool] = True
    #: posts: our record key is derived from the idempotency key, so a retry cannot create a second post (see
    #: :meth:`_create_post` and :meth:`idempotent`); but ``chat.bsky.convo.sendMessage`` has no such key: a chat
    #: message interrupted by a crash is held for a person to check
    supports_idempotency: ClassVar[bool] = False
    field_labels: ClassVar[Mapping[str, str]] = {
        "external_id": "DID of the brand's Bluesky account",
        "handle": "Handle",
        "app_password": "App password",
        "access_jwt": "Session access token",
        "refresh_jwt": "Session refresh token",
        "api_base": "PDS address",
        "direct_messages": "Read and answer direct messages",
        "mark_seen": "Mark notifications as read",
        "post_language": "Language of replies",
    }
    field_help: ClassVar[Mapping[str, str]] = {
        "external_id": "The account's permanent identifier, starting with did:plc: (or did:web:). Bluesky shows it "
        "in Settings → Account → Handle → \"I have my own domain\", or look it up at "
        "https://bsky.social/xrpc/com.atproto.identity.resolveHandle?handle=<your handle>.",
        "handle": "The account's handle without the @, e.g. aircompris.bsky.social or aircompris.com; Compris signs "
        "in with it and the app password.",
        "app_password": "Bluesky → Settings → Privacy and security → App passwords → Add App Password. Tick "
        "\"Allow access to your direct messages\" to read and answer DMs. Never the account's main password.",
        "access_jwt": "Leave empty: Compris opens a session with the app password and keeps its tokens here.",
        "refresh_jwt": "Leave empty: Compris renews the session with it and keeps the new one here.",
        "api_base": "Leave empty for https://bsky.social (accounts hosted by Bluesky). For a self-hosted or other "
        "PDS, its https address.",
        "direct_messages": "yes (the default) or no. Needs an app password with access to direct messages.",
        "mark_seen": "yes or no (the default). yes: Compris marks the notifications it read as seen, so the Bluesky "
        "app's notification badge is cleared.",
        "post_language": "A language code (fr, en...) put on every reply post; empty: the customer's post's "
        "language.",
    }

    # --- helpers ---------------------------------------------------------------------------

    def profile_url(self, settings: Mapping[str, Any], *, platform_user_id: str, handle: str | None) -> str | None:
        return profile_link("https://bsky.app/profile/", handle or platform_user_id)

    def idempotent(self, visibility: str) -> bool:
        """Public replies (posts) are: their record key comes from our idempotency key, a second try finds the first
        (``getRecord``) instead of posting again. Chat messages are not."""
        return visibility == Visibility.PUBLIC

    def _base(self, account: AccountContext) -> str:
        return str(account.settings.get("api_base") or DEFAULT_PDS).rstrip("/")

    def _identifier(self, account: AccountContext) -> str:
        return str(account.settings.get("handle") or account.external_id or "").strip().lstrip("@")

    def _timeout(self, account: AccountContext) -> float | None:
        try:
            value = float(account.settings.get("timeout") or 0)
        except (TypeError, ValueError):
            return None
        return value if value > 0 else None

    def _session(self, account: AccountContext, client: httpx.Client, *, renew: bool) -> Session:
        return Session(client=client, base=self._base(account), identifier=self._identifier(account),
                       secrets=account.secrets, renew=renew, timeout=self._timeout(account))

    # --- inbound -----------------------------------------------------------------------------
    def parse(self, account: AccountContext, body: bytes) -> ParsedDelivery:
        return inbound.parse(body, our_did=account.external_id)

    def poll(self, account: AccountContext, state: Mapping[str, Any], *, wait: float = 0.0,
             interrupted: Callable[[], bool] | None = None, client: httpx.Client | None = None) -> PollResult:
        """Notifications (mentions, replies, quotes) newer than the last one stored, then the chat log since its
        cursor. ``state``: ``{"notifications": {"seen_at", "seen_ids", "backfill"?}, "chat_cursor"}``."""
        if client is None:
            with httpx.Client(timeout=self._timeout(account) or 20.0) as own:
                return self.poll(account, state, wait=wait, interrupted=interrupted, client=own)
        session = self._session(account, client, renew=True)
        try:
            saved = state.get("notifications")
            notes, notes_state = self._poll_notifications(session, account, dict(saved) if isinstance(saved, dict)
                                                          else {})
            chats: list[dict[str, Any]] = []
            chat_cursor = state.get("chat_cursor")
            if _flag(account.settings, "direct_messages", True):
                chats, chat_cursor = self._poll_chat(session, state.get("chat_cursor"))
        except XrpcError as exc:
            raise ConnectorError(self._poll_error(exc)) from None
        events = [PolledEvent(event_id=inbound.event_id(e), body=json.dumps(e, ensure_ascii=False).encode())
                  for e in [*notes, *chats]]
        new_state: dict[str, Any] = {"notifications": notes_state}
        if chat_cursor:
            new_state["chat_cursor"] = chat_cursor
        return PollResult(events=tuple(events), state=new_state, secrets=dict(session.renewed) or None)

    def _poll_error(self, exc: XrpcError) -> str:
        if exc.status == 0:
            return f"could not reach the Bluesky PDS: {exc.message}"
        if exc.unauthorized:
            return (f"Bluesky refused the session ({exc.error or exc.status}: {exc.message}); if it concerns direct "
                    "messages, create an app password with access to direct messages or set direct messages to "
                    "no")
        return f"Bluesky answered {exc.status} ({exc.error}): {exc.message}"

    def _poll_notifications(self, session: Session, account: AccountContext,
                            state: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Pages newest first until a notification already stored (``seen_at``/``seen_ids``: the newest
        ``indexedAt`` stored and the ids stored at that very time). The first poll reads one page (what came before
        the account was connected is not imported). A backlog longer than :data:`MAX_PAGES` pages is read on over
        the next polls from the saved ``backfill`` cursor before ``seen_at`` moves on: no gap."""
        seen_at = state.get("seen_at") if isinstance(state.get("seen_at"), str) else None
        seen_when = _when(seen_at)
        seen_ids = {str(i) for i in state.get("seen_ids") or [] if isinstance(i, str)}
        backfill = state.get("backfill") if isinstance(state.get("backfill"), dict) else None
        cursor = str(backfill["cursor"]) if backfill and backfill.get("cursor") else None
        top_at = str(backfill["top_at"]) if backfill and backfill.get("top_at") else None
        top_ids = {str(i) for i in (backfill or {}).get("top_ids") or []}
        found: list[dict[str, Any]] = []
        done = False
        for _ in range(MAX_PAGES):
            params: dict[str, Any] = {"limit": 100, "reasons": list(inbound.PUBLIC_REASONS)}
            if cursor:
                params["cursor"] = cursor
            data = session.get("app.bsky.notification.listNotifications", params)
            items = [n for n in data.get("notifications") or [] if isinstance(n, dict)] \
                if isinstance(data.get("notifications"), list) else []
            for item in items:
                at, key = item.get("indexedAt"), inbound.event_id(item)
                when = _when(at)
                if seen_when is not None and when is not None and (
                        when < seen_when or (when == seen_when and key in seen_ids)):
                    done = True  # everything from here on is older: stored already
                    continue
                found.append(item)
                if when is not None and isinstance(at, str):
                    top_when = _when(top_at)
                    if top_when is None or when > top_when:
                        top_at, top_ids = at, {key}
                    elif when == top_when:
                        top_ids.add(key)
            next_cursor = data.get("cursor")
            if done or not items or not isinstance(next_cursor, str) or not next_cursor or seen_when is None:
                done = True
                break
            cursor = next_cursor
        if done:
            if top_at is None:
                new_state: dict[str, Any] = {"seen_at": seen_at, "seen_ids": sorted(seen_ids)} if seen_at else {}
            elif seen_at is not None and _when(top_at) == seen_when:
                new_state = {"seen_at": seen_at, "seen_ids": sorted(seen_ids | top_ids)}
            else:
                new_state = {"seen_at": top_at, "seen_ids": sorted(top_ids)}
        else:
            new_state = {"seen_at": seen_at, "seen_ids": sorted(seen_ids),
                         "backfill": {"cursor": cursor, "top_at": top_at, "top_ids": sorted(top_ids)}}
        found.sort(key=lambda n: _when(n.get("indexedAt")) or datetime.min.replace(tzinfo=UTC))
        self._add_followers(session, account, found)
        if found and done and top_at and _flag(account.settings, "mark_seen", False):
            with contextlib.suppress(XrpcError):  # only the app's badge: our state says what was stored
                session.post("app.bsky.notification.updateSeen", {"seenAt": top_at})
        return found, new_state

    def _add_followers(self, session: Session, account: AccountContext, found: list[dict[str, Any]]) -> None:
        """Each author's ``followersCount`` from ``app.bsky.actor.getProfiles`` (25 actors a call); the
        notifications are stored without it when Bluesky does not answer."""
        dids = sorted({str(n["author"]["did"]) for n in found if isinstance(n.get("author"), dict)
                       and isinstance(n["author"].get("did"), str) and n["author"]["did"] != account.external_id})
        counts: dict[str, int] = {}
        for start in range(0, len(dids), PROFILES_BATCH):
            try:
                data = session.get("app.bsky.actor.getProfiles", {"actors": dids[start:start + PROFILES_BATCH]})
            except XrpcError as exc:
                if exc.unauthorized:
                    raise
                return
            for profile in data.get("profiles") or [] if isinstance(data.get("profiles"), list) else []:
                if isinstance(profile, dict) and isinstance(profile.get("followersCount"), int):
                    counts[str(profile.get("did"))] = int(profile["followersCount"])
        for item in found:
            author = item.get("author")
            if isinstance(author, dict) and author.get("did") in counts:
                author["followersCount"] = counts[str(author["did"])]

    def _poll_chat(self, session: Session, cursor: object) -> tuple[list[dict[str, Any]], str | None]:
        """``chat.bsky.convo.getLog`` from the saved cursor (the log's ``rev``), through the chat proxy; each new
        message gets its conversation's view (``getConvo``: the members' handles and names)."""
        current = cursor if isinstance(cursor, str) and cursor else None
        found: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            data = session.get("chat.bsky.convo.getLog", {"cursor": current} if current else None, chat=True)
            logs = [e for e in data.get("logs") or [] if isinstance(e, dict)] \
                if isinstance(data.get("logs"), list) else []
            found.extend(e for e in logs if e.get("$type") == inbound.CREATE_MESSAGE)
            after = data.get("cursor")
            if not isinstance(after, str) or not after or after == current:
                break
            current = after
            if not logs:
                break
        convos: dict[str, dict[str, Any]] = {}
        for entry in found:
            convo_id = entry.get("convoId")
            if not isinstance(convo_id, str) or convo_id in convos:
                continue
            try:
                view = session.get("chat.bsky.convo.getConvo", {"convoId": convo_id}, chat=True).get("convo")
            except XrpcError as exc:
                if exc.unauthorized:
                    raise
                view = None
            convos[convo_id] = view if isinstance(view, dict) else {}
        for entry in found:
            view = convos.get(str(entry.get("convoId")))
            if view:
                entry["convo"] = view
        return found, current

    # --- outbound ----------------------------------------------------------------------------
    def private_thread_key(self, account: AccountContext, customer: Author) -> str:
        """``dm:<did>`` until the first message: the send opens (or finds) the conversation with
        ``getConvoForMembers`` and the thread then takes the conversation's id, as inbound messages use it."""
        return f"dm:{customer.platform_user_id}"

    def send(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult:
        refuse_public(message, self.display_name)
        if message.attachments:
            raise SendError("Compris does not send attachments to Bluesky", retryable=False)
        session = self._session(account, client, renew=False)
        try:
            if message.visibility is Visibility.PUBLIC:
                return self._create_post(account, session, message)
            if message.visibility is Visibility.PRIVATE:
                if message.choices:
                    message = dataclasses.replace(message, text=as_text(message.text, message.choices), choices=())
                return self._send_dm(account, session, message)
        except XrpcError as exc:
            raise exc.as_send_error() from None
        raise SendError("internal notes are never sent to Bluesky", retryable=False)

    def _check_length(self, text: str, graphemes: int, max_bytes: int, what: str) -> None:
        if not text.strip():
            raise SendError(f"a Bluesky {what} needs text", retryable=False)
        if grapheme_count(text) > graphemes or len(text.encode("utf-8")) > max_bytes:
            raise SendError(f"a Bluesky {what} has at most {graphemes} characters and {max_bytes:,} bytes "
                            "(an emoji counts as one character but up to 25 bytes)", retryable=False)

    def _resolver(self, account: AccountContext, session: Session, message: OutboundMessage) -> Callable[[str],
                                                                                                        str | None]:
        known: dict[str, str] = {}
        own = str(account.settings.get("handle") or "").lstrip("@").lower()
        if own:
            known[own] = account.external_id
        if message.recipient and message.recipient.handle:
            known[message.recipient.handle.lstrip("@").lower()] = message.recipient.platform_user_id

        def resolve(handle: str) -> str | None:
            if handle not in known:
                try:
                    did = session.get("com.atproto.identity.resolveHandle", {"handle": handle}).get("did")
                except XrpcError as exc:
                    if exc.unauthorized or exc.retryable:
                        raise
                    did = None  # no such handle: the text stays as written, without a mention
                known[handle] = did if isinstance(did, str) and did.startswith("did:") else ""
            return known[handle] or None
        return resolve

    def _post_refs(self, session: Session, message: OutboundMessage) -> tuple[dict[str, str], dict[str, str]]:
        """``(root, parent)`` of our reply: the answered post and its thread's root, from the answered message's
        ``extra`` (stored when it was polled) or else read with ``app.bsky.feed.getPosts``."""
        post, root = message.extra.get("post"), message.extra.get("root")
        if isinstance(post, dict) and isinstance(root, dict) and all(
                isinstance(r.get(k), str) for r in (post, root) for k in ("uri", "cid")):
            return {"uri": root["uri"], "cid": root["cid"]}, {"uri": post["uri"], "cid": post["cid"]}
        uri = message.reply_to_platform_id
        if not uri or not uri.startswith("at://"):
            raise SendError("a public Bluesky reply needs the post it answers", retryable=False)
        posts = session.get("app.bsky.feed.getPosts", {"uris": [uri]}).get("posts")
        found = posts[0] if isinstance(posts, list) and posts and isinstance(posts[0], dict) else None
        if found is None or not isinstance(found.get("cid"), str):
            raise SendError("the Bluesky post this reply answers no longer exists", retryable=False)
        parent = {"uri": uri, "cid": str(found["cid"])}
        record: dict[str, Any] = found["record"] if isinstance(found.get("record"), dict) else {}
        reply: dict[str, Any] = record["reply"] if isinstance(record.get("reply"), dict) else {}
        thread_root = reply.get("root") if isinstance(reply.get("root"), dict) else None
        if thread_root and isinstance(thread_root.get("uri"), str) and isinstance(thread_root.get("cid"), str):
            return {"uri": thread_root["uri"], "cid": thread_root["cid"]}, parent
        return parent, parent

    def _create_post(self, account: AccountContext, session: Session, message: OutboundMessage) -> SendResult:
        """``com.atproto.repo.createRecord`` of an ``app.bsky.feed.post`` reply, under a record key derived from
        the idempotency key (:func:`richtext.reply_rkey`). A repository holds one record per key: when a retry
        finds the key taken (the PDS answers 500 — an "already a value at key" error it does not name — or a
        400), or an attempt timed out or failed with a 5xx, ``com.atproto.repo.getRecord`` says whether our post
        exists, and if it does the reply was sent."""
        self._check_length(message.text, PUBLIC_MAX, PUBLIC_MAX_BYTES, "post")
        root, parent = self._post_refs(session, message)
        record: dict[str, Any] = {"$type": POST, "text": message.text, "createdAt": _now_iso(),
                                  "reply": {"root": root, "parent": parent}}
        facets = richtext.facets(message.text, self._resolver(account, session, message))
        if facets:
            record["facets"] = facets
        langs = [str(account.settings["post_language"]).strip()] if account.settings.get("post_language") else \
            [str(lang) for lang in message.extra.get("langs") or [] if isinstance(lang, str)][:1]
        if langs and langs[0]:
            record["langs"] = langs
        rkey = richtext.reply_rkey(message.idempotency_key, parent["uri"])
        body = {"repo": account.external_id, "collection": POST, "rkey": rkey, "record": record}
        try:
            created = session.post("com.atproto.repo.createRecord", body)
        except XrpcError as exc:
            if not (exc.retryable or (exc.status == 400 and not exc.unauthorized)):
                raise
            existing = self._existing(session, account, rkey)
            if existing is None:
                raise
            return SendResult(platform_message_id=existing, thread_key=root["uri"])
        uri = created.get("uri")
        if not isinstance(uri, str) or not uri:
            raise SendError("Bluesky did not return the new post's URI", retryable=False)
        return SendResult(platform_message_id=uri, thread_key=root["uri"])

    def _existing(self, session: Session, account: AccountContext, rkey: str) -> str | None:
        try:
            found = session.get("com.atproto.repo.getRecord",
                                {"repo": account.external_id, "collection": POST, "rkey": rkey})
        except XrpcError:
            return None
        uri = found.get("uri")
        return uri if isinstance(uri, str) and uri else None

    def _send_dm(self, account: AccountContext, session: Session, message: OutboundMessage) -> SendResult:
        """``chat.bsky.convo.sendMessage {convoId, message: {text, facets}}`` through the chat proxy; a thread that
        has no conversation yet (``dm:<did>``) gets one from ``getConvoForMembers``."""
        self._check_length(message.text, PRIVATE_MAX, PRIVATE_MAX_BYTES, "direct message")
        convo_id = message.thread_key if message.thread_key and not message.thread_key.startswith("dm:") else None
        if convo_id is None:
            did = message.thread_key[3:] if message.thread_key.startswith("dm:") else None
            did = did or (message.recipient.platform_user_id if message.recipient else None)
            if not did or not did.startswith("did:"):
                raise SendError("a Bluesky direct message needs the customer's DID", retryable=False)
            try:
                convo = session.get("chat.bsky.convo.getConvoForMembers", {"members": [did]}, chat=True).get("convo")
            except XrpcError as exc:
                if exc.status == 400 and not exc.unauthorized:
                    raise SendError("Bluesky refused to open a conversation with this customer (their chat "
                                    f"settings may accept messages only from accounts they follow): {exc.message}",
                                    retryable=False) from None
                raise
            if not isinstance(convo, dict) or not isinstance(convo.get("id"), str):
                raise SendError("Bluesky did not return the conversation", retryable=False)
            convo_id = str(convo["id"])
        body: dict[str, Any] = {"text": message.text}
        facets = richtext.facets(message.text, self._resolver(account, session, message))
        if facets:
            body["facets"] = facets
        sent = session.post("chat.bsky.convo.sendMessage", {"convoId": convo_id, "message": body}, chat=True)
        message_id = sent.get("id")
        if not isinstance(message_id, str) or not message_id:
            raise SendError("Bluesky did not return the message's id", retryable=False)
        return SendResult(platform_message_id=message_id, thread_key=convo_id)

    # --- after an ambiguous send ---------------------------------------------------------------
    #: posts: ``getRecord`` by our record key; chat messages: the conversation's newest messages (``getMessages``)
    can_find_sent: ClassVar[bool] = True

    def find_sent(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult | None:
        """Whether a reply whose send was interrupted is on Bluesky. A post: ``com.atproto.repo.getRecord`` under the
        record key the send used (derived from the idempotency key and the post answered). A chat message:
        ``chat.bsky.convo.getMessages`` (the newest :data:`FIND_MESSAGES`) holds a message from our account with the
        same text, newer than the customer's message it answers. Not found: None; the platform could not be asked,
        or the answered message is beyond the page read: :class:`ConnectorError` (a :class:`SendError` marked
        ``unauthorized`` when the session has expired, as :meth:`send` raises it)."""
        session = self._session(account, client, renew=False)
        try:
            if message.visibility is Visibility.PUBLIC:
                return self._find_post(account, session, message)
            if message.visibility is Visibility.PRIVATE:
                return self._find_dm(account, session, message)
        except XrpcError as exc:
            if exc.unauthorized:  # an expired session: the job may renew it (refresh_credentials) and look again
                raise exc.as_send_error() from None
            raise ConnectorError(f"Bluesky could not say whether the reply arrived: {exc}") from None
        return None

    def _find_post(self, account: AccountContext, session: Session, message: OutboundMessage) -> SendResult | None:
        post, root = message.extra.get("post"), message.extra.get("root")
        parent = post.get("uri") if isinstance(post, dict) else None
        parent = parent if isinstance(parent, str) and parent else message.reply_to_platform_id
        if not parent:
            raise ConnectorError("the Bluesky post this reply answers is not known")
        rkey = richtext.reply_rkey(message.idempotency_key, parent)
        try:
            found = session.get("com.atproto.repo.getRecord",
                                {"repo": account.external_id, "collection": POST, "rkey": rkey})
        except XrpcError as exc:
            if exc.status == 400 and exc.error in ("RecordNotFound", "InvalidRequest") and not exc.unauthorized:
                return None
            raise
        uri = found.get("uri")
        if not isinstance(uri, str) or not uri:
            return None
        value = found.get("value")
        reply = value.get("reply") if isinstance(value, dict) else None
        thread_root = reply.get("root") if isinstance(reply, dict) else None
        thread = (root.get("uri") if isinstance(root, dict) else None) or \
            (thread_root.get("uri") if isinstance(thread_root, dict) else None) or parent
        return SendResult(platform_message_id=uri, thread_key=str(thread))

    def _find_dm(self, account: AccountContext, session: Session, message: OutboundMessage) -> SendResult | None:
        convo_id = message.thread_key if message.thread_key and not message.thread_key.startswith("dm:") else None
        if convo_id is None:
            did = message.thread_key[3:] if message.thread_key.startswith("dm:") else None
            did = did or (message.recipient.platform_user_id if message.recipient else None)
            if not did or not did.startswith("did:"):
                raise ConnectorError("the Bluesky conversation of this reply is not known")
            convo = session.get("chat.bsky.convo.getConvoForMembers", {"members": [did]}, chat=True).get("convo")
            if not isinstance(convo, dict) or not isinstance(convo.get("id"), str):
                raise ConnectorError("Bluesky did not return the conversation")
            convo_id = str(convo["id"])
        data = session.get("chat.bsky.convo.getMessages", {"convoId": convo_id, "limit": FIND_MESSAGES}, chat=True)
        items = data.get("messages")
        if not isinstance(items, list):
            raise ConnectorError("Bluesky answered the conversation's messages with an unexpected body")
        expected = " ".join(message.text.split())
        answered = message.reply_to_platform_id
        for item in items:  # newest first
            if not isinstance(item, dict):
                continue
            if answered and item.get("id") == answered:
                return None  # older than what the reply answers: the reply is not there
            sender = item.get("sender") if isinstance(item.get("sender"), dict) else {}
            text = item.get("text")
            if isinstance(sender, dict) and sender.get("did") == account.external_id and isinstance(text, str) \
                    and " ".join(text.split()) == expected and isinstance(item.get("id"), str):
                return SendResult(platform_message_id=str(item["id"]), thread_key=convo_id)
        if isinstance(data.get("cursor"), str) and data["cursor"]:
            raise ConnectorError(f"the conversation had more than {FIND_MESSAGES} messages since the one answered: "
                                 "Compris cannot tell whether the reply is among them")
        return None  # the whole conversation was read

    # --- session -----------------------------------------------------------------------------
    def refresh_credentials(self, account: AccountContext, client: httpx.Client) -> Mapping[str, str] | None:
        """A new access token: ``refreshSession`` with the refresh token, or a new session with the app password
        (``createSession``) when there is none or it is refused. Both tokens are returned (Bluesky rotates the
        refresh token)."""
        if not account.secrets.get("app_password") and not account.secrets.get("refresh_jwt"):
            return None
        return renew_session(client, self._base(account), self._identifier(account), account.secrets,
                             self._timeout(account))

    def check_connection(self, account: AccountContext, client: httpx.Client) -> str:
        """``com.atproto.server.getSession`` with the stored session, or a new session with the app password."""
        base, token = self._base(account), account.secrets.get("access_jwt")
        data: dict[str, Any] | None = None
        if token:
            try:
                data = call(client, base, "GET", "com.atproto.server.getSession", token=token,
                            timeout=self._timeout(account))
            except XrpcError as exc:
                if not exc.unauthorized:
                    raise ConnectorError(self._poll_error(exc)) from None
        if data is None:
            try:
                data = call(client, base, "POST", "com.atproto.server.createSession", token=None,
                            body={"identifier": self._identifier(account),
                                  "password": account.secrets.get("app_password", "")},
                            timeout=self._timeout(account))
            except XrpcError as exc:
                raise ConnectorError(f"Bluesky refused the handle and app password ({exc.error or exc.status}: "
                                     f"{exc.message})") from None
        did, handle = data.get("did"), data.get("handle")
        if account.external_id and did != account.external_id:
            raise ConnectorError(f"the app password belongs to {did}, not to {account.external_id}")
        return f"connected as @{handle} ({did})"
