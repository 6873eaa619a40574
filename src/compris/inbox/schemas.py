"""API shapes of the inbox: cases, messages, the timeline, contacts and merges."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field

from compris.accounts.schemas import UserRef
from compris.channels.schemas import ChannelRef
from compris.kit.schemas import EXAMPLE_TIME, Schema, Timestamp

CaseStatusName = Literal["new", "open", "waiting_customer", "waiting_partner", "snoozed", "resolved", "closed"]
SettableStatus = Literal["open", "waiting_customer", "waiting_partner", "snoozed", "resolved", "closed"]
StatusFilter = Literal[
    "active", "all", "new", "open", "waiting_customer", "waiting_partner", "snoozed", "resolved", "closed"
]
DeliveryStateName = Literal["queued", "sending", "retrying", "sent", "failed", "uncertain", "manual"]


# --- contacts ---------------------------------------------------------------------------------------------


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


# --- cases ------------------------------------------------------------------------------------------------


class CaseSummary(Schema):
    """A case as listed in the inbox."""

    number: int = Field(description="The case number, unique within the workspace.", examples=[1042])
    status: CaseStatusName = Field(examples=["open"])
    subject: str = Field(examples=["Flight AF123 cancelled"])
    preview: str = Field(description="The start of the latest customer message (plain text).",
                         examples=["My flight AF123 was cancelled, what now?"])
    priority: int = Field(description="Priority score; higher is more urgent.", examples=[70])
    language: str | None = Field(examples=["en"])
    unread: bool = Field(description="In a list: unread for you (a customer message arrived since you last opened "
                         "the case, or you never did).")
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
    tags: list[str] = Field(default_factory=list, description="The case's free tags, by name.",
                            examples=[["Colis perdu", "VIP"]])


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
    upload_id: int | None = Field(default=None, description="The file kept by Compris: on a reply, the uploaded file "
                                  "(`POST /uploads`); on a customer message, the file fetched from the network once "
                                  "`state` is `stored`. Read it from `GET /api/v1/uploads/{upload_id}/content`.")
    state: Literal["pending", "stored", "not_stored", "removed"] | None = Field(
        default=None, description="On a customer message: `pending` (Compris is fetching the file from the "
        "network), `stored` (kept: `upload_id`), `not_stored` (see `reason`). `removed`: the file was deleted under "
        "the workspace's retention policy (`reason` `retention`). None: not a file (a location, a link), or a "
        "message stored before Compris kept customers' files.")
    reason: str | None = Field(default=None, description="Why a file is `not_stored`: `too_large`, `refused_type`, "
                               "`empty`, `not_found` (deleted, or its address expired), `refused` (the network "
                               "refused), `unavailable`, `failed` (the network kept failing).",
                               examples=["too_large"])
    content_url: str | None = Field(default=None, description="Where to read the kept file with an API token.",
                                    examples=["/api/v1/uploads/17/content"])


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
        "can be retried); `uncertain` (check the network, then retry); `manual`: the network has no API for this "
        "reply (Tripadvisor's management responses): post it by hand at `manual_send_url`, then confirm it with "
        "`POST /messages/{id}/posted-by-hand` (or say it was not posted with `POST /messages/{id}/not-posted`).",
        examples=["retrying"],
    )
    error: str | None = Field(description="The network's reason for the last failure.",
                              examples=["network error: connection refused"])
    attempts: int | None = Field(default=None, description="Send attempts so far.", examples=[2])
    next_attempt_at: Timestamp | None = Field(default=None, description="When a retrying reply is tried again.")
    manual_send_url: str | None = Field(
        default=None, description="For a reply posted by hand: where to post it on the network (the review's page).",
        examples=["https://www.tripadvisor.com/ShowUserReviews-g187147-d188150-r987654321-Hotel.html"])


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


class PostOut(Schema):
    """A post customers comment under (a brand's post on its page, a tweet, a video), as far as the network told
    Compris: its id always; its text, author, link and time when the network sent them or let Compris read them."""

    id: int = Field(description="Compris's id for the post: `GET /cases?post_id=` lists the cases under it.",
                    examples=[31])
    platform_post_id: str = Field(description="The network's id for the post.",
                                  examples=["104000000000001_555000000000001"])
    channel: ChannelRef | None = Field(description="The account the comments came in on.")
    text: str | None = Field(description="The post's text (null: the network did not give it).",
                             examples=["Nos vols de printemps sont en ligne !"])
    title: str | None = Field(description="A video's title, a post's headline.", examples=[None])
    permalink: str | None = Field(description="The post on the network.",
                                  examples=["https://www.facebook.com/AirCompris/posts/pfbid0abc"])
    posted_at: Timestamp | None
    author_name: str | None = Field(examples=["Air Compris"])
    by_account: bool | None = Field(description="True: the account's own post; false: someone else's; null: the "
                                    "network did not say.")
    fetch_state: Literal["none", "pending", "fetched", "failed"] = Field(
        description="Reading the post from the network: `none` (nothing to read, or the network cannot), `pending`, "
        "`fetched`, `failed` (the network refused or had no such post).")
    cases: int = Field(description="Cases with a comment under the post.", examples=[27])
    active_cases: int = Field(description="Of those, the cases still being worked on.", examples=[25])
    comments: int = Field(description="Customers' comments under the post.", examples=[31])
    last_comment_at: Timestamp | None


class PostList(Schema):
    items: list[PostOut]


class CaseDetail(CaseSummary):
    """A case with its contact and its whole timeline, oldest first."""

    contact: ContactOut = Field(description="The contact with all their identities.")
    timeline: list[TimelineItem]
    previous_cases: list[PreviousCase] = Field(description="The contact's other cases, newest first (up to 10).")
    posts: list[PostOut] = Field(default_factory=list, description="The posts the case's comments are under.")


# --- requests ---------------------------------------------------------------------------------------------


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


# --- contacts and merges ----------------------------------------------------------------------------------


class ContactDetail(ContactOut):
    """A contact: every identity (one per network account they use) and their cases."""

    merged_into_id: int | None = Field(
        description="Set when this contact was merged into another: its identities and cases are there now "
        "(`GET /contacts/{merged_into_id}`).", examples=[None])
    cases: list[PreviousCase] = Field(description="The contact's cases, newest first (up to 50).")


class CaseMergeIn(Schema):
    into: int = Field(description="The number of the case to merge into: another case of the same contact "
                      "(merge the contacts first when the customer wrote from two accounts).", examples=[1040])


class ContactMergeIn(Schema):
    into: int = Field(description="The id of the contact to merge into (see `GET /contacts/{contact_id}`).",
                      examples=[12])



# --- deliveries set aside (Admin → Deliveries) --------------------------------------------------------------


class RawEventOut(Schema):
    """A verified delivery that needs a person: unprocessable (with its reason), or stuck waiting for
    processing."""

    id: int = Field(examples=[812])
    channel_account_id: int = Field(examples=[3])
    event_key: str = Field(description="The platform's event id (one delivery per key and account).",
                           examples=["evt-9b1c"])
    status: Literal["pending", "unprocessable"] = Field(examples=["unprocessable"])
    error: str | None = Field(description="Why it could not be processed.",
                              examples=["bad message: attachments: expected a list"])
    content_type: str = Field(examples=["application/json"])
    size: int = Field(description="The body's size in bytes.", examples=[412])
    body_start: str = Field(description="The start of the body (2,000 bytes at most, as text).")
    created_at: Timestamp


class RawEventList(Schema):
    items: list[RawEventOut]


class RawEventReplayOut(Schema):
    id: int = Field(examples=[812])
    outcome: Literal["queued", "pending"] = Field(
        description="`queued`: processing runs again; `pending`: it was already waiting for processing.",
        examples=["queued"])


# --- free tags (issue 16) -----------------------------------------------------------------------------------------

TagColor = Literal["grey", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink"]


class TagOut(Schema):
    """A free tag of the workspace."""

    id: int = Field(examples=[7])
    name: str = Field(description="As shown.", examples=["Colis perdu"])
    key: str = Field(description="The normalised name (accents and case folded, blanks collapsed): two names with "
                     "the same key are one tag.", examples=["colis perdu"])
    color: TagColor | None = Field(description="null: the default grey.", examples=["red"])
    cases: int | None = Field(default=None, description="How many cases carry it (in `GET /tags`).",
                              examples=[31])


class TagList(Schema):
    items: list[TagOut]


class TagIn(Schema):
    name: str = Field(min_length=1, max_length=200, description="Up to 64 characters once blanks are collapsed.",
                      examples=["Colis perdu"])
    color: TagColor | None = Field(default=None, examples=["red"])


class TagPatch(Schema):
    """What to change; a field left out stays as it is (``color: null``: back to grey)."""

    name: str | None = Field(default=None, min_length=1, max_length=200, examples=["Colis égaré"])
    color: TagColor | None = Field(default=None, examples=["orange"])


class CaseTagsIn(Schema):
    tags: list[str] = Field(max_length=30, description="The case's tags, by name: exactly these afterwards (new "
                            "names create the workspace's tag; names are matched without regard to case and "
                            "accents).", examples=[["Colis perdu", "VIP"]])


class CaseTagsOut(Schema):
    number: int = Field(examples=[1042])
    tags: list[TagOut]
