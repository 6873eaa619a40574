"""Typed domain events: what happened to a case, a message, a contact, a thread or a workspace's settings.

Every write (an ``actions`` function of a capability) emits one of these with :func:`compris.bus.emit`,
inside its transaction, after the write itself. Capabilities react in their ``listeners.py`` (routing assigns,
the SLA recomputes its clocks, the expected wait is announced...), in the same transaction: a listener that fails
rolls the write back, so the data and its consequences are never out of step. Live UI updates stay after commit
(:mod:`compris.live`).

Events carry ids and small values, never ORM objects: a listener loads what it needs from the session (the
identity map makes that free for rows the action already holds). Adding a field with a default is compatible;
renaming or removing one is not (third-party listeners read them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    workspace_id: int
    actor_user_id: int | None = None  # None: the customer, the platform or the system


@dataclass(frozen=True, kw_only=True)
class CaseChange(DomainEvent):
    """A base for the events about one case."""

    case_id: int


# --- cases ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CaseOpened(CaseChange):
    """A new case, opened by a customer's first message (``message_id``)."""

    message_id: int
    channel_account_id: int


@dataclass(frozen=True, kw_only=True)
class StatusChanged(CaseChange):
    """The case's status moved (an agent, the customer writing again, a snooze ending, a merge, a reopening)."""

    from_status: str
    to_status: str
    reason: str | None = None
    #: the customer message that caused the change (it reopened the case): its ``MessageReceived`` follows
    message_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class CaseAssigned(CaseChange):
    """The assignee changed (``assignee_id`` None: unassigned)."""

    assignee_id: int | None
    previous_assignee_id: int | None
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class CaseRouted(CaseChange):
    """The case's team changed (routing rules, or a transfer by an agent)."""

    team_id: int | None
    previous_team_id: int | None
    transferred: bool = False


@dataclass(frozen=True, kw_only=True)
class CasesMerged(CaseChange):
    """``source_case_id`` was folded into this case (``case_id``); the source is closed."""

    source_case_id: int
    message_ids: tuple[int, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CasesUnmerged(CaseChange):
    """``source_case_id``, merged into this case (``case_id``) before, was taken back out: the messages it brought
    went back to it and it is open again."""

    source_case_id: int
    message_ids: tuple[int, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CaseRead(CaseChange):
    """An agent opened the case while it was unread (the first look since the customer last wrote)."""


@dataclass(frozen=True, kw_only=True)
class TriageChanged(CaseChange):
    """A message's triage changed after arrival (an agent's correction, or the accurate background path)."""

    message_id: int
    fields: tuple[str, ...]
    corrected: bool
    case_follows: bool  # the case's own triage/priority changed with it


# --- messages -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MessageReceived(CaseChange):
    """A customer message was stored on the case. ``how``: ``opened`` (a new case), ``reopened`` (a resolved case
    reopened by it) or ``appended``."""

    message_id: int
    channel_account_id: int
    how: str
    previous_status: str | None = None


@dataclass(frozen=True, kw_only=True)
class EchoReceived(CaseChange):
    """Our own account's message seen on the network, sent from outside Compris."""

    message_id: int


@dataclass(frozen=True, kw_only=True)
class MessageDeleted(CaseChange):
    message_id: int
    by: str


@dataclass(frozen=True, kw_only=True)
class NoteAdded(CaseChange):
    message_id: int


@dataclass(frozen=True, kw_only=True)
class ReplyQueued(CaseChange):
    """An outbound message was queued in the outbox. ``origin``: ``agent``, ``auto_ack`` (the expected-wait
    acknowledgement), ``survey``, ``bulk``... — automatic ones are not answers for the SLA."""

    message_id: int
    origin: str = "agent"


@dataclass(frozen=True, kw_only=True)
class ReplySent(CaseChange):
    """The network accepted the outbound message (the first response counts from here, not from queueing)."""

    message_id: int
    origin: str = "agent"


@dataclass(frozen=True, kw_only=True)
class ReplyRetrying(CaseChange):
    message_id: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class ReplyFailed(CaseChange):
    """The outbound message failed for good (or the network later reported it failed)."""

    message_id: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class ReplyUncertain(CaseChange):
    """A send was interrupted and the network does not de-duplicate: a person must check."""

    message_id: int


@dataclass(frozen=True, kw_only=True)
class ReplyRetryRequested(CaseChange):
    message_id: int


@dataclass(frozen=True, kw_only=True)
class DeliveryStatusChanged(CaseChange):
    """The network reported a sent message delivered, read or failed."""

    message_id: int
    status: str


# --- contacts --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ContactsMerged(DomainEvent):
    source_contact_id: int
    target_contact_id: int
    case_ids: tuple[int, ...] = ()
    identity_ids: tuple[int, ...] = ()


@dataclass(frozen=True, kw_only=True)
class IdentityUnmerged(DomainEvent):
    identity_id: int
    from_contact_id: int
    to_contact_id: int


# --- SLA -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SlaBreached(CaseChange):
    metric: str
    cycle: int
    breached_at: str


# --- inbound screening ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """What a capability that recognised an inbound message wants done with it.

    ``keep`` True: the message is stored on ``case_id`` (a survey answer, a comment) without reopening it or
    counting as a customer's new request (its ``MessageReceived`` has ``how="claimed"``); False: nothing is stored
    in the inbox (a partner's e-mail answer to an escalation: the escalation keeps it), the raw event stays."""

    by: str
    case_id: int | None = None
    keep: bool = True
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class InboundScreened(DomainEvent):
    """An inbound message is about to be stored: listeners may claim it (append a :class:`Claim` to ``claims``;
    the first claim wins). Emitted by ``record_inbound`` before it finds or opens a case; ``message`` is the
    connector's normalised :class:`~compris.connectors.base.InboundMessage` and ``identity_id`` the sender's known
    identity on this account (None: never seen)."""

    channel_account_id: int
    network: str
    message: Any
    identity_id: int | None = None
    contact_id: int | None = None
    claims: list[Claim] = field(default_factory=list, hash=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class MessageClaimed(CaseChange):
    """An inbound message a capability claimed (:class:`Claim` with ``keep``) was stored on ``case_id`` without
    reopening it: it is not a new request (routing, the expected wait and the SLA ignore it)."""

    message_id: int
    channel_account_id: int
    by: str


# --- escalation ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class EscalationChange(CaseChange):
    """A base for the events about one escalation (to a partner or an internal team)."""

    escalation_id: int
    partner_id: int


@dataclass(frozen=True, kw_only=True)
class EscalationCreated(EscalationChange):
    """An agent escalated the case (the brief, what is shared and the due time are on the escalation row)."""

    due_at: str | None = None


@dataclass(frozen=True, kw_only=True)
class EscalationOpened(EscalationChange):
    """The partner opened the portal link (first time per link)."""


@dataclass(frozen=True, kw_only=True)
class EscalationAnswered(EscalationChange):
    """The partner answered (portal or e-mail). ``outcome``: ``answer``, ``done`` (done on their side) or
    ``need_info`` (they need more information)."""

    exchange_id: int
    outcome: str = "answer"
    via: str = "portal"  # portal | email


@dataclass(frozen=True, kw_only=True)
class EscalationFollowedUp(EscalationChange):
    """The agent wrote to the partner again on an open escalation (more information, a nudge)."""

    exchange_id: int


@dataclass(frozen=True, kw_only=True)
class EscalationReminded(EscalationChange):
    """A reminder e-mail went to the partner (``when``: before / after the due time)."""

    when: str
    number: int = 1


@dataclass(frozen=True, kw_only=True)
class EscalationOverdue(EscalationChange):
    """The escalation passed its due time without an answer (once per due time)."""

    due_at: str


@dataclass(frozen=True, kw_only=True)
class EscalationClosed(EscalationChange):
    """The escalation ended: ``outcome`` ``resolved`` (the agent closed it after the answer), ``cancelled``."""

    outcome: str


@dataclass(frozen=True, kw_only=True)
class EscalationReopened(EscalationChange):
    """A closed escalation was reopened (a new due time and a fresh link)."""

    due_at: str | None = None


# --- business actions ------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class BusinessActionChange(CaseChange):
    """A base for the events about one run of a business action (rebook, refund...) from a case."""

    run_id: int
    action_id: int
    action_key: str


@dataclass(frozen=True, kw_only=True)
class BusinessActionRequested(BusinessActionChange):
    """An agent asked for the action; the call is queued (never run twice: one idempotency key per run)."""


@dataclass(frozen=True, kw_only=True)
class BusinessActionSucceeded(BusinessActionChange):
    """The brand's system answered 2xx; the returned fields are on the run row."""

    #: the fields the brand's system returned (as on the run row), and its HTTP status
    result: dict[str, Any] = field(default_factory=dict)
    http_status: int | None = None


@dataclass(frozen=True, kw_only=True)
class BusinessActionFailed(BusinessActionChange):
    """The call failed for good (refused, an error answer, retries exhausted or timed out)."""

    error: str = ""
    http_status: int | None = None  # None: no answer (timeout, connection error) or refused before the call


# --- surveys ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SurveyChange(CaseChange):
    """A base for the events about one satisfaction survey."""

    survey_id: int


@dataclass(frozen=True, kw_only=True)
class SurveySent(SurveyChange):
    """The survey was queued to the customer (``message_id``: the outbound message; None: e-mail/link only)."""

    message_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class SurveySkipped(SurveyChange):
    """A resolution did not get a survey, and why (``reason``: a stable code such as ``spam``, ``no_reply``,
    ``recently_surveyed``, ``window_closed``, ``public_only``)."""

    reason: str


@dataclass(frozen=True, kw_only=True)
class SurveyAnswered(SurveyChange):
    """The customer rated (once per survey); ``rating`` on the survey's scale, ``score`` 0–100."""

    rating: int
    score: int
    via: str  # button | text | link | email
    agent_id: int | None = None
    team_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class SurveyCommented(SurveyChange):
    """The customer added a comment to their rating (``message_id`` when it came as a message)."""

    message_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class GuardFindingsRecorded(CaseChange):
    """The reply guard's findings on an agent's reply were kept (sent with them, or stopped by them): ``rules``
    found, ``overridden`` those the agent chose to send anyway."""

    rules: tuple[str, ...] = ()
    overridden: tuple[str, ...] = ()


# --- tags, alerts, incidents, bulk operations (listening, issue 16) --------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CaseTagged(CaseChange):
    """Tags were added to and/or removed from the case (names as shown)."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AlertRaised(DomainEvent):
    """An alert for the supervisors (``kind``: spike, reach, cluster), raised once per thing it is about;
    ``case_id`` for a high-reach complaint. Listeners push it live and to the outgoing webhooks."""

    alert_id: int
    kind: str
    case_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class MessagesClustered(DomainEvent):
    """Customer messages joined a cluster of similar messages (the background clustering job, a minute or so after
    they arrived). ``incident_id``: the incident the cluster was confirmed as, if any — its new cases belong to it
    too."""

    cluster_id: int
    message_ids: tuple[int, ...]
    case_ids: tuple[int, ...]
    incident_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class IncidentChange(DomainEvent):
    """A base for the events about one incident."""

    incident_id: int


@dataclass(frozen=True, kw_only=True)
class IncidentOpened(IncidentChange):
    """A new incident (``source``: manual, spike, cluster)."""

    status: str
    source: str = "manual"


@dataclass(frozen=True, kw_only=True)
class IncidentStatusChanged(IncidentChange):
    from_status: str
    to_status: str


@dataclass(frozen=True, kw_only=True)
class IncidentUpdated(IncidentChange):
    """Name, description, statements, matching or crisis mode changed (``changes``: field names)."""

    changes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class IncidentCaseLinked(CaseChange):
    """``case_id`` joined the incident (``linked_by``: manual, auto, cluster, spike)."""

    incident_id: int
    linked_by: str = "manual"


@dataclass(frozen=True, kw_only=True)
class IncidentCaseUnlinked(CaseChange):
    incident_id: int


@dataclass(frozen=True, kw_only=True)
class CaseCrisisChanged(CaseChange):
    """An incident's crisis mode changed what the case is worth: its ``priority`` (from ``previous_priority``) and
    the SLA policy forced on it (``sla_policy_id``, None: the policies' own matching). The SLA recomputes."""

    incident_id: int
    crisis: bool
    priority: int
    previous_priority: int
    sla_policy_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class BulkRunFinished(DomainEvent):
    """A bulk operation over many cases finished (each case's own events were emitted as it went)."""

    run_id: int
    kind: str
    done: int = 0
    failed: int = 0
    incident_id: int | None = None


# --- posts (issue 16: threads and context) -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PostUpdated(DomainEvent):
    """What Compris knows of a post customers comment under changed: read from the platform (``fetched``) or
    the platform would not give it (``fetched`` False, the post stays "a post on <account>" with its link)."""

    post_id: int
    channel_account_id: int
    fetched: bool = True


# --- workspace settings (audit) ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SettingsChanged(DomainEvent):
    """An administrative write: ``entity`` (team, routing_rule, agent_profile, sla_policy, business_hours,
    sla_settings, template, reply_settings, channel_account, user...), ``action`` (created, updated, deleted,
    tested...), the row's id and what changed (field names; never secrets)."""

    entity: str
    action: str
    entity_id: int | None = None
    changes: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


# --- sso


@dataclass(frozen=True, kw_only=True)
class SsoLinked(DomainEvent):
    """A user's account was linked to their single sign-on identity (``issuer``, ``subject``) at their first
    sign-in through the provider: ``how`` is ``email`` (an existing user's e-mail, verified by the provider) or
    ``invitation`` (a pending invitation to that e-mail accepted through single sign-on; the user was created).
    The actor is the user."""

    user_id: int
    issuer: str
    subject: str
    how: str


# --- export


@dataclass(frozen=True, kw_only=True)
class ContactExported(DomainEvent):
    """A contact's personal data was exported as an archive (``privacy.export``) by ``actor_user_id``: the audit log
    records who exported whose data; ``counts`` says what the archive held (rows or files per entry), ``size`` its
    bytes."""

    contact_id: int
    filename: str = ""
    size: int = 0
    counts: dict[str, int] = field(default_factory=dict, hash=False, compare=False)
# --- retention (issue 19: the workspace's retention periods) -------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RetentionPolicyChanged(DomainEvent):
    """The workspace's retention periods changed: ``before`` and ``after`` map each kind (``messages_days``,
    ``attachments_days``, ``raw_events_days``, ``audit_days``) to its days (None: kept for ever)."""

    policy_id: int
    before: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    after: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class RetentionApplied(DomainEvent):
    """A run of the retention policy removed what was due: messages whose content was removed, attachments whose
    files were deleted, raw deliveries and audit entries deleted (a dry run emits nothing)."""

    messages: int = 0
    attachments: int = 0
    raw_events: int = 0
    audit_entries: int = 0
# --- tokens (issue 19: API tokens, the user's own sessions, workspaces) ----------------------------------------


@dataclass(frozen=True, kw_only=True)
class SessionsEnded(DomainEvent):
    """A user signed out some of their own sessions ("Your sessions"): one (``session_id``), or ``count`` of them
    (every one but the browser they were using)."""

    user_id: int
    count: int
    session_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class InstanceAdminChanged(DomainEvent):
    """A user was made an instance admin (``granted``) or is no longer one (``compris grant-instance-admin``)."""

    user_id: int
    granted: bool
# --- erasure ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ContactErased(DomainEvent):
    """A contact's personal data was erased everywhere (``compris.privacy.actions.erasure``): ``erasure_id`` names
    the record (source, counts per kind, confirmation code; no personal data). ``actor_user_id`` is None for a
    platform's deletion callback or a message its author deleted."""

    erasure_id: int
    contact_id: int
    source: str
    counts: dict[str, int] = field(default_factory=dict, hash=False, compare=False)
# --- audit -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class UserSignedIn(DomainEvent):
    """A user signed in (``actor_user_id``: that user; ``method``: ``password``, ``sso``...)."""

    method: str = "password"


@dataclass(frozen=True, kw_only=True)
class UserSignedOut(DomainEvent):
    """A user signed out (every session of theirs ended)."""


@dataclass(frozen=True, kw_only=True)
class LoginFailed(DomainEvent):
    """A login to a known account failed (``user_id``: that account; ``reason``: ``password``, ``inactive``).
    Attempts for unknown e-mail addresses belong to no workspace and are only counted by the rate limits."""

    user_id: int
    reason: str = "password"


# --- inbox ---------------------------------------------------------------------------------------------------
# issue 18: per-agent read marks and saved views of the inbox


@dataclass(frozen=True, kw_only=True)
class CaseMarkedUnread(CaseChange):
    """An agent marked the case unread for themselves (``actor_user_id``)."""


@dataclass(frozen=True, kw_only=True)
class InboxViewChange(DomainEvent):
    """A base for the events about one saved view of the inbox."""

    view_id: int
    name: str
    shared: bool


@dataclass(frozen=True, kw_only=True)
class InboxViewSaved(InboxViewChange):
    """An agent saved the inbox's filters and sort as a new named view."""

    filters: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class InboxViewUpdated(InboxViewChange):
    """A saved view was renamed, shared or unshared, or given the inbox's current filters (``changes`` names
    what changed)."""

    changes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class InboxViewDeleted(InboxViewChange):
    """A saved view was deleted."""
# --- customer ---


@dataclass(frozen=True, kw_only=True)
class CustomerNoteAdded(DomainEvent):
    """An agent wrote an internal note about a contact (shown on every case of theirs, never sent to them)."""

    note_id: int
    contact_id: int


@dataclass(frozen=True, kw_only=True)
class CustomerNoteEdited(DomainEvent):
    """A note about a contact was rewritten."""

    note_id: int
    contact_id: int


@dataclass(frozen=True, kw_only=True)
class CustomerNoteDeleted(DomainEvent):
    """A note about a contact was deleted."""

    note_id: int
    contact_id: int


@dataclass(frozen=True, kw_only=True)
class SameCustomerMerged(DomainEvent):
    """An agent took a "probably the same customer" suggestion: ``other_contact_id`` was merged into
    ``contact_id`` (a ``ContactsMerged`` precedes this), and the other contact's open cases ``merged_case_ids`` into
    ``case_id`` when asked. ``reasons``: the kinds of key they shared (``reference``, ``email``, ``phone``,
    ``name``)."""

    contact_id: int
    other_contact_id: int
    case_id: int | None = None
    merged_case_ids: tuple[int, ...] = ()
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SameCustomerDismissed(DomainEvent):
    """An agent said two contacts are not the same person: the pair is not suggested again."""

    contact_id: int
    other_contact_id: int
# --- notifications ---


@dataclass(frozen=True, kw_only=True)
class SlaAtRisk(CaseChange):
    """A case's SLA turned at risk (``sla.clocks``, when its status changes to at risk): ``due_at`` is the due time
    it may miss (ISO 8601), which names the occurrence (the same due time at risk twice is one occurrence)."""

    due_at: str | None = None
# --- priority ---


@dataclass(frozen=True, kw_only=True)
class CasePriorityChanged(CaseChange):
    """The case's priority was recomputed outside a customer message (an answer sent, a triage change, a merge, or
    the waiting time growing: ``compris.inbox.priority``)."""

    priority: int
    previous_priority: int
