"""VK through Compris: the Callback API confirmation, a community message in Russian (redelivered, named with
``users.get``, triaged) → case → agent reply → one ``messages.send`` → VK's ``message_reply`` echo recorded
once; a wall comment in English → a public ``wall.createComment``; a wrong secret stores nothing."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import func, select

from compris.config import Settings
from compris.connectors import fixture
from compris.connectors.vk.api import random_id
from compris.models import Message, RawEvent
from compris.runtime import Runtime
from tests.conftest import World

from ..roundtrip import RoundTrip
from ..standin import Reply, StandIn
from .test_vk import GROUP, SECRET

SECRETS = {"access_token": "vk1.a.community", "secret_key": SECRET, "confirmation_code": "1a2b3c4d"}


def _trip(settings: Settings, runtime: Runtime, world: World, api: StandIn) -> RoundTrip:
    return RoundTrip(settings, runtime, world, network="vk", external_id=GROUP, secrets=SECRETS,
                     account_settings={"api_base": api.base_url})


def _fresh(name: str, **message: Any) -> bytes:
    """A recorded event, dated two minutes ago."""
    data = fixture("vk", name)
    target = data["object"].get("message", data["object"])
    target["date"] = int(time.time()) - 120
    target.update(message)
    return json.dumps(data, ensure_ascii=False).encode()


def _form(request: Any) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(request.body.decode()))


def _raw_events(runtime: Runtime) -> int:
    with runtime.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(RawEvent)) or 0)


def test_confirmation_then_a_russian_message_answered_privately(
    settings: Settings, runtime: Runtime, world: World, api: StandIn
) -> None:
    trip = _trip(settings, runtime, world, api)
    confirm = trip.client.post(f"/webhooks/{trip.account_id}", content=json.dumps(fixture("vk", "confirmation.json")),
                               headers={"content-type": "application/json"})
    assert confirm.status_code == 200 and confirm.text == "1a2b3c4d"
    assert confirm.headers["content-type"].startswith("text/plain")
    assert _raw_events(runtime) == 0

    api.on("POST", "/method/users.get", Reply(200, fixture("vk", "users_get_200.json")))
    api.on("POST", "/method/messages.send", Reply(200, fixture("vk", "messages_send_200.json")))
    body = _fresh("message_new_ru.json")
    answer = trip.client.post(f"/webhooks/{trip.account_id}", content=body,
                              headers={"content-type": "application/json"})
    assert answer.status_code == 200 and answer.text == "ok"
    trip.world.run_jobs()
    trip.deliver(body, {"x-retry-counter": "1"})  # VK retried: answered ok, stored once
    assert _raw_events(runtime) == 1

    inbound = trip.inbound("4012")
    assert "не доставлен" in inbound.text
    assert inbound.language == "ru"
    assert inbound.triage["sentiment"] == "negative" and int(inbound.triage["priority"]) >= 2
    with runtime.db.transaction() as session:
        stored = session.get(Message, inbound.id)
        assert stored is not None and stored.author_identity_id is not None
        from compris.models import Identity

        identity = session.get(Identity, stored.author_identity_id)
        assert identity is not None and identity.name == "Ольга Смирнова" and identity.handle == "olga.smirnova"

    reply_id = trip.reply("4012", "Здравствуйте, Ольга! Проверяем ваш заказ № 48213.", "private")
    sends = [r for r in api.requests if r.path == "/method/messages.send"]
    assert len(sends) == 1
    form = _form(sends[0])
    assert form["peer_id"] == "512345678" and form["reply_to"] == "4012" and form["v"] == "5.199"
    assert form["message"] == "Здравствуйте, Ольга! Проверяем ваш заказ № 48213."
    outbox_key = form["random_id"]
    sent = trip.message(reply_id)
    assert sent.delivery_state == "sent" and sent.platform_message_id == "4017"
    assert outbox_key == str(random_id(_outbox_key(runtime, reply_id)))

    echo = fixture("vk", "message_reply.json")
    echo["object"].update(id=4017, text=form["message"], date=int(time.time()))
    trip.deliver(json.dumps(echo, ensure_ascii=False).encode(), {})
    with runtime.db.transaction() as session:
        copies = session.scalar(select(func.count()).select_from(Message).where(Message.platform_message_id == "4017"))
    assert copies == 1  # our own echo is not a second message


def _outbox_key(runtime: Runtime, message_id: int) -> str:
    from compris.models import Outbox

    with runtime.db.transaction() as session:
        outbox = session.scalar(select(Outbox).where(Outbox.message_id == message_id))
        assert outbox is not None
        return str(outbox.idempotency_key)


def test_an_english_wall_comment_answered_publicly(
    settings: Settings, runtime: Runtime, world: World, api: StandIn
) -> None:
    trip = _trip(settings, runtime, world, api)
    api.on("POST", "/method/users.get", Reply(200, {"response": [
        {"id": 734567890, "first_name": "Sam", "last_name": "Taylor", "screen_name": "samtaylor",
         "followers_count": 45}]}))
    api.on("POST", "/method/wall.createComment", Reply(200, fixture("vk", "wall_create_comment_200.json")))
    trip.deliver(_fresh("wall_reply_new.json"), {})
    comment = trip.inbound(f"wall_comment:-{GROUP}_1207")
    assert comment.visibility == "public" and comment.language == "en"
    assert comment.triage["sentiment"] == "negative" and int(comment.triage["priority"]) >= 2

    reply_id = trip.reply(f"wall_comment:-{GROUP}_1207", "We are sorry, Sam! Please check your private messages.",
                          "public")
    (request,) = [r for r in api.requests if r.path == "/method/wall.createComment"]
    form = _form(request)
    assert form["owner_id"] == f"-{GROUP}" and form["post_id"] == "118" and form["reply_to_comment"] == "1207"
    assert form["from_group"] == GROUP and form["guid"] == _outbox_key(runtime, reply_id)
    assert trip.message(reply_id).platform_message_id == f"wall_comment:-{GROUP}_1213"


def test_a_wrong_secret_is_refused_and_nothing_is_stored(
    settings: Settings, runtime: Runtime, world: World, api: StandIn
) -> None:
    trip = _trip(settings, runtime, world, api)
    data = json.loads(_fresh("message_new_ru.json"))
    for secret in ("wrong", None):
        data["secret"] = secret
        refused = trip.client.post(f"/webhooks/{trip.account_id}", content=json.dumps(data),
                                   headers={"content-type": "application/json"})
        assert refused.status_code == 403
    assert _raw_events(runtime) == 0 and api.requests == []
