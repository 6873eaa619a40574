"""X: images uploaded with ``POST /2/media/upload`` (bytes), then ``media.media_ids`` on the post or
``attachments[{media_id}]`` on the DM."""

from __future__ import annotations

import base64

import httpx
import pytest

from compris.connectors import fixture
from compris.connectors.base import SendError, Visibility

from ..attachments import PNG, document, image, outbound
from ..standin import Reply, StandIn
from .test_x import CONNECTOR, account


def test_a_reply_with_an_image(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/2/media/upload", Reply(200, fixture("x", "media_upload_200.json")))
    api.on("POST", "/2/tweets", Reply(201, fixture("x", "create_post_201.json")))
    message = outbound("@marie voici le plan", image(data=True), visibility=Visibility.PUBLIC,
                       reply_to_platform_id="1880000000000000001", extra={"summoned": True})
    CONNECTOR.send(account(api_base=api.base_url), message, http)
    upload, post = api.requests
    assert upload.json() == {"media": base64.b64encode(PNG).decode(), "media_category": "tweet_image",
                             "media_type": "image/png"}
    assert post.json() == {"text": "@marie voici le plan",
                           "reply": {"in_reply_to_tweet_id": "1880000000000000001"},
                           "media": {"media_ids": ["1880028106020515840"]}}


def test_a_direct_message_with_only_an_image(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/2/media/upload", Reply(200, fixture("x", "media_upload_200.json")))
    api.on("POST", "/2/dm_conversations/with/cust-1/messages", Reply(201, fixture("x", "dm_send_201.json")))
    CONNECTOR.send(account(api_base=api.base_url), outbound("", image(data=True)), http)
    upload, dm = api.requests
    assert upload.json()["media_category"] == "dm_image"
    assert dm.json() == {"attachments": [{"media_id": "1880028106020515840"}]}


def test_a_failed_post_keeps_the_uploaded_media_for_the_retry(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/2/media/upload", Reply(200, fixture("x", "media_upload_200.json")))
    api.on("POST", "/2/tweets", Reply(503, {"title": "Service Unavailable"}),
           Reply(201, fixture("x", "create_post_201.json")))
    message = outbound("hi", image(data=True), visibility=Visibility.PUBLIC, reply_to_platform_id="188",
                       extra={"summoned": True})
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api_base=api.base_url), message, http)
    assert caught.value.retryable and caught.value.progress == {"media:0": "1880028106020515840"}
    api.requests.clear()
    import dataclasses

    CONNECTOR.send(account(api_base=api.base_url), dataclasses.replace(message, progress=caught.value.progress), http)
    assert [r.path for r in api.requests] == ["/2/tweets"]  # not uploaded again


def test_only_images_and_one_per_dm() -> None:
    public, private = CONNECTOR.limits.attachment_rules("public"), CONNECTOR.limits.attachment_rules("private")
    assert public is not None and private is not None and not public.public_url
    assert public.refusal("X", [document()], has_text=True)
    assert private.refusal("X", [image(1), image(2)], has_text=True)
    assert public.refusal("X", [image(i) for i in range(4)], has_text=True) is None
