"""Satisfaction surveys: settings (admin), a case's surveys, results (CSAT, response rate)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
