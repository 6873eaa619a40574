"""Mastodon's length count (``StatusLengthValidator``): grapheme clusters, every URL with a protocol 23, a mention
``@user@server`` counted as ``@user``; and the reply guard's too_long rule in that unit."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compris.connectors.base import Limits
from compris.kit.textlength import MASTODON_URL_LENGTH, grapheme_count, mastodon_length, mastodon_offset
from compris.replies.guard import GuardContext, check


@pytest.mark.parametrize("text,expected", [
    ("", 0),
    ("Bonjour", 7),
    ("@elodie@piaille.fr merci", len("@elodie merci")),  # the server part is free
    ("@jo merci", 9),  # a local mention counts whole
    ("cc @a@x.org @b_c@sub.y.social", len("cc @a @b_c")),
    ("see https://example.com/a/very/long/path?with=query&and=more", 4 + MASTODON_URL_LENGTH),
    ("https://a.io", MASTODON_URL_LENGTH),  # short URLs count 23 too
    ("(https://example.com/x).", 1 + MASTODON_URL_LENGTH + 2),  # trailing punctuation is not the URL's
    ("www.example.com", 15),  # without a protocol it is text (extract_url_without_protocol: false)
    ("write to care@example.com", 25),  # an address is not a mention
    ("https://piaille.fr/@elodie@piaille.fr", MASTODON_URL_LENGTH),  # a mention inside a URL is the URL's
    ("👨‍👩‍👧‍👦", 1),  # one grapheme cluster (7 code points)
    ("e\u0301", 1),
    ("🇫🇷 ok", 4),
    ("ligne 1\nligne 2", 15),
])
def test_mastodon_length(text: str, expected: int) -> None:
    assert mastodon_length(text) == expected


def test_offset_marks_where_the_limit_is_passed() -> None:
    text = "@elodie@piaille.fr " + "a" * 10
    assert mastodon_length(text) == 18
    assert mastodon_offset(text, 18) == len(text)
    assert mastodon_offset(text, 17) == len(text) - 1
    url = "https://example.com/" + "p" * 80
    assert mastodon_offset("ab " + url + " cd", 10) == 3  # the URL is one unit: it starts past the limit
    assert mastodon_offset("ab " + url + " cd", 26) == 3 + len(url)


@given(st.text(max_size=60))
def test_plain_text_counts_graphemes(text: str) -> None:
    if "http" in text.lower() or "@" in text:
        return
    assert mastodon_length(text) == grapheme_count(text)


@given(st.text(max_size=80), st.integers(0, 100))
def test_offset_is_consistent(text: str, limit: int) -> None:
    offset = mastodon_offset(text, limit)
    assert 0 <= offset <= len(text)
    assert (offset == len(text)) == (mastodon_length(text) <= limit)


def test_limits_count_in_mastodon_units() -> None:
    limits = Limits(public_max_length=500, length_unit="mastodon")
    assert limits.count("@elodie@piaille.fr https://example.com/" + "x" * 100, "public") == 7 + 1 + 23


def test_guard_too_long_in_mastodon_units() -> None:
    ctx = GuardContext(max_length=30, length_unit="mastodon", network="Mastodon")
    fits = "@elodie@piaille.fr https://example.com/" + "x" * 200  # 7 + 1 + 23 = 31
    found = [f for f in check(fits, ctx) if f.rule == "too_long"]
    assert found and found[0].severity == "block"
    assert found[0].span[0] == fits.index("https")
    assert "31" in found[0].message and "as Mastodon counts them" in found[0].message
    assert not [f for f in check(fits[:-200].rstrip("/").replace("https://example.com", "ok"), ctx)
                if f.rule == "too_long"]
    fr = [f for f in check(fits, GuardContext(max_length=30, length_unit="mastodon", ui_language="fr"))
          if f.rule == "too_long"]
    assert fr and "au compte de Mastodon" in fr[0].message


REPLIES_JS = Path(__file__).resolve().parents[2] / "src" / "compris" / "web" / "static" / "replies.js"
SAMPLES = ["Bonjour", "@elodie@piaille.fr merci", "cc @a@x.org @b_c@sub.y.social", "(https://example.com/x).",
           "see https://example.com/a/very/long/path?with=query&and=more", "www.example.com", "care@example.com",
           "https://piaille.fr/@elodie@piaille.fr", "👨‍👩‍👧‍👦 e\u0301 🇫🇷", "ligne 1\nligne 2 @jo"]


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_reply_box_counts_as_the_server(tmp_path: Path) -> None:
    """The live counter of the reply box (replies.js) gives the same lengths as the guard and the outbox."""
    (tmp_path / "samples.json").write_text(json.dumps(SAMPLES), encoding="utf-8")
    script = ("global.window = global; global.document = {querySelector: () => null, addEventListener: () => {}};"
              f"eval(require('node:fs').readFileSync({str(REPLIES_JS)!r}, 'utf8'));"
              f"const samples = JSON.parse(require('node:fs').readFileSync({str(tmp_path / 'samples.json')!r}));"
              "process.stdout.write(JSON.stringify(samples.map((t) => window.comprisTextLength(t, 'mastodon'))));")
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30, check=True)
    assert json.loads(result.stdout) == [mastodon_length(t) for t in SAMPLES], result.stderr
