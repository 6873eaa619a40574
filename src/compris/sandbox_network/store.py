"""The sandbox network's own storage: one SQLite file (stdlib ``sqlite3``), safe to share between threads.

Tables: brands (the accounts companies connect), personas (simulated customers), threads (a post and its
comments, or a private conversation), messages (customer and brand), deliveries (one signed webhook per
customer message, with its retry state). Every time is an aware UTC datetime stored as ISO-8601 text.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS brands (
    external_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    flavour TEXT NOT NULL DEFAULT '',
    webhook_url TEXT NOT NULL,
    webhook_secret TEXT NOT NULL,
    api_token TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS brands_token ON brands (api_token);
CREATE TABLE IF NOT EXISTS personas (
    id TEXT PRIMARY KEY,
    handle TEXT,
    name TEXT,
    followers INTEGER NOT NULL DEFAULT 0,
    verified INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS threads (
    brand TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,              -- post | dm
    title TEXT,
    customer_id TEXT,                -- the persona of a private conversation
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (brand, id)
);
CREATE INDEX IF NOT EXISTS threads_activity ON threads (brand, kind, updated_at);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    brand TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    kind TEXT NOT NULL,              -- post | comment | dm
    sender TEXT NOT NULL,            -- customer | brand
    persona_id TEXT,
    text TEXT NOT NULL,
    reply_to TEXT,
    created_at TEXT NOT NULL,
    attachments TEXT NOT NULL DEFAULT '[]',
    promoted INTEGER NOT NULL DEFAULT 0,
    reshares INTEGER NOT NULL DEFAULT 0,
    idempotency_key TEXT,
    request_digest TEXT,
    response TEXT,
    choices TEXT NOT NULL DEFAULT '[]',  -- a brand's private message: the answers the customer may tap
    choice TEXT,                     -- a customer's message: the payload of the answer tapped
    rating INTEGER                   -- a review (review-site flavours): 1-5 stars
);
CREATE INDEX IF NOT EXISTS messages_thread ON messages (brand, thread_id, seq);
CREATE UNIQUE INDEX IF NOT EXISTS messages_idempotency ON messages (brand, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL,
    brand TEXT NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    body BLOB NOT NULL,
    state TEXT NOT NULL,             -- pending | delivering | retrying | delivered | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER,
    last_error TEXT,
    next_attempt_at TEXT,
    delivered_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS deliveries_message ON deliveries (message_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

PENDING = "pending"
DELIVERING = "delivering"
RETRYING = "retrying"
DELIVERED = "delivered"
FAILED = "failed"


class NetworkError(Exception):
    """A request the network refuses; ``status`` is the HTTP status it answers with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not allowed")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("a time without a time zone")
    return parsed.astimezone(UTC)


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class Brand:
    external_id: str
    name: str
    webhook_url: str
    webhook_secret: str
    api_token: str
    flavour: str = ""

    def public(self) -> dict[str, str]:
        """What the network shows of a brand (never its secrets)."""
        return {"external_id": self.external_id, "name": self.name, "flavour": self.flavour,
                "webhook_url": self.webhook_url}


@dataclass(frozen=True)
class Persona:
    id: str
    handle: str | None = None
    name: str | None = None
    followers: int = 0
    verified: bool = False

    def wire(self) -> dict[str, Any]:
        return {"id": self.id, "handle": self.handle, "name": self.name, "followers": self.followers,
                "verified": self.verified}

    @property
    def label(self) -> str:
        return self.name or self.handle or self.id


@dataclass(frozen=True)
class ThreadRow:
    brand: str
    id: str
    kind: str
    title: str | None
    customer_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Delivery:
    id: int
    message_id: str
    brand: str
    event_id: str
    body: bytes
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None


@dataclass(frozen=True)
class StoredMessage:
    id: str
    brand: str
    thread_id: str
    kind: str
    sender: str  # customer | brand
    text: str
    created_at: datetime
    persona: Persona | None = None
    reply_to: str | None = None
    attachments: tuple[dict[str, Any], ...] = ()
    promoted: bool = False
    reshares: int = 0
    delivery: Delivery | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: a brand's private message: the answers offered as buttons (``{label, payload, url}``)
    choices: tuple[dict[str, Any], ...] = ()
    #: a customer's message: the payload of the button tapped
    choice: str | None = None
    #: a customer's review: 1-5 stars
    rating: int | None = None

    def wire(self) -> dict[str, Any]:
        """The message as the brand API shows it."""
        return {
            "id": self.id,
            "kind": self.kind,
            "thread_id": self.thread_id,
            "from": self.sender,
            "author": self.persona.wire() if self.persona else {"id": self.brand, "brand": True},
            "text": self.text,
            "reply_to": self.reply_to,
            "created_at": iso(self.created_at),
            "attachments": list(self.attachments),
            "promoted": self.promoted,
            "reshares": self.reshares,
            "choices": list(self.choices),
            "choice": self.choice,
            "rating": self.rating,
        }


class Store:
    """Thread-safe access to the network's SQLite file (one connection, one lock)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path) if str(path) != ":memory:" else Path(":memory:")
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA busy_timeout=30000")
            self._conn.executescript(SCHEMA)
            columns = {str(r["name"]) for r in self._conn.execute("PRAGMA table_info(messages)").fetchall()}
            if "choices" not in columns:  # a network file from before choices existed
                self._conn.execute("ALTER TABLE messages ADD COLUMN choices TEXT NOT NULL DEFAULT '[]'")
            if "choice" not in columns:
                self._conn.execute("ALTER TABLE messages ADD COLUMN choice TEXT")
            if "rating" not in columns:  # a network file from before reviews existed
                self._conn.execute("ALTER TABLE messages ADD COLUMN rating INTEGER")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``), serialised with every other use of this store. The version
        the page polls moves only when the transaction changed a row (the deliverer's idle look for due deliveries
        must not make every open page reload)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            changes = self._conn.total_changes
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                if self._conn.total_changes != changes:
                    self._conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version'")
                    self._conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('version', '1')")
                self._conn.execute("COMMIT")

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._conn.execute(sql, tuple(params)).fetchall())

    def version(self) -> int:
        """A counter that changes with every write (the page polls it to know when to refresh)."""
        rows = self._read("SELECT value FROM meta WHERE key = 'version'")
        return int(rows[0]["value"]) if rows else 0

    # --- brands ------------------------------------------------------------------------------------

    def upsert_brand(self, brand: Brand) -> None:
        for name in ("external_id", "name", "webhook_url", "webhook_secret", "api_token"):
            if not str(getattr(brand, name) or "").strip():
                raise NetworkError(f"a brand needs {name}")
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO brands (external_id, name, flavour, webhook_url, webhook_secret, api_token, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (external_id) DO UPDATE SET name = excluded.name, "
                "flavour = excluded.flavour, webhook_url = excluded.webhook_url, "
                "webhook_secret = excluded.webhook_secret, api_token = excluded.api_token, "
                "updated_at = excluded.updated_at",
                (brand.external_id, brand.name, brand.flavour, brand.webhook_url, brand.webhook_secret,
                 brand.api_token, iso(utcnow())),
            )

    def brands(self) -> list[Brand]:
        return [_brand(r) for r in self._read("SELECT * FROM brands ORDER BY name, external_id")]

    def brand(self, external_id: str) -> Brand | None:
        rows = self._read("SELECT * FROM brands WHERE external_id = ?", (external_id,))
        return _brand(rows[0]) if rows else None

    def brand_for_token(self, token: str) -> Brand | None:
        if not token:
            return None
        import hmac

        for row in self._read("SELECT * FROM brands WHERE api_token = ?", (token,)):
            if hmac.compare_digest(str(row["api_token"]).encode(), token.encode()):
                return _brand(row)
        return None

    # --- personas ----------------------------------------------------------------------------------

    def upsert_persona(self, persona: Persona) -> Persona:
        if not persona.id.strip():
            raise NetworkError("a persona needs an id")
        with self.transaction() as conn:
            _upsert_persona(conn, persona)
        return persona

    def personas(self, limit: int = 200) -> list[Persona]:
        return [_persona(r) for r in self._read("SELECT * FROM personas ORDER BY name, id LIMIT ?", (limit,))]

    def persona(self, persona_id: str) -> Persona | None:
        rows = self._read("SELECT * FROM personas WHERE id = ?", (persona_id,))
        return _persona(rows[0]) if rows else None

    # --- threads and messages ------------------------------------------------------------------------

    def thread(self, brand: str, thread_id: str) -> ThreadRow | None:
        rows = self._read("SELECT * FROM threads WHERE brand = ? AND id = ?", (brand, thread_id))
        return _thread(rows[0]) if rows else None

    def threads(self, brand: str, kind: str, limit: int = 50) -> list[ThreadRow]:
        rows = self._read(
            "SELECT * FROM threads WHERE brand = ? AND kind = ? ORDER BY updated_at DESC, id LIMIT ?",
            (brand, kind, limit),
        )
        return [_thread(r) for r in rows]

    def messages(self, brand: str, thread_ids: Sequence[str]) -> list[StoredMessage]:
        """The messages of some threads, oldest first, with their personas and delivery state."""
        if not thread_ids:
            return []
        marks = ",".join("?" for _ in thread_ids)
        rows = self._read(
            f"SELECT m.*, p.handle AS p_handle, p.name AS p_name, p.followers AS p_followers, "
            f"p.verified AS p_verified, d.id AS d_id, d.event_id AS d_event_id, d.state AS d_state, "
            f"d.attempts AS d_attempts, d.last_status AS d_last_status, d.last_error AS d_last_error, "
            f"d.next_attempt_at AS d_next, d.delivered_at AS d_delivered_at "
            f"FROM messages m LEFT JOIN personas p ON p.id = m.persona_id "
            f"LEFT JOIN deliveries d ON d.message_id = m.id "
            f"WHERE m.brand = ? AND m.thread_id IN ({marks}) ORDER BY m.created_at, m.seq",
            (brand, *thread_ids),
        )
        return [_message(r) for r in rows]

    def message(self, message_id: str) -> StoredMessage | None:
        rows = self._read("SELECT brand, thread_id FROM messages WHERE id = ?", (message_id,))
        if not rows:
            return None
        for m in self.messages(str(rows[0]["brand"]), [str(rows[0]["thread_id"])]):
            if m.id == message_id:
                return m
        return None

    def add_message(
        self,
        conn: sqlite3.Connection,
        *,
        brand: str,
        thread_id: str,
        thread_kind: str,
        kind: str,
        sender: str,
        text: str,
        created_at: datetime,
        message_id: str,
        persona_id: str | None = None,
        title: str | None = None,
        reply_to: str | None = None,
        attachments: Sequence[dict[str, Any]] = (),
        promoted: bool = False,
        reshares: int = 0,
        idempotency_key: str | None = None,
        request_digest: str | None = None,
        response: dict[str, Any] | None = None,
        choices: Sequence[dict[str, Any]] = (),
        choice: str | None = None,
        rating: int | None = None,
    ) -> bool:
        """Insert a message (and its thread when new) inside ``conn``'s transaction; False if the id exists."""
        stamp = iso(created_at)
        if conn.execute("SELECT 1 FROM messages WHERE id = ?", (message_id,)).fetchone():
            return False
        conn.execute(
            "INSERT INTO threads (brand, id, kind, title, customer_id, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (brand, id) DO UPDATE SET "
            "updated_at = MAX(threads.updated_at, excluded.updated_at), "
            "title = COALESCE(threads.title, excluded.title)",
            (brand, thread_id, thread_kind, title, persona_id if thread_kind == "dm" else None, stamp, stamp),
        )
        conn.execute(
            "INSERT INTO messages (id, brand, thread_id, kind, sender, persona_id, text, reply_to, created_at, "
            "attachments, promoted, reshares, idempotency_key, request_digest, response, choices, choice, rating) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (message_id, brand, thread_id, kind, sender, persona_id, text, reply_to, stamp,
             json.dumps(list(attachments)), int(promoted), int(reshares), idempotency_key, request_digest,
             json.dumps(response) if response is not None else None, json.dumps(list(choices)), choice, rating),
        )
        return True

    def idempotent_reply(self, conn: sqlite3.Connection, brand: str, key: str) -> tuple[str, dict[str, Any]] | None:
        row = conn.execute(
            "SELECT request_digest, response FROM messages WHERE brand = ? AND idempotency_key = ?", (brand, key)
        ).fetchone()
        if row is None:
            return None
        return str(row["request_digest"] or ""), json.loads(row["response"] or "{}")

    def counts(self, brand: str) -> dict[str, int]:
        rows = self._read(
            "SELECT sender, COUNT(*) AS n FROM messages WHERE brand = ? GROUP BY sender", (brand,)
        )
        return {str(r["sender"]): int(r["n"]) for r in rows}

    # --- deliveries -------------------------------------------------------------------------------------

    def add_delivery(self, conn: sqlite3.Connection, *, message_id: str, brand: str, event_id: str, body: bytes,
                     state: str = PENDING) -> int:
        t = iso(utcnow())
        cursor = conn.execute(
            "INSERT INTO deliveries (message_id, brand, event_id, body, state, next_attempt_at, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (message_id, brand, event_id, body, state, t, t, t),
        )
        assert cursor.lastrowid is not None
        return int(cursor.lastrowid)

    def delivery(self, delivery_id: int) -> Delivery | None:
        rows = self._read("SELECT * FROM deliveries WHERE id = ?", (delivery_id,))
        return _delivery(rows[0]) if rows else None

    def delivery_for_message(self, message_id: str) -> Delivery | None:
        rows = self._read("SELECT * FROM deliveries WHERE message_id = ? ORDER BY id LIMIT 1", (message_id,))
        return _delivery(rows[0]) if rows else None

    def claim_due(self, now: datetime, limit: int = 20) -> list[Delivery]:
        """Mark due deliveries as being delivered and return them (one deliverer per store)."""
        with self.transaction() as conn:
            rows = conn.execute(
                "SELECT * FROM deliveries WHERE state IN (?, ?) AND next_attempt_at <= ? "
                "ORDER BY next_attempt_at, id LIMIT ?",
                (PENDING, RETRYING, iso(now), limit),
            ).fetchall()
            for row in rows:
                conn.execute("UPDATE deliveries SET state = ?, updated_at = ? WHERE id = ?",
                             (DELIVERING, iso(now), row["id"]))
        return [_delivery(r) for r in rows]

    def claim(self, delivery_id: int) -> Delivery | None:
        """Take one delivery for a synchronous attempt (unless it is already delivered or being delivered)."""
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
            if row is None or row["state"] in (DELIVERING, DELIVERED):
                return None
            conn.execute("UPDATE deliveries SET state = ?, updated_at = ? WHERE id = ?",
                         (DELIVERING, iso(utcnow()), delivery_id))
        return _delivery(row)

    def finish_delivery(self, delivery_id: int, *, state: str, status: int | None, error: str | None,
                        next_attempt_at: datetime | None) -> None:
        t = utcnow()
        with self.transaction() as conn:
            conn.execute(
                "UPDATE deliveries SET state = ?, attempts = attempts + 1, last_status = ?, last_error = ?, "
                "next_attempt_at = ?, delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END, "
                "updated_at = ? WHERE id = ?",
                (state, status, error, iso(next_attempt_at) if next_attempt_at else None, state, iso(t), iso(t),
                 delivery_id),
            )

    def redeliver(self, delivery_id: int) -> bool:
        """Queue a delivery again (a failed one, or to replay a delivered one)."""
        with self.transaction() as conn:
            cursor = conn.execute(
                "UPDATE deliveries SET state = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND state != ?",
                (PENDING, iso(utcnow()), iso(utcnow()), delivery_id, DELIVERING),
            )
            return cursor.rowcount > 0

    def release_stuck(self) -> None:
        """At start: deliveries left 'delivering' by a stopped process are tried again."""
        with self.transaction() as conn:
            conn.execute("UPDATE deliveries SET state = ?, next_attempt_at = ? WHERE state = ?",
                         (RETRYING, iso(utcnow()), DELIVERING))

    def next_due(self) -> datetime | None:
        rows = self._read("SELECT MIN(next_attempt_at) AS t FROM deliveries WHERE state IN (?, ?)",
                          (PENDING, RETRYING))
        value = rows[0]["t"] if rows else None
        return parse_time(str(value)) if value else None


def digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _upsert_persona(conn: sqlite3.Connection, persona: Persona) -> None:
    conn.execute(
        "INSERT INTO personas (id, handle, name, followers, verified, created_at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET handle = excluded.handle, name = excluded.name, "
        "followers = excluded.followers, verified = excluded.verified",
        (persona.id, persona.handle, persona.name, max(0, int(persona.followers)), int(persona.verified),
         iso(utcnow())),
    )


def upsert_persona(conn: sqlite3.Connection, persona: Persona) -> None:
    """Insert or refresh a persona inside an open transaction."""
    _upsert_persona(conn, persona)


def _brand(row: sqlite3.Row) -> Brand:
    return Brand(external_id=str(row["external_id"]), name=str(row["name"]), flavour=str(row["flavour"] or ""),
                 webhook_url=str(row["webhook_url"]), webhook_secret=str(row["webhook_secret"]),
                 api_token=str(row["api_token"]))


def _persona(row: sqlite3.Row) -> Persona:
    return Persona(id=str(row["id"]), handle=row["handle"], name=row["name"], followers=int(row["followers"] or 0),
                   verified=bool(row["verified"]))


def _thread(row: sqlite3.Row) -> ThreadRow:
    return ThreadRow(brand=str(row["brand"]), id=str(row["id"]), kind=str(row["kind"]), title=row["title"],
                     customer_id=row["customer_id"], created_at=parse_time(str(row["created_at"])),
                     updated_at=parse_time(str(row["updated_at"])))


def _delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(
        id=int(row["id"]), message_id=str(row["message_id"]), brand=str(row["brand"]), event_id=str(row["event_id"]),
        body=bytes(row["body"]), state=str(row["state"]), attempts=int(row["attempts"]),
        last_status=row["last_status"], last_error=row["last_error"],
        next_attempt_at=parse_time(str(row["next_attempt_at"])) if row["next_attempt_at"] else None,
        delivered_at=parse_time(str(row["delivered_at"])) if row["delivered_at"] else None,
    )


def _message(row: sqlite3.Row) -> StoredMessage:
    persona = None
    if row["persona_id"]:
        persona = Persona(id=str(row["persona_id"]), handle=row["p_handle"], name=row["p_name"],
                          followers=int(row["p_followers"] or 0), verified=bool(row["p_verified"]))
    delivery = None
    if row["d_id"] is not None:
        delivery = Delivery(
            id=int(row["d_id"]), message_id=str(row["id"]), brand=str(row["brand"]), event_id=str(row["d_event_id"]),
            body=b"", state=str(row["d_state"]), attempts=int(row["d_attempts"]), last_status=row["d_last_status"],
            last_error=row["d_last_error"],
            next_attempt_at=parse_time(str(row["d_next"])) if row["d_next"] else None,
            delivered_at=parse_time(str(row["d_delivered_at"])) if row["d_delivered_at"] else None,
        )
    return StoredMessage(
        id=str(row["id"]), brand=str(row["brand"]), thread_id=str(row["thread_id"]), kind=str(row["kind"]),
        sender=str(row["sender"]), text=str(row["text"]), created_at=parse_time(str(row["created_at"])),
        persona=persona, reply_to=row["reply_to"], attachments=tuple(json.loads(row["attachments"] or "[]")),
        promoted=bool(row["promoted"]), reshares=int(row["reshares"] or 0), delivery=delivery,
        choices=tuple(json.loads(row["choices"] or "[]")), choice=row["choice"],
        rating=int(row["rating"]) if row["rating"] is not None else None,
    )
