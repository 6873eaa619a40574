"""The outgoing mail admin page: SMTP settings, a test mail, the log of mails sent."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
