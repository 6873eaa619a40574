"""The measures on hand-built case histories with known answers (pure: no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from compris.analytics import measures as M
from compris.analytics.buckets import bucket_of
from compris.analytics.measures import CaseHistory, Change, Context, Msg
from compris.routing import shifts

UTC_TZ = ZoneInfo("UTC")
PARIS = ZoneInfo("Europe/Paris")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
A, B = 11, 12  # agents
TEAM_1, TEAM_2 = 21, 22


def at(minutes: float, base: datetime = T0) -> datetime:
    return base + timedelta(minutes=minutes)


def inbound(i: int, when: datetime, **kw: Any) -> Msg:
    return Msg(i, True, when, kw.pop("visibility", "public"), kw.pop("account", 1), **kw)


def reply(i: int, when: datetime, author: int | None = A, **kw: Any) -> Msg:
    return Msg(i, False, kw.pop("queued", when), kw.pop("visibility", "public"), kw.pop("account", 1),
               answer_at=when, author_user_id=author, **kw)


def status(when: datetime, value: str, actor: int | None = A) -> Change:
    return Change(when, "status", value, actor)


def assign(when: datetime, agent: int | None, actor: int | None = None) -> Change:
    return Change(when, "assignee", agent, actor)


def team(when: datetime, team_id: int, previous: int | None = None) -> Change:
    return Change(when, "team", team_id, None, previous)


def history(*items: Msg | Change, **kw: Any) -> CaseHistory:
    return CaseHistory(case_id=kw.pop("case_id", 1), workspace_id=1,
                       messages=tuple(i for i in items if isinstance(i, Msg)),
                       changes=tuple(i for i in items if isinstance(i, Change)), **kw)


def run(h: CaseHistory, **ctx: Any) -> M.Contribution:
    return M.contribution(h, Context(tz=ctx.pop("tz", UTC_TZ), networks={1: "x", 2: "facebook"}, **ctx))


def total(c: M.Contribution, metric: str, **where: Any) -> tuple[int, float]:
    """(n, total) of ``metric`` over the entries matching ``where`` (key fields by name)."""
    n, t = 0, 0.0
    for key, (kn, kt) in c.entries.items():
        fields = dict(zip(M.KEY_FIELDS, key, strict=True))
        if fields["metric"] == metric and all(fields[k] == v for k, v in where.items()):
            n, t = n + int(kn), t + kt
    return n, t


def test_a_simple_case_answered_and_resolved() -> None:
    c = run(history(inbound(1, T0), reply(2, at(20)), status(at(60), "resolved"),
                    team(at(0.01), TEAM_1), assign(at(0.02), A), team_id=TEAM_1, assignee_id=A))
    assert total(c, M.MSG_IN) == (1, 0)
    assert total(c, M.CASE_NEW) == (1, 0)
    assert total(c, M.NEEDS)[0] == total(c, M.RESPONDED)[0] == total(c, M.IN_TARGET)[0] == 1
    assert total(c, "frt_c") == (1, 1200.0)
    assert total(c, "frt_c", bucket=bucket_of(1200))[0] == 1
    assert total(c, "frt_b") == (1, 1200.0)  # no calendar: business time is calendar time
    assert total(c, "res_c") == (1, 3600.0)
    assert total(c, M.REPLY, agent_id=A, team_id=TEAM_1) == (1, 0)
    assert total(c, M.RESOLVED, agent_id=A) == (1, 0)
    assert total(c, M.NRT + "_c") == (0, 0)
    # the new case is the team's (routed a moment after it opened) and the agent's who took it
    assert total(c, M.CASE_NEW, team_id=TEAM_1, agent_id=A, network="x") == (1, 0)
    assert c.summary.first_response_s == 1200 and c.summary.resolution_s == 3600


def test_the_automatic_acknowledgement_and_the_survey_are_not_answers() -> None:
    ack = Msg(2, False, at(0.1), "public", 1, answer_at=None, automatic_sent_at=at(0.2))
    survey = Msg(4, False, at(70), "private", 1, answer_at=None, automatic_sent_at=at(70))
    c = run(history(inbound(1, T0), ack, reply(3, at(45)), status(at(60), "resolved"), survey))
    assert total(c, "frt_c") == (1, 45 * 60.0)  # from the agent's reply, not the acknowledgement
    assert total(c, M.AUTO) == (2, 0)
    assert total(c, M.REPLY) == (1, 0)
    assert total(c, M.IN_TARGET) == (1, 0)


def test_a_customer_rating_claimed_by_the_survey_is_no_message() -> None:
    rating = inbound(5, at(80), claimed=True)
    c = run(history(inbound(1, T0), reply(2, at(10)), status(at(60), "resolved"), rating))
    assert total(c, M.MSG_IN) == (1, 0)
    assert total(c, M.REOPENED) == (0, 0)
    assert total(c, M.RESOLVED) == (1, 0)


def test_a_failed_send_does_not_answer_until_the_retry_goes_out() -> None:
    # the loader turns a failed reply into answer_at None, and a retried one into its actual send time
    failed = Msg(2, False, at(5), "public", 1, answer_at=None, author_user_id=A)
    retried = reply(3, at(95), author=A, queued=at(30))
    c = run(history(inbound(1, T0), failed, retried))
    assert total(c, "frt_c") == (1, 95 * 60.0)
    assert total(c, M.RESPONDED) == (1, 0)
    assert total(c, M.IN_TARGET) == (0, 0)  # 95 min > the 1 h target
    assert total(c, M.REPLY) == (1, 0)
    assert c.summary.late_at == T0


def test_a_transfer_credits_the_team_and_the_agent_who_answered() -> None:
    c = run(history(inbound(1, T0), team(at(0.01), TEAM_1), assign(at(0.02), A),
                    team(at(30), TEAM_2, previous=TEAM_1), assign(at(30), B), reply(2, at(40), author=B),
                    inbound(3, at(50)), reply(4, at(55), author=B),
                    team_id=TEAM_2, assignee_id=B))
    assert total(c, "frt_c", agent_id=B, team_id=TEAM_2) == (1, 2400.0)
    assert total(c, "frt_c", agent_id=A) == (0, 0)
    assert total(c, M.REPLY, agent_id=B, team_id=TEAM_2) == (2, 0)
    # the first message arrived while the case was team 1's; it was answered by B
    assert total(c, M.MSG_IN, team_id=TEAM_1, agent_id=B) == (1, 0)
    assert total(c, M.MSG_IN, team_id=TEAM_2, agent_id=B) == (1, 0)
    assert total(c, "nrt_c", agent_id=B) == (1, 300.0)


def test_a_reassignment_splits_the_handle_time_and_credits_the_resolver() -> None:
    c = run(history(inbound(1, T0), assign(at(0), A), status(at(5), "open", actor=A), reply(2, at(10)),
                    assign(at(30), B, actor=A), status(at(45), "waiting_customer", actor=B),
                    status(at(75), "open", actor=B), status(at(90), "resolved", actor=B),
                    assignee_id=B))
    assert total(c, M.HANDLE, agent_id=A) == (2, 1800.0)  # 0-5 new, 5-30 open
    assert total(c, M.HANDLE, agent_id=B) == (2, 15 * 60.0 + 15 * 60.0)  # the wait on the customer is not B's
    assert total(c, M.RESOLVED, agent_id=B) == (1, 0)
    assert total(c, "res_c") == (1, 90 * 60.0)  # the customer's view: waits included


def test_a_reopening_starts_a_new_resolution_and_a_next_response() -> None:
    c = run(history(inbound(1, T0), reply(2, at(10)), status(at(30), "resolved"),
                    inbound(3, at(120)), reply(4, at(125)), status(at(180), "resolved")))
    assert total(c, M.RESOLVED) == (2, 0)
    assert total(c, "res_c") == (2, 30 * 60.0 + 60 * 60.0)
    assert total(c, M.REOPENED) == (1, 0)
    assert total(c, "nrt_c") == (1, 300.0)
    assert total(c, M.CASE_NEW) == (1, 0)
    assert total(c, M.MSG_IN) == (2, 0)


def test_an_agent_reopening_counts_from_the_reopening() -> None:
    c = run(history(inbound(1, T0), reply(2, at(10)), status(at(30), "resolved"),
                    status(at(100), "open", actor=B), status(at(110), "resolved", actor=B)))
    assert total(c, M.REOPENED, agent_id=B) == (1, 0)
    assert total(c, "res_c") == (2, 30 * 60.0 + 10 * 60.0)


def test_a_merge_counts_the_issue_once() -> None:
    # the target after the merge holds both cases' messages; the source holds none and is closed
    target = run(history(inbound(1, T0), inbound(3, at(20), account=2), reply(4, at(30)),
                         status(at(60), "resolved"), case_id=1))
    source = run(history(status(at(25), "closed"), case_id=2))
    assert total(target, M.MSG_IN) == (2, 0)
    assert total(target, M.CASE_NEW) == (1, 0)
    assert total(target, M.RESPONDED) == (2, 0)
    assert total(target, M.MSG_IN, network="facebook") == (1, 0)
    assert source.entries == {}


def test_spam_counts_in_the_volume_but_needs_no_response() -> None:
    c = run(history(inbound(1, T0, intent="spam"), inbound(2, at(5), intent="question")))
    assert total(c, M.MSG_IN) == (2, 0)
    assert total(c, M.MSG_IN, intent="spam") == (1, 0)
    assert total(c, M.NEEDS) == (1, 0)
    assert total(c, M.RESPONDED) == (0, 0)
    assert c.summary.unanswered_at == at(5)


def test_several_messages_are_answered_by_one_reply() -> None:
    c = run(history(inbound(1, T0), inbound(2, at(10)), inbound(3, at(50)), reply(4, at(70))))
    assert total(c, M.RESPONDED) == (3, 0)
    assert total(c, M.IN_TARGET) == (2, 0)  # 70 and 60 min... 60 is in, 70 is not; 20 is in
    assert total(c, M.MSG_RT) == (3, (70 + 60 + 20) * 60.0)
    assert total(c, "frt_c") == (1, 70 * 60.0)


OFFICE = shifts.calendar("Europe/Paris", shifts.parse("Mon-Fri 09:00-17:00"))


def test_business_hours_across_a_weekend() -> None:
    friday = datetime(2026, 2, 27, 15, 0, tzinfo=UTC)  # 16:00 in Paris (winter)
    monday = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Paris
    c = run(history(inbound(1, friday), reply(2, monday)), calendar=OFFICE, tz=PARIS)
    assert total(c, "frt_c") == (1, 66 * 3600.0)
    assert total(c, "frt_b") == (1, 2 * 3600.0)  # Friday 16-17 and Monday 9-10


def test_business_hours_and_days_across_the_change_to_summer_time() -> None:
    friday = datetime(2026, 3, 27, 15, 0, tzinfo=UTC)  # Friday 16:00 CET
    monday = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # Monday 10:00 CEST (clocks went forward on Sunday 29)
    c = run(history(inbound(1, friday), reply(2, monday), status(monday + timedelta(hours=1), "resolved")),
            calendar=OFFICE, tz=PARIS)
    assert total(c, "frt_c") == (1, 65 * 3600.0)  # 66 h on the wall clock, one of them never happened
    assert total(c, "frt_b") == (1, 2 * 3600.0)
    assert total(c, "res_b") == (1, 3 * 3600.0)
    # days are the workspace's: the message is Friday's, the answer Monday's
    assert total(c, M.MSG_IN, day="2026-03-27") == (1, 0)
    assert total(c, "frt_c", day="2026-03-30") == (1, 65 * 3600.0)


def test_days_and_hours_are_cut_in_the_workspace_time_zone() -> None:
    late = datetime(2026, 7, 1, 22, 30, tzinfo=UTC)  # 00:30 on 2 July in Paris (summer)
    c = run(history(inbound(1, late)), tz=PARIS)
    assert total(c, M.MSG_IN, day="2026-07-02", hour=0) == (1, 0)


def test_sla_met_and_breached_per_policy() -> None:
    breach = M.BreachFact("first_response", 0, at(60), 7)
    c = run(history(inbound(1, T0), reply(2, at(90)), inbound(3, at(100)), reply(4, at(110)),
                    status(at(120), "resolved"), sla_policy_id=7, breaches=(breach,)),
            tracked=frozenset({"first_response", "next_response", "resolution"}))
    assert total(c, "sla_breach:first_response", policy_id=7) == (1, 0)
    assert total(c, "sla_met:first_response") == (0, 0)
    assert total(c, "sla_met:next_response", policy_id=7) == (1, 0)
    assert total(c, "sla_met:resolution", policy_id=7) == (1, 0)
    untracked = run(history(inbound(1, T0), reply(2, at(90)), sla_policy_id=7), tracked=frozenset())
    assert total(untracked, "sla_met:first_response") == (0, 0)


def test_surveys_count_in_the_period_they_were_sent() -> None:
    sent = at(200)
    surveys = (M.SurveyFact(sent, True, 100, True, 1, "x", A, TEAM_1),
               M.SurveyFact(sent, True, 25, False, 1, "x", A, TEAM_1),
               M.SurveyFact(sent, False, None, False, 1, "x", B, TEAM_1))
    c = run(history(inbound(1, T0), reply(2, at(10)), surveys=surveys))
    assert total(c, M.CSAT_SENT) == (3, 0)
    assert total(c, M.CSAT_ANSWERED) == (2, 125.0)
    assert total(c, M.CSAT_SATISFIED, agent_id=A) == (1, 0)
    assert c.summary.dissatisfied_at == sent


def test_escalations_partner_response_and_overdue() -> None:
    escalations = (M.EscalationFact(at(10), A, at(130), None), M.EscalationFact(at(20), B, None, at(80)))
    c = run(history(inbound(1, T0), escalations=escalations))
    assert total(c, M.ESC_CREATED) == (2, 0)
    assert total(c, M.ESC_RESPONSE) == (1, 120 * 60.0)
    assert total(c, M.ESC_OVERDUE, agent_id=B) == (1, 0)


def test_the_difference_of_two_contributions_is_what_moved() -> None:
    before = run(history(inbound(1, T0)))
    after = run(history(inbound(1, T0), reply(2, at(10))))
    delta = M.difference(before.entries, after.entries)
    assert M.totals(delta)[M.RESPONDED] == [1, 0]
    # the message moved from "no agent" to the agent who answered it: the volume did not change
    assert M.totals(delta)[M.MSG_IN] == [0, 0]
    assert total(M.Contribution(delta), M.MSG_IN, agent_id=A) == (1, 0)
    assert M.difference(after.entries, after.entries) == {}
    assert M.entries_from_rows(after.as_rows()) == {k: v for k, v in after.entries.items()}


def test_waiting_since_only_while_the_case_is_new_or_open() -> None:
    """The backlog's oldest waiting reads ``waiting_since`` (a partial index of these rows only): the earliest
    unanswered message, kept only while the case's timeline says it is new or open."""
    waiting = run(history(inbound(1, T0), status(at(1), "open")))
    assert waiting.summary.unanswered_at == waiting.summary.waiting_since == T0
    resolved = run(history(inbound(1, T0), status(at(30), "resolved")))
    assert resolved.summary.unanswered_at == T0 and resolved.summary.waiting_since is None
    parked = run(history(inbound(1, T0), status(at(30), "waiting_customer")))
    assert parked.summary.waiting_since is None
    reopened = run(history(inbound(1, T0), status(at(30), "resolved"), status(at(40), "open")))
    assert reopened.summary.waiting_since == T0
    answered = run(history(inbound(1, T0), reply(2, at(20))))
    assert answered.summary.unanswered_at is None and answered.summary.waiting_since is None
