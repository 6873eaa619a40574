"""actions of listening (filled in by its issue)."""

from __future__ import annotations
