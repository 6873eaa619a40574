"""Reads of incidents, always scoped to one workspace: the list, an incident's cases, its volume over time, the
networks and languages it touches, counts by status, the incidents a case (or an inbox page of cases) belongs
to, and whether the team on line can take the incident's open cases (the crisis mode's coverage warning)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compris.kit.clock import now
from compris.models import (
    ACTIVE_STATUSES,
    AgentProfile,
    Case,
    ChannelAccount,
    Contact,
    Direction,
    Incident,
    IncidentCase,
    IncidentStatus,
    Message,
    User,
)
from compris.routing.assignment import is_online
from compris.sla.planning import scheduled_agents

STATUS_FILTERS = ("open", "suspected", "confirmed", "resolved", "all")
OPEN = (IncidentStatus.SUSPECTED, IncidentStatus.CONFIRMED)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
#: the chart shows at most this many bars: hours up to three days, then days
MAX_BARS = 72


@dataclass
class IncidentRow:
    incident: Incident
    cases: int
    open_cases: int


def list_incidents(session: Session, workspace_id: int, status: str = "open", *, limit: int = 200,
                   offset: int = 0) -> list[IncidentRow]:
    """The workspace's incidents (``status``: open = suspected or confirmed, a status, or all), newest first, with
    their case counts (one grouped query)."""
    query = select(Incident).where(Incident.workspace_id == workspace_id)
    if status == "open":
        query = query.where(Incident.status.in_(OPEN))
    elif status != "all":
        query = query.where(Incident.status == status)
    rows = list(session.scalars(query.order_by(Incident.number.desc()).limit(limit).offset(offset)))
    counts: dict[int, tuple[int, int]] = {}
    if rows:
        for incident_id, total, active in session.execute(
            select(IncidentCase.incident_id, func.count(),
                   func.count().filter(Case.status.in_(ACTIVE_STATUSES)))
            .join(Case, Case.id == IncidentCase.case_id)
            .where(IncidentCase.incident_id.in_([r.id for r in rows]))
            .group_by(IncidentCase.incident_id)
        ):
            counts[int(incident_id)] = (int(total), int(active))
    return [IncidentRow(r, *counts.get(r.id, (0, 0))) for r in rows]


def status_counts(session: Session, workspace_id: int) -> dict[str, int]:
    found = dict(session.execute(select(Incident.status, func.count()).where(Incident.workspace_id == workspace_id)
                                 .group_by(Incident.status)).all())
    out = {s.value: int(found.get(s.value, 0)) for s in IncidentStatus}
    out["open"] = out["suspected"] + out["confirmed"]
    out["all"] = sum(int(v) for v in found.values())
    return out


@dataclass
class LinkedCase:
    case: Case
    contact: Contact
    account: ChannelAccount | None
    assignee: User | None
    linked_by: str
    linked_at: datetime


def linked_cases(session: Session, workspace_id: int, incident: Incident, *, status: str = "all",
                 limit: int = 500, offset: int = 0) -> list[LinkedCase]:
    """The incident's cases (``status``: active, all, or a case status), the most recent activity first."""
    query = (select(Case, IncidentCase.linked_by, IncidentCase.created_at)
             .join(IncidentCase, IncidentCase.case_id == Case.id)
             .where(IncidentCase.incident_id == incident.id, Case.workspace_id == workspace_id))
    if status == "active":
        query = query.where(Case.status.in_(ACTIVE_STATUSES))
    elif status != "all":
        query = query.where(Case.status == status)
    rows = session.execute(query.order_by(Case.last_activity_at.desc(), Case.id.desc()).limit(limit)
                           .offset(offset)).all()
    cases = [r[0] for r in rows]
    contacts = _by_id(session, Contact, {c.contact_id for c in cases})
    accounts = _by_id(session, ChannelAccount, {c.last_channel_account_id for c in cases if c.last_channel_account_id})
    users = _by_id(session, User, {c.assignee_id for c in cases if c.assignee_id})
    return [LinkedCase(c, contacts[c.contact_id],
                       accounts.get(c.last_channel_account_id) if c.last_channel_account_id else None,
                       users.get(c.assignee_id) if c.assignee_id else None, str(by), at)
            for c, by, at in rows]


def _by_id(session: Session, model: Any, ids: set[Any]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(ids)))}


@dataclass
class Breakdown:
    """What the incident touches: cases per status, network and language."""

    statuses: dict[str, int] = field(default_factory=dict)
    networks: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    total: int = 0

    @property
    def active(self) -> int:
        return sum(n for s, n in self.statuses.items() if s in ACTIVE_STATUSES)


def breakdown(session: Session, workspace_id: int, incident: Incident) -> Breakdown:
    rows = session.execute(
        select(Case.status, Case.language, ChannelAccount.network)
        .join(IncidentCase, IncidentCase.case_id == Case.id)
        .outerjoin(ChannelAccount, ChannelAccount.id == Case.last_channel_account_id)
        .where(IncidentCase.incident_id == incident.id, Case.workspace_id == workspace_id)
    ).all()
    statuses: Counter[str] = Counter()
    networks: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    for status, language, network in rows:
        statuses[str(status)] += 1
        networks[str(network or "")] += 1
        languages[str(language or "")] += 1
    return Breakdown(dict(statuses.most_common()), dict(networks.most_common()), dict(languages.most_common()),
                     len(rows))


@dataclass
class Bar:
    start: datetime
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass
class Volume:
    """The incident's customer messages over time, bucketed by hour (by day past three days), with the bars'
    geometry for a small server-side SVG (``width`` × ``height`` view box)."""

    step: timedelta
    bars: list[Bar]
    peak: int
    total: int
    width: int = 600
    height: int = 120

    @property
    def hourly(self) -> bool:
        return self.step == HOUR


def _floor(at: datetime, step: timedelta) -> datetime:
    at = at.replace(minute=0, second=0, microsecond=0)
    return at.replace(hour=0) if step == DAY else at


def volume(session: Session, workspace_id: int, incident: Incident, at: datetime | None = None) -> Volume:
    """Customer messages of the linked cases from the first one (at most 30 days back) to now, or to the
    resolution (one query reading only the times)."""
    at = at or now()
    end = incident.resolved_at or at
    start_bound = end - timedelta(days=30)
    times = [t for (t,) in session.execute(
        select(Message.sent_at).join(IncidentCase, IncidentCase.case_id == Message.case_id)
        .where(IncidentCase.incident_id == incident.id, Message.workspace_id == workspace_id,
               Message.direction == Direction.INBOUND, Message.sent_at >= start_bound, Message.sent_at <= end))]
    first = min(times, default=incident.created_at)
    step = HOUR if end - first <= timedelta(hours=MAX_BARS) else DAY
    start = _floor(min(first, end), step)
    #: at least 12 hours (or 7 days) shown, so that a young incident's bar stands against the hours before it
    n = max(12 if step == HOUR else 7, min(int((end - start) / step) + 1, 31 if step == DAY else MAX_BARS))
    start = _floor(end, step) - step * (n - 1)
    counts = [0] * n
    for t in times:
        i = int((t - start) / step)
        if 0 <= i < n:
            counts[i] += 1
    result = Volume(step, [], max(counts), sum(counts))
    slot = result.width / n
    usable = result.height - 16  # room under the bars for the axis labels
    for i, count in enumerate(counts):
        h = (usable * count / result.peak) if result.peak else 0.0
        result.bars.append(Bar(start + step * i, count, round(i * slot + 1, 2), round(usable - h, 2),
                               round(max(slot - 2, 1), 2), round(h, 2)))
    return result


def incidents_of_case(session: Session, workspace_id: int, case_id: int) -> list[Incident]:
    """The incidents a case belongs to, open ones first."""
    rows = list(session.scalars(select(Incident).join(IncidentCase, IncidentCase.incident_id == Incident.id)
                                .where(IncidentCase.case_id == case_id, Incident.workspace_id == workspace_id)
                                .order_by(Incident.number.desc())))
    return sorted(rows, key=lambda i: i.status == IncidentStatus.RESOLVED)


def incidents_of_cases(session: Session, workspace_id: int, case_ids: list[int]) -> dict[int, list[Incident]]:
    """For an inbox page: each case's open incidents (one query)."""
    out: dict[int, list[Incident]] = {}
    if not case_ids:
        return out
    for case_id, incident in session.execute(
        select(IncidentCase.case_id, Incident).join(Incident, Incident.id == IncidentCase.incident_id)
        .where(IncidentCase.case_id.in_(case_ids), Incident.workspace_id == workspace_id,
               Incident.status.in_(OPEN)).order_by(Incident.number)
    ):
        out.setdefault(int(case_id), []).append(incident)
    return out


@dataclass
class Coverage:
    """Who can take the incident's open cases now: agents online and their free room (capacity minus their active
    cases), agents on shift this hour, the open cases of the incident and those nobody has yet."""

    online: int
    free_slots: int
    on_shift: int
    open_cases: int
    unassigned: int

    @property
    def level(self) -> str:
        """``none`` (nobody online), ``short`` (more unassigned open cases than free room), else ``ok``."""
        if self.online == 0:
            return "none" if self.open_cases else "ok"
        return "short" if self.unassigned > self.free_slots else "ok"


def coverage(session: Session, workspace_id: int, incident: Incident, at: datetime | None = None) -> Coverage:
    at = at or now()
    profiles = [p for p in session.scalars(
        select(AgentProfile).join(User, User.id == AgentProfile.user_id)
        .where(AgentProfile.workspace_id == workspace_id, User.is_active.is_(True))) if is_online(p, at)]
    load: dict[int, int] = {}
    if profiles:
        load = {int(u or 0): int(n) for u, n in session.execute(
            select(Case.assignee_id, func.count()).where(
                Case.workspace_id == workspace_id, Case.assignee_id.in_([p.user_id for p in profiles]),
                Case.status.in_(ACTIVE_STATUSES)).group_by(Case.assignee_id))}
    free = sum(max(0, p.capacity - load.get(p.user_id, 0)) for p in profiles)
    hour = at.replace(minute=0, second=0, microsecond=0)
    on_shift = scheduled_agents(session, workspace_id, [hour]).get(hour, 0)
    open_cases, unassigned = session.execute(
        select(func.count(), func.count().filter(Case.assignee_id.is_(None)))
        .join(IncidentCase, IncidentCase.case_id == Case.id)
        .where(IncidentCase.incident_id == incident.id, Case.workspace_id == workspace_id,
               Case.status.in_(ACTIVE_STATUSES))).one()
    return Coverage(len(profiles), free, on_shift, int(open_cases), int(unassigned))
