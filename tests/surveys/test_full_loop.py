"""The full loop over real HTTP with the sandbox network: a customer writes there, an agent answers, the case is
resolved, the send job runs, the survey arrives in the sandbox, the customer answers there, the rating shows on
the case (timeline and survey line)."""

from __future__ import annotations

import html
import re
import time

from sqlalchemy import select

from compris.inbox import actions as inbox
from compris.models import Case, CaseEvent, CaseStatus, Message, Survey, SurveyState, User
from compris.surveys import actions as surveys
from tests.sandbox_network.test_round_trip import Live


def _delivered(live: Live, delivery_id: int) -> None:
    deadline = time.monotonic() + 10
    while live.http.get(f"{live.network}/api/deliveries/{delivery_id}").json()["state"] != "delivered":
        assert time.monotonic() < deadline, "the webhook was not delivered"
        time.sleep(0.05)


def _case(live: Live, platform_message_id: str) -> Case:
    with live.runtime.db.transaction() as session:
        message = session.scalar(select(Message).where(Message.platform_message_id == platform_message_id))
        assert message is not None
        case = session.get(Case, message.case_id)
        assert case is not None
        session.expunge(case)
        return case


def test_resolve_survey_arrives_in_the_sandbox_the_customer_answers_there_the_rating_shows(live: Live) -> None:
    with live.runtime.db.transaction() as session:
        agent = session.get(User, live.agent.id)
        assert agent is not None
        surveys.save_settings(session, live.runtime.publisher, actor=agent, channel_account_id=None,
                              values={"enabled": True, "delay_minutes": 0, "ask_comment": True})
    # the customer writes privately on the network; an agent answers; the case is resolved
    posted = live.simulate(kind="dm", text="My booking K7QZ4P was cancelled, can you rebook me?")
    _delivered(live, 1)
    live.run_jobs()
    case = _case(live, posted["id"])
    live.reply(case.id, "Done: you are on AC 0817 tomorrow.", "private")
    live.run_jobs()
    with live.runtime.db.transaction() as session:
        agent = session.get(User, live.agent.id)
        row = session.get(Case, case.id)
        assert agent is not None and row is not None
        inbox.set_status(session, live.runtime.publisher, actor=agent, case=row, status=CaseStatus.RESOLVED)
    live.run_jobs()  # the send job, then the outbound message
    # the survey arrived in the customer's private conversation on the network, with its link
    brand = [m for m in live.thread("dm-cust-7") if m["from"] == "brand"]
    assert len(brand) == 2 and "1 (not at all) to 5" in brand[-1]["text"] and f"{live.base}/s/" in brand[-1]["text"]
    # the customer answers there
    live.simulate(kind="dm", text="5")
    _delivered(live, 2)
    live.run_jobs()
    with live.runtime.db.transaction() as session:
        survey = session.scalars(select(Survey)).one()
        assert (survey.state, survey.rating, survey.answered_via) == (SurveyState.ANSWERED, 5, "text")
        row = session.get(Case, case.id)
        assert row is not None and row.status == CaseStatus.RESOLVED  # the answer did not reopen it
        kinds = [e.kind for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))]
        assert {"survey_sent", "survey_answered"} <= set(kinds)
    # the comment question went out there too, and the comment comes back
    assert "tell us more" in [m for m in live.thread("dm-cust-7") if m["from"] == "brand"][-1]["text"]
    live.simulate(kind="dm", text="Very quick, thanks!")
    _delivered(live, 3)
    live.run_jobs()
    # the case page shows it: sign in as the agent and read the survey line
    login = live.http.get(f"{live.base}/login")
    found = re.search(r'name="csrf-token" content="([^"]+)"', login.text)
    assert found is not None
    token = html.unescape(found.group(1))
    live.http.post(f"{live.base}/login", data={"email": "agent@air.test", "password": "correct horse battery",
                                                "csrf_token": token, "next": "/inbox"})
    page = live.http.get(f"{live.base}/cases/{case.number}")
    assert page.status_code == 200
    assert "★★★★★" in page.text and "Very quick, thanks!" in page.text
