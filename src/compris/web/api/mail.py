"""Outgoing mail: the workspace's SMTP settings (admin), a test mail, the log of mails sent."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
