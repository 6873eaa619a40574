"""Erlang C against published reference values, an exact formula and a simulation."""

from __future__ import annotations

import math
import statistics
from datetime import timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compris.sla.staffing import (
    agents_needed,
    average_speed_of_answer,
    erlang_b,
    erlang_c,
    offered_load,
    recommend,
    service_level,
    staffing_gaps,
)
from tests.sla.simulation import simulate

S = timedelta(seconds=1)
M = timedelta(minutes=1)


def test_average_speed_of_answer_matches_published_reference() -> None:
    # Abstract Micro Systems, Erlang Library for Excel, ErlcWait4 examples
    # (http://abstractmicro.com/erlang/helppages/ref-erlcwait4.htm): 20 agents, 100 calls per half hour,
    # AHT 240 s -> 2.243505841 s; AHT 300 s -> 30.4312286 s.
    assert average_speed_of_answer(200, 240 * S, 20).total_seconds() == pytest.approx(2.243505841, abs=1e-6)
    assert average_speed_of_answer(200, 300 * S, 20).total_seconds() == pytest.approx(30.4312286, abs=1e-6)


def test_worked_example_ten_erlangs() -> None:
    # Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example": 100 calls per 30 min,
    # AHT 180 s (10 Erlangs), 80 % in 20 s: P(wait) 68.21 % with 11 agents, 44.94 % with 12; 14 agents needed
    # (13 give 79.6 %, 14 give 88.8 %).
    assert erlang_c(200, 3 * M, 11) == pytest.approx(0.6821, abs=5e-5)
    assert erlang_c(200, 3 * M, 12) == pytest.approx(0.4494, abs=5e-5)
    assert service_level(200, 3 * M, 13, 20 * S) == pytest.approx(0.7956, abs=5e-4)
    assert service_level(200, 3 * M, 14, 20 * S) == pytest.approx(0.8884, abs=5e-4)
    assert agents_needed(200, 3 * M, 20 * S, 0.8, max_occupancy=1.0) == 14


def test_hundred_calls_an_hour_three_minutes() -> None:
    # 100 calls/h x 3 min = 5 Erlangs; P(wait) with 7 agents 0.3241, 8 agents 0.1673 (standard Erlang C tables;
    # cross-checked below against the factorial formula and a simulation). 80/20 needs 8 agents (88.0 %).
    assert offered_load(100, 3 * M) == pytest.approx(5.0)
    assert erlang_c(100, 3 * M, 7) == pytest.approx(0.3241, abs=1e-4)
    assert erlang_c(100, 3 * M, 8) == pytest.approx(0.1673, abs=1e-4)
    assert service_level(100, 3 * M, 7, 20 * S) == pytest.approx(0.740, abs=1e-3)
    assert service_level(100, 3 * M, 8, 20 * S) == pytest.approx(0.880, abs=1e-3)
    assert agents_needed(100, 3 * M, 20 * S) == 8


def _erlang_c_exact(load: Fraction, agents: int) -> Fraction:
    top = load**agents / math.factorial(agents) * Fraction(agents) / (agents - load)
    return top / (sum(load**k / math.factorial(k) for k in range(agents)) + top)


@settings(max_examples=60, deadline=None)
@given(load_tenths=st.integers(1, 300), extra=st.integers(1, 15))
def test_recursion_equals_the_factorial_formula(load_tenths: int, extra: int) -> None:
    load = Fraction(load_tenths, 10)
    agents = math.floor(load) + extra
    got = erlang_c(float(load), timedelta(hours=1), agents)
    assert got == pytest.approx(float(_erlang_c_exact(load, agents)), rel=1e-9)


def test_stable_for_large_teams() -> None:
    c = erlang_c(4900 * 60, timedelta(minutes=1), 5000)  # 4,900 Erlangs: factorials would overflow
    assert 0.0 < c < 1.0
    assert erlang_b(4900.0, 5000) < 1.0
    assert erlang_c(100, 3 * M, 5) == 1.0  # unstable: everyone waits
    assert service_level(100, 3 * M, 4, 20 * S) == 0.0
    assert erlang_c(0, 3 * M, 2) == 0.0 and service_level(0, 3 * M, 0, 20 * S) == 1.0
    with pytest.raises(ValueError):
        average_speed_of_answer(100, 3 * M, 5)


def test_erlang_c_agrees_with_a_simulation() -> None:
    # 5 Erlangs on 7 agents, in hours: 100 arrivals/h, 0.05 h handle time.
    arrivals = simulate(arrival_rate=100, mean_handle=0.05, agents=7, customers=80_000, seed=3)[2000:]
    waited = statistics.fmean(1.0 if a.wait > 0 else 0.0 for a in arrivals)
    within = statistics.fmean(1.0 if a.wait <= 20 / 3600 else 0.0 for a in arrivals)
    assert waited == pytest.approx(erlang_c(100, 3 * M, 7), abs=0.02)
    assert within == pytest.approx(service_level(100, 3 * M, 7, 20 * S), abs=0.02)
    mean_wait = statistics.fmean(a.wait for a in arrivals)
    assert mean_wait * 3600 == pytest.approx(average_speed_of_answer(100, 3 * M, 7).total_seconds(), rel=0.1)


def test_occupancy_cap_and_recommend() -> None:
    # 100 Erlangs and a lenient target: the 85 % occupancy cap decides (ceil(100 / 0.85) = 118).
    assert agents_needed(2000, 3 * M, timedelta(hours=1), 0.5) == 118
    plan = recommend({0: 0.0, 9: 100.0, 12: 200.0}, 3 * M, 20 * S, minimum=1)
    assert plan == {0: 1, 9: 8, 12: 14}
    assert staffing_gaps(plan, {9: 6, 12: 14}) == {0: -1, 9: -2, 12: 0}
    with pytest.raises(ValueError):
        agents_needed(100, 3 * M, 20 * S, target_service_level=1.0)
