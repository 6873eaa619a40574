"""Jobs of triage: the accurate path re-scores messages in the background (``triage.refine``)."""

from __future__ import annotations
