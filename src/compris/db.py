"""Engine and sessions. Transactions commit at the edge; callbacks run after a successful commit."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

#: A pooled PostgreSQL connection idle for longer than this is checked (one round trip) before it is handed out:
#: one that died while idle (a database restart, a firewall's idle cut) is replaced instead of failing a request.
#: Connections in steady use are not pinged: a connection found dead in use invalidates the whole pool (SQLAlchemy's
#: disconnect handling), so that only the operation that found it fails, and callers retry (workers) or answer 503.
PING_IDLE_AFTER = 5.0
#: Seconds to wait for a new PostgreSQL connection (libpq waits forever by default): an unreachable host fails fast
#: (a webhook answers 503 well within the platforms' 10 s).
CONNECT_TIMEOUT = 5


def make_engine(
    url: str, *, ping_idle_after: float | None = PING_IDLE_AFTER, health: Health | None = None, **kwargs: Any
) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Take over transaction control so that every transaction is BEGIN IMMEDIATE:
            # writers queue on the busy timeout instead of failing on a lock upgrade.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # libpq waits forever for a new connection and notices a vanished server only after the system's TCP
    # keepalive (2 h): fail a connection in CONNECT_TIMEOUT, and a dead one in about a minute (unless the URL says)
    timeouts = {"connect_timeout": CONNECT_TIMEOUT, "keepalives": 1, "keepalives_idle": 30,
                "keepalives_interval": 10, "keepalives_count": 3}
    # no server-side prepared statements: after a few executions PostgreSQL may plan a prepared statement once for
    # any parameters (a "generic plan"), blind to how selective this call's values are (issue 22: a priority band
    # or a network filter then read the whole table, 0.1 s -> 1.2 s, from the 10th page load on); each statement is
    # planned for its own values, as the inbox's indexes need (and a transaction-mode pooler stays possible)
    kwargs["connect_args"] = {**{k: v for k, v in timeouts.items() if k not in url}, "prepare_threshold": None,
                              **kwargs.get("connect_args", {})}
    if kwargs.get("poolclass") is not NullPool:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)
    if ping_idle_after is not None and not kwargs.get("pool_pre_ping"):
        _ping_idle_connections(engine, ping_idle_after, health)
    return engine


def _ping_idle_connections(engine: Engine, after: float, health: Health | None) -> None:
    """Check a pooled connection at checkout only when it sat idle for ``after`` seconds, or the database failed
    while it sat in the pool (pool_pre_ping would cost a round trip on every checkout); a dead one invalidates the
    pool, and the pool connects afresh."""

    @event.listens_for(engine, "checkin")
    def _idle_since(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None:
            return
        failed_since = health is not None and health.last_failure >= since
        if not failed_since and time.monotonic() - since < after:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as error:
            raise exc.InvalidatePoolError("a pooled connection died while idle") from error


def unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be reached or cannot serve now (connection refused or lost, server
    shutting down or starting, too many connections, pool exhausted, SQLite locked or unreadable), as opposed to a
    bug or bad data: callers retry later (workers) or answer 503 (web)."""
    if isinstance(error, DatabaseBusy | exc.TimeoutError | exc.DisconnectionError):
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, exc.InterfaceError):
        return True
    if not isinstance(error, exc.OperationalError):
        return False
    orig = error.orig
    if isinstance(orig, sqlite3.OperationalError):
        text = str(orig).lower()
        return any(word in text for word in ("locked", "busy", "unable to open", "disk i/o"))
    state = getattr(orig, "sqlstate", None)
    # none: the client library failed (connection refused, timed out, closed); 08: connection exception;
    # 53: insufficient resources (too many connections); 57P01-57P03: shut down, crashed, starting up
    return state is None or state[:2] in ("08", "53") or state in ("57P01", "57P02", "57P03")


class Health:
    """The database as this process last found it: an outage is logged once when it begins ("database
    unreachable") and once when it ends ("database back"), not once per request or loop. It ends with the first
    success at least ``settle`` seconds after the last failure: a database going down does not cut every connection
    at the same instant, and a transaction that commits meanwhile does not end the outage."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, settle: float = 1.0) -> None:
        self.clock = clock
        self.settle = settle
        self.down_since: float | None = None
        self.failures = 0
        self._failed_at = float("-inf")
        #: when a failure was last seen (time.monotonic(), whatever the clock): a pooled connection checked in
        #: before it is checked before its next use
        self.last_failure = float("-inf")
        self._lock = threading.Lock()

    @property
    def down_for(self) -> float:
        """Seconds since the outage began (0 when the database answers)."""
        since = self.down_since
        return 0.0 if since is None else max(0.0, self.clock() - since)

    def failed(self, error: BaseException) -> None:
        self.last_failure = time.monotonic()
        with self._lock:
            self.failures += 1
            self._failed_at = self.clock()
            if self.down_since is not None:
                return
            self.down_since = self._failed_at
        log.error("database unreachable, retrying: %s", _reason(error))

    def succeeded(self) -> None:
        if self.down_since is None:  # the common case: one attribute read, no lock
            return
        with self._lock:
            if self.down_since is None or self.clock() - self._failed_at < self.settle:
                return
            down_for, failures = self.clock() - self.down_since, self.failures
            self.down_since, self.failures = None, 0
        log.warning("database back after %.1f s (%d failed attempts)", down_for, failures)


def _reason(error: BaseException) -> str:
    """The first line of the error, without SQLAlchemy's background link (never a query's parameters)."""
    cause = error.orig if isinstance(error, exc.DBAPIError) else error
    return f"{type(cause).__name__}: {str(cause).strip().splitlines()[0] if str(cause).strip() else ''}"[:300]


LOCK_TIMEOUT = 30.0


class DatabaseBusy(RuntimeError):
    """An SQLite transaction waited too long for the one writer's turn."""


class Database:
    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.health = Health()
        self.engine = make_engine(url, health=self.health, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self.sessionmaker, "after_begin", _connected)
        # SQLite has one writer at a time and every transaction here is BEGIN IMMEDIATE: queue them on a lock
        # in this process rather than on SQLite's busy handler, which sleeps and polls (long tail latencies).
        # (A plain Lock, not an RLock: a web request may enter and leave its transaction on different threads.)
        self._write_lock: threading.Lock | None = threading.Lock() if url.startswith("sqlite") else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on error, then run on-commit callbacks."""
        if self._write_lock is None:
            with self._transaction() as session:
                yield session
            return
        if not self._write_lock.acquire(timeout=LOCK_TIMEOUT):
            raise DatabaseBusy(f"the database stayed busy for {LOCK_TIMEOUT:.0f} s")
        try:
            with self._transaction() as session:
                yield session
        finally:
            self._write_lock.release()

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException as error:
            if unavailable(error):
                self.health.failed(error)
            try:
                session.rollback()
            except Exception:  # the connection is gone: the transaction died with it
                log.debug("rollback failed", exc_info=True)
            session.info.pop("on_commit", None)
            raise
        finally:
            callbacks: list[Callable[[], None]] = session.info.pop("on_commit", [])
            connected = session.info.pop("connected", False)
            session.close()
        if connected:  # the database answered (a transaction that never touched it proves nothing)
            self.health.succeeded()
        for callback in callbacks:
            callback()

    def dispose(self) -> None:
        self.engine.dispose()


def _connected(session: Session, _transaction: Any, _connection: Any) -> None:
    session.info["connected"] = True


def on_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` after the session's transaction commits (never if it rolls back)."""
    session.info.setdefault("on_commit", []).append(callback)


@contextmanager
def savepoint(session: Session, *errors: type[BaseException]) -> Iterator[None]:
    """Run a write in a savepoint: when it raises one of ``errors`` (default: any exception), nothing it wrote, nor
    any after-commit callback it registered (a live event to publish), remains; the exception goes on."""
    callbacks: list[Any] = session.info.setdefault("on_commit", [])
    mark = len(callbacks)
    caught: tuple[type[BaseException], ...] = errors or (Exception,)
    try:
        with session.begin_nested():
            yield
    except caught:
        del callbacks[mark:]
        raise
