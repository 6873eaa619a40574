"""Bulk operations over many cases: assign, transfer, tag/untag, set a status, resolve (with an optional closing
message), reply with a template or a text per language (an incident's holding statement).

:func:`start` validates the operation, writes one :class:`~compris.models.BulkRun` and one
:class:`~compris.models.BulkItem` per case (unique per run and case) and queues the ``listening.bulk_run`` job, all
in the caller's transaction. The job (:func:`process`) takes the pending items in batches, **each case in its own
transaction**: it runs the existing single-case action (``inbox.actions.assign``, ``routing`` transfer,
``inbox.actions.tags.tag_case``, ``inbox.actions.set_status``, ``inbox.actions.queue_outbound``), so every case
gets its own timeline rows and domain events exactly as if an agent had done it by hand, and marks the item
``done``, ``skipped`` (with the reason: not allowed, the guard blocks the reply, a variable has no value...) or
``failed`` (with the error) in that same transaction. A run interrupted by a crash is picked up again by the same
durable job: the items already settled are never touched again, and a reply's outbox idempotency key
``bulk:<run>:<case>`` makes a second queueing of the same reply impossible. The send itself goes through the
outbox like any reply (the network's limits, retries, Retry-After, never twice).

When no item is pending the run is ``done``: its ``bulk_run`` audit row, :class:`~compris.events.BulkRunFinished`
and a live ``bulk`` event (also sent after every batch, so the inbox's progress bar moves).

Rights: supervisors and admins may bulk-work any case of the workspace; agents the cases they may work (their own,
unassigned ones, and those of their teams): another agent's case is skipped with the reason.

Like every action, :func:`start`, :func:`cancel` and :func:`preview` never commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from compris import bus, timeline
from compris.connectors.base import Visibility
from compris.db import Database
from compris.events import BulkRunFinished
from compris.inbox import actions as inbox
from compris.inbox.actions import tags as tag_actions
from compris.kit.clock import now
from compris.kit.errors import ComprisError, Forbidden, Invalid, NotFound
from compris.live import Publisher
from compris.models import (
    BulkItem,
    BulkRun,
    Case,
    CaseStatus,
    Direction,
    Incident,
    Message,
    ReplyTemplate,
    Role,
    Team,
    TeamMember,
    User,
    Workspace,
)
from compris.replies.actions import NETWORK_RULES, record_guard_events
from compris.replies.actions.templates import count_use
from compris.replies.context import guard_inputs
from compris.replies.guard import Finding, check
from compris.replies.queries import case_values
from compris.replies.rendering import MAX_BODY, pick_language, refuse_unknown_variables, render, variables_of
from compris.routing.assignment import transfer as transfer_case
from compris.worker.queue import JobRun, enqueue

log = logging.getLogger(__name__)

#: the job that works a run's pending items (rows of existing databases carry it: never rename)
BULK_JOB = "listening.bulk_run"
#: ``ReplyQueued.origin`` / ``message.platform_extra["origin"]`` of a bulk reply
BULK_ORIGIN = inbox.BULK

ASSIGN = "assign"
TRANSFER = "transfer"
TAG = "tag"
UNTAG = "untag"
SET_STATUS = "set_status"
RESOLVE = "resolve"
REPLY = "reply"
KINDS = (ASSIGN, TRANSFER, TAG, UNTAG, SET_STATUS, RESOLVE, REPLY)

#: the most cases one run may hold
MAX_CASES = 5000
#: items worked per job run before the job queues its next batch (other jobs — inbound, sends — get their turn)
BATCH = 50

PENDING, DONE, SKIPPED, FAILED = "pending", "done", "skipped", "failed"
RUNNING, FINISHED = "running", "done"
#: ``params["visibility"]``: answer each case in the visibility of its latest customer message
SAME = "same"
VISIBILITIES = (SAME, Visibility.PUBLIC.value, Visibility.PRIVATE.value)
#: statuses a bulk "set status" may set (a snooze needs a time: the case page does it)
BULK_STATUSES = tuple(s.value for s in CaseStatus if s not in (CaseStatus.NEW, CaseStatus.SNOOZED))


class Skip(ComprisError):
    """An item deliberately not done (not allowed, the guard blocks the reply...): the reason is shown."""


# --- parameters ----------------------------------------------------------------------------------------------


def _int_or_none(value: Any, what: str) -> int | None:
    if value in (None, "", "none"):
        return None
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
        raise Invalid.of("%(what)s must be a number", what=what)
    return int(value)


def _texts(value: Any) -> dict[str, str]:
    """``{"fr": "...", "en": "..."}``: a text per language (two-letter codes), each checked."""
    if not isinstance(value, Mapping):
        raise Invalid("the texts are given per language: {\"fr\": \"...\", \"en\": \"...\"}")
    out: dict[str, str] = {}
    for lang, text in value.items():
        code = str(lang).strip().lower()
        if not (2 <= len(code) <= 8 and code.replace("-", "").isalpha()):
            raise Invalid.of("unknown language %(lang)s", lang=code[:10])
        if not isinstance(text, str):
            raise Invalid("each text is a string")
        body = text.replace("\r\n", "\n").strip()
        if "\x00" in body:
            raise Invalid("a text cannot hold a NUL character")
        if len(body) > MAX_BODY:
            raise Invalid.of("a text is at most %(max)s characters", max=MAX_BODY)
        refuse_unknown_variables(body)
        if body:
            out[code.split("-")[0]] = body
    return out


def _message_params(session: Session, workspace_id: int, params: Mapping[str, Any], *,
                    required: bool) -> dict[str, Any]:
    """A reply's parameters: a template (``template_id``) or texts per language (``texts``); ``visibility``."""
    out: dict[str, Any] = {}
    visibility = str(params.get("visibility") or SAME)
    if visibility not in VISIBILITIES:
        raise Invalid("visibility is same, public or private")
    template_id = _int_or_none(params.get("template_id"), "template_id")
    texts = _texts(params.get("texts") or {})
    if template_id is not None and texts:
        raise Invalid("give a template or texts, not both")
    if template_id is not None:
        template = session.scalar(select(ReplyTemplate).where(ReplyTemplate.workspace_id == workspace_id,
                                                              ReplyTemplate.id == template_id))
        if template is None or not template.is_active:
            raise NotFound("no such template")
        if not any(str(b).strip() for b in template.bodies.values()):
            raise Invalid("this template has no text")
        out["template_id"] = template.id
    elif texts:
        out["texts"] = texts
    elif required:
        raise Invalid("pick a template or write the text of the reply")
    if out:
        out["visibility"] = visibility
    return out


def check_params(session: Session, actor: User, kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The run's parameters for ``kind``, validated and normalised (:class:`Invalid` / :class:`NotFound`
    otherwise). What each kind takes:

    - ``assign``: ``assignee_id`` (a user of the workspace; None: unassign);
    - ``transfer``: ``team_id`` (None: no team);
    - ``tag`` / ``untag``: ``tags`` (names);
    - ``set_status``: ``status`` (open, waiting_customer, waiting_partner, resolved, closed);
    - ``resolve``: optionally a closing message: ``template_id`` or ``texts`` (per language), ``visibility``;
    - ``reply``: ``template_id`` or ``texts`` (``{"fr": ..., "en": ...}``, with variables), ``visibility`` (same,
      public, private; default same: where the customer last wrote)."""
    ws = actor.workspace_id
    if kind == ASSIGN:
        assignee_id = _int_or_none(params.get("assignee_id"), "assignee_id")
        if assignee_id is not None:
            user = session.scalar(select(User).where(User.workspace_id == ws, User.id == assignee_id))
            if user is None or not user.is_active:
                raise NotFound("no such agent")
        return {"assignee_id": assignee_id}
    if kind == TRANSFER:
        team_id = _int_or_none(params.get("team_id"), "team_id")
        if team_id is not None and session.scalar(select(Team.id).where(Team.workspace_id == ws,
                                                                        Team.id == team_id)) is None:
            raise NotFound("no such team")
        return {"team_id": team_id}
    if kind in (TAG, UNTAG):
        raw = params.get("tags")
        names = [raw] if isinstance(raw, str) else list(raw or []) if isinstance(raw, (list, tuple)) else None
        if names is None or not all(isinstance(n, str) for n in names):
            raise Invalid("tags is a list of names")
        cleaned: dict[str, str] = {}
        for name in names:
            if name.strip():
                shown = tag_actions.clean_name(name)
                cleaned.setdefault(tag_actions.tag_key(shown), shown)
        if not cleaned:
            raise Invalid("name at least one tag")
        if len(cleaned) > tag_actions.MAX_PER_CASE:
            raise Invalid.of("at most %(max)s tags at once", max=tag_actions.MAX_PER_CASE)
        return {"tags": list(cleaned.values())}
    if kind == SET_STATUS:
        status = str(params.get("status") or "")
        if status not in BULK_STATUSES:
            raise Invalid.of("the status must be one of %(statuses)s", statuses=", ".join(BULK_STATUSES))
        return {"status": status}
    if kind == RESOLVE:
        return _message_params(session, ws, params, required=False)
    if kind == REPLY:
        return _message_params(session, ws, params, required=True)
    raise Invalid.of("unknown bulk action %(kind)s", kind=str(kind)[:30])


# --- rights --------------------------------------------------------------------------------------------------


def is_supervisor(user: User) -> bool:
    return user.role in (Role.ADMIN, Role.SUPERVISOR)


def team_ids_of(session: Session, user: User) -> set[int]:
    return set(session.scalars(select(TeamMember.team_id).where(TeamMember.workspace_id == user.workspace_id,
                                                                TeamMember.user_id == user.id)))


def refusal(user: User, case: Case, teams: set[int]) -> str | None:
    """Why ``user`` may not bulk-work ``case`` (None: they may). Supervisors and admins: every case; agents: their
    own cases, unassigned ones and those of their teams."""
    if case.workspace_id != user.workspace_id:
        return "no such case"
    if is_supervisor(user) or case.assignee_id in (None, user.id) or (case.team_id is not None
                                                                      and case.team_id in teams):
        return None
    return "assigned to another agent"


# --- starting a run ------------------------------------------------------------------------------------------


def start(
    session: Session,
    publisher: Publisher,
    *,
    actor: User,
    case_ids: Iterable[int],
    kind: str,
    params: Mapping[str, Any] | None = None,
    incident_id: int | None = None,
) -> BulkRun:
    """Start a bulk operation of ``actor`` over the cases ``case_ids`` (ids of cases of the actor's workspace; others
    are refused as not found; duplicates count once). Writes the run and its items and queues the job, in the
    caller's transaction. Cases the actor may not work are items ``skipped`` at once, with the reason.

    ``incident_id``: the incident the run belongs to (its holding statement, its resolution), kept on the run and
    in :class:`BulkRunFinished`."""
    if kind not in KINDS:
        raise Invalid.of("unknown bulk action %(kind)s", kind=str(kind)[:30])
    if kind == ASSIGN and not is_supervisor(actor):
        wanted = _int_or_none((params or {}).get("assignee_id"), "assignee_id")
        if wanted not in (None, actor.id):
            raise Forbidden("only a supervisor can give many cases to another agent")
    clean = check_params(session, actor, kind, params or {})
    if incident_id is not None and session.scalar(select(Incident.id).where(
            Incident.workspace_id == actor.workspace_id, Incident.id == incident_id)) is None:
        raise NotFound("no such incident")
    ids = list(dict.fromkeys(int(i) for i in case_ids))
    if not ids:
        raise Invalid("select at least one case")
    if len(ids) > MAX_CASES:
        raise Invalid.of("at most %(max)s cases at once", max=MAX_CASES)
    cases = list(session.scalars(select(Case).where(Case.workspace_id == actor.workspace_id, Case.id.in_(ids))))
    if len(cases) != len(ids):
        raise NotFound("no such case")
    teams = team_ids_of(session, actor)
    run = BulkRun(workspace_id=actor.workspace_id, kind=kind, params=clean, actor_user_id=actor.id,
                  incident_id=incident_id, state=RUNNING, total=len(ids))
    session.add(run)
    session.flush()
    by_id = {c.id: c for c in cases}
    for case_id in ids:
        why = refusal(actor, by_id[case_id], teams)
        session.add(BulkItem(workspace_id=actor.workspace_id, run_id=run.id, case_id=case_id,
                             state=PENDING if why is None else SKIPPED, error=why))
    session.flush()
    _queue_job(session, publisher, run, generation=0)
    _publish(session, publisher, run)
    return run


def _queue_job(session: Session, publisher: Publisher, run: BulkRun, *, generation: int) -> None:
    enqueue(session, publisher, workspace_id=run.workspace_id, kind=BULK_JOB, payload={"run_id": run.id},
            dedupe_key=f"bulk:{run.id}:{generation}", max_attempts=1000)


def resume(session: Session, publisher: Publisher, run: BulkRun) -> bool:
    """Queue the job again for a run still ``running`` (its pending items only); False when it has finished."""
    if run.state != RUNNING:
        return False
    _queue_job(session, publisher, run, generation=int(now().timestamp() * 1000))
    return True


def cancel(session: Session, publisher: Publisher, *, actor: User, run: BulkRun) -> int:
    """Stop a running run: its pending items are skipped ("cancelled"); what was done stays done. Only its author or
    a supervisor. Returns how many items were cancelled."""
    if run.workspace_id != actor.workspace_id:
        raise NotFound("no such bulk operation")
    if run.actor_user_id != actor.id and not is_supervisor(actor):
        raise Forbidden("only its author or a supervisor can stop this bulk operation")
    result = session.execute(
        update(BulkItem).where(BulkItem.run_id == run.id, BulkItem.state == PENDING)
        .values(state=SKIPPED, error="cancelled")
        .execution_options(synchronize_session=False))
    cancelled = int(getattr(result, "rowcount", 0) or 0)
    _finish_if_settled(session, publisher, run)
    return cancelled


# --- the reply of one case -----------------------------------------------------------------------------------


@dataclass
class Rendered:
    """A bulk reply's text for one case: ``text`` personalised, ``missing`` variables without a value,
    ``findings`` of the reply guard (``blocked``: a finding stops it)."""

    text: str
    language: str | None
    visibility: str
    missing: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    template_id: int | None = None

    @property
    def blocks(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "block" and f.rule not in NETWORK_RULES]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def network_blocks(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "block" and f.rule in NETWORK_RULES]


def _visibility_for(session: Session, case: Case, wanted: str) -> str:
    if wanted != SAME:
        return wanted
    latest = session.scalar(select(Message.visibility).where(
        Message.case_id == case.id, Message.direction == Direction.INBOUND,
        Message.visibility.in_((Visibility.PUBLIC, Visibility.PRIVATE)),
    ).order_by(Message.sent_at.desc(), Message.id.desc()).limit(1))
    return str(latest) if latest else Visibility.PUBLIC.value


def render_reply(session: Session, actor: User, case: Case, params: Mapping[str, Any]) -> Rendered | None:
    """The reply (or closing message) of a run's ``params`` for ``case``, personalised and guard-checked; None when
    the run sends no message. The language variant is the case's language, else the workspace's default, else
    English, else any."""
    bodies: Mapping[str, Any]
    template_id = params.get("template_id")
    if template_id is not None:
        template = session.scalar(select(ReplyTemplate).where(ReplyTemplate.workspace_id == case.workspace_id,
                                                              ReplyTemplate.id == int(template_id)))
        if template is None:
            raise Skip("the template was deleted")
        bodies = template.bodies
    elif params.get("texts"):
        bodies = params["texts"]
    else:
        return None
    workspace = session.get(Workspace, case.workspace_id)
    lang = pick_language(bodies, case.language, workspace.default_language if workspace else None)
    body = str(bodies.get(lang, "")) if lang else ""
    if not body.strip():
        raise Skip("the reply has no text")
    text, missing = render(body, case_values(session, case, actor, language=lang, needed=variables_of(body)))
    visibility = _visibility_for(session, case, str(params.get("visibility") or SAME))
    out = Rendered(text=text.strip(), language=lang, visibility=visibility, missing=missing,
                   template_id=int(template_id) if template_id is not None else None)
    if not missing:
        ctx, settings = guard_inputs(session, case, actor, visibility=visibility, template_id=out.template_id)
        out.findings = check(out.text, ctx, settings)
    return out


@dataclass
class Preview:
    """What a bulk reply will say to one case (the first selected case the actor may work), and for how many."""

    case: Case | None
    rendered: Rendered | None
    count: int
    skipped: int
    error: str | None = None


def preview(session: Session, *, actor: User, case_ids: Sequence[int], kind: str,
            params: Mapping[str, Any]) -> Preview:
    """A bulk reply's (or closing message's) personalised text for the first case of ``case_ids`` the actor may
    work, and how many cases it goes to. Writes nothing."""
    clean = check_params(session, actor, kind, params)
    ids = list(dict.fromkeys(int(i) for i in case_ids))[:MAX_CASES]
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.workspace_id == actor.workspace_id,
                                                                  Case.id.in_(ids)))}
    teams = team_ids_of(session, actor)
    workable = [cases[i] for i in ids if i in cases and refusal(actor, cases[i], teams) is None]
    first = workable[0] if workable else None
    rendered: Rendered | None = None
    error: str | None = None
    if first is not None and kind in (REPLY, RESOLVE):
        try:
            rendered = render_reply(session, actor, first, clean)
        except ComprisError as exc:
            error = exc.message
    return Preview(first, rendered, len(workable), len(ids) - len(workable), error)


# --- working one item ----------------------------------------------------------------------------------------


def _send(session: Session, publisher: Publisher, run: BulkRun, actor: User, case: Case,
          params: Mapping[str, Any]) -> Message | None:
    rendered = render_reply(session, actor, case, params)
    if rendered is None:
        return None
    if rendered.missing:
        raise Skip("no value for " + ", ".join("{" + n + "}" for n in rendered.missing))
    if rendered.blocks:
        raise Skip("the reply guard blocks this reply: " + "; ".join(f.message for f in rendered.blocks))
    message = inbox.queue_outbound(session, publisher, case=case, text=rendered.text,
                                   visibility=rendered.visibility, origin=BULK_ORIGIN, actor=actor,
                                   idempotency_key=f"bulk:{run.id}:{case.id}",
                                   platform_extra={"bulk_run_id": run.id})
    record_guard_events(session, publisher, actor=actor, case=case, findings=rendered.warnings, override=["*"],
                        attempt_key=f"bulk:{run.id}:{case.id}", message_id=message.id, source="bulk")
    if rendered.template_id is not None:
        count_use(session, case.workspace_id, rendered.template_id)
        timeline.template_used(session, case, actor_user_id=actor.id, template_id=rendered.template_id,
                               message_id=message.id)
    if case.status == CaseStatus.NEW:  # answered: no longer new (like an agent's reply)
        inbox.change_status(session, publisher, case, CaseStatus.OPEN, actor_user_id=actor.id, reason="replied")
    case.unread = False
    return message


def apply(session: Session, publisher: Publisher, run: BulkRun, actor: User, case: Case) -> Message | None:
    """The run's operation on one case, through the existing single-case actions (their events and timeline rows).
    Raises :class:`Skip` or another :class:`ComprisError` with the reason; returns the message a reply queued."""
    params = run.params or {}
    why = refusal(actor, case, team_ids_of(session, actor))
    if why is not None:
        raise Skip(why)
    if run.kind == ASSIGN:
        assignee_id = params.get("assignee_id")
        assignee = None
        if assignee_id is not None:
            assignee = session.scalar(select(User).where(User.workspace_id == case.workspace_id,
                                                         User.id == int(assignee_id)))
            if assignee is None or not assignee.is_active:
                raise Skip("the agent is no longer active")
        inbox.assign(session, publisher, actor=actor, case=case, assignee=assignee, reason="bulk")
    elif run.kind == TRANSFER:
        team_id = params.get("team_id")
        team = None
        if team_id is not None:
            team = session.scalar(select(Team).where(Team.workspace_id == case.workspace_id,
                                                     Team.id == int(team_id)))
            if team is None:
                raise Skip("the team was deleted")
        transfer_case(session, publisher, actor=actor, case=case, team=team)
    elif run.kind == TAG:
        tag_actions.tag_case(session, publisher, actor=actor, case=case, add=list(params.get("tags") or []))
    elif run.kind == UNTAG:
        tag_actions.tag_case(session, publisher, actor=actor, case=case, remove=list(params.get("tags") or []))
    elif run.kind == SET_STATUS:
        inbox.set_status(session, publisher, actor=actor, case=case, status=str(params["status"]))
    elif run.kind == RESOLVE:
        message = None
        if case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            message = _send(session, publisher, run, actor, case, params)
            inbox.set_status(session, publisher, actor=actor, case=case, status=CaseStatus.RESOLVED)
        return message
    elif run.kind == REPLY:
        return _send(session, publisher, run, actor, case, params)
    else:  # pragma: no cover - check_params refuses unknown kinds
        raise Skip(f"unknown bulk action {run.kind}")
    return None


# --- the job -------------------------------------------------------------------------------------------------


def process(run: JobRun) -> None:
    """The ``listening.bulk_run`` job: up to :data:`BATCH` pending items, each in its own transaction; then the next
    batch is queued, or the run finishes. Safe to run twice (settled items are skipped)."""
    run_id = int(run.payload["run_id"])
    worked = work_batch(run.db, run.publisher, run_id, limit=BATCH)
    if worked is None:
        return
    with run.db.transaction() as session:
        bulk = session.get(BulkRun, run_id)
        if bulk is None:
            return
        if _pending(session, run_id):
            _queue_job(session, run.publisher, bulk, generation=run.job_id)
            _publish(session, run.publisher, bulk)
        else:
            _finish_if_settled(session, run.publisher, bulk)


def work_batch(db: Database, publisher: Publisher, run_id: int, *, limit: int = BATCH) -> int | None:
    """Work up to ``limit`` pending items of run ``run_id``, one transaction each; how many were worked (None: no
    such run, or it has finished)."""
    with db.transaction() as session:
        bulk = session.get(BulkRun, run_id)
        if bulk is None or bulk.state != RUNNING:
            return None
        item_ids = list(session.scalars(select(BulkItem.id).where(BulkItem.run_id == run_id,
                                                                  BulkItem.state == PENDING)
                                        .order_by(BulkItem.id).limit(limit)))
    for item_id in item_ids:
        work_item(db, publisher, run_id, item_id)
    return len(item_ids)


def work_item(db: Database, publisher: Publisher, run_id: int, item_id: int) -> str:
    """One case of a run, in one transaction: the action and the item's new state commit together (so a crash
    leaves the item pending and nothing done). Returns the item's state."""
    failure: str | None = None
    try:
        with db.transaction() as session:
            item = session.scalar(select(BulkItem).where(BulkItem.id == item_id).with_for_update())
            if item is None or item.state != PENDING:
                return item.state if item is not None else SKIPPED
            bulk = session.get(BulkRun, run_id)
            case = session.scalar(select(Case).where(Case.id == item.case_id).with_for_update())
            actor = session.get(User, bulk.actor_user_id) if bulk is not None and bulk.actor_user_id else None
            if bulk is None or case is None:
                item.state, item.error = SKIPPED, "the case was deleted"
                return item.state
            if actor is None or not actor.is_active:
                item.state, item.error = SKIPPED, "its author's account was deactivated"
                return item.state
            try:
                with session.begin_nested():
                    message = apply(session, publisher, bulk, actor, case)
            except Skip as exc:
                item.state, item.error = SKIPPED, exc.message[:1000]
            except ComprisError as exc:
                item.state, item.error = FAILED, exc.message[:1000]
            else:
                item.state, item.error = DONE, None
                item.message_id = message.id if message is not None else None
            _count(session, bulk)
            return item.state
    except Exception as exc:  # an unexpected error: the item fails visibly, the run goes on
        log.exception("bulk run %s: item %s failed", run_id, item_id)
        failure = f"unexpected error ({type(exc).__name__})"
    with db.transaction() as session:
        item = session.scalar(select(BulkItem).where(BulkItem.id == item_id).with_for_update())
        if item is not None and item.state == PENDING:
            item.state, item.error = FAILED, failure
            bulk = session.get(BulkRun, run_id)
            if bulk is not None:
                _count(session, bulk)
        return item.state if item is not None else FAILED


# --- progress and the end ------------------------------------------------------------------------------------


def _pending(session: Session, run_id: int) -> bool:
    return session.scalar(select(BulkItem.id).where(BulkItem.run_id == run_id, BulkItem.state == PENDING)
                          .limit(1)) is not None


def counts_of(session: Session, run_id: int) -> dict[str, int]:
    """Items per state (pending, done, skipped, failed)."""
    out = dict.fromkeys((PENDING, DONE, SKIPPED, FAILED), 0)
    for state, n in session.execute(select(BulkItem.state, func.count()).where(BulkItem.run_id == run_id)
                                    .group_by(BulkItem.state)):
        out[str(state)] = int(n)
    return out


def _count(session: Session, run: BulkRun) -> None:
    session.flush()
    counts = counts_of(session, run.id)
    run.done, run.failed = counts[DONE], counts[FAILED]


def _publish(session: Session, publisher: Publisher, run: BulkRun) -> None:
    counts = counts_of(session, run.id)
    publisher.publish(session, run.workspace_id, "bulk", run_id=run.id, state=run.state, total=run.total, **counts)


def _finish_if_settled(session: Session, publisher: Publisher, run: BulkRun) -> None:
    """A run with no pending item is done: its audit row, :class:`BulkRunFinished`, the live event. Once."""
    if run.state != RUNNING or _pending(session, run.id):
        _publish(session, publisher, run)
        return
    locked = session.scalar(select(BulkRun).where(BulkRun.id == run.id).with_for_update())
    if locked is None or locked.state != RUNNING:
        return
    _count(session, run)
    counts = counts_of(session, run.id)
    run.state, run.finished_at = FINISHED, now()
    timeline.bulk_run(session, workspace_id=run.workspace_id, actor_user_id=run.actor_user_id, run_id=run.id,
                      kind=run.kind, cases=run.total, incident_id=run.incident_id, done=counts[DONE],
                      skipped=counts[SKIPPED], failed=counts[FAILED])
    bus.emit(session, publisher, BulkRunFinished(workspace_id=run.workspace_id, actor_user_id=run.actor_user_id,
                                                 run_id=run.id, kind=run.kind, done=counts[DONE],
                                                 failed=counts[FAILED], incident_id=run.incident_id))
    _publish(session, publisher, run)
