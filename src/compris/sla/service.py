"""Applied SLA: choose a case's policy, compute its clocks from its timeline, store due times and status,
record each breach once, raise alerts; and the incremental scheduled pass.

The time logic is the pure ``compris.sla.policy``; this module only feeds it the case's events and stores
the result. Called explicitly from ``inbox.actions`` after each write that changes the clocks, and from the
periodic job ``sla.pass`` for cases whose stored ``sla_check_at`` has passed (an indexed range query, so the
pass costs what is due, not what is open).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from compris.events import Publisher
from compris.inbox.actions import _publish_case, log_event
from compris.kit.clock import now
from compris.models import (
    BusinessHours,
    Case,
    CaseEvent,
    ChannelAccount,
    DeliveryState,
    Direction,
    Job,
    Message,
    SlaBreach,
    SlaPolicy,
    SlaSettings,
)
from compris.routing import shifts
from compris.sla.policy import (
    AgentReply,
    Inbound,
    Metric,
    Policy,
    SlaState,
    StatusChange,
    compute_sla,
)
from compris.sla.policy import CaseStatus as SlaCaseStatus
from compris.worker.queue import enqueue

WEBHOOK_JOB = "sla.webhook"
STATUS_KINDS = ("status_changed", "resolved", "closed", "reopened")
_EPSILON = timedelta(milliseconds=1)
ALERT_STATUSES = ("at_risk", "breached")


@dataclass(frozen=True)
class LoadedPolicy:
    row: SlaPolicy
    policy: Policy
    warn_before: timedelta

    def matches(self, network: str | None, channel_account_id: int | None, intent: str | None,
                priority: int | None) -> bool:
        r = self.row
        if r.networks and (network is None or network.lower() not in {str(n).lower() for n in r.networks}):
            return False
        if r.channel_account_ids and channel_account_id not in {int(i) for i in r.channel_account_ids}:
            return False
        if r.intents and (intent is None or intent.lower() not in {str(i).lower() for i in r.intents}):
            return False
        return r.min_priority is None or (priority is not None and priority >= r.min_priority)


def _seconds(value: int | None) -> timedelta | None:
    return timedelta(seconds=value) if value is not None else None


def load_policies(session: Session, workspace_id: int) -> list[LoadedPolicy]:
    rows = list(session.scalars(
        select(SlaPolicy)
        .where(SlaPolicy.workspace_id == workspace_id, SlaPolicy.is_active.is_(True))
        .order_by(SlaPolicy.position, SlaPolicy.id)
    ))
    hours_ids = {r.business_hours_id for r in rows if r.business_hours_id}
    calendars = {
        h.id: shifts.calendar(h.timezone, h.hours)
        for h in (session.scalars(select(BusinessHours).where(BusinessHours.id.in_(hours_ids))) if hours_ids else [])
    }
    return [
        LoadedPolicy(
            r,
            Policy(r.name, _seconds(r.first_response_s), _seconds(r.next_response_s), _seconds(r.resolution_s),
                   calendars.get(r.business_hours_id) if r.business_hours_id else None),
            timedelta(seconds=r.warn_before_s or 0),
        )
        for r in rows
    ]


def select_for(policies: Sequence[LoadedPolicy], case: Case, network: str | None) -> LoadedPolicy | None:
    intent = (case.triage or {}).get("intent")
    for p in policies:
        if p.matches(network, case.last_channel_account_id, intent if isinstance(intent, str) else None,
                     case.priority):
            return p
    return None


SlaEvent = Inbound | AgentReply | StatusChange


def timeline(session: Session, case_ids: Sequence[int]) -> dict[int, list[SlaEvent]]:
    """The clock-relevant events of each case, in two queries: customer messages and replies to the customer
    (internal notes, failed sends and automatic acknowledgements are not answers), and status changes."""
    events: dict[int, list[SlaEvent]] = defaultdict(list)
    if not case_ids:
        return events
    rows = session.execute(
        select(Message.case_id, Message.direction, Message.visibility, Message.created_at, Message.delivery_state,
               Message.platform_extra, Message.author_user_id)
        .where(Message.case_id.in_(case_ids), Message.visibility != "note")
    )
    for case_id, direction, _visibility, created_at, delivery, extra, author in rows:
        if direction == Direction.INBOUND:
            events[case_id].append(Inbound(created_at))
        elif delivery != DeliveryState.FAILED and not (author is None and (extra or {}).get("auto_ack")):
            events[case_id].append(AgentReply(created_at))
    status_rows = session.execute(
        select(CaseEvent.case_id, CaseEvent.kind, CaseEvent.created_at, CaseEvent.data)
        .where(CaseEvent.case_id.in_(case_ids), CaseEvent.kind.in_(STATUS_KINDS))
    )
    for case_id, kind, created_at, data in status_rows:
        to_status = (data or {}).get("to_status") or ("open" if kind == "reopened" else kind)
        try:
            events[int(case_id)].append(StatusChange(created_at, SlaCaseStatus(to_status)))
        except ValueError:
            continue
    for items in events.values():
        items.sort(key=lambda e: e.at)
    return events


def check_at(state: SlaState, warn_before: timedelta, at: datetime) -> datetime | None:
    """The next instant the stored status could change without a new event."""
    due = state.next_due_at
    if due is None:
        return None
    warn = due - warn_before
    return warn if warn > at else due + _EPSILON


@dataclass
class Outcome:
    case: Case
    previous_status: str | None
    status: str | None
    new_breaches: list[tuple[str, int, datetime]] = field(default_factory=list)


def _insert_breach(session: Session, values: dict[str, Any]) -> bool:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table: Table = SlaBreach.__table__  # type: ignore[assignment]
    stmt = (
        insert(table).values(**values)
        .on_conflict_do_nothing(index_elements=["case_id", "metric", "cycle"])
        .returning(table.c.id)
    )
    return session.execute(stmt).scalar() is not None  # (rowcount is -1 on psycopg here)


def refresh(
    session: Session,
    publisher: Publisher,
    cases: Sequence[Case],
    at: datetime | None = None,
    *,
    policies: dict[int, list[LoadedPolicy]] | None = None,
    networks: dict[int, str] | None = None,
) -> list[Outcome]:
    """Recompute and store the SLA of ``cases`` at ``at``; record new breaches once; raise alerts."""
    at = at or now()
    policies = policies if policies is not None else {}
    networks = networks if networks is not None else {}
    events = timeline(session, [c.id for c in cases])
    missing = {c.last_channel_account_id for c in cases if c.last_channel_account_id} - set(networks)
    if missing:
        for account_id, network_name in session.execute(
            select(ChannelAccount.id, ChannelAccount.network).where(ChannelAccount.id.in_(missing))
        ):
            networks[int(account_id)] = str(network_name)
    outcomes = []
    for case in cases:
        if case.workspace_id not in policies:
            policies[case.workspace_id] = load_policies(session, case.workspace_id)
        network = networks.get(case.last_channel_account_id) if case.last_channel_account_id else None
        chosen = select_for(policies[case.workspace_id], case, network)
        outcomes.append(_store(session, case, chosen, events.get(case.id, []), at))
    _alert(session, publisher, outcomes, at)
    return outcomes


def _store(session: Session, case: Case, chosen: LoadedPolicy | None, events: list[SlaEvent],
           at: datetime) -> Outcome:
    previous = case.sla_status
    if chosen is None:
        case.sla_policy_id = None
        case.sla_first_response_due = case.sla_next_response_due = case.sla_resolution_due = None
        case.sla_next_due_at = case.sla_check_at = None
        case.sla_status = None
        return Outcome(case, previous, None)
    state = compute_sla(chosen.policy, events, at)
    case.sla_policy_id = chosen.row.id
    case.sla_first_response_due = _pending_due(state, Metric.FIRST_RESPONSE)
    case.sla_next_response_due = _pending_due(state, Metric.NEXT_RESPONSE)
    case.sla_resolution_due = _pending_due(state, Metric.RESOLUTION)
    case.sla_next_due_at = state.next_due_at
    case.sla_check_at = check_at(state, chosen.warn_before, at)
    status = state.status(at, chosen.warn_before)
    case.sla_status = status
    outcome = Outcome(case, previous, status)
    for breach in state.all_breaches():
        inserted = _insert_breach(session, {
            "workspace_id": case.workspace_id, "case_id": case.id, "metric": breach.metric.value,
            "cycle": breach.cycle, "breached_at": breach.breached_at, "policy_id": chosen.row.id, "created_at": at,
        })
        if inserted:
            log_event(session, case, "sla_breached", workspace_id=case.workspace_id, metric=breach.metric.value,
                      cycle=breach.cycle, breached_at=breach.breached_at.isoformat(), policy=chosen.row.name)
            outcome.new_breaches.append((breach.metric.value, breach.cycle, breach.breached_at))
    return outcome


def _pending_due(state: SlaState, metric: Metric) -> datetime | None:
    m = state[metric]
    return m.due_at if m.active else None


def _alert(session: Session, publisher: Publisher, outcomes: Iterable[Outcome], at: datetime) -> None:
    from compris.routing.service import supervisors_of

    settings_cache: dict[int, SlaSettings | None] = {}
    for o in outcomes:
        changed = o.status != o.previous_status
        if not changed and not o.new_breaches:
            continue
        case = o.case
        alert = o.status in ALERT_STATUSES and (changed or bool(o.new_breaches))
        notify = supervisors_of(session, case.workspace_id, case.team_id) if alert else []
        _publish_case(session, publisher, case, "sla", sla_status=o.status,
                      sla_next_due_at=case.sla_next_due_at.isoformat() if case.sla_next_due_at else None,
                      notify=notify)
        if not alert:
            continue
        if case.workspace_id not in settings_cache:
            settings_cache[case.workspace_id] = session.scalar(
                select(SlaSettings).where(SlaSettings.workspace_id == case.workspace_id))
        settings = settings_cache[case.workspace_id]
        if settings is None or not settings.webhook_url:
            continue
        if o.status == "at_risk" and not settings.alert_at_risk:
            continue
        keys = ([f"breach:{m}:{c}" for m, c, _ in o.new_breaches]
                or [f"{o.status}:{case.sla_next_due_at.isoformat() if case.sla_next_due_at else ''}"])
        payload = {
            "event": "sla.breached" if o.status == "breached" else "sla.at_risk",
            "case_number": case.number, "case_id": case.id, "team_id": case.team_id,
            "sla_status": o.status,
            "next_due_at": case.sla_next_due_at.isoformat() if case.sla_next_due_at else None,
            "breaches": [{"metric": m, "cycle": c, "breached_at": b.isoformat()} for m, c, b in o.new_breaches],
            "at": at.isoformat(),
        }
        dedupe = f"sla-webhook:{case.id}:{keys[0]}"[:200]
        if session.scalar(select(Job.id).where(Job.dedupe_key == dedupe)) is None:  # once per transition
            enqueue(session, publisher, workspace_id=case.workspace_id, kind=WEBHOOK_JOB, payload=payload,
                    dedupe_key=dedupe, max_attempts=8)


def apply(session: Session, publisher: Publisher, case: Case) -> Outcome:
    """Recompute one case now (after an event on it)."""
    session.flush()
    return refresh(session, publisher, [case])[0]


@dataclass(frozen=True)
class PassResult:
    checked: int
    breaches: int


def run_pass(session: Session, publisher: Publisher, at: datetime | None = None, limit: int = 2000) -> PassResult:
    """The scheduled pass: only cases whose ``sla_check_at`` has come (indexed), oldest first; rows another
    pass holds are skipped (``SKIP LOCKED``), and breaches are unique per (case, metric, cycle) anyway."""
    at = at or now()
    cases = list(session.scalars(
        select(Case).where(Case.sla_check_at <= at).order_by(Case.sla_check_at).limit(limit)
        .with_for_update(skip_locked=True)
    ))
    outcomes = refresh(session, publisher, cases, at)
    return PassResult(len(cases), sum(len(o.new_breaches) for o in outcomes))
