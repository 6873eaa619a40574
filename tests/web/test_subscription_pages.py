"""The outgoing webhooks admin page: admins only, linked from the navigation; create (the secret shown once),
refusals shown on the page, edit, test event, rotate, redeliver, delete; escaped; another workspace's is 404;
French."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select

from compris.config import Settings
from compris.models import User, WebhookDelivery, WebhookSubscription
from compris.runtime import Runtime
from tests.conftest import World
from tests.subscriptions.receiver import Receiver, running
from tests.web.test_pages import Agent, make_client

SECRET_SHOWN = re.compile(r'id="new-secret">(whsec_[^<]+)<')


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"allow_local_http_endpoints": True})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from running()


@pytest.fixture
def admin(settings: Settings, runtime: Runtime, world: World) -> Agent:
    return Agent(make_client(settings, runtime), world.admin.email)


def all_subscriptions(world: World) -> list[WebhookSubscription]:
    with world.runtime.db.transaction() as s:
        return list(s.scalars(select(WebhookSubscription)))


def only_subscription(world: World) -> WebhookSubscription:
    with world.runtime.db.transaction() as s:
        return s.scalars(select(WebhookSubscription)).one()


def test_admins_only_and_linked_from_the_navigation(settings: Settings, runtime: Runtime, world: World,
                                                    admin: Agent) -> None:
    page = admin.get("/admin/webhooks")
    assert page.status_code == 200 and 'href="/settings" aria-current="page"' in page.text
    assert 'href="/admin/webhooks"' in admin.get("/settings").text  # listed in the settings hub
    assert "No subscription yet." in page.text and 'value="survey.answered"' in page.text
    agent = Agent(make_client(settings, runtime), world.agent.email)
    assert 'href="/admin/webhooks"' not in agent.get("/inbox").text
    assert agent.get("/admin/webhooks").status_code == 403
    assert agent.post("/admin/webhooks", {"url": "https://x.example", "event_types": "*"}).status_code == 403
    forged = admin.post("/admin/webhooks", {"url": "https://x.example", "event_types": "*"}, csrf=False)
    assert forged.status_code == 403 and all_subscriptions(world) == []


def test_create_edit_ping_rotate_redeliver_delete(world: World, admin: Agent, receiver: Receiver) -> None:
    # a refusal is shown on the page, with what was typed
    refused = admin.post("/admin/webhooks", {"url": "http://hooks.brand.example/x", "event_types": ["*"]})
    assert refused.status_code == 422 and "the URL must start with https://" in refused.text
    assert 'value="http://hooks.brand.example/x"' in refused.text
    # created: the secret is shown once
    created = admin.post("/admin/webhooks", {"url": receiver.url, "description": "<b>CRM</b>",
                                             "event_types": ["escalation.answered", "survey.answered"]})
    assert created.status_code == 201, created.text
    match = SECRET_SHOWN.search(created.text)
    assert match
    receiver.secret = match.group(1)
    row = only_subscription(world)
    assert row.event_types == ["escalation.answered", "survey.answered"]
    page = admin.get(f"/admin/webhooks/{row.id}")
    assert receiver.secret not in page.text and "••••" + receiver.secret[-4:] in page.text
    assert "&lt;b&gt;CRM&lt;/b&gt;" in page.text and "<b>CRM</b>" not in page.text
    listing = admin.get("/admin/webhooks").text
    assert receiver.url in listing and "escalation.answered, survey.answered" in listing
    # edited
    saved = admin.post(f"/admin/webhooks/{row.id}", {"url": receiver.url, "description": "CRM sync",
                                                     "event_types": ["*"], "is_active": "1"})
    assert saved.status_code == 303 and saved.headers["location"] == f"/admin/webhooks/{row.id}?done=saved"
    assert only_subscription(world).event_types == ["*"]
    bad = admin.post(f"/admin/webhooks/{row.id}", {"url": receiver.url, "event_types": [], "is_active": "1"})
    assert bad.status_code == 422 and "choose at least one event type" in bad.text
    assert only_subscription(world).event_types == ["*"]
    # a test event, answered 500 (tried once), then sent again
    receiver.answer(500, 200)
    assert admin.post(f"/admin/webhooks/{row.id}/ping").status_code == 303
    world.run_jobs()
    page = admin.get(f"/admin/webhooks/{row.id}?done=pinged").text
    assert "A test event is on its way" in page and "HTTP 500" in page
    with world.runtime.db.transaction() as s:
        delivery = s.scalars(select(WebhookDelivery)).one()
        assert delivery.state == "failed"
    assert f"/deliveries/{delivery.id}/redeliver" in page
    assert admin.post(f"/admin/webhooks/{row.id}/deliveries/{delivery.id}/redeliver").status_code == 303
    world.run_jobs()
    assert [r.status for r in receiver.received] == [500, 200] and all(r.verified for r in receiver.received)
    again = admin.post(f"/admin/webhooks/{row.id}/deliveries/{delivery.id}/redeliver")
    assert again.status_code == 409 and "only a failed delivery can be sent again" in again.text
    # rotated: the new secret shown once
    rotated = admin.post(f"/admin/webhooks/{row.id}/rotate")
    new = SECRET_SHOWN.search(rotated.text)
    assert rotated.status_code == 200 and new and new.group(1) != receiver.secret
    # deleted (twice: no error)
    assert admin.post(f"/admin/webhooks/{row.id}/delete").headers["location"] == "/admin/webhooks"
    assert admin.post(f"/admin/webhooks/{row.id}/delete").status_code == 303
    assert admin.get(f"/admin/webhooks/{row.id}").status_code == 404


def test_another_workspaces_subscription_is_not_found(settings: Settings, runtime: Runtime, world: World,
                                                      world_factory: Callable[[str], World], admin: Agent,
                                                      receiver: Receiver) -> None:
    assert admin.post("/admin/webhooks", {"url": receiver.url, "event_types": ["*"]}).status_code == 201
    row = only_subscription(world)
    other_world = world_factory("globex")
    other = Agent(make_client(settings, runtime), other_world.admin.email)
    assert other.get(f"/admin/webhooks/{row.id}").status_code == 404
    for action in ("", "/rotate", "/ping", "/deliveries/1/redeliver"):
        assert other.post(f"/admin/webhooks/{row.id}{action}", {"url": "https://x.example",
                                                                 "event_types": ["*"]}).status_code == 404
    other.post(f"/admin/webhooks/{row.id}/delete")
    assert only_subscription(world).url == receiver.url
    assert receiver.url not in other.get("/admin/webhooks").text


def test_in_french(world: World, admin: Agent) -> None:
    with world.runtime.db.transaction() as s:
        user = s.get(User, world.admin.id)
        assert user is not None
        user.language = "fr"
    page = admin.get("/admin/webhooks").text
    assert "Webhooks sortants" in page and "Le client a noté la prise en charge." in page
    refused = admin.post("/admin/webhooks", {"url": "ftp://x", "event_types": ["*"]})
    assert "l&#39;URL doit commencer par https://" in refused.text
