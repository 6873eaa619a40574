"""API shapes (request and response bodies) of the capability."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from compris.kit.schemas import Schema

# --- follow-up: overdue and due-soon escalations (esc-followup) ----------------------------------------------------

class FollowUpItem(Schema):
    """An escalation waiting for a partner, as supervisors follow it up."""

    id: int = Field(examples=[7])
    case_number: int = Field(examples=[1042])
    partner_id: int
    partner: str = Field(examples=["Hotel du Lac"])
    status: Literal["open", "answered", "closed", "cancelled"]
    state: Literal["overdue", "due_soon", "open"] = Field(
        description="`overdue`: the due time passed without an answer; `due_soon`: due within 4 hours.")
    due_at: datetime | None
    late_minutes: int | None = Field(description="How late it is (overdue only).", examples=[95])
    overdue_at: datetime | None = Field(description="When the follow-up marked it overdue.")
    reminders_sent: int
    next_check_at: datetime | None = Field(description="When the follow-up looks at it next (the next reminder, "
                                           "or the due time).")
    assignee_id: int | None
    assignee: str | None = Field(description="The case's agent.")


class FollowUpList(Schema):
    items: list[FollowUpItem]
