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


# --- incidents (li-incidents) ------------------------------------------------------------------------------------

IncidentStatusName = Literal["suspected", "confirmed", "resolved"]
LanguageTexts = dict[Literal["fr", "en"], str]


class IncidentMatch(Schema):
    """What links new cases automatically while the incident is open: a message joins when it holds one of the
    `keywords` (whole words, case and accents ignored) or joined one of the `cluster_ids`, and — when they are
    given — comes from one of the `channel_account_ids` and has one of the `intents`."""

    keywords: list[str] = Field(default_factory=list, max_length=30, examples=[["AF1234", "annulé", "cancelled"]])
    cluster_ids: list[int] = Field(default_factory=list, examples=[[7]])
    channel_account_ids: list[int] = Field(default_factory=list, examples=[[1, 2]])
    intents: list[Literal["complaint", "question", "request", "praise", "spam", "other"]] = Field(
        default_factory=list, examples=[["complaint"]])


class IncidentIn(Schema):
    """A new incident, by hand or from an alert or a cluster (their cases are linked; give their matching rules in
    `match`, or read them first with `GET /incidents/draft?alert=` or `?cluster=`)."""

    name: str = Field(min_length=1, max_length=200, examples=["Cancelled trips after the terminal fire"])
    description: str = Field(default="", max_length=5000)
    match: IncidentMatch = Field(default_factory=IncidentMatch)
    statements: LanguageTexts = Field(default_factory=dict, description="The holding statement per language, "
                                      "with the reply templates' variables (`{first_name}`...).",
                                      examples=[{"fr": "Bonjour {first_name}, ...", "en": "Hello {first_name}, ..."}])
    closing: LanguageTexts = Field(default_factory=dict, description="The closing message per language.")
    confirmed: bool = Field(default=False, description="Confirmed at once (default: suspected).")
    case_numbers: list[int] = Field(default_factory=list, max_length=5000, examples=[[1042, 1043]])
    alert_id: int | None = Field(default=None, description="The alert it comes from (its cases are linked).")
    cluster_id: int | None = Field(default=None, description="The cluster it comes from (its cases are linked).")


class IncidentPatch(Schema):
    """The fields given change; the others stay."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    match: IncidentMatch | None = None
    statements: LanguageTexts | None = None
    closing: LanguageTexts | None = None


class IncidentDraftOut(Schema):
    """What an alert or a cluster proposes as a new incident."""

    name: str
    source: Literal["manual", "spike", "cluster"]
    match: IncidentMatch
    case_numbers: list[int]
    alert_id: int | None
    cluster_id: int | None


class IncidentOut(Schema):
    number: int = Field(examples=[3])
    name: str
    description: str
    status: IncidentStatusName
    source: Literal["manual", "spike", "cluster"]
    match: IncidentMatch
    statements: dict[str, str]
    closing: dict[str, str]
    crisis: bool
    crisis_priority: int = Field(description="Added to the linked cases' priority while in crisis mode.")
    crisis_sla_policy_id: int | None = Field(description="The SLA policy forced on them while in crisis mode.")
    cases: int = Field(description="Linked cases.", examples=[214])
    open_cases: int = Field(description="Linked cases not resolved or closed.", examples=[180])
    created_at: Timestamp
    confirmed_at: Timestamp | None
    resolved_at: Timestamp | None


class IncidentList(Schema):
    items: list[IncidentOut]


class VolumePoint(Schema):
    start: Timestamp
    count: int


class IncidentCoverageOut(Schema):
    """Who can take the incident's open cases now (the crisis mode's warning: `level` none or short)."""

    level: Literal["ok", "short", "none"]
    online: int
    free_slots: int
    on_shift: int
    open_cases: int
    unassigned: int


class IncidentDetailOut(IncidentOut):
    """An incident with what it touches: cases per status, network and language, its customer messages over time
    (hourly, daily past three days), and the coverage now (while open)."""

    statuses: dict[str, int]
    networks: dict[str, int]
    languages: dict[str, int]
    volume_step: Literal["hour", "day"]
    volume: list[VolumePoint]
    coverage: IncidentCoverageOut | None


class IncidentCaseOut(Schema):
    number: int = Field(examples=[1042])
    status: str
    language: str | None
    network: str | None
    priority: int
    assignee_id: int | None
    linked_by: Literal["manual", "auto", "cluster", "spike"]
    statement: Literal["pending", "done", "skipped", "failed"] | None = Field(
        description="The latest holding statement's outcome for this case (null: none sent).")
    statement_reason: str | None = Field(description="Why it was skipped or failed.")


class IncidentCaseList(Schema):
    items: list[IncidentCaseOut]


class CaseNumbersIn(Schema):
    case_numbers: list[int] = Field(min_length=1, max_length=5000, examples=[[1042, 1043]])


class LinkedOut(Schema):
    changed: int = Field(description="How many cases were linked (or unlinked) by this call.")


class ResolveIn(Schema):
    resolve_cases: bool = Field(default=False, description="Resolve the incident's open cases too.")
    send_closing: bool = Field(default=False, description="With the closing message (needs `resolve_cases`).")


class ResolveOut(Schema):
    incident: IncidentOut
    run_id: int | None = Field(description="The bulk operation resolving the cases (`GET /bulk-runs/{run_id}`).")


class StatementIn(Schema):
    case_numbers: list[int] | None = Field(default=None, max_length=5000,
                                           description="Some of the incident's cases (default: all its open ones).")
    visibility: Literal["same", "public", "private"] = Field(
        default="same", description="`same`: where the customer last wrote.")


class LeftOut(Schema):
    case_number: int
    reason: Literal["already_sent", "not_active"]


class StatementOut(Schema):
    """The holding statement's send: the bulk operation that sends it (`GET /bulk-runs/{run_id}` for each case's
    outcome), and the cases left out before it started."""

    run_id: int | None
    queued: int
    left_out: list[LeftOut]


class CrisisIn(Schema):
    on: bool
    priority: int | None = Field(default=None, ge=0, le=100, description="The priority raise (default: as is).")
    sla_policy_id: int | None = Field(default=None, description="An active SLA policy (null: the usual ones).")


class CrisisOut(Schema):
    incident: IncidentOut
    changed: int = Field(description="Cases whose priority or policy changed.")


class IncidentEscalationIn(Schema):
    partner_id: int
    brief: str = Field(min_length=1, max_length=20000)
    case_numbers: list[int] | None = Field(default=None, max_length=5000,
                                           description="Some of the incident's cases (default: all).")


class IncidentEscalationOut(Schema):
    escalated: list[int] = Field(description="Case numbers escalated (one escalation each).")
    skipped: dict[str, Literal["resolved", "already_escalated"]] = Field(description="Case number → why not.")


class IncidentCasesActionIn(Schema):
    """Assign, transfer, tag, untag or set the status of the incident's cases (all, or `case_numbers`)."""

    action: Literal["assign", "transfer", "tag", "untag", "set_status"]
    case_numbers: list[int] | None = Field(default=None, max_length=5000)
    assignee_id: int | None = None
    team_id: int | None = None
    tags: list[str] = Field(default_factory=list, max_length=30)
    status: Literal["open", "waiting_customer", "waiting_partner", "resolved", "closed"] | None = None


class RunStartedOut(Schema):
    run_id: int = Field(description="`GET /bulk-runs/{run_id}` follows it.")
    total: int

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

