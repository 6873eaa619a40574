from __future__ import annotations

from sqlalchemy import select, update

from compris.config import Settings
from compris.models import Message, TriageCorrection, User
from compris.runtime import Runtime
from tests.conftest import World
from tests.web.test_pages import Agent, customer_writes, make_client


def test_triage_badges_and_reasons_show_in_the_inbox_and_on_the_case(
    settings: Settings, runtime: Runtime, world: World
) -> None:
    with make_client(settings, runtime) as client:
        customer_writes(client, world, "My bag was lost on AF123 and nobody answers. Disgraceful!", author="zoe")
        agent = Agent(client, world.agent.email)
        inbox = agent.get("/inbox?sort=priority").text
        assert "Complaint" in inbox and "Negative" in inbox
        case = agent.get("/cases/1").text
        assert 'class="triage"' in case
        assert "Baggage" in case
        assert "complaint · negative" in case  # the priority's reasons in plain words


def test_an_agent_corrects_a_label_from_the_case(settings: Settings, runtime: Runtime, world: World) -> None:
    with make_client(settings, runtime) as client:
        customer_writes(client, world, "Is the lounge open at terminal 2?", author="ana")
        agent = Agent(client, world.agent.email)
        with runtime.db.transaction() as s:
            message_id = s.scalars(select(Message.id)).one()
        response = agent.post(
            f"/cases/1/messages/{message_id}/triage", {"field": "intent", "label": "request"}, htmx=True
        )
        assert response.status_code == 200
        assert "corrected by the team" in response.text
        bad = agent.post(f"/cases/1/messages/{message_id}/triage", {"field": "intent", "label": "nonsense"}, htmx=True)
        assert bad.status_code == 422
        with runtime.db.transaction() as s:
            assert [c.label for c in s.scalars(select(TriageCorrection))] == ["request"]


def test_another_workspace_cannot_correct_a_message(
    settings: Settings, runtime: Runtime, world_factory: object
) -> None:
    make = world_factory  # type: ignore[assignment]
    ours, theirs = make("ours"), make("theirs")  # type: ignore[operator]
    with make_client(settings, runtime) as client:
        customer_writes(client, ours, "Bonjour", author="lou")
        with runtime.db.transaction() as s:
            message_id = s.scalars(select(Message.id)).one()
        intruder = Agent(client, theirs.agent.email)
        response = intruder.post(f"/cases/1/messages/{message_id}/triage", {"field": "intent", "label": "spam"})
        assert response.status_code == 404
        with runtime.db.transaction() as s:
            assert s.scalars(select(TriageCorrection)).all() == []


def test_a_reviews_stars_show_in_the_inbox_and_on_the_case(settings: Settings, runtime: Runtime,
                                                            world: World) -> None:
    with make_client(settings, runtime) as client:
        customer_writes(client, world, "Décevant. <script>alert(1)</script>", author="rev", rating=2)
        agent = Agent(client, world.agent.email)
        inbox = agent.get("/inbox").text
        assert 'aria-label="2 out of 5 stars"' in inbox and "★★☆☆☆" in inbox.replace(
            '<span class="stars-off">', "").replace("</span></span>", "")
        case = agent.get("/cases/1").text
        # once in the case pane (the list beside it shows the row's stars too: issue 18's desk)
        assert case.split('id="desk-case"')[1].count('aria-label="2 out of 5 stars"') == 1
        assert "<script>alert(1)</script>" not in case  # the review's text stays escaped
        with runtime.db.transaction() as s:
            s.execute(update(User).values(language="fr"))
        assert "2 étoiles sur 5" in agent.get("/cases/1").text
