"""Helpers shared by the Facebook, Instagram and WhatsApp tests."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from hypothesis import strategies as st

from compris.connectors.base import WebhookRequest

APP_SECRET = "meta-app-secret"


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivery(body: bytes, signature: str | None = None) -> WebhookRequest:
    headers = {"x-hub-signature-256": sign(body) if signature is None else signature,
               "content-type": "application/json"}
    return WebhookRequest(method="POST", headers=headers, query={}, body=body)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)


def mutate(data: Any, path: list[int], value: Any) -> Any:
    """Replace one node of a JSON document (chosen by ``path``) by ``value``."""
    if not path or not isinstance(data, dict | list) or not data:
        return value
    keys = list(data.keys()) if isinstance(data, dict) else list(range(len(data)))
    key = keys[path[0] % len(keys)]
    data[key] = mutate(data[key], path[1:], value)
    return data
