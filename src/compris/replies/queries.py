"""Reads for supervisors: how often each guard rule fired at send time and how often it was overridden."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from compris.kit.clock import now
from compris.models import GuardEvent


@dataclass(frozen=True)
class RuleStats:
    rule: str
    fired: int
    blocks: int
    warnings: int
    overridden: int

    @property
    def override_rate(self) -> float:
        return self.overridden / self.warnings if self.warnings else 0.0


def guard_stats(session: Session, workspace_id: int, days: int) -> list[RuleStats]:
    """Per rule over the last ``days`` days, most fired first."""
    since = now() - timedelta(days=days)
    rows = session.execute(
        select(
            GuardEvent.rule,
            func.count(GuardEvent.id),
            func.sum(case((GuardEvent.severity == "block", 1), else_=0)),
            func.sum(case((GuardEvent.severity == "warning", 1), else_=0)),
            func.sum(case((GuardEvent.overridden.is_(True), 1), else_=0)),
        )
        .where(GuardEvent.workspace_id == workspace_id, GuardEvent.created_at >= since)
        .group_by(GuardEvent.rule)
    )
    stats = [RuleStats(rule, int(n), int(b or 0), int(w or 0), int(o or 0)) for rule, n, b, w, o in rows]
    return sorted(stats, key=lambda s: (-s.fired, s.rule))
