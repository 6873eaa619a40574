"""Small, strict readers for untrusted JSON: anything unexpected becomes :class:`UnprocessableEvent`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from compris.connectors.base import UnprocessableEvent

JSON = dict[str, Any]


def load_object(body: bytes) -> JSON:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise UnprocessableEvent(f"body is not JSON: {type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise UnprocessableEvent("body is not a JSON object")
    return data


def obj(value: object, what: str) -> JSON:
    if not isinstance(value, dict):
        raise UnprocessableEvent(f"{what}: expected an object")
    return value


def opt_obj(value: object, what: str) -> JSON:
    return {} if value is None else obj(value, what)


def arr(value: object, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise UnprocessableEvent(f"{what}: expected a list")
    return value


def opt_str(data: JSON, key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise UnprocessableEvent(f"{key}: expected a string")
    return str(value)


def req_str(data: JSON, key: str, what: str) -> str:
    value = opt_str(data, key)
    if not value:
        raise UnprocessableEvent(f"{what}: missing {key}")
    return value


def opt_int(data: JSON, key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise UnprocessableEvent(f"{key}: expected a number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and len(value) < 30:
        digits = value.strip().removeprefix("-")
        if digits.isascii() and digits.isdigit():  # "²" is a digit to isdigit, not to int()
            return int(value)
    raise UnprocessableEvent(f"{key}: expected a number")


def from_unix(seconds: float, what: str) -> datetime:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise UnprocessableEvent(f"{what}: expected a timestamp")
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise UnprocessableEvent(f"{what}: timestamp out of range") from None


def from_iso(value: str, what: str) -> datetime:
    if not isinstance(value, str):
        raise UnprocessableEvent(f"{what}: expected an ISO-8601 time")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UnprocessableEvent(f"{what}: not an ISO-8601 time") from None
    if when.tzinfo is None:
        raise UnprocessableEvent(f"{what}: time without a zone")
    return when.astimezone(UTC)


def error_text(body: bytes, limit: int = 300) -> str:
    text = body[:limit].decode("utf-8", "replace").strip()
    return text or "(empty body)"
