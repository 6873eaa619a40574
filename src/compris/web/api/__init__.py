"""The JSON API (/api/v1), authenticated by personal API tokens."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1")
