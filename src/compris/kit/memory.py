"""The process's long-lived objects out of the garbage collector's way.

A web process holds about 400,000 Python objects once the app is built (routes, their dependencies and schemas,
templates, catalogues): CPython's full collection walks every one of them, about a quarter of a second on the
machine of ``docs/performance.md``, and it comes when enough new objects have outlived two younger collections, in
the middle of whichever request happens to allocate then (one page load in 15-30 took 260 ms instead of 35).
Those objects live as long as the process, so after start-up they are moved to the collector's permanent
generation (``gc.freeze``), which it never walks; what requests allocate is collected as before.

The collector then runs less often (:data:`THRESHOLDS`: a young collection every 10,000 allocations instead of
700, a full one every 20 × 100 of those): a page allocates a few thousand objects, most gone by the time it is
sent, so fewer of them outlive a young collection and reach the older generations, whose collections were the
25-45 ms pauses left once the start-up objects were frozen (measured with ``gc.callbacks``).

Only for server processes (``compris serve``, ``compris worker``): a process that builds many apps (the tests) would
pin each one's garbage.
"""

from __future__ import annotations

import gc

__all__ = ["THRESHOLDS", "settle"]


#: ``gc.set_threshold`` of a server process (CPython's default: 700, 10, 10)
THRESHOLDS = (10_000, 20, 100)


def settle() -> None:
    """Collect what start-up left behind, freeze every object still alive, collect less often (see the module's
    docstring)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
