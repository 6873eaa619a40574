"""Results of the satisfaction surveys: CSAT, average rating, answers, surveys sent and the response rate, per
agent, team, network, channel account or period, plus the reads of the public survey page.

**Cohort**: a survey counts in the range (and the period) in which it was *sent* (``sent_at``); its answer, whenever
it came, counts with it. So the response rate of a period is "of the surveys sent then, how many were answered"
(never above 100 %), and a late answer does not move a survey from one period to another.

* ``sent``: surveys that went out (state ``sent`` or ``answered``);
* ``answered``: those with a rating; ``response_rate`` = answered / sent;
* ``satisfied``: answers on the top two points of their scale (``parsing.satisfied``); ``csat`` = satisfied /
  answered, in percent;
* ``average``: the mean rating (1–5), ``average_score``: the mean 0–100 score.

Every figure whose denominator is zero is ``None`` (the UI shows "—"), never a division by zero. Everything is
aggregated by the database (``GROUP BY``); periods are cut in the workspace's time zone (DST included) by
comparing ``sent_at`` with each period's UTC start, so SQLite and PostgreSQL give the same answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from compris.kit.clock import now
from compris.kit.errors import Invalid
from compris.models import (
    Case,
    ChannelAccount,
    Survey,
    SurveySettings,
    SurveyState,
    Team,
    User,
    Workspace,
)
from compris.surveys import parsing

GROUPS = ("agent", "team", "network", "account", "period")
PERIODS = ("day", "week", "month")
MAX_PERIODS = 400  # the most periods one answer cuts (a bit over a year of days)
MAX_RANGE_DAYS = 3 * 366
DEFAULT_DAYS = 30
SENT_STATES = (SurveyState.SENT, SurveyState.ANSWERED)


@dataclass(frozen=True)
class Figures:
    sent: int
    answered: int
    satisfied: int
    rating_sum: int
    score_sum: int

    @property
    def response_rate(self) -> float | None:
        return round(self.answered * 100 / self.sent, 1) if self.sent else None

    @property
    def csat(self) -> float | None:
        return round(self.satisfied * 100 / self.answered, 1) if self.answered else None

    @property
    def average(self) -> float | None:
        return round(self.rating_sum / self.answered, 2) if self.answered else None

    @property
    def average_score(self) -> float | None:
        return round(self.score_sum / self.answered, 1) if self.answered else None


@dataclass(frozen=True)
class Row:
    """One group's figures: ``key`` is its id (agent, team, account), name (network) or start date (period);
    ``None`` gathers the surveys with no agent / team / account."""

    key: int | str | None
    label: str
    figures: Figures


@dataclass(frozen=True)
class Results:
    group_by: str
    period: str
    start: date  # first local day, included
    end: date  # last local day, included
    timezone: str
    total: Figures
    rows: list[Row]


def zone_of(session: Session, workspace_id: int) -> ZoneInfo:
    workspace = session.get(Workspace, workspace_id)
    try:
        return ZoneInfo(workspace.timezone if workspace is not None else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant a local day starts (DST-aware)."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def default_range(zone: ZoneInfo, at: datetime | None = None) -> tuple[date, date]:
    today = (at or now()).astimezone(zone).date()
    return today - timedelta(days=DEFAULT_DAYS - 1), today


def resolve_range(zone: ZoneInfo, start: date | None, end: date | None) -> tuple[date, date]:
    """Both days given: as they are; one: the 30 days from / up to it; none: the last 30 days."""
    if start is None and end is None:
        start, end = default_range(zone)
    elif start is None:
        assert end is not None
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    elif end is None:
        end = start + timedelta(days=DEFAULT_DAYS - 1)
    check_range(start, end)
    return start, end


def check_range(start: date, end: date) -> None:
    if end < start:
        raise Invalid("the range ends before it starts")
    if (end - start).days > MAX_RANGE_DAYS:
        raise Invalid(f"the range is too long (at most {MAX_RANGE_DAYS} days)")


def period_start(day: date, period: str) -> date:
    if period == "week":  # ISO weeks: Monday
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _next_period(day: date, period: str) -> date:
    if period == "week":
        return day + timedelta(days=7)
    if period == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


def period_starts(start: date, end: date, period: str) -> list[date]:
    """The local first days of the periods that meet [start, end]."""
    out: list[date] = []
    day = period_start(start, period)
    while day <= end:
        out.append(day)
        if len(out) > MAX_PERIODS:
            raise Invalid(f"too many periods: choose a longer period or a shorter range (at most {MAX_PERIODS})")
        day = _next_period(day, period)
    return out


def satisfied_clause() -> ColumnElement[bool]:
    """SQL: the survey's answer is on the top two points of its scale (as ``parsing.satisfied``)."""
    known = [and_(Survey.scale == name, Survey.rating >= top - 1) for name, top in parsing.SCALES.items()]
    fallback = and_(Survey.scale.not_in(list(parsing.SCALES)), Survey.rating >= parsing.points("") - 1)
    return or_(*known, fallback)


def _sent_filters(workspace_id: int, since: datetime, until: datetime) -> tuple[ColumnElement[bool], ...]:
    return (Survey.workspace_id == workspace_id, Survey.sent_at.is_not(None), Survey.sent_at >= since,
            Survey.sent_at < until, Survey.state.in_(SENT_STATES))


def _aggregates() -> list[Any]:
    answered = Survey.rating.is_not(None)
    return [
        func.count(Survey.id),
        func.count(Survey.rating),
        func.coalesce(func.sum(case((and_(answered, satisfied_clause()), 1), else_=0)), 0),
        func.coalesce(func.sum(Survey.rating), 0),
        func.coalesce(func.sum(Survey.score), 0),
    ]


def _figures(values: Sequence[Any]) -> Figures:
    sent, answered, satisfied, rating_sum, score_sum = (int(v or 0) for v in values)
    return Figures(sent, answered, satisfied, rating_sum, score_sum)


def results(session: Session, workspace_id: int, *, group_by: str = "agent", period: str = "week",
            start: date | None = None, end: date | None = None) -> Results:
    """The figures of the surveys sent from local day ``start`` to ``end`` (both included; default: the last 30
    days), one row per ``group_by`` value (``period``: one per ``day``/``week``/``month``, empty periods
    included), in the workspace's time zone."""
    if group_by not in GROUPS:
        raise Invalid(f"group_by is one of {', '.join(GROUPS)}")
    if period not in PERIODS:
        raise Invalid(f"period is one of {', '.join(PERIODS)}")
    zone = zone_of(session, workspace_id)
    start, end = resolve_range(zone, start, end)
    since, until = local_midnight(start, zone), local_midnight(end + timedelta(days=1), zone)
    where = _sent_filters(workspace_id, since, until)
    total = _figures(session.execute(select(*_aggregates()).where(*where)).one())
    rows = _grouped(session, workspace_id, group_by, period, start, end, zone, where)
    return Results(group_by, period, start, end, str(zone), total, rows)


def _grouped(session: Session, workspace_id: int, group_by: str, period: str, start: date, end: date,
             zone: ZoneInfo, where: tuple[ColumnElement[bool], ...]) -> list[Row]:
    if group_by == "period":
        starts = period_starts(start, end, period)
        bounds = [local_midnight(d, zone) for d in starts]
        # the period of each survey: the last start at or before its sent_at (the first one holds the range start)
        bucket: ColumnElement[Any] = case(
            *((Survey.sent_at >= bound, literal(i)) for i, bound in reversed(list(enumerate(bounds))) if i),
            else_=literal(0),
        ) if len(bounds) > 1 else literal(0)
        found = {int(r[0]): _figures(r[1:]) for r in session.execute(
            select(bucket.label("bucket"), *_aggregates()).where(*where).group_by(bucket))}
        empty = Figures(0, 0, 0, 0, 0)
        return [Row(d.isoformat(), d.isoformat(), found.get(i, empty)) for i, d in enumerate(starts)]
    column: Any = {"agent": Survey.agent_id, "team": Survey.team_id, "network": Survey.network,
                   "account": Survey.channel_account_id}[group_by]
    figures = [(r[0], _figures(r[1:])) for r in session.execute(
        select(column, *_aggregates()).where(*where).group_by(column))]
    names = _names(session, workspace_id, group_by, [k for k, _ in figures if k is not None])
    rows = [Row(key, names.get(key, str(key)) if key is not None else "", f) for key, f in figures]
    rows.sort(key=lambda r: (r.key is None, -(r.figures.answered), r.label.lower()))
    return rows


def _pairs(rows: Any) -> dict[Any, str]:
    return {row[0]: str(row[1]) for row in rows}


def _names(session: Session, workspace_id: int, group_by: str, keys: list[Any]) -> dict[Any, str]:
    if not keys:
        return {}
    if group_by == "agent":
        return _pairs(session.execute(select(User.id, User.name).where(User.workspace_id == workspace_id,
                                                                      User.id.in_(keys))))
    if group_by == "team":
        return _pairs(session.execute(select(Team.id, Team.name).where(Team.workspace_id == workspace_id,
                                                                      Team.id.in_(keys))))
    if group_by == "account":
        return _pairs(session.execute(select(ChannelAccount.id, ChannelAccount.name).where(
            ChannelAccount.workspace_id == workspace_id, ChannelAccount.id.in_(keys))))
    return {k: str(k) for k in keys}


# --- the list of surveys ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyFilter:
    state: str | None = None
    agent_id: int | None = None
    team_id: int | None = None
    network: str | None = None
    channel_account_id: int | None = None
    rating: int | None = None
    satisfied: bool | None = None
    commented: bool | None = None
    start: date | None = None
    end: date | None = None


def surveys(session: Session, workspace_id: int, flt: SurveyFilter, *, limit: int = 50,
            offset: int = 0) -> tuple[list[tuple[Survey, int]], int]:
    """The workspace's surveys matching ``flt`` (newest first) with their case's number, and how many match.
    ``start``/``end``: local days of the workspace, on ``sent_at`` (or the scheduled time when not sent)."""
    conditions: list[ColumnElement[bool]] = [Survey.workspace_id == workspace_id]
    if flt.state:
        conditions.append(Survey.state == flt.state)
    if flt.agent_id is not None:
        conditions.append(Survey.agent_id == flt.agent_id)
    if flt.team_id is not None:
        conditions.append(Survey.team_id == flt.team_id)
    if flt.network:
        conditions.append(Survey.network == flt.network)
    if flt.channel_account_id is not None:
        conditions.append(Survey.channel_account_id == flt.channel_account_id)
    if flt.rating is not None:
        conditions.append(Survey.rating == flt.rating)
    if flt.satisfied is not None:
        good = and_(Survey.rating.is_not(None), satisfied_clause())
        conditions.append(good if flt.satisfied else and_(Survey.rating.is_not(None), ~satisfied_clause()))
    if flt.commented is not None:
        conditions.append(Survey.comment.is_not(None) if flt.commented else Survey.comment.is_(None))
    when = func.coalesce(Survey.sent_at, Survey.send_at, Survey.created_at)
    if flt.start is not None or flt.end is not None:
        zone = zone_of(session, workspace_id)
        if flt.start is not None and flt.end is not None:
            check_range(flt.start, flt.end)
        if flt.start is not None:
            conditions.append(when >= local_midnight(flt.start, zone))
        if flt.end is not None:
            conditions.append(when < local_midnight(flt.end + timedelta(days=1), zone))
    count = int(session.scalar(select(func.count(Survey.id)).where(*conditions)) or 0)
    rows = session.execute(
        select(Survey, Case.number).join(Case, Case.id == Survey.case_id).where(*conditions)
        .order_by(when.desc(), Survey.id.desc()).limit(limit).offset(offset)
    ).all()
    return [(s, int(n)) for s, n in rows], count


def comments(session: Session, workspace_id: int, start: date, end: date,
             limit: int = 50) -> list[tuple[Survey, int]]:
    """The latest comments on surveys sent in the range, with their case's number (newest first)."""
    zone = zone_of(session, workspace_id)
    where = _sent_filters(workspace_id, local_midnight(start, zone), local_midnight(end + timedelta(days=1), zone))
    rows = session.execute(
        select(Survey, Case.number).join(Case, Case.id == Survey.case_id)
        .where(*where, Survey.comment.is_not(None))
        .order_by(Survey.commented_at.desc(), Survey.id.desc()).limit(limit)
    ).all()
    return [(s, int(n)) for s, n in rows]


# --- satisfaction of resolved cases (the reply suggestions) ---------------------------------------------------


def latest_ratings(session: Session, workspace_id: int, case_ids: Sequence[int]) -> dict[int, bool]:
    """For each case that has an answered survey: whether its latest answer (highest cycle) is satisfied."""
    if not case_ids:
        return {}
    out: dict[int, tuple[int, bool]] = {}
    for case_id, cycle, rating, scale in session.execute(
        select(Survey.case_id, Survey.cycle, Survey.rating, Survey.scale).where(
            Survey.workspace_id == workspace_id, Survey.case_id.in_(list(case_ids)), Survey.rating.is_not(None))
    ):
        if case_id not in out or cycle > out[case_id][0]:
            out[case_id] = (cycle, parsing.satisfied(int(rating or 0), scale))
    return {cid: good for cid, (_, good) in out.items()}


# --- the public survey page ----------------------------------------------------------------------------------

DEFAULT_QUESTIONS = {
    "en": "How satisfied are you with the way we handled your request?",
    "fr": "Êtes-vous satisfait(e) de la façon dont nous avons traité votre demande ?",
}
DEFAULT_COMMENT_QUESTIONS = {
    "en": "Anything to add? Tell us in a few words (optional).",
    "fr": "Quelque chose à ajouter ? Dites-le-nous en quelques mots (facultatif).",
}


@dataclass(frozen=True)
class PageTexts:
    brand: str
    question: str
    comment_question: str
    ask_comment: bool


def _pick(texts: dict[str, Any] | None, language: str, fallback: str, defaults: dict[str, str]) -> str:
    for lang in (language, fallback, "en"):
        value = (texts or {}).get(lang)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return defaults.get(language) or defaults["en"]


def page_texts(session: Session, survey: Survey, language: str) -> PageTexts:
    """What the survey page says: the brand (the workspace's name), the question and the comment question in
    ``language`` (the settings of the survey's channel account, else the workspace's, else ours)."""
    workspace = session.get(Workspace, survey.workspace_id)
    assert workspace is not None
    rows = {s.channel_account_id: s for s in session.scalars(select(SurveySettings).where(
        SurveySettings.workspace_id == survey.workspace_id,
        or_(SurveySettings.channel_account_id.is_(None),
            SurveySettings.channel_account_id == survey.channel_account_id)))}
    chosen = rows.get(survey.channel_account_id) if survey.channel_account_id is not None else None
    chosen = chosen or rows.get(None)
    fallback = workspace.default_language or "en"
    return PageTexts(
        brand=workspace.name,
        question=_pick(chosen.questions if chosen else None, language, fallback, DEFAULT_QUESTIONS),
        comment_question=_pick(chosen.comment_questions if chosen else None, language, fallback,
                               DEFAULT_COMMENT_QUESTIONS),
        ask_comment=chosen.ask_comment if chosen else True,
    )


def survey_of(session: Session, workspace_id: int, survey_id: int) -> Survey | None:
    return session.scalar(select(Survey).where(Survey.workspace_id == workspace_id, Survey.id == survey_id))
