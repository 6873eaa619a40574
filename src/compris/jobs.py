"""Imports every module that registers job handlers."""

from compris.inbox import ingest, outbound

__all__ = ["ingest", "outbound"]
