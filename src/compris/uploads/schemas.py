"""API shapes of uploads: a file uploaded to attach to replies."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from compris.kit.schemas import Schema, Timestamp


class UploadOut(Schema):
    """A file uploaded to attach to replies. Its type is recognised from its bytes (the name and the client's
    `Content-Type` are not trusted)."""

    id: int = Field(examples=[17])
    name: str = Field(description="The file name, cleaned (no directories; the extension matches the type).",
                      examples=["boarding-pass.jpg"])
    mime_type: str = Field(examples=["image/jpeg"])
    kind: Literal["image", "video", "audio", "file"]
    size: int = Field(description="Bytes.", examples=[48213])
    sha256: str = Field(examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"])
    created_at: Timestamp

