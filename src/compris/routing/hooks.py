"""What routing and the SLA do after an inbox write. ``inbox.actions`` calls these explicitly (no ORM
callbacks), inside the same transaction, after the write itself."""

from __future__ import annotations

from sqlalchemy.orm import Session

from compris.live import Publisher
from compris.models import Case, CaseStatus, ChannelAccount, Message
from compris.routing import service as routing
from compris.sla import service as sla
from compris.sla import wait


def after_inbound(session: Session, publisher: Publisher, case: Case, message: Message, account: ChannelAccount,
                  how: str) -> None:
    """A customer message: team and agent, expected wait (and acknowledgement) on (re)opening, SLA clocks."""
    routing.route_case(session, publisher, case, account, message.text or "")
    if how in ("opened", "reopened"):
        wait.on_case_opened(session, publisher, case, message, account)
    sla.apply(session, publisher, case)


def after_reply(session: Session, publisher: Publisher, case: Case) -> None:
    wait.on_first_reply(session, case)
    sla.apply(session, publisher, case)


def after_status(session: Session, publisher: Publisher, case: Case) -> None:
    sla.apply(session, publisher, case)
    if case.status not in (CaseStatus.NEW, CaseStatus.OPEN):  # the agent has room again
        routing.assign_waiting(session, publisher, case.workspace_id)
    elif case.assignee_id is None:
        routing.assign_next(session, publisher, case)
