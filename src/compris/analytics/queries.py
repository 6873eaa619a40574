"""Reads of analytics: every figure of the dashboard, the exports and the API, always scoped to one workspace.

Each function takes ``(session, workspace_id, filters)`` and returns a plain dataclass of
:mod:`compris.analytics.figures` (re-exported here). The figures come from the rollups (``analytics_daily`` and
``analytics_hourly``, grouped SQL over an index on ``(workspace_id, metric, day)``); the backlog is live from the
cases table; the expected wait and the guard read their own (small) tables. Definitions: ``docs/analytics.md``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from compris.analytics.figures import (
    CLOCKS,
    DEFAULT_TARGET_S,
    MAX_DAYS,
    AgentRow,
    Agents,
    Backlog,
    CasePage,
    Clock,
    Csat,
    Distribution,
    Escalations,
    ExpectedWait,
    Filters,
    Guard,
    GuardRule,
    Heatmap,
    Measure,
    Point,
    ResponseRate,
    ResponseTimes,
    Sla,
    SlaRow,
    Slice,
    Volume,
)

__all__ = [
    "CLOCKS",
    "DEFAULT_TARGET_S",
    "MAX_DAYS",
    "AgentRow",
    "Agents",
    "Backlog",
    "CasePage",
    "Clock",
    "Csat",
    "Distribution",
    "Escalations",
    "ExpectedWait",
    "Filters",
    "Guard",
    "GuardRule",
    "Heatmap",
    "Measure",
    "Point",
    "ResponseRate",
    "ResponseTimes",
    "Sla",
    "SlaRow",
    "Slice",
    "Volume",
    "agents",
    "backlog",
    "cases_behind",
    "csat",
    "escalations",
    "expected_wait",
    "guard",
    "heatmap",
    "response_rate",
    "response_times",
    "sla",
    "volume",
]

def volume(session: Session, workspace_id: int, filters: Filters) -> Volume:
    """Customer messages and new cases, by network, account, visibility, intent, sentiment, language, topic and hour
    of day, with their trends."""
    raise NotImplementedError


def response_rate(session: Session, workspace_id: int, filters: Filters, *,
                  target_s: int = DEFAULT_TARGET_S) -> ResponseRate:
    """Share of the customer messages needing a response that got one, and within ``target_s``."""
    raise NotImplementedError


def response_times(session: Session, workspace_id: int, filters: Filters) -> ResponseTimes:
    """First response, next response and resolution times on ``filters.clock``."""
    raise NotImplementedError


def sla(session: Session, workspace_id: int, filters: Filters) -> Sla:
    """SLA attainment per metric and policy, and the breaches."""
    raise NotImplementedError


def csat(session: Session, workspace_id: int, filters: Filters) -> Csat:
    raise NotImplementedError


def backlog(session: Session, workspace_id: int, filters: Filters) -> Backlog:
    raise NotImplementedError


def agents(session: Session, workspace_id: int, filters: Filters) -> Agents:
    raise NotImplementedError


def expected_wait(session: Session, workspace_id: int, filters: Filters) -> ExpectedWait:
    raise NotImplementedError


def guard(session: Session, workspace_id: int, filters: Filters) -> Guard:
    raise NotImplementedError


def escalations(session: Session, workspace_id: int, filters: Filters) -> Escalations:
    raise NotImplementedError


def heatmap(session: Session, workspace_id: int, filters: Filters) -> Heatmap:
    raise NotImplementedError


def cases_behind(session: Session, workspace_id: int, filters: Filters, measure: Measure | str, *,
                 page: int = 1, per_page: int = 50) -> CasePage:
    """The cases behind a figure (drill-down), ``per_page`` at a time (``kit.errors.Invalid`` for an unknown
    measure or a page under 1)."""
    raise NotImplementedError
