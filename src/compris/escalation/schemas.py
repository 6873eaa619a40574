"""API shapes (request and response bodies) of the capability: partners and internal teams, a case's
escalations and their exchanges."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from compris.kit.schemas import Schema, Timestamp

DUE_HELP = ("How long they have to answer, in minutes of their business calendar (`business_hours_id`; null: "
            "calendar time, 24/7).")
REMINDERS_HELP = ("Reminder e-mails: minutes of their calendar before / after the due time, then every "
                  "`repeat_minutes` while overdue (0: no repeat).")

# --- partners and internal teams --------------------------------------------------------------------------


class Reminders(Schema):
    before_minutes: list[int] = Field(default_factory=list, max_length=10, examples=[[60]],
                                      description="Reminders this many minutes before the due time.")
    after_minutes: list[int] = Field(default_factory=list, max_length=10, examples=[[0, 240]],
                                     description="Reminders this many minutes after the due time (0: at it).")
    repeat_minutes: int = Field(default=0, examples=[1440],
                                description="Then one every this many minutes while overdue (0: no repeat).")


class PartnerIn(Schema):
    name: str = Field(min_length=1, max_length=200, examples=["Hôtel des Arts"])
    kind: Literal["partner", "team"] = Field(default="partner", description="`partner`: outside the brand (a "
                                             "hotel, a carrier); `team`: an internal back-office team.")
    emails: list[str] = Field(min_length=1, max_length=20, examples=[["reservations@hotel-des-arts.example"]],
                              description="Where the escalation e-mails go.")
    language: str = Field(default="en", max_length=8, examples=["fr"],
                          description="The language of their e-mails and portal page.")
    business_hours_id: int | None = Field(default=None, examples=[2], description="One of the workspace's business "
                                          "hours (SLA settings); null: 24/7.")
    due_minutes: int = Field(default=24 * 60, examples=[240], description=DUE_HELP)
    reminders: Reminders = Field(default_factory=Reminders, description=REMINDERS_HELP)
    link_days: int = Field(default=14, examples=[14], description="How many days a portal link lives.")
    notes: str = Field(default="", max_length=5000, description="For the agents (not shown to the partner).")


class PartnerPatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: Literal["partner", "team"] | None = None
    emails: list[str] | None = Field(default=None, min_length=1, max_length=20)
    language: str | None = Field(default=None, max_length=8)
    business_hours_id: int | None = Field(default=None, description="Null: 24/7 (only when given).")
    due_minutes: int | None = Field(default=None, description=DUE_HELP)
    reminders: Reminders | None = Field(default=None, description=REMINDERS_HELP)
    link_days: int | None = None
    notes: str | None = Field(default=None, max_length=5000)
    is_active: bool | None = Field(default=None, description="False: no new escalation to them (deactivated).")


class PartnerOut(Schema):
    id: int = Field(examples=[3])
    name: str = Field(examples=["Hôtel des Arts"])
    kind: Literal["partner", "team"]
    emails: list[str]
    language: str = Field(examples=["fr"])
    business_hours_id: int | None = Field(description="Null: 24/7.")
    due_minutes: int = Field(examples=[240])
    reminders: Reminders
    link_days: int = Field(examples=[14])
    notes: str
    is_active: bool


class PartnerList(Schema):
    items: list[PartnerOut]


# --- escalations ------------------------------------------------------------------------------------------


class EscalationIn(Schema):
    partner_id: int = Field(examples=[3], description="The partner or internal team (see `GET /partners`).")
    brief: str = Field(default="", max_length=20_000, examples=["Could you confirm the late check-in for "
                                                                "booking 4521?"],
                       description="What the partner should do. May be empty when `template_id` is given: the "
                       "template's text, rendered for the case, is the brief.")
    template_id: int | None = Field(default=None, description="A reply template to use as the brief.")
    message_ids: list[int] = Field(default_factory=list, max_length=200,
                                   description="The case's messages shared with the partner.")
    upload_ids: list[int] = Field(default_factory=list, max_length=50,
                                  description="The case's files (attachments of its messages) shared.")
    personal_data: bool = Field(default=False, description="Share the customer's personal data unmasked (false: "
                                "e-mail addresses, phone numbers, card numbers... are masked in the shared text).")
    due_at: Timestamp | None = Field(default=None, description="When the partner should have answered; default: "
                                     "the partner's policy on their business calendar.")


class FollowUpIn(Schema):
    text: str = Field(min_length=1, max_length=20_000, examples=["Any news about the late check-in?"])
    upload_ids: list[int] = Field(default_factory=list, max_length=50)


class ReopenIn(Schema):
    due_at: Timestamp | None = Field(default=None, description="The new due time (default: the partner's policy "
                                     "from now).")


class ExchangeOut(Schema):
    id: int
    direction: Literal["to_partner", "from_partner"]
    kind: str = Field(examples=["brief"], description="brief, follow_up, reminder, answer, done or need_info.")
    text: str
    upload_ids: list[int]
    author_user_id: int | None
    author_email: str | None
    via: str = Field(examples=["ui"], description="ui, api, portal, email or system.")
    created_at: Timestamp


class SharedOut(Schema):
    message_ids: list[int]
    upload_ids: list[int]
    personal_data: bool = Field(description="Whether the customer's personal data was shared unmasked.")


class EscalationOut(Schema):
    id: int = Field(examples=[11])
    case_number: int = Field(examples=[1042])
    partner_id: int
    partner_name: str = Field(examples=["Hôtel des Arts"])
    partner_kind: Literal["partner", "team"]
    status: Literal["open", "answered", "closed", "cancelled"]
    outcome: str | None = Field(description="resolved or cancelled, once ended.")
    partner_outcome: str | None = Field(description="The partner's last answer: answer, done or need_info.")
    brief: str
    shared: SharedOut
    due_at: Timestamp | None
    overdue: bool = Field(description="Still waiting for the partner after the due time.")
    created_by_id: int | None
    created_at: Timestamp
    opened_at: Timestamp | None
    answered_at: Timestamp | None
    closed_at: Timestamp | None
    link_version: int = Field(description="Increments when the links are revoked or the escalation reopened.")
    exchanges: list[ExchangeOut] | None = Field(default=None, description="Every exchange, oldest first (one "
                                                "escalation only).")


class EscalationList(Schema):
    items: list[EscalationOut]


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
