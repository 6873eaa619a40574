"""The sandbox network's behaviour: customers post, webhooks are delivered and retried, brands reply."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from compris.connectors.sandbox import sign
from compris.sandbox_network.store import (
    DELIVERED,
    DELIVERING,
    FAILED,
    RETRYING,
    Brand,
    Delivery,
    NetworkError,
    Persona,
    Store,
    StoredMessage,
    ThreadRow,
    digest,
    iso,
    new_id,
    upsert_persona,
    utcnow,
)

log = logging.getLogger(__name__)

KINDS = ("post", "comment", "dm")
PUBLIC_MAX = 1000  # what the network accepts from a brand (the connector's limits)
PRIVATE_MAX = 4000
CUSTOMER_MAX = 5000
ATTACHMENT_FIELDS = ("kind", "url", "name", "mime_type")
#: answers a brand may offer as buttons on a private message (the connector's ``ChoiceRules``)
MAX_CHOICES = 10
CHOICE_LABEL_MAX = 40
CHOICE_PAYLOAD_MAX = 500


@dataclass(frozen=True)
class Posted:
    """What the network answers when a customer message is stored (and, with ``wait``, delivered)."""

    id: str
    thread_id: str
    event_id: str
    delivery_id: int | None
    status: int | None = None  # the webhook's HTTP status, for a synchronous delivery
    state: str | None = None
    error: str | None = None
    body: bytes = field(default=b"", repr=False)  # the signed delivery's exact bytes

    def wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "thread_id": self.thread_id, "event_id": self.event_id}
        if self.state is not None:
            body.update(status=self.status, state=self.state, error=self.error)
        return body


@dataclass(frozen=True)
class BrandAnswer:
    status: int
    body: dict[str, Any]
    replayed: bool = False


@dataclass(frozen=True)
class PostView:
    thread: ThreadRow
    root: StoredMessage | None
    comments: list[StoredMessage]


@dataclass(frozen=True)
class ConversationView:
    thread: ThreadRow
    customer: Persona | None
    messages: list[StoredMessage]


@dataclass(frozen=True)
class Timeline:
    posts: list[PostView]
    conversations: list[ConversationView]


class Faults:
    """``fail_next`` brand API calls answer ``status`` (optionally only for one brand)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.remaining = 0
        self.status = 503
        self.retry_after: int | None = None
        self.brand: str | None = None

    def set(self, fail_next: int, status: int = 503, *, retry_after: int | None = None,
            brand: str | None = None) -> None:
        if not 0 <= fail_next <= 10_000:
            raise NetworkError("fail_next is between 0 and 10000")
        if not 400 <= status <= 599:
            raise NetworkError("status is an HTTP error status (400-599)")
        with self._lock:
            self.remaining, self.status, self.retry_after, self.brand = fail_next, status, retry_after, brand

    def take(self, brand: str) -> tuple[int, int | None] | None:
        """Use up one injected failure for a call by ``brand``; the status (and Retry-After) to answer."""
        with self._lock:
            if self.remaining <= 0 or (self.brand is not None and self.brand != brand):
                return None
            self.remaining -= 1
            return self.status, self.retry_after

    def wire(self) -> dict[str, Any]:
        with self._lock:
            return {"fail_next": self.remaining, "status": self.status, "retry_after": self.retry_after,
                    "brand": self.brand}


class Deliverer:
    """One background thread that POSTs due webhooks and retries failures with exponential backoff."""

    def __init__(self, store: Store, http: httpx.Client, *, retry_base: float = 1.0, retry_cap: float = 60.0,
                 max_attempts: int = 8) -> None:
        self.store = store
        self.http = http
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.max_attempts = max_attempts
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def backoff(self, attempt: int) -> float:
        return float(min(self.retry_cap, self.retry_base * (2.0 ** max(0, attempt - 1))))

    def start(self) -> None:
        with self._start_lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self.store.release_stuck()
            self._thread = threading.Thread(target=self._run, name="sandbox-network-deliverer", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self.start()
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                due = self.store.claim_due(utcnow())
                for delivery in due:
                    if self._stop.is_set():
                        self.store.finish_delivery(delivery.id, state=RETRYING, status=None,
                                                   error="the network stopped", next_attempt_at=utcnow())
                        continue
                    self.attempt(delivery)
                if due:
                    continue
                upcoming = self.store.next_due()
                wait = 1.0 if upcoming is None else max(0.0, min(1.0, (upcoming - utcnow()).total_seconds()))
            except Exception:
                if self._stop.is_set():
                    return
                log.exception("sandbox network deliverer")
                wait = 1.0
            self._wake.wait(wait)
            self._wake.clear()

    def attempt(self, delivery: Delivery) -> tuple[int | None, str | None, str]:
        """POST one claimed delivery once and record the outcome: (status, error, new state)."""
        brand = self.store.brand(delivery.brand)
        status: int | None = None
        error: str | None = None
        if brand is None:
            error = "the brand is no longer registered"
        else:
            headers = {
                "content-type": "application/json",
                "x-sandbox-signature": sign(brand.webhook_secret, delivery.body),
                "user-agent": "Compris-Sandbox-Network/1",
            }
            try:
                response = self.http.post(brand.webhook_url, content=delivery.body, headers=headers)
                status = response.status_code
                if not 200 <= status < 300:
                    error = f"{status}: {response.text[:200]}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
        attempt = delivery.attempts + 1
        if error is None:
            state, next_at = DELIVERED, None
        elif attempt >= self.max_attempts or brand is None:
            state, next_at = FAILED, None
        else:
            state, next_at = RETRYING, utcnow() + timedelta(seconds=self.backoff(attempt))
        self.store.finish_delivery(delivery.id, state=state, status=status, error=error, next_attempt_at=next_at)
        if state == RETRYING:
            self._wake.set()
        return status, error, state


class SandboxNetwork:
    """The network: its store, its deliverer, its injected faults and its live-traffic generator."""

    def __init__(
        self,
        path: Path | str,
        *,
        public_url: str = "",
        http: httpx.Client | None = None,
        embedded: bool = False,
        sync: Callable[[], None] | None = None,
        retry_base: float = 1.0,
        max_attempts: int = 8,
        compris_url: str = "",
    ) -> None:
        self.store = Store(path)
        self.public_url = public_url.rstrip("/")
        self.compris_url = compris_url.rstrip("/")
        self.embedded = embedded
        self._own_http = http is None
        self.http = http or httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0), follow_redirects=False)
        self.deliverer = Deliverer(self.store, self.http, retry_base=retry_base, max_attempts=max_attempts)
        self.faults = Faults()
        self._sync = sync
        self._synced_at = 0.0
        self._sync_lock = threading.Lock()
        from compris.sandbox_network.live import LiveTraffic

        self.live = LiveTraffic(self)

    def set_sync(self, sync: Callable[[], None] | None) -> None:
        """What refreshes the brands from the host (embedded mode); called at most every two seconds."""
        self._sync = sync

    def start(self) -> None:
        self.deliverer.start()

    def close(self) -> None:
        self.live.stop_all()
        self.deliverer.stop()
        if self._own_http:
            self.http.close()
        self.store.close()

    # --- brands ------------------------------------------------------------------------------------

    def register_brand(self, brand: Brand) -> Brand:
        self.store.upsert_brand(brand)
        return brand

    def sync(self, *, force: bool = False) -> None:
        """Refresh the brands from the host (embedded mode), at most every two seconds."""
        if self._sync is None:
            return
        with self._sync_lock:
            if not force and time.monotonic() - self._synced_at < 2.0:
                return
            self._synced_at = time.monotonic()
        try:
            self._sync()
        except Exception:
            log.exception("refreshing the sandbox brands failed")

    def brand(self, external_id: str) -> Brand:
        brand = self.store.brand(external_id)
        if brand is None:
            self.sync()
            brand = self.store.brand(external_id)
        if brand is None:
            raise NetworkError(f"no brand {external_id!r} on this network", 404)
        return brand

    def authenticate(self, authorization: str | None) -> Brand:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NetworkError("missing bearer token", 401)
        brand = self.store.brand_for_token(token.strip())
        if brand is None:
            self.sync()
            brand = self.store.brand_for_token(token.strip())
        if brand is None:
            raise NetworkError("invalid token", 401)
        return brand

    # --- customers -----------------------------------------------------------------------------------

    def customer_message(
        self,
        brand_id: str,
        author: Persona,
        kind: str,
        text: str,
        *,
        thread_id: str | None = None,
        reply_to: str | None = None,
        thread_title: str | None = None,
        promoted: bool = False,
        reshares: int = 0,
        attachments: Iterable[Mapping[str, Any]] = (),
        created_at: datetime | None = None,
        message_id: str | None = None,
        deliver: bool = True,
        wait: bool = False,
        choice: str | None = None,
        rating: int | None = None,
    ) -> Posted:
        """Store a customer's message and deliver it to the brand (``wait``: now, in this thread)."""
        brand = self.brand(brand_id)
        if kind not in KINDS:
            raise NetworkError(f"kind is one of {', '.join(KINDS)}")
        text = (text or "").replace("\r\n", "\n").strip()
        clean_attachments = [_attachment(a) for a in attachments]
        if not text and not clean_attachments:
            raise NetworkError("a message needs text or an attachment")
        if len(text) > CUSTOMER_MAX:
            raise NetworkError(f"a message has at most {CUSTOMER_MAX} characters")
        if not author.id.strip():
            raise NetworkError("the author needs an id")
        if rating is not None and (kind != "post" or not 1 <= rating <= 5):
            raise NetworkError("a rating (1 to 5 stars) goes on a review, a post")
        created = created_at or utcnow()
        if created.tzinfo is None:
            raise NetworkError("created_at needs a time zone")
        mid = message_id or new_id({"post": "p", "comment": "c", "dm": "d"}[kind])
        parent: dict[str, Any] | None = None
        event_id = f"evt-{mid}"
        title: str | None = thread_title
        thread_kind = "dm" if kind == "dm" else "post"
        if kind == "post":
            thread = mid
        elif kind == "dm":
            thread = f"dm-{author.id}"
        else:
            if not thread_id:
                raise NetworkError("a comment needs the thread_id of its post")
            post = self.store.thread(brand.external_id, thread_id)
            if post is None or post.kind != "post":
                raise NetworkError("no such post", 404)
            thread = post.id
            title = post.title or self._post_excerpt(brand.external_id, post.id)
            reply_to = reply_to or post.id
            parent = self._post_facts(brand.external_id, post.id)
        data: dict[str, Any] = {
            "id": mid,
            "kind": kind,
            "thread_id": thread,
            "author": author.wire(),
            "text": text,
            "created_at": iso(created),
            "attachments": clean_attachments,
            "promoted": bool(promoted),
            "reshares": max(0, int(reshares)),
        }
        if title:
            data["thread_title"] = title
        if kind == "comment" and parent is not None:
            data["post"] = parent
        if reply_to:
            data["reply_to"] = reply_to
        if choice:
            data["choice"] = choice
        if rating is not None:
            data["rating"] = rating
        if self.public_url:
            data["permalink"] = f"{self.public_url}/?brand={brand.external_id}#m-{mid}"
        body = json.dumps({"event_id": event_id, "type": "message", "data": data}, ensure_ascii=False).encode()
        with self.store.transaction() as conn:
            upsert_persona(conn, author)
            created_now = self.store.add_message(
                conn, brand=brand.external_id, thread_id=thread, thread_kind=thread_kind, kind=kind,
                sender="customer", text=text, created_at=created, message_id=mid, persona_id=author.id,
                title=title if kind == "post" else None, reply_to=reply_to, attachments=clean_attachments,
                promoted=promoted, reshares=max(0, int(reshares)), choice=choice, rating=rating,
            )
            if not created_now:
                raise NetworkError(f"message {mid!r} exists", 409)
            delivery_id = None
            if deliver:
                delivery_id = self.store.add_delivery(
                    conn, message_id=mid, brand=brand.external_id, event_id=event_id, body=body,
                    state=DELIVERING if wait else "pending",
                )
            else:  # recorded only (the demo delivers it itself): shown as delivered
                delivery_id = self.store.add_delivery(
                    conn, message_id=mid, brand=brand.external_id, event_id=event_id, body=body, state=DELIVERED)
        if not deliver:
            return Posted(mid, thread, event_id, delivery_id, body=body)
        if wait:
            delivery = self.store.delivery(delivery_id)
            assert delivery is not None
            status, error, state = self.deliverer.attempt(delivery)
            self.deliverer.start()
            return Posted(mid, thread, event_id, delivery_id, status=status, state=state, error=error, body=body)
        self.deliverer.wake()
        return Posted(mid, thread, event_id, delivery_id, body=body)

    def customer_choice(self, brand_id: str, message_id: str, index: int, *, wait: bool = False) -> Posted:
        """The customer taps the answer ``index`` of the brand's private message ``message_id``: a private message
        whose text is the answer's label, delivered with the answer's payload as ``choice`` (as Messenger sends a
        quick reply's payload). Tapping again sends again, as on the platforms: the brand records an answer once."""
        brand = self.brand(brand_id)
        message = self.store.message(message_id)
        if message is None or message.brand != brand.external_id or message.sender != "brand" \
                or message.kind != "dm" or not message.choices:
            raise NetworkError("no such message with answers to pick", 404)
        if not 0 <= index < len(message.choices):
            raise NetworkError("no such answer", 404)
        thread = self.store.thread(brand.external_id, message.thread_id)
        persona = self.store.persona(thread.customer_id) if thread and thread.customer_id else None
        if persona is None:
            raise NetworkError("the conversation's customer is unknown", 404)
        picked = message.choices[index]
        return self.customer_message(brand.external_id, persona, "dm", str(picked["label"]), reply_to=message.id,
                                     choice=str(picked["payload"]), wait=wait)

    def redeliver(self, delivery_id: int) -> bool:
        done = self.store.redeliver(delivery_id)
        if done:
            self.deliverer.wake()
        return done

    def _post_facts(self, brand: str, post_id: str) -> dict[str, Any] | None:
        """The post a comment is under, as a comment's delivery carries it (``post``: id, author, text, time and
        link; like Facebook's ``post`` and X's included tweets)."""
        for message in self.store.messages(brand, [post_id]):
            if message.id == post_id:
                facts: dict[str, Any] = {
                    "id": message.id,
                    "author": message.persona.wire() if message.persona else {"id": brand, "brand": True,
                                                                               "name": self.brand(brand).name},
                    "text": message.text,
                    "created_at": iso(message.created_at),
                }
                if self.public_url:
                    facts["permalink"] = f"{self.public_url}/?brand={brand}#m-{message.id}"
                return facts
        return None

    def _post_excerpt(self, brand: str, post_id: str) -> str | None:
        for message in self.store.messages(brand, [post_id]):
            if message.id == post_id:
                first = message.text.strip().splitlines()[0] if message.text.strip() else ""
                return first[:120] or None
        return None

    # --- brands' own messages --------------------------------------------------------------------------

    def brand_post(self, brand_id: str, text: str, *, title: str | None = None, message_id: str | None = None,
                   created_at: datetime | None = None) -> str:
        """The brand publishes a post on its own page (customers may then comment on it)."""
        brand = self.brand(brand_id)
        text = _check_text(text, PUBLIC_MAX)
        mid = message_id or new_id("p")
        with self.store.transaction() as conn:
            self.store.add_message(conn, brand=brand.external_id, thread_id=mid, thread_kind="post", kind="post",
                                   sender="brand", text=text, created_at=created_at or utcnow(), message_id=mid,
                                   title=title or text.splitlines()[0][:120])
        return mid

    def brand_reply(self, brand: Brand, thread_id: str, text: Any, reply_to: Any,
                    idempotency_key: str | None, *, attachments: Iterable[Mapping[str, Any]] = (),
                    choices: Sequence[Mapping[str, Any]] = ()) -> BrandAnswer:
        """``POST /api/threads/{thread_id}/replies``: a public reply in a post's thread (text, attachments or
        both; an attachment is ``{kind, url, name, mime_type}``). Answers to pick go only on private messages."""
        if choices:
            raise NetworkError("answers to pick (choices) are only for private messages", 400)
        files = [_attachment(a) for a in attachments]
        request: dict[str, Any] = {"op": "reply", "thread_id": thread_id, "text": text, "reply_to": reply_to}
        if files:
            request["attachments"] = files
        with self.store.transaction() as conn:
            replay = self._replay(conn, brand, idempotency_key, request)
            if replay is not None:
                return replay
            thread = self.store.thread(brand.external_id, thread_id)
            if thread is None:
                raise NetworkError("no such thread", 404)
            if thread.kind != "post":
                raise NetworkError("this is a private conversation: use /api/dm/{user_id}/messages", 400)
            clean = _check_text(text, PUBLIC_MAX, may_be_empty=bool(files))
            mid = new_id("r")
            answer = {"id": mid, "thread_id": thread.id}
            self.store.add_message(conn, brand=brand.external_id, thread_id=thread.id, thread_kind="post",
                                   kind="comment", sender="brand", text=clean, created_at=utcnow(), message_id=mid,
                                   reply_to=_opt_str(reply_to), attachments=files, idempotency_key=idempotency_key,
                                   request_digest=digest(request), response=answer)
        return BrandAnswer(201, answer)

    def brand_dm(self, brand: Brand, user_id: str, text: Any, reply_to: Any,
                 idempotency_key: str | None, *, attachments: Iterable[Mapping[str, Any]] = (),
                 choices: Sequence[Mapping[str, Any]] = ()) -> BrandAnswer:
        """``POST /api/dm/{user_id}/messages``: a private message to a customer (text, attachments or both), with
        up to :data:`MAX_CHOICES` answers the customer may tap (``{label, payload, url}``)."""
        files = [_attachment(a) for a in attachments]
        offered = _choices(choices)
        request: dict[str, Any] = {"op": "dm", "user_id": user_id, "text": text, "reply_to": reply_to}
        if files:
            request["attachments"] = files
        if offered:
            request["choices"] = offered
        with self.store.transaction() as conn:
            replay = self._replay(conn, brand, idempotency_key, request)
            if replay is not None:
                return replay
            if conn.execute("SELECT 1 FROM personas WHERE id = ?", (user_id,)).fetchone() is None:
                raise NetworkError("no such user", 404)
            clean = _check_text(text, PRIVATE_MAX, may_be_empty=bool(files))
            mid = new_id("d")
            thread_id = f"dm-{user_id}"
            answer = {"id": mid, "thread_id": thread_id}
            self.store.add_message(conn, brand=brand.external_id, thread_id=thread_id, thread_kind="dm", kind="dm",
                                   sender="brand", text=clean, created_at=utcnow(), message_id=mid,
                                   persona_id=None, reply_to=_opt_str(reply_to), attachments=files,
                                   idempotency_key=idempotency_key,
                                   request_digest=digest(request), response=answer, choices=offered)
            conn.execute("UPDATE threads SET customer_id = COALESCE(customer_id, ?) WHERE brand = ? AND id = ?",
                         (user_id, brand.external_id, thread_id))
        return BrandAnswer(201, answer)

    def _replay(self, conn: Any, brand: Brand, key: str | None, request: dict[str, Any]) -> BrandAnswer | None:
        if not key:
            return None
        if len(key) > 255:
            raise NetworkError("Idempotency-Key is at most 255 characters")
        found = self.store.idempotent_reply(conn, brand.external_id, key)
        if found is None:
            return None
        previous_digest, answer = found
        if previous_digest != digest(request):
            raise NetworkError("this Idempotency-Key was used for a different request", 422)
        return BrandAnswer(201, answer, replayed=True)

    # --- reads ---------------------------------------------------------------------------------------------

    def thread_json(self, brand: Brand, thread_id: str) -> dict[str, Any]:
        thread = self.store.thread(brand.external_id, thread_id)
        if thread is None:
            raise NetworkError("no such thread", 404)
        messages = self.store.messages(brand.external_id, [thread.id])
        return {"thread_id": thread.id, "kind": thread.kind, "title": thread.title,
                "customer_id": thread.customer_id, "messages": [m.wire() for m in messages]}

    def timeline(self, brand_id: str, limit: int = 30) -> Timeline:
        posts = self.store.threads(brand_id, "post", limit)
        dms = self.store.threads(brand_id, "dm", limit)
        messages = self.store.messages(brand_id, [t.id for t in posts + dms])
        by_thread: dict[str, list[StoredMessage]] = {}
        for message in messages:
            by_thread.setdefault(message.thread_id, []).append(message)
        post_views = []
        for thread in posts:
            items = by_thread.get(thread.id, [])
            root = next((m for m in items if m.id == thread.id), None)
            post_views.append(PostView(thread, root, [m for m in items if m is not root]))
        conversations = []
        for thread in dms:
            items = by_thread.get(thread.id, [])
            customer = next((m.persona for m in items if m.persona is not None), None)
            if customer is None and thread.customer_id:
                customer = self.store.persona(thread.customer_id)
            conversations.append(ConversationView(thread, customer, items))
        return Timeline(post_views, conversations)


def _attachment(raw: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise NetworkError("an attachment is an object")
    clean = {k: str(raw[k]) for k in ATTACHMENT_FIELDS if raw.get(k) is not None}
    clean.setdefault("kind", "file")
    url = clean.get("url", "")
    if url and not url.startswith(("http://", "https://")):
        raise NetworkError("an attachment url is http(s)")
    return clean


def _choices(raw: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Validated answers to pick: ``{label, payload}`` (and an optional http(s) ``url``), distinct labels."""
    if len(raw) > MAX_CHOICES:
        raise NetworkError(f"at most {MAX_CHOICES} answers to pick on a message")
    clean: list[dict[str, Any]] = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise NetworkError("an answer to pick is an object")
        label, payload, url = item.get("label"), item.get("payload"), item.get("url")
        if not isinstance(label, str) or not label.strip() or len(label) > CHOICE_LABEL_MAX:
            raise NetworkError(f"an answer's label is text of 1 to {CHOICE_LABEL_MAX} characters")
        if not isinstance(payload, str) or not payload or len(payload) > CHOICE_PAYLOAD_MAX:
            raise NetworkError(f"an answer's payload is text of 1 to {CHOICE_PAYLOAD_MAX} characters")
        if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
            raise NetworkError("an answer's url is http(s)")
        clean.append({"label": label.strip(), "payload": payload, **({"url": url} if url else {})})
    if len({c["label"] for c in clean}) != len(clean):
        raise NetworkError("two answers have the same label")
    return clean


def _check_text(text: Any, limit: int, *, may_be_empty: bool = False) -> str:
    if text is None and may_be_empty:
        return ""
    if not isinstance(text, str):
        raise NetworkError("text must be a string")
    clean: str = text.replace("\r\n", "\n").strip()
    if not clean and not may_be_empty:
        raise NetworkError("text is empty")
    if len(clean) > limit:
        raise NetworkError(f"text is longer than {limit} characters")
    return clean


def _opt_str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
