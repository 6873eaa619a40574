"""X through Compris: a signed XAA webhook → case → agent reply → exactly one correct API call."""

from __future__ import annotations

from compris.config import Settings
from compris.connectors import fixture, fixture_bytes
from compris.connectors.x.connector import NOT_SUMMONED
from compris.runtime import Runtime
from tests.conftest import World

from ..roundtrip import RoundTrip
from ..standin import Reply, StandIn
from .test_x import BRAND, SECRETS, sig


def _x(settings: Settings, runtime: Runtime, world: World, api: StandIn) -> RoundTrip:
    return RoundTrip(settings, runtime, world, network="x", external_id=BRAND, secrets=SECRETS,
                     account_settings={"handle": "AirCompris", "api_base": api.base_url})


def _headers(body: bytes) -> dict[str, str]:
    return {"x-twitter-webhooks-signature-oauth2": sig(SECRETS["oauth2_client_secret"], body),
            "x-twitter-webhooks-signature": sig(SECRETS["consumer_secret"], body)}


def test_mention_reply_goes_out_once(settings: Settings, runtime: Runtime, world: World, api: StandIn) -> None:
    trip = _x(settings, runtime, world, api)
    api.on("POST", "/2/tweets", Reply(201, fixture("x", "create_post_201.json")))
    body = fixture_bytes("x", "mention_fr.json")
    trip.deliver(body, _headers(body))
    trip.deliver(body, _headers(body))  # X redelivers: stored once
    mention = trip.inbound("1890000000000000101")
    assert mention.platform_extra.get("summoned") is True and "remboursement" in mention.text

    reply_id = trip.reply("1890000000000000101", "@elodie_m Nous sommes désolés 🙏 écrivez-nous en DM", "public")
    request = api.only()
    assert (request.method, request.path) == ("POST", "/2/tweets")
    assert request.headers["authorization"] == f"Bearer {SECRETS['user_access_token']}"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"text": "@elodie_m Nous sommes désolés 🙏 écrivez-nous en DM",
                              "reply": {"in_reply_to_tweet_id": "1890000000000000101"}}
    sent = trip.message(reply_id)
    assert sent.delivery_state == "sent" and sent.platform_message_id == "1890000000000000999"


def test_unsummoned_public_reply_is_refused_with_the_reason_and_a_dm_works(
    settings: Settings, runtime: Runtime, world: World, api: StandIn
) -> None:
    trip = _x(settings, runtime, world, api)
    body = fixture_bytes("x", "reply_not_summoned.json")
    trip.deliver(body, _headers(body))
    refused = trip.message(trip.reply("1890000000000000303", "Sorry to hear that!", "public"))
    assert api.requests == []  # never sent to X
    assert refused.delivery_state == "failed" and refused.delivery_error == NOT_SUMMONED
    page = trip.case_page(trip.inbound("1890000000000000303").case_id and 1)
    assert "answer with a direct message" in page  # the failed reply shows X's rule
    assert "reply by direct message instead" in page  # and the reply box offers the other route

    api.on("POST", "/2/dm_conversations/with/2200000000000000088/messages",
           Reply(201, fixture("x", "dm_send_201.json")))
    dm = trip.message(trip.reply("1890000000000000303", "Can we help? Send us your booking reference.", "private"))
    request = api.only()
    assert request.json() == {"text": "Can we help? Send us your booking reference."}
    assert dm.delivery_state == "sent" and dm.platform_message_id == "1890000000000000888"


def test_an_expired_user_token_is_renewed_once_and_the_reply_sent(
    settings: Settings, runtime: Runtime, world: World, api: StandIn
) -> None:
    import base64
    from urllib.parse import parse_qs

    from sqlalchemy import select

    from compris.channels.accounts import context
    from compris.models import CaseEvent, ChannelAccount

    # given an account whose user token X no longer accepts, with a refresh token
    trip = RoundTrip(settings, runtime, world, network="x", external_id=BRAND,
                     secrets={**SECRETS, "refresh_token": "refresh-1"},
                     account_settings={"handle": "AirCompris", "api_base": api.base_url, "client_id": "cid-9"})
    api.on("POST", "/2/tweets", Reply(401, {"title": "Unauthorized", "detail": "Unauthorized", "status": 401}),
           Reply(201, fixture("x", "create_post_201.json")))
    api.on("POST", "/2/oauth2/token", Reply(200, {"token_type": "bearer", "expires_in": 7200,
                                                  "access_token": "fresh-access", "refresh_token": "refresh-2"}))
    body = fixture_bytes("x", "mention_fr.json")
    trip.deliver(body, _headers(body))
    # when an agent replies
    reply_id = trip.reply("1890000000000000101", "Nous regardons tout de suite.", "public")
    # then Compris renewed the token once, sent the reply with it, and stored the rotated tokens encrypted
    calls = [(r.method, r.path) for r in api.requests]
    assert calls == [("POST", "/2/tweets"), ("POST", "/2/oauth2/token"), ("POST", "/2/tweets")]
    renewal = api.requests[1]
    assert parse_qs(renewal.body.decode()) == {"grant_type": ["refresh_token"], "refresh_token": ["refresh-1"],
                                               "client_id": ["cid-9"]}
    expected_basic = base64.b64encode(f"cid-9:{SECRETS['oauth2_client_secret']}".encode()).decode()
    assert renewal.headers["authorization"] == f"Basic {expected_basic}"
    assert api.requests[2].headers["authorization"] == "Bearer fresh-access"
    assert trip.message(reply_id).delivery_state == "sent"
    with runtime.db.transaction() as session:
        account = session.get(ChannelAccount, trip.account_id)
        assert account is not None
        secrets = context(account, settings.secret_key).secrets
        assert (secrets["user_access_token"], secrets["refresh_token"]) == ("fresh-access", "refresh-2")
        assert b"fresh-access" not in account.secrets_encrypted.encode()
        audit = session.scalars(select(CaseEvent).where(CaseEvent.kind == "channel_credentials_renewed")).one()
        assert audit.data == {"account_id": trip.account_id, "fields": ["refresh_token", "user_access_token"]}


def test_a_refused_renewal_fails_the_reply_with_both_reasons(
    settings: Settings, runtime: Runtime, world: World, api: StandIn
) -> None:
    trip = RoundTrip(settings, runtime, world, network="x", external_id=BRAND,
                     secrets={**SECRETS, "refresh_token": "revoked"},
                     account_settings={"handle": "AirCompris", "api_base": api.base_url, "client_id": "cid-9"})
    api.on("POST", "/2/tweets", Reply(401, {"title": "Unauthorized", "detail": "Unauthorized", "status": 401}))
    api.on("POST", "/2/oauth2/token", Reply(400, {"error": "invalid_request",
                                                  "error_description": "Value passed for the token was invalid."}))
    body = fixture_bytes("x", "mention_fr.json")
    trip.deliver(body, _headers(body))
    failed = trip.message(trip.reply("1890000000000000101", "Nous regardons.", "public"))
    assert failed.delivery_state == "failed"
    assert failed.delivery_error is not None
    assert "401" in failed.delivery_error and "reconnect the account" in failed.delivery_error
    assert [(r.method, r.path) for r in api.requests] == [("POST", "/2/tweets"), ("POST", "/2/oauth2/token")]
