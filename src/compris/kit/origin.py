"""Where an action comes from, for the audit log: how the actor acted (a browser session, an API token, the
command line, a job...), from which address, under which session, token or job, and the request's id.

The web layer marks each request's database session (:func:`mark`); the worker marks each job's; the CLI marks
its own. The audit listener reads it back (:func:`of`) from the session a domain event is emitted in: no
context variable crosses threads, the database session carries it.
"""

from __future__ import annotations

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


def of(session: _HasInfo) -> Origin:
    """Where the actions of ``session`` come from (:data:`SYSTEM` when nobody said)."""
    found = session.info.get(KEY)
    return found if isinstance(found, Origin) else SYSTEM
