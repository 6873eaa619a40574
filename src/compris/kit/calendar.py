"""Business time: weekly opening hours in a time zone, holidays and exceptions, and the arithmetic on them.

All functions are pure: they take aware datetimes (a naive one raises :class:`NaiveDatetimeError`) and return
aware datetimes in UTC. Rules (see ``docs/sla.md``):

* An :class:`Interval` is a local wall-clock range ``[start, end)``. When ``end <= start`` the range crosses
  midnight and ends on the *next* day (``22:00-06:00``; ``09:00-00:00`` is "until midnight";
  ``00:00-00:00`` is the whole day).
* An interval belongs to the date it *starts* on: an exception date replaces the intervals that start that day
  (an empty exception closes them).
* A holiday removes exactly its local day ``[00:00, next 00:00)`` from the schedule: the tail of the previous
  night's interval is cut at midnight, and the part of the holiday's own night interval after the next
  midnight stays open. A date listed both as holiday and exception follows the exception.
* DST: local times are turned into instants with ``fold=0``. A time repeated when clocks go back (01:30 on the
  first Sunday of November in New York) means its *first* occurrence; a time that does not exist when clocks
  go forward (02:30 on the last Sunday of March in Paris) is moved forward by the size of the gap (03:30 CEST).
  So ``09:00-17:00`` on the day the clocks change lasts exactly 8 hours, and a night interval across the
  change lasts one hour less (spring) or more (autumn) than its wall-clock length.
* The arithmetic walks opening intervals day by day (cached per calendar and date), never minute by minute.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

__all__ = [
    "BusinessCalendar",
    "CalendarError",
    "Interval",
    "NaiveDatetimeError",
    "add_business_time",
    "business_time_between",
    "is_open",
    "next_open",
    "open_intervals",
    "require_aware",
]

_ZERO = timedelta(0)
_DAY = timedelta(days=1)
#: If a calendar has no opening at all for this long, arithmetic gives up instead of looping forever.
_MAX_CLOSED = timedelta(days=3 * 366)


class NaiveDatetimeError(ValueError):
    """A naive datetime reached business-time arithmetic."""


class CalendarError(ValueError):
    """The calendar cannot answer (for example, it never opens)."""


def require_aware(value: datetime, name: str = "datetime") -> datetime:
    """Return ``value`` in UTC; raise :class:`NaiveDatetimeError` when it has no offset."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(f"{name} must be timezone-aware, got naive {value!r}")
    return value.astimezone(UTC)


def _parse_time(text: str) -> time:
    hours, _, minutes = text.strip().partition(":")
    h, m = int(hours), int(minutes or 0)
    if h == 24 and m == 0:
        return time(0)
    return time(h, m)


@dataclass(frozen=True, order=True)
class Interval:
    """Local opening ``[start, end)``; ``end <= start`` means it ends on the next day."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("interval bounds are local wall-clock times without tzinfo")

    @classmethod
    def parse(cls, text: str) -> Interval:
        """``"09:00-17:30"``, ``"22:00-06:00"``, ``"00:00-24:00"``."""
        left, sep, right = text.partition("-")
        if not sep:
            raise ValueError(f"interval must look like 09:00-17:00, got {text!r}")
        return cls(_parse_time(left), _parse_time(right))

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


IntervalLike = Interval | str | tuple[time, time]

_FULL_DAY = (Interval(time(0), time(0)),)


def _interval(value: IntervalLike) -> Interval:
    if isinstance(value, Interval):
        return value
    if isinstance(value, str):
        return Interval.parse(value)
    return Interval(value[0], value[1])


def _intervals(values: Iterable[IntervalLike] | Interval | str) -> tuple[Interval, ...]:
    if isinstance(values, Interval | str):
        return (_interval(values),)
    return tuple(sorted(_interval(v) for v in values))


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours of a team or a policy, in one IANA time zone.

    ``weekly[0]`` is Monday ... ``weekly[6]`` Sunday. Build one with :meth:`build`, :meth:`weekdays` or
    :meth:`always_open` rather than the constructor.
    """

    timezone: ZoneInfo
    weekly: tuple[tuple[Interval, ...], ...]
    holidays: frozenset[date] = frozenset()
    exceptions: tuple[tuple[date, tuple[Interval, ...]], ...] = ()
    _exceptions: dict[date, tuple[Interval, ...]] = field(init=False, repr=False, compare=False, hash=False)
    _always: bool = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise ValueError("weekly must have 7 entries, Monday first")
        object.__setattr__(self, "_exceptions", dict(self.exceptions))
        always = not self.holidays and not self.exceptions and all(_covers_day(day) for day in self.weekly)
        object.__setattr__(self, "_always", always)

    @classmethod
    def build(
        cls,
        timezone: str | ZoneInfo,
        weekly: Mapping[int, Iterable[IntervalLike] | Interval | str],
        holidays: Iterable[date] = (),
        exceptions: Mapping[date, Iterable[IntervalLike]] | None = None,
    ) -> BusinessCalendar:
        """``weekly`` maps weekday (0 = Monday) to its intervals; missing days are closed.

        ``exceptions`` maps a date to the intervals that start that day instead of the weekly ones
        (an empty list closes the day like a holiday).
        """
        tz = timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)
        for day in weekly:
            if not 0 <= day <= 6:
                raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {day}")
        week = tuple(_intervals(weekly.get(day, ())) for day in range(7))
        exc = tuple(sorted((d, _intervals(v)) for d, v in (exceptions or {}).items()))
        return cls(tz, week, frozenset(holidays), exc)

    @classmethod
    def weekdays(
        cls,
        timezone: str | ZoneInfo,
        hours: Iterable[IntervalLike] | Interval | str = "09:00-17:00",
        days: Iterable[int] = range(5),
        holidays: Iterable[date] = (),
        exceptions: Mapping[date, Iterable[IntervalLike]] | None = None,
    ) -> BusinessCalendar:
        """The same hours on each of ``days`` (Monday to Friday by default)."""
        ivs = _intervals(hours)
        return cls.build(timezone, dict.fromkeys(days, ivs), holidays, exceptions)

    @classmethod
    def always_open(cls, timezone: str | ZoneInfo = "UTC") -> BusinessCalendar:
        """24/7: every instant is business time."""
        return cls.build(timezone, dict.fromkeys(range(7), _FULL_DAY))

    @property
    def is_always_open(self) -> bool:
        return self._always

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """The local intervals that start on ``day`` (its exception, else the weekly ones), before holidays
        are cut out."""
        if day in self._exceptions:
            return self._exceptions[day]
        return self.weekly[day.weekday()]

    def is_holiday(self, day: date) -> bool:
        """A holiday without an exception: its whole local day is closed."""
        return day in self.holidays and day not in self._exceptions


def _covers_day(intervals: tuple[Interval, ...]) -> bool:
    return any(iv.start == time(0) and iv.end == time(0) for iv in intervals)


def _local_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    # fold=0: first occurrence of a repeated time; a time inside a gap is shifted forward by the gap.
    return datetime.combine(day, at, tzinfo=tz).replace(fold=0).astimezone(UTC)


@lru_cache(maxsize=8192)
def _day_intervals(cal: BusinessCalendar, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """UTC intervals starting on local ``day`` with holidays (whole local days) cut out, sorted."""
    tz = cal.timezone
    raw: list[tuple[datetime, datetime]] = []
    for iv in cal.intervals_on(day):
        start = _local_to_utc(day, iv.start, tz)
        end = _local_to_utc(day + _DAY if iv.crosses_midnight else day, iv.end, tz)
        if end > start:
            raw.append((start, end))
    for holiday in (day, day + _DAY):
        if raw and cal.is_holiday(holiday):
            cut_start = _local_to_utc(holiday, time(0), tz)
            cut_end = _local_to_utc(holiday + _DAY, time(0), tz)
            cut: list[tuple[datetime, datetime]] = []
            for s, e in raw:
                if s < cut_start:
                    cut.append((s, min(e, cut_start)))
                if e > cut_end:
                    cut.append((max(s, cut_end), e))
            raw = cut
    return tuple(sorted(raw))


def _lower_bound(day: date) -> datetime:
    """No interval starting on local ``day`` starts before this instant, whatever the zone (|offset| < 24 h)."""
    return datetime.combine(day - _DAY, time(0), tzinfo=UTC)


def _pieces(cal: BusinessCalendar, at: datetime, until: datetime | None = None) -> Iterator[tuple[datetime, datetime]]:
    """Disjoint, sorted open pieces ending after ``at`` (UTC), clipped to start at ``at``; unbounded unless
    ``until`` is given (then it stops once no piece can start before ``until``).

    Adjacent pieces may touch (a 24/7 calendar comes out one day at a time). Raises :class:`CalendarError`
    after :data:`_MAX_CLOSED` without any opening.
    """
    if cal.is_always_open:
        day_start = at
        while True:
            nxt = day_start + _DAY
            yield day_start, nxt
            day_start = nxt
    # Intervals can start up to ~2 days before the local date of `at` and still be open at `at`.
    day = at.astimezone(cal.timezone).date() - timedelta(days=2)
    heap: list[tuple[datetime, datetime]] = []
    cur: tuple[datetime, datetime] | None = None
    last_open = at
    while True:
        bound = _lower_bound(day)
        while heap and heap[0][0] < bound:
            s, e = heapq.heappop(heap)
            if cur is not None and s <= cur[1]:
                cur = (cur[0], max(cur[1], e))
            else:
                if cur is not None and cur[1] > at:
                    yield max(cur[0], at), cur[1]
                    last_open = cur[1]
                cur = (s, e)
        if cur is not None:
            if cur[1] < bound:
                if cur[1] > at:
                    yield max(cur[0], at), cur[1]
                    last_open = cur[1]
                cur = None
            elif cur[0] < bound:
                # Nothing not yet generated starts before `bound`: the part before it is final.
                if bound > at:
                    yield max(cur[0], at), bound
                    last_open = bound
                cur = (bound, cur[1])
        if until is not None and bound >= until:
            if cur is not None and cur[1] > at:
                yield max(cur[0], at), cur[1]
            return
        if bound - last_open > _MAX_CLOSED:
            raise CalendarError(f"calendar has no opening within {_MAX_CLOSED.days} days after {at.isoformat()}")
        for iv in _day_intervals(cal, day):
            heapq.heappush(heap, iv)
        day += _DAY


def open_intervals(cal: BusinessCalendar, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Maximal open intervals (UTC, half-open, merged when they touch) intersected with ``[start, end)``."""
    start = require_aware(start, "start")
    end = require_aware(end, "end")
    if end <= start:
        return
    cur: tuple[datetime, datetime] | None = None
    for s, e in _pieces(cal, start, end):
        if s >= end:
            break
        e = min(e, end)
        if cur is not None and s <= cur[1]:
            cur = (cur[0], max(cur[1], e))
        else:
            if cur is not None:
                yield cur
            cur = (s, e)
        if e >= end:
            break
    if cur is not None:
        yield cur


def is_open(cal: BusinessCalendar, at: datetime) -> bool:
    """Whether ``at`` is business time (intervals are half-open: open at 09:00, closed at 17:00)."""
    at = require_aware(at, "at")
    for s, _e in _pieces(cal, at):
        return s == at
    return False  # pragma: no cover - _pieces is unbounded


def next_open(cal: BusinessCalendar, at: datetime) -> datetime:
    """``at`` itself (in UTC) when open, otherwise the next opening."""
    at = require_aware(at, "at")
    for s, _e in _pieces(cal, at):
        return s
    raise CalendarError("calendar never opens")  # pragma: no cover - _pieces is unbounded


def add_business_time(cal: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """The earliest instant by which ``duration`` of business time has elapsed since ``start``.

    A zero duration returns ``start``. A positive one never ends in closed time: the result lies in
    ``(s, e]`` of an opening ``[s, e)`` - exactly at a closing time when the duration runs out there
    (due 17:00, not 09:00 the next day). Negative durations are refused.
    """
    start = require_aware(start, "start")
    if duration < _ZERO:
        raise ValueError("duration must not be negative")
    if duration == _ZERO:
        return start
    remaining = duration
    for s, e in _pieces(cal, start):
        length = e - s
        if remaining <= length:
            return s + remaining
        remaining -= length
    raise CalendarError("calendar never opens")  # pragma: no cover - _pieces is unbounded


def business_time_between(cal: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Business time in ``[start, end)``; negative when ``end`` is before ``start``."""
    start = require_aware(start, "start")
    end = require_aware(end, "end")
    if end < start:
        return -business_time_between(cal, end, start)
    if cal.is_always_open:
        return end - start
    total = _ZERO
    for s, e in _pieces(cal, start, end):
        if s >= end:
            break
        total += min(e, end) - s
        if e >= end:
            break
    return total
