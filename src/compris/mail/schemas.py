"""API shapes of outgoing mail: the workspace's SMTP settings (the password is write-only), the test mail and the
log of mails sent."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from compris.kit.schemas import Schema

Security = Literal["ssl", "starttls", "plain"]


class MailSettingsIn(Schema):
    """The whole settings. ``password``: left out (or null) keeps the stored one; ``clear_password`` removes it."""

    host: str = Field(default="", max_length=255, description="The SMTP server (empty: outgoing mail is off).",
                      examples=["smtp.brand.example"])
    port: int = Field(default=587, ge=1, le=65535, examples=[587])
    security: Security = Field(default="starttls", description="`ssl` (implicit TLS, usually port 465), "
                               "`starttls` (usually 587) or `plain` (no encryption: a local relay only).")
    username: str = Field(default="", max_length=254, examples=["care@brand.example"])
    password: str | None = Field(default=None, max_length=500, description="Write-only: never returned.")
    clear_password: bool = Field(default=False, description="Remove the stored password.")
    from_address: str = Field(default="", max_length=254, examples=["care@brand.example"])
    from_name: str = Field(default="", max_length=200, examples=["Brand customer care"])
    reply_address: str = Field(default="", max_length=254, description=(
        "Where partners' e-mail answers go: an address with `{token}` where the escalation's token goes "
        "(`care+{token}@brand.example`), or a plain address, plus-addressed with the token. Empty: answers go to "
        "the sending address and are matched by the thread's Message-ID only."),
        examples=["care+{token}@brand.example"])


class MailSettingsOut(Schema):
    configured: bool = Field(description="True when a host and a sending address are set (mail can go out).")
    host: str
    port: int
    security: Security
    username: str
    password_set: bool = Field(description="Whether a password is stored (it is never shown).")
    password: str = Field(description="The stored password, redacted (`••••••••`), or empty.")
    from_address: str
    from_name: str
    reply_address: str
    updated_at: datetime | None = None


class TestMailIn(Schema):
    to: str | None = Field(default=None, max_length=254,
                           description="Where the test mail goes; by default, your own address.")


class MailOut(Schema):
    id: int
    created_at: datetime
    state: Literal["queued", "sending", "sent", "failed"]
    to: list[str]
    subject: str
    purpose: str = Field(examples=["escalation_brief", "escalation_reminder", "test"])
    attempts: int
    error: str | None = Field(description="Why the last attempt failed (kept while a retry is pending).")
    sent_at: datetime | None
    message_id: str
    text: str | None = Field(default=None, description="The body (in the list only when asked: `body=true`).")


class MailList(Schema):
    items: list[MailOut]
