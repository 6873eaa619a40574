"""The partner portal: the page a signed link opens, with no account (``/p/{token}``)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
