"""The figures of cases that went through the real pipeline (webhook, inbound job, replies, the send job),
with a frozen clock: marked by the listener, recomputed by the rollup job's function, read by the queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from compris.analytics import queries, rollups
from compris.analytics.figures import Measure
from compris.inbox import actions
from compris.models import AnalyticsCase, Case, Message, User, WaitPrediction
from tests.analytics.conftest import Network
from tests.analytics.helpers import catch_up, dirty, period, rebuild, snapshot
from tests.conftest import World
from tests.replies.helpers import customer_writes
from tests.routing.helpers import frozen
from tests.sla.helpers import reply, set_status

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = date(2026, 3, 2)


def only_case(world: World) -> int:
    with world.runtime.db.transaction() as s:
        ids = list(s.scalars(select(Case.id).where(Case.workspace_id == world.workspace_id)))
    assert len(ids) == 1
    return ids[0]


def test_a_case_answered_and_resolved(world: World, network: Network) -> None:
    with frozen(MONDAY) as clock:
        customer_writes(world, "My bag is lost", kind="dm")
        case_id = only_case(world)
        assert dirty(world) >= 1  # marked by the events of the inbound job
        clock.advance(minutes=12)
        reply(world, case_id, "We are on it")
        world.run_jobs()  # the send job: sent now
        clock.advance(minutes=48)
        set_status(world, case_id, "resolved")
    assert catch_up(world) >= 1
    assert dirty(world) == 0
    with world.runtime.db.transaction() as s:
        f = period(DAY)
        vol = queries.volume(s, world.workspace_id, f)
        rate = queries.response_rate(s, world.workspace_id, f)
        times = queries.response_times(s, world.workspace_id, f)
        people = queries.agents(s, world.workspace_id, f)
        drill = queries.cases_behind(s, world.workspace_id, f, Measure.FIRST_RESPONSE)
    assert (vol.messages, vol.new_cases) == (1, 1)
    assert [(x.key, x.value) for x in vol.by_network] == [("sandbox", 1)]
    assert [(x.label, x.value) for x in vol.by_account] == [(world.account.name, 1)]
    assert [(x.key, x.value) for x in vol.by_visibility] == [("private", 1)]
    assert vol.by_hour[9].value == 1 and sum(x.value for x in vol.by_hour) == 1
    assert (rate.needing, rate.responded, rate.within_target, rate.rate) == (1, 1, 1, 100.0)
    assert times.first_response.count == 1
    assert times.first_response.mean_s == 12 * 60
    assert abs((times.first_response.median_s or 0) - 720) / 720 < 0.19  # from the buckets
    assert times.resolution.mean_s == 60 * 60
    agent = next(r for r in people.agents if r.id == world.agent.id)
    assert (agent.replies, agent.resolved, agent.first_responses) == (1, 1, 1)
    assert drill.case_ids == [case_id] and drill.total == 1
    # the next day has nothing, and the previous period neither
    with world.runtime.db.transaction() as s:
        assert queries.volume(s, world.workspace_id, period(DAY + timedelta(days=1))).messages == 0
        assert queries.volume(s, world.workspace_id, f.previous()).messages == 0


def test_a_failed_send_counts_only_when_the_retry_goes_out(world: World, network: Network) -> None:
    with frozen(MONDAY) as clock:
        customer_writes(world, "Where is my parcel?", kind="dm")
        case_id = only_case(world)
        network.refuse = True
        clock.advance(minutes=5)
        message_id = reply(world, case_id, "Let me check")
        world.run_jobs()  # refused for good
        catch_up(world)
        with world.runtime.db.transaction() as s:
            rate = queries.response_rate(s, world.workspace_id, period(DAY))
            assert (rate.needing, rate.responded) == (1, 0)
            assert queries.cases_behind(s, world.workspace_id, period(DAY), Measure.UNANSWERED).case_ids == [case_id]
        network.refuse = False
        clock.advance(minutes=85)
        with world.runtime.db.transaction() as s:
            actor = s.get(User, world.agent.id)
            m = s.get(Message, message_id)
            assert actor is not None and m is not None
            actions.retry_send(s, world.runtime.publisher, actor=actor, message=m)
        world.run_jobs()
    catch_up(world)
    with world.runtime.db.transaction() as s:
        rate = queries.response_rate(s, world.workspace_id, period(DAY))
        times = queries.response_times(s, world.workspace_id, period(DAY))
    assert (rate.needing, rate.responded, rate.within_target) == (1, 1, 0)  # 90 minutes: over the hour
    assert times.first_response.mean_s == 90 * 60


def test_a_transfer_and_a_reassignment_credit_who_answered(world: World, network: Network) -> None:
    from compris.models import Team
    from compris.routing.assignment import transfer

    with world.runtime.db.transaction() as s:
        first, second = Team(workspace_id=world.workspace_id, name="Care"), Team(
            workspace_id=world.workspace_id, name="Baggage")
        other = User(workspace_id=world.workspace_id, email="other@acme.test", name="Other", password_hash="x" * 40)
        s.add_all([first, second, other])
        s.flush()
        first_id, second_id, other_id = first.id, second.id, other.id
    with frozen(MONDAY) as clock:
        customer_writes(world, "Lost bag", kind="dm")
        case_id = only_case(world)
        with world.runtime.db.transaction() as s:
            case = s.get(Case, case_id)
            agent = s.get(User, world.agent.id)
            assert case is not None and agent is not None
            transfer(s, world.runtime.publisher, actor=agent, case=case, team=s.get(Team, first_id))
            actions.assign(s, world.runtime.publisher, actor=agent, case=case, assignee=agent)
        clock.advance(minutes=10)
        with world.runtime.db.transaction() as s:
            case = s.get(Case, case_id)
            agent = s.get(User, world.agent.id)
            assert case is not None and agent is not None
            transfer(s, world.runtime.publisher, actor=agent, case=case, team=s.get(Team, second_id))
            actions.assign(s, world.runtime.publisher, actor=agent, case=case, assignee=s.get(User, other_id))
        clock.advance(minutes=10)
        with world.runtime.db.transaction() as s:
            case = s.get(Case, case_id)
            other = s.get(User, other_id)
            assert case is not None and other is not None
            actions.add_reply(s, world.runtime.publisher, actor=other, case=case, text="Found it",
                              visibility="private")
        world.run_jobs()
    catch_up(world)
    with world.runtime.db.transaction() as s:
        people = queries.agents(s, world.workspace_id, period(DAY))
        for_second = queries.response_times(s, world.workspace_id, period(DAY, team_id=second_id))
        for_first = queries.response_times(s, world.workspace_id, period(DAY, team_id=first_id))
    by_id = {r.id: r for r in people.agents}
    assert by_id[other_id].first_responses == 1 and by_id[other_id].replies == 1
    assert world.agent.id not in by_id or by_id[world.agent.id].first_responses == 0
    assert by_id[world.agent.id].handle_time_s == 600  # the ten minutes it was theirs
    assert for_second.first_response.count == 1 and for_first.first_response.count == 0
    assert {r.id: r.first_responses for r in people.teams}[second_id] == 1


def test_recomputing_twice_changes_nothing_and_a_rebuild_gives_the_same_figures(world: World,
                                                                               network: Network) -> None:
    with frozen(MONDAY) as clock:
        for text in ("First", "Second"):
            customer_writes(world, text, author=text.lower())
            clock.advance(minutes=7)
        with world.runtime.db.transaction() as s:
            ids = list(s.scalars(select(Case.id).where(Case.workspace_id == world.workspace_id)))
        reply(world, ids[0], "Hello")
        world.run_jobs()
        clock.advance(hours=2)
        set_status(world, ids[0], "resolved")
        clock.advance(hours=1)
        customer_writes(world, "Me again", author="first")  # reopens the first case
        world.run_jobs()
    catch_up(world)
    kept = snapshot(world)
    with world.runtime.db.transaction() as s:
        rollups.recompute(s, ids)
        rollups.recompute(s, ids)
    assert snapshot(world) == kept
    with world.runtime.db.transaction() as s:
        rollups.mark_dirty(s, world.workspace_id, ids + ids)
    catch_up(world)
    assert snapshot(world) == kept
    assert rebuild(world) == 2
    assert snapshot(world) == kept
    assert rebuild(world, since=DAY) == 2
    assert snapshot(world) == kept
    with world.runtime.db.transaction() as s:
        vol = queries.volume(s, world.workspace_id, period(DAY))
        assert (vol.messages, vol.new_cases) == (3, 2)
        assert queries.cases_behind(s, world.workspace_id, period(DAY), Measure.REOPENED).case_ids == [ids[0]]


def test_workspaces_never_mix(world_factory: object, network: Network) -> None:
    make = world_factory  # type: ignore[assignment]
    acme, globex = make("acme"), make("globex")  # type: ignore[operator]
    with frozen(MONDAY):
        customer_writes(acme, "Acme question")
        customer_writes(globex, "Globex question")
        customer_writes(globex, "Globex again", author="cust-2")
    catch_up(acme)
    with acme.runtime.db.transaction() as s:
        assert queries.volume(s, acme.workspace_id, period(DAY)).messages == 1
        assert queries.volume(s, globex.workspace_id, period(DAY)).messages == 2
        assert queries.backlog(s, acme.workspace_id, period(DAY)).open == 1
        assert queries.cases_behind(s, acme.workspace_id, period(DAY), Measure.NEW_CASES).total == 1
        acme_cases = set(s.scalars(select(AnalyticsCase.case_id).where(
            AnalyticsCase.workspace_id == acme.workspace_id)))
        assert acme_cases == set(s.scalars(select(Case.id).where(Case.workspace_id == acme.workspace_id)))
    before = snapshot(globex)
    rebuild(acme)
    assert snapshot(globex) == before  # rebuilding one workspace leaves the others alone


def test_a_merge_through_the_inbox_counts_one_case(world: World, network: Network) -> None:
    from compris.inbox.actions import merge_cases

    with frozen(MONDAY) as clock:
        customer_writes(world, "My bag is lost", kind="dm")
        first = only_case(world)
        set_status(world, first, "closed")
        clock.advance(minutes=30)
        customer_writes(world, "Still no bag", kind="dm")
        with world.runtime.db.transaction() as s:
            ids = sorted(s.scalars(select(Case.id).where(Case.workspace_id == world.workspace_id)))
        catch_up(world)
        with world.runtime.db.transaction() as s:
            before = queries.volume(s, world.workspace_id, period(DAY))
        clock.advance(minutes=5)
        with world.runtime.db.transaction() as s:
            actor = s.get(User, world.agent.id)
            source, target = s.get(Case, ids[-1]), s.get(Case, ids[0])
            assert actor is not None and source is not None and target is not None
            merge_cases(s, world.runtime.publisher, actor=actor, source=source, target=target)
        clock.advance(minutes=5)
        reply(world, ids[0], "Found it")
        world.run_jobs()
    catch_up(world)
    kept = snapshot(world)
    with world.runtime.db.transaction() as s:
        vol = queries.volume(s, world.workspace_id, period(DAY))
        rate = queries.response_rate(s, world.workspace_id, period(DAY))
        new_cases = queries.cases_behind(s, world.workspace_id, period(DAY), Measure.NEW_CASES)
    assert len(ids) == 2  # the second message opened a case of its own (the first was closed), now folded in
    assert (before.messages, before.new_cases) == (2, 2)
    assert (vol.messages, vol.new_cases) == (2, 1)
    assert new_cases.case_ids == [ids[0]]
    assert (rate.needing, rate.responded) == (2, 2)  # the reply after the merge answers both messages
    rebuild(world)
    assert snapshot(world) == kept


def test_tags_guard_findings_and_the_expected_wait_follow_the_case(world: World, network: Network) -> None:
    """Tagging a case, the guard's findings kept for a stopped reply and the expected wait announced when it
    opened all mark the case (their events), and the figures read them from the rollups: the tag counts the new
    case, the finding counts for its agent, the wait counts against the first response."""
    from compris.inbox.actions.tags import tag_case
    from compris.replies import actions as reply_actions
    from compris.replies.guard import Finding

    with frozen(MONDAY) as clock:
        customer_writes(world, "My bag is lost", kind="dm")
        case_id = only_case(world)
        catch_up(world)
        with world.runtime.db.transaction() as s:
            case, agent = s.get(Case, case_id), s.get(User, world.agent.id)
            assert case is not None and agent is not None
            tag_case(s, world.runtime.publisher, actor=agent, case=case, add=["Colis perdu"])
        assert dirty(world) >= 1
        catch_up(world)
        with world.runtime.db.transaction() as s:
            case, agent = s.get(Case, case_id), s.get(User, world.agent.id)
            assert case is not None and agent is not None
            reply_actions.record_guard_events(
                s, world.runtime.publisher, actor=agent, case=case, attempt_key="try-1",
                findings=[Finding(rule="office_hours", severity="warning", message="office hours")])
        assert dirty(world) >= 1
        clock.advance(minutes=20)
        reply(world, case_id, "We are on it")
        world.run_jobs()
    catch_up(world)
    with world.runtime.db.transaction() as s:
        f = period(DAY)
        vol = queries.volume(s, world.workspace_id, f)
        found = queries.guard(s, world.workspace_id, f)
        mine = queries.guard(s, world.workspace_id, period(DAY, agent_id=world.agent.id))
        others = queries.guard(s, world.workspace_id, period(DAY, agent_id=world.admin.id))
        wait = queries.expected_wait(s, world.workspace_id, f)
        raw_wait = s.scalars(select(WaitPrediction).where(WaitPrediction.case_id == case_id)).all()
    assert [(x.label, x.value) for x in vol.by_tag] == [("Colis perdu", 1)]
    assert (found.findings, found.overridden, [r.rule for r in found.by_rule]) == (1, 0, ["office_hours"])
    assert (mine.findings, others.findings) == (1, 0)
    assert wait.announced == len(raw_wait)
    assert wait.answered == sum(1 for p in raw_wait if p.actual_s is not None)
