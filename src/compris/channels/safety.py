"""Keeping credentials out of what is shown and logged."""

from __future__ import annotations

from collections.abc import Mapping

from compris.kit.crypto import redact

MIN_SCRUBBED = 4  # shorter values are too common to be worth replacing (and say little)


def scrub(text: str, secrets: Mapping[str, str]) -> str:
    """``text`` with every secret value replaced by its redacted form (error messages, check results)."""
    for value in sorted((v for v in secrets.values() if v and len(v) >= MIN_SCRUBBED), key=len, reverse=True):
        text = text.replace(value, redact(value))
    return text
