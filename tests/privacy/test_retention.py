"""Retention: each kind removed exactly when due and not before, active cases untouched, files gone from disk,
the preview equal to what a run removes, a second run removing nothing, small batches, the reports unchanged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from compris.analytics import queries as figures
from compris.events import RetentionApplied, RetentionPolicyChanged
from compris.kit.clock import now
from compris.kit.errors import Invalid
from compris.models import (
    AuditEntry,
    Case,
    CaseEvent,
    ClusterItem,
    Message,
    RawEvent,
    RetentionPolicy,
    TriageCorrection,
    Upload,
    User,
)
from compris.privacy import retention_queries as q
from compris.privacy.actions import retention
from tests.analytics.helpers import catch_up, period, rebuild, snapshot
from tests.conftest import World
from tests.privacy.retention_helpers import (
    audit_entry,
    clear_audit_log,
    closed_case,
    fake_audit_purge,
    file_exists,
    raw_event,
    stored_file,
)

DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def _audit_purge(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_audit_purge(monkeypatch)


def set_policy(world: World, **days: int | None) -> None:
    with world.runtime.db.transaction() as s:
        actor = s.get(User, world.admin.id)
        assert actor is not None
        retention.save_policy(s, None, actor=actor, values=days)


def run(world: World, at: object, batch: int = retention.BATCH) -> q.Counts:
    result = retention.apply(world.runtime.db, world.workspace_id, data_dir=world.runtime.settings.data_dir,
                             at=at, batch=batch)  # type: ignore[arg-type]
    return result.counts


def preview(world: World, at: object) -> q.Counts:
    with world.runtime.db.transaction() as s:
        return q.preview(s, world.workspace_id, at=at).counts()  # type: ignore[arg-type]


def test_messages_lose_their_content_exactly_when_due_and_only_in_closed_cases(world: World) -> None:
    t0 = now() - timedelta(days=1)
    with world.runtime.db.transaction() as s:
        closed = closed_case(s, world, t0, status="closed").id
        resolved = closed_case(s, world, t0, status="resolved").id
        open_ = closed_case(s, world, t0, status="open").id
        snoozed = closed_case(s, world, t0, status="snoozed").id
    set_policy(world, messages_days=30)
    # exactly 30 days old: not yet ("older than")
    assert run(world, t0 + 30 * DAY).messages == 0
    counts = run(world, t0 + 30 * DAY + timedelta(seconds=1))
    assert counts.messages == 4  # two messages in each closed or resolved case
    with world.runtime.db.transaction() as s:
        for case_id in (closed, resolved):
            rows = list(s.scalars(select(Message).where(Message.case_id == case_id)))
            assert len(rows) == 2
            for m in rows:
                assert m.text == "" and m.content_removed_at is not None and m.permalink is None
                assert m.author_identity_id is None
                assert all(a == {"kind": "image", "state": "removed", "reason": "retention"} for a in m.attachments)
                assert "personal_data" not in m.triage
            inbound = next(m for m in rows if m.direction == "inbound")
            assert inbound.triage["intent"] == "complaint" and inbound.triage["sentiment"] == "negative"
            assert inbound.created_at is not None
            outbound = next(m for m in rows if m.direction == "outbound")
            assert outbound.author_user_id == world.agent.id
            case = s.get(Case, case_id)
            assert case is not None and case.preview == "" and "personal_data" not in case.triage
            assert case.triage["intent"] == "complaint"
        for case_id in (open_, snoozed):
            rows = list(s.scalars(select(Message).where(Message.case_id == case_id)))
            assert all(m.text and m.content_removed_at is None for m in rows)
            case = s.get(Case, case_id)
            assert case is not None and case.preview == "My order"


def test_a_closed_case_with_recent_activity_keeps_its_messages(world: World) -> None:
    t0 = now() - timedelta(days=1)
    with world.runtime.db.transaction() as s:
        case = closed_case(s, world, t0)
        case.last_activity_at = t0 + 20 * DAY  # reopened then resolved again later
    set_policy(world, messages_days=30)
    assert run(world, t0 + 31 * DAY).messages == 0
    assert run(world, t0 + 50 * DAY + timedelta(seconds=1)).messages == 2


def test_files_are_deleted_from_disk_and_marked_removed_when_due(world: World) -> None:
    t0 = now() - timedelta(days=1)
    with world.runtime.db.transaction() as s:
        case = closed_case(s, world, t0)
        inbound = s.scalars(select(Message).where(Message.case_id == case.id, Message.direction == "inbound")).one()
        old = stored_file(s, world, inbound, t0, "old")
        active = closed_case(s, world, t0, status="open")
        kept_msg = s.scalars(select(Message).where(Message.case_id == active.id,
                                                   Message.direction == "inbound")).one()
        kept = stored_file(s, world, kept_msg, t0, "kept")
        message_id = inbound.id
    set_policy(world, attachments_days=7)
    assert file_exists(world, old)
    assert run(world, t0 + 7 * DAY).attachments == 0
    assert file_exists(world, old)
    assert run(world, t0 + 7 * DAY + timedelta(seconds=1)).attachments == 1
    assert not file_exists(world, old)
    assert file_exists(world, kept)  # an active case's file stays
    with world.runtime.db.transaction() as s:
        assert s.get(Upload, old.id) is None
        assert s.get(Upload, kept.id) is not None
        m = s.get(Message, message_id)
        assert m is not None and m.text  # only the file went: the message keeps its text
        removed = [a for a in m.attachments if a.get("state") == "removed"]
        assert removed == [{"kind": "image", "state": "removed", "reason": "retention", "name": "old.png",
                            "mime_type": "image/png", "size": old.size}]
        assert not any(a.get("upload_id") == old.id for a in m.attachments)


def test_a_file_whose_bytes_another_upload_still_names_stays_on_disk(world: World) -> None:
    t0 = now() - timedelta(days=1)
    with world.runtime.db.transaction() as s:
        old_case = closed_case(s, world, t0)
        m1 = s.scalars(select(Message).where(Message.case_id == old_case.id, Message.direction == "inbound")).one()
        old = stored_file(s, world, m1, t0, "same")
        new_case_ = closed_case(s, world, t0 + 20 * DAY, status="open")
        m2 = s.scalars(select(Message).where(Message.case_id == new_case_.id,
                                             Message.direction == "inbound")).one()
        # the same bytes under another name (another row, one file)
        from compris.uploads.actions import store_file
        other = store_file(s, world.runtime.settings.data_dir, workspace_id=world.workspace_id, uploaded_by_id=None,
                           data=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"same" * 8, name="copy.png",
                           max_bytes=1_000_000)
        other.message_id = m2.id
        assert other.sha256 == old.sha256
    set_policy(world, attachments_days=7)
    assert run(world, t0 + 8 * DAY).attachments == 1
    assert file_exists(world, old)  # still named by the other row


def test_a_message_removed_takes_its_files_with_it(world: World) -> None:
    t0 = now() - timedelta(days=1)
    with world.runtime.db.transaction() as s:
        case = closed_case(s, world, t0)
        inbound = s.scalars(select(Message).where(Message.case_id == case.id, Message.direction == "inbound")).one()
        upload = stored_file(s, world, inbound, t0, "photo")
    set_policy(world, messages_days=30)  # attachments kept for ever, but the message's content goes
    assert preview(world, t0 + 31 * DAY) == q.Counts(messages=2, attachments=1)
    assert run(world, t0 + 31 * DAY) == q.Counts(messages=2, attachments=1)
    assert not file_exists(world, upload)


def test_raw_events_processed_go_set_aside_wait_pending_stay(world: World) -> None:
    t0 = now() - timedelta(days=1)
    with world.runtime.db.transaction() as s:
        processed = raw_event(s, world, t0, "processed", "a").id
        set_aside = raw_event(s, world, t0, "unprocessable", "b").id
        pending = raw_event(s, world, t0, "pending", "c").id
    set_policy(world, raw_events_days=2)
    assert run(world, t0 + 2 * DAY).raw_events == 0
    assert run(world, t0 + 2 * DAY + timedelta(seconds=1)).raw_events == 1
    with world.runtime.db.transaction() as s:
        assert s.get(RawEvent, processed) is None and s.get(RawEvent, set_aside) is not None
    # a delivery set aside stays at least SET_ASIDE_MIN_DAYS (for a replay after a fix)
    assert run(world, t0 + q.SET_ASIDE_MIN_DAYS * DAY + timedelta(seconds=1)).raw_events == 1
    with world.runtime.db.transaction() as s:
        assert s.get(RawEvent, set_aside) is None and s.get(RawEvent, pending) is not None
    assert run(world, t0 + 3650 * DAY).raw_events == 0


def test_audit_entries_older_than_the_period_are_purged(world: World) -> None:
    t0 = now() - timedelta(days=400)
    clear_audit_log(world)
    with world.runtime.db.transaction() as s:
        old = audit_entry(s, world, t0).id
        recent = audit_entry(s, world, t0 + 10 * DAY).id
    set_policy(world, audit_days=30)
    assert preview(world, t0 + 30 * DAY).audit_entries == 0
    assert run(world, t0 + 30 * DAY).audit_entries == 0
    assert preview(world, t0 + 30 * DAY + timedelta(seconds=1)).audit_entries == 1
    assert run(world, t0 + 30 * DAY + timedelta(seconds=1)).audit_entries == 1
    with world.runtime.db.transaction() as s:
        assert s.get(AuditEntry, old) is None and s.get(AuditEntry, recent) is not None


def test_the_audit_chain_is_cut_only_before_its_first_kept_entry(world: World) -> None:
    t0 = now() - timedelta(days=400)
    clear_audit_log(world)
    with world.runtime.db.transaction() as s:
        first = audit_entry(s, world, t0).id
        audit_entry(s, world, t0 + 100 * DAY)  # a newer entry between two old ones in the chain
        late = audit_entry(s, world, t0).id
    set_policy(world, audit_days=30)
    at = t0 + 50 * DAY
    assert preview(world, at).audit_entries == 1
    assert run(world, at).audit_entries == 1
    with world.runtime.db.transaction() as s:
        assert s.get(AuditEntry, first) is None and s.get(AuditEntry, late) is not None


def _everything(world: World, t0: object) -> None:
    """Three closed cases of two customer messages and a file each, three processed deliveries, three audit entries
    (400 days older: the policies below keep them 365 days), and an open case."""
    clear_audit_log(world)
    with world.runtime.db.transaction() as s:
        for i in range(3):
            case = closed_case(s, world, t0, inbound_messages=2)  # type: ignore[arg-type]
            inbound = s.scalars(select(Message).where(Message.case_id == case.id,
                                                      Message.direction == "inbound")).first()
            assert inbound is not None
            stored_file(s, world, inbound, t0, f"f{i}")  # type: ignore[arg-type]
            raw_event(s, world, t0, "processed", f"r{i}")  # type: ignore[arg-type]
            audit_entry(s, world, t0 - 400 * DAY)  # type: ignore[operator]
        closed_case(s, world, t0, status="open")  # type: ignore[arg-type]


def test_the_preview_is_what_the_run_removes_and_a_second_run_removes_nothing(world: World) -> None:
    t0 = now() - timedelta(days=1)
    _everything(world, t0)
    set_policy(world, messages_days=30, attachments_days=7, raw_events_days=1, audit_days=365)
    at = t0 + 31 * DAY
    with world.runtime.db.transaction() as s:
        shown = q.preview(s, world.workspace_id, at=at)
    assert shown.counts() == q.Counts(messages=9, attachments=3, raw_events=3, audit_entries=3)
    assert all(d.oldest is not None and abs((d.oldest - t0).total_seconds()) < 1 for d in shown.items
               if d.kind != "audit_entries")
    assert shown.of("audit_entries").oldest == t0 - 400 * DAY
    dry = retention.apply(world.runtime.db, world.workspace_id, data_dir=world.runtime.settings.data_dir, at=at,
                          dry_run=True)
    assert dry.counts == shown.counts()
    assert preview(world, at) == shown.counts()  # the dry run removed nothing
    assert run(world, at) == shown.counts()
    with world.runtime.db.transaction() as s:
        policy = s.scalar(select(RetentionPolicy).where(RetentionPolicy.workspace_id == world.workspace_id))
        assert policy is not None and policy.last_run_at == at
        assert policy.last_run == {"messages": 9, "attachments": 3, "raw_events": 3, "audit_entries": 3}
    assert preview(world, at) == q.Counts()
    assert run(world, at) == q.Counts()


def test_small_batches_remove_the_same(world: World) -> None:
    t0 = now() - timedelta(days=1)
    _everything(world, t0)
    set_policy(world, messages_days=30, attachments_days=7, raw_events_days=1, audit_days=365)
    at = t0 + 31 * DAY
    expected = preview(world, at)
    assert run(world, at, batch=2) == expected
    assert preview(world, at) == q.Counts()
    with world.runtime.db.transaction() as s:
        left = s.scalar(select(func.count()).select_from(Message).where(
            Message.workspace_id == world.workspace_id, Message.content_removed_at.is_(None)))
        assert left == 2  # the open case's


def test_each_run_emits_retention_applied_and_the_policy_change_is_recorded(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    emitted: list[object] = []
    real_emit = retention.bus.emit

    def emit(session: object, publisher: object, event: object) -> None:
        emitted.append(event)
        real_emit(session, publisher, event)  # type: ignore[arg-type]

    monkeypatch.setattr(retention.bus, "emit", emit)
    set_policy(world, raw_events_days=5)
    set_policy(world, raw_events_days=5)  # the same again: nothing recorded
    run(world, now())
    with world.runtime.db.transaction() as s:
        changes = [e for e in s.scalars(select(CaseEvent).where(CaseEvent.workspace_id == world.workspace_id,
                                                                CaseEvent.kind == "settings_changed"))
                   if e.data.get("entity") == "retention_policy"]
        assert len(changes) == 1
        assert changes[0].data["before"]["raw_events_days"] is None
        assert changes[0].data["after"]["raw_events_days"] == 5
    assert [type(e) for e in emitted] == [RetentionPolicyChanged, RetentionApplied]
    changed, applied = emitted
    assert isinstance(changed, RetentionPolicyChanged) and changed.after["raw_events_days"] == 5
    assert changed.actor_user_id == world.admin.id
    assert isinstance(applied, RetentionApplied) and applied.workspace_id == world.workspace_id
    assert applied.raw_events == 0


def test_the_reports_give_the_same_figures_after_removal(world: World) -> None:
    t0 = now() - timedelta(days=40)
    _everything(world, t0)
    with world.runtime.db.transaction() as s:
        # the cases' timelines, as the inbox would have left them, so that the figures have something to count
        for case in s.scalars(select(Case).where(Case.workspace_id == world.workspace_id)):
            case.first_inbound_at = t0
    rebuild(world)
    catch_up(world)
    filters = period(t0.date() - DAY, (t0 + 2 * DAY).date())
    with world.runtime.db.transaction() as s:
        volume_before = figures.volume(s, world.workspace_id, filters)
        times_before = figures.response_times(s, world.workspace_id, filters)
    cells_before = snapshot(world)
    assert volume_before.messages == 7 and volume_before.new_cases == 4
    set_policy(world, messages_days=30, attachments_days=7)
    assert run(world, now()).messages == 9
    rebuild(world)
    catch_up(world)
    with world.runtime.db.transaction() as s:
        assert figures.volume(s, world.workspace_id, filters) == volume_before
        assert figures.response_times(s, world.workspace_id, filters) == times_before
    assert snapshot(world) == cells_before
    assert cells_before  # there were figures to compare


@pytest.mark.parametrize(("field", "value", "message"), [
    ("messages_days", 29, "at least 30 days"),
    ("audit_days", 10, "at least 30 days"),
    ("raw_events_days", 0, "at least 1 day "),
    ("attachments_days", "abc", "whole number"),
    ("attachments_days", -3, "at least 7 days"),
    ("messages_days", 40000, "at most 36500 days"),
])
def test_bad_periods_are_refused(world: World, field: str, value: object, message: str) -> None:
    with pytest.raises(Invalid) as caught, world.runtime.db.transaction() as s:
        actor = s.get(User, world.admin.id)
        assert actor is not None
        retention.save_policy(s, None, actor=actor, values={field: value})
    assert caught.value.status_code == 422 and message in caught.value.message
    assert isinstance(caught.value, retention.PeriodInvalid) and caught.value.field == field


def test_empty_means_for_ever(world: World) -> None:
    set_policy(world, messages_days="", attachments_days=None)  # type: ignore[arg-type]
    with world.runtime.db.transaction() as s:
        assert q.periods_of(s, world.workspace_id) == q.Periods()


def test_a_run_cut_short_is_finished_by_the_next(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    t0 = now() - timedelta(days=1)
    _everything(world, t0)
    set_policy(world, messages_days=30, attachments_days=7, raw_events_days=1, audit_days=365)
    at = t0 + 31 * DAY
    expected = preview(world, at)
    real = retention._empty_cases
    calls = {"n": 0}

    def crash_on_the_second_batch(session: object, case_ids: list[int]) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the worker died")
        real(session, case_ids)  # type: ignore[arg-type]

    monkeypatch.setattr(retention, "_empty_cases", crash_on_the_second_batch)
    with pytest.raises(RuntimeError):
        run(world, at, batch=2)
    monkeypatch.setattr(retention, "_empty_cases", real)
    left = preview(world, at)
    assert left.attachments == 0 and left.messages == expected.messages - 2  # the first batch of messages stayed done
    assert left.raw_events == expected.raw_events  # not reached
    second = run(world, at, batch=2)
    assert second == q.Counts(messages=left.messages, raw_events=left.raw_events, audit_entries=left.audit_entries)
    assert preview(world, at) == q.Counts()


def test_the_copies_of_a_removed_message_text_go_too(world: World) -> None:
    t0 = now() - timedelta(days=1)
    with world.runtime.db.transaction() as s:
        case = closed_case(s, world, t0)
        inbound = s.scalars(select(Message).where(Message.case_id == case.id, Message.direction == "inbound")).one()
        s.add(TriageCorrection(workspace_id=world.workspace_id, message_id=inbound.id, field="intent",
                               label="question", text=inbound.text))
        s.add(ClusterItem(workspace_id=world.workspace_id, message_id=inbound.id, case_id=case.id, received_at=t0,
                          state="member", signature={"order": 1.0}, vector=b"\x00\x01"))
    set_policy(world, messages_days=30)
    assert run(world, t0 + 31 * DAY).messages == 2
    with world.runtime.db.transaction() as s:
        correction = s.scalars(select(TriageCorrection)).one()
        assert correction.text == "" and correction.label == "question"
        item = s.scalars(select(ClusterItem)).one()
        assert item.signature == {} and item.vector is None
