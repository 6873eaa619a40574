"""Handling an incident's cases together, through the bulk engine (:mod:`compris.listening.bulk`): the holding
statement sent to all the linked cases or a selection, the incident resolved with its cases (and the closing
message), and bulk assign / transfer / tag / status on its cases.

The engine does the per-case work: each reply personalised (the reply templates' variables, the case's language
variant), guard-checked (a case whose reply the guard blocks, or with a variable without a value, is *skipped* with
the reason), queued through the outbox (``queue_outbound``: the network's limits, retries with Retry-After, never
twice: the key ``bulk:<run>:<case>``), one transaction per case. This module adds what belongs to the incident:
only its cases, and **one holding statement per case**: a case already answered with the same statement text (a
``done`` item of an earlier statement run of this incident with the same texts) is left out and reported with the
reason, so a second send of the same statement never reaches a customer twice; an edited statement is a new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.kit.errors import ComprisError, Conflict, Forbidden, Invalid, NotFound
from compris.listening import bulk
from compris.listening.incidents import OPEN_STATUSES, linked_ids, may_manage, resolve
from compris.live import Publisher
from compris.models import ACTIVE_STATUSES, BulkItem, BulkRun, Case, Incident, User
from compris.replies.rendering import LANGUAGES

#: why a case was left out of a holding statement
ALREADY_SENT = "already_sent"
NOT_ACTIVE = "not_active"
#: the bulk kinds a supervisor may run on an incident's cases from its page
CASE_ACTIONS = (bulk.ASSIGN, bulk.TRANSFER, bulk.TAG, bulk.UNTAG, bulk.SET_STATUS)


def _manager(actor: User) -> None:
    if not may_manage(actor):
        raise Forbidden("only supervisors and admins manage incidents")


def _selection(session: Session, incident: Incident, case_ids: Iterable[int] | None) -> list[int]:
    linked = linked_ids(session, incident)
    if case_ids is None:
        return linked
    wanted = list(dict.fromkeys(int(i) for i in case_ids))
    if set(wanted) - set(linked):
        raise NotFound("no such case in this incident")
    return wanted


def _statement_runs(session: Session, incident: Incident) -> list[BulkRun]:
    return list(session.scalars(select(BulkRun).where(BulkRun.workspace_id == incident.workspace_id,
                                                      BulkRun.incident_id == incident.id,
                                                      BulkRun.kind == bulk.REPLY).order_by(BulkRun.id)))


def already_answered(session: Session, incident: Incident, texts: Mapping[str, str]) -> dict[int, datetime]:
    """The cases already sent this very statement (same texts) by an earlier run of the incident: case id → when."""
    runs = [r.id for r in _statement_runs(session, incident) if (r.params or {}).get("texts") == dict(texts)]
    if not runs:
        return {}
    return {int(case_id): at for case_id, at in session.execute(
        select(BulkItem.case_id, BulkItem.created_at).where(BulkItem.run_id.in_(runs), BulkItem.state == bulk.DONE))}


@dataclass
class StatementOutcome:
    """A holding statement's send: the run the engine works (None: nothing left to send), and the cases left out
    before it started, with why (``already_sent``, ``not_active``)."""

    run: BulkRun | None
    left_out: dict[int, str] = field(default_factory=dict)

    @property
    def queued(self) -> int:
        return self.run.total if self.run is not None else 0


def send_statement(session: Session, publisher: Publisher, *, actor: User, incident: Incident,
                   case_ids: Iterable[int] | None = None, visibility: str = bulk.SAME) -> StatementOutcome:
    """Send the incident's holding statement (its texts per language) to its active cases, or to ``case_ids`` of
    them, each once: cases already answered with this statement, and resolved or closed ones, are left out."""
    _manager(actor)
    if incident.status not in OPEN_STATUSES:
        raise Conflict("the incident is resolved: reopen it to send its holding statement")
    texts = {k: v for k, v in (incident.statements or {}).items() if k in LANGUAGES and str(v).strip()}
    if not texts:
        raise Invalid("write the holding statement first")
    wanted = _selection(session, incident, case_ids)
    if not wanted:
        raise Invalid("the incident has no case")
    statuses = dict(session.execute(select(Case.id, Case.status).where(Case.id.in_(wanted))).all())
    done = already_answered(session, incident, texts)
    left_out: dict[int, str] = {}
    todo: list[int] = []
    for case_id in wanted:
        if case_id in done:
            left_out[case_id] = ALREADY_SENT
        elif statuses.get(case_id) not in ACTIVE_STATUSES:
            left_out[case_id] = NOT_ACTIVE
        else:
            todo.append(case_id)
    if not todo:
        return StatementOutcome(None, left_out)
    run = bulk.start(session, publisher, actor=actor, case_ids=todo, kind=bulk.REPLY,
                     params={"texts": texts, "visibility": visibility}, incident_id=incident.id)
    return StatementOutcome(run, left_out)


@dataclass
class StatementPreview:
    """The statement of one language as one of the incident's customers will read it."""

    language: str
    case: Case | None
    text: str = ""
    missing: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


def preview(session: Session, *, actor: User, incident: Incident, texts: Mapping[str, str],
            which: str = "holding") -> list[StatementPreview]:
    """Each language's text rendered for one of the incident's cases in that language (else any of its cases) and
    guard-checked, as the engine will do it. Writes nothing."""
    linked = linked_ids(session, incident)
    cases = list(session.scalars(select(Case).where(Case.id.in_(linked[:2000])).order_by(
        Case.last_activity_at.desc()))) if linked else []
    out: list[StatementPreview] = []
    for lang in LANGUAGES:
        body = str(texts.get(lang) or "").strip()
        if not body:
            continue
        active = [c for c in cases if c.status in ACTIVE_STATUSES] or cases
        case = next((c for c in active if (c.language or "").split("-")[0] == lang), active[0] if active else None)
        item = StatementPreview(lang, case)
        if case is None:
            item.text = body
        else:
            try:
                rendered = bulk.render_reply(session, actor, case, {"texts": {lang: body}, "visibility": bulk.SAME})
            except ComprisError as exc:
                item.error = exc.message
            else:
                if rendered is not None:
                    item.text, item.missing = rendered.text, rendered.missing
                    item.blocks = [f.message for f in rendered.blocks + rendered.network_blocks]
                    item.warnings = [f.message for f in rendered.warnings]
        out.append(item)
    return out


@dataclass
class ResolveOutcome:
    run: BulkRun | None


def resolve_with_cases(session: Session, publisher: Publisher, *, actor: User, incident: Incident,
                       resolve_cases: bool = False, send_closing: bool = False) -> ResolveOutcome:
    """Resolve the incident; with ``resolve_cases`` its active cases are resolved too (a bulk run), each with the
    closing message in its language when ``send_closing`` (a case whose closing message the guard blocks stays open,
    skipped with the reason)."""
    _manager(actor)
    if send_closing and not resolve_cases:
        raise Invalid("the closing message goes with resolving the cases")
    closing = {k: v for k, v in (incident.closing or {}).items() if k in LANGUAGES and str(v).strip()}
    if send_closing and not closing:
        raise Invalid("write the closing message first")
    resolve(session, publisher, actor=actor, incident=incident)
    if not resolve_cases:
        return ResolveOutcome(None)
    ids = list(session.scalars(select(Case.id).where(Case.id.in_(linked_ids(session, incident)),
                                                     Case.status.in_(ACTIVE_STATUSES)).order_by(Case.id)))
    if not ids:
        return ResolveOutcome(None)
    params: dict[str, Any] = {"texts": closing, "visibility": bulk.SAME} if send_closing else {}
    run = bulk.start(session, publisher, actor=actor, case_ids=ids, kind=bulk.RESOLVE, params=params,
                     incident_id=incident.id)
    return ResolveOutcome(run)


def act_on_cases(session: Session, publisher: Publisher, *, actor: User, incident: Incident, kind: str,
                 params: Mapping[str, Any], case_ids: Iterable[int] | None = None) -> BulkRun:
    """Assign, transfer, tag, untag or set the status of the incident's cases (all, or ``case_ids`` of them)."""
    _manager(actor)
    if kind not in CASE_ACTIONS:
        raise Invalid("unknown action on the incident's cases")
    wanted = _selection(session, incident, case_ids)
    if not wanted:
        raise Invalid("select at least one case")
    return bulk.start(session, publisher, actor=actor, case_ids=wanted, kind=kind, params=params,
                      incident_id=incident.id)


@dataclass
class SendState:
    """The latest holding statement of a case: ``state`` (pending, done, skipped, failed), why, the reply."""

    state: str
    error: str | None
    message_id: int | None
    run_id: int


def statement_states(session: Session, incident: Incident, case_ids: list[int]) -> dict[int, SendState]:
    """For the incident's case list: each case's latest holding-statement item (one query)."""
    runs = [r.id for r in _statement_runs(session, incident)]
    if not runs or not case_ids:
        return {}
    out: dict[int, SendState] = {}
    for item in session.scalars(select(BulkItem).where(BulkItem.run_id.in_(runs), BulkItem.case_id.in_(case_ids))
                                .order_by(BulkItem.run_id, BulkItem.id)):
        out[item.case_id] = SendState(item.state, item.error, item.message_id, item.run_id)
    return out


def runs_of(session: Session, incident: Incident, limit: int = 20) -> list[BulkRun]:
    """The incident's bulk runs, newest first (its statements, its resolution, actions on its cases)."""
    return list(session.scalars(select(BulkRun).where(BulkRun.workspace_id == incident.workspace_id,
                                                      BulkRun.incident_id == incident.id)
                                .order_by(BulkRun.id.desc()).limit(limit)))


def run_counts(session: Session, run: BulkRun) -> dict[str, int]:
    return bulk.counts_of(session, run.id)
