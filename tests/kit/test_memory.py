"""kit.memory: a server process's start-up objects frozen, its garbage collected first."""

from __future__ import annotations

import gc
import weakref

from compris.kit import memory


class _Node:
    me: _Node | None = None


def test_settle_collects_the_garbage_then_freezes_what_lives() -> None:
    garbage = _Node()
    garbage.me = garbage  # a cycle: only the collector frees it
    gone = weakref.ref(garbage)
    alive = _Node()
    alive.me = alive
    del garbage
    thresholds = gc.get_threshold()
    try:
        memory.settle()
        assert gone() is None  # collected, not frozen
        assert gc.get_freeze_count() > 0 and alive.me is alive
        assert gc.collect() >= 0 and alive.me is alive  # frozen objects stay reachable and untouched
        assert gc.get_threshold() == memory.THRESHOLDS
    finally:
        gc.unfreeze()  # the test process builds many apps: nothing of it stays pinned
        gc.set_threshold(*thresholds)
