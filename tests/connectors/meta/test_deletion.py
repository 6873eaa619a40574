"""Meta's Data Deletion Request Callback: the ``signed_request`` (base64url HMAC-SHA256 signature of the encoded
payload, keyed with the app secret), built here with the algorithm of Meta's documentation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from compris.connectors.meta import deletion

SECRET = "appsecret"
AT = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
ISSUED = int(AT.timestamp()) - 60


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def by_hand(payload: dict[str, object], secret: str = SECRET) -> str:
    """As Meta's sample code reads it: ``sig.payload``, sig = HMAC-SHA256(secret, payload as sent), base64url."""
    encoded = _b64(json.dumps(payload).encode())
    return _b64(hmac.new(secret.encode(), encoded.encode(), hashlib.sha256).digest()) + "." + encoded


PAYLOAD = {"algorithm": "HMAC-SHA256", "expires": ISSUED + 3600, "issued_at": ISSUED, "user_id": "218471"}


def test_a_valid_request() -> None:
    request = deletion.parse(by_hand(PAYLOAD), SECRET, at=AT)
    assert request.user_id == "218471"
    assert request.issued_at == datetime.fromtimestamp(ISSUED, tz=UTC)


def test_sign_matches_the_documented_algorithm() -> None:
    signed = deletion.sign(SECRET, PAYLOAD)
    signature, encoded = signed.split(".")
    assert json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))) == PAYLOAD
    expected = _b64(hmac.new(SECRET.encode(), encoded.encode(), hashlib.sha256).digest())
    assert signature == expected and "=" not in signed
    assert deletion.parse(signed, SECRET, at=AT).user_id == "218471"


def test_padding_is_accepted() -> None:
    signature, encoded = by_hand(PAYLOAD).split(".")
    padded = f"{signature}{'=' * (-len(signature) % 4)}.{encoded}"
    assert deletion.parse(padded, SECRET, at=AT).user_id == "218471"


def test_a_numeric_user_id() -> None:
    assert deletion.parse(by_hand({**PAYLOAD, "user_id": 1234}), SECRET, at=AT).user_id == "1234"


@pytest.mark.parametrize("signed", [
    "", "abc", "a.b.c", ".abc", "abc.", "!!!.###", "é.é",
    by_hand(PAYLOAD, secret="other"),  # forged
    by_hand({**PAYLOAD, "expires": ISSUED - 1}),  # expired
    by_hand({**PAYLOAD, "issued_at": ISSUED - 30 * 86400, "expires": 0}),  # too old
    by_hand({**PAYLOAD, "algorithm": "HMAC-SHA1"}),
    by_hand({k: v for k, v in PAYLOAD.items() if k != "user_id"}),
    by_hand({**PAYLOAD, "user_id": ""}),
    by_hand({**PAYLOAD, "user_id": True}),
    by_hand({**PAYLOAD, "issued_at": "soon"}),
    _b64(b"x") + "." + _b64(b"[1, 2]"),
    "x" * (deletion.MAX_LENGTH + 1),
])
def test_refused(signed: str) -> None:
    with pytest.raises(deletion.SignedRequestError):
        deletion.parse(signed, SECRET, at=AT)


def test_a_payload_that_is_not_json_with_a_good_signature() -> None:
    encoded = _b64(b"not json")
    signed = _b64(hmac.new(SECRET.encode(), encoded.encode(), hashlib.sha256).digest()) + "." + encoded
    with pytest.raises(deletion.SignedRequestError):
        deletion.parse(signed, SECRET, at=AT)


def test_no_secret_configured() -> None:
    with pytest.raises(deletion.SignedRequestError):
        deletion.parse(by_hand(PAYLOAD), None, at=AT)


def test_the_answer() -> None:
    assert deletion.answer("https://x/privacy/deletion/AB", "AB") == {"url": "https://x/privacy/deletion/AB",
                                                                       "confirmation_code": "AB"}
