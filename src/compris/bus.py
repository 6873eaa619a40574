"""Dispatch of domain events (:mod:`compris.events`) to the listeners that capabilities register.

A capability reacts to events in its ``listeners.py``::

    from compris.bus import listens
    from compris.events import ReplySent

    @listens(ReplySent, order=30)
    def recompute_sla(session: Session, publisher: Publisher, event: ReplySent) -> None: ...

and declares that module in its package's entry points, exactly as a third-party package would::

    [project.entry-points."compris.listeners"]
    sla = "compris.sla.listeners"

:func:`emit` runs the listeners of an event synchronously, inside the caller's transaction, in ``order``
(then registration order): a listener may write, emit further events, and its failure rolls the whole write back.
Listeners of a base class receive its subclasses (``@listens(DomainEvent)`` sees everything).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session

from compris.events import DomainEvent

if TYPE_CHECKING:
    from compris.live import Publisher

log = logging.getLogger(__name__)

GROUP = "compris.listeners"

E = TypeVar("E", bound=DomainEvent)
Listener = Callable[[Session, "Publisher", Any], None]


@dataclass(frozen=True)
class Registration:
    event_type: type[DomainEvent]
    listener: Listener
    order: int
    name: str


_registry: list[Registration] = []
_by_type: dict[type[DomainEvent], list[Registration]] = {}  # the listeners of each event type, sorted (a cache)
_lock = threading.Lock()
_loaded = False


def listens(*event_types: type[E], order: int = 100) -> Callable[[Callable[[Session, Publisher, E], None]],
                                                                  Callable[[Session, Publisher, E], None]]:
    """Register the decorated function for these event types (and their subclasses). Lower ``order`` runs first:
    routing (10) before the expected wait (20) before the SLA (30); 100 is the default for everything else."""
    if not event_types:
        raise TypeError("listens() needs at least one event type")

    def register(fn: Callable[[Session, Publisher, E], None]) -> Callable[[Session, Publisher, E], None]:
        name = f"{fn.__module__}.{fn.__qualname__}"
        with _lock:
            for event_type in event_types:
                if any(r.name == name and r.event_type is event_type for r in _registry):
                    continue  # a module imported twice (tests) registers once
                _registry.append(Registration(event_type, fn, order, name))
            _by_type.clear()
        return fn

    return register


def load_listeners() -> None:
    """Import every module named in the ``compris.listeners`` entry-point group (once per process)."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        modules = sorted({ep.value for ep in entry_points(group=GROUP)})
    for module in modules:
        import_module(module)
    _loaded = True


def listeners_of(event_type: type[DomainEvent]) -> list[Registration]:
    load_listeners()
    with _lock:
        found = _by_type.get(event_type)
        if found is None:
            found = sorted((r for r in _registry if issubclass(event_type, r.event_type)),
                           key=lambda r: r.order)  # stable: registration order within one order
            _by_type[event_type] = found
        return found


def emit(session: Session, publisher: Publisher, event: DomainEvent) -> None:
    """Run every listener of ``event`` now, in this transaction."""
    for registration in listeners_of(type(event)):
        registration.listener(session, publisher, event)


def registrations() -> list[Registration]:
    """Everything registered (for the architecture docs and their test)."""
    load_listeners()
    with _lock:
        return list(_registry)


@contextlib.contextmanager
def subscribed(event_type: type[E], listener: Callable[[Session, Publisher, E], None],
               order: int = 100) -> Iterator[None]:
    """Register ``listener`` for the duration of a ``with`` block (tests, one-off tools)."""
    registration = Registration(event_type, listener, order, f"temporary:{id(listener)}")
    with _lock:
        _registry.append(registration)
        _by_type.clear()
    try:
        yield
    finally:
        with _lock:
            _registry.remove(registration)
            _by_type.clear()
