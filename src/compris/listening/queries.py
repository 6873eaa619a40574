"""queries of listening (filled in by its issue)."""

from __future__ import annotations

# --- incidents (li-incidents): the reads are in compris.listening.incident_queries ------------------------------
from compris.listening import incident_queries as incidents

__all__ = ["incidents"]
