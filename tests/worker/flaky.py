"""A database that can be switched off: every transaction fails as a lost PostgreSQL connection would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc
from sqlalchemy.orm import Session

from compris.db import Database


class ConnectionRefused(Exception):
    """Stands for the driver's error (psycopg.OperationalError: no SQLSTATE for a refused connection)."""

    sqlstate = None


def outage_error(invalidated: bool = False) -> exc.OperationalError:
    return exc.OperationalError("SELECT 1", {}, ConnectionRefused("connection refused"),
                                connection_invalidated=invalidated)


class FlakyDatabase(Database):
    """``down = True``: every transaction raises at once (no connection); ``direct()`` still reaches the data."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.health.settle = 0.0  # switched on and off at once: no connection is half cut here
        self.down = False
        self.refused = 0

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        if self.down:
            self.refused += 1
            error = outage_error()
            self.health.failed(error)  # as Database._transaction does for a connection that fails
            raise error
        with super().transaction() as session:
            yield session

    @contextmanager
    def direct(self) -> Iterator[Session]:
        """A transaction that ignores ``down`` (what the test looks at)."""
        with super().transaction() as session:
            yield session
