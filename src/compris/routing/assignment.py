"""Routing writes: team choice for a new case, assignment (round-robin, capacity, load, sticky), the queue
drain, presence and ephemeral collision signals.

Called from routing's listeners (``compris.routing.listeners``: a customer message, a status change) and from
the pages (presence, transfer). Like every action these never commit. Routing owns the case's team
(``CaseRouted`` when it changes); the assignee is set only through ``compris.inbox.actions.assign``.

Concurrency: every automatic assignment first locks the candidate agents' ``agent_profiles`` rows
(``SELECT … FOR UPDATE`` in id order, so two transactions never deadlock on them), then counts their
open load. Under PostgreSQL's READ COMMITTED each statement sees what committed before it started, so
once the locks are held the counts include every assignment made by transactions that held them
before: no agent goes above capacity, however many cases arrive at once. On SQLite every write
transaction is serialised anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from compris import timeline
from compris.bus import emit
from compris.events import CaseRouted
from compris.inbox import actions as inbox_actions
from compris.kit.clock import now
from compris.kit.errors import Invalid, NotFound
from compris.live import Publisher, publish_case
from compris.models import (
    AgentProfile,
    Case,
    CaseStatus,
    ChannelAccount,
    Direction,
    Message,
    Presence,
    Role,
    RoutingRule,
    Team,
    TeamMember,
    User,
)
from compris.routing.rules import CaseFacts, first_match
from compris.worker.queue import enqueue

ONLINE_TIMEOUT = timedelta(seconds=90)  # the UI sends a heartbeat every 30 s while a live page is open
LOAD_STATUSES = (CaseStatus.NEW, CaseStatus.OPEN)  # what occupies an agent (waiting/snoozed cases do not)
QUEUE_STATUSES = (CaseStatus.NEW, CaseStatus.OPEN)


# --- teams and rules -----------------------------------------------------------------------------


def default_team(session: Session, workspace_id: int) -> Team | None:
    return session.scalar(
        select(Team).where(Team.workspace_id == workspace_id, Team.is_default.is_(True)).order_by(Team.id).limit(1)
    )


def active_rules(session: Session, workspace_id: int) -> list[RoutingRule]:
    return list(
        session.scalars(
            select(RoutingRule)
            .where(RoutingRule.workspace_id == workspace_id, RoutingRule.is_active.is_(True))
            .order_by(RoutingRule.position, RoutingRule.id)
        )
    )


def choose_team(session: Session, workspace_id: int, facts: CaseFacts) -> int | None:
    rules = active_rules(session, workspace_id)
    team_id = first_match([(r.conditions, r.team_id) for r in rules], facts)
    if team_id is not None:
        return team_id
    team = default_team(session, workspace_id)
    return team.id if team else None


def facts_for(case: Case, account: ChannelAccount | None, text: str) -> CaseFacts:
    return CaseFacts.from_triage(
        channel_account_id=account.id if account else None,
        network=account.network if account else None,
        triage=case.triage or {},
        text=text,
        language=case.language,
        priority=case.priority,
    )


# --- presence ------------------------------------------------------------------------------------


def profile_for(session: Session, user: User, *, for_update: bool = False) -> AgentProfile:
    query = select(AgentProfile).where(AgentProfile.user_id == user.id)
    if for_update:
        query = query.with_for_update()
    profile = session.scalar(query)
    if profile is None:
        # Two requests of the same agent (a heartbeat and a presence change) may both find no profile:
        # insert-if-absent, then read, so neither fails on the unique user_id.
        dialect = session.get_bind().dialect.name
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(AgentProfile)
        session.execute(
            insert.values(workspace_id=user.workspace_id, user_id=user.id, skills={}, created_at=now())
            .on_conflict_do_nothing(index_elements=["user_id"])
        )
        profile = session.scalar(query)
        assert profile is not None
    return profile


def is_online(profile: AgentProfile, at: datetime | None = None) -> bool:
    at = at or now()
    return (
        profile.presence == Presence.ONLINE
        and profile.last_seen_at is not None
        and profile.last_seen_at >= at - ONLINE_TIMEOUT
    )


def set_presence(session: Session, publisher: Publisher, user: User, presence: str) -> AgentProfile:
    """The agent's own choice (top bar toggle); going online pulls waiting cases from the queue."""
    if presence not in {p.value for p in Presence}:
        raise Invalid("presence is online, away or offline")
    profile = profile_for(session, user)
    previous_online = is_online(profile)
    profile.presence = presence
    profile.last_seen_at = now()
    publisher.publish(session, user.workspace_id, "presence", user_id=user.id, presence=presence)
    if presence == Presence.ONLINE and not previous_online:
        request_drain(session, publisher, user.workspace_id)
    return profile


ASSIGN_JOB = "routing.assign_waiting"


def request_drain(session: Session, publisher: Publisher, workspace_id: int) -> None:
    """Drain the queue in a job of its own, right after this commit. (Draining here, while this transaction holds
    the agent's own profile row, could deadlock with an assignment locking the team's profiles in id order.)"""
    enqueue(session, publisher, workspace_id=workspace_id, kind=ASSIGN_JOB, payload={"workspace_id": workspace_id},
            max_attempts=3)


def heartbeat(session: Session, publisher: Publisher, user: User) -> AgentProfile:
    """A live page is open: the agent stays online (and comes back online after a lapse)."""
    profile = profile_for(session, user)
    was_online = is_online(profile)
    profile.last_seen_at = now()
    if profile.presence == Presence.ONLINE and not was_online:
        request_drain(session, publisher, user.workspace_id)
    return profile


def signal(session: Session, publisher: Publisher, user: User, case: Case, action: str) -> None:
    """Ephemeral collision signal (viewing / typing / left): a live event only, nothing stored."""
    if action not in ("viewing", "typing", "left"):
        raise Invalid("action is viewing, typing or left")
    publisher.publish(
        session, case.workspace_id, "collision", case_id=case.id, number=case.number, user_id=user.id,
        name=user.name, action=action,
    )


# --- assignment ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    user_id: int
    capacity: int
    load: int
    last_assigned_at: datetime | None


def _loads(session: Session, user_ids: Sequence[int]) -> dict[int, int]:
    if not user_ids:
        return {}
    rows = session.execute(
        select(Case.assignee_id, func.count())
        .where(Case.assignee_id.in_(user_ids), Case.status.in_(LOAD_STATUSES))
        .group_by(Case.assignee_id)
    )
    return {int(uid): int(n) for uid, n in rows if uid is not None}


def _skilled(profile: AgentProfile, language: str | None, network: str | None) -> bool:
    skills = profile.skills or {}
    languages = {str(v).lower() for v in skills.get("languages") or ()}
    networks = {str(v).lower() for v in skills.get("networks") or ()}
    if languages and language and language.lower() not in languages:
        return False
    return not (networks and network and network.lower() not in networks)


def team_candidates(
    session: Session, team_id: int, *, language: str | None = None, network: str | None = None, lock: bool = True
) -> list[Candidate]:
    """Online, active, skilled members of the team with room left, fairest first (lowest load, then the one
    who waited longest since their last automatic assignment)."""
    at = now()
    query = (
        select(AgentProfile)
        .join(TeamMember, TeamMember.user_id == AgentProfile.user_id)
        .join(User, User.id == AgentProfile.user_id)
        .where(TeamMember.team_id == team_id, User.is_active.is_(True))
        .order_by(AgentProfile.id)
    )
    if lock:
        query = query.with_for_update(of=AgentProfile)
    profiles = [p for p in session.scalars(query) if is_online(p, at) and _skilled(p, language, network)]
    loads = _loads(session, [p.user_id for p in profiles])
    candidates = [
        Candidate(p.user_id, p.capacity, loads.get(p.user_id, 0), p.last_assigned_at)
        for p in profiles
        if loads.get(p.user_id, 0) < p.capacity
    ]
    epoch = datetime.min.replace(tzinfo=at.tzinfo)
    candidates.sort(key=lambda c: (c.load / max(c.capacity, 1), c.last_assigned_at or epoch, c.user_id))
    return candidates


def last_handler(session: Session, case: Case) -> int | None:
    """The agent who last answered this customer (any of their cases), else their previous case's assignee."""
    user_id = session.scalar(
        select(Message.author_user_id)
        .join(Case, Case.id == Message.case_id)
        .where(
            Case.workspace_id == case.workspace_id,
            Case.contact_id == case.contact_id,
            Message.direction == Direction.OUTBOUND,
            Message.author_user_id.is_not(None),
            Message.visibility != "note",
        )
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    )
    if user_id is not None:
        return int(user_id)
    previous = session.scalar(
        select(Case.assignee_id)
        .where(
            Case.workspace_id == case.workspace_id,
            Case.contact_id == case.contact_id,
            Case.id != case.id,
            Case.assignee_id.is_not(None),
        )
        .order_by(Case.last_activity_at.desc())
        .limit(1)
    )
    return int(previous) if previous is not None else None


def network_of(session: Session, case: Case) -> str | None:
    """The network of the case's last channel (agents' skills may name networks)."""
    if not case.last_channel_account_id:
        return None
    account = session.get(ChannelAccount, case.last_channel_account_id)
    return account.network if account else None


def assign_next(session: Session, publisher: Publisher, case: Case, network: str | None = None) -> int | None:
    """Give an unassigned case of a team to an agent (sticky first, else round-robin); None leaves it queued."""
    if case.assignee_id is not None or case.team_id is None or case.status not in QUEUE_STATUSES:
        return None
    candidates = team_candidates(session, case.team_id, language=case.language, network=network)
    if not candidates:
        return None
    chosen = candidates[0]
    reason = "round_robin"
    sticky = last_handler(session, case)
    if sticky is not None:
        for c in candidates:
            if c.user_id == sticky:
                chosen, reason = c, "sticky"
                break
    profile = session.scalar(select(AgentProfile).where(AgentProfile.user_id == chosen.user_id))
    assignee = session.get(User, chosen.user_id)
    assert profile is not None and assignee is not None
    profile.last_assigned_at = now()
    inbox_actions.assign(session, publisher, actor=None, case=case, assignee=assignee, reason=reason)
    return chosen.user_id


def route_case(session: Session, publisher: Publisher, case: Case, account: ChannelAccount, text: str) -> None:
    """After an inbound message: pick the team of a case that has none, then assign it if nobody has it."""
    if case.team_id is None:
        team_id = choose_team(session, case.workspace_id, facts_for(case, account, text))
        if team_id is not None:
            case.team_id = team_id
            timeline.routed(session, case, team_id=team_id)
            emit(session, publisher, CaseRouted(workspace_id=case.workspace_id, case_id=case.id, team_id=team_id,
                                                previous_team_id=None))
    session.flush()
    assign_next(session, publisher, case, account.network)


def assign_waiting(session: Session, publisher: Publisher, workspace_id: int | None = None, limit: int = 200) -> int:
    """Assign queued cases (oldest due first) while agents have room: on resolve, on coming online, periodically."""
    query = (
        select(Case)
        .where(Case.assignee_id.is_(None), Case.team_id.is_not(None), Case.status.in_(QUEUE_STATUSES))
        .order_by(Case.sla_next_due_at.is_(None), Case.sla_next_due_at, Case.first_inbound_at, Case.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if workspace_id is not None:
        query = query.where(Case.workspace_id == workspace_id)
    cases = list(session.scalars(query))
    if not cases:
        return 0
    # Lock every agent profile of these workspaces up front, in id order: an agent may belong to several teams,
    # and locking team by team could take two agents' rows in opposite orders in two transactions.
    session.execute(
        select(AgentProfile.id)
        .where(AgentProfile.workspace_id.in_({c.workspace_id for c in cases}))
        .order_by(AgentProfile.id)
        .with_for_update()
    ).all()
    full: set[int] = set()
    count = 0
    networks: dict[int, str] = {}
    for case in cases:
        if case.team_id in full:
            continue
        network = None
        if case.last_channel_account_id:
            if case.last_channel_account_id not in networks:
                account = session.get(ChannelAccount, case.last_channel_account_id)
                networks[case.last_channel_account_id] = account.network if account else ""
            network = networks[case.last_channel_account_id] or None
        if assign_next(session, publisher, case, network) is not None:
            count += 1
        elif not team_candidates(session, case.team_id or 0, lock=False):
            full.add(case.team_id or 0)
    return count


def transfer(session: Session, publisher: Publisher, *, actor: User, case: Case, team: Team | None) -> None:
    """Move a case to another team (it goes back to that team's queue unless it stays with its agent)."""
    if team is not None and team.workspace_id != case.workspace_id:
        raise NotFound("no such team")
    new_id = team.id if team else None
    if case.team_id == new_id:
        return
    previous = case.team_id
    case.team_id = new_id
    timeline.transferred(session, case, team_id=new_id, previous_team_id=previous, actor_user_id=actor.id)
    emit(session, publisher, CaseRouted(workspace_id=case.workspace_id, actor_user_id=actor.id, case_id=case.id,
                                        team_id=new_id, previous_team_id=previous, transferred=True))
    publish_case(session, publisher, case, "team")


def supervisors_of(session: Session, workspace_id: int, team_id: int | None) -> list[int]:
    """Supervisors (and admins) of the case's team; all of the workspace's when the team has none."""
    base = select(User.id).where(
        User.workspace_id == workspace_id, User.is_active.is_(True), User.role.in_((Role.SUPERVISOR, Role.ADMIN))
    )
    if team_id is not None:
        in_team = list(
            session.scalars(base.join(TeamMember, TeamMember.user_id == User.id).where(TeamMember.team_id == team_id))
        )
        if in_team:
            return [int(i) for i in in_team]
    return [int(i) for i in session.scalars(base)]
