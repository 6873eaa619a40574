"""A small discrete-event simulation of an M/M/c first-come-first-served queue (seeded, for tests)."""

from __future__ import annotations

import bisect
import heapq
import random
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Arrival:
    at: float
    queue_ahead: int  # cases waiting (not yet picked up) when this one arrives
    all_busy: bool
    wait: float  # actual time until an agent picks it up
    recent_handle: tuple[float, ...]  # handle times of the last cases completed before arrival
    recent_waits: tuple[float, ...]  # waits of the last cases picked up before arrival


def simulate(
    arrival_rate: float,
    mean_handle: float,
    agents: int,
    customers: int,
    seed: int,
    window: int = 200,
    snapshot_every: int = 1,
) -> list[Arrival]:
    """Times in any unit (hours in the tests). Each agent handles one case at a time. The recent handle times
    and waits are copied only for every ``snapshot_every``-th arrival (empty tuples otherwise)."""
    rng = random.Random(seed)
    free_at = [0.0] * agents  # heap of the instants each agent becomes free
    starts: list[float] = []  # pick-up instants, non-decreasing under FIFO
    completions: list[tuple[float, float]] = []  # heap of (completion, handle time)
    picked: list[tuple[float, float]] = []  # heap of (pick-up instant, wait)
    handled: deque[float] = deque(maxlen=window)
    waited: deque[float] = deque(maxlen=window)
    out: list[Arrival] = []
    now = 0.0
    for index in range(customers):
        now += rng.expovariate(arrival_rate)
        while completions and completions[0][0] <= now:
            handled.append(heapq.heappop(completions)[1])
        while picked and picked[0][0] <= now:
            waited.append(heapq.heappop(picked)[1])
        ahead = len(starts) - bisect.bisect_right(starts, now)
        earliest = heapq.heappop(free_at)
        start = max(now, earliest)
        service = rng.expovariate(1 / mean_handle)
        heapq.heappush(free_at, start + service)
        heapq.heappush(completions, (start + service, service))
        heapq.heappush(picked, (start, start - now))
        starts.append(start)
        snap = index % snapshot_every == 0
        recent_handle, recent_waits = (tuple(handled), tuple(waited)) if snap else ((), ())
        out.append(Arrival(now, ahead, earliest > now, start - now, recent_handle, recent_waits))
    return out
