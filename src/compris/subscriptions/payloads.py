"""What a delivery carries: the envelope, the event's data with a few facts from the database, and the exact
bytes sent.

Privacy: the data carries ids, states, names of the brand's own things (the partner, the action, the case number)
and numbers (a rating); never a secret, never free text written by a customer or a partner (a brief, an answer, a
comment, a message), never the customer's name, handle, e-mail or phone. A receiver that needs the text reads it
through the API with a token (``GET /api/v1/cases/{number}``), where access is checked and logged.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from sqlalchemy.orm import Session

from compris.events import AlertRaised, BusinessActionChange, DomainEvent, EscalationChange, SlaBreached, SurveyChange
from compris.inbox.queries import tags_of
from compris.kit.clock import now
from compris.models import Alert, Case, Escalation, Partner, Survey, Workspace

#: event fields that are never published (free text a customer or partner may have written)
PRIVATE_FIELDS = frozenset({"workspace_id", "message", "claims", "text", "comment", "brief"})
ERROR_MAX = 500


def envelope(session: Session, event: DomainEvent, event_type: str, event_id: str) -> dict[str, Any]:
    """The JSON document of one event: ``{"id", "type", "created_at", "workspace", "data"}``."""
    return {
        "id": event_id,
        "type": event_type,
        "created_at": now().isoformat(),
        "workspace": workspace_of(session, event.workspace_id),
        "data": data_of(session, event),
    }


def ping(session: Session, workspace_id: int, event_id: str, subscription_id: int) -> dict[str, Any]:
    """The test event "send a test event" delivers."""
    return {
        "id": event_id,
        "type": "ping",
        "created_at": now().isoformat(),
        "workspace": workspace_of(session, workspace_id),
        "data": {"subscription_id": subscription_id, "message": "A test event from Compris."},
    }


def workspace_of(session: Session, workspace_id: int) -> dict[str, Any]:
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        return {"id": workspace_id}
    return {"id": workspace.id, "slug": workspace.slug, "name": workspace.name}


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def data_of(session: Session, event: DomainEvent) -> dict[str, Any]:
    """The event's own fields (small values) and the facts a receiver needs to act on it without a look-up."""
    data: dict[str, Any] = {k: v for k, v in dataclasses.asdict(event).items() if k not in PRIVATE_FIELDS}
    case_id = getattr(event, "case_id", None)
    if case_id is not None:
        case = session.get(Case, case_id)
        if case is not None and case.workspace_id == event.workspace_id:
            data["case"] = {"id": case.id, "number": case.number, "status": case.status, "team_id": case.team_id,
                            "assignee_id": case.assignee_id,
                            "tags": [t.name for t in tags_of(session, case)]}  # the brand's own free tags
    if isinstance(event, EscalationChange):
        escalation = session.get(Escalation, event.escalation_id)
        if escalation is not None and escalation.workspace_id == event.workspace_id:
            data["escalation"] = {"id": escalation.id, "status": escalation.status,
                                  "due_at": _iso(escalation.due_at), "partner_outcome": escalation.partner_outcome,
                                  "outcome": escalation.outcome}
        partner = session.get(Partner, event.partner_id)
        if partner is not None and partner.workspace_id == event.workspace_id:
            data["partner"] = {"id": partner.id, "name": partner.name, "kind": partner.kind}
    elif isinstance(event, BusinessActionChange):
        data["action"] = {"id": event.action_id, "key": event.action_key}
        if isinstance(data.get("error"), str):
            data["error"] = data["error"][:ERROR_MAX]
    elif isinstance(event, SurveyChange):
        survey = session.get(Survey, event.survey_id)
        if survey is not None and survey.workspace_id == event.workspace_id:
            data["survey"] = {"id": survey.id, "cycle": survey.cycle, "state": survey.state, "scale": survey.scale,
                              "rating": survey.rating, "score": survey.score, "network": survey.network,
                              "channel_account_id": survey.channel_account_id, "language": survey.language,
                              "agent_id": survey.agent_id, "team_id": survey.team_id,
                              "skip_reason": survey.skip_reason, "has_comment": bool(survey.comment)}
    elif isinstance(event, SlaBreached):
        pass  # metric, cycle, breached_at and the case say it all
    elif isinstance(event, AlertRaised):
        alert = session.get(Alert, event.alert_id)
        if alert is not None and alert.workspace_id == event.workspace_id:
            data["alert"] = alert_data(alert)
    return data


#: what of an alert's measurements is published (never the sample messages: a receiver reads those through the API)
ALERT_FIELDS = ("scope", "label", "window", "window_minutes", "observed", "expected", "threshold", "basis",
                "scopes", "keywords", "followers", "verified", "promoted", "reshares", "network")


def alert_data(alert: Alert) -> dict[str, Any]:
    """An alert as a webhook carries it: what was measured and why, with no customer text."""
    return {"id": alert.id, "kind": alert.kind, "key": alert.key, "title": alert.title,
            "reasons": list(alert.reasons), "window_start": _iso(alert.window_start),
            "created_at": _iso(alert.created_at), "case_id": alert.case_id,
            "measured": {k: alert.data[k] for k in ALERT_FIELDS if k in alert.data}}


def body(payload: dict[str, Any]) -> bytes:
    """The exact bytes POSTed: the same for every attempt (keys sorted, no spaces, UTF-8), so that the signature
    and a receiver's de-duplication see one event."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
