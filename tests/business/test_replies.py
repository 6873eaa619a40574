"""What replies take from business actions: result variables in templates, and the promise permission."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from compris.business import actions
from compris.business.standin import StandIn
from compris.kit.errors import Invalid
from compris.models import Case, User
from compris.replies import rendering
from compris.replies.actions import create_template
from compris.replies.actions.sending import check_draft
from compris.replies.queries import render_for_case
from tests.business.helpers import flight, make_action
from tests.conftest import World
from tests.routing.helpers import inbound


@pytest.fixture
def standin() -> Iterator[StandIn]:
    server = StandIn("x", flight).start()
    yield server
    server.stop()


def test_both_spellings_of_an_action_variable() -> None:
    body = "Your new flight {action.flight}, seat {{action.seat}}, {first_name}."
    assert rendering.variables_of(body) == ["action.flight", "action.seat", "first_name"]
    text, missing = rendering.render(body, {"action.flight": "AF1234", "first_name": "Ana"})
    assert text == "Your new flight AF1234, seat {{action.seat}}, Ana." and missing == ["action.seat"]
    assert rendering.unfilled(text) == ["action.seat"]
    assert rendering.render("{{action.seat}}", {"action.seat": "14C"})[0] == "14C"


def test_a_reply_template_takes_the_latest_successful_runs_fields(world: World, standin: StandIn) -> None:
    _, standin.secret = make_action(world, standin.url())
    case_id = inbound(world.runtime, world.account.id, "Please rebook me")
    with world.runtime.db.transaction() as session:
        agent = session.get(User, world.agent.id)
        assert agent is not None
        template = create_template(session, actor=agent, name="Rebooked", bodies={
            "en": "Done: your new flight {{action.flight}} leaves {action.departure}, seat {action.seat}."})
        template_id = template.id
        case = session.get(Case, case_id)
        assert case is not None
        before = render_for_case(session, template, case, agent)
        assert before.missing == ["action.flight", "action.departure", "action.seat"]
        actions.request_run(session, world.runtime.publisher, actor=agent, case=case, key="rebook",
                            input={"record_locator": "K7XQ2M", "flight_date": "2026-12-24"})
    world.run_jobs()
    with world.runtime.db.transaction() as session:
        agent = session.get(User, world.agent.id)
        case = session.get(Case, case_id)
        from compris.models import ReplyTemplate
        template = session.get(ReplyTemplate, template_id)
        assert agent is not None and case is not None and template is not None
        after = render_for_case(session, template, case, agent)
    assert after.missing == []
    assert after.text == "Done: your new flight AF1234 leaves 2026-12-24 09:40, seat 14C."


def test_templates_accept_action_variables_but_not_unknown_ones(world: World) -> None:
    with world.runtime.db.transaction() as session:
        agent = session.get(User, world.agent.id)
        assert agent is not None
        create_template(session, actor=agent, name="Voucher", bodies={"en": "Code {action.code}"})
        with pytest.raises(Invalid, match="unknown variables"):
            create_template(session, actor=agent, name="Bad", bodies={"en": "Code {voucher.code}"})


def test_running_the_refund_action_lets_an_agent_promise_a_refund(world: World, standin: StandIn) -> None:
    case_id = inbound(world.runtime, world.account.id, "I want my money back")
    draft = "Hi, we will refund your ticket today."

    def promise_findings() -> list[str]:
        with world.runtime.db.transaction() as session:
            agent = session.get(User, world.agent.id)
            case = session.get(Case, case_id)
            assert agent is not None and case is not None
            checked = check_draft(session, case, agent, text=draft, visibility="public")
            return [f.rule for f in checked.findings if f.rule == "unauthorised_promise"]

    assert promise_findings() == ["unauthorised_promise"]  # agents may not promise refunds by default
    make_action(world, standin.url(), key="refund", roles=("admin",))
    assert promise_findings() == ["unauthorised_promise"]  # an action they may not run changes nothing
    make_action(world, standin.url(), key="voucher", roles=("agent",))
    assert promise_findings() == ["unauthorised_promise"]
    with world.runtime.db.transaction() as session:
        admin = session.get(User, world.admin.id)
        assert admin is not None
        refund = actions.action_by_key(session, world.workspace_id, "refund")
        actions.update_action(session, None, actor=admin, action_id=refund.id, allow_local=True,
                              roles=["agent", "admin"])
    assert promise_findings() == []


def test_the_reply_box_templates_are_rendered_with_the_result(world: World, standin: StandIn) -> None:
    from compris.replies.queries import render_many

    _, standin.secret = make_action(world, standin.url())
    case_id = inbound(world.runtime, world.account.id, "Please rebook me")
    with world.runtime.db.transaction() as session:
        agent = session.get(User, world.agent.id)
        case = session.get(Case, case_id)
        assert agent is not None and case is not None
        create_template(session, actor=agent, name="Rebooked", bodies={"en": "Flight {action.flight}"})
        create_template(session, actor=agent, name="Hello", bodies={"en": "Hello {first_name}"})
        actions.request_run(session, world.runtime.publisher, actor=agent, case=case, key="rebook",
                            input={"record_locator": "K7XQ2M", "flight_date": "2026-12-24"})
    world.run_jobs()
    with world.runtime.db.transaction() as session:
        from sqlalchemy import select

        from compris.models import ReplyTemplate

        agent = session.get(User, world.agent.id)
        case = session.get(Case, case_id)
        assert agent is not None and case is not None
        templates = list(session.scalars(select(ReplyTemplate).where(ReplyTemplate.workspace_id == world.workspace_id,
                                                                     ReplyTemplate.name.in_(["Rebooked", "Hello"]))
                                         .order_by(ReplyTemplate.name)))
        rendered = {r.template.name: r for r in render_many(session, templates, case, agent)}
    assert rendered["Rebooked"].text == "Flight AF1234" and rendered["Rebooked"].missing == []
    assert rendered["Hello"].text == "Hello Cust-1"
