"""Re-scoring with the accurate triage path in the background (job ``triage.refine``).

The accurate path is a fake (:class:`FakeModels`): the shipped fast models with controlled fast and accurate
probabilities, so these tests neither load the encoder nor depend on the shipped ``tuned_e5.npz``.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from sqlalchemy import select

from compris.inbox import actions as inbox_actions
from compris.inbox.ingest import PROCESS_RAW_EVENT
from compris.kit.clock import now
from compris.models import Case, CaseEvent, Job, JobStatus, Message, User
from compris.triage import TriageModels, actions, load_models, triage
from compris.triage import step as triage_step
from compris.triage.refine import (
    REFINE_TRIAGE,
    UNSURE_INTENT_CONFIDENCE,
    UNSURE_SENTIMENT_CONFIDENCE,
    is_unsure,
    wants_refinement,
)
from compris.worker.queue import claim, run_job
from tests.conftest import World
from tests.inbox.test_ingest import _deliver

UNSURE_TEXT = "About the seat I had on that Tuesday, maybe"  # "maybe": the fake fast path is unsure
SURE_TEXT = "About the seat I had on that Tuesday"


@dataclass
class FakeModels(TriageModels):
    """The shipped models, with a fast path unsure of texts containing "maybe" (neutral at 0.5, else 0.9) and an
    accurate path that reads every text as a negative complaint (0.9)."""

    accurate: bool = True
    fail: bool = False
    accurate_calls: int = 0

    @property
    def has_accurate_path(self) -> bool:
        return self.accurate

    def fast_scores(self, text: str) -> tuple[npt.NDArray[np.float64], float, npt.NDArray[np.float64]]:
        classes = self.sentiment.classes
        neutral = 0.5 if "maybe" in text else 0.9
        p_sent = np.full(len(classes), (1.0 - neutral) / (len(classes) - 1))
        p_sent[classes.index("neutral")] = neutral
        p_topic = np.full(len(self.topic.classes), 1.0 / len(self.topic.classes))
        return p_sent, 0.05, p_topic

    def accurate_scores(
        self, texts: list[str], p_sent: npt.NDArray[np.float64], p_comp: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        if self.fail:
            raise RuntimeError("the encoder broke")
        self.accurate_calls += len(texts)
        classes = self.sentiment.classes
        sent = np.full((len(texts), len(classes)), 0.05)
        sent[:, classes.index("negative")] = 0.9
        return sent, np.full(len(texts), 0.9)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeModels:
    real = load_models()
    fields = {f.name: getattr(real, f.name) for f in dataclasses.fields(real) if not f.name.startswith("_")}
    models = FakeModels(**fields)
    seen: list[int] = []

    def workspace_models(workspace_id: int, data_dir: Path | None = None) -> TriageModels:
        seen.append(workspace_id)
        return models

    monkeypatch.setattr(triage_step, "workspace_models", workspace_models)
    return models


def _mode(world: World, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    monkeypatch.setattr(world.runtime.settings, "triage_accurate", mode)


def _run_inbound_jobs(world: World) -> None:
    """Only the inbound jobs (what the webhook enqueued), not the refinements they enqueue."""
    while (job := claim(world.runtime.db, "test", kinds=(PROCESS_RAW_EVENT,))) is not None:
        run_job(world.runtime.services, job)


def _refine_jobs(world: World) -> list[Job]:
    with world.runtime.db.transaction() as s:
        return list(s.scalars(select(Job).where(Job.kind == REFINE_TRIAGE).order_by(Job.id)))


def _message(world: World, message_id: int | None = None) -> Message:
    with world.runtime.db.transaction() as s:
        query = select(Message).order_by(Message.id.desc()) if message_id is None else select(Message).where(
            Message.id == message_id)
        message = s.scalars(query).first()
        assert message is not None
        s.expunge(message)
        return message


def _case(world: World) -> Case:
    with world.runtime.db.transaction() as s:
        case = s.scalars(select(Case)).one()
        s.expunge(case)
        return case


# --- when a message is unsure ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("triage", "unsure"),
    [
        ({"sentiment_confidence": 0.9, "intent": "question", "intent_confidence": 0.7}, False),
        ({"sentiment_confidence": UNSURE_SENTIMENT_CONFIDENCE - 0.01, "intent": "question"}, True),
        ({"sentiment_confidence": 0.9, "intent": "complaint", "intent_confidence": 0.55}, True),
        ({"sentiment_confidence": 0.9, "intent": "other", "intent_confidence": UNSURE_INTENT_CONFIDENCE}, False),
        ({"sentiment_confidence": 0.9, "intent": "request", "intent_confidence": 0.5}, False),  # a rule decided
        ({"intent": "other"}, True),  # no confidence at all
    ],
)
def test_the_fast_path_is_unsure_below_the_thresholds(triage: dict[str, Any], unsure: bool) -> None:
    assert is_unsure(triage) is unsure


def test_failed_or_already_accurate_triage_is_not_refined() -> None:
    assert not wants_refinement({"error": "boom", "priority": 0}, "all")
    assert not wants_refinement({"path": "accurate", "sentiment_confidence": 0.3}, "all")
    assert not wants_refinement({}, "all")
    assert not wants_refinement({"sentiment_confidence": 0.3}, "off")
    assert wants_refinement({"sentiment_confidence": 0.9, "intent": "praise"}, "all")


@pytest.mark.parametrize(
    ("mode", "text", "enqueued"),
    [("off", UNSURE_TEXT, False), ("unsure", UNSURE_TEXT, True), ("unsure", SURE_TEXT, False),
     ("all", SURE_TEXT, True)],
)
def test_the_inbound_job_enqueues_a_refinement_per_setting(
    world: World, fake: FakeModels, monkeypatch: pytest.MonkeyPatch, mode: str, text: str, enqueued: bool
) -> None:
    # given the setting, when a customer writes
    _mode(world, monkeypatch, mode)
    _deliver(world, world.payload(text, author="noa"))
    _run_inbound_jobs(world)
    # then a triage.refine job exists in the same commit as the message, or none
    message = _message(world)
    jobs = _refine_jobs(world)
    assert message.triage["path"] == "fast"
    if enqueued:
        assert [j.payload for j in jobs] == [{"message_id": message.id, "workspace_id": world.workspace_id}]
        assert jobs[0].workspace_id == world.workspace_id
    else:
        assert jobs == []
    assert fake.accurate_calls == 0  # the inbound job never runs (nor loads) the accurate path


def test_nothing_is_enqueued_without_an_accurate_path(
    world: World, fake: FakeModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.accurate = False
    _mode(world, monkeypatch, "all")
    _deliver(world, world.payload(UNSURE_TEXT, author="noa"))
    assert world.run_jobs() == 1  # the inbound job only, without an error
    assert _refine_jobs(world) == []
    assert _message(world).triage["path"] == "fast"


def test_our_own_accounts_echo_is_not_refined(world: World, fake: FakeModels, monkeypatch: pytest.MonkeyPatch) -> None:
    _mode(world, monkeypatch, "all")
    first = world.payload(SURE_TEXT, author="noa")
    _deliver(world, first)
    _run_inbound_jobs(world)
    echo = world.payload("We are on it, maybe", author="brand-acme", thread=first["data"]["thread_id"])
    _deliver(world, echo)
    _run_inbound_jobs(world)
    with world.runtime.db.transaction() as s:
        directions = [m.direction for m in s.scalars(select(Message).order_by(Message.id))]
    assert directions == ["inbound", "outbound"]
    assert len(_refine_jobs(world)) == 1  # the customer's message only


# --- the job ---------------------------------------------------------------------------------------


def test_the_job_refines_the_message_and_its_case(
    world: World, fake: FakeModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    _mode(world, monkeypatch, "unsure")
    published: list[tuple[str, dict[str, Any]]] = []
    original = world.runtime.publisher.publish

    def publish(session: Any, workspace_id: int, kind: str, **data: Any) -> None:
        published.append((kind, data))
        original(session, workspace_id, kind, **data)

    monkeypatch.setattr(world.runtime.publisher, "publish", publish)
    # given a message the fast path was unsure of (neutral at 0.5, "other")
    _deliver(world, world.payload(UNSURE_TEXT, author="noa", promoted=True))
    _run_inbound_jobs(world)
    fast = _message(world).triage
    assert (fast["sentiment"], fast["intent"], fast["path"]) == ("neutral", "other", "fast")
    # when the refinement runs
    world.run_jobs()
    # then the message shows the accurate triage, with what the fast path said
    message, case = _message(world), _case(world)
    refined = message.triage
    assert (refined["sentiment"], refined["intent"], refined["path"]) == ("negative", "complaint", "accurate")
    assert refined["refined"]["was"]["sentiment"] == "neutral"
    assert refined["refined"]["was"]["intent"] == "other"
    assert refined["refined"]["was"]["priority"] == fast["priority"] < refined["priority"]
    assert refined["personal_data"] == fast["personal_data"] and refined["language"] == fast["language"]
    # with the same reach inputs as the inbound triage (followers from the identity, promoted from the message)
    assert refined["reach"] == fast["reach"]
    assert refined["reach"]["followers"] == 10 and refined["reach"]["promoted"] is True
    # and the case, whose triage came from this message, follows
    assert case.triage == refined
    assert case.priority == refined["priority"]
    assert fake.accurate_calls == 1
    with world.runtime.db.transaction() as s:
        events = [e.kind for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))]
    assert "triage_refined" in events
    assert ("case", {"case_id": case.id, "number": case.number, "change": "triage", "status": case.status,
                     "assignee_id": case.assignee_id, "message_id": message.id}) in published
    assert [j.status for j in _refine_jobs(world)] == [JobStatus.DONE]


def test_the_workspaces_own_models_are_used(tmp_path: Path) -> None:
    import shutil

    from compris.triage.models import default_model_dir

    own = triage_step.workspace_model_dir(tmp_path, 7)
    shutil.copytree(default_model_dir(), own, ignore=shutil.ignore_patterns("tuned_e5.npz"))
    assert triage_step.workspace_models(7, tmp_path).path == own.resolve()
    assert triage_step.workspace_models(8, tmp_path).path != own.resolve()


def test_an_agents_correction_wins(world: World, fake: FakeModels, monkeypatch: pytest.MonkeyPatch) -> None:
    _mode(world, monkeypatch, "unsure")
    _deliver(world, world.payload(UNSURE_TEXT, author="noa"))
    _run_inbound_jobs(world)
    message_id = _message(world).id
    # given an agent said the sentiment is positive before the refinement ran
    with world.runtime.db.transaction() as s:
        agent, message = s.get(User, world.agent.id), s.get(Message, message_id)
        assert agent is not None and message is not None
        actions.correct_triage(s, world.runtime.publisher, actor=agent, message=message, field="sentiment",
                               label="positive")
    # when the accurate path (which says negative) refines it
    world.run_jobs()
    # then the correction stays, the other labels are refined, and the priority counts the corrected label
    triage = _message(world, message_id).triage
    assert triage["path"] == "accurate"
    assert triage["sentiment"] == "positive"
    assert triage["corrected"]["sentiment"]["label"] == "positive"
    assert triage["intent"] == "complaint"
    assert "negative" not in triage["reasons"] and "positive" in triage["reasons"]
    assert "sentiment" not in triage["refined"]["was"]
    assert _case(world).triage == triage


def test_the_job_is_idempotent(world: World, fake: FakeModels, monkeypatch: pytest.MonkeyPatch) -> None:
    _mode(world, monkeypatch, "unsure")
    _deliver(world, world.payload(UNSURE_TEXT, author="noa"))
    world.run_jobs()
    once = _message(world)
    # when the same refinement runs again (a worker lost its lease), and the action is called again
    with world.runtime.db.transaction() as s:
        job = s.scalars(select(Job).where(Job.kind == REFINE_TRIAGE)).one()
        job.status, job.locked_until = JobStatus.QUEUED, None
    world.run_jobs()
    result = triage(once.text, models=fake, accurate=True)
    with world.runtime.db.transaction() as s:
        message = s.get(Message, once.id)
        assert message is not None
        assert actions.refine_triage(s, world.runtime.publisher, message=message, result=result) is False
    # then nothing changed and the model ran once
    assert _message(world, once.id).triage == once.triage
    assert fake.accurate_calls == 2  # once by the job, once above; the second run of the job did not re-score
    with world.runtime.db.transaction() as s:
        events = [e.kind for e in s.scalars(select(CaseEvent))]
    assert events.count("triage_refined") == 1


def test_a_deleted_message_is_skipped(world: World, fake: FakeModels, monkeypatch: pytest.MonkeyPatch) -> None:
    _mode(world, monkeypatch, "unsure")
    _deliver(world, world.payload(UNSURE_TEXT, author="noa"))
    _run_inbound_jobs(world)
    message_id = _message(world).id
    with world.runtime.db.transaction() as s:
        message = s.get(Message, message_id)
        assert message is not None
        inbox_actions.mark_deleted(s, world.runtime.publisher, message, now())
    world.run_jobs()
    assert _message(world, message_id).triage["path"] == "fast"
    assert fake.accurate_calls == 0
    assert [j.status for j in _refine_jobs(world)] == [JobStatus.DONE]


def test_a_failure_is_logged_and_keeps_the_fast_triage(
    world: World, fake: FakeModels, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail = True
    _mode(world, monkeypatch, "unsure")
    _deliver(world, world.payload(UNSURE_TEXT, author="noa"))
    _run_inbound_jobs(world)
    fast = _message(world).triage
    with caplog.at_level(logging.ERROR):
        world.run_jobs()
    assert _message(world).triage == fast
    assert _case(world).triage == fast
    job = _refine_jobs(world)[0]
    assert job.status == JobStatus.QUEUED and "the encoder broke" in (job.last_error or "")  # retried later
    assert any("triage.refine" in r.getMessage() for r in caplog.records)


def test_the_case_keeps_a_newer_messages_triage(
    world: World, fake: FakeModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    _mode(world, monkeypatch, "unsure")
    # given an unsure message, then a newer (sure) one on the same case before the refinement ran
    _deliver(world, world.payload(UNSURE_TEXT, author="noa"))
    _run_inbound_jobs(world)
    first = _message(world).id
    _deliver(world, world.payload(SURE_TEXT, author="noa"))
    _run_inbound_jobs(world)
    second = _message(world)
    assert second.id != first and second.case_id == _message(world, first).case_id
    # when the first is refined
    world.run_jobs()
    # then the first message is refined but the case keeps the newer message's triage; its priority is its most
    # urgent open need (compris.inbox.priority): the refined first message, still unanswered
    refined = _message(world, first).triage
    assert refined["path"] == "accurate"
    case = _case(world)
    assert case.triage == second.triage
    assert case.priority == max(refined["priority"], second.triage["priority"])
