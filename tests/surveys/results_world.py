"""Helpers for the survey page and results tests: surveys written directly (as the scheduling would leave them)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from compris.kit.clock import now
from compris.models import Case, Survey, SurveyState
from compris.surveys import links, parsing
from tests.conftest import SECRET, World
from tests.replies.helpers import case_of, customer_writes, session_of


def a_case(world: World, text: str = "My bag is lost", author: str = "cust-1") -> int:
    """A case of ``world`` (through the real pipeline); its id."""
    with session_of(world) as s:
        before = s.scalar(select(func.max(Case.number)).where(Case.workspace_id == world.workspace_id)) or 0
    customer_writes(world, text, author=author)
    deadline = time.monotonic() + 15  # a live server's own worker may be the one that runs the pipeline job
    while True:
        with session_of(world) as s:
            number = s.scalar(select(func.max(Case.number)).where(Case.workspace_id == world.workspace_id)) or 0
            if number > before:
                return case_of(s, world, number).id
        assert time.monotonic() < deadline, "the customer's message opened no case"
        time.sleep(0.05)
        world.run_jobs()


def add_survey(world: World, case_id: int, *, sent_at: datetime | None = None, rating: int | None = None,
               state: str | None = None, comment: str | None = None, **fields: Any) -> int:
    """A survey row on ``case_id`` (a new cycle each time); sent (now) unless told otherwise."""
    with session_of(world) as s:  # after the cycles the case already has (a resolution records one, even skipped)
        cycle = (s.scalar(select(func.max(Survey.cycle)).where(Survey.case_id == case_id)) or 0) + 1
    sent = sent_at if sent_at is not None else (now() if state in (None, SurveyState.SENT,
                                                                    SurveyState.ANSWERED) else None)
    scale = fields.pop("scale", "stars5")
    row = Survey(workspace_id=world.workspace_id, case_id=case_id, cycle=cycle,
                 network=fields.pop("network", "sandbox"),
                 channel_account_id=fields.pop("channel_account_id", world.account.id), scale=scale,
                 state=state or (SurveyState.ANSWERED if rating is not None else SurveyState.SENT),
                 sent_at=sent, send_at=sent, **fields)
    if rating is not None:
        row.rating, row.score = rating, parsing.score(rating, scale)
        row.answered_at, row.answered_via = (sent or now()) + timedelta(minutes=5), "button"
    if comment is not None:
        row.comment, row.commented_at = comment, (sent or now()) + timedelta(minutes=6)
    with session_of(world) as s:
        s.add(row)
        s.flush()
        return row.id


def link(world: World, survey_id: int, *, rating: int | None = None, days: int = 14,
         at: datetime | None = None, workspace_id: int | None = None) -> str:
    """The survey page's path for ``survey_id`` (signed with the tests' secret)."""
    with session_of(world) as s:
        survey = s.get(Survey, survey_id)
        assert survey is not None
        if workspace_id is not None:
            s.expunge(survey)
            survey.workspace_id = workspace_id
        return f"{links.PREFIX}{links.token_for(SECRET, survey, at or datetime.now(UTC), days, rating)}"


def survey(world: World, survey_id: int) -> Survey:
    with session_of(world) as s:
        row = s.get(Survey, survey_id)
        assert row is not None
        s.expunge(row)
        return row
