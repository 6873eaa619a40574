"""Engine and sessions. Transactions commit at the edge; callbacks run after a successful commit."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool


def make_engine(url: str, **kwargs: Any) -> Engine:
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
    kwargs.setdefault("pool_pre_ping", True)
    if kwargs.get("poolclass") is not NullPool:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


LOCK_TIMEOUT = 30.0


class DatabaseBusy(RuntimeError):
    """An SQLite transaction waited too long for the one writer's turn."""


class Database:
    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
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
        except BaseException:
            session.rollback()
            session.info.pop("on_commit", None)
            raise
        finally:
            callbacks: list[Callable[[], None]] = session.info.pop("on_commit", [])
            session.close()
        for callback in callbacks:
            callback()

    def dispose(self) -> None:
        self.engine.dispose()


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
