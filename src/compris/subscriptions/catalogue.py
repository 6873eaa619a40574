"""The public event types of outgoing webhooks: one stable dotted name per domain event class.

The names are a contract with the brands' systems: never rename one (add a new type instead). A subclass of the
published bases (:class:`~compris.events.EscalationChange`, :class:`~compris.events.BusinessActionChange`,
:class:`~compris.events.SurveyChange`) that is not listed here is not published (``tests/subscriptions`` fails
until it is). ``ping`` is not an event: it is what "send a test event" delivers, to that subscription only.
"""

from __future__ import annotations

from compris.events import (
    AlertRaised,
    BusinessActionChange,
    BusinessActionFailed,
    BusinessActionRequested,
    BusinessActionSucceeded,
    DomainEvent,
    EscalationAnswered,
    EscalationChange,
    EscalationClosed,
    EscalationCreated,
    EscalationFollowedUp,
    EscalationOpened,
    EscalationOverdue,
    EscalationReminded,
    EscalationReopened,
    SlaBreached,
    SurveyAnswered,
    SurveyChange,
    SurveyCommented,
    SurveySent,
    SurveySkipped,
)

ALL = "*"
PING = "ping"

#: the domain event classes published, and their public name
NAMES: dict[type[DomainEvent], str] = {
    EscalationCreated: "escalation.created",
    EscalationOpened: "escalation.opened",
    EscalationAnswered: "escalation.answered",
    EscalationFollowedUp: "escalation.followed_up",
    EscalationReminded: "escalation.reminded",
    EscalationOverdue: "escalation.overdue",
    EscalationClosed: "escalation.closed",
    EscalationReopened: "escalation.reopened",
    BusinessActionRequested: "business_action.requested",
    BusinessActionSucceeded: "business_action.succeeded",
    BusinessActionFailed: "business_action.failed",
    SurveySent: "survey.sent",
    SurveySkipped: "survey.skipped",
    SurveyAnswered: "survey.answered",
    SurveyCommented: "survey.commented",
    SlaBreached: "sla.breached",
    AlertRaised: "alert.raised",
}

#: the bases whose subclasses are published (what the listener listens to)
PUBLISHED_BASES: tuple[type[DomainEvent], ...] = (EscalationChange, BusinessActionChange, SurveyChange, SlaBreached,
                                                  AlertRaised)

#: what each type means (the admin page and the API's catalogue show it; docs/webhooks.md gives the payloads)
DESCRIPTIONS: dict[str, str] = {
    "escalation.created": "An agent escalated a case to a partner or an internal team.",
    "escalation.opened": "The partner opened the portal link (first time per link).",
    "escalation.answered": "The partner answered (an answer, done on their side, or they need more information).",
    "escalation.followed_up": "The agent wrote to the partner again on an open escalation.",
    "escalation.reminded": "A reminder e-mail went to the partner.",
    "escalation.overdue": "The escalation passed its due time without an answer.",
    "escalation.closed": "The escalation ended (resolved or cancelled).",
    "escalation.reopened": "A closed escalation was reopened.",
    "business_action.requested": "An agent ran a business action; the call is queued.",
    "business_action.succeeded": "The brand's system accepted the business action.",
    "business_action.failed": "The business action failed for good.",
    "survey.sent": "A satisfaction survey went to the customer.",
    "survey.skipped": "A resolution did not get a survey, and why.",
    "survey.answered": "The customer rated the care they got.",
    "survey.commented": "The customer added a comment to their rating.",
    "sla.breached": "A case missed an SLA deadline (first response, next response or resolution).",
    "alert.raised": "Listening raised an alert for the supervisors: a volume spike or a high-reach complaint.",
}

TYPES: tuple[str, ...] = tuple(NAMES.values())


def name_of(event: DomainEvent) -> str | None:
    """The public name of ``event``'s type, or None when it is not published."""
    return NAMES.get(type(event))


def wants(event_types: list[str] | list[object], name: str) -> bool:
    """Whether a subscription to ``event_types`` receives events of type ``name``."""
    return ALL in event_types or name in event_types
