from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from compris.kit.signing import LinkError, link_token, read_link_token, request_signature, verify_request

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


def test_a_request_signature_verifies_and_refuses_changes_and_replays() -> None:
    body = b'{"case": 12}'
    header = request_signature("s3cret", body, int(NOW.timestamp()))
    assert header.startswith(f"t={int(NOW.timestamp())},v1=")
    assert verify_request("s3cret", header, body, NOW)
    assert not verify_request("s3cret", header, body + b" ", NOW)
    assert not verify_request("other", header, body, NOW)
    assert not verify_request("s3cret", header, body, NOW + timedelta(minutes=6))
    assert not verify_request("s3cret", None, body, NOW)
    assert not verify_request("s3cret", "t=abc,v1=00", body, NOW)


def test_a_link_token_names_its_payload_for_one_purpose_until_it_expires() -> None:
    token = link_token("key", "portal", {"e": 5}, NOW + timedelta(days=1))
    assert read_link_token("key", "portal", token, NOW)["e"] == 5
    with pytest.raises(LinkError):
        read_link_token("key", "survey", token, NOW)
    with pytest.raises(LinkError):
        read_link_token("other-key", "portal", token, NOW)
    _body, _, sig = token.partition(".")
    forged = link_token("attacker", "portal", {"e": 6}, NOW + timedelta(days=1)).split(".")[0] + "." + sig
    with pytest.raises(LinkError):
        read_link_token("key", "portal", forged, NOW)
    with pytest.raises(LinkError) as expired:
        read_link_token("key", "portal", token, NOW + timedelta(days=2))
    assert expired.value.expired
    for junk in ("", ".", "abc", "a.b.c", "%%%.###"):
        with pytest.raises(LinkError):
            read_link_token("key", "portal", junk, NOW)
