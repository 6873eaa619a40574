"""The user guide's screenshots (issue 18, "Done means"): every image under ``docs/screenshots/`` is taken by
``docs/screenshots.py`` and shown in the user guide, and the main pages are there on a desktop and a phone, in
English and in French."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "docs" / "screenshots"
GUIDE = ROOT / "docs" / "user-guide.md"
SCRIPT = ROOT / "docs" / "screenshots.py"

#: the desk's main pages: the inbox and a case, desktop and phone, English and French
MAIN = {"inbox", "desk", "case", "phone-inbox", "phone-case", "inbox-fr", "case-fr", "phone-inbox-fr", "phone-case-fr"}


def _committed() -> set[str]:
    return {path.stem for path in SHOTS.glob("*.png")}


def test_every_screenshot_is_taken_by_the_script() -> None:
    literals = set(re.findall(r'"([a-z0-9-]+)(?:\.png)?"', SCRIPT.read_text(encoding="utf-8")))
    assert _committed() - literals == set(), "screenshots the script does not take (they would go stale)"


def test_every_screenshot_is_shown_in_the_user_guide() -> None:
    shown = set(re.findall(r"\(screenshots/([a-z0-9-]+)\.png\)", GUIDE.read_text(encoding="utf-8")))
    assert shown - _committed() == set(), "the user guide shows images that are not committed"
    assert _committed() - shown == set(), "committed screenshots the user guide does not show"


def test_the_main_pages_on_desktop_and_phone_in_both_languages() -> None:
    assert _committed() >= MAIN
