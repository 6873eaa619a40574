"""What an audit entry says, in one short sentence: an English ``msgid`` with its values, so that the entry's
``summary`` (English, searched and exported) and the page (translated) say the same thing."""

from __future__ import annotations

from typing import Any

#: the event -> its sentence (``%(case)s``: the case's number)
PHRASES: dict[str, str] = {
    "StatusChanged": "Case #%(case)s: status %(from_status)s → %(to_status)s",
    "CaseAssigned": "Case #%(case)s: assignee changed",
    "CaseRouted": "Case #%(case)s: team changed",
    "CasesMerged": "Another case merged into case #%(case)s",
    "CasesUnmerged": "A merged case taken back out of case #%(case)s",
    "CaseRead": "Case #%(case)s read",
    "TriageChanged": "Case #%(case)s: triage corrected",
    "MessageDeleted": "Case #%(case)s: a message deleted",
    "NoteAdded": "Case #%(case)s: note added",
    "ReplyQueued": "Case #%(case)s: reply queued",
    "ReplySent": "Case #%(case)s: reply sent",
    "ReplyRetryRequested": "Case #%(case)s: reply sent again",
    "ContactsMerged": "Contacts merged",
    "IdentityUnmerged": "An identity separated from its contact",
    "EscalationCreated": "Case #%(case)s escalated",
    "EscalationFollowedUp": "Case #%(case)s: escalation followed up",
    "EscalationAnswered": "Case #%(case)s: escalation answered",
    "EscalationClosed": "Case #%(case)s: escalation closed",
    "EscalationReopened": "Case #%(case)s: escalation reopened",
    "BusinessActionRequested": "Case #%(case)s: business action requested",
    "CaseTagged": "Case #%(case)s: tags changed",
    "IncidentOpened": "Incident opened",
    "IncidentStatusChanged": "Incident status changed",
    "IncidentUpdated": "Incident updated",
    "IncidentCaseLinked": "Case #%(case)s linked to an incident",
    "IncidentCaseUnlinked": "Case #%(case)s unlinked from an incident",
    "BulkRunFinished": "Bulk operation finished",
    "UserSignedIn": "Signed in",
    "UserSignedOut": "Signed out",
    "LoginFailed": "Failed sign-in",
}

SETTINGS_WITH_ID = "Settings: %(entity)s #%(id)s %(action)s"
SETTINGS = "Settings: %(entity)s %(action)s"
CASE_OTHER = "Case #%(case)s: %(event)s"
OTHER = "%(event)s"

#: ``SettingsChanged.entity`` -> its name on the page
ENTITIES: dict[str, str] = {
    "team": "team",
    "team_member": "team member",
    "agent_profile": "agent profile",
    "routing_rule": "routing rule",
    "sla_policy": "SLA policy",
    "business_hours": "business hours",
    "sla_settings": "SLA settings",
    "wait_publication": "published wait time",
    "template": "reply template",
    "reply_settings": "reply settings",
    "channel_account": "channel account",
    "user": "user",
    "api_token": "API token",
    "survey_settings": "survey settings",
    "mail_settings": "mail settings",
    "webhook_subscription": "webhook",
    "objective": "objective",
    "listening_settings": "listening settings",
    "tag": "tag",
    "partner": "partner",
    "business_action": "business action",
    "workspace": "workspace",
    "retention_policy": "retention policy",
    "invitation": "invitation",
    "alert": "alert",
    "delivery": "webhook delivery",
}

#: ``SettingsChanged.action`` -> its word on the page
ACTIONS: dict[str, str] = {
    "created": "created",
    "updated": "updated",
    "deleted": "deleted",
    "connected": "connected",
    "tested": "tested",
    "credentials_renewed": "credentials renewed",
    "revoked": "revoked",
    "deactivated": "deactivated",
    "reactivated": "reactivated",
    "invited": "invited",
    "disabled": "disabled",
    "enabled": "enabled",
    "acknowledged": "acknowledged",
}

#: values of these parameters are words to translate too
TRANSLATED = ("entity", "action")


def phrase(event: str, entity: str, entity_id: int | None, action: str,
           data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The sentence of an entry: its ``msgid`` and values (``entity`` and ``action`` are msgids themselves)."""
    if event == "SettingsChanged":
        params: dict[str, Any] = {"entity": ENTITIES.get(entity, entity.replace("_", " ")),
                                  "action": ACTIONS.get(action, action.replace("_", " "))}
        if entity_id is None:
            return SETTINGS, params
        return SETTINGS_WITH_ID, {**params, "id": entity_id}
    case = data.get("case_number") or data.get("case_id")
    values = {"case": case, "event": event, "from_status": data.get("from_status", ""),
              "to_status": data.get("to_status", "")}
    msgid = PHRASES.get(event)
    if msgid is not None and (case is not None or "%(case)s" not in msgid):
        return msgid, values
    return (CASE_OTHER if case is not None else OTHER), values


def english(msgid: str, params: dict[str, Any]) -> str:
    try:
        return msgid % params
    except (KeyError, TypeError, ValueError):
        return msgid


def every_msgid() -> set[str]:
    """Every sentence and word an entry may show (for the French catalogue's test)."""
    return {*PHRASES.values(), SETTINGS_WITH_ID, SETTINGS, CASE_OTHER, *ENTITIES.values(), *ACTIONS.values()}
