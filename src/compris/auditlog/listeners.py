"""Reactions of the audit log to domain events: every audited event (:func:`compris.auditlog.actions.audited`)
becomes one :class:`~compris.models.AuditEntry`, in the event's transaction, after every other listener ran (a
write rolled back leaves no entry). Importing this module installs the hook that notes settings' values before
they change (:mod:`compris.auditlog.changes`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from compris.auditlog import actions, changes
from compris.bus import listens
from compris.events import DomainEvent
from compris.live import Publisher

changes.install()

#: late: the entry is written once the event's other listeners have done their part
ORDER = 2000


@listens(DomainEvent, order=ORDER)
def record_entry(session: Session, publisher: Publisher, event: DomainEvent) -> None:
    if not isinstance(session, Session):  # an event emitted outside any transaction (the bus's own tests)
        return
    actions.record(session, event)
