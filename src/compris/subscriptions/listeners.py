"""Reactions to other capabilities' domain events (``@listens``), declared in the ``compris.listeners`` entry point.

One listener publishes every public event (:mod:`compris.subscriptions.catalogue`) to the workspace's active
subscriptions that want it: a :class:`~compris.models.WebhookDelivery` and its job each, written in the event's own
transaction. A write that rolls back leaves no delivery; a committed one always has its delivery, and the job sends
it after the commit.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from compris.bus import listens
from compris.events import AlertRaised, BusinessActionChange, DomainEvent, EscalationChange, SlaBreached, SurveyChange
from compris.live import Publisher
from compris.subscriptions import actions, catalogue, payloads, queries

#: after every other listener (they may change what the payload's facts say)
ORDER = 900


@listens(EscalationChange, BusinessActionChange, SurveyChange, SlaBreached, AlertRaised, order=ORDER)
def publish_webhooks(session: Session, publisher: Publisher, event: DomainEvent) -> None:
    name = catalogue.name_of(event)
    if name is None:
        return
    targets = [s for s in queries.active_subscriptions(session, event.workspace_id)
               if catalogue.wants(list(s.event_types), name)]
    if not targets:
        return
    event_id = str(uuid.uuid4())
    payload = payloads.envelope(session, event, name, event_id)
    for subscription in targets:
        actions.queue_delivery(session, publisher, subscription, event_id=event_id, event_type=name, payload=payload)
