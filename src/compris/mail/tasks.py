"""Job handlers and their schedule (``@handler``), declared in the ``compris.tasks`` entry point."""

from __future__ import annotations
