"""When an escalation's partner is reminded, and when it is overdue: pure functions of (rules, due time, calendar,
now), no database.

A partner's ``reminders`` rules are ``{"before_minutes": [60], "after_minutes": [0, 240], "repeat_minutes":
1440}``, counted in business time on the partner's calendar (24/7 when it has none):

* a reminder ``m`` business minutes *before* the due time for each ``m`` of ``before_minutes`` (a reminder whose
  time has already passed when the escalation is created is not sent: the brief has just gone out; one that falls
  on a closing time goes out at the next opening, when the partner can still act);
* one ``m`` business minutes *after* the due time for each ``m`` of ``after_minutes`` (``0``: at the due time);
* then one every ``repeat_minutes`` business minutes after the last of those (0 or absent: no repeat), at most
  :data:`MAX_REMINDERS` reminders after each due time.

The schedule is a sorted, de-duplicated list of instants (:func:`reminder_slots`). The follow-up pass keeps only
"the next instant to look at" on the escalation (``next_check_at``, :func:`next_check`): when it comes, the pass
sends *one* reminder for the latest slot that has come (:func:`due_reminder`; slots missed while no worker ran are
not sent one after the other), marks the escalation overdue once when the due time has passed, and stores the next
instant.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from compris.kit.calendar import (
    BusinessCalendar,
    add_business_time,
    business_time_between,
    is_open,
    next_open,
    require_aware,
)

__all__ = [
    "MAX_MINUTES",
    "MAX_REMINDERS",
    "Reminder",
    "ReminderRules",
    "due_after",
    "due_reminder",
    "next_check",
    "next_reminder",
    "reminder_slots",
]

#: at most this many reminders per due time (a long-forgotten escalation is not mailed forever)
MAX_REMINDERS = 20
#: a rule beyond this many minutes (a year) is refused
MAX_MINUTES = 366 * 24 * 60
#: two slots this close are one (a clock read twice, a database that keeps only microseconds)
_SAME = timedelta(seconds=1)


@dataclass(frozen=True)
class ReminderRules:
    """A partner's reminder rules, cleaned: minutes as sorted tuples without duplicates."""

    before_minutes: tuple[int, ...] = ()
    after_minutes: tuple[int, ...] = ()
    repeat_minutes: int = 0

    @classmethod
    def parse(cls, data: Mapping[str, Any] | None) -> ReminderRules:
        """The rules stored on a partner; a value that is not a whole number of minutes in ``[0, MAX_MINUTES]`` is
        refused (``ValueError``), so that an admin's mistake is seen when it is saved."""
        data = data or {}

        def minutes(value: Any, name: str) -> int:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MINUTES:
                raise ValueError(f"{name} must hold whole numbers of minutes between 0 and {MAX_MINUTES}")
            return value

        def many(name: str) -> tuple[int, ...]:
            values = data.get(name) or []
            if not isinstance(values, list | tuple):
                raise ValueError(f"{name} must be a list of minutes")
            return tuple(sorted({minutes(v, name) for v in values}))

        return cls(before_minutes=many("before_minutes"), after_minutes=many("after_minutes"),
                   repeat_minutes=minutes(data.get("repeat_minutes") or 0, "repeat_minutes"))

    @classmethod
    def lenient(cls, data: Mapping[str, Any] | None) -> ReminderRules:
        """:meth:`parse`, but rules that cannot be read mean "no reminders" (for the follow-up pass, which must not
        stop on one partner's bad row)."""
        try:
            return cls.parse(data)
        except ValueError:
            return cls()

    def to_json(self) -> dict[str, Any]:
        return {"before_minutes": list(self.before_minutes), "after_minutes": list(self.after_minutes),
                "repeat_minutes": self.repeat_minutes}

    @property
    def empty(self) -> bool:
        return not (self.before_minutes or self.after_minutes or self.repeat_minutes)


@dataclass(frozen=True)
class Reminder:
    """One reminder of the schedule: when, and whether it comes before or after the due time."""

    at: datetime
    when: str  # before | after


def due_after(calendar: BusinessCalendar | None, start: datetime, minutes: int) -> datetime:
    """The due time ``minutes`` business minutes after ``start`` (a partner's ``due_minutes`` from the escalation)."""
    return add_business_time(_calendar(calendar), require_aware(start, "start"), timedelta(minutes=minutes))


def _calendar(calendar: BusinessCalendar | None) -> BusinessCalendar:
    return calendar if calendar is not None else BusinessCalendar.always_open()


def _before(cal: BusinessCalendar, due: datetime, minutes: int, start: datetime) -> datetime | None:
    """The instant ``minutes`` business minutes before ``due``, if it is after ``start`` (None otherwise).

    The calendar only counts forward: from ``start``, add the business time left before ``due`` minus ``minutes``.
    """
    left = business_time_between(cal, start, due)
    wanted = timedelta(minutes=minutes)
    if left <= wanted:
        return None
    at = add_business_time(cal, start, left - wanted)
    return at if is_open(cal, at) else next_open(cal, at)  # at the next opening, not the closing before it


def reminder_slots(rules: ReminderRules, due: datetime, calendar: BusinessCalendar | None,
                   start: datetime) -> Iterator[Reminder]:
    """The reminders of one due time, in time order, those after ``start`` only (at most :data:`MAX_REMINDERS`
    after the due time).

    ``start`` is when the schedule begins (the escalation was created or reopened; the pass's "now" works too: the
    instants do not depend on it, only which are left out)."""
    due = require_aware(due, "due")
    start = require_aware(start, "start")
    cal = _calendar(calendar)
    before: list[Reminder] = []
    for minutes in rules.before_minutes:
        at = _before(cal, due, minutes, start) if minutes else None
        if at is not None and at < due:
            before.append(Reminder(at, "before"))
    after = [Reminder(add_business_time(cal, due, timedelta(minutes=m)), "after")
             for m in rules.after_minutes[:MAX_REMINDERS]]
    if rules.repeat_minutes and len(after) < MAX_REMINDERS:
        at = after[-1].at if after else due
        step = timedelta(minutes=rules.repeat_minutes)
        for _ in range(MAX_REMINDERS - len(after)):
            at = add_business_time(cal, at, step)
            after.append(Reminder(at, "after"))
    last: datetime | None = None
    for reminder in sorted(before, key=lambda r: r.at) + after:
        if last is not None and reminder.at - last < _SAME:
            continue
        last = reminder.at
        if reminder.at > start:
            yield reminder


def next_reminder(rules: ReminderRules, due: datetime, calendar: BusinessCalendar | None,
                  after: datetime) -> Reminder | None:
    """The first reminder strictly after ``after`` (None: no more)."""
    for reminder in reminder_slots(rules, due, calendar, after):
        return reminder
    return None


def due_reminder(rules: ReminderRules, due: datetime, calendar: BusinessCalendar | None, since: datetime,
                 at: datetime) -> Reminder | None:
    """The reminder to send at ``at``: the latest slot in ``[since, at]`` (``since``: the instant the pass was
    waiting for, ``next_check_at``), or None. Slots missed while no worker ran collapse into this one."""
    found: Reminder | None = None
    for reminder in reminder_slots(rules, due, calendar, since - _SAME):
        if reminder.at > at:
            break
        found = reminder
    return found


def next_check(rules: ReminderRules, due: datetime | None, calendar: BusinessCalendar | None, at: datetime, *,
               overdue_marked: bool) -> datetime | None:
    """When the follow-up pass should look at the escalation next, after ``at``: its next reminder, or its due time
    when it is still to be marked overdue (None: nothing left to do; no due time, no follow-up)."""
    if due is None:
        return None
    at = require_aware(at, "at")
    due = require_aware(due, "due")
    candidates: list[datetime] = []
    if not overdue_marked:
        candidates.append(max(due, at))
    reminder = next_reminder(rules, due, calendar, at)
    if reminder is not None:
        candidates.append(reminder.at)
    return min(candidates) if candidates else None
