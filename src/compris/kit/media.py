"""File types Compris accepts as attachments, recognised from their first bytes (never from a name or a
client's ``Content-Type``). Domain-free: used by the upload store and by the connectors' declarations."""

from __future__ import annotations

JPEG = "image/jpeg"
PNG = "image/png"
GIF = "image/gif"
WEBP = "image/webp"
PDF = "application/pdf"
MP4 = "video/mp4"
QUICKTIME = "video/quicktime"
THREE_GP = "video/3gpp"
WEBM = "video/webm"
M4A = "audio/mp4"
MP3 = "audio/mpeg"
OGG = "audio/ogg"
WAV = "audio/wav"
AAC = "audio/aac"

#: every type Compris can recognise, with its kind and usual extension
TYPES: dict[str, tuple[str, str]] = {
    JPEG: ("image", "jpg"), PNG: ("image", "png"), GIF: ("image", "gif"), WEBP: ("image", "webp"),
    PDF: ("file", "pdf"),
    MP4: ("video", "mp4"), QUICKTIME: ("video", "mov"), THREE_GP: ("video", "3gp"), WEBM: ("video", "webm"),
    M4A: ("audio", "m4a"), MP3: ("audio", "mp3"), OGG: ("audio", "ogg"), WAV: ("audio", "wav"), AAC: ("audio", "aac"),
}
IMAGES = frozenset({JPEG, PNG, GIF, WEBP})
VIDEOS = frozenset({MP4, QUICKTIME, THREE_GP, WEBM})
AUDIO = frozenset({M4A, MP3, OGG, WAV, AAC})
ALL = frozenset(TYPES)


def sniff(data: bytes) -> str | None:
    """The MIME type of ``data`` from its magic bytes, or None when it is none of :data:`TYPES` (HTML, SVG,
    scripts, archives, office files... are never recognised, whatever their name says)."""
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"%PDF-"):
        return PDF
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B "):
            return M4A
        if brand == b"qt  ":
            return QUICKTIME
        if brand.startswith(b"3g"):
            return THREE_GP
        return MP4
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return MP3
    if head[:2] in (b"\xff\xf1", b"\xff\xf9"):
        return AAC
    return None


def kind_of(mime_type: str) -> str:
    """``image``, ``video``, ``audio`` or ``file``."""
    return TYPES.get(mime_type, ("file", "bin"))[0]


def extension(mime_type: str) -> str:
    return TYPES.get(mime_type, ("file", "bin"))[1]


def human_size(size: int) -> str:
    """``12 KB``, ``3.4 MB`` (powers of 1024, as file managers show them)."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
