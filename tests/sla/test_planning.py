"""The supervisor's coverage view over the database (``planning.channel_coverage``): reading the routing rules
once and computing the hours once per set of serving teams gives exactly what the account-by-account computation
gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event, select

from compris.models import ChannelAccount, RoutingRule
from compris.sla import planning
from compris.sla.coverage import coverage, coverage_gaps
from compris.sla.wait import serving_teams
from tests.conftest import World
from tests.routing.helpers import team

START = datetime(2026, 3, 27, 10, 30, tzinfo=UTC)  # the week of Europe/Paris's change to summer time


def _desk(world: World) -> None:
    office = {"weekly": {str(d): ["09:00-17:00"] for d in range(5)}}
    nights = {"weekly": {str(d): ["17:00-23:00"] for d in range(7)}}
    with world.runtime.db.transaction() as s:
        ws = world.workspace_id
        paris = team(s, ws, "Équipe FR", tz="Europe/Paris", shifts=office)
        evenings = team(s, ws, "Evenings", tz="America/New_York", shifts=nights)
        team(s, ws, "English desk", default=True, shifts={"weekly": {"0": ["08:00-12:00"]}})
        s.flush()
        for n, (network, always_on) in enumerate([("sandbox", False), ("x", True), ("facebook", True),
                                                  ("x", False), ("instagram", True)]):
            s.add(ChannelAccount(workspace_id=ws, network=network, name=f"Account {n}", external_id=f"acc-{n}",
                                 always_on=always_on))
        s.add(ChannelAccount(workspace_id=ws, network="x", name="Paused", external_id="off", is_active=False))
        s.flush()
        x_ids = list(s.scalars(select(ChannelAccount.id).where(ChannelAccount.workspace_id == ws,
                                                               ChannelAccount.network == "x")))
        s.add_all([RoutingRule(workspace_id=ws, team_id=paris.id, conditions={"networks": ["X"]}),
                   RoutingRule(workspace_id=ws, team_id=evenings.id, conditions={"channel_account_ids": x_ids[:1]}),
                   RoutingRule(workspace_id=ws, team_id=evenings.id, conditions={"networks": ["facebook"]},
                               is_active=False)])


def _one_by_one(world: World, start: datetime, days: int) -> list[tuple[str, list[str], list[object], list[object]]]:
    """The former computation: the routing read and the hours computed again for every account."""
    out = []
    with world.runtime.db.transaction() as s:
        calendars = planning.team_calendars(s, world.workspace_id)
        start = start.replace(minute=0, second=0, microsecond=0)
        end = start + timedelta(days=days)
        for account in s.scalars(select(ChannelAccount).where(ChannelAccount.workspace_id == world.workspace_id,
                                                              ChannelAccount.is_active.is_(True))
                                 .order_by(ChannelAccount.name)):
            team_ids = serving_teams(s, account) or set(calendars)
            shifts = {calendars[t][0].name: calendars[t][1] for t in sorted(team_ids) if t in calendars}
            slots = coverage(shifts, start, end) if shifts else [
                planning.Slot(start + i * planning.HOUR, start + (i + 1) * planning.HOUR, frozenset(), False)
                for i in range(days * 24)]
            out.append((account.name, sorted(shifts), list(slots),
                        list(coverage_gaps(shifts, account.always_on, start, end))))
    return out


def test_channel_coverage_equals_the_account_by_account_computation(world: World) -> None:
    _desk(world)
    expected = _one_by_one(world, START, 7)
    with world.runtime.db.transaction() as s:
        found = [(c.account.name, c.team_names, c.slots, c.gaps)
                 for c in planning.channel_coverage(s, world.workspace_id, START)]
    assert found == expected
    assert len(found) == 6  # the world's own account and five more; the paused one is left out
    assert len({tuple(map(str, names)) for _n, names, _s, _g in found}) >= 3  # several different sets of teams
    assert any(gaps for *_rest, gaps in found) and any(not gaps for *_rest, gaps in found)


def test_channel_coverage_without_teams_shows_empty_hours(world: World) -> None:
    expected = _one_by_one(world, START, 2)
    with world.runtime.db.transaction() as s:
        found = [(c.account.name, c.team_names, c.slots, c.gaps)
                 for c in planning.channel_coverage(s, world.workspace_id, START, days=2)]
    assert found == expected and len(found[0][2]) == 48 and not found[0][1]


def test_channel_coverage_reads_the_routing_once_whatever_the_number_of_accounts(world: World) -> None:
    _desk(world)
    with world.runtime.db.transaction() as s:
        statements: list[str] = []

        def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            statements.append(statement)

        engine = s.get_bind()
        event.listen(engine, "before_cursor_execute", count)
        try:
            planning.channel_coverage(s, world.workspace_id, START)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert sum("routing_rules" in q for q in statements) == 1
    assert len(statements) <= 5  # teams, rules, default teams, accounts (was two more per account)



def test_the_supervisor_s_estimates_equal_one_estimate_per_account(world: World) -> None:
    """``wait.estimates`` reads the workspace's handling times, first responses and routing once for all the
    accounts (the supervisor page): each estimate is the one ``wait.estimate`` gives for its account alone."""
    from compris.models import Case
    from compris.sla import wait
    from tests.routing.helpers import agent, inbound

    _desk(world)
    now = datetime.now(UTC)
    with world.runtime.db.transaction() as s:
        first = agent(s, world.workspace_id, "Ana")
        agent(s, world.workspace_id, "Bo", online=False)
        account_ids = list(s.scalars(select(ChannelAccount.id).where(ChannelAccount.workspace_id == world.workspace_id,
                                                                     ChannelAccount.is_active.is_(True))
                                     .order_by(ChannelAccount.name)))
    for n, account_id in enumerate(account_ids * 2):
        inbound(world.runtime, account_id, f"Help {n}", author=f"cust-{n}")
    with world.runtime.db.transaction() as s:  # answered cases: a history of first responses and handling times
        for n, case in enumerate(s.scalars(select(Case).where(Case.workspace_id == world.workspace_id)
                                           .order_by(Case.id).limit(8))):
            case.first_inbound_at = now - timedelta(hours=2, minutes=n * 7)
            case.first_response_at = now - timedelta(hours=1, minutes=n * 5)
            case.assignee_id = first.id
    with world.runtime.db.transaction() as s:
        accounts = list(s.scalars(select(ChannelAccount).where(ChannelAccount.id.in_(account_ids))
                                  .order_by(ChannelAccount.name)))
        together = wait.estimates(s, accounts, at=now)
        alone = [wait.estimate(s, account, at=now) for account in accounts]
    assert together == alone
    assert any(e.queue_ahead for e in together) and any(e.history for e in together)


def test_arrivals_are_counted_by_the_database_into_each_zone_s_local_hours(world: World) -> None:
    """``staffing`` reads the arrivals per UTC quarter of an hour (the database counts); placed in a local hour
    they give the same hour-of-week counts as reading every case's arrival, in a zone a half hour off UTC too
    (Asia/Kolkata, +5:30) and across a summer-time change (Europe/Paris)."""
    from collections import Counter
    from zoneinfo import ZoneInfo

    from compris.models import Case
    from tests.routing.helpers import inbound

    accounts = _accounts(world)
    start = datetime(2026, 3, 30, 12, tzinfo=UTC)  # the day after Europe's summer time began
    since = start - 4 * timedelta(days=7)
    for n in range(24):
        inbound(world.runtime, accounts[0], f"Help {n}", author=f"cust-{n}")
    with world.runtime.db.transaction() as s:
        cases = list(s.scalars(select(Case).where(Case.workspace_id == world.workspace_id).order_by(Case.id)))
        arrivals = [since + timedelta(hours=n * 23, minutes=n * 13 % 60, seconds=n) for n in range(len(cases))]
        arrivals[-1] = start  # the end is excluded
        for case, at in zip(cases, arrivals, strict=True):
            case.first_inbound_at = at
    with world.runtime.db.transaction() as s:
        by_quarter = planning.arrivals_by_quarter(s, world.workspace_id, since, start)
    assert sum(by_quarter.values()) == len(arrivals) - 1
    for zone_name in ("Asia/Kolkata", "Europe/Paris", "UTC"):
        zone = ZoneInfo(zone_name)
        expected = Counter((a.astimezone(zone).weekday(), a.astimezone(zone).hour) for a in arrivals[:-1])
        found: Counter[tuple[int, int]] = Counter()
        for quarter, n in by_quarter.items():
            found[(quarter.astimezone(zone).weekday(), quarter.astimezone(zone).hour)] += n
        assert found == expected, zone_name


def _accounts(world: World) -> list[int]:
    with world.runtime.db.transaction() as s:
        return list(s.scalars(select(ChannelAccount.id).where(ChannelAccount.workspace_id == world.workspace_id)
                              .order_by(ChannelAccount.id)))
