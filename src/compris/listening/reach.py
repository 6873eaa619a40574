"""High-reach complaints: a complaint whose author or post may be seen by many people crosses the workspace's
thresholds (followers, a verified account, a promoted post, reshares growing fast). Pure: the reasons of one
message against the rules; :mod:`compris.listening.alerts` raises the alert once per case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from compris.models import ListeningSettings

#: reshares below this are never "growing fast" (two reshares in a minute are not a wave)
MIN_RESHARES = 10
#: the youngest age a reshare rate is measured over (a post seen one second after it was published)
MIN_AGE = timedelta(minutes=15)
COMPLAINT_INTENTS = frozenset({"complaint"})
NEVER_INTENTS = frozenset({"praise", "spam"})


@dataclass(frozen=True)
class ReachRules:
    min_followers: int = 10000
    verified: bool = True
    promoted: bool = True
    reshares_per_hour: int = 20

    @classmethod
    def of(cls, settings: ListeningSettings | None) -> ReachRules | None:
        """The workspace's rules; None when its high-reach alerts are off."""
        if settings is None:
            return cls()
        if not settings.reach_enabled:
            return None
        return cls(settings.reach_min_followers, settings.reach_verified, settings.reach_promoted,
                   settings.reach_reshares_per_hour)


def is_complaint(triage: dict[str, Any]) -> bool:
    """A complaint by triage's intent, or a negative message that is not praise or spam."""
    intent = str(triage.get("intent") or "")
    if intent in COMPLAINT_INTENTS:
        return True
    return intent not in NEVER_INTENTS and triage.get("sentiment") == "negative"


def reshare_rate(reshares: int, published_at: datetime | None, now: datetime) -> float:
    """Reshares per hour since the post was published."""
    age = max(MIN_AGE, now - published_at) if published_at is not None else MIN_AGE
    return reshares / (age.total_seconds() / 3600)


def reasons(rules: ReachRules, *, followers: int | None, verified: bool, promoted: bool, reshares: int,
            published_at: datetime | None, now: datetime) -> list[dict[str, Any]]:
    """Why the message's reach crosses the thresholds (``[{"code", "params"}]``), empty when it does not."""
    out: list[dict[str, Any]] = []
    if rules.min_followers > 0 and followers is not None and followers >= rules.min_followers:
        out.append({"code": "followers", "params": {"followers": followers, "threshold": rules.min_followers}})
    if rules.verified and verified:
        out.append({"code": "verified", "params": {}})
    if rules.promoted and promoted:
        out.append({"code": "promoted", "params": {}})
    if rules.reshares_per_hour > 0 and reshares >= MIN_RESHARES:
        rate = reshare_rate(reshares, published_at, now)
        if rate >= rules.reshares_per_hour:
            out.append({"code": "reshares", "params": {"reshares": reshares, "per_hour": round(rate, 1),
                                                       "threshold": rules.reshares_per_hour}})
    return out
