"""Coverage of 24/7 channels: the hours nobody is on shift."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from compris.kit.calendar import BusinessCalendar
from compris.sla.coverage import coverage, coverage_gaps, covered_intervals

PARIS = ZoneInfo("Europe/Paris")
H = timedelta(hours=1)
WEEK_START = datetime(2024, 6, 3, 0, 0, tzinfo=PARIS)  # Monday
WEEK_END = WEEK_START + timedelta(days=7)


def total(spans: list[tuple[datetime, datetime]]) -> timedelta:
    return sum((e - s for s, e in spans), timedelta(0))


def test_nine_to_five_team_leaves_a_24_7_channel_uncovered() -> None:
    care = BusinessCalendar.weekdays(PARIS, "09:00-17:00")
    gaps = coverage_gaps({"care": [care]}, True, WEEK_START, WEEK_END)
    assert total(gaps) == (168 - 40) * H
    assert gaps[0] == (WEEK_START, datetime(2024, 6, 3, 9, 0, tzinfo=PARIS))
    assert gaps[-1] == (datetime(2024, 6, 7, 17, 0, tzinfo=PARIS), WEEK_END)
    assert all(s.tzinfo is UTC for s, _ in gaps)


def test_follow_the_sun_covers_everything_but_a_hole() -> None:
    shifts: dict[str, BusinessCalendar | list[BusinessCalendar]] = {
        "paris": BusinessCalendar.weekdays("Europe/Paris", "07:00-19:00", days=range(7)),  # 05-17 UTC in June
        "montreal": BusinessCalendar.weekdays("America/Toronto", "12:00-22:00", days=range(7)),  # 16-02 UTC
        "manila": [BusinessCalendar.weekdays("Asia/Manila", "10:00-13:00", days=range(7))],  # 02-05 UTC
    }
    assert coverage_gaps(shifts, True, WEEK_START, WEEK_END) == []
    shifts["manila"] = [
        BusinessCalendar.weekdays("Asia/Manila", "10:00-13:00", days=range(7), holidays=[date(2024, 6, 5)])
    ]
    gaps = coverage_gaps(shifts, True, WEEK_START, WEEK_END)
    assert gaps == [(datetime(2024, 6, 5, 2, 0, tzinfo=UTC), datetime(2024, 6, 5, 5, 0, tzinfo=UTC))]


def test_only_promised_hours_count_on_a_channel_that_is_not_24_7() -> None:
    care = BusinessCalendar.weekdays(PARIS, "09:00-17:00")
    assert coverage_gaps([care], False, WEEK_START, WEEK_END) == []
    promised = BusinessCalendar.weekdays(PARIS, "08:00-18:00")
    gaps = coverage_gaps([care], False, WEEK_START, WEEK_END, required=promised)
    assert total(gaps) == 5 * 2 * H


def test_full_days_cover_the_dst_day() -> None:
    always = BusinessCalendar.weekdays(PARIS, "00:00-24:00", days=range(7))
    start = datetime(2024, 3, 30, tzinfo=PARIS)
    assert coverage_gaps([always], True, start, start + timedelta(days=3)) == []
    assert covered_intervals([always], start, start + timedelta(days=3)) == [(start, start + timedelta(days=3))]


def test_hourly_coverage_view() -> None:
    shifts = {
        "alice": BusinessCalendar.weekdays(PARIS, "09:00-17:00"),
        "bob": BusinessCalendar.weekdays(PARIS, "16:30-20:00"),
    }
    day = datetime(2024, 6, 3, tzinfo=PARIS)
    slots = coverage(shifts, day, day + timedelta(days=1))
    assert len(slots) == 24
    by_hour = {s.start.astimezone(PARIS).hour: s for s in slots}
    assert by_hour[8].on_shift == frozenset() and not by_hour[8].fully_covered
    assert by_hour[9].on_shift == {"alice"} and by_hour[9].fully_covered
    assert by_hour[16].on_shift == {"alice", "bob"} and by_hour[16].fully_covered
    assert by_hour[19].on_shift == {"bob"}
    assert by_hour[20].on_shift == frozenset()
    half = coverage({"bob": shifts["bob"]}, day, day + timedelta(days=1))
    assert not {s.start.astimezone(PARIS).hour: s for s in half}[16].fully_covered  # only from 16:30
