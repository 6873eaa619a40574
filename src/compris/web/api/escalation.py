"""Escalation: partners and internal teams (admin), a case's escalations (escalate, follow up, close, cancel,
reopen, revoke links), overdue escalations."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
