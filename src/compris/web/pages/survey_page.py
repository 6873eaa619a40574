"""The public survey page a signed link opens, with no login (``/s/{token}``)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
