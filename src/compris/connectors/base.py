"""The one interface every network connector implements.

A connector is a small, stateless object: it knows one network's wire protocol (how a webhook is
verified, what its payloads look like, how to send a reply, what the limits and reply windows are).
It never touches the database and never imports the web layer: the inbox pipeline calls it with the
raw bytes it received and stores what it returns.

Connectors are registered through the ``compris.connectors`` entry-point group, the same way a
third-party package would register its own (see ``docs/architecture.md``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

import httpx

from compris.kit import netguard
from compris.kit.clock import now

#: how a network counts a text's length: ``characters``; ``graphemes`` (what a reader sees as one character,
#: Bluesky); ``x`` (X's weighted count: URLs 23, CJK and emoji 2, the mentions that open a reply free);
#: ``mastodon`` (characters, every URL 23, a mention counted by its username only, without its server)
LengthUnit = Literal["characters", "graphemes", "x", "mastodon"]

#: the key of :attr:`OutboundMessage.extra` naming the public comment a private message answers with the
#: network's private-reply mechanism (see :meth:`Connector.private_reply_target`)
PRIVATE_REPLY_TO_COMMENT = "private_reply_to_comment"


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"
    NOTE = "note"  # internal note: never leaves Compris


class ConnectorError(Exception):
    """Base class for errors a connector raises."""


class SignatureError(ConnectorError):
    """The delivery could not be authenticated: answer 401/403 and store nothing."""

    def __init__(self, reason: str, status_code: int = 401) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code


class UnprocessableEvent(ConnectorError):
    """The delivery was authentic but of a shape we do not understand (kept, marked unprocessable)."""


class SendError(ConnectorError):
    """The platform refused or failed a send.

    ``retryable`` says whether trying again later may succeed (timeouts, 5xx, rate limits);
    ``retry_after`` is the platform's own hint in seconds, when it gave one; ``unauthorized`` says the
    platform refused our credentials (an expired access token may then be refreshed and the send retried);
    ``progress`` names the parts of a reply sent as several platform messages that did go out before the
    failure (see :func:`send_parts`): the next attempt skips them.
    """

    def __init__(
        self, reason: str, *, retryable: bool, retry_after: float | None = None, unauthorized: bool = False,
        progress: Mapping[str, str] | None = None, ambiguous: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        self.unauthorized = unauthorized
        self.progress: dict[str, str] = dict(progress or {})
        #: the request may have reached the platform and been acted on although we got no clear answer (a timeout
        #: after the request was written, a 5xx, a connection reset while reading the answer): never retried
        #: blindly. The send job retries with the same key where the network honours it (:meth:`Connector.
        #: idempotent`), else first asks the platform whether the reply is there (:meth:`Connector.find_sent`),
        #: else marks the reply *uncertain* for a person.
        self.ambiguous = ambiguous


@dataclass(frozen=True)
class AccountContext:
    """What a connector knows of the channel account it works for."""

    account_id: int
    workspace_id: int
    network: str
    external_id: str  # the platform's id for our own account (page id, handle id, phone number id...)
    settings: Mapping[str, Any] = field(default_factory=dict)  # non-secret configuration
    secrets: Mapping[str, str] = field(default_factory=dict)  # decrypted credentials; never log them


@dataclass(frozen=True)
class WebhookRequest:
    """An HTTP request as received, before any parsing (signatures are checked on ``body``)."""

    method: str
    headers: Mapping[str, str]  # lower-cased names
    query: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class WebhookResponse:
    status_code: int = 200
    body: bytes = b'{"ok":true}'
    media_type: str = "application/json"


@dataclass(frozen=True)
class Author:
    platform_user_id: str
    handle: str | None = None
    name: str | None = None
    followers: int | None = None
    verified: bool = False
    avatar_url: str | None = None


@dataclass(frozen=True)
class Attachment:
    """A file on a message. Inbound: what the platform described. Outbound: an agent's upload, with ``url`` the
    signed public address the platform may fetch it from and ``data`` its bytes when the connector's
    :class:`AttachmentRules` say it sends bytes (``public_url=False``)."""

    kind: str  # image, video, audio, file, sticker, location...
    url: str | None = None
    name: str | None = None
    mime_type: str | None = None
    size: int | None = None
    upload_id: int | None = None
    data: bytes | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class ParentPost:
    """The post a public comment is under (a brand's post on its page, a tweet, a video...), as far as the platform
    told us: its id always; its text, author, link and time when the delivery carried them (or once fetched, see
    :meth:`Connector.fetch_post`). ``by_account`` is True when the post is our own account's, False when it is
    someone else's, None when the delivery does not say."""

    platform_post_id: str
    text: str | None = None
    title: str | None = None  # a video's title, a post's headline
    permalink: str | None = None
    created_at: datetime | None = None
    author_id: str | None = None
    author_name: str | None = None
    by_account: bool | None = None


@dataclass(frozen=True)
class InboundMessage:
    """One customer (or own-account) message, normalised."""

    platform_message_id: str
    thread_key: str  # the platform's conversation: a post id, a DM conversation id, a mail thread root
    visibility: Visibility
    author: Author
    text: str
    created_at: datetime
    reply_to_platform_id: str | None = None
    thread_title: str | None = None
    attachments: tuple[Attachment, ...] = ()
    promoted: bool = False
    reshares: int = 0
    is_own: bool = False  # an echo of something our account sent: recorded, never triaged as inbound
    permalink: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: a review's rating on the network's scale, normalised to 1-5 stars (None: not a review, or no rating).
    #: Stored on the message, shown as stars, and read by triage (1-2 stars: a complaint).
    rating: int | None = None
    #: the post this public comment is under (None: a post of its own, a private message, or the network does not
    #: say); comments under one post are grouped by it in the inbox and the case shows it
    parent_post: ParentPost | None = None


@dataclass(frozen=True)
class DeliveryStatus:
    """A platform's report on a message we sent (delivered, read, failed)."""

    platform_message_id: str
    status: str
    at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class ParsedDelivery:
    messages: tuple[InboundMessage, ...] = ()
    statuses: tuple[DeliveryStatus, ...] = ()
    #: parts of a batched delivery that were understood but not turned into messages (another account's
    #: entry, an event type we do not handle...), each with a short reason, for logs and the raw-event view
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class Choice:
    """One answer the customer can pick with a tap (a satisfaction rating...): shown as the network's quick
    replies or buttons where it has them. ``payload`` comes back in the customer's answer as
    ``InboundMessage.extra["choice"]``; ``url`` is where a network with no buttons (e-mail) links it instead."""

    label: str
    payload: str
    url: str | None = None


@dataclass(frozen=True)
class OutboundMessage:
    """A reply to send. ``idempotency_key`` is stable across retries of the same reply."""

    idempotency_key: str
    text: str
    visibility: Visibility
    thread_key: str
    reply_to_platform_id: str | None
    recipient: Author | None  # the customer, for private messages
    attachments: tuple[Attachment, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: parts of this reply a previous attempt already sent (``{part key: platform id}``, see :func:`send_parts`)
    progress: Mapping[str, str] = field(default_factory=dict)
    #: answers offered as the network's quick replies or buttons (empty: a plain message)
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class SendResult:
    platform_message_id: str
    thread_key: str | None = None
    #: every platform message the reply became, when the network took it as several (text, each attachment)
    parts: Mapping[str, str] = field(default_factory=dict)


def send_parts(message: OutboundMessage, parts: Sequence[tuple[str, Callable[[], str]]]) -> dict[str, str]:
    """Send a reply that the network takes as several messages (the text, then each attachment), in order and
    each once: parts a previous attempt already sent (``message.progress``) are skipped, and a failure raises the
    :class:`SendError` with what did go out (``progress``), which the send job keeps for the next attempt.
    Returns ``{part key: platform id}`` for every part."""
    done = dict(message.progress)
    for key, send in parts:
        if key in done:
            continue
        try:
            done[key] = send()
        except SendError as exc:
            exc.progress = {**done, **exc.progress}
            raise
    return done


@dataclass(frozen=True)
class AttachmentRules:
    """What a network accepts as attachments on one kind of reply (public or private).

    ``mime_types`` are the accepted types (Compris recognises them from the file's bytes); ``max_bytes`` is the
    largest file, ``max_bytes_by_kind`` a stricter limit per kind (``image``, ``video``, ``audio``, ``file``);
    ``max_count`` the number of files on one reply; ``without_text`` whether a reply may be only files;
    ``public_url`` whether the network fetches the file from a URL (Compris's signed ``/media/<token>`` address,
    which must be reachable from the network: ``COMPRIS_BASE_URL``) rather than receiving its bytes.
    """

    mime_types: frozenset[str]
    max_count: int = 1
    max_bytes: int | None = None
    max_bytes_by_kind: Mapping[str, int] = field(default_factory=dict)
    max_total_bytes: int | None = None
    without_text: bool = True
    public_url: bool = True

    def limit_for(self, kind: str) -> int | None:
        limits = [n for n in (self.max_bytes, self.max_bytes_by_kind.get(kind)) if n is not None]
        return min(limits) if limits else None

    def refusal(self, network: str, files: Sequence[Attachment], *, has_text: bool) -> str | None:
        """Why ``files`` cannot go on this reply (a sentence naming the file), or None when they can."""
        found = self.refusal_message(network, files, has_text=has_text)
        return found[0] % found[1] if found else None

    def refusal_message(self, network: str, files: Sequence[Attachment], *,
                        has_text: bool) -> tuple[str, dict[str, object]] | None:
        """:meth:`refusal` as a message to translate and its values (``msgid % params``), or None."""
        if len(files) > self.max_count:
            msgid = ("%(network)s accepts at most %(max)s attachment on this reply (%(given)s given)"
                     if self.max_count == 1 else
                     "%(network)s accepts at most %(max)s attachments on this reply (%(given)s given)")
            return msgid, {"network": network, "max": self.max_count, "given": len(files)}
        if files and not has_text and not self.without_text:
            return "%(network)s needs text with an attachment", {"network": network}
        for f in files:
            name = f.name or f.kind
            if f.mime_type not in self.mime_types:
                if f.mime_type:
                    return ("%(network)s does not accept %(type)s here (%(name)s)",
                            {"network": network, "type": f.mime_type, "name": name})
                return "%(network)s does not accept this type of file here (%(name)s)", {"network": network,
                                                                                        "name": name}
            limit = self.limit_for(f.kind)
            if limit is not None and (f.size or 0) > limit:
                return ("%(name)s is too large for %(network)s (%(size)s; at most %(max)s)",
                        {"name": name, "network": network, "size": _mb(f.size or 0), "max": _mb(limit)})
        total = sum(f.size or 0 for f in files)
        if self.max_total_bytes is not None and total > self.max_total_bytes:
            return ("the attachments are too large together for %(network)s (at most %(max)s)",
                    {"network": network, "max": _mb(self.max_total_bytes)})
        return None


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


NO_ATTACHMENTS = "this network does not accept attachments from Compris"


@dataclass(frozen=True)
class ChoiceRules:
    """How a network shows :class:`Choice` answers on a private message (a survey's ratings).

    ``buttons`` False: the network has no quick replies the connector can send, so the choices are written in the
    text (a numbered list, each choice's ``url`` beside it) and the customer answers in words or with a number.
    ``max_choices`` is the most buttons one message carries (beyond it the connector writes them in the text too),
    ``label_length`` the longest label a button shows (longer labels are shortened with "…"), ``payload_length``
    the longest payload the platform gives back. ``window``: automated messages with choices are allowed only
    within this time of the customer's last message (Meta's 24-hour standard window: the 7-day ``HUMAN_AGENT``
    tag is for replies a person wrote, not for a survey); None: the network's reply window applies."""

    buttons: bool = False
    max_choices: int = 0
    label_length: int = 0
    payload_length: int = 0
    window: timedelta | None = None


@dataclass(frozen=True)
class Limits:
    public_max_length: int | None = None
    private_max_length: int | None = None
    #: how the network counts a text's length (:data:`LengthUnit`): ``characters``, ``graphemes`` (Bluesky) or
    #: ``x`` (X's weighted count: URLs 23, CJK and emoji 2, the mentions that open a reply free)
    length_unit: LengthUnit = "characters"
    public_reply_window: timedelta | None = None  # None: no window
    private_reply_window: timedelta | None = None
    #: attachments each kind of reply accepts; None: none (with the reason shown to the agent)
    public_attachments: AttachmentRules | None = None
    private_attachments: AttachmentRules | None = None
    public_attachments_reason: str = NO_ATTACHMENTS
    private_attachments_reason: str = NO_ATTACHMENTS
    #: how choices (quick replies, buttons) are shown on a private message; the default writes them in the text
    choices: ChoiceRules = ChoiceRules()
    #: False when the network refuses emoji in replies (Yelp's review responses): the reply guard says so
    emoji: bool = True
    #: the most public replies one account may post per day (Yelp: 20 responses per location), None: no such cap
    daily_public_replies: int | None = None

    def max_length(self, visibility: str) -> int | None:
        """The longest text a reply of this visibility may have (in ``length_unit``), None: no limit known."""
        if visibility == Visibility.PUBLIC:
            return self.public_max_length
        if visibility == Visibility.PRIVATE:
            return self.private_max_length
        return None

    def count(self, text: str, visibility: str) -> int:
        """``text``'s length as this network counts it for a reply of this visibility."""
        from compris.kit.textlength import grapheme_count, mastodon_length, x_length

        if self.length_unit == "mastodon":
            return mastodon_length(text)
        if self.length_unit == "x":
            return x_length(text, reply=visibility == Visibility.PUBLIC)
        if self.length_unit == "graphemes":
            return grapheme_count(text)
        return len(text)

    def attachment_rules(self, visibility: str) -> AttachmentRules | None:
        if visibility == Visibility.PUBLIC:
            return self.public_attachments
        if visibility == Visibility.PRIVATE:
            return self.private_attachments
        return None

    def no_attachments_reason(self, visibility: str) -> str:
        if visibility == Visibility.PUBLIC:
            return self.public_attachments_reason
        if visibility == Visibility.PRIVATE:
            return self.private_attachments_reason
        return "internal notes have no attachments"

    @property
    def attachments(self) -> bool:
        """Whether any reply on this network can carry attachments."""
        return self.public_attachments is not None or self.private_attachments is not None


@dataclass(frozen=True)
class WindowStatus:
    open: bool
    closes_at: datetime | None
    reason: str | None = None


def profile_link(base: str, part: str | None) -> str | None:
    """``base`` followed by ``part`` (a handle or an id, its leading ``@`` dropped), or None when there is no
    part or it holds anything but letters, digits and ``._-:`` (never a link built from a customer's odd text)."""
    value = (part or "").strip().lstrip("@")
    if not value or not all(c.isascii() and (c.isalnum() or c in "._-:") for c in value):
        return None
    return base + value


class Connector:
    """Base class: override what your network needs. Every method is pure protocol work."""

    network: ClassVar[str]
    display_name: ClassVar[str]
    #: other names people give the network (``twitter`` for X), accepted where a user types a network's name
    aliases: ClassVar[tuple[str, ...]] = ()
    limits: ClassVar[Limits] = Limits()
    #: names of the secrets an admin must provide when connecting an account
    secret_fields: ClassVar[tuple[str, ...]] = ()
    #: names of the non-secret settings
    setting_fields: ClassVar[tuple[str, ...]] = ()
    #: secrets an admin may leave empty (the others are required to connect an account)
    optional_fields: ClassVar[tuple[str, ...]] = ()
    #: secrets Compris generates when left empty and shows in full, because the admin pastes them into
    #: the platform's console (Meta's webhook verify token)
    generated_fields: ClassVar[tuple[str, ...]] = ()
    #: what the admin page shows for each field (``external_id``, secrets, settings): a label and a help text
    field_labels: ClassVar[Mapping[str, str]] = {}
    field_help: ClassVar[Mapping[str, str]] = {}
    #: True when the platform de-duplicates sends by our idempotency key, so that a send
    #: interrupted by a crash can safely be tried again (otherwise it is held for a person to check)
    supports_idempotency: ClassVar[bool] = False
    #: True when a public reply starts with the customer's ``@handle``: X shows the mentions that open a reply as
    #: its addressees (and does not count them in its length), Mastodon notifies only the accounts a post names.
    #: The reply box and the move-to-private notice then prefill it (see :meth:`reply_mention`).
    public_reply_mentions: ClassVar[bool] = False
    #: True when Compris may open a private conversation with a customer who has only written in public (X: a DM,
    #: which the customer's own settings may still refuse; the send then fails and says so). False: a private
    #: message needs the customer's private thread, or the network's private reply to a comment
    #: (:meth:`private_reply_target`). Automatic private messages (satisfaction surveys) read it.
    can_start_private: ClassVar[bool] = False
    #: True when the network's public threads are reviews with a rating (Google, Yelp, TripAdvisor): the inbox
    #: shows the stars, triage reads the rating, and the reply guard applies the review sites' response rules
    #: (no incentive, no request to change or delete the review, no personal data)
    reviews: ClassVar[bool] = False
    #: What a private message is called on this network, for the reply box ("Private message on WhatsApp"):
    #: ``message``, or ``email`` where private messages are e-mails
    private_kind: ClassVar[str] = "message"
    #: True when public replies cannot be posted through the platform's API (TripAdvisor's management responses):
    #: the agent writes and guard-checks the reply in Compris, copies it, posts it on the platform
    #: (:meth:`manual_send_url`) and confirms; the reply waits in the ``manual`` delivery state until then
    manual_public_replies: ClassVar[bool] = False
    #: False when the network has no private conversation with a customer (review sites, YouTube comments): the
    #: reply box offers no private message and no "move to private", and a private reply is refused before it is
    #: queued (surveys already skip customers no private message can reach)
    private_messages: ClassVar[bool] = True

    # --- inbound -------------------------------------------------------------------------
    def handshake(self, account: AccountContext, request: WebhookRequest) -> WebhookResponse | None:
        """Answer a verification request (CRC, hub.challenge...), or None when it is not one."""
        return None

    @property
    def accepts_webhooks(self) -> bool:
        """Whether the network pushes events to our webhook URL (the connector checks their signature); a polled
        network (e-mail) has nothing to paste in a platform's settings."""
        return type(self).verify is not Connector.verify

    def verify(self, account: AccountContext, request: WebhookRequest) -> None:
        """Authenticate a delivery on its raw bytes; raise :class:`SignatureError` when it fails."""
        raise SignatureError("this connector does not accept webhooks", 404)

    def event_id(self, account: AccountContext, request: WebhookRequest) -> str:
        """The platform's id for this delivery, used to store it exactly once."""
        import hashlib

        return "sha256:" + hashlib.sha256(request.body).hexdigest()

    def parse(self, account: AccountContext, body: bytes) -> ParsedDelivery:
        """Turn a stored, verified delivery into messages. Raise :class:`UnprocessableEvent`."""
        raise UnprocessableEvent("this connector does not parse webhooks")

    def routing_ids(self, body: bytes) -> frozenset[str]:
        """The platform ids of the accounts a verified delivery is addressed to, for networks where one
        callback URL serves several accounts (Meta: one URL per app, for all its Pages). Compris hands a
        copy of the delivery to each account of the same workspace and network whose ``external_id`` is
        named here and whose own credentials verify it. Empty (the default): the delivery is only for the
        account whose URL received it. Never raises."""
        return frozenset()

    def needs_enrichment(self, message: InboundMessage) -> bool:
        """True when a parsed message lacks content the platform gives only on request (Instagram mentions)."""
        return False

    def enrich(self, account: AccountContext, message: InboundMessage, client: httpx.Client) -> InboundMessage:
        """Fetch what :meth:`needs_enrichment` said is missing (called outside any database transaction)."""
        return message

    def fetch_post(self, account: AccountContext, platform_post_id: str, client: httpx.Client) -> ParentPost | None:
        """The post ``platform_post_id`` (its text, author, link and time) read from the platform, for a comment whose
        delivery named only the post's id; None when the network or this connector cannot read posts (the default:
        the case then shows "a post on <account>" with its link). Raise :class:`FetchError` on a failure (called
        outside any database transaction, by the ``inbox.fetch_post`` job)."""
        return None

    def acknowledge(self, account: AccountContext, request: WebhookRequest) -> WebhookResponse:
        """What to answer once a delivery is stored (some platforms want a plain ``ok``)."""
        return WebhookResponse()

    # --- outbound ------------------------------------------------------------------------
    def reply_mention(self, visibility: str, handle: str | None) -> str:
        """``"@handle "`` to start a reply of this visibility to the customer ``handle`` with, or ``""``.

        Only public replies on networks with :attr:`public_reply_mentions`, and only for a handle that is one
        word (a leading ``@`` is dropped; Mastodon's ``name@server`` is kept whole)."""
        if visibility != Visibility.PUBLIC or not self.public_reply_mentions or not handle:
            return ""
        bare = handle.strip().lstrip("@")
        if not bare or any(c.isspace() for c in bare):
            return ""
        return f"@{bare} "

    def private_reply_target(self, comment_extra: Mapping[str, Any]) -> str | None:
        """The platform id to answer a public comment privately with, or None when the network has no such
        mechanism (the default).

        ``comment_extra`` is the :attr:`InboundMessage.extra` the connector parsed for the comment. Facebook and
        Instagram can send a *private reply* to a comment (one message, within 7 days, which opens the Messenger
        or Instagram conversation): they return the comment's id, which Compris puts in the private message's
        ``extra`` under :data:`PRIVATE_REPLY_TO_COMMENT` for :meth:`send`. Elsewhere "move to private" opens or
        continues the customer's private conversation on the same account (:meth:`private_thread_key`)."""
        return None

    def private_thread_key(self, account: AccountContext, customer: Author) -> str:
        """The thread key of the private conversation with ``customer`` (as inbound DMs use it)."""
        return f"dm:{customer.platform_user_id}"

    #: what an identity's platform id is, when it is also a way to reach the person outside the network (the
    #: e-mail address of a mailbox's sender, a WhatsApp number): ``email``, ``phone`` or None. Read by the
    #: "probably the same customer" suggestions (the same address or number on two contacts)
    identity_reach: ClassVar[str | None] = None

    def profile_url(self, settings: Mapping[str, Any], *, platform_user_id: str, handle: str | None) -> str | None:
        """The person's public profile on the network (shown on the customer panel), or None where it has none
        (a phone number, an e-mail address) or where the ids it gives cannot be linked to. ``settings``: those of
        the account the person wrote to (a Mastodon instance's address)."""
        return None

    def reach_kind(self, settings: Mapping[str, Any]) -> str | None:
        """:attr:`identity_reach` for the account with these non-secret ``settings`` (the sandbox network answers
        for the platform it imitates)."""
        return self.identity_reach

    def name_for(self, settings: Mapping[str, Any]) -> str:
        """The network's name as shown beside an account with these non-secret ``settings`` (:attr:`display_name`;
        the sandbox network names the platform it imitates)."""
        return self.display_name

    def has_private_messages(self, settings: Mapping[str, Any]) -> bool:
        """Whether the account with these non-secret ``settings`` has private conversations with customers
        (:attr:`private_messages`, the network's answer; the sandbox network answers per account)."""
        return self.private_messages

    def replies_by_hand(self, settings: Mapping[str, Any]) -> bool:
        """Whether public replies on the account with these non-secret ``settings`` are posted by hand (see
        :attr:`manual_public_replies`, the network's answer; the sandbox network answers per account, as the
        platform it imitates)."""
        return self.manual_public_replies

    def idempotent(self, visibility: str) -> bool:
        """Whether a send of this visibility interrupted mid-way may be tried again without a risk of a second copy
        (:attr:`supports_idempotency`, unless the network differs by kind of reply: Bluesky posts carry our record
        key, its chat messages nothing)."""
        return self.supports_idempotency

    def manual_send_url(self, account: AccountContext, message: OutboundMessage) -> str | None:
        """Where the agent posts a reply by hand on a network with :attr:`manual_public_replies` (a deep link to
        the platform's response page for that review), or None when the platform has no such link."""
        return None

    def send(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult:
        raise SendError(f"{self.display_name} cannot send messages", retryable=False)

    def reply_window(
        self, visibility: Visibility, last_customer_message_at: datetime | None, now: datetime
    ) -> WindowStatus:
        window = (
            self.limits.public_reply_window if visibility is Visibility.PUBLIC else self.limits.private_reply_window
        )
        if window is None or visibility is Visibility.NOTE:
            return WindowStatus(open=True, closes_at=None)
        if last_customer_message_at is None:
            return WindowStatus(open=False, closes_at=None, reason="the customer has not written to us")
        closes = last_customer_message_at + window
        if now >= closes:
            return WindowStatus(
                open=False,
                closes_at=closes,
                reason=f"{self.display_name} allows replies only within {_human(window)} "
                "of the customer's last message",
            )
        return WindowStatus(open=True, closes_at=closes)

    def choices_window(self, last_customer_message_at: datetime | None, now: datetime) -> WindowStatus:
        """Whether an automated private message with :class:`Choice` answers (a survey) may be sent now: the
        network's private reply window, narrowed to :attr:`ChoiceRules.window` where the network has one."""
        status = self.reply_window(Visibility.PRIVATE, last_customer_message_at, now)
        window = self.limits.choices.window
        if not status.open or window is None or last_customer_message_at is None:
            return status
        closes = last_customer_message_at + window
        if now >= closes:
            return WindowStatus(open=False, closes_at=closes,
                                reason=f"{self.display_name} allows automated messages (a survey) only within "
                                f"{int(window.total_seconds() // 3600)} hours of the customer's last message")
        return WindowStatus(open=True, closes_at=closes)

    #: True when :meth:`find_sent` can tell whether a reply reached the platform after an ambiguous send
    can_find_sent: ClassVar[bool] = False

    def find_sent(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult | None:
        """After an ambiguous send (:attr:`SendError.ambiguous`) on a network without idempotency keys: the platform's
        record of this reply if it is there (our account's recent posts or the conversation's recent messages,
        matched on the answered message and the text), None when it is certainly not there. Raise
        :class:`ConnectorError` when the platform cannot tell (the reply is then marked uncertain)."""
        raise ConnectorError(f"{self.display_name} cannot tell whether a reply arrived")

    def refresh_credentials(self, account: AccountContext, client: httpx.Client) -> Mapping[str, str] | None:
        """Renew short-lived credentials (OAuth2 refresh); returns the secrets to store, or None when this
        network or account has nothing to refresh. Raises :class:`ConnectorError` when the platform refuses."""
        return None

    #: True when the platform can redeliver the events of a past window (X's webhook replay)
    supports_replay: ClassVar[bool] = False
    #: the longest window one replay request may cover
    replay_max_window: ClassVar[timedelta] = timedelta(hours=24)

    def replay(self, account: AccountContext, start: datetime, end: datetime, client: httpx.Client) -> str:
        """Ask the platform to redeliver the events of [start, end]; returns its job id or a short note."""
        raise ConnectorError(f"{self.display_name} cannot replay past events")

    def check_connection(self, account: AccountContext, client: httpx.Client) -> str:
        """Make one harmless authenticated call; return a short description or raise ConnectorError."""
        return "nothing to check"

    # --- polling (networks without webhooks: e-mail...) --------------------------------------
    #: True when the network is read by :meth:`poll` rather than (or as well as) webhooks
    supports_polling: ClassVar[bool] = False

    def poll(self, account: AccountContext, state: Mapping[str, Any], *, wait: float = 0.0,
             interrupted: Callable[[], bool] | None = None, client: httpx.Client | None = None) -> PollResult:
        """Fetch what arrived since ``state`` (the ``state`` of the previous :class:`PollResult`; empty at
        first), waiting up to ``wait`` seconds for something new where the network can push (IMAP IDLE, a
        Mastodon streaming connection). HTTP networks use ``client`` (the runtime's shared client; None in
        code that has none: create one then).
        While waiting, ask ``interrupted()`` about once a second and end the wait when it answers True (the
        worker thread is needed elsewhere, or is stopping).

        Each returned :class:`PolledEvent` is stored exactly like a verified webhook delivery (idempotent on
        its ``event_id``) and later given to :meth:`parse`; store the new state only after the events are
        committed, so that a crash re-fetches rather than loses.
        """
        raise ConnectorError(f"{self.display_name} is not polled")

    # --- mastodon: limits that depend on the account (a Mastodon instance sets its own character limit) ----------
    def limits_for(self, settings: Mapping[str, Any]) -> Limits:
        """The limits of the account whose non-secret ``settings`` are given: the reply box, the reply guard and the
        outbox read a reply's length limit here. The default is the network's :attr:`limits`; Mastodon answers
        with its instance's character limit (the account's ``max_characters`` setting)."""
        return self.limits

    # --- youtube: what a polled account's saved state says, for the admin channel page (a quota spent...)
    def poll_status(self, state: Mapping[str, Any]) -> str | None:
        """A short sentence about the account's polling, read from its saved ``state`` (the last
        :attr:`PollResult.state`), e.g. "YouTube quota today: 1,234 of 10,000 units"; None: nothing to say."""
        found = self.poll_status_message(state)
        return found[0] % found[1] if found else None

    def poll_status_message(self, state: Mapping[str, Any]) -> tuple[str, dict[str, object]] | None:
        """:meth:`poll_status` as a message to translate and its values (``msgid % params``), or None."""
        return None

    # --- inbound attachments: a customer's file fetched once and kept by Compris (platforms' URLs expire) -------
    def fetchable(self, file: InboundFile) -> bool:
        """Whether the attachment is a file Compris can fetch and keep (an image, a video, an audio file, a
        document, a sticker), as opposed to a location, a link or a shared post. The default: a file kind with an
        ``http(s)`` address; networks whose files are named by an id (WhatsApp, Telegram) or carried in the
        message itself (e-mail) answer from :attr:`InboundFile.extra` or the raw delivery."""
        return file.attachment.kind in FILE_KINDS and is_http_url(file.attachment.url)

    def fetch_attachment(self, account: AccountContext, file: InboundFile, client: httpx.Client, *,
                         max_bytes: int) -> FetchedFile:
        """The file's bytes, at most ``max_bytes`` (called by a background job, outside any database transaction).
        The default GETs the attachment's address without credentials (public CDNs: Facebook, Instagram,
        Mastodon, Bluesky, VK); override it where the platform needs its token or an extra step. Raise
        :class:`FetchError`: ``retryable`` for what may work later (a timeout, a 5xx, a rate limit), otherwise
        with its ``code`` (``too_large``, ``not_found``, ``refused``, ``unavailable``)."""
        url = file.attachment.url
        if not url or not is_http_url(url):
            raise FetchError("the network gave no address for this file", code="unavailable")
        return download(client, url, max_bytes=max_bytes, network=self.display_name,
                        name=file.attachment.name or url_file_name(url))


@dataclass(frozen=True)
class PolledEvent:
    """One raw event fetched by :meth:`Connector.poll` (the analogue of a webhook delivery)."""

    event_id: str  # the platform's id, for idempotent storage (e-mail: "<uidvalidity>:<uid>")
    body: bytes  # the raw payload, later given to :meth:`Connector.parse`


@dataclass(frozen=True)
class PollResult:
    events: tuple[PolledEvent, ...]
    state: Mapping[str, Any]  # JSON-serialisable; give it back to the next poll
    #: credentials the poll renewed (an expired OAuth2 access token refreshed with :meth:`Connector.
    #: refresh_credentials` after a 401, a new Bluesky session): stored, encrypted, with the events and the state
    secrets: Mapping[str, str] | None = None


def retry_after_seconds(headers: Mapping[str, str], now: datetime) -> float | None:
    """The wait a platform asked for, in seconds, from its rate-limit headers (``None`` when it gave none).

    Understands ``Retry-After`` (seconds or HTTP date), ``x-rate-limit-reset`` (X: epoch seconds) and
    ``X-RateLimit-Reset`` (epoch seconds, seconds from now, or an ISO-8601 time as Mastodon sends).
    ``now`` must be aware.
    """
    from email.utils import parsedate_to_datetime

    lowered = {k.lower(): v.strip() for k, v in headers.items()}
    value = lowered.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=now.tzinfo)
            return max(0.0, (when - now).total_seconds())
    for name in ("x-rate-limit-reset", "x-ratelimit-reset"):
        value = lowered.get(name)
        if not value:
            continue
        try:
            number = float(value)
        except ValueError:
            try:
                when = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            if when.tzinfo is None:
                continue
            return max(0.0, (when - now).total_seconds())
        if number > 1_000_000_000:  # an epoch timestamp
            return max(0.0, number - now.timestamp())
        return max(0.0, number)
    return None


def _human(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours and hours % 24 == 0:
        days = hours // 24
        return f"{days} day{'s' if days > 1 else ''}"
    return f"{hours} hours"


def transport_failure(exc: httpx.TransportError, network: str) -> SendError:
    """The :class:`SendError` for a network error while sending: retryable, and *ambiguous* unless the request
    certainly never reached the platform (the connection could not be opened, no connection was free)."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return SendError(f"could not reach {network}: {type(exc).__name__}", retryable=True)
    if isinstance(exc, httpx.TimeoutException):
        return SendError(f"{network} did not answer in time: the reply may have arrived", retryable=True,
                         ambiguous=True)
    return SendError(f"the connection to {network} broke ({type(exc).__name__}): the reply may have arrived",
                     retryable=True, ambiguous=True)


# --- inbound attachments: what a connector is given and returns when a customer's file is fetched ------------------
#: the attachment kinds that are files (kept by Compris); locations, links, shared posts and the like are not
FILE_KINDS = frozenset({"image", "video", "audio", "file", "sticker"})
#: the longest a download may take before it is given up (and retried later)
FETCH_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
_CHUNK = 64 * 1024
#: top-level names reserved for documentation and tests (RFC 2606, 6761): never fetched
RESERVED_TLDS = frozenset({"example", "invalid", "test", "localhost"})
FetchCode = Literal["too_large", "not_found", "refused", "unavailable"]


@dataclass(frozen=True)
class InboundFile:
    """One attachment of a stored customer message, to fetch: its position among the message's attachments, what
    the platform described, the message's :attr:`InboundMessage.extra` (WhatsApp's media ids, Telegram's file ids)
    and the raw delivery's body when it is still kept (an e-mail's MIME message, whose parts are the files)."""

    index: int
    attachment: Attachment
    extra: Mapping[str, Any] = field(default_factory=dict)
    raw: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class FetchedFile:
    """A fetched file's bytes, with what the platform said of its type and name (the type Compris keeps is always
    recognised from the bytes)."""

    data: bytes = field(repr=False)
    mime_type: str | None = None
    name: str | None = None


class FetchError(ConnectorError):
    """A file could not be fetched. ``retryable``: try again later (after ``retry_after`` seconds when the platform
    said); otherwise ``code`` says why it will never be kept: ``too_large``, ``not_found`` (deleted, or its address
    expired), ``refused`` (the platform refused our credentials or the file), ``unavailable`` (no address, nothing
    to fetch). The reason never holds a credential."""

    def __init__(self, reason: str, *, code: FetchCode = "unavailable", retryable: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after


def is_http_url(url: str | None) -> bool:
    return isinstance(url, str) and url.lower().startswith(("https://", "http://"))


def url_file_name(url: str) -> str | None:
    """The last segment of an address's path (``photo.jpg``), or None."""
    from urllib.parse import unquote, urlsplit

    tail = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return tail or None


def download(client: httpx.Client, url: str, *, max_bytes: int, network: str, name: str | None = None,
             headers: Mapping[str, str] | None = None, trusted: bool = False) -> FetchedFile:
    """GET ``url`` (following redirects; httpx drops ``Authorization`` on a redirect to another host) and read at
    most ``max_bytes``: a larger file is refused as soon as its ``Content-Length`` or its bytes say so. The
    errors name neither the address nor the headers (a Telegram download URL holds the bot token). Names that
    never resolve on the Internet (``.example``, ``.invalid``, ``.test``, ``localhost``: RFC 2606 and 6761) are
    not fetched; the request is marked :data:`compris.kit.netguard.UNTRUSTED`, so that a client with netguard's
    hooks (Compris' own) refuses any address off the Internet (a private, loopback or link-local one), redirects
    included — unless ``trusted``: an address built on the API base an admin configured for the account (a
    self-hosted Telegram Bot API server)."""
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if not host or host == "localhost" or host.rsplit(".", 1)[-1] in RESERVED_TLDS:
        raise FetchError(f"{network} gave an address that is not on the Internet", code="unavailable")
    try:
        # UNTRUSTED: the client's hooks (compris.kit.netguard) refuse an address off the Internet, on every hop
        with client.stream("GET", url, headers=dict(headers or {}), timeout=FETCH_TIMEOUT, follow_redirects=True,
                           extensions={netguard.UNTRUSTED: not trusted}) as response:
            status = response.status_code
            if status >= 400:
                raise fetch_failure(status, response.headers, network)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"the file is larger than {_mb(max_bytes)}", code="too_large")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"the file is larger than {_mb(max_bytes)}", code="too_large")
                chunks.append(chunk)
            mime = response.headers.get("content-type", "").split(";", 1)[0].strip() or None
            return FetchedFile(data=b"".join(chunks), mime_type=mime, name=name)
    except netguard.AddressRefused:
        raise FetchError(f"{network} gave an address that is not on the Internet", code="unavailable") from None
    except httpx.TimeoutException:
        raise FetchError(f"{network} did not send the file in time", retryable=True) from None
    except httpx.TransportError as exc:
        raise FetchError(f"could not reach {network} to fetch the file: {type(exc).__name__}",
                         retryable=True) from None
    except httpx.HTTPError as exc:  # too many redirects, an invalid address
        raise FetchError(f"{network} did not give the file: {type(exc).__name__}", code="unavailable") from None


def fetch_failure(status: int, headers: Mapping[str, str], network: str) -> FetchError:
    """What an HTTP error status means for a file: 404 and 410 gone (deleted, or an expired address), 401 and 403
    refused, 429 and 5xx retried (after the platform's ``Retry-After``), any other 4xx refused."""
    if status in (404, 410):
        return FetchError(f"{network} no longer has the file (HTTP {status}: deleted, or its address expired)",
                          code="not_found")
    if status in (401, 403):
        return FetchError(f"{network} refused to give the file (HTTP {status})", code="refused")
    if status == 429 or status >= 500:
        return FetchError(f"{network} could not give the file now (HTTP {status})", retryable=True,
                          retry_after=retry_after_seconds(headers, now()))
    return FetchError(f"{network} refused to give the file (HTTP {status})", code="refused")
