"""Routing's reactions to domain events (registered through the ``compris.listeners`` entry point)."""

from __future__ import annotations
