"""The case's survey line, the survey settings admin page and the results page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from compris.inbox.queries import CaseView
from compris.web.deps import PageContext

router = APIRouter(include_in_schema=False)


def panel(ctx: PageContext, view: CaseView) -> dict[str, Any]:
    """The variables the case page's surveys partial needs."""
    return {}
