"""Request and response bodies of the JSON API; what the OpenAPI document shows.

Responses carry customer text as plain JSON strings (never HTML). Datetimes are ISO 8601 with an
explicit offset (``2025-03-01T09:30:00+00:00``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from compris.connectors.base import LengthUnit

EXAMPLE_TIME = "2025-03-01T09:30:00+00:00"


def _iso(value: datetime) -> str:
    return value.isoformat()


Timestamp = Annotated[
    AwareDatetime,
    PlainSerializer(_iso, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": [EXAMPLE_TIME]}, mode="serialization"),
]
"""An aware datetime, serialised as ISO 8601 with its offset (``+00:00``, not ``Z``)."""

CaseStatusName = Literal["new", "open", "waiting_customer", "waiting_partner", "snoozed", "resolved", "closed"]
SettableStatus = Literal["open", "waiting_customer", "waiting_partner", "snoozed", "resolved", "closed"]
StatusFilter = Literal[
    "active", "all", "new", "open", "waiting_customer", "waiting_partner", "snoozed", "resolved", "closed"
]
DeliveryStateName = Literal["queued", "sending", "retrying", "sent", "failed", "uncertain"]
ReplyVisibility = Literal["public", "private"]


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- errors ----------------------------------------------------------------------------------------


class ErrorDetail(Schema):
    field: str = Field(description="Where the problem is: a body field, a query parameter or a header.",
                       examples=["visibility"])
    message: str = Field(description="What is wrong with it.", examples=["Input should be 'public' or 'private'"])


class FindingOut(Schema):
    """A problem the reply guard saw in the text."""

    rule: str = Field(examples=["asks_personal_data"])
    severity: Literal["warning", "block"]
    message: str = Field(description="Why it matters, in the token user's language.")
    span: list[int] | None = Field(description="`[start, end]` character offsets in the text, or null for the "
                                   "whole reply.", examples=[[12, 40]])


class ErrorOut(Schema):
    """Every error has this shape."""

    error: str = Field(description="A human-readable explanation.", examples=["no such case"])
    details: list[ErrorDetail] | None = Field(
        default=None, description="One entry per invalid field (422 on malformed input only)."
    )
    findings: list[FindingOut] | None = Field(
        default=None, description="The reply guard's findings when it refused a reply (422 on replies only)."
    )


# --- people and places -----------------------------------------------------------------------------


class WorkspaceOut(Schema):
    id: int = Field(examples=[1])
    slug: str = Field(description="The workspace's short name.", examples=["acme"])
    name: str = Field(examples=["Acme Airlines"])
    timezone: str = Field(description="IANA time zone of the workspace.", examples=["Europe/Paris"])


class MeOut(Schema):
    """The user the token belongs to; every call acts as this user, inside this workspace."""

    id: int = Field(examples=[7])
    email: str = Field(examples=["agent@acme.test"])
    name: str = Field(examples=["Camille Martin"])
    role: Literal["admin", "supervisor", "agent"] = Field(examples=["agent"])
    language: str = Field(description="Interface language.", examples=["fr"])
    workspace: WorkspaceOut


class UserRef(Schema):
    id: int = Field(examples=[7])
    name: str = Field(examples=["Camille Martin"])


class ChannelRef(Schema):
    id: int = Field(description="Channel account id (use it as `channel_account_id`).", examples=[3])
    name: str = Field(examples=["@AcmeAir on X"])
    network: str = Field(examples=["x"])


class ChannelLimits(Schema):
    public_max_length: int | None = Field(description="Longest public reply the network accepts (null: no limit).",
                                          examples=[280])
    private_max_length: int | None = Field(description="Longest private message (null: no limit).",
                                           examples=[10000])
    length_unit: LengthUnit = Field(description="How the network counts a text's length: `characters`, `graphemes` "
                                    "(what a reader sees as one character) or `x` (X's weighted count: links 23, "
                                    "emoji and CJK characters 2, the mentions that open a reply free).",
                                    examples=["characters"])


class ChannelOut(Schema):
    """A connected account on a network. Credentials are never returned."""

    id: int = Field(examples=[3])
    network: str = Field(description="Network key.", examples=["x"])
    network_name: str = Field(description="The network's display name.", examples=["X"])
    name: str = Field(examples=["@AcmeAir on X"])
    external_id: str = Field(description="The account's id on the network.", examples=["1203948"])
    is_active: bool = Field(description="Whether deliveries are accepted and replies sent.")
    always_on: bool = Field(description="Customers expect answers around the clock on this account.")
    limits: ChannelLimits | None = Field(description="The network's limits (null if the connector is not installed).")


class ChannelList(Schema):
    items: list[ChannelOut]


class IdentityOut(Schema):
    """One account of the contact on one network."""

    id: int = Field(examples=[12])
    network: str = Field(examples=["x"])
    platform_user_id: str = Field(description="The person's id on the network.", examples=["99120"])
    handle: str | None = Field(examples=["@marie"])
    name: str | None = Field(examples=["Marie Dupont"])
    followers: int | None = Field(examples=[1520])
    verified: bool
    avatar_url: str | None = Field(examples=[None])


class ContactRef(Schema):
    id: int = Field(examples=[12])
    display_name: str = Field(examples=["Marie Dupont"])


class ContactOut(ContactRef):
    language: str | None = Field(examples=["fr"])
    identities: list[IdentityOut]


# --- cases -----------------------------------------------------------------------------------------


class CaseSummary(Schema):
    """A case as listed in the inbox."""

    number: int = Field(description="The case number, unique within the workspace.", examples=[1042])
    status: CaseStatusName = Field(examples=["open"])
    subject: str = Field(examples=["Flight AF123 cancelled"])
    preview: str = Field(description="The start of the latest customer message (plain text).",
                         examples=["My flight AF123 was cancelled, what now?"])
    priority: int = Field(description="Priority score; higher is more urgent.", examples=[70])
    language: str | None = Field(examples=["en"])
    unread: bool = Field(description="A customer message arrived since an agent last acted.")
    contact: ContactRef
    assignee: UserRef | None = Field(description="The agent the case is assigned to (null: unassigned).")
    channel: ChannelRef | None = Field(description="The account of the latest customer message.")
    triage: dict[str, Any] = Field(description="The latest customer message's triage, with reasons.",
                                   examples=[{"intent": "complaint", "sentiment": "negative"}])
    created_at: Timestamp
    last_activity_at: Timestamp
    first_inbound_at: Timestamp | None
    last_inbound_at: Timestamp | None
    first_response_at: Timestamp | None
    snoozed_until: Timestamp | None
    resolved_at: Timestamp | None


class CaseCounts(Schema):
    """Cases per view under the other filters (status, channel, search)."""

    all: int = Field(examples=[42])
    mine: int = Field(examples=[5])
    unassigned: int = Field(examples=[12])


class Page(Schema):
    limit: int = Field(examples=[50])
    offset: int = Field(examples=[0])
    total: int = Field(description="Cases matching the filters in the requested view.", examples=[42])
    next_offset: int | None = Field(description="The offset of the next page (null on the last page).",
                                    examples=[50])


class CaseList(Schema):
    items: list[CaseSummary]
    counts: CaseCounts
    page: Page


class AttachmentOut(Schema):
    kind: str = Field(examples=["image"])
    url: str | None = Field(default=None, description="On a customer message: the network's address. On a reply: "
                            "the file in the agent UI (`/uploads/{id}`); with a token, read it from "
                            "`GET /api/v1/uploads/{upload_id}/content`.", examples=["https://pbs.example/abc.jpg"])
    name: str | None = Field(default=None, examples=["boarding-pass.jpg"])
    mime_type: str | None = Field(default=None, examples=["image/jpeg"])
    size: int | None = Field(default=None, description="Bytes, when known.")
    upload_id: int | None = Field(default=None, description="On a reply: the uploaded file (`POST /uploads`).")


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


class MessageAuthor(Schema):
    kind: Literal["contact", "agent", "brand"] = Field(
        description="`contact`: the customer; `agent`: a Compris user; `brand`: the brand's account, written "
        "outside Compris."
    )
    identity: IdentityOut | None = Field(default=None, description="For a contact: the identity that wrote it.")
    user: UserRef | None = Field(default=None, description="For an agent: who wrote it.")


class ThreadRef(Schema):
    id: int = Field(examples=[31])
    visibility: Literal["public", "private"] = Field(examples=["public"])
    title: str | None = Field(examples=["Flight AF123"])


class DeliveryOut(Schema):
    """How sending a reply is going."""

    state: DeliveryStateName = Field(
        description="`queued` → `sending` → `sent`; `retrying` after a temporary error; `failed` (see `error`, "
        "can be retried); `uncertain` (check the network, then retry).",
        examples=["retrying"],
    )
    error: str | None = Field(description="The network's reason for the last failure.",
                              examples=["network error: connection refused"])
    attempts: int | None = Field(default=None, description="Send attempts so far.", examples=[2])
    next_attempt_at: Timestamp | None = Field(default=None, description="When a retrying reply is tried again.")


class MessageOut(Schema):
    """A customer message, a reply or an internal note. ``text`` is plain text, never HTML."""

    id: int = Field(examples=[5012])
    case_number: int = Field(examples=[1042])
    direction: Literal["inbound", "outbound"]
    visibility: Literal["public", "private", "note"] = Field(
        description="`public` (a post or comment), `private` (a direct message) or `note` (internal, never sent)."
    )
    text: str = Field(examples=["My flight AF123 was cancelled, what now?"])
    language: str | None = Field(examples=["en"])
    author: MessageAuthor
    channel: ChannelRef | None = Field(description="The account it was received on or sent from (null for notes).")
    thread: ThreadRef | None
    reply_to_message_id: int | None = Field(description="The message this one answers.", examples=[5011])
    platform_message_id: str | None = Field(description="The network's id (set once sent).")
    permalink: str | None
    attachments: list[AttachmentOut]
    promoted: bool = Field(description="A paid (promoted) post.")
    reshares: int
    triage: dict[str, Any] = Field(description="Triage of a customer message (empty for outbound).")
    sent_at: Timestamp = Field(description="The network's time for inbound messages; when it was sent otherwise.")
    created_at: Timestamp
    delivery: DeliveryOut | None = Field(description="For replies sent through Compris; null otherwise.")


class EventOut(Schema):
    """Something that happened to the case (assigned, status changed, reply failed...)."""

    id: int
    kind: str = Field(examples=["status_changed"])
    actor: UserRef | None = Field(description="Who did it (null: the system).")
    data: dict[str, Any] = Field(examples=[{"from_status": "open", "to_status": "resolved"}])


class TimelineMessage(Schema):
    kind: Literal["message"]
    at: Timestamp
    message: MessageOut


class TimelineEvent(Schema):
    kind: Literal["event"]
    at: Timestamp
    event: EventOut


TimelineItem = Annotated[TimelineMessage | TimelineEvent, Field(discriminator="kind")]


class PreviousCase(Schema):
    number: int
    status: CaseStatusName
    subject: str
    last_activity_at: Timestamp


class CaseDetail(CaseSummary):
    """A case with its contact and its whole timeline, oldest first."""

    contact: ContactOut = Field(description="The contact with all their identities.")
    timeline: list[TimelineItem]
    previous_cases: list[PreviousCase] = Field(description="The contact's other cases, newest first (up to 10).")


# --- requests --------------------------------------------------------------------------------------

IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,64}$"


class ReplyIn(Schema):
    attachment_ids: list[int] = Field(
        default_factory=list, max_length=10,
        description="Files to attach, uploaded first with `POST /uploads`, in order. The network must accept them "
        "on this kind of reply (types, size, count: see `docs/channels/`), else 422 with the network's reason.",
        examples=[[17]],
    )
    text: str = Field(default="", max_length=20_000, description="Plain text of the reply. May be empty when "
                      "`attachment_ids` is given and the network accepts files alone.",
                      examples=["So sorry about your flight, Marie. I have rebooked you on AF125."])

    visibility: ReplyVisibility = Field(
        default="public",
        description="`public` answers in the thread; `private` sends a direct message (moves a public "
        "conversation to private when the network allows).",
    )
    reply_to_message_id: int | None = Field(
        default=None, description="The customer message to answer; default: their latest of that visibility."
    )
    idempotency_key: str | None = Field(
        default=None, pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Alternative to the `Idempotency-Key` header (the header wins when both are given).",
        examples=["9f1c2c8e-2d4b-4a55-9d0f-1c3f1e0f7a11"],
    )
    override_warnings: bool = Field(
        default=True,
        description="Send despite the reply guard's **warnings** (the default: they are returned in "
        "`guard_warnings` and recorded as overridden). `false` refuses a reply with warnings with 422 and the "
        "findings, as the agent UI does until the agent overrides them. **Blocks** always refuse the reply.",
    )
    template_id: int | None = Field(
        default=None, description="The reply template the text came from: its use is counted, and the guard "
        "warns when it is sent unchanged to a customer who already had it.", examples=[3],
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "So sorry, Marie. Could you send us a DM?", "visibility": "public"}]},
    )

    @field_validator("text")
    @classmethod
    def _text_or_files(cls, value: str, info: ValidationInfo) -> str:
        if not value and not info.data.get("attachment_ids"):
            raise ValueError("a reply needs text, attachments or both")
        return value


class NoteIn(Schema):
    text: str = Field(min_length=1, max_length=20_000, description="Internal note; never sent to the customer.",
                      examples=["Customer is a frequent flyer, offer lounge access."])


class AssignIn(Schema):
    assignee_id: int | Literal["me"] | None = Field(
        description="A user id of the workspace, `\"me\"` for the token's user, or null to unassign.",
        examples=[7, "me", None],
    )


class StatusIn(Schema):
    status: SettableStatus = Field(
        description="`resolved` resolves, `open` reopens, `snoozed` snoozes (needs `snooze_until`), "
        "`waiting_customer` / `waiting_partner` pause the clock, `closed` closes for good.",
        examples=["resolved"],
    )
    snooze_until: AwareDatetime | None = Field(
        default=None, description="Required with `snoozed`: when the case comes back (ISO 8601 with offset).",
        examples=[EXAMPLE_TIME],
    )


# --- the reply guard ---------------------------------------------------------------------------------------


class ReplyOut(MessageOut):
    """The queued reply, with the guard's warnings that were overridden to send it."""

    guard_warnings: list[FindingOut] = Field(default_factory=list)
