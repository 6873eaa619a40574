"""The expected wait published to customers, breach prediction, and the accuracy of both.

Estimator (``docs/sla.md``): a new case with ``k`` cases ahead of it and ``c`` agents online waits, in an M/M/c
queue whose agents are all busy, ``(k + 1) / (c * mu)`` on average, where ``1 / mu`` is the mean handling time
(time an agent spends per case). That *queue model* is exact when the queue is long; when it is short it
ignores whether an agent is free right now and how the team really behaves (pick-up delays, concurrency), which
the recent first-response times capture. So the estimate blends both, with the weight ``1 / (k + 2)`` on the
recent median first-response time: half and half when the queue is empty, fading as the queue grows (a long
queue trusts the queue). On simulated M/M/c queues this weighting was never the worst of the candidates tried
(pure queue model, ``c / (k + c)``, ``1 / (k + 2)``): the pure model wins at 90 % utilisation, the history wins at
67 % (free agents make short queues faster than the model thinks); see ``docs/sla.md``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta

from compris.kit.calendar import require_aware

__all__ = [
    "MIN_HISTORY",
    "expected_wait",
    "mean_handle_time",
    "median_absolute_error",
    "predict_breach",
    "queue_wait",
]

_ZERO = timedelta(0)
#: Handle times above this many medians are capped (a case left open overnight is not 10 hours of work).
OUTLIER_FACTOR = 8


def _us(value: timedelta) -> int:
    return value // timedelta(microseconds=1)


def _median(values: Sequence[timedelta]) -> timedelta:
    return timedelta(microseconds=statistics.median(_us(v) for v in values))


def mean_handle_time(handle_times: Sequence[timedelta]) -> timedelta | None:
    """Mean of the handle times, each capped at ``OUTLIER_FACTOR`` x the median; ``None`` when empty.

    The mean, not the median: the rate at which a queue drains is ``agents / mean``; for skewed (e.g.
    exponential) handle times the median would underestimate the wait by about 30 %.
    """
    positive = [h for h in handle_times if h > _ZERO]
    if not positive:
        return None
    cap = _median(positive) * OUTLIER_FACTOR
    return timedelta(microseconds=statistics.fmean(_us(min(h, cap)) for h in positive))


def queue_wait(queue_ahead: int, online_agents: int, mean_handle: timedelta) -> timedelta:
    """The queue model alone: ``(queue_ahead + 1) * mean_handle / online_agents``."""
    if online_agents <= 0:
        raise ValueError("needs at least one online agent")
    return mean_handle * (max(queue_ahead, 0) + 1) / online_agents


#: fewer measured first responses than this in the window: the wait is unknown (cold start), never a guess
MIN_HISTORY = 10


def expected_wait(
    queue_ahead: int,
    online_agents: int,
    recent_handle_times: Sequence[timedelta],
    recent_first_response_times: Sequence[timedelta],
    *,
    min_history: int = 0,
) -> timedelta | None:
    """Expected time to first response for a case arriving now; ``None`` means "unknown" (say so honestly).

    * fewer than ``min_history`` recent first responses (a new account, a new team): ``None`` (cold start);
    * no agent online: ``None`` (nobody is answering: the history of busier hours says nothing about now);
    * a free agent (``queue_ahead < online_agents``): the typical first-response time — the recent median, but
      never more than one handling time (a free agent answers in about that), so an empty queue is a short wait;
    * every agent busy: the queue model, blended with the median recent first-response time (weight
      ``1 / (queue_ahead + 2)`` on the history), and never less than the free-agent answer: the wait grows with
      the queue.
    """
    queue_ahead = max(queue_ahead, 0)
    if len(recent_first_response_times) < min_history:
        return None
    history = _median(recent_first_response_times) if recent_first_response_times else None
    mean_handle = mean_handle_time(recent_handle_times)
    if online_agents <= 0:
        return history if min_history == 0 else None
    if mean_handle is None:
        return history
    free = min(history, mean_handle) if history is not None else mean_handle
    model = queue_wait(queue_ahead, online_agents, mean_handle)
    if history is None:
        return model if queue_ahead >= online_agents else min(model, free)
    weight = 1 / (queue_ahead + 2)
    blended = model * (1 - weight) + history * weight
    if queue_ahead < online_agents:
        return min(blended, free)
    return max(blended, free)


def predict_breach(due_at: datetime | None, now: datetime, queue_ahead: int, throughput_per_hour: float) -> bool:
    """Whether the case will probably miss ``due_at``: its turn comes after ``(queue_ahead + 1) / throughput``.

    No deadline → ``False``; already past it → ``True``; no throughput (nobody answering) → ``True``.
    """
    if due_at is None:
        return False
    due_at = require_aware(due_at, "due_at")
    now = require_aware(now, "now")
    if due_at <= now:
        return True
    if throughput_per_hour <= 0 or not math.isfinite(throughput_per_hour):
        return True
    turn = timedelta(hours=(max(queue_ahead, 0) + 1) / throughput_per_hour)
    return now + turn > due_at


def median_absolute_error(predictions: Sequence[tuple[timedelta, timedelta]]) -> timedelta:
    """Median of ``|predicted - actual|`` over ``(predicted, actual)`` pairs; raises on an empty sequence."""
    if not predictions:
        raise ValueError("no predictions to score")
    return _median([abs(predicted - actual) for predicted, actual in predictions])
