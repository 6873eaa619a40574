"""Every write of the capability (validate, write, record the timeline or audit row, emit the event)."""

from __future__ import annotations
