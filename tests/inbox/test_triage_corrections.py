from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from compris.kit.errors import Invalid
from compris.models import Case, Message, TriageCorrection, User
from compris.triage import actions
from compris.triage.step import workspace_corrections, workspace_model_dir
from tests.conftest import World
from tests.inbox.test_ingest import _deliver


def _message(world: World, text: str) -> int:
    _deliver(world, world.payload(text, author="noa"))
    world.run_jobs()
    with world.runtime.db.transaction() as s:
        return s.scalars(select(Message.id).order_by(Message.id.desc())).first() or 0


def _correct(world: World, message_id: int, field: str, label: str) -> None:
    with world.runtime.db.transaction() as s:
        agent, message = s.get(User, world.agent.id), s.get(Message, message_id)
        assert agent is not None and message is not None
        actions.correct_triage(s, world.runtime.publisher, actor=agent, message=message, field=field, label=label)


def test_a_correction_is_stored_and_shown_at_once(world: World) -> None:
    # given a message triaged as a question
    message_id = _message(world, "Is the lounge open at CDG terminal 2?")
    # when an agent says it is praise
    _correct(world, message_id, "intent", "praise")
    # then the message and its case show the corrected label, and the correction is kept for training
    with world.runtime.db.transaction() as s:
        message = s.get(Message, message_id)
        case = s.scalars(select(Case)).one()
        assert message is not None
        assert message.triage["intent"] == "praise"
        assert message.triage["corrected"]["intent"]["label"] == "praise"
        assert case.triage["intent"] == "praise"
        correction = s.scalars(select(TriageCorrection)).one()
        assert (correction.field, correction.label, correction.user_id) == ("intent", "praise", world.agent.id)
        assert correction.text == "Is the lounge open at CDG terminal 2?"


@pytest.mark.parametrize(("field", "label"), [("intent", "angry"), ("mood", "negative"), ("language", "klingon")])
def test_an_unknown_field_or_label_is_refused(world: World, field: str, label: str) -> None:
    message_id = _message(world, "Hello")
    with pytest.raises(Invalid):
        _correct(world, message_id, field, label)


def test_the_latest_correction_per_message_and_field_is_used_for_training(world: World) -> None:
    first = _message(world, "Vol annulé, je veux être remboursé")
    _correct(world, first, "topic", "refund")
    _correct(world, first, "topic", "cancellation")
    _correct(world, first, "sentiment", "negative")
    with world.runtime.db.transaction() as s:
        rows = sorted(workspace_corrections(s, world.workspace_id))
    assert rows == [
        ("Vol annulé, je veux être remboursé", "sentiment", "negative"),
        ("Vol annulé, je veux être remboursé", "topic", "cancellation"),
    ]


def test_triage_train_for_a_workspace_uses_its_corrections(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from compris.cli import app
    from compris.config import get_settings
    from compris.triage import training

    message_id = _message(world, "Where is my suitcase?")
    _correct(world, message_id, "topic", "baggage")
    seen: dict[str, Any] = {}

    class Report:
        def to_dict(self) -> dict[str, Any]:
            return {"ok": True}

    def fake_train(data_dir: Path, out_dir: Path, corrections: Any, **kwargs: Any) -> Report:
        seen["out"], seen["corrections"] = out_dir, list(corrections)
        return Report()

    monkeypatch.setattr(training, "train", fake_train)
    monkeypatch.setenv("COMPRIS_DATABASE_URL", world.runtime.settings.database_url)
    monkeypatch.setenv("COMPRIS_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["triage", "train", "--workspace", "acme", "--data", str(tmp_path)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert seen["corrections"] == [("Where is my suitcase?", "topic", "baggage")]
    assert seen["out"] == workspace_model_dir(tmp_path, world.workspace_id)


def test_the_labels_are_listed_once_and_every_reader_agrees() -> None:
    from compris.triage import training
    from compris.triage.core import INTENTS
    from compris.triage.labels import TRIAGE_LABELS
    from compris.triage.rules import TOPICS
    from compris.web.pages.render import LABELS

    assert (TRIAGE_LABELS["intent"], TRIAGE_LABELS["topic"]) == (INTENTS, TOPICS)
    for field in ("intent", "sentiment", "topic", "urgency"):
        assert set(LABELS[field]) == set(TRIAGE_LABELS[field]), field  # the page shows each one
        assert training._VALID_LABELS[field] == frozenset(TRIAGE_LABELS[field]), field
