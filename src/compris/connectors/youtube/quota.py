"""YouTube Data API quota: 10,000 units a day per Google Cloud project by default, reset at midnight Pacific time.

Compris counts what it spends in the poll state (``state["quota"]``): the units of its own list calls exactly,
and the replies it posts as an estimate read back by the poll (every comment of our channel published today
counts as one ``comments.insert``, 50 units: the send job cannot write the poll state). A comment typed by hand in
YouTube Studio costs no API quota but is counted too, so the estimate errs on the safe side.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")
DEFAULT_DAILY_QUOTA = 10_000
DEFAULT_POLL_BUDGET = 5_000
#: the documented costs (each method's reference page: "Quota impact"): a list call 1 unit,
#: comments.insert 50 units
LIST_COST = 1
INSERT_COST = 50


def pacific_day(at: datetime) -> str:
    """The quota day ``at`` falls in (``YYYY-MM-DD`` in Pacific time)."""
    return at.astimezone(PACIFIC).date().isoformat()


def next_reset(at: datetime) -> datetime:
    """The next midnight in Pacific time after ``at`` (DST-correct), in UTC."""
    local = at.astimezone(PACIFIC)
    tomorrow = local.date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0, 0), tzinfo=PACIFIC).astimezone(UTC)


def seconds_to_reset(at: datetime) -> float:
    return max(1.0, (next_reset(at) - at).total_seconds())


def _int_setting(settings: Mapping[str, Any], name: str, default: int) -> int:
    try:
        value = int(str(settings.get(name) or default).replace(",", "").replace("_", "").strip())
    except (TypeError, ValueError):
        return default
    return value if value > 0 else default


def daily_quota(settings: Mapping[str, Any]) -> int:
    return _int_setting(settings, "daily_quota", DEFAULT_DAILY_QUOTA)


def poll_budget(settings: Mapping[str, Any]) -> int:
    """The units polling may spend in one quota day (never more than the daily quota)."""
    return min(_int_setting(settings, "poll_budget", DEFAULT_POLL_BUDGET), daily_quota(settings))


def today(state: Mapping[str, Any], at: datetime, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The quota record for ``at``'s day: the stored one when it is today's, a fresh one after the reset."""
    stored = state.get("quota")
    day = pacific_day(at)
    record: dict[str, Any] = {"day": day, "poll_units": 0, "replies": 0, "blocked_until": None}
    if isinstance(stored, Mapping) and stored.get("day") == day:
        for key in ("poll_units", "replies"):
            value = stored.get(key)
            record[key] = value if isinstance(value, int) and value >= 0 else 0
        blocked = stored.get("blocked_until")
        record["blocked_until"] = blocked if isinstance(blocked, str) else None
    record["daily_quota"] = daily_quota(settings)
    record["poll_budget"] = poll_budget(settings)
    return record


def spent(record: Mapping[str, Any]) -> int:
    """Units spent today as far as Compris knows: its polls, plus 50 for each reply of our channel seen today."""
    return int(record.get("poll_units") or 0) + INSERT_COST * int(record.get("replies") or 0)


def blocked_until(record: Mapping[str, Any], at: datetime) -> datetime | None:
    """When YouTube said the quota is spent (quotaExceeded), the reset time; None once it has passed."""
    raw = record.get("blocked_until")
    if not isinstance(raw, str):
        return None
    try:
        until = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if until.tzinfo is None or until <= at:
        return None
    return until


def skip_reason(record: Mapping[str, Any], at: datetime) -> str | None:
    """Why this poll must not call YouTube (None: it may)."""
    if blocked_until(record, at) is not None:
        return "quota_exceeded"
    if int(record.get("poll_units") or 0) >= int(record.get("poll_budget") or DEFAULT_POLL_BUDGET):
        return "poll_budget"
    if spent(record) >= int(record.get("daily_quota") or DEFAULT_DAILY_QUOTA):
        return "daily_quota"
    return None
