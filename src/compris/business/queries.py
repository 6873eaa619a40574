"""Reads of the capability, always scoped to a workspace."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.business import prefill
from compris.kit.errors import NotFound
from compris.models import (
    BusinessAction,
    BusinessActionRun,
    Case,
    ChannelAccount,
    Contact,
    Direction,
    Identity,
    Message,
    RunState,
    TeamMember,
    User,
)

NO_ACTION = "no such business action"
FACT_MESSAGES = 20
EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[a-z]{2,}", re.IGNORECASE)


def actions(session: Session, workspace_id: int, *, active_only: bool = False) -> list[BusinessAction]:
    query = select(BusinessAction).where(BusinessAction.workspace_id == workspace_id)
    if active_only:
        query = query.where(BusinessAction.is_active.is_(True))
    return list(session.scalars(query.order_by(BusinessAction.key)))


def get_action(session: Session, workspace_id: int, action_id: int) -> BusinessAction:
    action = session.get(BusinessAction, action_id)
    if action is None or action.workspace_id != workspace_id:
        raise NotFound(NO_ACTION)
    return action


def action_by_key(session: Session, workspace_id: int, key: str) -> BusinessAction:
    action = session.scalar(select(BusinessAction).where(BusinessAction.workspace_id == workspace_id,
                                                         BusinessAction.key == key))
    if action is None:
        raise NotFound(NO_ACTION)
    return action


def label(action: BusinessAction, language: str | None) -> str:
    """The action's name in ``language`` (else English, else its key)."""
    names: Mapping[str, Any] = action.names or {}
    lang = (language or "en").split("-")[0].lower()
    return str(names.get(lang) or names.get("en") or action.key)


def description(action: BusinessAction, language: str | None) -> str:
    texts: Mapping[str, Any] = action.descriptions or {}
    lang = (language or "en").split("-")[0].lower()
    return str(texts.get(lang) or texts.get("en") or "")


def _team_ids(session: Session, user: User) -> set[int]:
    return set(session.scalars(select(TeamMember.team_id).where(TeamMember.workspace_id == user.workspace_id,
                                                                TeamMember.user_id == user.id)))


def may_run(session: Session, user: User, action: BusinessAction, *, teams: set[int] | None = None) -> bool:
    """Whether ``user`` may run ``action``: their role is one of its roles, or they are in one of its teams."""
    if action.workspace_id != user.workspace_id or not user.is_active:
        return False
    if user.role in (action.roles or []):
        return True
    allowed = {int(t) for t in (action.team_ids or [])}
    return bool(allowed and allowed & (teams if teams is not None else _team_ids(session, user)))


def runnable(session: Session, user: User) -> list[BusinessAction]:
    """The active actions ``user`` may run."""
    teams = _team_ids(session, user)
    return [a for a in actions(session, user.workspace_id, active_only=True) if may_run(session, user, a, teams=teams)]


def permitted_keys(session: Session, user: User) -> frozenset[str]:
    """The keys of the actions ``user`` may run: the reply guard counts them as permissions (a user allowed to run
    ``refund`` may promise a refund)."""
    return frozenset(a.key for a in runnable(session, user))


def runs_of_case(session: Session, case: Case, limit: int = 50) -> list[BusinessActionRun]:
    return list(session.scalars(
        select(BusinessActionRun).where(BusinessActionRun.workspace_id == case.workspace_id,
                                        BusinessActionRun.case_id == case.id)
        .order_by(BusinessActionRun.created_at.desc(), BusinessActionRun.id.desc()).limit(limit)))


def get_run(session: Session, workspace_id: int, run_id: int) -> BusinessActionRun:
    run = session.get(BusinessActionRun, run_id)
    if run is None or run.workspace_id != workspace_id:
        raise NotFound("no such run")
    return run


def latest_result(session: Session, case: Case) -> dict[str, Any]:
    """The fields returned by the case's latest successful run (``{}``: none yet)."""
    run = session.scalar(
        select(BusinessActionRun).where(BusinessActionRun.workspace_id == case.workspace_id,
                                        BusinessActionRun.case_id == case.id,
                                        BusinessActionRun.state == RunState.SUCCEEDED)
        .order_by(BusinessActionRun.finished_at.desc(), BusinessActionRun.id.desc()).limit(1))
    return dict(run.result or {}) if run is not None else {}


def result_variables(session: Session, case: Case) -> dict[str, str]:
    """The reply template variables of the latest successful run: ``{"action.flight": "AF1234", ...}`` (scalar
    fields only: a nested object or list is not a reply's text)."""
    values: dict[str, str] = {}
    for name, value in latest_result(session, case).items():
        if isinstance(value, bool):
            values[f"action.{name}"] = "yes" if value else "no"
        elif isinstance(value, str | int | float):
            values[f"action.{name}"] = str(value)
    return values


def case_facts(session: Session, case: Case) -> dict[str, Any]:
    """What the prefill sources (:data:`compris.business.prefill.SOURCES`) read on ``case``."""
    contact = session.get(Contact, case.contact_id)
    inbound = list(session.scalars(
        select(Message).where(Message.workspace_id == case.workspace_id, Message.case_id == case.id,
                              Message.direction == Direction.INBOUND)
        .order_by(Message.sent_at.desc(), Message.id.desc()).limit(FACT_MESSAGES)))
    facts: dict[str, Any] = {"case.number": case.number, "case.language": case.language}
    identities = list(session.scalars(select(Identity).where(Identity.contact_id == case.contact_id)
                                      .order_by(Identity.id))) if contact is not None else []
    latest = session.get(Identity, inbound[0].author_identity_id) if inbound and inbound[0].author_identity_id \
        else None
    if latest is None and identities:
        latest = identities[0]
    facts["contact.name"] = (latest.name if latest is not None and latest.name else None) or (
        contact.display_name if contact is not None else None)
    handle = latest.handle if latest is not None else None
    facts["contact.handle"] = (handle if handle.startswith("@") else "@" + handle) if handle else None
    if inbound and inbound[0].channel_account_id:
        account = session.get(ChannelAccount, inbound[0].channel_account_id)
        facts["case.network"] = account.network if account is not None else None
    found = prefill.from_personal_data(
        [list((m.triage or {}).get("personal_data") or []) for m in inbound], [m.text for m in inbound])
    facts.update(found)
    # an identity whose id is an e-mail address (the e-mail network's), else one the customer wrote
    email = next((i.platform_user_id for i in identities if EMAIL.fullmatch(i.platform_user_id or "")), None)
    facts["contact.email"] = email or found.get("triage.email")
    return facts
