"""API shapes of the inbox's saved views (issue 18)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from compris.inbox.queries import InboxFilter
from compris.inbox.schemas import StatusFilter
from compris.kit.schemas import Schema, Timestamp

SortName = Literal["needs_answer", "newest", "oldest", "priority", "due"]
PriorityBand = Literal["urgent", "high", "normal", "low"]
SlaState = Literal["breached", "at_risk", "on_track", "none"]
IntentName = Literal["complaint", "question", "request", "praise", "spam", "other"]


class ViewFilters(Schema):
    """The filters and the sort a view keeps (the same as `GET /cases`'s query parameters)."""

    view: Literal["all", "mine", "unassigned"] = Field(default="all", description="`all`, `mine` (assigned to "
                                                       "the user looking) or `unassigned`.")
    status: StatusFilter = "active"
    sort: SortName = Field(default="needs_answer", description="`needs_answer`: breached SLA first, then the "
                           "earliest SLA deadline, the highest priority, the longest wait.")
    q: str = Field(default="", max_length=200, description="Search (see `GET /cases`).")
    channel_account_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    tag: str = Field(default="", max_length=200)
    incident: int | None = Field(default=None, ge=1, le=2**31 - 1, description="An incident's number.")
    high_reach: bool = False
    assignee_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="One agent's cases.")
    team_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    network: str = Field(default="", max_length=32, pattern=r"^[a-z0-9_]*$", examples=["x"])
    priority: PriorityBand | Literal[""] = Field(default="", description="`urgent` (60+), `high` (40-59), "
                                                 "`normal` (20-39), `low` (under 20).")
    language: str = Field(default="", max_length=3, pattern=r"^([a-z]{2,3})?$", examples=["fr"])
    intent: IntentName | Literal[""] = ""
    sla: SlaState | Literal[""] = ""
    unread: bool = Field(default=False, description="Only the cases unread by the user looking.")

    def to_filter(self, *, limit: int = 50, offset: int = 0) -> InboxFilter:
        return InboxFilter(view=self.view, status=self.status, sort=self.sort, q=self.q,
                           channel_account_id=self.channel_account_id, tag=self.tag, incident=self.incident,
                           high_reach=self.high_reach, assignee_id=self.assignee_id, team_id=self.team_id,
                           network=self.network, priority=self.priority, language=self.language,
                           intent=self.intent, sla=self.sla, unread=self.unread, limit=limit, offset=offset)

    @classmethod
    def of(cls, f: InboxFilter) -> ViewFilters:
        return cls(view=f.view, status=f.status, sort=f.sort, q=f.q,  # type: ignore[arg-type]
                   channel_account_id=f.channel_account_id, tag=f.tag, incident=f.incident,
                   high_reach=f.high_reach, assignee_id=f.assignee_id, team_id=f.team_id, network=f.network,
                   priority=f.priority, language=f.language, intent=f.intent, sla=f.sla,  # type: ignore[arg-type]
                   unread=f.unread)


class ViewIn(Schema):
    name: str = Field(min_length=1, max_length=80, examples=["Urgent French complaints"])
    shared: bool = Field(default=False, description="Shared with the whole workspace (needs `desk.manage`: "
                         "supervisors and admins); otherwise only you see it.")
    filters: ViewFilters = Field(default_factory=ViewFilters)


class ViewPatch(Schema):
    """Only the fields given change."""

    name: str | None = Field(default=None, min_length=1, max_length=80)
    shared: bool | None = None
    filters: ViewFilters | None = None


class ViewOut(Schema):
    id: int = Field(examples=[3])
    name: str = Field(examples=["Urgent French complaints"])
    shared: bool
    mine: bool = Field(description="You saved it.")
    may_change: bool = Field(description="You may rename, change or delete it (your own private view; a shared "
                             "one with `desk.manage`).")
    filters: ViewFilters
    cases: int = Field(description="The cases it shows you now.", examples=[12])
    created_at: Timestamp
    updated_at: Timestamp


class ViewList(Schema):
    items: list[ViewOut]
