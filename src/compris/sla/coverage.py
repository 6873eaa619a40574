"""Coverage: who is on shift, hour by hour, and the hours a 24/7 channel has nobody (the "9am-5pm" failure).

Shifts are :class:`~compris.kit.calendar.BusinessCalendar` objects (weekly intervals in the team's time zone,
with holidays and exceptions), grouped by whoever covers the channel (a team, or an agent).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from compris.kit.calendar import BusinessCalendar, open_intervals, require_aware

__all__ = ["Slot", "coverage", "coverage_gaps", "covered_intervals"]

K = TypeVar("K", bound=Hashable)
Span = tuple[datetime, datetime]
Shifts = Mapping[K, Sequence[BusinessCalendar] | BusinessCalendar] | Sequence[BusinessCalendar]


def _merge(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _calendars(shifts: Shifts[K]) -> dict[object, list[BusinessCalendar]]:
    if isinstance(shifts, Mapping):
        return {k: [v] if isinstance(v, BusinessCalendar) else list(v) for k, v in shifts.items()}
    return {index: [cal] for index, cal in enumerate(shifts)}


def covered_intervals(shifts: Shifts[K], start: datetime, end: datetime) -> list[Span]:
    """UTC intervals in ``[start, end)`` where at least one shift is on, merged."""
    spans = [iv for cals in _calendars(shifts).values() for cal in cals for iv in open_intervals(cal, start, end)]
    return _merge(spans)


def coverage_gaps(
    shifts: Shifts[K],
    channel_24_7: bool,
    start: datetime,
    end: datetime,
    required: BusinessCalendar | None = None,
) -> list[Span]:
    """Uncovered spans (UTC) of ``[start, end)`` where the channel promises an answer and nobody is on shift.

    A 24/7 channel promises every instant; otherwise ``required`` (the channel's advertised hours) does, and
    with neither there is nothing to miss.
    """
    start = require_aware(start, "start")
    end = require_aware(end, "end")
    if channel_24_7:
        promised: list[Span] = [(start, end)] if end > start else []
    elif required is not None:
        promised = list(open_intervals(required, start, end))
    else:
        return []
    covered = covered_intervals(shifts, start, end)
    gaps: list[Span] = []
    for p_start, p_end in promised:
        cursor = p_start
        for c_start, c_end in covered:
            if c_end <= cursor or c_start >= p_end:
                continue
            if c_start > cursor:
                gaps.append((cursor, c_start))
            cursor = max(cursor, c_end)
            if cursor >= p_end:
                break
        if cursor < p_end:
            gaps.append((cursor, p_end))
    return gaps


@dataclass(frozen=True)
class Slot(Generic[K]):
    """One step of the coverage view: who is on shift for at least part of ``[start, end)``, and whether the
    whole step is covered by someone."""

    start: datetime
    end: datetime
    on_shift: frozenset[K]
    fully_covered: bool


def coverage(
    shifts: Mapping[K, Sequence[BusinessCalendar] | BusinessCalendar],
    start: datetime,
    end: datetime,
    step: timedelta = timedelta(hours=1),
) -> list[Slot[K]]:
    """The hour-by-hour (``step``) coverage view over ``[start, end)``, e.g. the next week."""
    start = require_aware(start, "start")
    end = require_aware(end, "end")
    if step <= timedelta(0):
        raise ValueError("step must be positive")
    per_key = {
        key: _merge(iv for cal in cals for iv in open_intervals(cal, start, end))
        for key, cals in _calendars(shifts).items()
    }
    slots: list[Slot[K]] = []
    cursor = start
    while cursor < end:
        nxt = min(cursor + step, end)
        on = frozenset(k for k, spans in per_key.items() if any(s < nxt and e > cursor for s, e in spans))
        covered = _merge(
            (max(s, cursor), min(e, nxt)) for spans in per_key.values() for s, e in spans if s < nxt and e > cursor
        )
        full = len(covered) == 1 and covered[0][0] <= cursor and covered[0][1] >= nxt
        slots.append(Slot(cursor, nxt, on, full))  # type: ignore[arg-type]
        cursor = nxt
    return slots
