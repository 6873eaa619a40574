"""listeners of listening (filled in by its issue)."""

from __future__ import annotations

# --- alerts: spike counters and high-reach complaints (li-alerts) ---
from compris.listening import alert_listeners  # noqa: F401
