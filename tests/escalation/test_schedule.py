"""The reminder schedule of an escalation: pure time logic on the partner's business calendar."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compris.escalation.schedule import (
    MAX_REMINDERS,
    Reminder,
    ReminderRules,
    due_after,
    due_reminder,
    next_check,
    next_reminder,
    reminder_slots,
)
from compris.kit.calendar import BusinessCalendar, business_time_between

PARIS = ZoneInfo("Europe/Paris")
DEFAULT = ReminderRules.parse({"before_minutes": [60], "after_minutes": [0, 240], "repeat_minutes": 1440})
#: Monday to Friday, 09:00-18:00 in Paris
OFFICE = BusinessCalendar.weekdays("Europe/Paris", "09:00-18:00")


def paris(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=PARIS)


def slots(rules: ReminderRules, due: datetime, cal: BusinessCalendar | None, start: datetime) -> list[Reminder]:
    return list(reminder_slots(rules, due, cal, start))


# --- the rules --------------------------------------------------------------------------------------------------


def test_rules_are_parsed_sorted_and_deduplicated() -> None:
    rules = ReminderRules.parse({"before_minutes": [60, 30, 60], "after_minutes": [240, 0], "repeat_minutes": 1440})
    assert rules == ReminderRules((30, 60), (0, 240), 1440)
    assert ReminderRules.parse(rules.to_json()) == rules
    assert ReminderRules.parse(None).empty and ReminderRules.parse({}).empty


@pytest.mark.parametrize("bad", [
    {"before_minutes": [-5]}, {"after_minutes": ["10"]}, {"after_minutes": 10}, {"repeat_minutes": 1.5},
    {"before_minutes": [True]}, {"repeat_minutes": 10**9},
])
def test_bad_rules_are_refused_but_the_pass_reads_them_as_none(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ReminderRules.parse(bad)
    assert ReminderRules.lenient(bad).empty


# --- a business calendar across a weekend -------------------------------------------------------------------------


def test_due_friday_16h_with_four_business_hours_is_monday_11h() -> None:
    # Friday 4 December 2026, 16:00 Paris: 2 hours left on Friday, 2 more on Monday from 09:00
    assert due_after(OFFICE, paris(2026, 12, 4, 16), 4 * 60) == paris(2026, 12, 7, 11)


def test_reminders_around_a_weekend_due_time() -> None:
    created = paris(2026, 12, 4, 16)
    due = due_after(OFFICE, created, 4 * 60)
    got = slots(DEFAULT, due, OFFICE, created)
    assert [(r.at, r.when) for r in got[:4]] == [
        (paris(2026, 12, 7, 10), "before"),  # 1 business hour before Monday 11:00: Monday 10:00
        (paris(2026, 12, 7, 11), "after"),  # at the due time
        (paris(2026, 12, 7, 15), "after"),  # 4 business hours after
        (paris(2026, 12, 10, 12), "after"),  # then every 1,440 business minutes (24 business hours)
    ]
    assert business_time_between(OFFICE, paris(2026, 12, 7, 15), got[3].at) == timedelta(minutes=1440)
    assert got[3].at == paris(2026, 12, 10, 12)  # Mon 15-18 (3h) + Tue (9h) + Wed (9h) + Thu 9-12 (3h) = 24h


def test_a_before_reminder_over_the_weekend_goes_out_at_the_opening() -> None:
    # due Monday 11:00; 2 business hours before is Friday 18:00 = Monday 09:00: sent at Monday's opening
    rules = ReminderRules.parse({"before_minutes": [120]})
    got = slots(rules, paris(2026, 12, 7, 11), OFFICE, paris(2026, 12, 4, 10))
    assert got == [Reminder(paris(2026, 12, 7, 9), "before")]
    # 3 business hours before: Friday 17:00
    rules = ReminderRules.parse({"before_minutes": [180]})
    assert slots(rules, paris(2026, 12, 7, 11), OFFICE, paris(2026, 12, 4, 10)) == [
        Reminder(paris(2026, 12, 4, 17), "before")]


def test_a_before_reminder_already_passed_at_creation_is_not_sent() -> None:
    # escalated Monday 10:30 for 11:00: "one hour before" (10:00) has gone
    got = slots(DEFAULT, paris(2026, 12, 7, 11), OFFICE, paris(2026, 12, 7, 10, 30))
    assert got[0] == Reminder(paris(2026, 12, 7, 11), "after")


def test_the_instants_do_not_depend_on_the_start_only_which_are_left() -> None:
    due = paris(2026, 12, 7, 11)
    early = slots(DEFAULT, due, OFFICE, paris(2026, 12, 1, 9))
    later = slots(DEFAULT, due, OFFICE, paris(2026, 12, 7, 10, 30))
    assert early[1:] == later


def test_holidays_are_skipped() -> None:
    # Friday 25 December 2026 is a holiday: due Thursday 24th 16:00 + 4h → Thursday 18:00... then +240 after
    cal = BusinessCalendar.weekdays("Europe/Paris", "09:00-18:00", holidays=[date(2026, 12, 25)])
    due = due_after(cal, paris(2026, 12, 24, 16), 4 * 60)
    assert due == paris(2026, 12, 28, 11)  # Thursday 16-18, (Friday holiday), Monday 9-11
    got = slots(DEFAULT, due, cal, paris(2026, 12, 24, 16))
    assert [r.at for r in got[:3]] == [paris(2026, 12, 28, 10), paris(2026, 12, 28, 11), paris(2026, 12, 28, 15)]
    # a before-reminder that would fall on the holiday moves to the previous business day
    rules = ReminderRules.parse({"before_minutes": [180]})
    assert slots(rules, due, cal, paris(2026, 12, 24, 9)) == [Reminder(paris(2026, 12, 24, 17), "before")]


def test_no_calendar_is_around_the_clock() -> None:
    due = datetime(2026, 12, 5, 12, tzinfo=UTC)  # a Saturday
    got = slots(DEFAULT, due, None, datetime(2026, 12, 5, 9, tzinfo=UTC))
    assert [r.at for r in got[:4]] == [due - timedelta(hours=1), due, due + timedelta(hours=4),
                                       due + timedelta(hours=28)]


def test_repeat_is_bounded() -> None:
    rules = ReminderRules.parse({"after_minutes": [0], "repeat_minutes": 60})
    due = datetime(2026, 12, 5, 12, tzinfo=UTC)
    got = slots(rules, due, None, due - timedelta(hours=1))
    assert len(got) == MAX_REMINDERS
    assert got[-1].at == due + timedelta(hours=MAX_REMINDERS - 1)
    assert not slots(ReminderRules.parse({"repeat_minutes": 0}), due, None, due - timedelta(hours=1))


def test_repeat_without_after_counts_from_the_due_time() -> None:
    rules = ReminderRules.parse({"repeat_minutes": 30})
    due = datetime(2026, 12, 5, 12, tzinfo=UTC)
    assert [r.at for r in slots(rules, due, None, due)[:2]] == [due + timedelta(minutes=30),
                                                                 due + timedelta(minutes=60)]


def test_duplicate_instants_are_one_reminder() -> None:
    rules = ReminderRules.parse({"before_minutes": [0], "after_minutes": [0]})
    due = datetime(2026, 12, 5, 12, tzinfo=UTC)
    assert slots(rules, due, None, due - timedelta(hours=1)) == [Reminder(due, "after")]


# --- DST ----------------------------------------------------------------------------------------------------------


def test_around_the_clock_in_paris_across_the_autumn_change() -> None:
    # clocks go back on Sunday 25 October 2026 at 03:00 CEST: 4 hours after 00:00 CEST is 03:00 CET (UTC 02:00)
    cal = BusinessCalendar.always_open("Europe/Paris")
    due = paris(2026, 10, 25, 0)
    got = slots(DEFAULT, due, cal, due - timedelta(hours=2))
    assert got[2].at == due.astimezone(UTC) + timedelta(hours=4)  # 4 real hours (wall clock: 5)
    assert got[2].at.astimezone(PARIS).hour == 3


def test_office_hours_across_the_spring_change() -> None:
    # Friday 27 March 2026 17:00 CET, clocks go forward on Sunday: 2 business hours later is Monday 10:00 CEST
    due = due_after(OFFICE, paris(2026, 3, 27, 17), 120)
    assert due == paris(2026, 3, 30, 10)
    assert due.astimezone(PARIS).utcoffset() == timedelta(hours=2)
    got = slots(DEFAULT, due, OFFICE, paris(2026, 3, 27, 17))
    assert got[0] == Reminder(paris(2026, 3, 30, 9), "before")


# --- what the pass does with them ----------------------------------------------------------------------------------


def test_due_reminder_is_the_latest_slot_that_has_come() -> None:
    due = datetime(2026, 12, 5, 12, tzinfo=UTC)
    first = due - timedelta(hours=1)
    assert due_reminder(DEFAULT, due, None, first, first - timedelta(minutes=1)) is None
    assert due_reminder(DEFAULT, due, None, first, first) == Reminder(first, "before")
    # no worker for 5 hours: one reminder (4 hours after), not three
    assert due_reminder(DEFAULT, due, None, first, due + timedelta(hours=5)) == Reminder(
        due + timedelta(hours=4), "after")


def test_next_reminder_and_next_check() -> None:
    due = datetime(2026, 12, 5, 12, tzinfo=UTC)
    assert next_reminder(DEFAULT, due, None, due) == Reminder(due + timedelta(hours=4), "after")
    assert next_check(DEFAULT, due, None, due - timedelta(hours=3), overdue_marked=False) == due - timedelta(hours=1)
    # no reminder rules: the due time only, then nothing once marked
    assert next_check(ReminderRules(), due, None, due - timedelta(hours=3), overdue_marked=False) == due
    assert next_check(ReminderRules(), due, None, due, overdue_marked=True) is None
    # the due time passed while no worker ran, not marked yet: look now
    late = due + timedelta(minutes=5)
    assert next_check(ReminderRules(), due, None, late, overdue_marked=False) == late
    assert next_check(DEFAULT, None, None, due, overdue_marked=False) is None


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        list(reminder_slots(DEFAULT, datetime(2026, 12, 5, 12), None, datetime(2026, 12, 5, 9)))  # noqa: DTZ001


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),  # noqa: DTZ001
    due_minutes=st.integers(min_value=0, max_value=10_000),
    before=st.lists(st.integers(min_value=0, max_value=3_000), max_size=3),
    after=st.lists(st.integers(min_value=0, max_value=3_000), max_size=3),
    repeat=st.integers(min_value=0, max_value=3_000),
)
def test_slots_are_increasing_after_the_start_and_bounded(start: datetime, due_minutes: int, before: list[int],
                                                          after: list[int], repeat: int) -> None:
    begin = start.replace(tzinfo=PARIS)
    rules = ReminderRules.parse({"before_minutes": before, "after_minutes": after, "repeat_minutes": repeat})
    due = due_after(OFFICE, begin, due_minutes)
    got = slots(rules, due, OFFICE, begin)
    assert all(r.at > begin for r in got)
    assert all(a.at < b.at for a, b in itertools.pairwise(got))
    assert all((r.when == "before") == (r.at < due) for r in got)
    assert sum(r.when == "after" for r in got) <= MAX_REMINDERS
    for r in got:
        if r.when == "before":  # the before-reminders are where the minutes say, in business time
            assert business_time_between(OFFICE, r.at, due).total_seconds() / 60 in before
