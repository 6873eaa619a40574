"""tasks of listening (filled in by its issue)."""

from __future__ import annotations

# --- alerts: the spike check and the counters' purge (li-alerts) ---
from compris.listening import alert_tasks  # noqa: F401
