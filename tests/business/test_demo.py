"""The demo's airline "rebook" action: wired to the stand-in this process starts, run once on a demo case."""

from __future__ import annotations

from sqlalchemy import select

from compris.business.standin import StandIn, demo_server
from compris.config import Settings
from compris.demo import BUSINESS_STORY_MESSAGE, ensure_demo
from compris.models import BusinessAction, BusinessActionRun, Case, Message, ReplyTemplate, RunState, User
from compris.replies.queries import render_for_case
from compris.runtime import Runtime


def test_the_demo_has_a_rebook_action_with_one_successful_run(settings: Settings, runtime: Runtime) -> None:
    ensure_demo(settings)
    with runtime.db.transaction() as session:
        action = session.scalars(select(BusinessAction).where(BusinessAction.key == "rebook")).one()
        assert action.endpoint_url.startswith("http://127.0.0.1:")
        [run] = session.scalars(select(BusinessActionRun)).all()
        assert run.state == RunState.SUCCEEDED, run.error
        assert run.result["flight"].startswith("AF") and run.result["seat"]
        message = session.scalars(select(Message).where(Message.platform_message_id == BUSINESS_STORY_MESSAGE)).one()
        assert run.case_id == message.case_id
        case = session.get(Case, run.case_id)
        template = session.scalars(select(ReplyTemplate).where(ReplyTemplate.name == "Rebooked")).one()
        agent = session.get(User, run.requested_by_id)
        assert case is not None and agent is not None
        rendered = render_for_case(session, template, case, agent)
        assert rendered.missing == [] and run.result["flight"] in rendered.text
    # a second start (the demo already loaded) serves the stand-in again, at the action's endpoint
    server = demo_server()
    assert isinstance(server, StandIn) and server.effects >= 1
    ensure_demo(settings)
    assert demo_server() is server
    with runtime.db.transaction() as session:
        action = session.scalars(select(BusinessAction).where(BusinessAction.key == "rebook")).one()
        assert action.endpoint_url == server.url("/rebook")
