"""Every write of surveys: recording an answer and a comment (once per survey).

(The surveys capability's scheduling, sending and settings writes are added here as well.)
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from compris import bus, timeline
from compris.events import SurveyAnswered, SurveyCommented
from compris.kit.clock import now
from compris.kit.errors import Invalid
from compris.live import Publisher, publish_case
from compris.models import Case, Survey, SurveyState
from compris.surveys import parsing

ANSWER_VIAS = ("button", "text", "link", "email")


def record_answer(session: Session, publisher: Publisher, survey: Survey, *, rating: int, via: str,
                  message_id: int | None = None) -> bool:
    """Record the customer's rating; True when it was recorded now, False when the survey already had one (a
    button pressed twice, a link opened twice: the first answer stands). Safe against two answers at once: the
    row is updated only while it has no rating."""
    if via not in ANSWER_VIAS:
        raise Invalid(f"unknown answer channel {via!r}")
    if not 1 <= rating <= parsing.points(survey.scale):
        raise Invalid("the rating is outside the survey's scale")
    if survey.state not in (SurveyState.SENT, SurveyState.ANSWERED):
        raise Invalid("this survey is not waiting for an answer")
    at = now()
    score = parsing.score(rating, survey.scale)
    done = cast(CursorResult[tuple[()]], session.execute(
        update(Survey)
        .where(Survey.id == survey.id, Survey.rating.is_(None))
        .values(rating=rating, score=score, answered_at=at, answered_via=via, state=SurveyState.ANSWERED)
        .execution_options(synchronize_session=False)
    )).rowcount
    if not done:
        return False
    session.refresh(survey)
    case = session.get(Case, survey.case_id)
    assert case is not None
    timeline.survey_answered(session, case, survey_id=survey.id, rating=rating, via=via, score=score,
                             scale=survey.scale, message_id=message_id)
    bus.emit(session, publisher, SurveyAnswered(workspace_id=survey.workspace_id, case_id=case.id,
                                                survey_id=survey.id, rating=rating, score=score, via=via,
                                                agent_id=survey.agent_id, team_id=survey.team_id))
    publish_case(session, publisher, case, "survey", survey_id=survey.id)
    return True


def record_comment(session: Session, publisher: Publisher, survey: Survey, *, text: str,
                   message_id: int | None = None) -> bool:
    """Record the customer's comment on their rating (once; a later one is an ordinary message)."""
    text = (text or "").strip()
    if not text:
        raise Invalid("the comment is empty")
    if survey.rating is None:
        raise Invalid("rate first, then comment")
    done = cast(CursorResult[tuple[()]], session.execute(
        update(Survey).where(Survey.id == survey.id, Survey.comment.is_(None))
        .values(comment=text[:4000], comment_message_id=message_id, commented_at=now())
        .execution_options(synchronize_session=False)
    )).rowcount
    if not done:
        return False
    session.refresh(survey)
    case = session.get(Case, survey.case_id)
    assert case is not None
    timeline.survey_commented(session, case, survey_id=survey.id, message_id=message_id)
    bus.emit(session, publisher, SurveyCommented(workspace_id=survey.workspace_id, case_id=case.id,
                                                 survey_id=survey.id, message_id=message_id))
    publish_case(session, publisher, case, "survey", survey_id=survey.id)
    return True


def open_survey(session: Session, workspace_id: int, survey_id: int) -> Survey | None:
    """The survey ``survey_id`` of this workspace, or None."""
    return session.scalar(select(Survey).where(Survey.workspace_id == workspace_id, Survey.id == survey_id))
