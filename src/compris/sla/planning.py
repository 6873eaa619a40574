"""Supervisor views over the database: coverage per channel (who is on shift, hour by hour, and the hours a
24/7 channel has nobody) and staffing (Erlang C recommendation from recent arrivals vs the shifts)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Integer, func, select
from sqlalchemy.orm import Session

from compris.kit.calendar import BusinessCalendar, open_intervals
from compris.models import Case, ChannelAccount, SlaPolicy, Team, TeamMember, User
from compris.routing import shifts as shift_text
from compris.sla.coverage import Slot, coverage, coverage_gaps
from compris.sla.prediction import mean_handle_time
from compris.sla.staffing import recommend, staffing_gaps
from compris.sla.wait import handle_times, routing_of, serving_teams_of

HOUR = timedelta(hours=1)
WEEK = timedelta(days=7)
HISTORY_WEEKS = 4
DEFAULT_HANDLE = timedelta(minutes=6)
DEFAULT_TARGET = timedelta(minutes=10)


def _start_of_hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def team_calendars(session: Session, workspace_id: int) -> dict[int, tuple[Team, BusinessCalendar]]:
    teams = session.scalars(select(Team).where(Team.workspace_id == workspace_id).order_by(Team.name))
    return {t.id: (t, shift_text.calendar(t.timezone, t.shifts or {})) for t in teams}


@dataclass
class ChannelCoverage:
    account: ChannelAccount
    team_names: list[str]
    slots: list[Slot[str]]
    gaps: list[tuple[datetime, datetime]]

    @property
    def uncovered_hours(self) -> float:
        return sum((e - s).total_seconds() for s, e in self.gaps) / 3600


def channel_coverage(session: Session, workspace_id: int, start: datetime, days: int = 7) -> list[ChannelCoverage]:
    """Coverage of each active channel account over ``days`` from ``start``'s hour. The routing rules are read
    once, and accounts served by the same teams share one computation of the hours (the shifts do not depend on
    the account; only the gaps do, through ``always_on``)."""
    start = _start_of_hour(start)
    end = start + timedelta(days=days)
    calendars = team_calendars(session, workspace_id)
    rules, defaults = routing_of(session, workspace_id)
    computed: dict[tuple[frozenset[int], bool], tuple[list[str], list[Slot[str]], list[tuple[datetime, datetime]]]]
    computed = {}
    out = []
    accounts = session.scalars(select(ChannelAccount).where(ChannelAccount.workspace_id == workspace_id,
                                                            ChannelAccount.is_active.is_(True))
                               .order_by(ChannelAccount.name))
    for account in accounts:
        team_ids = frozenset(serving_teams_of(account, rules, defaults) or calendars)
        key = (team_ids, bool(account.always_on))
        if key not in computed:
            shifts = {calendars[t][0].name: calendars[t][1] for t in sorted(team_ids) if t in calendars}
            slots = coverage(shifts, start, end) if shifts else [
                Slot(start + i * HOUR, start + (i + 1) * HOUR, frozenset(), False) for i in range(days * 24)]
            gaps = coverage_gaps(shifts, account.always_on, start, end)
            computed[key] = (sorted(shifts), slots, gaps)
        names, slots, gaps = computed[key]
        out.append(ChannelCoverage(account, list(names), list(slots), list(gaps)))
    return out


@dataclass(frozen=True)
class StaffingHour:
    start: datetime
    arrivals_per_hour: float
    recommended: int
    scheduled: int

    @property
    def gap(self) -> int:
        return self.scheduled - self.recommended


@dataclass
class Staffing:
    hours: list[StaffingHour]
    mean_handle: timedelta
    target_wait: timedelta
    weeks: int


def staffing(session: Session, workspace_id: int, start: datetime, tz: str = "UTC") -> Staffing:
    """Agents per hour over the next week: Erlang C (80 % answered within the strictest first-response target,
    occupancy ≤ 85 %) on each hour-of-week's mean arrivals over the last 4 weeks, vs the agents on shift."""
    start = _start_of_hour(start)
    zone = ZoneInfo(tz)
    since = start - HISTORY_WEEKS * WEEK
    counts: Counter[tuple[int, int]] = Counter()
    for quarter, n in arrivals_by_quarter(session, workspace_id, since, start).items():
        local = quarter.astimezone(zone)
        counts[(local.weekday(), local.hour)] += n
    hours = [start + i * HOUR for i in range(7 * 24)]
    rates = {h: counts[(h.astimezone(zone).weekday(), h.astimezone(zone).hour)] / HISTORY_WEEKS for h in hours}
    handle = mean_handle_time(handle_times(session, workspace_id, start)) or DEFAULT_HANDLE
    targets = [s for s in session.scalars(select(SlaPolicy.first_response_s).where(
        SlaPolicy.workspace_id == workspace_id, SlaPolicy.is_active.is_(True),
        SlaPolicy.first_response_s.is_not(None))) if s]
    target = timedelta(seconds=min(targets)) if targets else DEFAULT_TARGET
    always_on = session.scalar(select(ChannelAccount.id).where(
        ChannelAccount.workspace_id == workspace_id, ChannelAccount.is_active.is_(True),
        ChannelAccount.always_on.is_(True)).limit(1)) is not None
    needed = recommend(rates, handle, target, minimum=1 if always_on else 0)
    scheduled = scheduled_agents(session, workspace_id, hours)
    gaps = staffing_gaps(needed, scheduled)
    return Staffing([StaffingHour(h, rates[h], needed[h], needed[h] + gaps[h]) for h in hours], handle, target,
                    HISTORY_WEEKS)


#: arrivals are counted by the quarter of an hour they fall in: every time zone's offset is a whole number of
#: quarters, so each quarter lies in one local hour whatever the zone (India's +5:30, Nepal's +5:45 included)
QUARTER_S = 900


def arrivals_by_quarter(session: Session, workspace_id: int, since: datetime, until: datetime
                        ) -> dict[datetime, int]:
    """New cases (their first customer message) per UTC quarter of an hour in ``[since, until)``, counted by the
    database (an index range, ``ix_cases_ws_first_inbound``; a few thousand rows back, however many cases)."""
    if session.get_bind().dialect.name == "sqlite":  # stored as UTC text
        epoch: Any = func.cast(func.strftime("%s", Case.first_inbound_at), Integer)
    else:
        epoch = func.cast(func.floor(func.extract("epoch", Case.first_inbound_at)), BigInteger)
    quarter = (epoch // QUARTER_S).label("quarter")
    rows = session.execute(select(quarter, func.count()).where(
        Case.workspace_id == workspace_id, Case.first_inbound_at >= since, Case.first_inbound_at < until)
        .group_by(quarter))
    return {datetime.fromtimestamp(int(q) * QUARTER_S, UTC): int(n) for q, n in rows if q is not None}


def scheduled_agents(session: Session, workspace_id: int, hours: list[datetime]) -> dict[datetime, int]:
    """Distinct active members of the teams on shift at the start of each hour."""
    if not hours:
        return {}
    calendars = team_calendars(session, workspace_id)
    members: dict[int, set[int]] = defaultdict(set)
    for team_id, user_id in session.execute(
            select(TeamMember.team_id, TeamMember.user_id).join(User, User.id == TeamMember.user_id)
            .where(TeamMember.workspace_id == workspace_id, User.is_active.is_(True))):
        members[team_id].add(user_id)
    start, end = hours[0], hours[-1] + HOUR
    spans = {t: list(open_intervals(cal, start, end)) for t, (_team, cal) in calendars.items()}
    out = {}
    for h in hours:
        on: set[int] = set()
        for t, intervals in spans.items():
            if any(s <= h < e for s, e in intervals):
                on |= members[t]
        out[h] = len(on)
    return out
