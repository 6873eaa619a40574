"""Business actions: their definitions (admin) and running one from a case."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
