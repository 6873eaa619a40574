"""The demo has answered surveys (through the real path), so the results are not empty."""

from __future__ import annotations

from sqlalchemy import select

from compris.config import Settings
from compris.demo import ensure_demo
from compris.models import Case, CaseStatus, Message, Survey, SurveySettings, SurveyState
from compris.runtime import Runtime


def test_the_demo_has_answered_surveys_of_several_agents_and_ratings(settings: Settings, runtime: Runtime) -> None:
    ensure_demo(settings)
    with runtime.db.transaction() as s:
        assert s.scalars(select(SurveySettings)).one().enabled is True
        # the stories' surveys, answered through the real path (the weeks of history behind the reports are written
        # as the actions leave them, without the customers' messages)
        history = select(Message.case_id).where(Message.platform_message_id.like("demo-hist-%"))
        answered = s.scalars(select(Survey).where(Survey.state == SurveyState.ANSWERED,
                                                  Survey.case_id.not_in(history))).all()
        assert len(answered) >= 5
        assert {a.rating for a in answered} >= {1, 2, 3, 4, 5}
        assert len({a.agent_id for a in answered}) >= 2 and all(a.network for a in answered)
        assert len({a.channel_account_id for a in answered}) >= 2
        assert sum(1 for a in answered if a.comment) >= 2
        assert all(a.answered_via == "text" and a.message_id for a in answered)
        cases = s.scalars(select(Case).where(Case.id.in_([a.case_id for a in answered]))).all()
        assert all(c.status == CaseStatus.RESOLVED for c in cases)  # the answers reopened nothing
        # and one customer has not answered yet (the response rate is not a perfect 100 %)
        assert s.scalars(select(Survey).where(Survey.state == SurveyState.SENT, Survey.case_id.not_in(history))).all()
