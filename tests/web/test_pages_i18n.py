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
    assert i18n.format_age(at - timedelta(hours=2), at, "en") == "2h"
    assert i18n.format_age(at - timedelta(seconds=5), at, "fr") == "à l'instant"
    assert i18n.format_count(12_400, "en") == "12.4K"
    assert i18n.format_count(1_200_000, "fr").startswith("1,2")
