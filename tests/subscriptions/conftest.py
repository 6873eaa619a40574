"""Fixtures of the outgoing webhooks' tests: settings that accept a receiver on 127.0.0.1, the receiver, a case
(with a partner, an escalation and a survey rows to publish events about) and a subscription."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from compris.config import Settings
from compris.inbox.ingest import receive
from compris.models import Case, Escalation, Partner, Survey, User
from compris.subscriptions import actions
from tests.conftest import SECRET, World
from tests.inbox.test_ingest import _request
from tests.subscriptions.receiver import Receiver, running


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"allow_local_http_endpoints": True})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from running()


@dataclass(frozen=True)
class Story:
    """A customer's case with an escalation to a hotel and a survey, as the other capabilities will write them."""

    case_id: int
    number: int
    partner_id: int
    escalation_id: int
    survey_id: int


def make_story(world: World, author: str = "lea") -> Story:
    rt = world.runtime
    receive(rt.db, rt.publisher, SECRET, world.account.id,
            _request(world, world.payload("My booking at the hotel vanished", author=author)))
    world.run_jobs()
    with rt.db.transaction() as s:
        case = s.scalars(select(Case).where(Case.workspace_id == world.workspace_id)
                         .order_by(Case.id.desc())).first()
        assert case is not None
        partner = Partner(workspace_id=world.workspace_id, name=f"Hotel Lutetia {case.id}", emails=["desk@hotel.test"])
        s.add(partner)
        s.flush()
        escalation = Escalation(workspace_id=world.workspace_id, case_id=case.id, partner_id=partner.id,
                                brief="Secret brief with the customer's name", reply_token=f"tok-{case.id}")
        survey = Survey(workspace_id=world.workspace_id, case_id=case.id, network="sandbox", rating=5, score=100,
                        comment="Très bien, merci Léa")
        s.add_all([escalation, survey])
        s.flush()
        return Story(case.id, case.number, partner.id, escalation.id, survey.id)


@pytest.fixture
def story(world: World) -> Story:
    return make_story(world)


def subscribe(world: World, receiver: Receiver, event_types: list[str] | None = None) -> int:
    """A subscription to ``receiver``, whose secret the receiver then checks."""
    with world.runtime.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        row, secret = actions.create_subscription(s, world.runtime.publisher, actor=admin, secret_key=SECRET,
                                                  url=receiver.url, event_types=event_types or ["*"],
                                                  allow_local_http=True)
        receiver.secret = secret
        return row.id
