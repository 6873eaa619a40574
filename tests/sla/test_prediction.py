"""The expected wait against a simulated M/M/c queue whose answer is known, breach prediction, accuracy."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

import pytest

from compris.sla.prediction import (
    expected_wait,
    mean_handle_time,
    median_absolute_error,
    predict_breach,
    queue_wait,
)
from tests.sla.simulation import simulate

M = timedelta(minutes=1)
NOW = datetime(2024, 6, 3, 10, 0, tzinfo=UTC)


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


def test_unknown_when_nobody_is_online_and_there_is_no_history() -> None:
    assert expected_wait(5, 0, [10 * M], []) is None
    assert expected_wait(0, 3, [], []) is None
    assert expected_wait(5, 0, [10 * M], [20 * M, 40 * M, 30 * M]) == 30 * M  # history alone


def test_queue_model_and_blend() -> None:
    assert queue_wait(3, 2, 10 * M) == 20 * M  # (3 + 1) x 10 / 2
    assert expected_wait(3, 2, [10 * M] * 5, []) == 20 * M
    assert expected_wait(0, 2, [10 * M], [7 * M]) == 6 * M  # empty queue: half model (5 min), half history
    # 6 ahead, 2 online: weight 1/8 on the history (15 min), 7/8 on the queue model (35 min)
    assert expected_wait(6, 2, [10 * M], [15 * M]) == 35 * M * (7 / 8) + 15 * M * (1 / 8)


def test_mean_handle_time_caps_outliers() -> None:
    assert mean_handle_time([]) is None
    assert mean_handle_time([10 * M, 20 * M]) == 15 * M
    capped = mean_handle_time([10 * M] * 9 + [timedelta(hours=20)])  # left open overnight
    assert capped == (9 * 10 * M + 80 * M) / 10


def test_expected_wait_matches_the_mm_c_answer_when_agents_are_busy() -> None:
    # 3 agents, 6-minute mean handle time, 27 arrivals/h: utilisation 0.9. With k cases waiting ahead and every
    # agent busy, the exact expected wait is (k + 1) / (c * mu) - what the queue model estimates.
    arrivals = simulate(arrival_rate=27, mean_handle=0.1, agents=3, customers=60_000, seed=7, snapshot_every=10)
    busy = [a for a in arrivals[2000:] if a.all_busy]
    assert len(busy) > 20_000
    for k in range(0, 6):
        group = [a for a in busy if a.queue_ahead == k]
        actual = statistics.fmean(a.wait for a in group)
        exact = (k + 1) * 0.1 / 3
        estimates = [
            expected_wait(a.queue_ahead, 3, [hours(h) for h in a.recent_handle], []) for a in group if a.recent_handle
        ]
        assert len(estimates) > 200
        predicted = statistics.fmean(e / hours(1) for e in estimates if e is not None)
        assert actual == pytest.approx(exact, rel=0.1), k
        assert predicted == pytest.approx(exact, rel=0.1), k


def _score(rate: float, agents: int, seed: int) -> tuple[float, float, dict[str, timedelta]]:
    """Mean predicted and actual wait (hours) of the blend, and the median absolute error of each estimator."""
    arrivals = [
        a
        for a in simulate(rate, 0.1, agents, customers=40_000, seed=seed, snapshot_every=30)[2000:]
        if a.recent_handle and a.recent_waits
    ]
    assert len(arrivals) > 1000
    pairs: dict[str, list[tuple[timedelta, timedelta]]] = {"blend": [], "model": [], "history": []}
    for a in arrivals:
        handle = [hours(h) for h in a.recent_handle]
        waits = [hours(w) for w in a.recent_waits]
        actual = hours(a.wait)
        for name, estimate in (
            ("blend", expected_wait(a.queue_ahead, agents, handle, waits)),
            ("model", expected_wait(a.queue_ahead, agents, handle, [])),
            ("history", expected_wait(a.queue_ahead, 0, [], waits)),
        ):
            assert estimate is not None
            pairs[name].append((estimate, actual))
    mean_predicted = statistics.fmean(p / hours(1) for p, _ in pairs["blend"])
    mean_actual = statistics.fmean(w / hours(1) for _, w in pairs["blend"])
    return mean_predicted, mean_actual, {name: median_absolute_error(p) for name, p in pairs.items()}


def test_blend_at_high_load_stays_close_to_the_queue_model() -> None:
    # 90 % utilisation: the queue model is exact; the blend must stay nearly unbiased and beat the history.
    predicted, actual, mae = _score(27, 3, seed=11)
    assert predicted == pytest.approx(actual, rel=0.15)
    assert mae["blend"] < mae["history"]
    assert mae["blend"] < 2 * mae["model"]


def test_blend_at_moderate_load_uses_the_history() -> None:
    # 67 % utilisation: free agents answer short queues faster than (k + 1) / (c mu); the history knows it.
    predicted, actual, mae = _score(18, 3, seed=12)
    assert mae["blend"] < mae["model"]
    assert abs(predicted - actual) < 0.02  # hours: within 1.2 minutes on average


def test_predict_breach() -> None:
    due = NOW + 30 * M
    assert not predict_breach(None, NOW, 100, 1.0)
    assert predict_breach(NOW - M, NOW, 0, 100.0)
    assert predict_breach(due, NOW, 0, 0.0)  # nobody answering
    assert not predict_breach(due, NOW, 3, 12.0)  # 4 cases at 12/h = 20 min
    assert predict_breach(due, NOW, 6, 12.0)  # 7 cases = 35 min


def test_median_absolute_error() -> None:
    pairs = [(10 * M, 12 * M), (10 * M, 4 * M), (30 * M, 31 * M)]
    assert median_absolute_error(pairs) == 2 * M
    assert median_absolute_error([(M, 3 * M), (M, 2 * M)]) == timedelta(seconds=90)
    with pytest.raises(ValueError):
        median_absolute_error([])
