"""The French catalogue covers every string of the UI; language and date helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from compris.web import i18n
from compris.web.pages.render import LABELS, TEMPLATES


def _template_msgids() -> set[str | tuple[str, ...]]:
    options = {"**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true",
                           "newstyle_gettext": "true"}}
    found: set[str | tuple[str, ...]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(TEMPLATES), method_map=[("**.html", "jinja2.ext:babel_extract")], options_map=options):
        found.add(message)
    return found


def test_every_ui_string_has_a_french_translation() -> None:
    path = Path(i18n.LOCALE_DIR) / "fr" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    wanted = _template_msgids() | {v for group in LABELS.values() for v in group.values()}
    missing = []
    for msgid in wanted:
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        message = catalog.get(key)
        if message is None or not message.string or (isinstance(message.string, tuple) and not all(message.string)):
            missing.append(msgid)
    assert not missing, f"add these to locale/fr/LC_MESSAGES/messages.po: {missing}"


def test_accept_language() -> None:
    assert i18n.from_accept_language("fr-CH, fr;q=0.9, en;q=0.8") == "fr"
    assert i18n.from_accept_language("en-GB,fr;q=0.5") == "en"
    assert i18n.from_accept_language("de,fr;q=0.3") == "fr"
    assert i18n.from_accept_language("de") == "en"
    assert i18n.from_accept_language(None) == "en"
    assert i18n.from_accept_language("fr;q=0") == "en"
    assert i18n.normalise("FR_ca") == "fr"


def test_dates_in_language_and_workspace_zone() -> None:
    at = datetime(2025, 3, 4, 23, 30, tzinfo=UTC)
    paris = i18n.format_when(at, "fr", "Europe/Paris", style="short")
    assert "05/03/2025" in paris and "00:30" in paris
    assert "3/4/25" in i18n.format_when(at, "en", "UTC", style="short")
    assert i18n.format_when(at, "en", "Not/AZone", style="short")  # unknown zone: UTC rather than a crash
    # the default (medium) style: the date in the workspace's zone and the time to the minute, never seconds
    # (issue 18, defect 8: the supervision page's "next due" and the incident pages showed 10:01:23 PM)
    late = datetime(2026, 12, 6, 23, 1, 23, tzinfo=UTC)
    assert plain(i18n.format_when(late, "en", "Europe/Paris")) == "Dec 7, 2026, 12:01 AM"
    assert plain(i18n.format_when(late, "fr", "Europe/Paris")) == "7 déc. 2026, 00:01"
    assert i18n.format_age(at - timedelta(hours=2), at, "en") == "2h"
    assert i18n.format_age(at - timedelta(seconds=5), at, "fr") == "à l'instant"
    assert i18n.format_count(12_400, "en") == "12.4K"
    assert i18n.format_count(1_200_000, "fr").startswith("1,2")


# --- numbers, units and reasons in the user's language (issue 18, defect 10) ----------------------------------


def plain(text: str) -> str:
    """Babel's French separates with (narrow) no-break spaces: compared as plain spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def test_sizes_durations_numbers_and_percentages_follow_the_language() -> None:
    # "10 MB" in French is "10 Mo", with a decimal comma
    assert plain(i18n.format_size(10 * 1024 * 1024, "fr")) == "10 Mo"
    assert plain(i18n.format_size(int(3.4 * 1024 * 1024), "fr")) == "3,4 Mo"
    assert plain(i18n.format_size(12 * 1024, "fr")) == "12 ko"
    assert plain(i18n.format_size(10 * 1024 * 1024, "en")) == "10 MB"
    # "168.0 heures" reads "7 jours"; hours keep at most one decimal
    assert plain(i18n.format_duration(168.0, "fr", unit="hours")) == "7 jours"
    assert plain(i18n.format_duration(168.0, "en", unit="hours")) == "7 days"
    assert plain(i18n.format_duration(36, "fr", unit="hours")) == "36 heures"
    assert plain(i18n.format_duration(1.5, "fr", unit="hours")) == "1,5 heure"
    assert plain(i18n.format_duration(timedelta(minutes=25), "en")) == "25 minutes"
    assert plain(i18n.format_number(48_000, "fr")) == "48 000"
    assert plain(i18n.format_number(48_000, "en")) == "48,000"
    assert plain(i18n.format_number(2.0, "fr")) == "2"
    assert plain(i18n.format_percent(0.34, "fr")) == "34 %"
    assert plain(i18n.format_percent(0.34, "en")) == "34%"
    # an English size inside an error's values
    assert plain(i18n.localize_units("at most 10 MB", "fr")) == "at most 10 Mo"
    assert plain(i18n.localize_units("at most 10 MB", "en")) == "at most 10 MB"


def test_priority_reasons_and_default_template_names_are_shown_in_french() -> None:
    from compris.web.pages.render import _reason, _template_name

    fr = i18n.translations("fr")
    assert _reason(fr, "fr", "promoted post") == fr.gettext("promoted post") != "promoted post"
    assert _reason(fr, "fr", "verified account") != "verified account"
    assert _reason(fr, "fr", "complaint") == "réclamation"
    followers = plain(_reason(fr, "fr", "48,000 followers"))
    assert followers.startswith("48 000 ") and "followers" not in followers
    assert _template_name(fr, "Apology and follow-up") == "Excuses et suivi"
    assert _template_name(fr, "Move to private") != "Move to private"
    assert _template_name(fr, "Our own name") == "Our own name"  # a name someone typed stays as it is


def test_the_rows_translate_their_reasons() -> None:
    from compris.web.pages.render import _reason, environment

    fr = i18n.translations("fr")
    template = environment().from_string("{{ reasons|map('reason')|join(' · ') }}")
    text = template.render(reasons=["complaint", "promoted post"], reason=lambda r: _reason(fr, "fr", r))
    assert "promoted post" not in text and text.startswith("réclamation · ")
