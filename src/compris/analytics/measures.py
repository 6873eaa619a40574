"""The measures, defined once: a case's history in, its contribution to the rollups out. Pure (no database, no
clock): the incremental path (the ``analytics.rollup`` job) and ``compris analytics rebuild`` both call
:func:`contribution`, so they cannot disagree. ``docs/analytics.md`` states every rule in words; in short:

* a **customer message** is an inbound message that is not an answer a capability claimed (a survey rating, a
  partner's e-mail); it **needs a response** unless triage calls it spam;
* an **answer** is an outbound public or private reply the network accepted (sent, delivered or read) at the time
  it was sent — never a note, never an automatic message (acknowledgement, survey), never a reply still queued,
  retrying, failed or uncertain (``compris.sla.clocks.answered_at``, the SLA's own definition); a reply sent from
  outside Compris and seen as an echo answers too;
* a message is **responded** by the first answer at or after it; it is credited to the answer's author;
* **first response** runs from the case's first customer message to the first answer; a **next response** cycle
  starts at the first customer message after an answer and stops at the next answer;
* **resolution** runs from the customer message that (re)opened the case to the case being resolved or closed; a
  customer message (or an agent reopening it) after a resolution starts a new cycle and counts a reopening;
* durations are calendar time, or business time on the calendar of the case's SLA policy (none: calendar time);
* facts are dated when they happen: a message when it arrived (its response is counted with it), a response time
  when the answer went out, a resolution when it happened, a survey when it was sent (its answer with it).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from compris.analytics.buckets import bucket_of
from compris.kit.calendar import BusinessCalendar, business_time_between

# --- metrics ----------------------------------------------------------------------------------------------------

MSG_IN = "msg_in"  # customer messages received
CASE_NEW = "case_new"  # cases opened (their first customer message)
NEEDS = "needs"  # customer messages needing a response
RESPONDED = "responded"  # ... that got one (counted on the message's day)
IN_TARGET = "in_target"  # ... within the default target (DEFAULT_TARGET_S)
MSG_RT = "msg_rt"  # histogram: each responded message's wait, calendar time
REPLY = "reply"  # answers sent (per author)
AUTO = "auto"  # automatic messages sent (acknowledgements, surveys): not answers, shown apart
RESOLVED = "resolved"  # resolutions (per resolver)
REOPENED = "reopened"
HANDLE = "handle"  # counter: n segments, total seconds assigned to an agent while the case was active
FRT = "frt"  # histograms, suffixed with the clock: frt_c / frt_b
NRT = "nrt"
RES = "res"
SLA_MET = "sla_met"  # suffixed with the SLA metric: sla_met:first_response
SLA_BREACH = "sla_breach"
CSAT_SENT = "csat_sent"
CSAT_ANSWERED = "csat_answered"  # total: the 0-100 scores
CSAT_SATISFIED = "csat_satisfied"
ESC_CREATED = "esc_created"
ESC_OVERDUE = "esc_overdue"
ESC_RESPONSE = "esc_rt"  # histogram: the partner's first answer, calendar time
WAIT_ANNOUNCED = "wait_n"  # expected waits announced (total: the seconds announced)
WAIT_ACTUAL = "wait_actual"  # ... that got their first response (total: the seconds actually waited)
WAIT_ERROR = "wait_error"  # the same ones (total: |actual - announced| seconds)
WAIT_WITHIN = "wait_within"  # ... answered within the wait announced
GUARD = "guard:"  # + rule: the reply guard's findings on an agent's reply (per agent)
GUARD_OVERRIDDEN = "guard_ovr:"  # + rule: ... that the agent overrode
TAG = "tag:"  # + tag id: new cases carrying the tag (now)

CLOCK_SUFFIX = {"calendar": "_c", "business": "_b"}
#: the metrics stored as histograms (one row per bucket); the others are counters (bucket -1)
HISTOGRAMS = frozenset({MSG_RT, ESC_RESPONSE, *(base + suffix for base in (FRT, NRT, RES)
                                                for suffix in CLOCK_SUFFIX.values())})
#: metrics kept per hour too (the hour-of-day bars, the heatmap, the hourly trend)
HOURLY_METRICS = frozenset({MSG_IN, CASE_NEW})
SLA_METRICS = ("first_response", "next_response", "resolution")
DONE = frozenset({"resolved", "closed"})
ACTIVE_FOR_HANDLING = frozenset({"new", "open"})
SPAM = "spam"


def duration_metric(base: str, clock: str) -> str:
    return base + CLOCK_SUFFIX[clock]


def guard_metric(rule: str, *, overridden: bool = False) -> str:
    """The metric of a guard rule's findings (or of those overridden), within the column's 32 characters."""
    return ((GUARD_OVERRIDDEN if overridden else GUARD) + rule)[:32]


def tag_metric(tag_id: int) -> str:
    return f"{TAG}{tag_id}"


# --- history (what the loader reads from the database) ------------------------------------------------------------


@dataclass(frozen=True)
class Msg:
    """A message of the case. ``answer_at``: for an outbound message, when it answered the customer (None: it does
    not count — see the module's rules); ``automatic``: an acknowledgement or a survey that went out."""

    id: int
    inbound: bool
    at: datetime  # when Compris stored it (the SLA's time for a customer message)
    visibility: str = "public"
    channel_account_id: int | None = None
    claimed: bool = False
    answer_at: datetime | None = None
    automatic_sent_at: datetime | None = None
    author_user_id: int | None = None
    language: str | None = None
    intent: str | None = None
    sentiment: str | None = None
    topic: str | None = None


@dataclass(frozen=True)
class Change:
    """A change on the case's timeline: ``kind`` ``status`` (``value``: the new status), ``assignee`` (the new
    assignee, None: unassigned) or ``team`` (the new team; ``previous``: the team before)."""

    at: datetime
    kind: str
    value: str | int | None
    actor_user_id: int | None = None
    previous: int | None = None


@dataclass(frozen=True)
class SurveyFact:
    sent_at: datetime | None
    answered: bool
    score: int | None
    satisfied: bool
    channel_account_id: int | None
    network: str | None
    agent_id: int | None
    team_id: int | None


@dataclass(frozen=True)
class EscalationFact:
    created_at: datetime
    created_by_id: int | None
    answered_at: datetime | None
    overdue_at: datetime | None


@dataclass(frozen=True)
class WaitFact:
    """An expected wait announced when the case (re)opened, and what the customer actually waited (None: no
    response yet)."""

    at: datetime
    channel_account_id: int | None
    predicted_s: int
    actual_s: int | None


@dataclass(frozen=True)
class GuardFact:
    """A finding of the reply guard on an agent's reply (kept whether the reply went out or was stopped)."""

    at: datetime
    user_id: int | None
    rule: str
    overridden: bool


@dataclass(frozen=True)
class BreachFact:
    metric: str
    cycle: int
    at: datetime
    policy_id: int | None


@dataclass(frozen=True)
class CaseHistory:
    case_id: int
    workspace_id: int
    team_id: int | None = None  # now
    assignee_id: int | None = None  # now
    intent: str | None = None  # the case's triage now
    sentiment: str | None = None
    language: str | None = None
    sla_policy_id: int | None = None
    messages: Sequence[Msg] = ()
    changes: Sequence[Change] = ()
    surveys: Sequence[SurveyFact] = ()
    escalations: Sequence[EscalationFact] = ()
    breaches: Sequence[BreachFact] = ()
    waits: Sequence[WaitFact] = ()
    guard: Sequence[GuardFact] = ()
    tags: Sequence[int] = ()  # the ids of the tags the case carries now


@dataclass(frozen=True)
class Context:
    """What the workspace decides: its time zone, the business calendar of the case's SLA policy (None: calendar
    time), the SLA metrics the policy tracks, the default response target and each account's network."""

    tz: ZoneInfo
    calendar: BusinessCalendar | None = None
    tracked: frozenset[str] = frozenset()
    target_s: int = 3600
    networks: Mapping[int, str] = field(default_factory=dict)


# --- output ------------------------------------------------------------------------------------------------------

#: (day ISO, hour, account, network, visibility, team, agent, intent, sentiment, language, topic, policy, metric,
#:  bucket)
Key = tuple[str, int, int, str, str, int, int, str, str, str, str, int, str, int]
KEY_FIELDS = ("day", "hour", "channel_account_id", "network", "visibility", "team_id", "agent_id", "intent",
              "sentiment", "language", "topic", "policy_id", "metric", "bucket")


@dataclass
class Summary:
    """What the drill-down filters a case on (``AnalyticsCase``'s columns)."""

    channel_account_id: int = 0
    network: str = ""
    visibility: str = ""
    team_id: int = 0
    agent_id: int = 0
    intent: str = ""
    sentiment: str = ""
    language: str = ""
    opened_at: datetime | None = None
    first_in_at: datetime | None = None
    last_in_at: datetime | None = None
    unanswered_at: datetime | None = None
    #: the earliest unanswered message while the case is new or open (as its timeline says): the backlog's oldest
    #: waiting, read through a partial index of these rows only
    waiting_since: datetime | None = None
    late_at: datetime | None = None
    first_response_at: datetime | None = None
    first_response_s: float | None = None
    resolved_at: datetime | None = None
    resolution_s: float | None = None
    reopened_at: datetime | None = None
    breached_at: datetime | None = None
    dissatisfied_at: datetime | None = None
    escalated_at: datetime | None = None
    escalation_overdue_at: datetime | None = None


@dataclass
class Contribution:
    entries: dict[Key, list[float]] = field(default_factory=dict)  # key -> [n, total]
    summary: Summary = field(default_factory=Summary)

    def as_rows(self) -> list[list[object]]:
        """JSON-friendly: one list per entry, the key's fields then n and total (sorted: stable)."""
        return [[*key, int(v[0]), round(v[1], 3)] for key, v in sorted(self.entries.items()) if v[0] or v[1]]


def entries_from_rows(rows: Sequence[Sequence[Any]]) -> dict[Key, list[float]]:
    out: dict[Key, list[float]] = {}
    for row in rows:
        key: Key = (str(row[0]), int(row[1]), int(row[2]), str(row[3]), str(row[4]), int(row[5]), int(row[6]),
                    str(row[7]), str(row[8]), str(row[9]), str(row[10]), int(row[11]), str(row[12]), int(row[13]))
        out[key] = [float(row[14]), float(row[15])]
    return out


def difference(old: Mapping[Key, Sequence[float]], new: Mapping[Key, Sequence[float]]) -> dict[Key, list[float]]:
    """``new - old`` per key, without the keys that did not move."""
    delta: dict[Key, list[float]] = {}
    for key in set(old) | set(new):
        o, n = old.get(key, (0.0, 0.0)), new.get(key, (0.0, 0.0))
        d = [n[0] - o[0], round(n[1] - o[1], 3)]
        if d[0] or d[1]:
            delta[key] = d
    return delta


# --- the computation -----------------------------------------------------------------------------------------------


def _s(value: str | None) -> str:
    return value or ""


class _Timeline:
    """Team and assignee at any instant, from the case's changes."""

    def __init__(self, history: CaseHistory) -> None:
        teams = [c for c in history.changes if c.kind == "team"]
        assignees = [c for c in history.changes if c.kind == "assignee"]
        self.team_times = [c.at for c in teams]
        self.teams = teams
        self.assignee_times = [c.at for c in assignees]
        self.assignees = assignees
        self.current_team = history.team_id
        self.current_assignee = history.assignee_id

    def team_at(self, at: datetime) -> int | None:
        if not self.teams:
            return self.current_team
        i = bisect.bisect_right(self.team_times, at)
        if i == 0:  # before the first routing: the team it came from, else the team it was first given
            first = self.teams[0]
            return first.previous if first.previous is not None else _int(first.value)
        return _int(self.teams[i - 1].value)

    def assignee_at(self, at: datetime) -> int | None:
        i = bisect.bisect_right(self.assignee_times, at)
        return _int(self.assignees[i - 1].value) if i else None

    def first_assignee(self) -> int | None:
        for change in self.assignees:
            if change.value is not None:
                return _int(change.value)
        return None


def _int(value: str | int | None) -> int | None:
    return int(value) if value is not None else None


@lru_cache(maxsize=1 << 16)
def _local(tz: ZoneInfo, minute: int) -> tuple[str, int]:
    """The local day (ISO) and hour of a UTC minute (offsets change on whole minutes only)."""
    loc = datetime.fromtimestamp(minute * 60, tz)
    return loc.date().isoformat(), loc.hour


class _Builder:
    def __init__(self, history: CaseHistory, ctx: Context) -> None:
        self.h = history
        self.ctx = ctx
        self.out = Contribution()
        #: each response cycle that stopped: (the answer's time, the message that started it, the answer)
        self.stops: list[tuple[datetime, Msg, Msg]] = []
        self.final_status = "new"
        self.last_resolution: datetime | None = None

    def local(self, at: datetime) -> tuple[str, int]:
        """The local day (ISO) and hour of an instant."""
        return _local(self.ctx.tz, int(at.timestamp()) // 60)

    def add(self, at: datetime, metric: str, *, value: float | None = None, account: int | None = None,
            visibility: str = "", team: int | None = None, agent: int | None = None, intent: str | None = None,
            sentiment: str | None = None, language: str | None = None, topic: str | None = None,
            policy: int | None = None, network: str | None = None) -> None:
        """Count one fact of ``metric`` at ``at`` (a duration or a score in ``value``) with its dimensions:
        ``account``, ``network`` (else the account's), ``visibility``, ``team``, ``agent``, ``intent``,
        ``sentiment``, ``language``, ``topic`` (kept for the volume only), ``policy``."""
        day, hour = _local(self.ctx.tz, int(at.timestamp()) // 60)
        bucket = bucket_of(value) if value is not None and metric in HISTOGRAMS else -1
        if network is None:
            network = self.ctx.networks.get(account, "") if account else ""
        key: Key = (day, hour if metric in HOURLY_METRICS else 0, int(account or 0), network,
                    visibility, int(team or 0), int(agent or 0), intent or "", sentiment or "", language or "",
                    (topic or "") if metric == MSG_IN else "", int(policy or 0), metric, bucket)
        cell = self.out.entries.get(key)
        if cell is None:
            self.out.entries[key] = [1.0, 0.0 + float(value or 0.0)]
        else:
            cell[0] += 1
            cell[1] += float(value or 0.0)

    def business(self, start: datetime, end: datetime) -> float:
        if self.ctx.calendar is None:
            return (end - start).total_seconds()
        return business_time_between(self.ctx.calendar, start, end).total_seconds()


def contribution(history: CaseHistory, ctx: Context) -> Contribution:
    """Everything this case adds to the rollups, and its drill-down summary."""
    b = _Builder(history, ctx)
    tl = _Timeline(history)
    h = history
    summary = b.out.summary
    case_dims: dict[str, Any] = {"intent": h.intent, "sentiment": h.sentiment, "language": h.language}
    customer = sorted((m for m in h.messages if m.inbound and not m.claimed and m.visibility != "note"),
                      key=lambda m: (m.at, m.id))
    answers = sorted(((m.answer_at, m) for m in h.messages if not m.inbound and m.answer_at is not None),
                     key=lambda p: (p[0], p[1].id))
    answer_times = [a for a, _m in answers]

    def answer_after(at: datetime) -> tuple[datetime, Msg] | None:
        i = bisect.bisect_left(answer_times, at)
        return answers[i] if i < len(answers) else None

    # answers and automatic messages, on the day they went out
    for at, m in answers:
        b.add(at, REPLY, account=m.channel_account_id, visibility=m.visibility, team=tl.team_at(at),
              agent=m.author_user_id, **case_dims)
    for m in h.messages:
        if not m.inbound and m.automatic_sent_at is not None:
            b.add(m.automatic_sent_at, AUTO, account=m.channel_account_id, visibility=m.visibility,
                  team=tl.team_at(m.automatic_sent_at), **case_dims)

    # customer messages: volume, the response rate and each message's wait
    for m in customer:
        answer = answer_after(m.at)
        agent = (answer[1].author_user_id if answer else h.assignee_id)
        dims: dict[str, Any] = {"account": m.channel_account_id, "visibility": m.visibility, "team": tl.team_at(m.at),
                "agent": agent, "intent": m.intent, "sentiment": m.sentiment, "language": m.language}
        b.add(m.at, MSG_IN, topic=m.topic, **dims)
        if m.intent == SPAM:
            continue
        b.add(m.at, NEEDS, **dims)
        if answer is None:
            summary.unanswered_at = summary.unanswered_at or m.at
            summary.late_at = summary.late_at or m.at
            continue
        wait = (answer[0] - m.at).total_seconds()
        b.add(m.at, RESPONDED, **dims)
        b.add(m.at, MSG_RT, value=wait, **dims)
        if wait <= ctx.target_s:
            b.add(m.at, IN_TARGET, **dims)
        else:
            summary.late_at = summary.late_at or m.at

    if customer:
        first = customer[0]
        summary.first_in_at, summary.last_in_at = first.at, customer[-1].at
        summary.opened_at = first.at
        b.add(first.at, CASE_NEW, account=first.channel_account_id, visibility=first.visibility,
              team=tl.team_at(first.at), agent=tl.first_assignee(), topic=first.topic, **case_dims)
        summary.channel_account_id = int(first.channel_account_id or 0)
        summary.network = ctx.networks.get(first.channel_account_id, "") if first.channel_account_id else ""
        summary.visibility = first.visibility

    _response_cycles(b, tl, customer, answer_after, case_dims)
    _resolutions(b, tl, customer, case_dims)
    _handling(b, h)
    _sla(b, tl, case_dims)
    _surveys_and_escalations(b, tl, case_dims)
    _waits_guard_and_tags(b, tl, customer, answer_after, case_dims)

    summary.team_id = int(h.team_id or 0)
    summary.agent_id = int(h.assignee_id or 0)
    summary.intent, summary.sentiment, summary.language = _s(h.intent), _s(h.sentiment), _s(h.language)
    summary.waiting_since = summary.unanswered_at if b.final_status in ACTIVE_FOR_HANDLING else None
    return b.out


def _response_cycles(b: _Builder, tl: _Timeline, customer: Sequence[Msg],
                     answer_after: Callable[[datetime], tuple[datetime, Msg] | None],
                     case_dims: dict[str, Any]) -> None:
    """First response (cycle 0) and next responses: a cycle starts at a customer message with no cycle running and
    stops at the first answer at or after it (a cycle still running counts nothing yet)."""
    stops = b.stops
    last_stop: datetime | None = None
    for m in customer:
        if last_stop is not None and m.at <= last_stop:
            continue  # answered by the answer that closed the previous cycle
        answer = answer_after(m.at)
        if answer is None:
            break
        stops.append((answer[0], m, answer[1]))
        last_stop = answer[0]
    for index, (stop, start, reply) in enumerate(stops):
        base = FRT if index == 0 else NRT
        calendar_s = (stop - start.at).total_seconds()
        dims: dict[str, Any] = {"account": start.channel_account_id, "visibility": start.visibility,
                                "team": tl.team_at(stop), "agent": reply.author_user_id, **case_dims}
        b.add(stop, base + "_c", value=calendar_s, **dims)
        b.add(stop, base + "_b", value=b.business(start.at, stop), **dims)
        if index == 0:
            b.out.summary.first_response_at = stop
            b.out.summary.first_response_s = calendar_s


def _resolutions(b: _Builder, tl: _Timeline, customer: Sequence[Msg], case_dims: dict[str, Any]) -> None:
    """Resolution cycles: from the customer message (or the reopening) that started it to resolved/closed."""
    events: list[tuple[datetime, int, object]] = [(m.at, 0, m) for m in customer]
    events += [(c.at, 1, c) for c in b.h.changes if c.kind == "status"]
    events.sort(key=lambda e: (e[0], e[1]))
    start: tuple[datetime, Msg | None] | None = None
    status = "new"
    resolved_once = False
    first_msg: Msg | None = customer[0] if customer else None
    last_resolution: datetime | None = None
    for at, _order, item in events:
        if isinstance(item, Msg):
            if start is None:
                if resolved_once:
                    b.add(at, REOPENED, account=item.channel_account_id, visibility=item.visibility,
                          team=tl.team_at(at), agent=tl.assignee_at(at), **case_dims)
                    b.out.summary.reopened_at = at
                start = (at, item)
            if status in DONE:
                status = "open"
            continue
        assert isinstance(item, Change)
        new = str(item.value)
        if new in DONE and status not in DONE and start is not None:
            began, msg = start
            ref = msg or first_msg
            agent = item.actor_user_id if item.actor_user_id is not None else tl.assignee_at(at)
            dims: dict[str, Any] = {"account": ref.channel_account_id if ref else None,
                    "visibility": ref.visibility if ref else "", "team": tl.team_at(at), "agent": agent, **case_dims}
            calendar_s = (at - began).total_seconds()
            b.add(at, RESOLVED, **dims)
            b.add(at, RES + "_c", value=calendar_s, **dims)
            b.add(at, RES + "_b", value=b.business(began, at), **dims)
            b.out.summary.resolved_at, b.out.summary.resolution_s = at, calendar_s
            resolved_once = True
            last_resolution = at
            start = None
        elif new not in DONE and status in DONE and start is None and resolved_once:
            b.add(at, REOPENED, team=tl.team_at(at), agent=item.actor_user_id, **case_dims)
            b.out.summary.reopened_at = at
            start = (at, None)  # an agent reopened it: the customer's wait starts again now
        status = new
    b.final_status = status
    b.last_resolution = last_resolution


def _handling(b: _Builder, h: CaseHistory) -> None:
    """Handle time: while a case is assigned to an agent and new or open, that time is the agent's; counted when
    the stretch ends (reassignment, a wait, a snooze, a resolution)."""
    changes = sorted((c for c in h.changes if c.kind in ("status", "assignee")), key=lambda c: c.at)
    status, assignee = "new", None
    since: datetime | None = None
    team_tl = _Timeline(h)
    for change in changes:
        if since is not None and assignee is not None and status in ACTIVE_FOR_HANDLING:
            seconds = (change.at - since).total_seconds()
            if seconds > 0:
                b.add(change.at, HANDLE, team=team_tl.team_at(change.at), agent=assignee, value=seconds,
                      intent=h.intent, sentiment=h.sentiment, language=h.language)
        if change.kind == "status":
            status = str(change.value)
        else:
            assignee = _int(change.value)
        since = change.at


def _sla(b: _Builder, tl: _Timeline, case_dims: dict[str, Any]) -> None:
    """Breaches as the SLA recorded them; met: a cycle stopped without a breach of that (metric, cycle), for the
    metrics the case's policy tracks."""
    h = b.h
    broken = {(x.metric, x.cycle) for x in h.breaches}
    for x in h.breaches:
        b.add(x.at, f"{SLA_BREACH}:{x.metric}", team=tl.team_at(x.at), agent=tl.assignee_at(x.at),
              policy=x.policy_id, **case_dims)
        b.out.summary.breached_at = max(filter(None, [b.out.summary.breached_at, x.at]))
    policy = h.sla_policy_id
    if policy is None:
        return
    for index, (stop, _start, reply) in enumerate(b.stops):
        metric, cycle = ("first_response", 0) if index == 0 else ("next_response", index - 1)
        if metric in b.ctx.tracked and (metric, cycle) not in broken:
            b.add(stop, f"{SLA_MET}:{metric}", team=tl.team_at(stop), agent=reply.author_user_id, policy=policy,
                  **case_dims)
    final, last = b.final_status, b.last_resolution
    if ("resolution" in b.ctx.tracked and final in DONE and last is not None
            and ("resolution", 0) not in broken):
        b.add(last, f"{SLA_MET}:resolution", team=tl.team_at(last), agent=tl.assignee_at(last), policy=policy,
              **case_dims)


def _surveys_and_escalations(b: _Builder, tl: _Timeline, case_dims: dict[str, Any]) -> None:
    for s in b.h.surveys:
        if s.sent_at is None:
            continue
        dims: dict[str, Any] = {"account": s.channel_account_id, "network": s.network or None, "team": s.team_id,
                "agent": s.agent_id, **case_dims}
        b.add(s.sent_at, CSAT_SENT, **dims)
        if s.answered and s.score is not None:
            b.add(s.sent_at, CSAT_ANSWERED, value=float(s.score), **dims)
            if s.satisfied:
                b.add(s.sent_at, CSAT_SATISFIED, **dims)
            else:
                b.out.summary.dissatisfied_at = max(filter(None, [b.out.summary.dissatisfied_at, s.sent_at]))
    for e in b.h.escalations:
        dims = {"team": tl.team_at(e.created_at), "agent": e.created_by_id, **case_dims}
        b.add(e.created_at, ESC_CREATED, **dims)
        b.out.summary.escalated_at = max(filter(None, [b.out.summary.escalated_at, e.created_at]))
        if e.answered_at is not None:
            b.add(e.answered_at, ESC_RESPONSE, value=(e.answered_at - e.created_at).total_seconds(),
                  **dims)
        if e.overdue_at is not None:
            b.add(e.overdue_at, ESC_OVERDUE, **dims)
            b.out.summary.escalation_overdue_at = max(filter(None, [b.out.summary.escalation_overdue_at,
                                                                   e.overdue_at]))


def _waits_guard_and_tags(b: _Builder, tl: _Timeline, customer: Sequence[Msg],
                          answer_after: Callable[[datetime], tuple[datetime, Msg] | None],
                          case_dims: dict[str, Any]) -> None:
    """The expected waits announced (on the day announced: the account announced on, the team then, the agent who
    answered, else the case's assignee now), the guard's findings (on their day: the agent who wrote the reply,
    the team then, the account of the customer's latest message before it) and the tags of a new case (with its
    opening: the same dimensions as the new case)."""
    h = b.h
    for w in h.waits:
        answer = answer_after(w.at)
        dims: dict[str, Any] = {"account": w.channel_account_id, "team": tl.team_at(w.at),
                                "agent": answer[1].author_user_id if answer else h.assignee_id, **case_dims}
        b.add(w.at, WAIT_ANNOUNCED, value=float(w.predicted_s), **dims)
        if w.actual_s is not None:
            b.add(w.at, WAIT_ACTUAL, value=float(w.actual_s), **dims)
            b.add(w.at, WAIT_ERROR, value=float(abs(w.actual_s - w.predicted_s)), **dims)
            if w.actual_s <= w.predicted_s:
                b.add(w.at, WAIT_WITHIN, **dims)
    times = [m.at for m in customer]
    for g in h.guard:
        i = bisect.bisect_right(times, g.at)
        before = customer[i - 1] if i else (customer[0] if customer else None)
        dims = {"account": before.channel_account_id if before else None,
                "visibility": before.visibility if before else "", "team": tl.team_at(g.at), "agent": g.user_id,
                **case_dims}
        b.add(g.at, guard_metric(g.rule), **dims)
        if g.overridden:
            b.add(g.at, guard_metric(g.rule, overridden=True), **dims)
    if customer and h.tags:
        first = customer[0]
        for tag_id in sorted(set(h.tags)):
            b.add(first.at, tag_metric(tag_id), account=first.channel_account_id, visibility=first.visibility,
                  team=tl.team_at(first.at), agent=tl.first_assignee(), **case_dims)


def totals(entries: Mapping[Key, Sequence[float]]) -> dict[str, list[float]]:
    """``metric -> [n, total]`` summed over every other field (tests and the rebuild's check)."""
    out: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for key, (n, total) in entries.items():
        out[key[12]][0] += n
        out[key[12]][1] += total
    return dict(out)

