"""The figures' filters and periods, the comparison with the previous period, the drill-down's paging and its
bad input, SLA and CSAT and escalations from rows as their capabilities leave them, and the rebuild command."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from typer.testing import CliRunner

from compris.analytics import queries, rollups
from compris.analytics.figures import Filters, Measure
from compris.kit.errors import Invalid
from compris.models import Escalation, GuardEvent, Partner, SlaBreach, SlaPolicy, Survey, WaitPrediction
from tests.analytics.helpers import catch_up, event, message, new_case, period, snapshot
from tests.conftest import World

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = MONDAY.date()


def test_filters_period_and_previous() -> None:
    f = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31), network="x")
    prev = f.previous()
    assert (prev.start, prev.end, prev.network) == (date(2026, 1, 29), date(2026, 2, 28), "x")
    assert prev.days == f.days == 31
    with pytest.raises(Invalid):
        Filters(start=date(2026, 3, 2), end=date(2026, 3, 1))
    with pytest.raises(Invalid):
        Filters(start=date(2025, 1, 1), end=date(2026, 3, 1))
    with pytest.raises(Invalid):
        Filters(start=date(2026, 3, 1), end=date(2026, 3, 1), clock="wall")  # type: ignore[arg-type]


def _history(world: World) -> dict[str, int]:
    """Two cases over two days: one answered (complaint, French) and breached, surveyed and escalated; one
    unanswered (question, English)."""
    ids: dict[str, int] = {}
    with world.runtime.db.transaction() as s:
        policy = SlaPolicy(workspace_id=world.workspace_id, name="Standard", first_response_s=3600)
        partner = Partner(workspace_id=world.workspace_id, name="Hotel", emails=["h@x.test"], reminders={})
        s.add_all([policy, partner])
        s.flush()
        a = new_case(s, world, MONDAY)
        a.sla_policy_id, a.triage, a.language = policy.id, {"intent": "complaint"}, "fr"
        message(s, world, a.id, MONDAY, inbound=True, triage={"intent": "complaint"}, language="fr")
        message(s, world, a.id, MONDAY + timedelta(minutes=90), inbound=False, delivery_state="sent",
                author_user_id=world.agent.id)
        s.add(SlaBreach(workspace_id=world.workspace_id, case_id=a.id, metric="first_response", cycle=0,
                        breached_at=MONDAY + timedelta(hours=1), policy_id=policy.id))
        event(s, world, a.id, MONDAY + timedelta(hours=2), "resolved", world.agent.id, to_status="resolved")
        a.status = "resolved"
        s.add(Survey(workspace_id=world.workspace_id, case_id=a.id, cycle=1, state="answered",
                     sent_at=MONDAY + timedelta(hours=3), rating=2, score=25, scale="stars5",
                     channel_account_id=world.account.id, network="sandbox", agent_id=world.agent.id))
        s.add(Escalation(workspace_id=world.workspace_id, case_id=a.id, partner_id=partner.id, reply_token="t1",
                         created_at=MONDAY + timedelta(minutes=30), created_by_id=world.agent.id,
                         answered_at=MONDAY + timedelta(minutes=150), status="answered"))
        s.add(WaitPrediction(workspace_id=world.workspace_id, case_id=a.id, channel_account_id=world.account.id,
                             predicted_s=3600, actual_s=5400, created_at=MONDAY))
        s.add(GuardEvent(workspace_id=world.workspace_id, case_id=a.id, user_id=world.agent.id,
                         rule="no_acknowledgement", severity="warning", overridden=True, created_at=MONDAY))
        b = new_case(s, world, MONDAY + timedelta(days=1))
        b.triage, b.language = {"intent": "question"}, "en"
        message(s, world, b.id, MONDAY + timedelta(days=1), inbound=True, triage={"intent": "question"},
                language="en")
        ids = {"a": a.id, "b": b.id}
        from compris.analytics.rollups import mark_dirty

        mark_dirty(s, world.workspace_id, ids.values())
    catch_up(world)
    return ids


def test_figures_from_the_capabilities_rows(world: World) -> None:
    ids = _history(world)
    two_days = period(DAY, DAY + timedelta(days=1))
    with world.runtime.db.transaction() as s:
        vol = queries.volume(s, world.workspace_id, two_days)
        french = queries.volume(s, world.workspace_id, period(DAY, DAY + timedelta(days=1), language="fr"))
        complaints = queries.response_rate(s, world.workspace_id, period(DAY, DAY + timedelta(days=1),
                                                                         intent="complaint"))
        rate = queries.response_rate(s, world.workspace_id, two_days)
        rate_2h = queries.response_rate(s, world.workspace_id, two_days, target_s=7200)
        sla = queries.sla(s, world.workspace_id, two_days)
        csat = queries.csat(s, world.workspace_id, two_days)
        esc = queries.escalations(s, world.workspace_id, two_days)
        wait = queries.expected_wait(s, world.workspace_id, two_days)
        guard = queries.guard(s, world.workspace_id, two_days)
        heat = queries.heatmap(s, world.workspace_id, two_days)
        backlog = queries.backlog(s, world.workspace_id, two_days)
        late = queries.cases_behind(s, world.workspace_id, two_days, Measure.LATE)
        unhappy = queries.cases_behind(s, world.workspace_id, two_days, "dissatisfied")
    assert (vol.messages, vol.new_cases) == (2, 2)
    assert len(vol.trend_messages) == 48  # two days: per hour
    assert [i for i, p in enumerate(vol.trend_messages) if p.value] == [9, 33]
    assert french.messages == 1 and {x.key for x in french.by_language} == {"fr"}
    assert (complaints.needing, complaints.responded, complaints.within_target) == (1, 1, 0)
    assert (rate.needing, rate.responded, rate.rate) == (2, 1, 50.0)
    assert rate_2h.within_target == 1  # 90 min is within 2 h
    assert sla.breaches == 1 and sla.attainment("first_response") == 0.0
    assert [(r.metric, r.policy_name, r.met, r.breached) for r in sla.rows] == [
        ("first_response", "Standard", 0, 1)]
    assert (csat.sent, csat.answered, csat.satisfied, csat.csat, csat.average_score) == (1, 1, 0, 0.0, 25.0)
    assert (esc.created, esc.answered, esc.open_now, esc.partner_response.mean_s) == (1, 1, 1, 7200.0)
    assert (wait.announced, wait.answered, wait.mean_abs_error_s, wait.within_announced) == (1, 1, 1800.0, 0)
    assert (guard.findings, guard.overridden, guard.by_rule[0].rule) == (1, 1, "no_acknowledgement")
    assert heat.cells[0][9] == 1 and heat.cells[1][9] == 1 and heat.max == 1  # Monday and Tuesday, 9 h UTC
    assert (backlog.open, backlog.new, backlog.unassigned) == (1, 1, 1)
    assert backlog.oldest_case_id == ids["b"]
    assert set(late.case_ids) == {ids["a"], ids["b"]}
    assert unhappy.case_ids == [ids["a"]]
    with world.runtime.db.transaction() as s:  # the previous period holds nothing
        assert queries.volume(s, world.workspace_id, two_days.previous()).messages == 0


def test_the_drill_down_pages_and_refuses_bad_input(world: World) -> None:
    _history(world)
    f = period(DAY, DAY + timedelta(days=1))
    with world.runtime.db.transaction() as s:
        first = queries.cases_behind(s, world.workspace_id, f, Measure.NEW_CASES, per_page=1)
        second = queries.cases_behind(s, world.workspace_id, f, Measure.NEW_CASES, page=2, per_page=1)
        assert first.total == second.total == 2 and first.pages == 2
        assert len(set(first.case_ids + second.case_ids)) == 2
        assert queries.cases_behind(s, world.workspace_id, f, Measure.BACKLOG).total == 1
        with pytest.raises(Invalid):
            queries.cases_behind(s, world.workspace_id, f, "everything")
        with pytest.raises(Invalid):
            queries.cases_behind(s, world.workspace_id, f, Measure.NEW_CASES, page=0)
        with pytest.raises(Invalid):
            queries.response_rate(s, world.workspace_id, f, target_s=0)


def test_the_drill_down_lists_the_slowest_first_and_counts_up_to_its_cap(world: World,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Slowest first (first response), newest first (late), and beyond ``DRILL_COUNT_CAP`` a total that says "more
    than" and pages that stop there, with the cases themselves still in order."""
    ids = []
    with world.runtime.db.transaction() as s:
        for minutes in (30, 240, 90, 240):  # two equally slow: the newer case (higher id) first
            case = new_case(s, world, MONDAY)
            message(s, world, case.id, MONDAY, inbound=True)
            message(s, world, case.id, MONDAY + timedelta(minutes=minutes), inbound=False, delivery_state="sent",
                    author_user_id=world.agent.id)
            ids.append(case.id)
        rollups.mark_dirty(s, world.workspace_id, ids)
    catch_up(world)
    f = period(DAY, DAY)
    with world.runtime.db.transaction() as s:
        slowest = queries.cases_behind(s, world.workspace_id, f, Measure.FIRST_RESPONSE)
        assert slowest.case_ids == [ids[3], ids[1], ids[2], ids[0]]
        assert (slowest.total, slowest.capped) == (4, False)
        late = queries.cases_behind(s, world.workspace_id, f, Measure.LATE)  # answered after the hour
        assert set(late.case_ids) == {ids[1], ids[2], ids[3]} and late.total == 3
        monkeypatch.setattr(queries, "DRILL_COUNT_CAP", 2)
        capped = queries.cases_behind(s, world.workspace_id, f, Measure.FIRST_RESPONSE, per_page=1)
        assert (capped.total, capped.capped, capped.pages) == (2, True, 2)
        assert capped.case_ids == [ids[3]]
        assert queries.cases_behind(s, world.workspace_id, f, Measure.FIRST_RESPONSE, page=4,
                                    per_page=1).case_ids == [ids[0]]
        exact = queries.cases_behind(s, world.workspace_id, f, Measure.LATE, per_page=1)
        assert exact.capped and exact.total == 2
        backlog = queries.cases_behind(s, world.workspace_id, f, Measure.BACKLOG)
        assert (backlog.total, backlog.capped) == (2, True)


def test_the_rebuild_command(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from compris.cli import app
    from compris.config import get_settings

    _history(world)
    kept = snapshot(world)
    monkeypatch.setenv("COMPRIS_DATABASE_URL", world.runtime.settings.database_url)
    get_settings.cache_clear() if hasattr(get_settings, "cache_clear") else None
    runner = CliRunner()
    result = runner.invoke(app, ["analytics", "rebuild", "--workspace", "acme"])
    assert result.exit_code == 0, result.output
    assert "acme: 2 case(s) recomputed" in result.output
    assert snapshot(world) == kept
    result = runner.invoke(app, ["analytics", "rebuild", "--since", "2026-03-03"])
    assert result.exit_code == 0 and "acme: 1 case(s) recomputed" in result.output
    assert snapshot(world) == kept
    assert runner.invoke(app, ["analytics", "rebuild", "--since", "March"]).exit_code == 2
    assert runner.invoke(app, ["analytics", "rebuild", "--workspace", "nobody"]).exit_code == 2


def test_new_cases_by_tag(world: World) -> None:
    # given three cases opened on Monday (two tagged "Colis perdu", one of them also "VIP") and one the week before
    from compris.models import CaseTag, Tag

    with world.runtime.db.transaction() as s:
        lost = Tag(workspace_id=world.workspace_id, name="Colis perdu", key="colis perdu")
        vip = Tag(workspace_id=world.workspace_id, name="VIP", key="vip")
        s.add_all([lost, vip])
        s.flush()
        cases = [new_case(s, world, at) for at in (MONDAY, MONDAY + timedelta(hours=1), MONDAY + timedelta(hours=2),
                                                   MONDAY - timedelta(days=7))]
        for case, at in zip(cases, (MONDAY, MONDAY + timedelta(hours=1), MONDAY + timedelta(hours=2),
                                    MONDAY - timedelta(days=7)), strict=True):
            case.first_inbound_at = at
            message(s, world, case.id, at, inbound=True)
        cases[0].team_id = None
        for case, tag in ((cases[0], lost), (cases[1], lost), (cases[1], vip), (cases[3], lost)):
            s.add(CaseTag(workspace_id=world.workspace_id, case_id=case.id, tag_id=tag.id))
        rollups.mark_dirty(s, world.workspace_id, [c.id for c in cases])  # as tagging does (CaseTagged)
    catch_up(world)
    # when the week's volume is read
    with world.runtime.db.transaction() as s:
        v = queries.volume(s, world.workspace_id, Filters(start=DAY, end=DAY + timedelta(days=6)))
        # then each tag counts the period's new cases carrying it, with its name
        assert [(x.label, x.value) for x in v.by_tag] == [("Colis perdu", 2), ("VIP", 1)]
        # and the case filters apply (no case of this period is on another account)
        other = queries.volume(s, world.workspace_id, Filters(start=DAY, end=DAY, channel_account_id=-1))
        assert other.by_tag == []
        # and the week before has its own case
        before = queries.volume(s, world.workspace_id, Filters(start=DAY, end=DAY + timedelta(days=6)).previous())
        assert [(x.label, x.value) for x in before.by_tag] == [("Colis perdu", 1)]
