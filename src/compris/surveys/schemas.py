"""API shapes (request and response bodies) of the capability."""

from __future__ import annotations
