"""The process's long-lived objects out of the garbage collector's way.

A web process holds about 400,000 Python objects once the app is built (routes, their dependencies and schemas,
templates, catalogues): CPython's full collection walks every one of them, about a quarter of a second on the
machine of ``docs/performance.md``, and it comes when enough new objects have outlived two younger collections, in
the middle of whichever request happens to allocate then (one page load in 15-30 took 260 ms instead of 35).
Those objects live as long as the process, so after start-up they are moved to the collector's permanent
generation (``gc.freeze``), which it never walks; what requests allocate is collected as before.

Only for server processes (``compris serve``, ``compris worker``): a process that builds many apps (the tests) would
pin each one's garbage.
"""

from __future__ import annotations

import gc

__all__ = ["settle"]


def settle() -> None:
    """Collect what start-up left behind, then freeze every object still alive (see the module's docstring)."""
    gc.collect()
    gc.freeze()
