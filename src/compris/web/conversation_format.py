"""How the conversation pane writes times (issue 18, defect 8): an SLA due time a person reads at a glance.

"First response due in 25 min (at 14:35)", "Resolution due 12 Dec 09:00", "Next response overdue by 1 h 10 min
(was due at 13:05)": no seconds, never two dates run together, in the user's language and the workspace's time
zone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from babel.dates import format_datetime

from compris.web import i18n

#: the SLA clocks the case shows, with their names (msgids already in the catalogue)
SLA_CLOCKS = {"first_response": "First response", "next_response": "Next response", "resolution": "Resolution"}
#: closer than this, a due time is said relative to now ("in 25 min"), further it is a date
RELATIVE_WITHIN = timedelta(hours=12)


def duration(delta: timedelta, language: str) -> str:
    """``25 min``, ``1 h 5 min``, ``3 h`` (the same units in English and French); under a minute is ``1 min``."""
    minutes = max(1, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        days = hours // 24
        return i18n.translations(language).ngettext("%(num)s day", "%(num)s days", days) % {"num": days}
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def clock_time(value: datetime, language: str, tz: str | None) -> str:
    """``14:35`` in the workspace's time zone."""
    return format_datetime(value, "HH:mm", tzinfo=i18n.zone(tz), locale=i18n.normalise(language))


def day_and_time(value: datetime, language: str, tz: str | None) -> str:
    """``12 Dec 09:00`` (``12 déc. 09:00``); the year only when it is not the current one."""
    zone = i18n.zone(tz)
    pattern = "d MMM HH:mm" if value.astimezone(zone).year == datetime.now(zone).year else "d MMM y HH:mm"
    return format_datetime(value, pattern, tzinfo=zone, locale=i18n.normalise(language))


def sla_due(clock: str, due: datetime | None, language: str, tz: str | None, at: datetime) -> str:
    """One SLA clock's due time as a sentence (``clock``: a key of :data:`SLA_CLOCKS`)."""
    if due is None:
        return ""
    what = i18n.gettext(language, SLA_CLOCKS.get(clock, clock))
    if due >= at:
        if due - at <= RELATIVE_WITHIN:
            return i18n.gettext(language, "%(what)s due in %(delta)s (at %(time)s)", what=what,
                                delta=duration(due - at, language), time=clock_time(due, language, tz))
        return i18n.gettext(language, "%(what)s due %(date)s", what=what, date=day_and_time(due, language, tz))
    if at - due <= RELATIVE_WITHIN:
        return i18n.gettext(language, "%(what)s overdue by %(delta)s (was due at %(time)s)", what=what,
                            delta=duration(at - due, language), time=clock_time(due, language, tz))
    return i18n.gettext(language, "%(what)s overdue since %(date)s", what=what,
                        date=day_and_time(due, language, tz))
