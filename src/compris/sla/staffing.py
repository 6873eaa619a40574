"""Staffing with Erlang C (M/M/c): probability of waiting, service level, agents needed per hour.

Assumptions (``docs/sla.md``): Poisson arrivals at a steady rate within the hour, exponential handle times,
agents identical and working one case at a time, nobody abandons, first come first served. Social care breaks
some of these (agents answer several conversations at once, customers give up), so treat the result as a
planning baseline, not a promise. Computed with the Erlang B recursion ``B(n) = A B(n-1) / (n + A B(n-1))``,
which is stable for thousands of agents (no factorials, no powers).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from datetime import timedelta
from typing import TypeVar

__all__ = [
    "agents_needed",
    "average_speed_of_answer",
    "erlang_b",
    "erlang_c",
    "offered_load",
    "recommend",
    "service_level",
    "staffing_gaps",
]

K = TypeVar("K", bound=Hashable)
_HOUR = timedelta(hours=1)
_MAX_AGENTS = 100_000


def offered_load(arrival_rate_per_hour: float, mean_handle_time: timedelta) -> float:
    """Traffic in Erlangs: arrivals per hour x handle time in hours."""
    if arrival_rate_per_hour < 0 or mean_handle_time < timedelta(0):
        raise ValueError("arrival rate and handle time must not be negative")
    return arrival_rate_per_hour * (mean_handle_time / _HOUR)


def erlang_b(load: float, agents: int) -> float:
    """Blocking probability of ``agents`` servers offered ``load`` Erlangs (iterative recursion)."""
    if agents < 0 or load < 0:
        raise ValueError("agents and load must not be negative")
    b = 1.0
    for n in range(1, agents + 1):
        b = load * b / (n + load * b)
    return b


def erlang_c(arrival_rate_per_hour: float, mean_handle_time: timedelta, agents: int) -> float:
    """Probability that a case waits (all agents busy on arrival); 1.0 when the load reaches the agents."""
    load = offered_load(arrival_rate_per_hour, mean_handle_time)
    if load == 0:
        return 0.0
    if agents <= load:
        return 1.0
    b = erlang_b(load, agents)
    return agents * b / (agents - load * (1 - b))


def service_level(
    arrival_rate_per_hour: float, mean_handle_time: timedelta, agents: int, target_wait: timedelta
) -> float:
    """Fraction of cases answered within ``target_wait``: ``1 - C * exp(-(N - A) * t / AHT)``."""
    load = offered_load(arrival_rate_per_hour, mean_handle_time)
    if load == 0:
        return 1.0
    if agents <= load:
        return 0.0
    c = erlang_c(arrival_rate_per_hour, mean_handle_time, agents)
    return 1.0 - c * math.exp(-(agents - load) * (target_wait / mean_handle_time))


def average_speed_of_answer(arrival_rate_per_hour: float, mean_handle_time: timedelta, agents: int) -> timedelta:
    """Mean wait over all cases: ``C * AHT / (N - A)``; raises when the queue is unstable (N <= A)."""
    load = offered_load(arrival_rate_per_hour, mean_handle_time)
    if load == 0:
        return timedelta(0)
    if agents <= load:
        raise ValueError("unstable queue: agents must exceed the offered load")
    return mean_handle_time * erlang_c(arrival_rate_per_hour, mean_handle_time, agents) / (agents - load)


def agents_needed(
    arrival_rate_per_hour: float,
    mean_handle_time: timedelta,
    target_wait: timedelta,
    target_service_level: float = 0.8,
    max_occupancy: float = 0.85,
) -> int:
    """Fewest agents that answer ``target_service_level`` of cases within ``target_wait`` with an occupancy
    (load / agents) of at most ``max_occupancy``. Zero arrivals need zero agents."""
    if not 0 < target_service_level < 1:
        raise ValueError("target_service_level must be in (0, 1)")
    if not 0 < max_occupancy <= 1:
        raise ValueError("max_occupancy must be in (0, 1]")
    load = offered_load(arrival_rate_per_hour, mean_handle_time)
    if load == 0:
        return 0
    agents = max(1, math.floor(load) + 1, math.ceil(load / max_occupancy))
    while agents < _MAX_AGENTS:
        sl = service_level(arrival_rate_per_hour, mean_handle_time, agents, target_wait)
        if sl >= target_service_level:
            return agents
        agents += 1
    raise ValueError("load too high to staff")  # pragma: no cover


def recommend(
    hourly_arrivals: Mapping[K, float],
    mean_handle_time: timedelta,
    target_wait: timedelta,
    target_service_level: float = 0.8,
    max_occupancy: float = 0.85,
    minimum: int = 0,
) -> dict[K, int]:
    """Agents per hour (keys as given: an hour of the week, a datetime...). ``minimum`` keeps at least that many
    agents on every hour (1 for a 24/7 channel, even when nothing is expected)."""
    return {
        hour: max(
            minimum,
            agents_needed(rate, mean_handle_time, target_wait, target_service_level, max_occupancy),
        )
        for hour, rate in hourly_arrivals.items()
    }


def staffing_gaps(recommended: Mapping[K, int], scheduled: Mapping[K, int]) -> dict[K, int]:
    """Scheduled minus recommended, per hour (negative = short-staffed); hours missing from ``scheduled`` count 0."""
    return {hour: scheduled.get(hour, 0) - need for hour, need in recommended.items()}
