"""Each agent's read marks (issue 18, defect 9): opening a case marks it read for that agent only; a customer
message makes it unread again for everyone who had read it; an agent may mark it unread for themselves."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from compris import bus
from compris.events import CaseMarkedUnread, CaseRead
from compris.kit.clock import now
from compris.live import Publisher, publish_case
from compris.models import Case, ReadMark, User


def _mark(session: Session, user: User, case: Case) -> ReadMark | None:
    return session.scalar(select(ReadMark).where(ReadMark.user_id == user.id, ReadMark.case_id == case.id))


def is_unread(session: Session, user: User, case: Case) -> bool:
    """Whether ``case`` is unread for ``user`` (their mark; without one, the case's own flag)."""
    mark = _mark(session, user, case)
    return mark.unread if mark is not None else bool(case.unread)


def mark_read(session: Session, publisher: Publisher, *, actor: User, case: Case) -> bool:
    """``actor`` opened the case: it is read for them (only). Returns whether it was unread for them; only then is
    anything written (``CaseRead`` and a live update of their inbox)."""
    mark = _mark(session, actor, case)
    if mark is not None and not mark.unread:
        return False
    was_unread = mark.unread if mark is not None else bool(case.unread)
    if mark is None:
        session.add(ReadMark(workspace_id=case.workspace_id, user_id=actor.id, case_id=case.id, read_at=now(),
                             unread=False))
    else:
        mark.read_at, mark.unread = now(), False
    session.flush()
    if was_unread:
        bus.emit(session, publisher, CaseRead(workspace_id=case.workspace_id, actor_user_id=actor.id,
                                              case_id=case.id))
        publish_case(session, publisher, case, "read")
    return was_unread


def mark_unread(session: Session, publisher: Publisher, *, actor: User, case: Case) -> bool:
    """``actor`` marks the case unread for themselves. Returns whether it changed."""
    mark = _mark(session, actor, case)
    if mark is None:
        if case.unread:
            return False
        session.add(ReadMark(workspace_id=case.workspace_id, user_id=actor.id, case_id=case.id, unread=True))
    elif mark.unread:
        return False
    else:
        mark.unread = True
    session.flush()
    bus.emit(session, publisher, CaseMarkedUnread(workspace_id=case.workspace_id, actor_user_id=actor.id,
                                                  case_id=case.id))
    publish_case(session, publisher, case, "read")
    return True


def customer_wrote(session: Session, case_id: int) -> None:
    """A customer message arrived on the case: unread again for every agent who had read it (the agents without
    a mark read the case's own flag, which the inbound path sets)."""
    session.execute(update(ReadMark).where(ReadMark.case_id == case_id, ReadMark.unread.is_(False))
                    .values(unread=True).execution_options(synchronize_session="fetch"))
