"""actions of listening (filled in by its issue)."""

from __future__ import annotations

# --- incidents (li-incidents): the actions are in compris.listening.incidents -----------------------------------
from compris.listening import incidents

__all__ = ["incidents"]
