"""The strict readers of untrusted JSON: anything unexpected is an UnprocessableEvent, never a TypeError."""

from __future__ import annotations

from typing import Any

import pytest

from compris.connectors import wire
from compris.connectors.base import UnprocessableEvent


@pytest.mark.parametrize("value", ["--5", "²", "1e5", "", " ", "-", [], {}, True, 1.5, "9" * 40])
def test_opt_int_refuses_what_is_not_a_number(value: Any) -> None:
    with pytest.raises(UnprocessableEvent, match="n: expected a number"):
        wire.opt_int({"n": value}, "n")


@pytest.mark.parametrize("value,expected", [("42", 42), (" -7 ", -7), (3, 3), (None, None)])
def test_opt_int_reads_numbers(value: Any, expected: int | None) -> None:
    assert wire.opt_int({"n": value}, "n") == expected


@pytest.mark.parametrize("value", ["x", None, [], True, 10**30, float("nan")])
def test_from_unix_refuses_what_is_not_a_timestamp(value: Any) -> None:
    with pytest.raises(UnprocessableEvent, match="when"):
        wire.from_unix(value, "when")


@pytest.mark.parametrize("value", [12, None, [], "2026-13-01T00:00:00Z", "2026-01-01T00:00:00"])
def test_from_iso_refuses_what_is_not_an_aware_time(value: Any) -> None:
    with pytest.raises(UnprocessableEvent, match="when"):
        wire.from_iso(value, "when")


def test_load_object_refuses_deep_json_and_invalid_utf8() -> None:
    for body in (b"[" * 100_000 + b"]" * 100_000, b'{"a": "\xff"}', b"[]"):
        with pytest.raises(UnprocessableEvent):
            wire.load_object(body)
