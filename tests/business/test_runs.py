"""Running an action against a local stand-in of the brand's system: signed, idempotent, retried, never twice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from compris import timeline
from compris.business import actions
from compris.business.standin import StandIn
from compris.events import BusinessActionFailed, BusinessActionRequested, BusinessActionSucceeded
from compris.kit.errors import Conflict, Forbidden, NotFound
from compris.kit.signing import verify_request
from compris.models import BusinessActionRun, Case, CaseEvent, Job, RunState, User
from tests.business.helpers import flight, make_action
from tests.conftest import World
from tests.routing.helpers import inbound

INPUT = {"record_locator": "K7XQ2M", "flight_date": "2026-12-24"}


@pytest.fixture
def standin() -> Iterator[StandIn]:
    server = StandIn("not-yet", flight).start()
    yield server
    server.stop()


def _request(world: World, case_id: int, *, user: User | None = None, key: str = "rebook",
             data: dict[str, Any] | None = None, idempotency_key: str | None = None) -> int:
    with world.runtime.db.transaction() as session:
        actor = session.get(User, (user or world.agent).id)
        case = session.get(Case, case_id)
        assert actor is not None and case is not None
        run, _ = actions.request_run(session, world.runtime.publisher, actor=actor, case=case, key=key,
                                     input=dict(INPUT if data is None else data), idempotency_key=idempotency_key)
        return run.id


def _run(world: World, run_id: int) -> BusinessActionRun:
    with world.runtime.db.transaction() as session:
        run = session.get(BusinessActionRun, run_id)
        assert run is not None
        session.expunge(run)
        return run


def _events(world: World, case_id: int) -> list[CaseEvent]:
    with world.runtime.db.transaction() as session:
        rows = list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                            CaseEvent.kind.like("action_%"))
                                    .order_by(CaseEvent.id)))
        session.expunge_all()
        return rows


def test_a_signed_call_succeeds_with_the_returned_fields(world: World, standin: StandIn,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # given an action whose endpoint is the stand-in, which knows the action's secret
    _, secret = make_action(world, standin.url("/rebook"))
    standin.secret = secret
    case_id = inbound(world.runtime, world.account.id, "Please rebook me")
    emitted: list[object] = []
    from compris import bus
    real_emit = bus.emit
    monkeypatch.setattr(bus, "emit", lambda s, p, e: (emitted.append(e), real_emit(s, p, e)))
    # when the agent runs it and the worker makes the call
    run_id = _request(world, case_id)
    assert _run(world, run_id).state == RunState.QUEUED
    world.run_jobs()
    # then the stand-in verified the signature and the run holds its answer
    run = _run(world, run_id)
    assert run.state == RunState.SUCCEEDED, run.error
    assert run.result == {"flight": "AF1234", "departure": "2026-12-24 09:40", "seat": "14C"}
    assert run.http_status == 200 and run.attempts == 1
    [seen] = standin.seen
    assert seen.signature_ok and seen.idempotency_key == run.idempotency_key and seen.path == "/rebook"
    body = json.loads(seen.body)
    assert body["action"] == "rebook" and body["run_id"] == run_id and body["input"] == INPUT
    assert body["case"]["number"] >= 1 and body["case"]["network"] == "sandbox"
    assert body["requested_by"]["id"] == world.agent.id
    assert [e.kind for e in _events(world, case_id)] == [timeline.EventKind.ACTION_REQUESTED,
                                                         timeline.EventKind.ACTION_SUCCEEDED]
    assert _events(world, case_id)[1].data["result"]["flight"] == "AF1234"
    kinds = [type(e) for e in emitted if isinstance(e, BusinessActionRequested | BusinessActionSucceeded)]
    assert kinds == [BusinessActionRequested, BusinessActionSucceeded]
    [succeeded] = [e for e in emitted if isinstance(e, BusinessActionSucceeded)]
    assert succeeded.result == run.result and succeeded.http_status == 200 and succeeded.run_id == run_id


def test_a_wrong_secret_is_refused_by_the_endpoint_and_fails_for_good(world: World, standin: StandIn) -> None:
    make_action(world, standin.url())
    standin.secret = "someone-else's"
    case_id = inbound(world.runtime, world.account.id, "Please rebook me")
    run_id = _request(world, case_id)
    world.run_jobs()
    run = _run(world, run_id)
    assert run.state == RunState.FAILED and run.http_status == 401 and run.error == "invalid signature"
    assert standin.effects == 0 and not standin.seen[0].signature_ok


def test_a_timeout_is_retried_with_the_same_key_and_the_effect_runs_once(world: World) -> None:
    # the first answer comes after the caller's 0.2 s timeout; the effect already happened
    server = StandIn("x", flight, slow_first=0.6).start()
    try:
        _, server.secret = make_action(world, server.url(), timeout=0.2, attempts=3)
        case_id = inbound(world.runtime, world.account.id, "Please rebook me")
        run_id = _request(world, case_id)
        world.run_jobs()
        run = _run(world, run_id)
        assert run.state == RunState.SUCCEEDED and run.attempts == 2
        assert run.result["flight"] == "AF1234"
        assert [s.idempotency_key for s in server.seen] == [run.idempotency_key] * 2
        assert server.seen[0].body == server.seen[1].body  # byte for byte: the same request again
        assert all(s.signature_ok for s in server.seen)
        assert server.effects == 1
    finally:
        server.stop()


def test_a_4xx_answer_fails_for_good_with_its_error(world: World) -> None:
    server = StandIn("x", lambda p: (409, {"error": "<b>no seat</b> on that date"})).start()
    try:
        _, server.secret = make_action(world, server.url())
        case_id = inbound(world.runtime, world.account.id, "Please rebook me")
        run_id = _request(world, case_id)
        world.run_jobs()
        run = _run(world, run_id)
        assert run.state == RunState.FAILED and run.http_status == 409 and run.attempts == 1
        assert run.error == "<b>no seat</b> on that date"
        failed = _events(world, case_id)[-1]
        assert failed.kind == "action_failed" and failed.data["error"] == run.error
    finally:
        server.stop()


def test_5xx_is_retried_up_to_the_attempts_then_failed(world: World) -> None:
    server = StandIn("x", lambda p: (503, {"message": "down for maintenance"})).start()
    try:
        _, server.secret = make_action(world, server.url(), attempts=3)
        case_id = inbound(world.runtime, world.account.id, "Please rebook me")
        run_id = _request(world, case_id)
        world.run_jobs()
        run = _run(world, run_id)
        assert run.state == RunState.FAILED and run.attempts == 3
        assert "down for maintenance" in (run.error or "") and "gave up after 3 attempts" in (run.error or "")
        assert len(server.seen) == 3 and server.effects == 1  # the same key three times
        assert len({s.idempotency_key for s in server.seen}) == 1
    finally:
        server.stop()


def test_a_connection_error_is_retried_then_failed(world: World) -> None:
    server = StandIn("x", flight).start()
    url = server.url()
    server.stop()  # nobody listens there any more
    make_action(world, url, attempts=2)
    case_id = inbound(world.runtime, world.account.id, "Please rebook me")
    run_id = _request(world, case_id)
    world.run_jobs()
    run = _run(world, run_id)
    assert run.state == RunState.FAILED and run.attempts == 2 and "connection failed" in (run.error or "")


def test_a_run_left_running_by_a_dead_worker_is_retried_with_its_key(world: World, standin: StandIn) -> None:
    _, standin.secret = make_action(world, standin.url())
    case_id = inbound(world.runtime, world.account.id, "Please rebook me")
    run_id = _request(world, case_id)
    with world.runtime.db.transaction() as session:  # as if a worker claimed it and died mid-call
        row = session.get(BusinessActionRun, run_id)
        assert row is not None
        row.state, row.attempts = RunState.RUNNING, 1
    world.run_jobs()
    run = _run(world, run_id)
    assert run.state == RunState.SUCCEEDED and run.attempts == 2
    assert [s.idempotency_key for s in standin.seen] == [run.idempotency_key]


def test_a_finished_run_is_never_called_again(world: World, standin: StandIn) -> None:
    _, standin.secret = make_action(world, standin.url())
    case_id = inbound(world.runtime, world.account.id, "Please rebook me")
    run_id = _request(world, case_id)
    world.run_jobs()
    with world.runtime.db.transaction() as session:  # the same job delivered again (a lease that expired)
        job = session.scalar(select(Job).where(Job.kind == actions.CALL_JOB))
        assert job is not None
        job.status, job.run_at = "queued", datetime.now(UTC)
    world.run_jobs()
    assert len(standin.seen) == 1 and _run(world, run_id).attempts == 1


def test_permission_by_role_or_team(world: World, standin: StandIn) -> None:
    from tests.routing.helpers import team

    make_action(world, standin.url(), key="refund", roles=("admin",))
    case_id = inbound(world.runtime, world.account.id, "I want my money back")
    with pytest.raises(Forbidden):
        _request(world, case_id, key="refund")
    with world.runtime.db.transaction() as session:
        refunds = team(session, world.workspace_id, "Refunds")
        from compris.models import TeamMember
        session.add(TeamMember(workspace_id=world.workspace_id, team_id=refunds.id, user_id=world.agent.id))
        admin = session.get(User, world.admin.id)
        assert admin is not None
        action = actions.action_by_key(session, world.workspace_id, "refund")
        actions.update_action(session, None, actor=admin, action_id=action.id, allow_local=True,
                              team_ids=[refunds.id])
    assert _request(world, case_id, key="refund") > 0


def test_idempotency_key_returns_the_first_run_and_a_deactivated_action_refuses(world: World,
                                                                               standin: StandIn) -> None:
    action_id, _ = make_action(world, standin.url())
    case_id = inbound(world.runtime, world.account.id, "Please rebook me")
    first = _request(world, case_id, idempotency_key="abc")
    assert _request(world, case_id, idempotency_key="abc") == first
    other_case = inbound(world.runtime, world.account.id, "Another", author="cust-2")
    with pytest.raises(Conflict):  # the same key for another case
        _request(world, other_case, idempotency_key="abc")
    with world.runtime.db.transaction() as session:
        admin = session.get(User, world.admin.id)
        assert admin is not None
        actions.update_action(session, None, actor=admin, action_id=action_id, allow_local=True, is_active=False)
    with pytest.raises(Conflict, match="deactivated"):
        _request(world, case_id)


def test_another_workspaces_action_is_not_found(world: World, world_factory: Any, standin: StandIn) -> None:
    other = world_factory("globex")
    make_action(other, standin.url())
    case_id = inbound(world.runtime, world.account.id, "Please rebook me")
    with pytest.raises(NotFound):
        _request(world, case_id)


def test_endpoints_must_be_https_unless_local_ones_are_allowed(world: World) -> None:
    from compris.kit.errors import Invalid

    assert actions.check_endpoint("https://ops.example.com/x", allow_local=False)
    assert actions.check_endpoint("http://127.0.0.1:9/x", allow_local=True)
    for url, allow in [("http://ops.example.com/x", True), ("http://127.0.0.1:9/x", False), ("ftp://x", True),
                       ("https://", True)]:
        with pytest.raises(Invalid):
            actions.check_endpoint(url, allow_local=allow)


def test_the_secret_is_stored_encrypted_rotated_and_never_audited(world: World, standin: StandIn) -> None:
    action_id, secret = make_action(world, standin.url())
    with world.runtime.db.transaction() as session:
        from compris.models import BusinessAction
        action = session.get(BusinessAction, action_id)
        admin = session.get(User, world.admin.id)
        assert action is not None and admin is not None
        assert secret not in action.secret
        assert actions.signing_secret(world.runtime.settings.secret_key, action) == secret
        _, rotated = actions.rotate_secret(session, None, actor=admin, secret_key=world.runtime.settings.secret_key,
                                           action_id=action_id)
        assert rotated != secret and actions.signing_secret(world.runtime.settings.secret_key, action) == rotated
        audit = list(session.scalars(select(CaseEvent).where(CaseEvent.workspace_id == world.workspace_id,
                                                             CaseEvent.kind == "settings_changed")))
    text = json.dumps([a.data for a in audit])
    assert "business_action" in text and "secret_rotated" in text
    assert secret not in text and rotated not in text
    # calls are signed with the new secret
    standin.secret = rotated
    case_id = inbound(world.runtime, world.account.id, "Please rebook me")
    run_id = _request(world, case_id)
    world.run_jobs()
    assert _run(world, run_id).state == RunState.SUCCEEDED
    assert verify_request(rotated, None, b"", datetime.now(UTC)) is False


def test_a_failed_event_carries_the_error(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    server = StandIn("x", lambda p: (400, {"detail": "unknown booking"})).start()
    emitted: list[object] = []
    from compris import bus
    real_emit = bus.emit
    monkeypatch.setattr(bus, "emit", lambda s, p, e: (emitted.append(e), real_emit(s, p, e)))
    try:
        _, server.secret = make_action(world, server.url())
        case_id = inbound(world.runtime, world.account.id, "Please rebook me")
        _request(world, case_id)
        world.run_jobs()
    finally:
        server.stop()
    [failed] = [e for e in emitted if isinstance(e, BusinessActionFailed)]
    assert failed.error == "unknown booking" and failed.action_key == "rebook" and failed.http_status == 400


def test_a_secret_that_cannot_be_decrypted_fails_the_run_instead_of_leaving_it_running(world: World,
                                                                                     standin: StandIn) -> None:
    from compris.models import BusinessAction

    action_id, _ = make_action(world, standin.url())
    with world.runtime.db.transaction() as session:  # encrypted with another COMPRIS_SECRET_KEY
        action = session.get(BusinessAction, action_id)
        assert action is not None
        from compris.kit.crypto import encrypt_json
        action.secret = encrypt_json("another-secret-key", {"signing_secret": "x"})
    case_id = inbound(world.runtime, world.account.id, "Please rebook me")
    run_id = _request(world, case_id)
    world.run_jobs()
    run = _run(world, run_id)
    assert run.state == RunState.FAILED and "rotate it" in (run.error or "") and standin.seen == []
