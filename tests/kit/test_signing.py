from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# --- properties (hypothesis) ---------------------------------------------------------------------------------

SECRETS = st.text(min_size=1, max_size=64)
BODIES = st.binary(max_size=2048)
STAMPS = st.integers(min_value=0, max_value=4_102_444_800)  # 1970 to 2100


def _at(stamp: int, offset: float = 0.0) -> datetime:
    return datetime.fromtimestamp(stamp, tz=UTC) + timedelta(seconds=offset)


@given(SECRETS, BODIES, STAMPS, st.floats(min_value=-300, max_value=300))
def test_every_signature_verifies_within_the_tolerance(secret: str, body: bytes, stamp: int, skew: float) -> None:
    assert verify_request(secret, request_signature(secret, body, stamp), body, _at(stamp, skew))


@given(SECRETS, BODIES, STAMPS, st.floats(min_value=300.001, max_value=10**7), st.booleans())
def test_no_signature_verifies_outside_the_tolerance(secret: str, body: bytes, stamp: int, skew: float,
                                                     late: bool) -> None:
    header = request_signature(secret, body, stamp)
    assert not verify_request(secret, header, body, _at(stamp, skew if late else -skew))


@settings(max_examples=50)
@given(SECRETS, BODIES, STAMPS, st.data())
def test_any_change_to_the_body_or_the_secret_is_refused(secret: str, body: bytes, stamp: int,
                                                         data: st.DataObject) -> None:
    header = request_signature(secret, body, stamp)
    other_body = data.draw(BODIES.filter(lambda b: b != body), label="other body")
    other_secret = data.draw(SECRETS.filter(lambda s: s != secret), label="other secret")
    assert not verify_request(secret, header, other_body, _at(stamp))
    assert not verify_request(other_secret, header, body, _at(stamp))


@given(SECRETS, BODIES, STAMPS, st.integers(min_value=1, max_value=10**6))
def test_the_timestamp_is_signed_too(secret: str, body: bytes, stamp: int, shift: int) -> None:
    """Moving ``t`` forward (to pass the replay check later) breaks the signature."""
    mac = request_signature(secret, body, stamp).split(",v1=")[1]
    assert not verify_request(secret, f"t={stamp + shift},v1={mac}", body, _at(stamp + shift))


@given(SECRETS, BODIES, STAMPS)
def test_several_v1_values_one_of_them_right(secret: str, body: bytes, stamp: int) -> None:
    """A receiver accepts a header that carries the signature among others (a secret being rolled over)."""
    good = request_signature(secret, body, stamp).split(",v1=")[1]
    assert verify_request(secret, f"t={stamp},v1={'0' * 64},v1={good}", body, _at(stamp))
    assert not verify_request(secret, f"t={stamp},v1={'0' * 64},v1=", body, _at(stamp))


@settings(max_examples=300)
@given(st.text(max_size=300), BODIES)
def test_any_header_gives_an_answer_never_an_error(header: str, body: bytes) -> None:
    assert verify_request("s3cret", header, body, NOW) in (True, False)


@pytest.mark.parametrize("header", ["t=²,v1=00", "t=١٢٣,v1=00", "t=" + "9" * 400 + ",v1=00",
                                    "t=" + "9" * 5000 + ",v1=00", "t=1,t=2,v1=00", "t=,v1=", "t=-5,v1=00",
                                    "v1=00", "t=1796526279"])
def test_malformed_timestamps_are_refused_not_raised(header: str) -> None:
    assert verify_request("s3cret", header, b"{}", NOW) is False


PAYLOADS = st.dictionaries(st.text(min_size=1, max_size=10).filter(lambda k: k != "exp"),
                           st.one_of(st.integers(min_value=-(2**53), max_value=2**53), st.text(max_size=20)),
                           max_size=5)


@given(PAYLOADS, st.integers(min_value=1, max_value=10**6))
def test_a_link_token_reads_back_what_it_names_until_it_expires(payload: dict[str, object], life: int) -> None:
    expires = NOW + timedelta(seconds=life)
    token = link_token("key", "portal", payload, expires)
    assert {k: v for k, v in read_link_token("key", "portal", token, NOW).items() if k != "exp"} == payload
    with pytest.raises(LinkError) as late:
        read_link_token("key", "portal", token, expires)
    assert late.value.expired


@settings(max_examples=50)
@given(PAYLOADS, st.data())
def test_a_changed_link_token_is_refused(payload: dict[str, object], data: st.DataObject) -> None:
    token = link_token("key", "portal", payload, NOW + timedelta(days=1))
    at = data.draw(st.integers(min_value=0, max_value=len(token) - 1), label="position")
    replacement = data.draw(st.sampled_from("AQgw-_.x0").filter(lambda c: c != token[at]), label="character")
    changed = token[:at] + replacement + token[at + 1:]
    try:
        read = read_link_token("key", "portal", changed, NOW)
    except LinkError as error:
        assert not error.expired
    else:  # base64's padding bits: a last character that decodes to the same bytes is the same token
        assert read == read_link_token("key", "portal", token, NOW)


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_any_text_as_a_link_token_is_a_link_error_never_a_crash(text: str) -> None:
    with pytest.raises(LinkError):
        read_link_token("key", "portal", text, NOW)


def test_a_form_token_is_tied_to_its_subject_and_purpose() -> None:
    from compris.kit.signing import form_token, form_token_ok

    token = form_token("key", "portal", "link-1")
    assert form_token_ok("key", "portal", "link-1", token)
    assert not form_token_ok("key", "survey", "link-1", token)
    assert not form_token_ok("key", "portal", "link-2", token)
    assert not form_token_ok("other", "portal", "link-1", token)
    assert not form_token_ok("key", "portal", "link-1", None) and not form_token_ok("key", "portal", "link-1", "")
