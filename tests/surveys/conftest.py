"""Fixtures of the survey tests: the sandbox network served over real HTTP (for the full loop)."""

from __future__ import annotations

from tests.sandbox_network.test_round_trip import live

__all__ = ["live"]
