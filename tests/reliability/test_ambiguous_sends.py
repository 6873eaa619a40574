"""Ambiguous sends against the networks' stand-ins (issue 21, point 2): the platform accepts the reply and then
answers 500, or answers after the client gave up. Exactly one copy reaches the platform, and the reply ends either
sent (X: Compris finds its post) or uncertain for a person (WhatsApp: the platform cannot be asked) — never two.

Bounded: short client timeouts (0.3 s) and no backoff; each test takes about a second."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from compris.config import Settings
from compris.connectors import fixture, fixture_bytes
from compris.inbox import outbound
from compris.runtime import Runtime
from tests.conftest import World
from tests.connectors.meta.helpers import APP_SECRET, sign
from tests.connectors.roundtrip import RoundTrip
from tests.connectors.standin import Recorded, Reply, StandIn
from tests.connectors.x.test_x import BRAND, SECRETS, sig

pytestmark = pytest.mark.reliability

CLIENT_TIMEOUT = 0.3
TEXT = "@elodie_m Nous sommes désolés 🙏 écrivez-nous en DM"


class Platform(StandIn):
    """A stand-in that keeps what it accepts: ``POST`` on ``create`` stores a post (unless ``keep`` is False for that
    attempt) and then answers as scripted (500, or late); ``GET`` on ``listing`` lists the stored posts as X does."""

    def __init__(self, create: str, answers: list[Reply], keep: list[bool], listing: str | None = None) -> None:
        super().__init__()
        self.create, self.listing = create, listing
        self.answers, self.keep = answers, keep
        self.kept: list[dict[str, Any]] = []
        self._lock2 = threading.Lock()

    def _record(self, request: Recorded) -> Reply:
        super()._record(request)
        with self._lock2:
            if request.method == "POST" and request.path == self.create:
                attempt = sum(1 for r in self.requests if r.method == "POST" and r.path == self.create) - 1
                post_id = str(1890000000000005000 + attempt)
                if self.keep[min(attempt, len(self.keep) - 1)]:
                    body = request.json()
                    self.kept.append({"id": post_id, "text": body.get("text", ""),
                                      "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                                      "referenced_tweets": [{"type": "replied_to",
                                                             "id": (body.get("reply") or {}).get(
                                                                 "in_reply_to_tweet_id")}]})
                answer = self.answers[min(attempt, len(self.answers) - 1)]
                if answer.status < 300 and answer.json is None:
                    return Reply(201, {"data": {"id": post_id, "text": TEXT}}, delay=answer.delay)
                return answer
            if request.method == "GET" and request.path == self.listing:
                return Reply(200, {"data": list(reversed(self.kept)), "meta": {"result_count": len(self.kept)}})
        return Reply(404, {"error": "no route"})

    def posts(self) -> int:
        return sum(1 for r in self.requests if r.method == "POST" and r.path == self.create)


@pytest.fixture(autouse=True)
def fast(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(outbound, "backoff", lambda attempt: 0.0)
    runtime.http.close()
    runtime.http = httpx.Client(timeout=httpx.Timeout(CLIENT_TIMEOUT), follow_redirects=False)
    yield


def _drain(world: World) -> None:
    for _ in range(10):
        if not world.run_jobs():
            return


def _x_reply(settings: Settings, runtime: Runtime, world: World, api: Platform) -> tuple[RoundTrip, int]:
    trip = RoundTrip(settings, runtime, world, network="x", external_id=BRAND, secrets=SECRETS,
                     account_settings={"handle": "AirCompris", "api_base": api.base_url})
    body = fixture_bytes("x", "mention_fr.json")
    trip.deliver(body, {"x-twitter-webhooks-signature-oauth2": sig(SECRETS["oauth2_client_secret"], body),
                        "x-twitter-webhooks-signature": sig(SECRETS["consumer_secret"], body)})
    reply_id = trip.reply("1890000000000000101", TEXT, "public")
    _drain(world)
    return trip, reply_id


@pytest.mark.parametrize("answer", [Reply(500, {"title": "Internal Server Error"}), Reply(201, delay=1.0)],
                         ids=["500-after-posting", "answer-after-the-timeout"])
def test_x_accepts_then_fails_one_post_and_the_reply_found(
    settings: Settings, runtime: Runtime, world: World, answer: Reply
) -> None:
    with Platform("/2/tweets", [answer], keep=[True], listing=f"/2/users/{BRAND}/tweets") as api:
        trip, reply_id = _x_reply(settings, runtime, world, api)
        # exactly one post on X, and Compris recorded it as sent (its id found among our posts)
        assert api.posts() == 1 and len(api.kept) == 1
        message = trip.message(reply_id)
        assert message.delivery_state == "sent"
        assert message.platform_message_id == api.kept[0]["id"]
        assert len(trip.events("reply_sent")) == 1 and trip.events("reply_uncertain") == []


def test_x_fails_without_posting_and_the_reply_is_sent_once(
    settings: Settings, runtime: Runtime, world: World
) -> None:
    with Platform("/2/tweets", [Reply(503, {"title": "Service Unavailable"}), Reply(201)], keep=[False, True],
                  listing=f"/2/users/{BRAND}/tweets") as api:
        trip, reply_id = _x_reply(settings, runtime, world, api)
        # looked, not there, sent again: one post kept on X
        assert len(api.kept) == 1 and api.posts() == 2
        assert trip.message(reply_id).delivery_state == "sent"
        assert len(trip.events("reply_sent")) == 1


@pytest.mark.parametrize("answer", [Reply(500, {"error": {"message": "Internal error", "code": 1}}),
                                    Reply(200, delay=1.0)],
                         ids=["500-after-sending", "answer-after-the-timeout"])
def test_whatsapp_accepts_then_fails_one_message_and_the_reply_uncertain(
    settings: Settings, runtime: Runtime, world: World, answer: Reply
) -> None:
    number = "106540352242922"
    with Platform(f"/{number}/messages", [answer], keep=[True]) as api:
        trip = RoundTrip(settings, runtime, world, network="whatsapp", external_id=number,
                         secrets={"app_secret": APP_SECRET, "verify_token": "v", "access_token": "wa-token"},
                         account_settings={"api_base": api.base_url, "waba_id": "102290129340398"})
        data = fixture("whatsapp", "messages_batch.json")
        data["entry"] = data["entry"][:1]
        data["entry"][0]["changes"] = data["entry"][0]["changes"][:1]
        data["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = str(int(time.time()) - 120)
        body = json.dumps(data).encode()
        trip.deliver(body, {"x-hub-signature-256": sign(body)})
        reply_id = trip.reply("wamid.HBgLMzM2MTIzNDU2NzgVAgASGBQzQUFBMDAx", "Nous localisons votre valise 🧳",
                              "private")
        _drain(world)
        # exactly one message to the customer, and the reply waits for a person
        assert api.posts() == 1
        message = trip.message(reply_id)
        assert message.delivery_state == "uncertain"
        assert message.delivery_error is not None and message.delivery_error.startswith(outbound.NO_LOOKUP)
        assert len(trip.events("reply_uncertain")) == 1 and trip.events("reply_sent") == []
