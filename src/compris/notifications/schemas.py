"""API shapes of notifications (``/api/v1/notifications``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from compris.kit.schemas import Schema, Timestamp

NotificationKind = Literal["mention", "assigned", "escalation_answered", "sla_at_risk", "sla_breached", "low_rating"]


class NotificationOut(Schema):
    id: int = Field(examples=[42])
    kind: NotificationKind = Field(description="What happened: `mention` (an internal note names you), `assigned` "
                                   "(a case was given to you by someone else or by routing), `escalation_answered`, "
                                   "`sla_at_risk`, `sla_breached` (your case, or an unassigned case of your team "
                                   "if you supervise it), `low_rating` (supervisors).", examples=["mention"])
    text: str = Field(description="The sentence, in your language.",
                      examples=["Inès Laurent mentioned you on case #12"])
    case_number: int | None = Field(description="The case it is about.", examples=[12])
    message_id: int | None = Field(description="The note that mentions you (`mention` only).", examples=[345])
    url: str = Field(description="Where it leads in the web interface (the case, at the note).",
                     examples=["/cases/12#message-345"])
    excerpt: str = Field(description="A short excerpt of the note (plain text; `mention` only, else empty).",
                         examples=["@Sophie can you call the hotel?"])
    data: dict[str, Any] = Field(description="Small values of the sentence (the partner, the rating, the SLA "
                                             "metric).", examples=[{}])
    created_at: Timestamp
    read_at: Timestamp | None = Field(description="null: unread.", examples=[None])


class NotificationList(Schema):
    items: list[NotificationOut]
    unread_count: int = Field(description="Your unread notifications, all pages together.", examples=[3])
    next_before: int | None = Field(description="Pass as `before` for the next (older) page; null: no more.",
                                    examples=[17])


class MarkedRead(Schema):
    marked: int = Field(description="How many notifications were marked read.", examples=[3])


class ReadAllIn(Schema):
    up_to: int | None = Field(default=None, ge=1, description="Only those with an id up to this one (the newest you "
                              "saw); omitted: all.", examples=[57])
