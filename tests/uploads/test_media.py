"""File types recognised from their bytes, cleaned names, signed media links, the networks' attachment rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from compris.connectors.base import Attachment, AttachmentRules, OutboundMessage, SendError, Visibility, send_parts
from compris.kit import media
from compris.uploads import media_links
from compris.uploads.store import clean_name

SECRET = "a-secret-key-long-enough"


@pytest.mark.parametrize(("data", "mime"), [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
    (b"GIF89a\x01\x00", "image/gif"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
    (b"%PDF-1.4\n", "application/pdf"),
    (b"\x00\x00\x00\x18ftypmp42\x00", "video/mp4"),
    (b"\x00\x00\x00\x14ftypqt  \x00", "video/quicktime"),
    (b"\x00\x00\x00\x20ftypM4A \x00", "audio/mp4"),
    (b"OggS\x00\x02", "audio/ogg"),
    (b"ID3\x04\x00", "audio/mpeg"),
])
def test_types_are_recognised_from_the_bytes(data: bytes, mime: str) -> None:
    assert media.sniff(data + b"\x00" * 40) == mime


@pytest.mark.parametrize("data", [
    b"<!doctype html><script>alert(1)</script>", b"<svg xmlns='http://www.w3.org/2000/svg'/>",
    b"PK\x03\x04 a zip", b"plain text", b"#!/bin/sh\nrm -rf /", b"",
])
def test_anything_else_is_unknown(data: bytes) -> None:
    assert media.sniff(data) is None


def test_names_are_cleaned_and_match_the_type() -> None:
    assert clean_name("../../etc/passwd", media.PDF) == "passwd.pdf"
    assert clean_name("C:\\Users\\me\\photo.PNG", media.PNG) == "photo.PNG"
    assert clean_name("evil.png", media.JPEG) == "evil.png.jpg"
    assert clean_name("photo.jpeg", media.JPEG) == "photo.jpeg"
    assert clean_name("<script>.pdf", media.PDF) == "_script_.pdf"
    assert clean_name(".hidden", media.PDF) == "hidden.pdf"
    assert clean_name("", media.GIF) == "file.gif"
    assert len(clean_name("a" * 500 + ".pdf", media.PDF)) == 200


def test_media_links_are_signed_and_expire() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    token = media_links.token(SECRET, 3, 41, now + timedelta(hours=1))
    ref = media_links.verify(SECRET, token, now)
    assert ref is not None and (ref.workspace_id, ref.upload_id) == (3, 41)
    assert media_links.verify(SECRET, token, now + timedelta(hours=2)) is None  # expired
    assert media_links.verify("another-secret-key-entirely", token, now) is None
    ws, upload, expires, sig = token.split(".")
    assert media_links.verify(SECRET, f"{ws}.42.{expires}.{sig}", now) is None  # another file
    assert media_links.verify(SECRET, f"{ws}.{upload}.{int(expires) + 3600}.{sig}", now) is None  # longer life
    assert media_links.verify(SECRET, "garbage", now) is None
    url = media_links.url("https://care.example/", SECRET, 3, 41, now + timedelta(hours=1), "plan du vol.pdf")
    assert url == f"https://care.example/media/{token}/plan%20du%20vol.pdf"


def test_rules_refuse_with_a_reason() -> None:
    rules = AttachmentRules(mime_types=frozenset({media.PNG}), max_count=2, max_bytes=100,
                            max_bytes_by_kind={"image": 50}, without_text=False)
    png = Attachment(kind="image", name="a.png", mime_type=media.PNG, size=40)
    assert rules.refusal("Net", [png], has_text=True) is None
    assert "at most 2 attachments" in (rules.refusal("Net", [png] * 3, has_text=True) or "")
    assert "needs text" in (rules.refusal("Net", [png], has_text=False) or "")
    pdf = Attachment(kind="file", name="b.pdf", mime_type=media.PDF, size=10)
    assert "does not accept application/pdf" in (rules.refusal("Net", [pdf], has_text=True) or "")
    big = Attachment(kind="image", name="c.png", mime_type=media.PNG, size=60)
    assert "c.png is too large" in (rules.refusal("Net", [big], has_text=True) or "")


def test_send_parts_sends_each_part_once() -> None:
    message = OutboundMessage(idempotency_key="k", text="t", visibility=Visibility.PRIVATE, thread_key="x",
                              reply_to_platform_id=None, recipient=None, progress={"text": "m1"})
    calls: list[str] = []

    def fail() -> str:
        calls.append("b")
        raise SendError("down", retryable=True)

    with pytest.raises(SendError) as caught:
        send_parts(message, [("text", lambda: calls.append("a") or "m0"), ("file", fail)])
    assert calls == ["b"] and caught.value.progress == {"text": "m1"}


def test_invisible_and_direction_characters_are_not_kept_in_names() -> None:
    """A right-to-left override makes ``invoice\\u202efdp.png`` read as ``invoicegnp.pdf``: never kept, nor
    zero-width characters, C1 controls or line separators (they would mislead the agent or the customer)."""
    from compris.uploads.store import plain_name

    assert clean_name("invoice\u202efdp.png", media.PNG) == "invoice_fdp.png"
    assert clean_name("a\u200bb\u2066c\u2069.pdf", media.PDF) == "a_b_c_.pdf"
    assert clean_name("x\x85y\u2028z.png", media.PNG) == "x_y_z.png"
    assert clean_name("\u202e", media.GIF) == "_.gif"
    assert plain_name("evil\u202egnp.exe") == "evil_gnp.exe"
    assert clean_name("café.png", media.PNG) == "café.png"  # letters of any script are kept


def test_the_store_path_takes_only_a_bare_sha256(tmp_path: object) -> None:
    from pathlib import Path

    from compris.uploads.store import path_for

    sha = "a" * 64
    assert path_for(Path("/data"), 3, sha) == Path("/data/uploads/3") / "aa" / sha
    for bad in (sha + "\n", "../" + sha[3:], sha.upper(), sha[:-1], sha + "/x"):
        with pytest.raises(ValueError, match="SHA-256"):
            path_for(Path("/data"), 3, bad)
