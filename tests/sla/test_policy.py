"""SLA clocks as pure functions of (policy, events, now): due times, pauses, reopenings, breaches once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compris.kit.calendar import BusinessCalendar, NaiveDatetimeError
from compris.sla.policy import (
    AgentReply,
    CaseEvent,
    CaseStatus,
    Inbound,
    Metric,
    PartnerReply,
    Policy,
    PolicyRule,
    StatusChange,
    breaches,
    compute_sla,
    select_policy,
    worst_status,
)

PARIS = ZoneInfo("Europe/Paris")
NY = ZoneInfo("America/New_York")
M = timedelta(minutes=1)
H = timedelta(hours=1)
T0 = datetime(2024, 6, 3, 10, 0, tzinfo=UTC)  # a Monday

TWENTY_FOUR_SEVEN = Policy("24/7 complaints on X", first_response=10 * M, next_response=30 * M, resolution=4 * H)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_first_response_due_met_and_breached() -> None:
    events: list[CaseEvent] = [Inbound(at(0))]
    state = compute_sla(TWENTY_FOUR_SEVEN, events, at(5))
    fr = state.first_response
    assert (fr.due_at, fr.remaining, fr.paused, fr.breached) == (at(10), 5 * M, False, False)
    assert fr.status(at(5), warn_before=2 * M) == "ok"
    assert fr.status(at(8.5), warn_before=2 * M) == "at_risk"
    assert fr.status(at(11)) == "breached"  # evaluated later than computed
    assert state.next_due_at == at(10)

    met = compute_sla(TWENTY_FOUR_SEVEN, [*events, AgentReply(at(9))], at(20)).first_response
    assert (met.met_at, met.breached, met.remaining) == (at(9), False, None)
    assert met.status(at(20)) == "met"

    late = compute_sla(TWENTY_FOUR_SEVEN, [*events, AgentReply(at(12))], at(20)).first_response
    assert (late.met_at, late.breached, late.breached_at) == (at(12), True, at(10))
    assert late.status(at(20)) == "breached"

    running_late = compute_sla(TWENTY_FOUR_SEVEN, events, at(15)).first_response
    assert running_late.breached and running_late.remaining == -5 * M


def test_reply_exactly_at_the_deadline_is_in_time() -> None:
    fr = compute_sla(TWENTY_FOUR_SEVEN, [Inbound(at(0)), AgentReply(at(10))], at(30)).first_response
    assert fr.met_at == at(10) and not fr.breached
    running = compute_sla(TWENTY_FOUR_SEVEN, [Inbound(at(0))], at(10)).first_response
    assert not running.breached and running.remaining == timedelta(0)


def test_no_clock_without_a_customer_message_or_a_target() -> None:
    state = compute_sla(TWENTY_FOUR_SEVEN, [AgentReply(at(0))], at(60))  # proactive outreach
    assert all(m.cycle == -1 and m.due_at is None for m in state.metrics)
    assert state.status(at(60)) == "ok"
    only_fr = Policy("fr only", first_response=10 * M)
    state = compute_sla(only_fr, [Inbound(at(0))], at(60))
    assert state.resolution.target is None and state.resolution.cycle == -1
    assert state.first_response.breached


def test_next_response_cycles() -> None:
    events: list[CaseEvent] = [
        Inbound(at(0)),
        AgentReply(at(5)),
        Inbound(at(20)),  # cycle 0 starts
        Inbound(at(25)),  # same cycle: the clock runs from the first unanswered message
        AgentReply(at(45)),  # 25 min: in time
        Inbound(at(60)),  # cycle 1
        AgentReply(at(100)),  # 40 min: late
        Inbound(at(110)),  # cycle 2, running
    ]
    state = compute_sla(TWENTY_FOUR_SEVEN, events, at(120))
    nr = state.next_response
    assert (nr.cycle, nr.started_at, nr.due_at, nr.breached) == (2, at(110), at(140), False)
    assert [(b.cycle, b.breached_at) for b in nr.history] == [(1, at(90))]
    assert state.first_response.met_at == at(5)


def test_waiting_on_customer_pauses_and_their_answer_resumes() -> None:
    events: list[CaseEvent] = [
        Inbound(at(0)),
        AgentReply(at(5)),
        StatusChange(at(5), CaseStatus.WAITING_CUSTOMER),
        Inbound(at(240)),  # the customer answers: the case is open again
    ]
    paused = compute_sla(TWENTY_FOUR_SEVEN, events[:3], at(200))
    assert paused.resolution.paused and paused.resolution.due_at is None
    assert paused.resolution.remaining == 4 * H - 5 * M
    assert paused.status(at(200)) == "paused" and paused.paused
    resumed = compute_sla(TWENTY_FOUR_SEVEN, events, at(250))
    assert resumed.resolution.due_at == at(240) + 4 * H - 5 * M
    assert not resumed.resolution.paused
    assert resumed.next_response.due_at == at(270)
    assert resumed.status_at_now == CaseStatus.OPEN


def test_waiting_on_partner_pauses_all_clocks_until_the_partner_answers() -> None:
    events: list[CaseEvent] = [
        Inbound(at(0)),
        StatusChange(at(2), CaseStatus.WAITING_PARTNER),  # escalated before any reply
        PartnerReply(at(62)),
    ]
    state = compute_sla(TWENTY_FOUR_SEVEN, events, at(63))
    assert state.first_response.due_at == at(70)  # 2 min used, 8 left from 62
    assert state.resolution.due_at == at(60 + 240)


def test_customer_message_while_waiting_on_partner_restarts_response_clocks_only() -> None:
    events: list[CaseEvent] = [
        Inbound(at(0)),
        AgentReply(at(3)),
        StatusChange(at(3), CaseStatus.WAITING_PARTNER),
        Inbound(at(100)),  # "any news?"
    ]
    state = compute_sla(TWENTY_FOUR_SEVEN, events, at(110))
    assert state.next_response.running and state.next_response.due_at == at(130)
    assert state.resolution.paused and state.resolution.remaining == 4 * H - 3 * M


def test_snooze_pauses_nothing() -> None:
    events: list[CaseEvent] = [Inbound(at(0)), StatusChange(at(1), CaseStatus.SNOOZED)]
    state = compute_sla(TWENTY_FOUR_SEVEN, events, at(30))
    assert state.first_response.breached and state.first_response.breached_at == at(10)
    assert state.resolution.due_at == at(240) and not state.resolution.paused


def test_resolution_reopen_continues_the_clock() -> None:
    events: list[CaseEvent] = [
        Inbound(at(0)),
        AgentReply(at(10)),
        StatusChange(at(60), CaseStatus.RESOLVED),  # 1 h used: met
    ]
    resolved = compute_sla(TWENTY_FOUR_SEVEN, events, at(90)).resolution
    assert resolved.met_at == at(60) and not resolved.breached and resolved.status(at(90)) == "met"
    events.append(Inbound(at(300)))  # reopens: 3 h left
    reopened = compute_sla(TWENTY_FOUR_SEVEN, events, at(301))
    assert reopened.resolution.met_at is None and reopened.resolution.due_at == at(300 + 180)
    assert reopened.next_response.cycle == 0 and reopened.next_response.due_at == at(330)
    events.append(StatusChange(at(350), CaseStatus.CLOSED))
    closed = compute_sla(TWENTY_FOUR_SEVEN, events, at(400)).resolution
    assert closed.met_at == at(350) and not closed.breached
    events.append(StatusChange(at(500), CaseStatus.OPEN))  # reopened by an agent; 1 h 50 min used so far
    late = compute_sla(TWENTY_FOUR_SEVEN, events, at(700))
    assert late.resolution.breached_at == at(500 + 130)
    assert late.next_response.breached  # the reopening message was never answered


def test_response_clocks_stop_while_resolved_without_a_reply() -> None:
    events: list[CaseEvent] = [Inbound(at(0)), StatusChange(at(2), CaseStatus.RESOLVED)]  # spam, closed
    state = compute_sla(TWENTY_FOUR_SEVEN, events, at(600))
    assert not state.first_response.breached and state.first_response.paused
    assert state.resolution.met_at == at(2)


# -------------------------------------------------------------------------- business hours and DST


def test_business_hours_policy_across_dst_and_a_holiday_paris() -> None:
    hours = BusinessCalendar.weekdays(PARIS, "09:00-17:00", holidays=[date(2024, 4, 1)])  # Easter Monday
    policy = Policy("email", first_response=1 * H, resolution=16 * H, business_hours=hours)
    start = datetime(2024, 3, 29, 16, 30, tzinfo=PARIS)  # Friday, CET; clocks change on Sunday
    state = compute_sla(policy, [Inbound(start)], start + timedelta(minutes=10))
    assert state.first_response.due_at == datetime(2024, 4, 2, 9, 30, tzinfo=PARIS)  # Tuesday, CEST
    assert state.first_response.remaining == 50 * M
    assert state.resolution.due_at == datetime(2024, 4, 3, 16, 30, tzinfo=PARIS)


def test_business_hours_policy_across_dst_new_york_with_pause() -> None:
    hours = BusinessCalendar.weekdays(NY, "09:00-17:00")
    policy = Policy("web", first_response=2 * H, resolution=8 * H, business_hours=hours)
    friday = datetime(2024, 11, 1, 15, 0, tzinfo=NY)  # EDT; clocks go back on Sunday
    events: list[CaseEvent] = [
        Inbound(friday),
        AgentReply(friday + 30 * M),
        StatusChange(friday + 30 * M, CaseStatus.WAITING_CUSTOMER),  # 30 business minutes used
        Inbound(datetime(2024, 11, 4, 8, 0, tzinfo=NY)),  # Monday before opening, EST
    ]
    state = compute_sla(policy, events, datetime(2024, 11, 4, 8, 1, tzinfo=NY))
    assert state.first_response.met_at == friday + 30 * M
    # pause measured in business time: the weekend costs nothing; 7 h 30 left from Monday 09:00
    assert state.resolution.due_at == datetime(2024, 11, 4, 16, 30, tzinfo=NY)
    assert state.resolution.due_at == datetime(2024, 11, 4, 21, 30, tzinfo=UTC)
    assert state.resolution.remaining == 7 * H + 30 * M


# ----------------------------------------------------------------------------- breaches, exactly once


def test_breach_recorded_once_even_when_computed_twice() -> None:
    events: list[CaseEvent] = [Inbound(at(0))]
    before = compute_sla(TWENTY_FOUR_SEVEN, events, at(9))
    assert breaches(None, before) == []
    after = compute_sla(TWENTY_FOUR_SEVEN, events, at(11))
    new = breaches(before, after)
    assert [(b.metric, b.cycle, b.breached_at) for b in new] == [(Metric.FIRST_RESPONSE, 0, at(10))]
    again = compute_sla(TWENTY_FOUR_SEVEN, events, at(11))  # the scheduler runs twice
    assert again == after
    assert breaches(after, again) == []
    later = compute_sla(TWENTY_FOUR_SEVEN, [*events, AgentReply(at(30))], at(31))  # answered late
    assert breaches(again, later) == []
    assert breaches(None, later) == new  # a fresh scheduler still produces the same key


def test_each_next_response_cycle_breaches_separately() -> None:
    events: list[CaseEvent] = [Inbound(at(0)), AgentReply(at(1)), Inbound(at(10)), AgentReply(at(50))]
    s1 = compute_sla(TWENTY_FOUR_SEVEN, events, at(60))
    s2 = compute_sla(TWENTY_FOUR_SEVEN, [*events, Inbound(at(60)), AgentReply(at(100))], at(100))
    assert [b.cycle for b in breaches(s1, s2)] == [1]
    assert [b.cycle for b in breaches(None, s2) if b.metric == Metric.NEXT_RESPONSE] == [0, 1]


def test_events_are_sorted_future_ones_ignored_and_naive_refused() -> None:
    events: list[CaseEvent] = [AgentReply(at(5)), Inbound(at(0))]
    assert compute_sla(TWENTY_FOUR_SEVEN, events, at(6)).first_response.met_at == at(5)
    assert compute_sla(TWENTY_FOUR_SEVEN, events, at(4)).first_response.met_at is None
    with pytest.raises(NaiveDatetimeError):
        compute_sla(TWENTY_FOUR_SEVEN, [Inbound(datetime.fromisoformat("2024-06-03T10:00"))], at(5))
    with pytest.raises(ValueError):
        Policy("bad", first_response=-M)
    assert StatusChange(at(0), "snoozed").status is CaseStatus.SNOOZED  # type: ignore[arg-type]


def test_worst_status() -> None:
    assert worst_status(["met", "paused", "ok"]) == "ok"
    assert worst_status(["ok", "at_risk", "breached"]) == "breached"
    assert worst_status([]) == "ok"


# ---------------------------------------------------------------------------------------- selection


def test_select_policy_first_match_wins() -> None:
    x_complaints = Policy("X complaints", first_response=10 * M)
    urgent = Policy("urgent", first_response=30 * M)
    default = Policy("default", first_response=24 * H)
    rules = [
        PolicyRule.of(x_complaints, channels=["X"], intents=["complaint"]),
        PolicyRule.of(urgent, min_priority=80),
        PolicyRule.of(default),
    ]
    assert select_policy(rules, "x", "complaint", 10) is x_complaints
    assert select_policy(rules, "facebook", "complaint", 90) is urgent
    assert select_policy(rules, "x", "question", 80) is urgent
    assert select_policy(rules, "x", "question", None) is default  # untriaged: no priority
    assert select_policy(rules, None, None, None) is default
    assert select_policy(rules[:2], "email", "praise", 79) is None


# ---------------------------------------------------------------------------------------- properties

kinds = st.sampled_from(["in", "reply", "partner", *[s.value for s in CaseStatus]])
event_lists = st.lists(st.tuples(st.integers(0, 600), kinds), max_size=14)
POLICIES = [TWENTY_FOUR_SEVEN, Policy("bh", 10 * M, 20 * M, 2 * H, BusinessCalendar.weekdays(PARIS, "10:00-14:00"))]


def _events(raw: list[tuple[int, str]]) -> list[CaseEvent]:
    out: list[CaseEvent] = []
    for minute, kind in raw:
        when = at(minute)
        if kind == "in":
            out.append(Inbound(when))
        elif kind == "reply":
            out.append(AgentReply(when))
        elif kind == "partner":
            out.append(PartnerReply(when))
        else:
            out.append(StatusChange(when, CaseStatus(kind)))
    return out


@settings(max_examples=150, deadline=None)
@given(raw=event_lists, t1=st.integers(0, 700), dt=st.integers(0, 700), policy=st.sampled_from(POLICIES))
def test_a_breach_once_seen_is_never_lost_nor_reported_again(
    raw: list[tuple[int, str]], t1: int, dt: int, policy: Policy
) -> None:
    events = _events(raw)
    first = compute_sla(policy, events, at(t1))
    assert compute_sla(policy, events, at(t1)) == first  # deterministic
    second = compute_sla(policy, events, at(t1 + dt))
    earlier = set(first.all_breaches())
    assert earlier <= set(second.all_breaches())  # same keys, same instants
    assert set(breaches(first, second)) == set(second.all_breaches()) - earlier
    assert breaches(second, second) == []
    for metric in second.metrics:
        if metric.running:
            assert metric.due_at is not None and metric.remaining is not None
            assert metric.breached == (metric.due_at < at(t1 + dt))
        if metric.breached_at is not None:
            assert metric.breached_at <= at(t1 + dt)
