"""Every write of the capability: the admin's action definitions (audited, secrets never in the audit), and the
runs agents request from a case (timeline row, domain event, the call job, the live update).

A run's life: :func:`request_run` (queued, ``BusinessActionRequested``, job ``business.call``) → the job claims
it (queued → running, :mod:`compris.business.tasks`) → :func:`record_success` or :func:`record_failure`
(``BusinessActionSucceeded`` / ``BusinessActionFailed``, their timeline rows) or back to queued for a retry.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris import audit, bus, live, timeline
from compris.business import forms, prefill
from compris.business.queries import action_by_key, get_action, may_run
from compris.events import BusinessActionFailed, BusinessActionRequested, BusinessActionSucceeded
from compris.kit.clock import now
from compris.kit.crypto import decrypt_json, encrypt_json
from compris.kit.errors import Conflict, Forbidden, Invalid
from compris.live import Publisher
from compris.models import BusinessAction, BusinessActionRun, Case, Role, RunState, Team, User
from compris.worker.queue import enqueue

CALL_JOB = "business.call"
KEY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
LANGUAGES = ("en", "fr")
NAME_MAX = 100
DESCRIPTION_MAX = 1000
TIMEOUT_MIN, TIMEOUT_MAX = 0.1, 30.0  # a call never outlives the job's 60-second lease
ATTEMPTS_MAX = 10
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
IDEMPOTENCY_MAX = 100
SECRET_FIELD = "signing_secret"  # noqa: S105 (the name of the encrypted field, not a secret)


# --- checks --------------------------------------------------------------------------------------------------


def check_endpoint(url: str, *, allow_local: bool) -> str:
    """An HTTPS URL; ``http://127.0.0.1``, ``http://localhost`` only when ``allow_local`` (the setting
    ``COMPRIS_ALLOW_LOCAL_HTTP_ENDPOINTS``, or demo mode: stand-ins for tests and the demo)."""
    url = (url or "").strip()
    if len(url) > 1000:
        raise Invalid("the endpoint URL is too long")
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        if allow_local:
            return url
        raise Invalid("a local http:// endpoint is allowed only with COMPRIS_ALLOW_LOCAL_HTTP_ENDPOINTS (tests, demo)")
    raise Invalid("the endpoint must be an https:// URL")


def _names(values: Mapping[str, Any] | None, what: str, limit: int, *, required: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    for lang, value in (values or {}).items():
        if lang not in LANGUAGES:
            raise Invalid(f"{what}: unknown language {lang!r} (en, fr)")
        text = str(value or "").strip()
        if len(text) > limit:
            raise Invalid(f"{what} has at most {limit} characters")
        if text:
            out[lang] = text
    if required and not out:
        raise Invalid(f"{what}: give at least the English or the French text")
    return out


def _roles(roles: Iterable[str]) -> list[str]:
    known = {r.value for r in Role}
    out = sorted({str(r) for r in roles})
    unknown = [r for r in out if r not in known]
    if unknown:
        raise Invalid(f"unknown roles: {', '.join(unknown)}")
    return out


def _teams(session: Session, workspace_id: int, team_ids: Iterable[int]) -> list[int]:
    ids = sorted({int(t) for t in team_ids})
    if ids:
        found = set(session.scalars(select(Team.id).where(Team.workspace_id == workspace_id, Team.id.in_(ids))))
        if found != set(ids):
            raise Invalid("no such team")
    return ids


def _timeout(value: float) -> float:
    if not TIMEOUT_MIN <= float(value) <= TIMEOUT_MAX:
        raise Invalid(f"the timeout is between {TIMEOUT_MIN:g} and {TIMEOUT_MAX:g} seconds")
    return float(value)


def _attempts(value: int) -> int:
    if not 1 <= int(value) <= ATTEMPTS_MAX:
        raise Invalid(f"attempts are between 1 and {ATTEMPTS_MAX}")
    return int(value)


def new_secret() -> str:
    return "cba_" + secrets.token_urlsafe(32)


def signing_secret(secret_key: str, action: BusinessAction) -> str:
    """The action's signing secret, decrypted (for the call only: never shown again, never audited)."""
    return decrypt_json(secret_key, action.secret).get(SECRET_FIELD, "")


def _audit(session: Session, publisher: Publisher | None, actor: User, action: str, entity_id: int,
           changes: Iterable[str] = ()) -> None:
    audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id,
                 entity="business_action", action=action, entity_id=entity_id, changes=changes)


# --- the admin's definitions ---------------------------------------------------------------------------------


def create_action(session: Session, publisher: Publisher | None, *, actor: User, secret_key: str, allow_local: bool,
                  key: str, names: Mapping[str, Any], endpoint_url: str, input_schema: Any,
                  descriptions: Mapping[str, Any] | None = None, prefill_rules: Any = None,
                  roles: Sequence[str] = (Role.SUPERVISOR, Role.ADMIN), team_ids: Sequence[int] = (),
                  timeout_seconds: float = 10.0, max_attempts: int = 5,
                  is_active: bool = True) -> tuple[BusinessAction, str]:
    """A new action and its signing secret (returned once: shown to the admin, then only stored encrypted)."""
    key = (key or "").strip()
    if not KEY.match(key):
        raise Invalid("the key is 2 to 40 lower-case letters, digits or _, starting with a letter (rebook)")
    if session.scalar(select(BusinessAction.id).where(BusinessAction.workspace_id == actor.workspace_id,
                                                      BusinessAction.key == key)) is not None:
        raise Conflict("another action has this key")
    schema = forms.check_schema(input_schema)
    secret = new_secret()
    action = BusinessAction(
        workspace_id=actor.workspace_id, key=key, names=_names(names, "the name", NAME_MAX, required=True),
        descriptions=_names(descriptions, "the description", DESCRIPTION_MAX, required=False),
        endpoint_url=check_endpoint(endpoint_url, allow_local=allow_local),
        secret=encrypt_json(secret_key, {SECRET_FIELD: secret}), input_schema=schema,
        prefill=prefill.check_rules(prefill_rules, (schema.get("properties") or {}).keys()),
        roles=_roles(roles), team_ids=_teams(session, actor.workspace_id, team_ids),
        timeout_seconds=_timeout(timeout_seconds), max_attempts=_attempts(max_attempts), is_active=is_active)
    session.add(action)
    session.flush()
    _audit(session, publisher, actor, "created", action.id,
           ["key", "names", "descriptions", "endpoint_url", "secret", "input_schema", "prefill", "roles",
            "team_ids", "timeout_seconds", "max_attempts", "is_active"])
    return action, secret


def update_action(session: Session, publisher: Publisher | None, *, actor: User, action_id: int, allow_local: bool,
                  names: Mapping[str, Any] | None = None, descriptions: Mapping[str, Any] | None = None,
                  endpoint_url: str | None = None, input_schema: Any = None, prefill_rules: Any = None,
                  roles: Sequence[str] | None = None, team_ids: Sequence[int] | None = None,
                  timeout_seconds: float | None = None, max_attempts: int | None = None,
                  is_active: bool | None = None) -> BusinessAction:
    """Change what is given (``None``: unchanged). The key never changes (the brand's system knows it)."""
    action = get_action(session, actor.workspace_id, action_id)
    new: dict[str, Any] = {}
    if names is not None:
        new["names"] = _names(names, "the name", NAME_MAX, required=True)
    if descriptions is not None:
        new["descriptions"] = _names(descriptions, "the description", DESCRIPTION_MAX, required=False)
    if endpoint_url is not None:
        new["endpoint_url"] = check_endpoint(endpoint_url, allow_local=allow_local)
    schema = action.input_schema
    if input_schema is not None:
        schema = new["input_schema"] = forms.check_schema(input_schema)
    if prefill_rules is not None or input_schema is not None:
        rules = prefill_rules if prefill_rules is not None else action.prefill
        if prefill_rules is None:  # fields gone from the new schema lose their rule
            rules = {k: v for k, v in (rules or {}).items() if k in (schema.get("properties") or {})}
        new["prefill"] = prefill.check_rules(rules, (schema.get("properties") or {}).keys())
    if roles is not None:
        new["roles"] = _roles(roles)
    if team_ids is not None:
        new["team_ids"] = _teams(session, actor.workspace_id, team_ids)
    if timeout_seconds is not None:
        new["timeout_seconds"] = _timeout(timeout_seconds)
    if max_attempts is not None:
        new["max_attempts"] = _attempts(max_attempts)
    if is_active is not None:
        new["is_active"] = bool(is_active)
    changes = [name for name, value in new.items() if getattr(action, name) != value]
    for name in changes:
        setattr(action, name, new[name])
    _audit(session, publisher, actor, "updated", action.id, changes)
    return action


def rotate_secret(session: Session, publisher: Publisher | None, *, actor: User, secret_key: str,
                  action_id: int) -> tuple[BusinessAction, str]:
    """A new signing secret (returned once); calls are signed with it from now on."""
    action = get_action(session, actor.workspace_id, action_id)
    secret = new_secret()
    action.secret = encrypt_json(secret_key, {SECRET_FIELD: secret})
    action.secret_rotated_at = now()
    _audit(session, publisher, actor, "secret_rotated", action.id, ["secret"])
    return action, secret


# --- runs ----------------------------------------------------------------------------------------------------


def run_key(workspace_id: int, given: str | None) -> str:
    """The run's idempotency key (sent to the brand): the client's ``Idempotency-Key`` scoped to the workspace,
    else a new random one."""
    if given is None or not given.strip():
        return f"run_{uuid.uuid4().hex}"
    given = given.strip()
    if len(given) > IDEMPOTENCY_MAX or not given.isprintable():
        raise Invalid(f"the Idempotency-Key has at most {IDEMPOTENCY_MAX} printable characters")
    return f"ws{workspace_id}_{given}"


def request_run(session: Session, publisher: Publisher, *, actor: User, case: Case, key: str, input: Any,
                idempotency_key: str | None = None) -> tuple[BusinessActionRun, bool]:
    """Queue a run of the action ``key`` on ``case`` by ``actor``; returns the run and whether it is new (the same
    ``idempotency_key`` again returns the first run). ``Forbidden`` without permission, ``InputInvalid`` (field
    errors) when the input does not match the schema, ``Conflict`` when the action is deactivated."""
    action = action_by_key(session, actor.workspace_id, key)
    if not may_run(session, actor, action):
        raise Forbidden("you may not run this action")
    run_id_key = run_key(actor.workspace_id, idempotency_key)
    existing = session.scalar(select(BusinessActionRun).where(BusinessActionRun.idempotency_key == run_id_key))
    if existing is not None:
        if existing.workspace_id != actor.workspace_id or existing.case_id != case.id \
                or existing.action_id != action.id:
            raise Conflict("this Idempotency-Key was used for another run")
        return existing, False
    if not action.is_active:
        raise Conflict("this action is deactivated")
    data = forms.validate_input(action.input_schema, input)
    run = BusinessActionRun(workspace_id=actor.workspace_id, case_id=case.id, action_id=action.id,
                            requested_by_id=actor.id, input=data, idempotency_key=run_id_key,
                            state=RunState.QUEUED)
    session.add(run)
    session.flush()
    timeline.action_requested(session, case, run_id=run.id, action=action.key, actor_user_id=actor.id,
                              names=dict(action.names), input=data)
    bus.emit(session, publisher, BusinessActionRequested(
        workspace_id=case.workspace_id, actor_user_id=actor.id, case_id=case.id, run_id=run.id,
        action_id=action.id, action_key=action.key))
    enqueue(session, publisher, workspace_id=case.workspace_id, kind=CALL_JOB, payload={"run_id": run.id},
            dedupe_key=f"business:{run.id}", max_attempts=20)
    live.publish_case(session, publisher, case, "business_action")
    return run, True


def record_success(session: Session, publisher: Publisher, *, run: BusinessActionRun, status: int | None,
                   result: Mapping[str, Any]) -> None:
    action = session.get(BusinessAction, run.action_id)
    case = session.get(Case, run.case_id)
    assert action is not None and case is not None
    run.state = RunState.SUCCEEDED
    run.result = dict(result)
    run.error = None
    run.http_status = status
    run.finished_at = now()
    timeline.action_succeeded(session, case, run_id=run.id, action=action.key, names=dict(action.names),
                              result=dict(result), status=status)
    bus.emit(session, publisher, BusinessActionSucceeded(
        workspace_id=case.workspace_id, case_id=case.id, run_id=run.id, action_id=action.id,
        action_key=action.key, result=dict(result), http_status=status))
    live.publish_case(session, publisher, case, "business_action")


def record_failure(session: Session, publisher: Publisher, *, run: BusinessActionRun, status: int | None,
                   error: str) -> None:
    action = session.get(BusinessAction, run.action_id)
    case = session.get(Case, run.case_id)
    assert action is not None and case is not None
    run.state = RunState.FAILED
    run.error = error
    run.http_status = status
    run.finished_at = now()
    timeline.action_failed(session, case, run_id=run.id, action=action.key, error=error, names=dict(action.names),
                           status=status, attempts=run.attempts)
    bus.emit(session, publisher, BusinessActionFailed(
        workspace_id=case.workspace_id, case_id=case.id, run_id=run.id, action_id=action.id,
        action_key=action.key, error=error, http_status=status))
    live.publish_case(session, publisher, case, "business_action")
