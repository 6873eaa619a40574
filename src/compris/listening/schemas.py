"""API shapes of listening.

Alerts (li-alerts): ``GET /api/v1/alerts``, ``POST /api/v1/alerts/{id}/acknowledge``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from compris.kit.schemas import Schema, Timestamp

# --- bulk operations (li-bulk) ---------------------------------------------------------------------------------

BulkKind = Literal["assign", "transfer", "tag", "untag", "set_status", "resolve", "reply"]
BulkStatus = Literal["open", "waiting_customer", "waiting_partner", "resolved", "closed"]


class BulkRunIn(Schema):
    """One operation over many cases. What each kind reads: `assign` → `assignee_id` (null: unassign); `transfer`
    → `team_id` (null: no team); `tag` / `untag` → `tags`; `set_status` → `status`; `reply` → `template_id` or
    `texts`, and `visibility`; `resolve` → optionally a closing message (`template_id` or `texts`)."""

    kind: BulkKind = Field(examples=["reply"])
    case_numbers: list[int] = Field(min_length=1, max_length=5000, examples=[[1042, 1043, 1051]])
    assignee_id: int | None = Field(default=None, examples=[12])
    team_id: int | None = Field(default=None, examples=[3])
    tags: list[str] = Field(default_factory=list, max_length=30, examples=[["Colis perdu"]])
    status: BulkStatus | None = Field(default=None, examples=["waiting_customer"])
    template_id: int | None = Field(default=None, description="A reply template: its variant in each case's "
                                    "language, its variables filled in per case.", examples=[4])
    texts: dict[str, str] | None = Field(
        default=None, description="The text per language (two-letter codes), with variables ({first_name}, "
        "{case_ref}...): each case gets the text in its language, else the workspace's default, else English.",
        examples=[{"fr": "Bonjour {first_name}, nous sommes au courant…", "en": "Hi {first_name}, we know…"}])
    visibility: Literal["same", "public", "private"] = Field(
        default="same", description="`same`: where the customer last wrote (public or private).")


class BulkItemOut(Schema):
    case_number: int = Field(examples=[1042])
    state: Literal["pending", "done", "skipped", "failed"] = Field(examples=["skipped"])
    reason: str | None = Field(description="Why it was skipped or failed.",
                               examples=["the reply guard blocks this reply: ..."])
    message_id: int | None = Field(description="The reply it queued (bulk replies).", examples=[5501])
    delivery: str | None = Field(description="That reply's delivery state (queued, sent, failed, uncertain...).",
                                 examples=["sent"])


class BulkRunOut(Schema):
    """A bulk operation and its progress; `items` lists every case's outcome."""

    id: int = Field(examples=[31])
    kind: BulkKind
    state: Literal["running", "done"] = Field(examples=["running"])
    total: int = Field(examples=[200])
    pending: int = Field(examples=[120])
    done: int = Field(examples=[75])
    skipped: int = Field(examples=[3])
    failed: int = Field(examples=[2])
    sent: int = Field(description="Replies the networks accepted (bulk replies).", examples=[70])
    send_failed: int = Field(description="Replies the networks refused or that are uncertain (bulk replies).",
                             examples=[1])
    incident_id: int | None = None
    created_at: Timestamp
    finished_at: Timestamp | None
    items: list[BulkItemOut]

# --- clusters (li-clusters) --------------------------------------------------------------------------------------


class ClusterOut(Schema):
    """A cluster of similar messages from different customers (docs/listening.md, "Clusters")."""

    id: int
    label: str = Field(description="The member message closest to the cluster's mean (shortened).")
    keywords: list[str] = Field(description="The heaviest stems of the cluster's mean signature.")
    open: bool = Field(description="Open clusters take new messages; one closes after 6 hours without any.")
    size: int = Field(description="Messages in the cluster.")
    languages: dict[str, int] = Field(description="Messages per language, e.g. `{\"fr\": 12, \"en\": 3}`.")
    networks: dict[str, int] = Field(description="Messages per network.")
    first_message_at: Timestamp | None
    last_message_at: Timestamp | None
    closed_at: Timestamp | None
    incident_id: int | None = Field(description="The incident it was confirmed as, if any.")


class ClusterMemberOut(Schema):
    message_id: int
    case_number: int
    text: str
    language: str | None
    sent_at: Timestamp
    similarity: float = Field(description="Its similarity to the cluster when it joined (0-1).")


class ClusterDetail(ClusterOut):
    members: list[ClusterMemberOut]


class ClusterList(Schema):
    clusters: list[ClusterOut]

class AlertReasonOut(Schema):
    code: str = Field(description="`spike`, `followers`, `verified`, `promoted` or `reshares`.",
                       examples=["followers"])
    params: dict[str, Any] = Field(description="The values the reason names.",
                                     examples=[{"followers": 48000, "threshold": 10000}])


class AlertOut(Schema):
    id: int = Field(examples=[12])
    kind: str = Field(description="`spike` (volume above its usual level), `reach` (a high-reach complaint) or "
                                   "`cluster`.", examples=["spike"])
    key: str = Field(description="What the alert is about; an alert is raised once per key.",
                      examples=["spike:2026-12-06T10:15:00+00:00"])
    title: str = Field(description="A one-line English summary.",
                        examples=["Volume spike on Acme on Facebook: 41 messages in 60 min (usually 9.2)"])
    reasons: list[AlertReasonOut]
    data: dict[str, Any] = Field(description="What was measured: for a spike the scope, window, observed and "
                                               "expected counts, every scope above its threshold, the keywords and "
                                               "sample messages (ids and case numbers); for a high reach the "
                                               "message, followers, verified, promoted, reshares.")
    case_number: int | None = Field(description="The case of a high-reach alert.", examples=[55])
    window_start: Timestamp | None = None
    created_at: Timestamp
    acknowledged_at: Timestamp | None = None
    acknowledged_by_user_id: int | None = None
    incident_id: int | None = None


class AlertList(Schema):
    items: list[AlertOut]
    next_before: int | None = Field(description="Pass as `before` for the next (older) page; null at the end.",
                                     examples=[None])

