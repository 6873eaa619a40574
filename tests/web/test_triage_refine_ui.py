"""What an agent sees when the accurate triage path refined a message in the background."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from compris.config import Settings
from compris.runtime import Runtime
from compris.triage import TriageModels, load_models
from compris.triage import step as triage_step
from tests.conftest import World
from tests.inbox.test_triage_refine import UNSURE_TEXT, FakeModels
from tests.web.test_pages import Agent, customer_writes, make_client


@pytest.fixture
def refining(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> FakeModels:
    real = load_models()
    models = FakeModels(**{f.name: getattr(real, f.name) for f in dataclasses.fields(real)
                           if not f.name.startswith("_")})

    def workspace_models(workspace_id: int, data_dir: Path | None = None) -> TriageModels:
        return models

    monkeypatch.setattr(triage_step, "workspace_models", workspace_models)
    monkeypatch.setattr(settings, "triage_accurate", "unsure")
    return models


def test_a_refined_message_says_so_on_the_case(
    settings: Settings, runtime: Runtime, world: World, refining: FakeModels
) -> None:
    with make_client(settings, runtime) as client:
        customer_writes(client, world, UNSURE_TEXT, author="zoe")  # the inbound job, then the refinement
        agent = Agent(client, world.agent.email)
        page = agent.get("/cases/1").text
        assert 'class="muted tri-refined"' in page
        # what the fast path said, intent first: the tooltip of the "refined" marker
        assert "Re-scored in the background by the accurate model · first triage: Other, Neutral, " in page
        assert "Complaint" in page and "Negative" in page


def test_a_fast_triage_has_no_refined_marker(settings: Settings, runtime: Runtime, world: World) -> None:
    with make_client(settings, runtime) as client:
        customer_writes(client, world, UNSURE_TEXT, author="zoe")  # COMPRIS_TRIAGE_ACCURATE=off in the tests
        page = Agent(client, world.agent.email).get("/cases/1").text
        assert 'class="triage"' in page
        assert "tri-refined" not in page
