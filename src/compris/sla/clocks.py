"""Applied SLA: choose a case's policy, compute its clocks from its timeline, store due times and status,
record each breach once, raise alerts; and the incremental scheduled pass.

The time logic is the pure ``compris.sla.policy``; this module only feeds it the case's events and stores
the result. Called from the SLA's listeners (``compris.sla.listeners``) after each domain event that can move a
clock, and from the periodic job ``sla.pass`` for cases whose stored ``sla_check_at`` has passed (an indexed
range query, so the pass costs what is due, not what is open).

What answers the customer (:func:`timeline`): a public or private reply counts once the network has it —
delivery ``sent``, ``delivered`` or ``read`` — at the time it was sent (``Message.sent_at``, which the send job
overwrites with the send time). A reply still queued, sending or retrying does not count yet; a reply that
failed does not count (a reply that fails after it was counted re-opens the clock, and a deadline already
passed is recorded as a breach at that deadline). An *uncertain* reply (a send interrupted on a network that
does not de-duplicate) does not count either: a person must check on the network and retry or dismiss it, and
the clock keeps running meanwhile. Automatic messages (the expected-wait acknowledgement) never count. Replies
sent from outside Compris and seen as echoes (delivery ``sent``) do count.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from compris import timeline as case_timeline
from compris.bus import emit
from compris.events import SlaAtRisk, SlaBreached
from compris.kit.clock import now
from compris.live import Publisher, publish_case
from compris.models import (
    BusinessHours,
    Case,
    CaseEvent,
    CaseStatus,
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
from compris.routing.assignment import supervisors_of
from compris.sla.policy import (
    AgentReply,
    Inbound,
    Metric,
    Policy,
    SlaState,
    StatusChange,
    compute_sla,
)
from compris.sla.prediction import predict_breach
from compris.worker.queue import enqueue

WEBHOOK_JOB = "sla.webhook"
#: Delivery states of a reply the customer has (the only ones that answer them).
ANSWERED_STATES = frozenset({DeliveryState.SENT, DeliveryState.DELIVERED, DeliveryState.READ})
_EPSILON = timedelta(milliseconds=1)
ALERT_STATUSES = ("at_risk", "breached")
#: Breach prediction: a team's throughput is its first responses per hour over this window; without any first
#: response in it the throughput is unknown and only the warning window applies (no made-up rate).
THROUGHPUT_WINDOW = timedelta(hours=3)
#: At most this many earlier pending first responses are read per team (the queue ahead is then a lower bound).
QUEUE_SCAN_LIMIT = 5000
#: A case at risk by prediction only (not yet in its warning window) is looked at again this often, so it
#: returns to ``ok`` when its queue drains.
PREDICTION_RECHECK = timedelta(minutes=5)
QUEUED_STATUSES = ("new", "open")


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
    """The case's policy: the one forced on it (an incident's crisis mode) while it is active, else the first that
    matches."""
    if case.sla_policy_override_id is not None:
        forced = next((p for p in policies if p.row.id == case.sla_policy_override_id), None)
        if forced is not None:
            return forced
    intent = (case.triage or {}).get("intent")
    for p in policies:
        if p.matches(network, case.last_channel_account_id, intent if isinstance(intent, str) else None,
                     case.priority):
            return p
    return None


SlaEvent = Inbound | AgentReply | StatusChange


def is_automatic(author_user_id: int | None, platform_extra: dict[str, Any] | None) -> bool:
    """A message Compris sent by itself (the expected-wait acknowledgement...): never an answer. An echo sent from
    outside Compris has no author either, but no automatic origin: it is an answer."""
    extra = platform_extra or {}
    return author_user_id is None and (bool(extra.get("auto_ack")) or extra.get("origin") not in (None, "agent"))


def answered_at(direction: str, visibility: str, delivery_state: str | None, author_user_id: int | None,
                platform_extra: dict[str, Any] | None, created_at: datetime, sent_at: datetime | None
                ) -> datetime | None:
    """When an outbound message answered the customer, or None when it does not (yet) count. Pure.

    Only replies the network has (sent, delivered, read), at their send time; never notes nor automatic
    messages. (``max`` with the creation: an echo's time is the network's clock, and must not place an answer
    before the customer message it answers.)"""
    if direction != Direction.OUTBOUND or visibility == "note" or delivery_state not in ANSWERED_STATES:
        return None
    if is_automatic(author_user_id, platform_extra):
        return None
    return max(created_at, sent_at) if sent_at is not None else created_at


def timeline(session: Session, case_ids: Sequence[int]) -> dict[int, list[SlaEvent]]:
    """The clock-relevant events of each case, in two queries: customer messages and the replies that answered
    them (:func:`answered_at`), and status changes (the timeline's ``STATUS_KINDS``)."""
    events: dict[int, list[SlaEvent]] = defaultdict(list)
    if not case_ids:
        return events
    rows = session.execute(
        select(Message.case_id, Message.direction, Message.visibility, Message.created_at, Message.sent_at,
               Message.delivery_state, Message.platform_extra, Message.author_user_id)
        .where(Message.case_id.in_(case_ids), Message.visibility != "note")
    )
    for case_id, direction, visibility, created_at, sent_at, delivery, extra, author in rows:
        if direction == Direction.INBOUND:
            if not (extra or {}).get("claimed_by"):  # a claimed answer (a survey's rating) is no new request
                events[case_id].append(Inbound(created_at))
            continue
        at = answered_at(direction, visibility, delivery, author, extra, created_at, sent_at)
        if at is not None:
            events[case_id].append(AgentReply(at))
    status_rows = session.execute(
        select(CaseEvent.case_id, CaseEvent.kind, CaseEvent.created_at, CaseEvent.data)
        .where(CaseEvent.case_id.in_(case_ids),
               CaseEvent.kind.in_([k.value for k in case_timeline.STATUS_KINDS]))
    )
    for case_id, kind, created_at, data in status_rows:
        to_status = (data or {}).get("to_status") or ("open" if kind == "reopened" else kind)
        try:
            events[int(case_id)].append(StatusChange(created_at, CaseStatus(to_status)))
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


def forecast_status(status: str, first_due: datetime | None, at: datetime, queue_ahead: int,
                    throughput_per_hour: float | None) -> str:
    """The stored status with the breach prediction: an ``ok`` case whose first response is pending turns
    ``at_risk`` when ``predict_breach`` says its turn (after ``queue_ahead`` earlier cases, at the team's
    throughput) comes after its due time. Unknown throughput (``None``) → no prediction. Pure."""
    if status != "ok" or first_due is None or throughput_per_hour is None:
        return status
    return "at_risk" if predict_breach(first_due, at, queue_ahead, throughput_per_hour) else status


def prediction_check_at(check: datetime | None, first_due: datetime | None, at: datetime, queue_ahead: int,
                        throughput_per_hour: float | None, predicted: bool) -> datetime | None:
    """The next check with the prediction: a predicted-only at-risk case is looked at again within
    ``PREDICTION_RECHECK``; an ``ok`` case at the instant it would turn predicted if the queue and the throughput
    stayed as they are (``due - (queue_ahead + 1) / throughput``). Pure."""
    if first_due is None or throughput_per_hour is None or throughput_per_hour <= 0:
        return check
    candidate = at + PREDICTION_RECHECK if predicted else (
        first_due - timedelta(hours=(max(queue_ahead, 0) + 1) / throughput_per_hour))
    if candidate <= at:
        candidate = at + _EPSILON
    return candidate if check is None or candidate < check else check


@dataclass
class Forecast:
    """What the breach prediction needs for one refresh, per team: the throughput (first responses per hour over
    ``THROUGHPUT_WINDOW``, ``None`` = unknown) and the sorted pending first-response due times."""

    throughput: dict[int, float | None] = field(default_factory=dict)
    queues: dict[int, list[datetime]] = field(default_factory=dict)

    def queue_ahead(self, team_id: int, due: datetime) -> int:
        """Cases of the team with an earlier first-response due, not yet answered."""
        return bisect.bisect_left(self.queues.get(team_id, []), due)


def load_forecast(session: Session, wanted: dict[int, datetime], at: datetime) -> Forecast:
    """``wanted``: team id → the latest pending first-response due among the cases being refreshed. One aggregate
    query for the throughputs of all these teams, then one query per team with a known throughput for its queue
    (its pending first responses due before that latest due, at most ``QUEUE_SCAN_LIMIT``)."""
    forecast = Forecast()
    if not wanted:
        return forecast
    hours = THROUGHPUT_WINDOW / timedelta(hours=1)
    counts: dict[int, int] = {int(t or 0): int(c) for t, c in session.execute(
        select(Case.team_id, func.count())
        .where(Case.team_id.in_(list(wanted)), Case.first_response_at > at - THROUGHPUT_WINDOW,
               Case.first_response_at <= at)
        .group_by(Case.team_id)
    )}
    for team_id, latest in wanted.items():
        count = int(counts.get(team_id) or 0)
        forecast.throughput[team_id] = count / hours if count else None
        if not count:
            continue
        forecast.queues[team_id] = sorted(session.scalars(
            select(Case.sla_first_response_due)
            .where(Case.team_id == team_id, Case.sla_first_response_due.is_not(None),
                   Case.sla_first_response_due < latest, Case.status.in_(QUEUED_STATUSES))
            .order_by(Case.sla_first_response_due).limit(QUEUE_SCAN_LIMIT)
        ).all())  # type: ignore[arg-type]
    return forecast


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
    computed: list[tuple[Case, LoadedPolicy | None, SlaState | None]] = []
    wanted: dict[int, datetime] = {}
    for case in cases:
        if case.workspace_id not in policies:
            policies[case.workspace_id] = load_policies(session, case.workspace_id)
        network = networks.get(case.last_channel_account_id) if case.last_channel_account_id else None
        chosen = select_for(policies[case.workspace_id], case, network)
        state = compute_sla(chosen.policy, events.get(case.id, []), at) if chosen else None
        first_due = _pending_due(state, Metric.FIRST_RESPONSE) if state else None
        if first_due is not None and case.team_id is not None and case.status in QUEUED_STATUSES:
            wanted[case.team_id] = max(first_due, wanted.get(case.team_id, first_due))
        computed.append((case, chosen, state))
    forecast = load_forecast(session, wanted, at)
    outcomes = [_store(session, publisher, case, chosen, state, at, forecast) for case, chosen, state in computed]
    _alert(session, publisher, outcomes, at)
    return outcomes


def _store(session: Session, publisher: Publisher, case: Case, chosen: LoadedPolicy | None, state: SlaState | None,
           at: datetime, forecast: Forecast) -> Outcome:
    previous = case.sla_status
    if chosen is None or state is None:
        case.sla_policy_id = None
        case.sla_first_response_due = case.sla_next_response_due = case.sla_resolution_due = None
        case.sla_next_due_at = case.sla_check_at = None
        case.sla_status = None
        return Outcome(case, previous, None)
    case.sla_policy_id = chosen.row.id
    case.sla_first_response_due = _pending_due(state, Metric.FIRST_RESPONSE)
    case.sla_next_response_due = _pending_due(state, Metric.NEXT_RESPONSE)
    case.sla_resolution_due = _pending_due(state, Metric.RESOLUTION)
    case.sla_next_due_at = state.next_due_at
    base_status = state.status(at, chosen.warn_before)
    check = check_at(state, chosen.warn_before, at)
    first_due = case.sla_first_response_due if case.status in QUEUED_STATUSES else None
    throughput = forecast.throughput.get(case.team_id) if case.team_id is not None else None
    ahead = forecast.queue_ahead(case.team_id, first_due) if first_due and case.team_id is not None else 0
    status = forecast_status(base_status, first_due, at, ahead, throughput)
    if base_status == "ok":
        check = prediction_check_at(check, first_due, at, ahead, throughput, predicted=status != base_status)
    case.sla_check_at = check
    case.sla_status = status
    outcome = Outcome(case, previous, status)
    for breach in state.all_breaches():
        inserted = _insert_breach(session, {
            "workspace_id": case.workspace_id, "case_id": case.id, "metric": breach.metric.value,
            "cycle": breach.cycle, "breached_at": breach.breached_at, "policy_id": chosen.row.id, "created_at": at,
        })
        if inserted:
            case_timeline.sla_breached(session, case, metric=breach.metric.value, cycle=breach.cycle,
                                       breached_at=breach.breached_at, policy=chosen.row.name)
            emit(session, publisher, SlaBreached(workspace_id=case.workspace_id, case_id=case.id,
                                                 metric=breach.metric.value, cycle=breach.cycle,
                                                 breached_at=breach.breached_at.isoformat()))
            outcome.new_breaches.append((breach.metric.value, breach.cycle, breach.breached_at))
    if status == "at_risk" and previous != "at_risk":  # notifications: the due time it may miss
        emit(session, publisher, SlaAtRisk(workspace_id=case.workspace_id, case_id=case.id,
                                           due_at=case.sla_next_due_at.isoformat() if case.sla_next_due_at else None))
    return outcome


def _pending_due(state: SlaState, metric: Metric) -> datetime | None:
    m = state[metric]
    return m.due_at if m.active else None


def _alert(session: Session, publisher: Publisher, outcomes: Iterable[Outcome], at: datetime) -> None:
    settings_cache: dict[int, SlaSettings | None] = {}
    supervisors: dict[tuple[int, int | None], list[int]] = {}  # one query per team, not per case
    for o in outcomes:
        changed = o.status != o.previous_status
        if not changed and not o.new_breaches:
            continue
        case = o.case
        alert = o.status in ALERT_STATUSES and (changed or bool(o.new_breaches))
        key = (case.workspace_id, case.team_id)
        if alert and key not in supervisors:
            supervisors[key] = supervisors_of(session, case.workspace_id, case.team_id)
        notify = supervisors[key] if alert else []
        publish_case(session, publisher, case, "sla", sla_status=o.status,
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
