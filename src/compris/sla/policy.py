"""SLA policies and due times as pure functions of (policy, events, now).

The caller (models, jobs) turns a case's timeline into a few frozen events — :class:`Inbound`,
:class:`AgentReply`, :class:`PartnerReply`, :class:`StatusChange` — and calls :func:`compute_sla`. Nothing here
reads the clock or the database. Rules (``docs/sla.md`` has the long version):

* **first response** runs from the first customer message to the first agent reply (public or private;
  internal notes are not replies and must not be passed as :class:`AgentReply`).
* **next response** starts a new *cycle* at the first customer message after an agent reply and stops at the
  next agent reply; a case has as many cycles as back-and-forths.
* **resolution** runs from the first customer message until the case is resolved or closed; a reopening
  (new customer message, or status back to open) continues the same clock where it stopped.
* **pauses**: every clock pauses while the case is *waiting on the customer* or *waiting on a partner*, and
  the response clocks also stop counting while the case is resolved/closed. A customer message ends a wait on
  the customer (the case is open again). A customer message during a wait on a partner keeps the resolution
  clock paused (still waiting on the partner) but restarts the *response* clocks: the customer is owed an
  answer. A :class:`PartnerReply` ends a wait on a partner.
* **snoozed pauses nothing**: a snooze is the agent's own choice; letting it pause a clock would let anyone hide
  a late answer by snoozing. Waiting on someone else has its own statuses, which do pause.
* Pauses are measured in the policy's time: with business hours, only business time counts.
* A deadline is met when the clock stops at or before it; the breach instant is the deadline.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from compris.kit.calendar import BusinessCalendar, add_business_time, business_time_between, require_aware
from compris.models import CaseStatus  # the one definition of a case's statuses (re-exported here)

__all__ = [
    "AgentReply",
    "Breach",
    "CaseEvent",
    "CaseStatus",
    "Inbound",
    "Metric",
    "MetricState",
    "PartnerReply",
    "Policy",
    "PolicyRule",
    "SlaState",
    "SlaStatus",
    "StatusChange",
    "breaches",
    "compute_sla",
    "select_policy",
    "worst_status",
]

_ZERO = timedelta(0)

SlaStatus = Literal["ok", "at_risk", "breached", "met", "paused"]
_SEVERITY: dict[str, int] = {"breached": 4, "at_risk": 3, "ok": 2, "paused": 1, "met": 0}


class Metric(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


_WAITING = frozenset({CaseStatus.WAITING_CUSTOMER, CaseStatus.WAITING_PARTNER})
_DONE = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})


# ----------------------------------------------------------------------------------------------- policies


@dataclass(frozen=True)
class Policy:
    """Targets (``None`` = not tracked) and the time they are measured in (``None`` = calendar time, 24/7)."""

    name: str
    first_response: timedelta | None = None
    next_response: timedelta | None = None
    resolution: timedelta | None = None
    business_hours: BusinessCalendar | None = None

    def __post_init__(self) -> None:
        for metric in Metric:
            target = self.target(metric)
            if target is not None and target < _ZERO:
                raise ValueError(f"{metric} target must not be negative")

    def target(self, metric: Metric) -> timedelta | None:
        value: timedelta | None = getattr(self, metric.value)
        return value

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """``start + duration`` in the policy's time (UTC result)."""
        if self.business_hours is None:
            return require_aware(start, "start") + duration
        return add_business_time(self.business_hours, start, duration)

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Time from ``start`` to ``end`` in the policy's time (negative when ``end`` is earlier)."""
        if self.business_hours is None:
            return require_aware(end, "end") - require_aware(start, "start")
        return business_time_between(self.business_hours, start, end)


@dataclass(frozen=True)
class PolicyRule:
    """Chooses ``policy`` for a case. Empty ``channels``/``intents`` match anything; ``min_priority`` ``None``
    matches any priority (including an untriaged case), otherwise the case's priority must be at least it."""

    policy: Policy
    channels: frozenset[str] = frozenset()
    intents: frozenset[str] = frozenset()
    min_priority: int | None = None

    @classmethod
    def of(
        cls,
        policy: Policy,
        channels: Iterable[str] = (),
        intents: Iterable[str] = (),
        min_priority: int | None = None,
    ) -> PolicyRule:
        return cls(policy, frozenset(c.lower() for c in channels), frozenset(i.lower() for i in intents), min_priority)

    def matches(self, channel: str | None, intent: str | None, priority: int | None) -> bool:
        if self.channels and (channel is None or channel.lower() not in self.channels):
            return False
        if self.intents and (intent is None or intent.lower() not in self.intents):
            return False
        return self.min_priority is None or (priority is not None and priority >= self.min_priority)


def select_policy(
    rules: Sequence[PolicyRule], channel: str | None, intent: str | None, priority: int | None
) -> Policy | None:
    """The policy of the first matching rule, or ``None`` (no SLA)."""
    for rule in rules:
        if rule.matches(channel, intent, priority):
            return rule.policy
    return None


# ----------------------------------------------------------------------------------------------- events


@dataclass(frozen=True)
class Inbound:
    """A message from the customer (any thread of the case)."""

    at: datetime


@dataclass(frozen=True)
class AgentReply:
    """A public or private reply sent to the customer (not an internal note)."""

    at: datetime


@dataclass(frozen=True)
class PartnerReply:
    """The partner answered an escalation: ends a wait on the partner."""

    at: datetime


@dataclass(frozen=True)
class StatusChange:
    at: datetime
    status: CaseStatus

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", CaseStatus(self.status))


CaseEvent = Inbound | AgentReply | PartnerReply | StatusChange


# ----------------------------------------------------------------------------------------------- state


@dataclass(frozen=True)
class Breach:
    """One missed deadline. ``(metric, cycle)`` is unique per case: use it as the idempotency key."""

    metric: Metric
    cycle: int
    breached_at: datetime


@dataclass(frozen=True)
class MetricState:
    """One clock at ``now``. ``cycle`` is the index of the current cycle (next response has one per
    customer turn), ``-1`` when the clock never started (no target, or no customer message yet).

    * running: ``due_at`` set, ``remaining`` = policy time left (negative once overdue);
    * paused: ``due_at`` is ``None`` unless the deadline had already passed, ``remaining`` is frozen;
    * stopped: ``met_at`` set (the reply or the resolution), ``remaining`` ``None``.
    """

    metric: Metric
    target: timedelta | None
    cycle: int = -1
    started_at: datetime | None = None
    due_at: datetime | None = None
    met_at: datetime | None = None
    breached: bool = False
    breached_at: datetime | None = None
    remaining: timedelta | None = None
    paused: bool = False
    history: tuple[Breach, ...] = ()

    @property
    def active(self) -> bool:
        """The clock has started and has not stopped."""
        return self.cycle >= 0 and self.met_at is None

    @property
    def running(self) -> bool:
        return self.active and not self.paused

    def status(self, now: datetime, warn_before: timedelta = _ZERO) -> SlaStatus:
        """``breached`` when this cycle missed its deadline (even if answered since), ``met`` when it stopped
        in time, ``paused``, ``at_risk`` when the deadline is at most ``warn_before`` of wall-clock time away,
        else ``ok`` (also when the clock never started)."""
        now = require_aware(now, "now")
        if self.cycle < 0:
            return "ok"
        if self.breached or (self.running and self.due_at is not None and self.due_at < now):
            return "breached"
        if self.met_at is not None:
            return "met"
        if self.paused:
            return "paused"
        if self.due_at is not None and self.due_at - now <= warn_before:
            return "at_risk"
        return "ok"


@dataclass(frozen=True)
class SlaState:
    now: datetime
    first_response: MetricState
    next_response: MetricState
    resolution: MetricState
    status_at_now: CaseStatus = CaseStatus.NEW

    def __getitem__(self, metric: Metric | str) -> MetricState:
        state: MetricState = getattr(self, Metric(metric).value)
        return state

    @property
    def metrics(self) -> tuple[MetricState, MetricState, MetricState]:
        return (self.first_response, self.next_response, self.resolution)

    @property
    def paused(self) -> bool:
        return any(m.active and m.paused for m in self.metrics)

    @property
    def next_due_at(self) -> datetime | None:
        """The earliest deadline still ahead of a running clock (when the scheduler must look again)."""
        dues = [m.due_at for m in self.metrics if m.running and not m.breached and m.due_at is not None]
        return min(dues) if dues else None

    def status(self, now: datetime, warn_before: timedelta = _ZERO) -> SlaStatus:
        """The worst status of the three clocks (breached > at_risk > ok > paused > met); ``ok`` if none ran."""
        statuses = [m.status(now, warn_before) for m in self.metrics if m.cycle >= 0]
        if not statuses:
            return "ok"
        return max(statuses, key=lambda s: _SEVERITY[s])

    def all_breaches(self) -> tuple[Breach, ...]:
        return tuple(b for m in self.metrics for b in m.history)


def breaches(previous: SlaState | None, new: SlaState) -> list[Breach]:
    """Breaches in ``new`` that ``previous`` did not have — record each of these once.

    Computing the state twice gives the same breaches with the same ``(metric, cycle)`` keys, so this returns
    nothing the second time; a store with a unique key on ``(case, metric, cycle)`` makes it safe even when two
    schedulers race.
    """
    seen = {(b.metric, b.cycle) for b in previous.all_breaches()} if previous is not None else set()
    return [b for b in new.all_breaches() if (b.metric, b.cycle) not in seen]


# ----------------------------------------------------------------------------------------------- computation


@dataclass
class _Cycle:
    start: datetime
    runs: list[list[datetime | None]] = field(default_factory=list)
    stopped_at: datetime | None = None

    def set_running(self, running: bool, at: datetime) -> None:
        is_running = bool(self.runs) and self.runs[-1][1] is None
        if running and not is_running:
            self.runs.append([at, None])
        elif not running and is_running:
            self.runs[-1][1] = at

    def stop(self, at: datetime) -> None:
        self.set_running(False, at)
        self.stopped_at = at


def _deadline(policy: Policy, cycle: _Cycle, target: timedelta) -> datetime | None:
    """First instant at which the running time reaches ``target`` (``None`` if the runs end before)."""
    remaining = target
    for start, end in cycle.runs:
        assert start is not None
        if end is None:
            return policy.add(start, remaining)
        used = policy.between(start, end)
        if used >= remaining:
            return policy.add(start, remaining)
        remaining -= used
    return None


def _elapsed(policy: Policy, cycle: _Cycle, now: datetime) -> timedelta:
    total = _ZERO
    for start, end in cycle.runs:
        assert start is not None
        total += policy.between(start, end if end is not None else now)
    return total


def _evaluate(policy: Policy, metric: Metric, cycles: Sequence[_Cycle], now: datetime) -> MetricState:
    target = policy.target(metric)
    if target is None or not cycles:
        return MetricState(metric, target)
    history: list[Breach] = []
    deadline: datetime | None = None
    running = False
    for index, cycle in enumerate(cycles):
        deadline = _deadline(policy, cycle, target)
        running = bool(cycle.runs) and cycle.runs[-1][1] is None
        if deadline is None:
            continue
        if cycle.stopped_at is not None:
            missed = deadline < cycle.stopped_at
        elif running:
            missed = deadline < now
        else:  # paused after the running time had reached the target
            missed = True
        if missed:
            history.append(Breach(metric, index, deadline))
    index = len(cycles) - 1
    cycle = cycles[index]
    breach = history[-1] if history and history[-1].cycle == index else None
    breached_at = breach.breached_at if breach is not None else None
    if cycle.stopped_at is not None:
        due = deadline
        if due is None:  # stopped before the target ran out: the deadline it would have had
            due = policy.add(cycle.stopped_at, target - _elapsed(policy, cycle, cycle.stopped_at))
        return MetricState(
            metric, target, index, cycle.start, due, cycle.stopped_at, breach is not None, breached_at,
            None, False, tuple(history),
        )  # fmt: skip
    remaining = target - _elapsed(policy, cycle, now)
    due = deadline if (running or breach is not None) else None
    return MetricState(
        metric, target, index, cycle.start, due, None, breach is not None, breached_at,
        remaining, not running, tuple(history),
    )  # fmt: skip


def _ordered(events: Iterable[CaseEvent], now: datetime) -> list[tuple[datetime, CaseEvent]]:
    keyed = [(require_aware(e.at, "event.at"), i, e) for i, e in enumerate(events)]
    keyed.sort(key=lambda k: (k[0], k[1]))
    return [(at, e) for at, _i, e in keyed if at <= now]


def compute_sla(policy: Policy, events: Iterable[CaseEvent], now: datetime) -> SlaState:
    """The three clocks of one case at ``now``. Events after ``now`` are ignored; same-instant events keep the
    order given. Deterministic: the same input always gives the same state (and the same breach keys)."""
    now = require_aware(now, "now")
    status = CaseStatus.NEW
    customer_pinged = False  # a customer message arrived during the current wait on a partner
    first: list[_Cycle] = []
    nxt: list[_Cycle] = []
    resolution: list[_Cycle] = []
    resolved_at: datetime | None = None

    def responses_run() -> bool:
        if status in _DONE:
            return False
        return status not in _WAITING or customer_pinged

    handlers: dict[type, Callable[[datetime, CaseEvent], None]] = {}

    def on_inbound(at: datetime, _event: CaseEvent) -> None:
        nonlocal status, customer_pinged
        if status == CaseStatus.WAITING_PARTNER:
            customer_pinged = True
        elif status in _DONE or status in (CaseStatus.WAITING_CUSTOMER, CaseStatus.SNOOZED):
            status = CaseStatus.OPEN
            customer_pinged = False
        if not first:
            first.append(_Cycle(at))
            resolution.append(_Cycle(at))
        elif first[0].stopped_at is not None and (not nxt or nxt[-1].stopped_at is not None):
            nxt.append(_Cycle(at))

    def on_reply(at: datetime, _event: CaseEvent) -> None:
        if first and first[0].stopped_at is None:
            first[0].stop(at)
        elif nxt and nxt[-1].stopped_at is None:
            nxt[-1].stop(at)

    def on_partner(_at: datetime, _event: CaseEvent) -> None:
        nonlocal status, customer_pinged
        if status == CaseStatus.WAITING_PARTNER:
            status = CaseStatus.OPEN
            customer_pinged = False

    def on_status(_at: datetime, event: CaseEvent) -> None:
        nonlocal status, customer_pinged
        assert isinstance(event, StatusChange)
        status = event.status
        customer_pinged = False

    handlers[Inbound] = on_inbound
    handlers[AgentReply] = on_reply
    handlers[PartnerReply] = on_partner
    handlers[StatusChange] = on_status

    for at, event in _ordered(events, now):
        was_done = status in _DONE
        handlers[type(event)](at, event)
        is_done = status in _DONE
        if is_done and not was_done:
            resolved_at = at
        elif was_done and not is_done:
            resolved_at = None
        run_responses = responses_run()
        for cycle in (*first, *nxt[-1:]):
            if cycle.stopped_at is None:
                cycle.set_running(run_responses, at)
        if resolution:
            resolution[0].set_running(status not in _WAITING and status not in _DONE, at)

    if resolution and resolved_at is not None:
        resolution[0].stopped_at = resolved_at

    return SlaState(
        now=now,
        first_response=_evaluate(policy, Metric.FIRST_RESPONSE, first, now),
        next_response=_evaluate(policy, Metric.NEXT_RESPONSE, nxt, now),
        resolution=_evaluate(policy, Metric.RESOLUTION, resolution, now),
        status_at_now=status,
    )


def worst_status(statuses: Collection[SlaStatus]) -> SlaStatus:
    """Worst of several statuses (for a queue or a team)."""
    return max(statuses, key=lambda s: _SEVERITY[s]) if statuses else "ok"
