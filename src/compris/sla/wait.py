"""The expected wait per channel account, published (JSON, SVG badge), announced (automatic
acknowledgement) and checked against the first responses actually given.

Inputs of ``prediction.expected_wait`` and where they come from:

* **queue ahead**: active cases (new/open) last seen on this account still waiting for a first response;
* **online agents**: online members of the teams that may receive this account's cases (a rule naming the
  account or its network, a rule with no channel condition, or the default team); every online agent when
  the workspace has no team;
* **handle times** (agent time per case): *busy* samples only (the time between an agent's consecutive first
  answers when the next case was already waiting), so that it does not fall as the queue grows (:func:`handle_times`);
* **first-response times** of this account's cases over the last 4 weeks (the workspace's for a quiet account);
  fewer than ``MIN_HISTORY``: the wait is unknown ("we don't know yet"), never a guess.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from compris import timeline
from compris.connectors.base import Visibility
from compris.inbox import actions as inbox_actions
from compris.kit.clock import now
from compris.kit.errors import Conflict, Invalid
from compris.live import Publisher
from compris.models import (
    AgentProfile,
    Case,
    CaseStatus,
    ChannelAccount,
    Direction,
    Message,
    Presence,
    RoutingRule,
    Team,
    TeamMember,
    WaitPrediction,
    WaitPublication,
)
from compris.routing.assignment import ONLINE_TIMEOUT
from compris.sla.prediction import MIN_HISTORY, expected_wait

#: how far back the handling time and the first-response times are read (the latest ``SAMPLE`` of them): four weeks,
#: so that a quiet desk has enough history; a busy one uses its latest 500 answers, a few days
WINDOW = timedelta(days=28)
HANDLE_CAP = timedelta(hours=1)
SAMPLE = 500


@dataclass(frozen=True)
class WaitEstimate:
    wait: timedelta | None
    queue_ahead: int
    online_agents: int
    computed_at: datetime
    #: how many first responses of the window it learnt from (below ``MIN_HISTORY``: unknown, "we don't know yet")
    history: int = 0

    @property
    def unknown_because(self) -> str | None:
        """Why there is no figure: ``learning`` (too little history yet), ``offline`` (no agent online)."""
        if self.wait is not None:
            return None
        return "learning" if self.history < MIN_HISTORY else "offline" if self.online_agents <= 0 else "learning"

    @property
    def minutes(self) -> int | None:
        return None if self.wait is None else rounded_minutes(self.wait)


def rounded_minutes(wait: timedelta) -> int:
    """What we tell customers: whole minutes, at least 1; nearest 5 above 10 minutes."""
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return minutes if minutes <= 10 else int(5 * round(minutes / 5))


def serving_teams(session: Session, account: ChannelAccount) -> set[int]:
    return serving_teams_of(account, *routing_of(session, account.workspace_id))


def routing_of(session: Session, workspace_id: int) -> tuple[list[RoutingRule], set[int]]:
    """The workspace's active routing rules and default teams: what :func:`serving_teams_of` needs, read once for
    many accounts."""
    rules = list(session.scalars(select(RoutingRule).where(RoutingRule.workspace_id == workspace_id,
                                                           RoutingRule.is_active.is_(True))))
    defaults = set(session.scalars(select(Team.id).where(Team.workspace_id == workspace_id,
                                                         Team.is_default.is_(True))))
    return rules, defaults


def serving_teams_of(account: ChannelAccount, rules: list[RoutingRule], defaults: set[int]) -> set[int]:
    """The teams whose active rules can route the account's cases, and the default teams."""
    teams: set[int] = set()
    for rule in rules:
        c = rule.conditions or {}
        ids = {int(i) for i in c.get("channel_account_ids") or ()}
        nets = {str(n).lower() for n in c.get("networks") or ()}
        if (not ids or account.id in ids) and (not nets or account.network.lower() in nets):
            teams.add(rule.team_id)
    return teams | defaults


def online_agents(session: Session, account: ChannelAccount, at: datetime) -> int:
    return _online(session, account, at, serving_teams(session, account))


def _online(session: Session, account: ChannelAccount, at: datetime, teams: set[int]) -> int:
    query = select(func.count(func.distinct(AgentProfile.user_id))).where(
        AgentProfile.workspace_id == account.workspace_id, AgentProfile.presence == Presence.ONLINE,
        AgentProfile.last_seen_at >= at - ONLINE_TIMEOUT,
    )
    if teams:
        query = query.join(TeamMember, TeamMember.user_id == AgentProfile.user_id).where(
            TeamMember.team_id.in_(teams))
    return int(session.scalar(query) or 0)


def queue_ahead(session: Session, account: ChannelAccount, exclude_case_id: int | None = None) -> int:
    query = select(func.count()).select_from(Case).where(
        Case.workspace_id == account.workspace_id, Case.last_channel_account_id == account.id,
        Case.status.in_((CaseStatus.NEW, CaseStatus.OPEN)), Case.first_response_at.is_(None),
    )
    if exclude_case_id is not None:
        query = query.where(Case.id != exclude_case_id)
    return int(session.scalar(query) or 0)


#: busy samples needed before the idle ones are left out of the handling time
MIN_BUSY = 5


def handle_times(session: Session, workspace_id: int, at: datetime) -> list[timedelta]:
    """Agent time per case (the handling rate is ``agents / mean``), measured where it does not depend on the queue.

    For each first response of the window, by its agent, in order: when the case was **already waiting** when the
    agent gave their previous first response, the agent went from one case to the next, so the time between the
    two answers is all work on this case (a *busy* sample). When the case arrived later, the agent was free and
    the time from its arrival also holds their pick-up delay (an *idle* sample, longer). Mixing both made the
    estimate *fall* as the queue grew (more and more samples are busy ones): only busy samples are used once there
    are ``MIN_BUSY`` of them; before that, both (the longer, safer figure). Each is capped at one hour."""
    rows = session.execute(
        select(Case.assignee_id, Case.first_inbound_at, Case.first_response_at)
        .where(Case.workspace_id == workspace_id, Case.first_response_at >= at - WINDOW,
               Case.first_response_at <= at, Case.assignee_id.is_not(None), Case.first_inbound_at.is_not(None))
        .order_by(Case.first_response_at.desc()).limit(SAMPLE)
    ).all()
    known = [(int(u), a, b) for u, a, b in rows if u is not None and a is not None and b is not None]
    return service_samples(known)


def service_samples(answers: list[tuple[int, datetime, datetime]]) -> list[timedelta]:
    """:func:`handle_times` from (agent, arrived, first answered) triples, pure."""
    busy: list[timedelta] = []
    idle: list[timedelta] = []
    last: dict[int, datetime] = {}
    for assignee, arrived, answered in sorted(answers, key=lambda r: r[2]):
        previous = last.get(assignee)
        last[assignee] = answered
        if previous is not None and arrived <= previous:
            if answered > previous:
                busy.append(min(answered - previous, HANDLE_CAP))
        elif answered > arrived:
            idle.append(min(answered - arrived, HANDLE_CAP))
    return busy if len(busy) >= MIN_BUSY else busy + idle


def first_response_times(session: Session, account: ChannelAccount, at: datetime) -> list[timedelta]:
    rows = session.execute(
        select(Case.first_inbound_at, Case.first_response_at)
        .where(Case.workspace_id == account.workspace_id, Case.last_channel_account_id == account.id,
               Case.first_response_at >= at - WINDOW, Case.first_response_at <= at,
               Case.first_inbound_at.is_not(None))
        .order_by(Case.first_response_at.desc()).limit(SAMPLE)
    ).all()
    return [b - a for a, b in rows if a is not None and b is not None and b >= a]


def workspace_first_response_times(session: Session, workspace_id: int, at: datetime) -> list[timedelta]:
    rows = session.execute(
        select(Case.first_inbound_at, Case.first_response_at)
        .where(Case.workspace_id == workspace_id, Case.first_response_at >= at - WINDOW,
               Case.first_response_at <= at, Case.first_inbound_at.is_not(None))
        .order_by(Case.first_response_at.desc()).limit(SAMPLE)
    ).all()
    return [b - a for a, b in rows if a is not None and b is not None and b >= a]


def estimate(session: Session, account: ChannelAccount, *, exclude_case_id: int | None = None,
             at: datetime | None = None) -> WaitEstimate:
    return estimates(session, [account], exclude_case_id=exclude_case_id, at=at)[0]


def estimates(session: Session, accounts: list[ChannelAccount], *, exclude_case_id: int | None = None,
              at: datetime | None = None) -> list[WaitEstimate]:
    """:func:`estimate` for each account (of one workspace), at the same instant: what depends only on the
    workspace (the handling times, the routing, the workspace's first responses) is read once, not per account."""
    at = at or now()
    routing: tuple[list[RoutingRule], set[int]] | None = None
    handle: list[timedelta] | None = None
    quiet_history: list[timedelta] | None = None
    out = []
    for account in accounts:
        ahead = queue_ahead(session, account, exclude_case_id)
        routing = routing or routing_of(session, account.workspace_id)
        agents = _online(session, account, at, serving_teams_of(account, *routing))
        history = first_response_times(session, account, at)
        if len(history) < MIN_HISTORY:
            # a quiet (or new) account: the workspace's first responses, if the team has answered enough of them
            if quiet_history is None:
                quiet_history = workspace_first_response_times(session, account.workspace_id, at)
            history = quiet_history
        if handle is None:
            handle = handle_times(session, account.workspace_id, at)
        wait = expected_wait(ahead, agents, handle, history, min_history=MIN_HISTORY)
        out.append(WaitEstimate(wait, ahead, agents, at, len(history)))
    return out


# --- publication ---------------------------------------------------------------------------------


def publication_for(session: Session, account: ChannelAccount, *, create: bool = False) -> WaitPublication | None:
    pub = session.scalar(select(WaitPublication).where(WaitPublication.channel_account_id == account.id))
    if pub is None and create:
        pub = WaitPublication(workspace_id=account.workspace_id, channel_account_id=account.id,
                              public_id="w_" + secrets.token_urlsafe(18), auto_ack=False)
        session.add(pub)
        session.flush()
    return pub


def by_public_id(session: Session, public_id: str) -> tuple[WaitPublication, ChannelAccount] | None:
    if not public_id.startswith("w_") or len(public_id) > 40:
        return None
    row = session.execute(
        select(WaitPublication, ChannelAccount)
        .join(ChannelAccount, ChannelAccount.id == WaitPublication.channel_account_id)
        .where(WaitPublication.public_id == public_id, ChannelAccount.is_active.is_(True))
    ).first()
    return (row[0], row[1]) if row else None


_cache: dict[int, tuple[float, WaitEstimate]] = {}
_cache_lock = threading.Lock()
CACHE_SECONDS = 30.0


def cached_estimate(session: Session, account: ChannelAccount) -> WaitEstimate:
    """The public endpoints recompute at most every 30 s per account (they are unauthenticated)."""
    t = time.monotonic()
    with _cache_lock:
        hit = _cache.get(account.id)
    if hit is not None and t - hit[0] < CACHE_SECONDS:
        return hit[1]
    value = estimate(session, account)
    with _cache_lock:
        _cache[account.id] = (t, value)
    return value


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


# --- predictions and automatic acknowledgement ---------------------------------------------------

ACK_TEXT = {
    "en": ("We have received your message; our current response time is about {wait}.",
           "We have received your message and will answer as soon as we can."),
    "fr": ("Nous avons bien reçu votre message ; notre délai de réponse actuel est d'environ {wait}.",
           "Nous avons bien reçu votre message et vous répondrons dès que possible."),
}


def human_wait(minutes: int, language: str) -> str:
    fr = language == "fr"
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes > 1 else ''}"
    hours = round(minutes / 60)
    word = ("heure" if fr else "hour") + ("s" if hours > 1 else "")
    return f"{hours} {word}"


def ack_text(language: str | None, minutes: int | None) -> str:
    lang = "fr" if (language or "").lower().startswith("fr") else "en"
    known, unknown = ACK_TEXT[lang]
    return known.format(wait=human_wait(minutes, lang)) if minutes is not None else unknown


def on_case_opened(session: Session, publisher: Publisher, case: Case, message: Message,
                   account: ChannelAccount) -> WaitPrediction | None:
    """A case opened (or reopened): record the expected wait; acknowledge when the account asks for it."""
    est = estimate(session, account, exclude_case_id=case.id)
    prediction = None
    if est.wait is not None:
        prediction = WaitPrediction(workspace_id=case.workspace_id, case_id=case.id, channel_account_id=account.id,
                                    predicted_s=int(est.wait.total_seconds()))
        session.add(prediction)
    pub = publication_for(session, account)
    if pub is not None and pub.auto_ack:
        send_ack(session, publisher, case, message, ack_text(case.language, est.minutes))
    return prediction


def on_first_reply(session: Session, case: Case) -> None:
    """An agent's reply was sent (``ReplySent``, not when it was queued): the open predictions of this case get
    their actual wait."""
    t = now()
    for p in session.scalars(select(WaitPrediction).where(WaitPrediction.case_id == case.id,
                                                          WaitPrediction.actual_s.is_(None))):
        p.actual_s = max(0, int((t - p.created_at).total_seconds()))


def accuracy(session: Session, workspace_id: int, at: datetime | None = None) -> tuple[timedelta | None, int]:
    """Median absolute error of the last 4 weeks' predictions that have an actual, and how many there were (the
    first two figures of :func:`accuracy_report`)."""
    report = accuracy_report(session, workspace_id, at)
    return report.median_error, report.scored


def send_ack(session: Session, publisher: Publisher, case: Case, message: Message, text: str) -> Message | None:
    """Queue the acknowledgement through the one outbox path (``inbox.actions.queue_outbound``, origin
    ``auto_ack``: the network's own length counting, its reply window, the live event; sent by the send job,
    exactly once per customer message).

    It answers in the customer's message's own thread and visibility; it is no agent's reply, so it neither
    assigns the case nor stops the first-response clock. Skipped (never an error) when the network refuses
    (length limit, closed reply window) or when this message was already acknowledged."""
    if message.thread_id is None or message.visibility not in (Visibility.PUBLIC, Visibility.PRIVATE):
        return None
    answers = session.execute(select(Message.author_user_id, Message.platform_extra).where(
        Message.reply_to_message_id == message.id, Message.direction == Direction.OUTBOUND))
    if any(author is None and (extra or {}).get("auto_ack") for author, extra in answers):
        return None
    try:
        ack = inbox_actions.queue_outbound(
            session, publisher, case=case, text=text, visibility=message.visibility, origin="auto_ack", actor=None,
            reply_to_message_id=message.id, idempotency_key=f"ack:{message.id}",
        )
    except (Invalid, Conflict):
        return None
    timeline.auto_acknowledged(session, case, message_id=ack.id)
    return ack


def set_publication(session: Session, account: ChannelAccount, *, auto_ack: bool | None = None,
                    regenerate: bool = False) -> WaitPublication:
    pub = publication_for(session, account, create=True)
    assert pub is not None
    if auto_ack is not None:
        pub.auto_ack = auto_ack
    if regenerate:
        pub.public_id = "w_" + secrets.token_urlsafe(18)
    if not pub.public_id.startswith("w_"):
        raise Invalid("bad public id")
    return pub


def brand_name(session: Session, workspace_id: int) -> str:
    """The brand's name shown on the public expected-wait page (the workspace's name)."""
    from compris.models import Workspace

    workspace = session.get(Workspace, workspace_id)
    return workspace.name if workspace is not None else ""


@dataclass(frozen=True)
class Accuracy:
    """How the expected waits announced in the window compared with the first responses actually given."""

    scored: int  # predictions with an actual first response
    pending: int  # predictions still waiting for one
    median_error: timedelta | None  # median |predicted - actual|
    median_bias: timedelta | None  # median (predicted - actual): > 0 we announced too long, < 0 too short
    within: int  # answered within 15 minutes or 50 % of what was announced

    @property
    def within_share(self) -> float | None:
        return self.within / self.scored if self.scored else None


def accuracy_report(session: Session, workspace_id: int, at: datetime | None = None) -> Accuracy:
    """The prediction error of the last four weeks (``WaitPrediction``: predicted at arrival, actual at the first
    answer sent), shown to supervisors: counts over the whole window, medians over its latest
    :data:`MEDIAN_SAMPLE` answered predictions (a median of 20,000 moves by seconds, and the page's cost then does
    not grow with the volume)."""
    at = at or now()
    window = (WaitPrediction.workspace_id == workspace_id, WaitPrediction.created_at >= at - WINDOW)
    if session.get_bind().dialect.name == "postgresql":  # counted by the database: one row back, not one a case
        return _accuracy_in_sql(session, window)
    rows = session.execute(select(WaitPrediction.predicted_s, WaitPrediction.actual_s).where(*window)
                           .order_by(WaitPrediction.created_at.desc(), WaitPrediction.id.desc())).all()
    return accuracy_of([(int(p), None if a is None else int(a)) for p, a in rows])


#: the supervisor's median error and bias are those of at most this many predictions, the latest answered
MEDIAN_SAMPLE = 20_000


def accuracy_of(rows: list[tuple[int, int | None]]) -> Accuracy:
    """:class:`Accuracy` of ``(predicted_s, actual_s or None)`` pairs, newest first, pure."""
    import statistics

    pairs = [(p, a) for p, a in rows if a is not None]
    pending = sum(1 for _p, a in rows if a is None)
    if not pairs:
        return Accuracy(0, pending, None, None, 0)
    latest = pairs[:MEDIAN_SAMPLE]
    errors = [abs(p - a) for p, a in latest]
    bias = [p - a for p, a in latest]
    within = sum(1 for p, a in pairs if abs(p - a) <= max(15 * 60, 0.5 * p))
    return Accuracy(len(pairs), pending, timedelta(seconds=statistics.median(errors)),
                    timedelta(seconds=statistics.median(bias)), within)


def _accuracy_in_sql(session: Session, window: tuple[ColumnElement[bool], ...]) -> Accuracy:
    """:func:`accuracy_report` computed by PostgreSQL (the medians are ``percentile_cont(0.5)``, the mean of the two
    middle values for an even count, as ``statistics.median``); the window's rows read from the index alone
    (``ix_wait_predictions_ws_created`` carries both figures)."""
    predicted, actual = WaitPrediction.predicted_s, WaitPrediction.actual_s
    answered = actual.is_not(None)
    error = func.abs(predicted - actual)
    scored, pending, within = session.execute(select(
        func.count().filter(answered),
        func.count().filter(actual.is_(None)),
        func.count().filter(answered, error <= func.greatest(15 * 60, 0.5 * predicted)),
    ).where(*window)).one()
    if not scored:
        return Accuracy(0, int(pending), None, None, 0)
    latest = (select((predicted - actual).label("bias")).where(*window, answered)
              .order_by(WaitPrediction.created_at.desc(), WaitPrediction.id.desc()).limit(MEDIAN_SAMPLE).subquery())
    median_error, median_bias = session.execute(select(
        func.percentile_cont(0.5).within_group(func.abs(latest.c.bias)),
        func.percentile_cont(0.5).within_group(latest.c.bias))).one()
    return Accuracy(int(scored), int(pending), timedelta(seconds=float(median_error)),
                    timedelta(seconds=float(median_bias)), int(within))
