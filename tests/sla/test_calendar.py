"""Business time: DST in Europe/Paris and America/New_York, holidays, exceptions, night intervals, 24/7."""

from __future__ import annotations

import time as walltime
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compris.kit.calendar import (
    BusinessCalendar,
    CalendarError,
    Interval,
    NaiveDatetimeError,
    add_business_time,
    business_time_between,
    is_open,
    next_open,
    open_intervals,
)

PARIS = ZoneInfo("Europe/Paris")
NY = ZoneInfo("America/New_York")
H = timedelta(hours=1)
EVERY_DAY = range(7)


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NY)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def spans(cal: BusinessCalendar, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    return list(open_intervals(cal, start, end))


# ------------------------------------------------------------------------------------------------ DST


@pytest.mark.parametrize(
    ("tz", "day"),
    [
        (PARIS, date(2024, 3, 31)),  # last Sunday of March: 02:00 -> 03:00
        (PARIS, date(2024, 10, 27)),  # last Sunday of October: 03:00 -> 02:00
        (NY, date(2024, 3, 10)),  # second Sunday of March
        (NY, date(2024, 11, 3)),  # first Sunday of November
    ],
)
def test_day_interval_on_dst_day_lasts_its_wall_clock_length(tz: ZoneInfo, day: date) -> None:
    cal = BusinessCalendar.weekdays(tz, "09:00-17:00", days=EVERY_DAY)
    start = datetime.combine(day, time(0), tzinfo=tz)
    [(s, e)] = spans(cal, start, start + timedelta(days=1))
    assert e - s == 8 * H
    assert s.astimezone(tz).time() == time(9) and e.astimezone(tz).time() == time(17)
    assert business_time_between(cal, start, start + timedelta(days=1)) == 8 * H
    assert s.tzinfo is UTC


@pytest.mark.parametrize(
    ("tz", "night", "length"),
    [
        (PARIS, date(2024, 3, 30), 7 * H),  # the night loses an hour
        (PARIS, date(2024, 10, 26), 9 * H),  # the night gains one
        (NY, date(2024, 3, 9), 7 * H),
        (NY, date(2024, 11, 2), 9 * H),
    ],
)
def test_night_interval_across_dst_change(tz: ZoneInfo, night: date, length: timedelta) -> None:
    cal = BusinessCalendar.weekdays(tz, "22:00-06:00", days=EVERY_DAY)
    start = datetime.combine(night, time(12), tzinfo=tz)
    [(s, e)] = spans(cal, start, start + timedelta(hours=24))
    assert e - s == length
    assert s.astimezone(tz).time() == time(22) and e.astimezone(tz).time() == time(6)


def test_nonexistent_local_time_moves_forward_by_the_gap() -> None:
    # 02:30 does not exist in Paris on 2024-03-31: it is read as 03:30 CEST (fold=0 rule).
    cal = BusinessCalendar.weekdays(PARIS, "02:30-04:00", days=EVERY_DAY)
    [(s, e)] = spans(cal, paris(2024, 3, 31), paris(2024, 4, 1))
    assert s == utc(2024, 3, 31, 1, 30)
    assert s.astimezone(PARIS).time() == time(3, 30)
    assert e - s == timedelta(minutes=30)


def test_repeated_local_time_means_its_first_occurrence() -> None:
    # 01:30 happens twice in New York on 2024-11-03: first in EDT (05:30 UTC), then in EST (06:30 UTC).
    cal = BusinessCalendar.weekdays(NY, "01:30-03:00", days=EVERY_DAY)
    [(s, e)] = spans(cal, ny(2024, 11, 3), ny(2024, 11, 4))
    assert s == utc(2024, 11, 3, 5, 30)
    assert e == utc(2024, 11, 3, 8, 0)  # 03:00 EST
    assert e - s == 2 * H + timedelta(minutes=30)


def test_add_business_time_over_a_dst_weekend_new_york() -> None:
    cal = BusinessCalendar.weekdays(NY)
    due = add_business_time(cal, ny(2024, 3, 8, 16, 0), 2 * H)  # Friday 16:00 EST
    assert due == ny(2024, 3, 11, 10, 0)  # Monday 10:00 EDT
    assert due == utc(2024, 3, 11, 14, 0)


def test_add_business_time_over_a_dst_weekend_paris() -> None:
    cal = BusinessCalendar.weekdays(PARIS)
    due = add_business_time(cal, paris(2024, 10, 25, 16, 30), 3 * H)  # Friday, CEST
    assert due == paris(2024, 10, 28, 11, 30)  # Monday, CET
    assert due == utc(2024, 10, 28, 10, 30)


# ------------------------------------------------------------------------------------------- holidays


def test_holiday_is_skipped() -> None:
    cal = BusinessCalendar.weekdays(PARIS, holidays=[date(2024, 5, 1)])
    assert add_business_time(cal, paris(2024, 4, 30, 16, 0), 2 * H) == paris(2024, 5, 2, 10, 0)
    assert not is_open(cal, paris(2024, 5, 1, 10, 0))
    assert business_time_between(cal, paris(2024, 4, 30, 0, 0), paris(2024, 5, 3, 0, 0)) == 16 * H


def test_holiday_closes_the_whole_local_day_including_last_nights_tail() -> None:
    cal = BusinessCalendar.weekdays(PARIS, "22:00-06:00", days=EVERY_DAY, holidays=[date(2024, 12, 25)])
    got = spans(cal, paris(2024, 12, 24, 12), paris(2024, 12, 26, 12))
    assert got == [(paris(2024, 12, 24, 22), paris(2024, 12, 25, 0)), (paris(2024, 12, 26, 0), paris(2024, 12, 26, 6))]


def test_exception_replaces_the_weekly_hours_and_wins_over_a_holiday() -> None:
    cal = BusinessCalendar.weekdays(
        PARIS,
        holidays=[date(2024, 12, 24)],
        exceptions={date(2024, 12, 24): ["10:00-12:00"], date(2024, 12, 28): ["10:00-14:00"], date(2024, 12, 27): []},
    )
    assert spans(cal, paris(2024, 12, 24), paris(2024, 12, 25)) == [(paris(2024, 12, 24, 10), paris(2024, 12, 24, 12))]
    assert spans(cal, paris(2024, 12, 27), paris(2024, 12, 28)) == []  # empty exception = closed
    assert spans(cal, paris(2024, 12, 28), paris(2024, 12, 29)) == [(paris(2024, 12, 28, 10), paris(2024, 12, 28, 14))]


# ----------------------------------------------------------------------------------- shapes of opening


def test_several_intervals_a_day_and_boundaries() -> None:
    cal = BusinessCalendar.weekdays(PARIS, ["09:00-12:00", "14:00-18:00"])
    assert is_open(cal, paris(2024, 6, 3, 9, 0))
    assert not is_open(cal, paris(2024, 6, 3, 12, 0))  # half-open
    assert next_open(cal, paris(2024, 6, 3, 12, 30)) == paris(2024, 6, 3, 14, 0)
    assert next_open(cal, paris(2024, 6, 3, 10, 0)) == paris(2024, 6, 3, 10, 0)
    assert next_open(cal, paris(2024, 6, 7, 18, 0)) == paris(2024, 6, 10, 9, 0)
    # ends exactly at the closing time, not at the next opening
    assert add_business_time(cal, paris(2024, 6, 3, 9, 0), 3 * H) == paris(2024, 6, 3, 12, 0)
    assert add_business_time(cal, paris(2024, 6, 3, 11, 0), 2 * H) == paris(2024, 6, 3, 15, 0)


def test_interval_crossing_midnight_and_touching_intervals_merge() -> None:
    cal = BusinessCalendar.build(PARIS, {0: ["22:00-00:00"], 1: ["00:00-06:00", "05:00-07:00"]})
    assert spans(cal, paris(2024, 6, 3), paris(2024, 6, 5)) == [(paris(2024, 6, 3, 22), paris(2024, 6, 4, 7))]
    assert add_business_time(cal, paris(2024, 6, 3, 23), 2 * H) == paris(2024, 6, 4, 1)
    night = BusinessCalendar.weekdays(NY, "20:00-04:00", days=[4])  # Friday night
    assert is_open(night, ny(2024, 6, 8, 3, 59))
    assert add_business_time(night, ny(2024, 6, 7, 12), 9 * H) == ny(2024, 6, 14, 21)


def test_always_open() -> None:
    cal = BusinessCalendar.always_open("Europe/Paris")
    start = paris(2024, 3, 30, 12)
    # 24 h of elapsed time over the 23-hour day ends at 13:00 (aware `start + 24 * H` would say 12:00: wall-clock math)
    assert add_business_time(cal, start, 24 * H) == paris(2024, 3, 31, 13)
    assert business_time_between(cal, start, paris(2024, 3, 31, 12)) == 23 * H
    assert is_open(cal, start)
    assert spans(cal, start, start + 72 * H) == [(start, start + 72 * H)]
    week = BusinessCalendar.weekdays(PARIS, "00:00-24:00", days=EVERY_DAY, holidays=[date(2024, 4, 1)])
    assert not week.is_always_open
    assert business_time_between(week, paris(2024, 3, 31), paris(2024, 4, 3)) == 47 * H  # 23 h + 0 + 24 h


def test_results_are_utc_and_naive_datetimes_are_refused() -> None:
    cal = BusinessCalendar.weekdays(PARIS)
    assert add_business_time(cal, paris(2024, 6, 3, 10), H).tzinfo is UTC
    naive = datetime.fromisoformat("2024-06-03T10:00:00")
    for call in (
        lambda: add_business_time(cal, naive, H),
        lambda: business_time_between(cal, naive, paris(2024, 6, 4)),
        lambda: is_open(cal, naive),
        lambda: next_open(cal, naive),
        lambda: list(open_intervals(cal, paris(2024, 6, 3), naive)),
    ):
        with pytest.raises(NaiveDatetimeError):
            call()


def test_misc_validation() -> None:
    assert str(Interval.parse("9:00-24:00")) == "09:00-00:00"
    with pytest.raises(ValueError, match="interval"):
        Interval.parse("nine to five")
    with pytest.raises(ValueError, match="weekday"):
        BusinessCalendar.build(PARIS, {7: ["09:00-17:00"]})
    with pytest.raises(ValueError, match="negative"):
        add_business_time(BusinessCalendar.weekdays(PARIS), paris(2024, 6, 3), -H)
    with pytest.raises(CalendarError):
        add_business_time(BusinessCalendar.build(PARIS, {}), paris(2024, 6, 3), H)
    closed = BusinessCalendar.build(PARIS, {})
    assert business_time_between(closed, paris(2024, 6, 3), paris(2024, 6, 10)) == timedelta(0)
    cal = BusinessCalendar.weekdays(PARIS)
    assert business_time_between(cal, paris(2024, 6, 4), paris(2024, 6, 3)) == -8 * H
    assert add_business_time(cal, paris(2024, 6, 8), timedelta(0)) == paris(2024, 6, 8)


def test_thirty_days_of_business_time_is_fast() -> None:
    # A fresh calendar (nothing cached): 30 days of 8-hour business time is ~90 calendar days.
    cal = BusinessCalendar.weekdays("America/New_York", ["08:00-12:00", "13:00-17:00"], holidays=[date(2024, 7, 4)])
    began = walltime.perf_counter()
    due = add_business_time(cal, ny(2024, 6, 3, 8), timedelta(days=30))
    elapsed = walltime.perf_counter() - began
    assert business_time_between(cal, ny(2024, 6, 3, 8), due) == timedelta(days=30)
    assert elapsed < 0.5


# ------------------------------------------------------------------------------------------ properties

CALENDARS = [
    BusinessCalendar.weekdays(PARIS, holidays=[date(2024, 4, 1), date(2024, 5, 1), date(2024, 12, 25)]),
    BusinessCalendar.weekdays(NY, ["08:00-12:00", "13:00-17:30"], holidays=[date(2024, 11, 28)]),
    BusinessCalendar.build(
        PARIS,
        {4: ["20:00-02:30"], 5: ["01:00-03:30"], 6: ["22:00-06:00"]},
        holidays=[date(2024, 10, 27)],
        exceptions={date(2024, 3, 31): ["02:15-02:45", "12:00-13:00"]},
    ),
    BusinessCalendar.weekdays(NY, "22:00-07:00", days=EVERY_DAY, exceptions={date(2024, 11, 3): ["01:00-01:45"]}),
    BusinessCalendar.always_open("America/New_York"),
]
BASE = utc(2024, 2, 20)
instants = st.integers(min_value=0, max_value=300 * 86400).map(lambda s: BASE + timedelta(seconds=s))
durations = st.integers(min_value=0, max_value=40 * 86400).map(lambda s: timedelta(seconds=s))
calendars = st.sampled_from(CALENDARS)


@settings(max_examples=150, deadline=None)
@given(cal=calendars, start=instants, a=durations, b=durations)
def test_adding_is_associative(cal: BusinessCalendar, start: datetime, a: timedelta, b: timedelta) -> None:
    assert add_business_time(cal, start, a + b) == add_business_time(cal, add_business_time(cal, start, a), b)


@settings(max_examples=150, deadline=None)
@given(cal=calendars, start=instants, d=durations)
def test_between_inverts_add_and_never_ends_in_closed_time(
    cal: BusinessCalendar, start: datetime, d: timedelta
) -> None:
    end = add_business_time(cal, start, d)
    assert end >= start
    assert business_time_between(cal, start, end) == d
    if d > timedelta(0):
        tick = timedelta(microseconds=1)
        assert is_open(cal, end - tick)  # the result closes an open stretch: (s, e]
        assert business_time_between(cal, start, end - tick) == d - tick


@settings(max_examples=100, deadline=None)
@given(cal=calendars, a=instants, b=instants, c=instants)
def test_between_is_additive(cal: BusinessCalendar, a: datetime, b: datetime, c: datetime) -> None:
    assert business_time_between(cal, a, c) == business_time_between(cal, a, b) + business_time_between(cal, b, c)


@settings(max_examples=100, deadline=None)
@given(cal=calendars, start=instants, length=durations)
def test_open_intervals_are_sorted_disjoint_and_open(cal: BusinessCalendar, start: datetime, length: timedelta) -> None:
    end = start + length
    got = spans(cal, start, end)
    total = timedelta(0)
    for i, (s, e) in enumerate(got):
        assert start <= s < e <= end
        assert is_open(cal, s)
        if i:
            assert s > got[i - 1][1]  # merged: never touching
        if e < end:
            assert not is_open(cal, e)
        total += e - s
    assert total == business_time_between(cal, start, end)
    if got:
        assert next_open(cal, start) == got[0][0]
