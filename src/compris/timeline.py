"""The case timeline and the workspace audit log: its kinds, their labels, and one recorder per kind.

Every row of ``case_events`` is written by one of the functions below (Saleor's ``order/events.py`` is the model):
the kind and the shape of its data are decided here, once. Rows with a case form the case's timeline; rows
without one (``case=None``) are the workspace's audit log (settings, channels, users, tokens, contact merges).
``SHOWN`` and ``LABELS`` say which kinds the case page lists and how (the page translates the label).
Recorders never commit and never publish: the action that calls them does both (through the domain event it
emits and the live event after commit).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from compris.models import Case, CaseEvent


class EventKind(enum.StrEnum):
    # a case's life
    OPENED = "opened"
    REOPENED = "reopened"
    STATUS_CHANGED = "status_changed"
    RESOLVED = "resolved"
    CLOSED = "closed"
    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"
    ROUTED = "routed"
    TRANSFERRED = "transferred"
    CASE_MERGED = "case_merged"
    CASE_MERGED_INTO = "case_merged_into"
    CASE_UNMERGED = "case_unmerged"  # a case merged here taken back out (on this case)
    CASE_UNMERGED_FROM = "case_unmerged_from"  # this case taken back out of the one it was merged into
    CONTACT_MERGED = "contact_merged"
    IDENTITY_UNMERGED = "identity_unmerged"
    # messages
    MESSAGE_RECEIVED = "message_received"
    SENT_OUTSIDE_COMPRIS = "sent_outside_compris"
    MESSAGE_DELETED = "message_deleted"
    NOTE_ADDED = "note_added"
    REPLY_QUEUED = "reply_queued"
    REPLY_SENT = "reply_sent"
    REPLY_RETRYING = "reply_retrying"
    REPLY_FAILED = "reply_failed"
    REPLY_UNCERTAIN = "reply_uncertain"
    REPLY_RETRY_REQUESTED = "reply_retry_requested"
    DELIVERY_STATUS = "delivery_status"
    AUTO_ACKNOWLEDGED = "auto_acknowledged"
    MOVED_TO_PRIVATE = "moved_to_private"
    TEMPLATE_USED = "template_used"
    # triage
    TRIAGE_CORRECTED = "triage_corrected"
    TRIAGE_REFINED = "triage_refined"
    # SLA
    SLA_BREACHED = "sla_breached"
    # escalation (to a partner or an internal team)
    ESCALATED = "escalated"
    ESCALATION_MAILED = "escalation_mailed"
    ESCALATION_OPENED = "escalation_opened"
    ESCALATION_ANSWERED = "escalation_answered"
    ESCALATION_FOLLOWED_UP = "escalation_followed_up"
    ESCALATION_REMINDED = "escalation_reminded"
    ESCALATION_OVERDUE = "escalation_overdue"
    ESCALATION_CLOSED = "escalation_closed"
    ESCALATION_CANCELLED = "escalation_cancelled"
    ESCALATION_REOPENED = "escalation_reopened"
    ESCALATION_LINKS_REVOKED = "escalation_links_revoked"
    # business actions
    ACTION_REQUESTED = "action_requested"
    ACTION_SUCCEEDED = "action_succeeded"
    ACTION_FAILED = "action_failed"
    # satisfaction surveys
    SURVEY_SENT = "survey_sent"
    SURVEY_SKIPPED = "survey_skipped"
    SURVEY_ANSWERED = "survey_answered"
    SURVEY_COMMENTED = "survey_commented"
    # listening (issue 16): tags, alerts, incidents
    TAGGED = "tagged"
    ALERT_RAISED = "alert_raised"
    INCIDENT_LINKED = "incident_linked"
    INCIDENT_UNLINKED = "incident_unlinked"
    INCIDENT_OPENED = "incident_opened"  # workspace audit (no case), like those below
    INCIDENT_STATUS_CHANGED = "incident_status_changed"
    INCIDENT_UPDATED = "incident_updated"
    INCIDENT_CRISIS_ON = "incident_crisis_on"  # on the case: its priority raised, the crisis SLA policy forced
    INCIDENT_CRISIS_OFF = "incident_crisis_off"
    BULK_RUN = "bulk_run"
    # workspace audit (no case)
    SETTINGS_CHANGED = "settings_changed"
    TEMPLATE_CREATED = "template_created"
    TEMPLATE_UPDATED = "template_updated"
    TEMPLATE_DELETED = "template_deleted"
    REPLY_SETTINGS_CHANGED = "reply_settings_changed"
    CHANNEL_CONNECTED = "channel_connected"
    CHANNEL_UPDATED = "channel_updated"
    CHANNEL_TESTED = "channel_tested"
    CHANNEL_CREDENTIALS_RENEWED = "channel_credentials_renewed"
    CHANNEL_REPLAY_REQUESTED = "channel_replay_requested"
    CHANNEL_REPLAY_FAILED = "channel_replay_failed"
    USER_CREATED = "user_created"
    API_TOKEN_CREATED = "api_token_created"  # noqa: S105 (a kind, not a secret)
    DEMO_LOADED = "demo_loaded"


#: The kinds listed on the case page, between the messages.
SHOWN: frozenset[EventKind] = frozenset({
    EventKind.OPENED, EventKind.REOPENED, EventKind.ASSIGNED, EventKind.UNASSIGNED, EventKind.STATUS_CHANGED,
    EventKind.RESOLVED, EventKind.CLOSED, EventKind.CONTACT_MERGED, EventKind.CASE_MERGED,
    EventKind.CASE_MERGED_INTO, EventKind.CASE_UNMERGED, EventKind.CASE_UNMERGED_FROM, EventKind.REPLY_FAILED,
    EventKind.REPLY_RETRYING, EventKind.REPLY_UNCERTAIN,
    EventKind.REPLY_RETRY_REQUESTED, EventKind.TRANSFERRED,
    EventKind.ESCALATED, EventKind.ESCALATION_MAILED, EventKind.ESCALATION_OPENED, EventKind.ESCALATION_ANSWERED,
    EventKind.ESCALATION_FOLLOWED_UP, EventKind.ESCALATION_REMINDED, EventKind.ESCALATION_OVERDUE,
    EventKind.ESCALATION_CLOSED, EventKind.ESCALATION_CANCELLED, EventKind.ESCALATION_REOPENED,
    EventKind.ESCALATION_LINKS_REVOKED, EventKind.ACTION_REQUESTED, EventKind.ACTION_SUCCEEDED,
    EventKind.ACTION_FAILED, EventKind.SURVEY_SENT, EventKind.SURVEY_SKIPPED, EventKind.SURVEY_ANSWERED,
    EventKind.SURVEY_COMMENTED, EventKind.TAGGED, EventKind.ALERT_RAISED, EventKind.INCIDENT_LINKED,
    EventKind.INCIDENT_UNLINKED, EventKind.INCIDENT_CRISIS_ON, EventKind.INCIDENT_CRISIS_OFF,
})

#: The kinds that change a case's status (the SLA rebuilds its pauses from them).
STATUS_KINDS: frozenset[EventKind] = frozenset({
    EventKind.STATUS_CHANGED, EventKind.RESOLVED, EventKind.CLOSED, EventKind.REOPENED,
})

#: English labels (message ids of the UI's translations); ``%(name)s`` and the like are filled by the page.
LABELS: dict[EventKind, str] = {
    EventKind.OPENED: "Case opened",
    EventKind.REOPENED: "Case reopened",
    EventKind.ASSIGNED: "Assigned to %(name)s",
    EventKind.UNASSIGNED: "Assignment removed",
    EventKind.STATUS_CHANGED: "Status changed to %(status)s",
    EventKind.RESOLVED: "Resolved",
    EventKind.CLOSED: "Closed",
    EventKind.CONTACT_MERGED: "Contacts merged",
    EventKind.CASE_MERGED: "Another case of this customer was merged here",
    EventKind.CASE_MERGED_INTO: "Merged into another case",
    EventKind.CASE_UNMERGED: "A case merged here was taken back out",
    EventKind.CASE_UNMERGED_FROM: "Taken back out of the case it was merged into",
    EventKind.REPLY_FAILED: "A reply failed",
    EventKind.REPLY_RETRYING: "A reply will be retried",
    EventKind.REPLY_UNCERTAIN: "A reply may not have been sent",
    EventKind.REPLY_RETRY_REQUESTED: "Retry requested",
    EventKind.TRIAGE_CORRECTED: "Triage corrected",
    EventKind.TRIAGE_REFINED: "Triage refined by the accurate model",
    EventKind.MESSAGE_DELETED: "A message was deleted on the network",
    EventKind.TRANSFERRED: "Transferred to %(team)s",
    EventKind.ESCALATED: "Escalated to %(partner)s",
    EventKind.ESCALATION_MAILED: "Escalation e-mail sent to %(partner)s",
    EventKind.ESCALATION_OPENED: "%(partner)s opened the escalation",
    EventKind.ESCALATION_ANSWERED: "%(partner)s answered",
    EventKind.ESCALATION_FOLLOWED_UP: "Follow-up sent to %(partner)s",
    EventKind.ESCALATION_REMINDED: "Reminder sent to %(partner)s",
    EventKind.ESCALATION_OVERDUE: "Escalation to %(partner)s is overdue",
    EventKind.ESCALATION_CLOSED: "Escalation to %(partner)s closed",
    EventKind.ESCALATION_CANCELLED: "Escalation to %(partner)s cancelled",
    EventKind.ESCALATION_REOPENED: "Escalation to %(partner)s reopened",
    EventKind.ESCALATION_LINKS_REVOKED: "Links of the escalation to %(partner)s revoked",
    EventKind.ACTION_REQUESTED: "%(action)s requested",
    EventKind.ACTION_SUCCEEDED: "%(action)s succeeded",
    EventKind.ACTION_FAILED: "%(action)s failed",
    EventKind.SURVEY_SENT: "Satisfaction survey sent",
    EventKind.SURVEY_SKIPPED: "No satisfaction survey: %(reason)s",
    EventKind.SURVEY_ANSWERED: "Customer rated %(rating)s",
    EventKind.SURVEY_COMMENTED: "Customer commented on the survey",
    EventKind.TAGGED: "Tags changed",
    EventKind.ALERT_RAISED: "Alert: %(title)s",
    EventKind.INCIDENT_LINKED: "Linked to incident %(incident)s",
    EventKind.INCIDENT_UNLINKED: "Unlinked from incident %(incident)s",
    EventKind.INCIDENT_CRISIS_ON: "Crisis mode of incident %(incident)s: priority %(priority)s",
    EventKind.INCIDENT_CRISIS_OFF: "Crisis mode of incident %(incident)s ended: priority %(priority)s",
}


def _record(session: Session, kind: EventKind, *, workspace_id: int, case: Case | None = None,
            actor_user_id: int | None = None, at: datetime | None = None, **data: Any) -> CaseEvent:
    row = CaseEvent(workspace_id=workspace_id, case_id=case.id if case is not None else None,
                    actor_user_id=actor_user_id, kind=kind.value,
                    data=dict(data))
    if at is not None:
        row.created_at = at
    session.add(row)
    return row


def _on(session: Session, kind: EventKind, case: Case, actor_user_id: int | None = None, **data: Any) -> CaseEvent:
    return _record(session, kind, workspace_id=case.workspace_id, case=case, actor_user_id=actor_user_id, **data)


# --- a case's life -------------------------------------------------------------------------------------------


def opened(session: Session, case: Case, *, channel_account_id: int) -> CaseEvent:
    return _on(session, EventKind.OPENED, case, channel_account_id=channel_account_id)


def reopened(session: Session, case: Case, *, actor_user_id: int | None = None, from_status: str | None = None,
             to_status: str = "open", reason: str | None = None, until: datetime | None = None) -> CaseEvent:
    data: dict[str, Any] = {"from_status": from_status, "to_status": to_status}
    if reason:
        data["reason"] = reason
    if until is not None:  # reopened straight into a snooze
        data["until"] = until.isoformat()
    return _on(session, EventKind.REOPENED, case, actor_user_id, **data)


def status_changed(session: Session, case: Case, *, from_status: str, to_status: str,
                   actor_user_id: int | None = None, reason: str | None = None,
                   until: datetime | None = None) -> CaseEvent:
    data: dict[str, Any] = {"from_status": from_status, "to_status": to_status}
    if reason:
        data["reason"] = reason
    if until is not None:
        data["until"] = until.isoformat()
    return _on(session, EventKind.STATUS_CHANGED, case, actor_user_id, **data)


def resolved(session: Session, case: Case, *, from_status: str, actor_user_id: int | None = None) -> CaseEvent:
    return _on(session, EventKind.RESOLVED, case, actor_user_id, from_status=from_status, to_status="resolved")


def closed(session: Session, case: Case, *, from_status: str, actor_user_id: int | None = None,
           reason: str | None = None) -> CaseEvent:
    return _on(session, EventKind.CLOSED, case, actor_user_id, from_status=from_status, to_status="closed",
               **({"reason": reason} if reason else {}))


def assigned(session: Session, case: Case, *, assignee_id: int, previous_assignee_id: int | None = None,
             actor_user_id: int | None = None, reason: str | None = None) -> CaseEvent:
    return _on(session, EventKind.ASSIGNED, case, actor_user_id, assignee_id=assignee_id,
               previous_assignee_id=previous_assignee_id, **({"reason": reason} if reason else {}))


def unassigned(session: Session, case: Case, *, previous_assignee_id: int | None,
               actor_user_id: int | None = None) -> CaseEvent:
    return _on(session, EventKind.UNASSIGNED, case, actor_user_id, assignee_id=None,
               previous_assignee_id=previous_assignee_id)


def routed(session: Session, case: Case, *, team_id: int) -> CaseEvent:
    return _on(session, EventKind.ROUTED, case, team_id=team_id)


def transferred(session: Session, case: Case, *, team_id: int | None, previous_team_id: int | None,
                actor_user_id: int | None) -> CaseEvent:
    return _on(session, EventKind.TRANSFERRED, case, actor_user_id, team_id=team_id, previous_team_id=previous_team_id)


def case_merged(session: Session, case: Case, *, source: Case, message_ids: Sequence[int],
                actor_user_id: int | None) -> CaseEvent:
    return _on(session, EventKind.CASE_MERGED, case, actor_user_id, from_case_id=source.id,
               from_case_number=source.number, message_ids=list(message_ids))


def case_merged_into(session: Session, case: Case, *, target: Case, actor_user_id: int | None) -> CaseEvent:
    return _on(session, EventKind.CASE_MERGED_INTO, case, actor_user_id, into_case_id=target.id,
               into_case_number=target.number)


def case_unmerged(session: Session, case: Case, *, source: Case, message_ids: Sequence[int],
                  actor_user_id: int | None) -> CaseEvent:
    return _on(session, EventKind.CASE_UNMERGED, case, actor_user_id, from_case_id=source.id,
               from_case_number=source.number, message_ids=list(message_ids))


def case_unmerged_from(session: Session, case: Case, *, target: Case, actor_user_id: int | None) -> CaseEvent:
    return _on(session, EventKind.CASE_UNMERGED_FROM, case, actor_user_id, into_case_id=target.id,
               into_case_number=target.number)


def contact_merged(session: Session, case: Case | None, *, workspace_id: int, source_contact_id: int,
                   target_contact_id: int, actor_user_id: int | None,
                   identity_ids: Sequence[int] | None = None) -> CaseEvent:
    """On each moved case, and once for the workspace (``case=None``, with the moved identities)."""
    data: dict[str, Any] = {"source_contact_id": source_contact_id, "target_contact_id": target_contact_id}
    if identity_ids is not None:
        data["identity_ids"] = list(identity_ids)
    return _record(session, EventKind.CONTACT_MERGED, workspace_id=workspace_id, case=case,
                   actor_user_id=actor_user_id, **data)


def identity_unmerged(session: Session, *, workspace_id: int, identity_id: int, from_contact_id: int,
                      to_contact_id: int, actor_user_id: int | None) -> CaseEvent:
    return _record(session, EventKind.IDENTITY_UNMERGED, workspace_id=workspace_id, actor_user_id=actor_user_id,
                   identity_id=identity_id, from_contact_id=from_contact_id, to_contact_id=to_contact_id)


# --- messages --------------------------------------------------------------------------------------------------


def message_received(session: Session, case: Case, *, message_id: int, visibility: str, network: str) -> CaseEvent:
    return _on(session, EventKind.MESSAGE_RECEIVED, case, message_id=message_id, visibility=visibility,
               network=network)


def sent_outside_compris(session: Session, case: Case, *, message_id: int) -> CaseEvent:
    return _on(session, EventKind.SENT_OUTSIDE_COMPRIS, case, message_id=message_id)


def message_deleted(session: Session, case: Case, *, message_id: int, by: str) -> CaseEvent:
    return _on(session, EventKind.MESSAGE_DELETED, case, message_id=message_id, by=by)


def note_added(session: Session, case: Case, *, message_id: int, actor_user_id: int) -> CaseEvent:
    return _on(session, EventKind.NOTE_ADDED, case, actor_user_id, message_id=message_id)


def reply_queued(session: Session, case: Case, *, message_id: int, visibility: str, actor_user_id: int | None,
                 origin: str = "agent", upload_ids: Sequence[int] = ()) -> CaseEvent:
    data: dict[str, Any] = {"message_id": message_id, "visibility": visibility}
    if origin != "agent":
        data["origin"] = origin
    if upload_ids:
        data["upload_ids"] = list(upload_ids)
    return _on(session, EventKind.REPLY_QUEUED, case, actor_user_id, **data)


def reply_sent(session: Session, case: Case, *, message_id: int, attempt: int, platform_message_id: str | None,
               posted_by_user_id: int | None = None) -> CaseEvent:
    """``posted_by_user_id``: the agent who posted the reply on the network by hand and confirmed it (the event's
    actor, with ``posted_by_hand`` in its data)."""
    if posted_by_user_id is not None:
        return _on(session, EventKind.REPLY_SENT, case, posted_by_user_id, message_id=message_id, attempt=attempt,
                   platform_message_id=platform_message_id, posted_by_hand=True)
    return _on(session, EventKind.REPLY_SENT, case, message_id=message_id, attempt=attempt,
               platform_message_id=platform_message_id)


def reply_retrying(session: Session, case: Case, *, message_id: int, attempt: int, reason: str,
                   retry_in_seconds: float) -> CaseEvent:
    return _on(session, EventKind.REPLY_RETRYING, case, message_id=message_id, attempt=attempt,
               reason=reason[:500], retry_in_seconds=round(retry_in_seconds, 1))


def reply_failed(session: Session, case: Case, *, message_id: int, attempt: int | None, reason: str,
                 actor_user_id: int | None = None) -> CaseEvent:
    """``actor_user_id``: the agent who said a reply to post by hand was not posted."""
    return _on(session, EventKind.REPLY_FAILED, case, actor_user_id, message_id=message_id, attempt=attempt,
               reason=reason[:500])


def reply_uncertain(session: Session, case: Case, *, message_id: int, reason: str) -> CaseEvent:
    return _on(session, EventKind.REPLY_UNCERTAIN, case, message_id=message_id, reason=reason)


def reply_retry_requested(session: Session, case: Case, *, message_id: int, actor_user_id: int) -> CaseEvent:
    return _on(session, EventKind.REPLY_RETRY_REQUESTED, case, actor_user_id, message_id=message_id)


def delivery_status(session: Session, case: Case, *, message_id: int, status: str, reason: str | None) -> CaseEvent:
    return _on(session, EventKind.DELIVERY_STATUS, case, message_id=message_id, status=status, reason=reason)


def auto_acknowledged(session: Session, case: Case, *, message_id: int) -> CaseEvent:
    return _on(session, EventKind.AUTO_ACKNOWLEDGED, case, message_id=message_id)


def moved_to_private(session: Session, case: Case, *, actor_user_id: int, **data: Any) -> CaseEvent:
    return _on(session, EventKind.MOVED_TO_PRIVATE, case, actor_user_id, **data)


def template_used(session: Session, case: Case, *, actor_user_id: int, **data: Any) -> CaseEvent:
    return _on(session, EventKind.TEMPLATE_USED, case, actor_user_id, **data)


# --- escalation ------------------------------------------------------------------------------------------------
# ``data`` carries the escalation's id, the partner's name (``partner``, for the label) and what the step says.


def escalated(session: Session, case: Case, *, escalation_id: int, partner: str, actor_user_id: int | None,
              **data: Any) -> CaseEvent:
    return _on(session, EventKind.ESCALATED, case, actor_user_id, escalation_id=escalation_id, partner=partner,
               **data)


def escalation_mailed(session: Session, case: Case, *, escalation_id: int, partner: str, **data: Any) -> CaseEvent:
    return _on(session, EventKind.ESCALATION_MAILED, case, escalation_id=escalation_id, partner=partner, **data)


def escalation_opened(session: Session, case: Case, *, escalation_id: int, partner: str, **data: Any) -> CaseEvent:
    return _on(session, EventKind.ESCALATION_OPENED, case, escalation_id=escalation_id, partner=partner, **data)


def escalation_answered(session: Session, case: Case, *, escalation_id: int, partner: str, exchange_id: int,
                        outcome: str, via: str, **data: Any) -> CaseEvent:
    return _on(session, EventKind.ESCALATION_ANSWERED, case, escalation_id=escalation_id, partner=partner,
               exchange_id=exchange_id, outcome=outcome, via=via, **data)


def escalation_followed_up(session: Session, case: Case, *, escalation_id: int, partner: str, exchange_id: int,
                           actor_user_id: int | None, **data: Any) -> CaseEvent:
    return _on(session, EventKind.ESCALATION_FOLLOWED_UP, case, actor_user_id, escalation_id=escalation_id,
               partner=partner, exchange_id=exchange_id, **data)


def escalation_reminded(session: Session, case: Case, *, escalation_id: int, partner: str, when: str,
                        **data: Any) -> CaseEvent:
    return _on(session, EventKind.ESCALATION_REMINDED, case, escalation_id=escalation_id, partner=partner,
               when=when, **data)


def escalation_overdue(session: Session, case: Case, *, escalation_id: int, partner: str, due_at: str,
                       **data: Any) -> CaseEvent:
    return _on(session, EventKind.ESCALATION_OVERDUE, case, escalation_id=escalation_id, partner=partner,
               due_at=due_at, **data)


def escalation_closed(session: Session, case: Case, *, escalation_id: int, partner: str, actor_user_id: int | None,
                      **data: Any) -> CaseEvent:
    return _on(session, EventKind.ESCALATION_CLOSED, case, actor_user_id, escalation_id=escalation_id,
               partner=partner, **data)


def escalation_cancelled(session: Session, case: Case, *, escalation_id: int, partner: str,
                         actor_user_id: int | None, **data: Any) -> CaseEvent:
    return _on(session, EventKind.ESCALATION_CANCELLED, case, actor_user_id, escalation_id=escalation_id,
               partner=partner, **data)


def escalation_reopened(session: Session, case: Case, *, escalation_id: int, partner: str,
                        actor_user_id: int | None, **data: Any) -> CaseEvent:
    return _on(session, EventKind.ESCALATION_REOPENED, case, actor_user_id, escalation_id=escalation_id,
               partner=partner, **data)


def escalation_links_revoked(session: Session, case: Case, *, escalation_id: int, partner: str,
                             actor_user_id: int | None, **data: Any) -> CaseEvent:
    return _on(session, EventKind.ESCALATION_LINKS_REVOKED, case, actor_user_id, escalation_id=escalation_id,
               partner=partner, **data)


# --- business actions ------------------------------------------------------------------------------------------
# ``data`` carries the run's id, the action's name (``action``, for the label) and its fields or result.


def action_requested(session: Session, case: Case, *, run_id: int, action: str, actor_user_id: int | None,
                     **data: Any) -> CaseEvent:
    return _on(session, EventKind.ACTION_REQUESTED, case, actor_user_id, run_id=run_id, action=action, **data)


def action_succeeded(session: Session, case: Case, *, run_id: int, action: str, **data: Any) -> CaseEvent:
    return _on(session, EventKind.ACTION_SUCCEEDED, case, run_id=run_id, action=action, **data)


def action_failed(session: Session, case: Case, *, run_id: int, action: str, error: str, **data: Any) -> CaseEvent:
    return _on(session, EventKind.ACTION_FAILED, case, run_id=run_id, action=action, error=error, **data)


# --- satisfaction surveys --------------------------------------------------------------------------------------


def survey_sent(session: Session, case: Case, *, survey_id: int, **data: Any) -> CaseEvent:
    return _on(session, EventKind.SURVEY_SENT, case, survey_id=survey_id, **data)


def survey_skipped(session: Session, case: Case, *, survey_id: int, reason: str, **data: Any) -> CaseEvent:
    return _on(session, EventKind.SURVEY_SKIPPED, case, survey_id=survey_id, reason=reason, **data)


def survey_answered(session: Session, case: Case, *, survey_id: int, rating: int, via: str,
                    **data: Any) -> CaseEvent:
    return _on(session, EventKind.SURVEY_ANSWERED, case, survey_id=survey_id, rating=rating, via=via, **data)


def survey_commented(session: Session, case: Case, *, survey_id: int, **data: Any) -> CaseEvent:
    return _on(session, EventKind.SURVEY_COMMENTED, case, survey_id=survey_id, **data)


# --- triage ----------------------------------------------------------------------------------------------------


def triage_corrected(session: Session, case: Case, *, message_id: int, field: str, label: str, previous: Any,
                     actor_user_id: int) -> CaseEvent:
    return _on(session, EventKind.TRIAGE_CORRECTED, case, actor_user_id, message_id=message_id, field=field,
               label=label, previous=previous)


def triage_refined(session: Session, case: Case, *, message_id: int, was: dict[str, Any]) -> CaseEvent:
    return _on(session, EventKind.TRIAGE_REFINED, case, message_id=message_id, was=was)


# --- SLA -------------------------------------------------------------------------------------------------------


def sla_breached(session: Session, case: Case, *, metric: str, cycle: int, breached_at: datetime,
                 policy: str) -> CaseEvent:
    return _on(session, EventKind.SLA_BREACHED, case, metric=metric, cycle=cycle, breached_at=breached_at.isoformat(),
               policy=policy)


# --- workspace audit -------------------------------------------------------------------------------------------


# --- listening: tags, alerts, incidents, bulk operations (issue 16) ---


def tagged(session: Session, case: Case, *, added: Sequence[str], removed: Sequence[str],
           actor_user_id: int | None) -> CaseEvent:
    return _on(session, EventKind.TAGGED, case, actor_user_id, added=list(added), removed=list(removed))


def alert_raised(session: Session, case: Case, *, alert_id: int, kind: str, title: str,
                 reasons: Sequence[Any]) -> CaseEvent:
    return _on(session, EventKind.ALERT_RAISED, case, None, alert_id=alert_id, alert_kind=kind, title=title,
               reasons=list(reasons))


def incident_linked(session: Session, case: Case, *, incident_id: int, incident: str, linked_by: str,
                    actor_user_id: int | None) -> CaseEvent:
    return _on(session, EventKind.INCIDENT_LINKED, case, actor_user_id, incident_id=incident_id,
               incident=incident, linked_by=linked_by)


def incident_unlinked(session: Session, case: Case, *, incident_id: int, incident: str,
                      actor_user_id: int | None) -> CaseEvent:
    return _on(session, EventKind.INCIDENT_UNLINKED, case, actor_user_id, incident_id=incident_id,
               incident=incident)


def incident_crisis_on(session: Session, case: Case, *, incident_id: int, incident: str, priority: int,
                       previous_priority: int, sla_policy_id: int | None, actor_user_id: int | None) -> CaseEvent:
    return _on(session, EventKind.INCIDENT_CRISIS_ON, case, actor_user_id, incident_id=incident_id,
               incident=incident, priority=priority, previous_priority=previous_priority, sla_policy_id=sla_policy_id)


def incident_crisis_off(session: Session, case: Case, *, incident_id: int, incident: str, priority: int,
                        previous_priority: int, actor_user_id: int | None) -> CaseEvent:
    return _on(session, EventKind.INCIDENT_CRISIS_OFF, case, actor_user_id, incident_id=incident_id,
               incident=incident, priority=priority, previous_priority=previous_priority)


def incident_opened(session: Session, *, workspace_id: int, actor_user_id: int | None, incident_id: int,
                    name: str, source: str) -> CaseEvent:
    return _record(session, EventKind.INCIDENT_OPENED, workspace_id=workspace_id, actor_user_id=actor_user_id,
                   incident_id=incident_id, name=name, source=source)


def incident_status_changed(session: Session, *, workspace_id: int, actor_user_id: int | None, incident_id: int,
                            from_status: str, to_status: str) -> CaseEvent:
    return _record(session, EventKind.INCIDENT_STATUS_CHANGED, workspace_id=workspace_id,
                   actor_user_id=actor_user_id, incident_id=incident_id, from_status=from_status,
                   to_status=to_status)


def incident_updated(session: Session, *, workspace_id: int, actor_user_id: int | None, incident_id: int,
                     changes: Sequence[str]) -> CaseEvent:
    return _record(session, EventKind.INCIDENT_UPDATED, workspace_id=workspace_id, actor_user_id=actor_user_id,
                   incident_id=incident_id, changes=list(changes))


def bulk_run(session: Session, *, workspace_id: int, actor_user_id: int | None, run_id: int, kind: str,
             cases: int, incident_id: int | None = None, done: int = 0, skipped: int = 0,
             failed: int = 0) -> CaseEvent:
    """A bulk operation finished (``action``: its kind — assign, tag, reply...; the cases' counts)."""
    return _record(session, EventKind.BULK_RUN, workspace_id=workspace_id, actor_user_id=actor_user_id,
                   run_id=run_id, action=kind, cases=cases, incident_id=incident_id, done=done, skipped=skipped,
                   failed=failed)


def settings_changed(session: Session, *, workspace_id: int, actor_user_id: int | None, entity: str, action: str,
                     entity_id: int | None = None, changes: Sequence[str] = (), **extra: Any) -> CaseEvent:
    """An administrative write (teams, rules, profiles, SLA policies, hours, settings...): who, what, which fields.
    Never the values of secrets."""
    return _record(session, EventKind.SETTINGS_CHANGED, workspace_id=workspace_id, actor_user_id=actor_user_id,
                   entity=entity, action=action, entity_id=entity_id, changes=sorted(changes), **extra)


def template_created(session: Session, *, workspace_id: int, actor_user_id: int, template_id: int) -> CaseEvent:
    return _record(session, EventKind.TEMPLATE_CREATED, workspace_id=workspace_id, actor_user_id=actor_user_id,
                   template_id=template_id)


def template_updated(session: Session, *, workspace_id: int, actor_user_id: int, template_id: int) -> CaseEvent:
    return _record(session, EventKind.TEMPLATE_UPDATED, workspace_id=workspace_id, actor_user_id=actor_user_id,
                   template_id=template_id)


def template_deleted(session: Session, *, workspace_id: int, actor_user_id: int, template_id: int,
                     **data: Any) -> CaseEvent:
    return _record(session, EventKind.TEMPLATE_DELETED, workspace_id=workspace_id, actor_user_id=actor_user_id,
                   template_id=template_id, **data)


def reply_settings_changed(session: Session, *, workspace_id: int, actor_user_id: int) -> CaseEvent:
    return _record(session, EventKind.REPLY_SETTINGS_CHANGED, workspace_id=workspace_id, actor_user_id=actor_user_id)


def channel_connected(session: Session, *, workspace_id: int, actor_user_id: int | None, **data: Any) -> CaseEvent:
    return _record(session, EventKind.CHANNEL_CONNECTED, workspace_id=workspace_id, actor_user_id=actor_user_id,
                   **data)


def channel_updated(session: Session, *, workspace_id: int, actor_user_id: int | None, **data: Any) -> CaseEvent:
    return _record(session, EventKind.CHANNEL_UPDATED, workspace_id=workspace_id, actor_user_id=actor_user_id,
                   **data)


def channel_tested(session: Session, *, workspace_id: int, actor_user_id: int | None, **data: Any) -> CaseEvent:
    return _record(session, EventKind.CHANNEL_TESTED, workspace_id=workspace_id, actor_user_id=actor_user_id, **data)


def channel_credentials_renewed(session: Session, *, workspace_id: int, **data: Any) -> CaseEvent:
    return _record(session, EventKind.CHANNEL_CREDENTIALS_RENEWED, workspace_id=workspace_id, **data)


def channel_replay_requested(session: Session, *, workspace_id: int, **data: Any) -> CaseEvent:
    return _record(session, EventKind.CHANNEL_REPLAY_REQUESTED, workspace_id=workspace_id, **data)


def channel_replay_failed(session: Session, *, workspace_id: int, **data: Any) -> CaseEvent:
    return _record(session, EventKind.CHANNEL_REPLAY_FAILED, workspace_id=workspace_id, **data)


def user_created(session: Session, *, workspace_id: int, user_id: int, role: str,
                 actor_user_id: int | None = None) -> CaseEvent:
    return _record(session, EventKind.USER_CREATED, workspace_id=workspace_id, actor_user_id=actor_user_id,
                   user_id=user_id, role=role)


def api_token_created(session: Session, *, workspace_id: int, actor_user_id: int | None, **data: Any) -> CaseEvent:
    return _record(session, EventKind.API_TOKEN_CREATED, workspace_id=workspace_id, actor_user_id=actor_user_id,
                   **data)


def demo_loaded(session: Session, *, workspace_id: int, steps: int) -> CaseEvent:
    return _record(session, EventKind.DEMO_LOADED, workspace_id=workspace_id, steps=steps)
