"""Where an action comes from, for the audit log: how the actor acted (a browser session, an API token, the
command line, a job...), from which address, under which session, token or job, and the request's id.

The web layer marks each request's database session (:func:`mark`). A job or a command-line command opens many
transactions: it says once where its actions come from with :func:`acting` (a context variable of its own thread,
read only for sessions nobody marked). The audit listener reads it back (:func:`of`) from the session a domain
event is emitted in.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

KEY = "compris.origin"

VIA = ("session", "token", "cli", "job", "platform", "link", "system")


@dataclass(frozen=True)
class Origin:
    #: ``session`` (a signed-in browser), ``token`` (the API), ``cli``, ``job``, ``platform`` (a webhook),
    #: ``link`` (a partner or survey link, no account), ``system``
    via: str = "system"
    ip: str | None = None
    #: which session (``session:<first 12 hex of its id hash>``), token (``token:<id>``) or job (``job:<id>``)
    ref: str | None = None
    request_id: str | None = None


SYSTEM = Origin()


class _HasInfo(Protocol):
    @property
    def info(self) -> dict[Any, Any]: ...


def mark(session: _HasInfo, origin: Origin) -> None:
    """Every action done in ``session`` from now on comes from ``origin``."""
    session.info[KEY] = origin


_acting: ContextVar[Origin | None] = ContextVar("compris_origin", default=None)


@contextmanager
def acting(origin: Origin) -> Iterator[None]:
    """Every session nobody marked, opened in this thread within the ``with`` block (a job's, a command's), acts
    from ``origin``."""
    token = _acting.set(origin)
    try:
        yield
    finally:
        _acting.reset(token)


def of(session: _HasInfo) -> Origin:
    """Where the actions of ``session`` come from: its mark, else the job or command running (:func:`acting`),
    else :data:`SYSTEM`."""
    found = session.info.get(KEY)
    if isinstance(found, Origin):
        return found
    return _acting.get() or SYSTEM
