"""Survey results: exact figures on a crafted data set (agents, teams, networks, accounts, periods across a month
boundary in a non-UTC workspace time zone), the response rate, empty data and bad requests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from compris.kit.errors import Invalid
from compris.models import SurveyState, Team, Workspace
from compris.surveys import results
from tests.conftest import World
from tests.replies.helpers import session_of
from tests.surveys.results_world import a_case, add_survey

OCT = date(2026, 10, 1)
NOV_END = date(2026, 11, 30)


@dataclass
class Data:
    team1: int
    team2: int
    admin: int
    agent: int
    account: int


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def crafted(world: World) -> Data:
    """Paris time (CET, UTC+1 after the last Sunday of October):

    s1 31 Oct 23:30 Paris (22:30 UTC)  admin, team 1, messenger, 5 stars     → October, satisfied
    s2  1 Nov 00:30 Paris (31 Oct 23:30 UTC!) admin, team 1, messenger, 3    → November, not satisfied
    s3 10 Nov  agent, team 2, x, faces 4                                     → satisfied
    s4 11 Nov  agent, team 2, x, not answered
    s5 12 Nov  no agent, no team, x, no account, 1 star, commented
    and, never counted: a skipped one, a scheduled one, one sent in December, one of another workspace.
    """
    with session_of(world) as s:
        ws = s.get(Workspace, world.workspace_id)
        assert ws is not None
        ws.timezone = "Europe/Paris"
        t1, t2 = Team(workspace_id=world.workspace_id, name="Care"), Team(workspace_id=world.workspace_id,
                                                                         name="Premium")
        s.add_all([t1, t2])
        s.flush()
        data = Data(t1.id, t2.id, world.admin.id, world.agent.id, world.account.id)
    case_id = a_case(world)
    add_survey(world, case_id, sent_at=_at("2026-10-31T22:30"), rating=5, agent_id=data.admin, team_id=data.team1,
               network="messenger")
    add_survey(world, case_id, sent_at=_at("2026-10-31T23:30"), rating=3, agent_id=data.admin, team_id=data.team1,
               network="messenger")
    add_survey(world, case_id, sent_at=_at("2026-11-10T10:00"), rating=4, agent_id=data.agent, team_id=data.team2,
               network="x", scale="faces5")
    add_survey(world, case_id, sent_at=_at("2026-11-11T10:00"), agent_id=data.agent, team_id=data.team2,
               network="x")
    add_survey(world, case_id, sent_at=_at("2026-11-12T10:00"), rating=1, network="x", channel_account_id=None,
               comment="Nobody <i>listened</i>")
    add_survey(world, case_id, state=SurveyState.SKIPPED, skip_reason="spam", agent_id=data.admin)
    add_survey(world, case_id, state=SurveyState.SCHEDULED, agent_id=data.admin)
    add_survey(world, case_id, sent_at=_at("2026-12-05T10:00"), rating=1, agent_id=data.admin)
    return data


def _figures(f: results.Figures) -> tuple[object, ...]:
    return f.sent, f.answered, f.satisfied, f.csat, f.average, f.response_rate


def _get(world: World, **kw: object) -> results.Results:
    with session_of(world) as s:
        return results.results(s, world.workspace_id, **kw)  # type: ignore[arg-type]


def test_totals_and_per_agent(world: World, world_factory: Callable[[str], World]) -> None:
    data = crafted(world)
    other = world_factory("globex")
    add_survey(other, a_case(other), sent_at=_at("2026-11-10T10:00"), rating=1)
    found = _get(world, group_by="agent", start=OCT, end=NOV_END)
    assert found.timezone == "Europe/Paris"
    assert _figures(found.total) == (5, 4, 2, 50.0, 3.25, 80.0)
    assert found.total.average_score == pytest.approx((100 + 50 + 75 + 0) / 4, abs=0.05)
    rows = {r.key: (r.label, *_figures(r.figures)) for r in found.rows}
    assert rows == {
        data.admin: ("Admin acme", 2, 2, 1, 50.0, 4.0, 100.0),
        data.agent: ("Agent acme", 2, 1, 1, 100.0, 4.0, 50.0),
        None: ("", 1, 1, 0, 0.0, 1.0, 100.0),
    }
    assert found.rows[-1].key is None  # "no agent" last


def test_per_team_network_and_account(world: World) -> None:
    data = crafted(world)
    teams = {r.key: (r.label, *_figures(r.figures)) for r in _get(world, group_by="team", start=OCT,
                                                                   end=NOV_END).rows}
    assert teams == {data.team1: ("Care", 2, 2, 1, 50.0, 4.0, 100.0),
                     data.team2: ("Premium", 2, 1, 1, 100.0, 4.0, 50.0), None: ("", 1, 1, 0, 0.0, 1.0, 100.0)}
    networks = {r.key: _figures(r.figures) for r in _get(world, group_by="network", start=OCT, end=NOV_END).rows}
    assert networks == {"messenger": (2, 2, 1, 50.0, 4.0, 100.0), "x": (3, 2, 1, 50.0, 2.5, 66.7)}
    accounts = {r.key: (r.label, *_figures(r.figures)) for r in _get(world, group_by="account", start=OCT,
                                                                      end=NOV_END).rows}
    assert accounts == {data.account: ("acme on Sandbox", 4, 3, 2, 66.7, 4.0, 75.0),
                        None: ("", 1, 1, 0, 0.0, 1.0, 100.0)}


def test_months_and_days_cut_in_the_workspace_time_zone(world: World) -> None:
    crafted(world)
    months = _get(world, group_by="period", period="month", start=OCT, end=NOV_END)
    assert [(r.key, _figures(r.figures)) for r in months.rows] == [
        ("2026-10-01", (1, 1, 1, 100.0, 5.0, 100.0)),  # in UTC both would be October
        ("2026-11-01", (4, 3, 1, 33.3, 2.67, 75.0)),
    ]
    days = _get(world, group_by="period", period="day", start=date(2026, 10, 31), end=date(2026, 11, 1))
    assert [(r.key, r.figures.sent, r.figures.average) for r in days.rows] == [("2026-10-31", 1, 5.0),
                                                                               ("2026-11-01", 1, 3.0)]
    # the range itself is in local days: 1 November alone holds s2, sent on 31 October in UTC
    assert _get(world, start=date(2026, 11, 1), end=date(2026, 11, 1)).total.sent == 1


def test_weeks_include_empty_ones(world: World) -> None:
    crafted(world)
    weeks = _get(world, group_by="period", period="week", start=date(2026, 10, 28), end=date(2026, 11, 15))
    assert [(r.key, r.figures.sent, r.figures.answered, r.figures.csat) for r in weeks.rows] == [
        ("2026-10-26", 2, 2, 50.0),  # Saturday 31 Oct and Sunday 1 Nov: the same ISO week
        ("2026-11-02", 0, 0, None),  # nothing: no division by zero
        ("2026-11-09", 3, 2, 50.0),
    ]


def test_no_data_at_all(world: World) -> None:
    found = _get(world, group_by="period", period="day", start=date(2026, 11, 1), end=date(2026, 11, 3))
    assert _figures(found.total) == (0, 0, 0, None, None, None) and found.total.average_score is None
    assert [(r.key, r.figures.sent) for r in found.rows] == [("2026-11-01", 0), ("2026-11-02", 0),
                                                              ("2026-11-03", 0)]
    assert _get(world, group_by="agent").rows == []
    default = _get(world)
    assert (default.end - default.start).days == results.DEFAULT_DAYS - 1


def test_bad_requests(world: World) -> None:
    with pytest.raises(Invalid):
        _get(world, group_by="weather")
    with pytest.raises(Invalid):
        _get(world, period="fortnight")
    with pytest.raises(Invalid):
        _get(world, start=date(2026, 11, 2), end=date(2026, 11, 1))
    with pytest.raises(Invalid):
        _get(world, group_by="period", period="day", start=date(2025, 1, 1), end=date(2026, 12, 31))


def test_list_with_filters_and_comments(world: World) -> None:
    data = crafted(world)
    with session_of(world) as s:
        everything, total = results.surveys(s, world.workspace_id, results.SurveyFilter())
        assert total == 8 and len(everything) == 8
        unhappy, count = results.surveys(s, world.workspace_id, results.SurveyFilter(satisfied=False, start=OCT,
                                                                                     end=NOV_END))
        assert count == 2 and sorted(x.rating or 0 for x, _ in unhappy) == [1, 3]
        by_agent, count = results.surveys(s, world.workspace_id, results.SurveyFilter(agent_id=data.agent))
        assert count == 2 and {x.agent_id for x, _ in by_agent} == {data.agent}
        page, count = results.surveys(s, world.workspace_id, results.SurveyFilter(state=SurveyState.ANSWERED),
                                      limit=2, offset=1)
        assert count == 5 and len(page) == 2
        notes = results.comments(s, world.workspace_id, OCT, NOV_END)
        assert [(x.comment, n) for x, n in notes] == [("Nobody <i>listened</i>", 1)]
