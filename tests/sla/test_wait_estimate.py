"""An honest expected wait (issue 20 point 5, issue 18 defect 13): the handling rate does not fall as the queue
grows, an empty queue with agents online is a short wait, too little history is "we don't know yet" — and then
no acknowledgement quotes a figure."""

from __future__ import annotations

import heapq
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from compris.models import Case, ChannelAccount, Direction, Message, WaitPrediction
from compris.sla import wait
from compris.sla.prediction import MIN_HISTORY, expected_wait, mean_handle_time
from tests.conftest import World
from tests.routing.helpers import agent, frozen, inbound, team

M = timedelta(minutes=1)
T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def _simulate(arrival_every: float, service_mean: float, agents: int, customers: int,
              seed: int = 3) -> list[tuple[int, datetime, datetime]]:
    """A first-come-first-served desk: (agent, arrived, answered) for each case (minutes, exponential times)."""
    rng = random.Random(seed)
    free = [(0.0, a) for a in range(agents)]
    heapq.heapify(free)
    t = 0.0
    out = []
    for _ in range(customers):
        t += rng.expovariate(1 / arrival_every)
        at, who = heapq.heappop(free)
        start = max(t, at)
        done = start + rng.expovariate(1 / service_mean)
        heapq.heappush(free, (done, who))
        out.append((who, T0 + t * M, T0 + done * M))
    return out


def _published_at(cases: list[tuple[int, datetime, datetime]], at: datetime, agents: int) -> timedelta | None:
    """What the estimator says at ``at``: the queue ahead and the history known then."""
    answered = [c for c in cases if c[2] <= at]
    ahead = sum(1 for c in cases if c[1] <= at < c[2])
    history = [b - a for _, a, b in answered]
    return expected_wait(ahead, agents, wait.service_samples(answered), history, min_history=MIN_HISTORY)


def test_arrivals_faster_than_service_make_the_published_wait_grow() -> None:
    # 2 agents taking 10 minutes a case (12 an hour), a case every 3 minutes (20 an hour): the queue grows
    cases = _simulate(arrival_every=3, service_mean=10, agents=2, customers=400)
    published = [_published_at(cases, T0 + timedelta(hours=h), 2) for h in (2, 4, 6, 8, 10)]
    assert all(p is not None for p in published)
    minutes = [p / M for p in published if p is not None]
    assert minutes == sorted(minutes), minutes  # never falls while the queue grows
    assert minutes[-1] > 3 * minutes[0]
    # the handling time it learns stays the agents' real one (10 min), however long the queue
    for h in (2, 6, 10):
        handle = mean_handle_time(wait.service_samples([c for c in cases if c[2] <= T0 + timedelta(hours=h)]))
        assert handle is not None and 7 * M < handle < 13 * M, (h, handle)


def test_the_handling_time_uses_busy_samples_once_there_are_enough() -> None:
    # one agent: a case answered 50 minutes after it arrived (idle: pick-up delay), then five already waiting,
    # answered 8 minutes apart (busy)
    answers = [(1, T0, T0 + 50 * M)] + [(1, T0 + 10 * M, T0 + (50 + 8 * i) * M) for i in range(1, 6)]
    assert wait.service_samples(answers) == [8 * M] * 5
    assert sorted(wait.service_samples(answers[:3])) == [8 * M, 8 * M, 50 * M]  # too few busy ones: all


def test_an_empty_queue_with_agents_online_is_a_short_wait() -> None:
    # history: a calm desk that answers in about 6 minutes, but also a few cases that waited overnight
    history = [6 * M] * 12 + [timedelta(hours=9)] * 5
    est = expected_wait(0, 2, [5 * M] * 10, history, min_history=MIN_HISTORY)
    assert est is not None and est <= 6 * M
    # 20 cases ahead of 2 agents at 5 minutes each: about 50 minutes
    long = expected_wait(20, 2, [5 * M] * 10, history, min_history=MIN_HISTORY)
    assert long is not None and 40 * M < long < 80 * M


def test_too_little_history_is_unknown() -> None:
    assert expected_wait(0, 3, [5 * M] * 3, [6 * M] * (MIN_HISTORY - 1), min_history=MIN_HISTORY) is None
    assert expected_wait(0, 0, [5 * M] * 20, [6 * M] * 20, min_history=MIN_HISTORY) is None  # nobody online


def test_a_new_account_says_it_does_not_know_and_acknowledges_without_a_figure(world: World) -> None:
    # given agents online, an empty queue, a published wait with acknowledgements, and no history at all
    with world.runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True)
        agent(s, world.workspace_id, "Alice", capacity=0, teams=(care,))
        account = s.get(ChannelAccount, world.account.id)
        assert account is not None
        wait.set_publication(s, account, auto_ack=True)
    with frozen(T0):
        cid = inbound(world.runtime, world.account.id, "Bonjour, mon vol est annulé", author="marie", kind="dm")
        with world.runtime.db.transaction() as s:
            account = s.get(ChannelAccount, world.account.id)
            assert account is not None
            est = wait.estimate(s, account)
            assert est.wait is None and est.minutes is None and est.unknown_because == "learning"
            ack = s.scalars(select(Message).where(Message.case_id == cid,
                                                  Message.direction == Direction.OUTBOUND)).one()
            assert not any(ch.isdigit() for ch in ack.text), ack.text  # no figure quoted
            assert "dès que possible" in ack.text
            assert s.scalars(select(WaitPrediction).where(WaitPrediction.case_id == cid)).first() is None


def test_with_history_the_estimate_and_its_error_are_known(world: World) -> None:
    with world.runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True)
        alice = agent(s, world.workspace_id, "Alice", capacity=0, teams=(care,)).id
    ids = []
    for i in range(MIN_HISTORY):
        with frozen(T0 - timedelta(hours=3) + i * 10 * M):
            ids.append(inbound(world.runtime, world.account.id, f"question {i}", author=f"c{i}", kind="dm"))
    with world.runtime.db.transaction() as s:
        for i, cid in enumerate(ids):
            c = s.get(Case, cid)
            assert c is not None and c.first_inbound_at is not None
            c.first_response_at, c.assignee_id, c.status = c.first_inbound_at + 12 * M, alice, "resolved"
            s.add(WaitPrediction(workspace_id=world.workspace_id, case_id=cid, predicted_s=600, actual_s=720 + i))
    with frozen(T0), world.runtime.db.transaction() as s:
        account = s.get(ChannelAccount, world.account.id)
        assert account is not None
        est = wait.estimate(s, account)
        assert est.minutes is not None and est.minutes <= 15  # empty queue, Alice online
        report = wait.accuracy_report(s, world.workspace_id)
    assert report.scored == MIN_HISTORY
    assert report.median_bias is not None and report.median_bias < timedelta(0)  # announced too short
    assert report.within == MIN_HISTORY


def test_the_error_report_counted_by_the_database_equals_the_one_computed_here(world: World) -> None:
    """On PostgreSQL the supervisor's error report is computed by the database (medians, shares); it equals
    ``accuracy_of`` over the same predictions: even and odd counts, predictions still waiting, older ones left out."""
    rng = random.Random(7)
    ids = [inbound(world.runtime, world.account.id, f"question {i}", author=f"c{i}", kind="dm") for i in range(3)]
    rows: list[tuple[int, int | None]] = []
    for count in (1, 2, 7, 40):
        with world.runtime.db.transaction() as s:
            s.execute(WaitPrediction.__table__.delete())  # type: ignore[attr-defined]
            rows = [(rng.randrange(60, 20_000), rng.choice([None, rng.randrange(0, 30_000)])) for _ in range(count)]
            for n, (predicted, actual) in enumerate(rows):
                s.add(WaitPrediction(workspace_id=world.workspace_id, case_id=ids[n % 3], predicted_s=predicted,
                                     actual_s=actual))
            s.add(WaitPrediction(workspace_id=world.workspace_id, case_id=ids[0], predicted_s=5, actual_s=99_999,
                                 created_at=datetime.now(UTC) - timedelta(days=60)))  # out of the window
        with world.runtime.db.transaction() as s:
            assert wait.accuracy_report(s, world.workspace_id) == wait.accuracy_of(rows), count


def test_the_error_report_medians_are_those_of_the_latest_answered_predictions(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Counts over the whole four weeks, medians over the latest ``MEDIAN_SAMPLE`` answered predictions (newest
    first), the same on both databases."""
    monkeypatch.setattr(wait, "MEDIAN_SAMPLE", 3)
    ids = [inbound(world.runtime, world.account.id, f"question {i}", author=f"c{i}", kind="dm") for i in range(3)]
    rows: list[tuple[int, int | None]] = [(600, 60), (600, None), (600, 6_000), (600, 600), (600, 30), (600, 9_000)]
    for n, (predicted, actual) in enumerate(rows):
        with world.runtime.db.transaction() as s:  # one a transaction: each its own time
            s.add(WaitPrediction(workspace_id=world.workspace_id, case_id=ids[n % 3], predicted_s=predicted,
                                 actual_s=actual))
    with world.runtime.db.transaction() as s:
        report = wait.accuracy_report(s, world.workspace_id)
    assert report == wait.accuracy_of(list(reversed(rows)))
    assert (report.scored, report.pending) == (5, 1)  # every prediction counted
    assert report.median_error == timedelta(seconds=570)  # of 9,000, 30 and 600 (the latest three answered)
