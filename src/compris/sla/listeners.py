"""The SLA's and the expected wait's reactions to domain events (``compris.listeners`` entry point)."""

from __future__ import annotations
