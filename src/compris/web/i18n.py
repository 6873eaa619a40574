"""French and English for the agent UI, with Babel.

The ``.po`` files under ``compris/locale/<lang>/LC_MESSAGES/messages.po`` are the source: they are read and
compiled in memory when first needed (no ``.mo`` build step). Dates are formatted with Babel in the user's
language and the workspace's time zone.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import DateTimePattern, format_datetime, format_timedelta, get_date_format, get_time_format
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_compact_decimal, format_decimal
from babel.numbers import format_percent as format_percent_babel
from babel.support import NullTranslations, Translations
from babel.units import format_unit

from compris.kit.errors import ComprisError, Translatable

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def normalise(language: str | None) -> str:
    """``fr-CA`` → ``fr``; anything unknown → the default."""
    code = (language or "").strip().lower().replace("_", "-").split("-", 1)[0]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


@cache
def translations(language: str) -> NullTranslations:
    """The compiled catalogue of one language (English falls back to the msgids)."""
    language = normalise(language)
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def gettext(language: str, message: str, **variables: object) -> str:
    text = translations(language).gettext(message)
    return text % variables if variables else text


def error_text(language: str, error: ComprisError) -> str:
    """A domain error in the user's language: its ``msgid`` with its values when it has one, else its message."""
    t = translations(language)
    if error.msgid:
        params = {k: t.gettext(v) if isinstance(v, Translatable)
                  else localize_units(v, language) if isinstance(v, str) else v for k, v in error.params.items()}
        try:
            return t.gettext(error.msgid) % params
        except (KeyError, TypeError, ValueError):  # a translation that does not fit its values: the English
            return error.message
    return t.gettext(error.message)


def from_accept_language(header: str | None) -> str:
    """The best of our languages for an ``Accept-Language`` header (RFC 9110 quality values)."""
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        if not tag:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        code = tag.strip().lower().split("-", 1)[0]
        if code in LANGUAGES and q > 0 and q - position * 1e-6 > best_q:
            best, best_q = code, q - position * 1e-6
    return best


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def format_when(value: datetime | None, language: str, tz: str | None, *, style: str = "medium") -> str:
    """A date and time in the user's language and the workspace's time zone (``short``/``medium``/``long``).
    ``medium`` is the date's medium form and the time to the minute ("Dec 6, 2026, 10:01 PM", "6 déc. 2026,
    22:01"): people read no seconds on a page (issue 18, defect 8)."""
    if value is None:
        return ""
    locale, tzinfo, date_pattern, time_pattern, pattern = _medium(normalise(language), tz)
    if style == "medium":
        local = value.astimezone(tzinfo)
        return pattern.replace("{1}", date_pattern.apply(local, locale)).replace(
            "{0}", time_pattern.apply(local, locale))
    return format_datetime(value, format=style, tzinfo=tzinfo, locale=locale)


@cache
def _medium(language: str, tz: str | None) -> tuple[Locale, ZoneInfo, DateTimePattern, DateTimePattern, str]:
    """A language's locale, a zone, the medium date and short time patterns and how they join, looked up once
    (a page formats a hundred dates: the look-ups cost four times the formatting)."""
    locale = _locale(language)
    return (locale, zone(tz), get_date_format("medium", locale=locale), get_time_format("short", locale=locale),
            str(locale.datetime_formats["medium"]))


def format_age(value: datetime | None, now: datetime, language: str) -> str:
    """How long ago, compactly: ``5 min``, ``2 h``, ``3 d``."""
    if value is None:
        return ""
    delta = max(now - value, timedelta(0))
    if delta < timedelta(minutes=1):
        return gettext(language, "now")
    return format_timedelta(delta, locale=_locale(normalise(language)), format="narrow", threshold=1.0)


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


def format_count(value: int | None, language: str) -> str:
    """Follower counts: ``12K``, ``1,2 M``."""
    if value is None:
        return ""
    return str(format_compact_decimal(value, locale=normalise(language), fraction_digits=1))


# --- numbers and units in the user's language (issue 18, defect 10: "168.0 heures", "10 MB") -----------------------

_SIZE_UNITS = (("digital-gigabyte", 1024 ** 3), ("digital-megabyte", 1024 ** 2), ("digital-kilobyte", 1024))
_ENGLISH_SIZE = re.compile(r"\b(?P<num>\d+(?:\.\d+)?) (?P<unit>B|KB|MB|GB)\b")


def format_number(value: float | int | None, language: str, *, digits: int = 1) -> str:
    """``48,000`` / ``48 000``; ``1.5`` / ``1,5`` (at most ``digits`` decimals, none when whole)."""
    if value is None:
        return ""
    rounded = round(float(value), digits)
    if rounded == int(rounded):
        return str(format_decimal(int(rounded), locale=normalise(language)))
    return str(format_decimal(rounded, locale=normalise(language), format="#,##0." + "#" * digits))


def format_percent(share: float | None, language: str) -> str:
    """A share as a whole percentage: ``12%`` / ``12 %``."""
    if share is None:
        return ""
    return str(format_percent_babel(round(float(share), 2), locale=normalise(language)))


def format_size(size: int | None, language: str) -> str:
    """A file size: ``12 KB`` / ``12 ko``, ``3.4 MB`` / ``3,4 Mo`` (powers of 1024, as file managers show them)."""
    if size is None:
        return ""
    lang = normalise(language)
    if lang == "en":
        from compris.kit.media import human_size

        return human_size(int(size))
    for unit, factor in _SIZE_UNITS:
        if size >= factor:
            value = round(size / factor, 1 if factor > 1024 else 0)
            return str(format_unit(value if value != int(value) else int(value), unit, "short", locale=lang))
    return str(format_unit(int(size), "digital-byte", "short", locale=lang))


def format_duration(value: timedelta | float | int | None, language: str, *, unit: str = "seconds",
                    length: Literal["short", "long", "narrow"] = "long") -> str:
    """A length of time in words: whole days as days (``7 days`` / ``7 jours``), else hours with at most one
    decimal (``1.5 hours`` / ``1,5 heure``), else minutes. ``value`` is a timedelta, or a number in ``unit``
    (``seconds``, ``minutes`` or ``hours``)."""
    if value is None:
        return ""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    else:
        seconds = float(value) * {"seconds": 1, "minutes": 60, "hours": 3600}[unit]
    lang = normalise(language)
    if seconds >= 86400 and round(seconds) % 86400 == 0:
        return str(format_unit(round(seconds) // 86400, "duration-day", length, locale=lang))
    if seconds >= 3600:
        hours = round(seconds / 3600, 1)
        return str(format_unit(int(hours) if hours == int(hours) else hours, "duration-hour", length, locale=lang))
    return str(format_unit(round(seconds / 60), "duration-minute", length, locale=lang))


def localize_units(text: str, language: str) -> str:
    """English file sizes inside a value (``10 MB``, ``3.4 MB``) in the user's language."""
    if normalise(language) == "en":
        return text
    factors = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}

    def one(match: re.Match[str]) -> str:
        return format_size(round(float(match["num"]) * factors[match["unit"]]), language)

    return _ENGLISH_SIZE.sub(one, text)
