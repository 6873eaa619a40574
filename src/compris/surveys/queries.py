"""Reads of the capability, always scoped to a workspace."""

from __future__ import annotations
