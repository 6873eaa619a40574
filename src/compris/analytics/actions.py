"""Writes of analytics: the objectives the supervisors set (create, change, delete — each audited with its
``SettingsChanged`` event), defined with their validation in :mod:`compris.analytics.objectives`. The figures
themselves are derived data, kept by the listeners and jobs (``rollups.py``)."""

from __future__ import annotations

from compris.analytics.objectives import create_objective, delete_objective, update_objective

__all__ = ["create_objective", "delete_objective", "update_objective"]
