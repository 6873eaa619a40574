"""Shifts and business hours as text an admin types, and as ``BusinessCalendar``.

Format, one item per line::

    mon-fri 09:00-17:00
    sat 10:00-14:00, 15:00-18:00
    sun 22:00-06:00          (crosses midnight)
    daily 00:00-00:00        (24 h)
    holiday 2026-12-25
    exception 2026-12-24 09:00-12:00   (replaces that day's hours; "exception 2026-12-31 closed")
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from compris.kit.calendar import BusinessCalendar, Interval
from compris.kit.errors import Invalid

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"^\d{1,2}:\d{2}-\d{1,2}:\d{2}$")


def _days(token: str) -> list[int]:
    token = token.lower()
    if token in ("daily", "every", "all"):
        return list(range(7))
    if token in ("weekdays",):
        return list(range(5))
    if "-" in token:
        a, b = token.split("-", 1)
        if a[:3] not in DAYS or b[:3] not in DAYS:
            raise Invalid(f"unknown days {token!r}")
        i, j = DAYS.index(a[:3]), DAYS.index(b[:3])
        return [(i + k) % 7 for k in range((j - i) % 7 + 1)]
    if token[:3] not in DAYS:
        raise Invalid(f"unknown day {token!r}")
    return [DAYS.index(token[:3])]


def _intervals(text: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    for item in items:
        if not _INTERVAL.match(item):
            raise Invalid(f"an interval looks like 09:00-17:00, not {item!r}")
        Interval.parse(item)  # validates the times
    return items


def parse(text: str) -> dict[str, Any]:
    """The stored shape: ``{"weekly": {"0": [...]}, "holidays": [...], "exceptions": {...}}``."""
    weekly: dict[str, list[str]] = {}
    holidays: list[str] = []
    exceptions: dict[str, list[str]] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        head, _, rest = line.partition(" ")
        rest = rest.strip()
        try:
            if head.lower() == "holiday":
                holidays.append(date.fromisoformat(rest).isoformat())
            elif head.lower() == "exception":
                day, _, hours = rest.partition(" ")
                key = date.fromisoformat(day).isoformat()
                exceptions[key] = [] if hours.strip().lower() in ("", "closed") else _intervals(hours)
            else:
                for d in _days(head):
                    weekly.setdefault(str(d), []).extend(_intervals(rest))
        except ValueError as exc:
            raise Invalid(f"cannot read {raw.strip()!r}: {exc}") from exc
    return {"weekly": weekly, "holidays": sorted(set(holidays)), "exceptions": exceptions}


def render(data: dict[str, Any]) -> str:
    """Back to text (one line per day)."""
    lines = []
    weekly = data.get("weekly") or {}
    for d in range(7):
        if weekly.get(str(d)):
            lines.append(f"{DAYS[d]} {', '.join(weekly[str(d)])}")
    lines += [f"holiday {h}" for h in data.get("holidays") or ()]
    for day, hours in sorted((data.get("exceptions") or {}).items()):
        lines.append(f"exception {day} {', '.join(hours) if hours else 'closed'}")
    return "\n".join(lines)


def calendar(timezone: str, data: dict[str, Any]) -> BusinessCalendar:
    weekly = {int(k): list(v) for k, v in (data.get("weekly") or {}).items() if v}
    return BusinessCalendar.build(
        timezone,
        weekly,
        holidays=[date.fromisoformat(h) for h in data.get("holidays") or ()],
        exceptions={date.fromisoformat(k): list(v) for k, v in (data.get("exceptions") or {}).items()},
    )
