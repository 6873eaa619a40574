"""The by-hand flow through the web: the case page's "I posted it" / "Not posted" (CSRF, wrong state, another
workspace) and the API's ``POST /api/v1/messages/{id}/posted-by-hand`` and ``/not-posted``."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from compris.config import Settings
from compris.runtime import Runtime
from compris.web import i18n
from compris.web.app import create_app
from tests.conftest import World
from tests.web.api.helpers import auth, token
from tests.web.test_pages import Agent

from ..roundtrip import RoundTrip
from ..standin import StandIn
from .helpers import LOW, case_of, connect, poll


@pytest.fixture
def trip(settings: Settings, runtime: Runtime, world: World, api: StandIn) -> RoundTrip:
    trip = connect(settings, runtime, world, api)
    poll(trip)
    return trip


def _paths(number: int, message_id: int) -> tuple[str, str]:
    base = f"/cases/{number}/messages/{message_id}"
    return f"{base}/posted-by-hand", f"{base}/not-posted"


def test_i_posted_it_on_the_case_page(trip: RoundTrip, world: World) -> None:
    reply_id = trip.reply(LOW, "Thank you for your review.", "public")
    number = case_of(trip, trip.message(reply_id)).number
    posted, not_posted = _paths(number, reply_id)
    agent = Agent(trip.client, world.agent.email)
    page = agent.get(f"/cases/{number}").text
    assert 'class="manual-send"' in page and ">Copy<" in page and "I posted it" in page and "Not posted" in page
    # no CSRF token: refused, nothing changes
    assert agent.post(posted, csrf=False).status_code == 403
    assert trip.message(reply_id).delivery_state == "manual"
    response = agent.post(posted, htmx=True)
    assert response.status_code == 200 and "Posted by hand on Tripadvisor" in response.text
    assert trip.message(reply_id).delivery_state == "sent"
    assert agent.post(posted, htmx=True).status_code == 200  # twice: nothing more
    # wrong state: a reply already posted cannot be "not posted"
    refused = agent.post(not_posted, htmx=True)
    assert refused.status_code == 422 and "waiting to be posted by hand" in refused.text
    assert trip.message(reply_id).delivery_state == "sent"
    # a customer's message is no reply to post by hand
    inbound = trip.inbound(LOW)
    assert agent.post(_paths(number, inbound.id)[0], htmx=True).status_code == 422


def test_not_posted_then_retry_on_the_case_page(trip: RoundTrip, world: World) -> None:
    reply_id = trip.reply(LOW, "Thank you for your review.", "public")
    number = case_of(trip, trip.message(reply_id)).number
    agent = Agent(trip.client, world.agent.email)
    response = agent.post(_paths(number, reply_id)[1])  # without JavaScript: back to the case
    assert response.status_code == 303 and response.headers["location"] == f"/cases/{number}"
    assert trip.message(reply_id).delivery_state == "failed"
    page = agent.get(f"/cases/{number}").text
    assert "Not posted on Tripadvisor" in page and f"/messages/{reply_id}/retry" in page
    agent.post(f"/cases/{number}/messages/{reply_id}/retry", htmx=True)
    assert trip.message(reply_id).delivery_state == "manual"


def test_another_workspace_or_case_gets_404(trip: RoundTrip, world: World, settings: Settings, runtime: Runtime,
                                            world_factory: Callable[[str], World]) -> None:
    reply_id = trip.reply(LOW, "Thank you for your review.", "public")
    number = case_of(trip, trip.message(reply_id)).number
    other = world_factory("globex")
    intruder = Agent(TestClient(create_app(settings, runtime, workers=0), follow_redirects=False), other.agent.email)
    for path in _paths(number, reply_id):
        for htmx in (False, True):
            assert intruder.post(path, htmx=htmx).status_code == 404
    # the same workspace, another case: 404 too
    agent = Agent(trip.client, world.agent.email)
    other_case = case_of(trip, trip.inbound("987650001")).number
    assert other_case != number
    assert agent.post(_paths(other_case, reply_id)[0], htmx=True).status_code == 404
    assert trip.message(reply_id).delivery_state == "manual"


def test_the_api(trip: RoundTrip, world: World, world_factory: Callable[[str], World]) -> None:
    reply_id = trip.reply(LOW, "Thank you for your review.", "public")
    headers = auth(token(world, world.agent))
    client = trip.client
    read = client.get(f"/api/v1/messages/{reply_id}", headers=headers).json()
    assert read["delivery"]["state"] == "manual"
    assert read["delivery"]["manual_send_url"] == trip.inbound(LOW).permalink
    other = world_factory("globex")
    intruder = auth(token(other, other.agent))
    assert client.post(f"/api/v1/messages/{reply_id}/posted-by-hand", headers=intruder).status_code == 404
    assert client.post(f"/api/v1/messages/{reply_id}/not-posted", headers=intruder).status_code == 404
    assert client.post(f"/api/v1/messages/{reply_id}/posted-by-hand").status_code == 401
    done = client.post(f"/api/v1/messages/{reply_id}/posted-by-hand", headers=headers)
    assert done.status_code == 200 and done.json()["delivery"]["state"] == "sent"
    assert client.post(f"/api/v1/messages/{reply_id}/posted-by-hand", headers=headers).status_code == 200
    conflict = client.post(f"/api/v1/messages/{reply_id}/not-posted", headers=headers)
    assert conflict.status_code == 409
    inbound = trip.inbound(LOW)
    assert client.post(f"/api/v1/messages/{inbound.id}/posted-by-hand", headers=headers).status_code == 422


def test_the_api_not_posted(trip: RoundTrip, world: World) -> None:
    reply_id = trip.reply(LOW, "Thank you for your review.", "public")
    headers = auth(token(world, world.agent))
    response = trip.client.post(f"/api/v1/messages/{reply_id}/not-posted", headers=headers)
    assert response.status_code == 200 and response.json()["delivery"]["state"] == "failed"
    assert trip.client.post(f"/api/v1/messages/{reply_id}/posted-by-hand", headers=headers).status_code == 409


@pytest.mark.parametrize("msgid", [
    "%(network)s has no API for management responses: copy this response, post it on %(network)s, then confirm "
    "here.",
    "I posted it", "Not posted", "Copied", "Open on %(network)s", "Posted by hand on %(network)s",
    "only a reply waiting to be posted by hand can be confirmed", "Content API key", "Tripadvisor location id",
])
def test_french(msgid: str) -> None:
    assert i18n.translations("fr").gettext(msgid) != msgid
