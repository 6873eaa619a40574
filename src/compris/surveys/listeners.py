"""Reactions to other capabilities' domain events (``@listens``), declared in the ``compris.listeners`` entry point."""

from __future__ import annotations
