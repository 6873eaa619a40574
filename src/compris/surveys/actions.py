"""Every write of surveys: their settings, scheduling a survey when a case is resolved (or skipping it, with the
rule that said no), sending it when due, reading the customer's answer on the channel, recording an answer and a
comment (once per survey), and what a low rating sets off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from compris import audit, bus, timeline
from compris.channels.accounts import bare_context, connector_for
from compris.connectors.base import PRIVATE_REPLY_TO_COMMENT, Author, Choice, Visibility
from compris.db import savepoint
from compris.events import Claim, InboundScreened, SurveyAnswered, SurveyCommented, SurveySent, SurveySkipped
from compris.inbox.actions import outbox
from compris.inbox.actions.cases import change_status
from compris.inbox.queries import merged_into
from compris.kit.clock import now
from compris.kit.errors import ComprisError, Invalid, NotFound
from compris.live import Publisher, publish_case
from compris.models import (
    Case,
    CaseEvent,
    CaseStatus,
    ChannelAccount,
    Contact,
    DeliveryState,
    Direction,
    Identity,
    Message,
    Survey,
    SurveySettings,
    SurveyState,
    Thread,
    User,
    Workspace,
)
from compris.routing import assignment
from compris.sla import clocks
from compris.surveys import links, parsing, queries, rules
from compris.worker.queue import enqueue

ANSWER_VIAS = ("button", "text", "link", "email")


def _set_once(session: Session, survey: Survey, unset: Any, **values: Any) -> Case | None:
    """Write ``values`` on the survey only while ``unset`` (its column) is still empty — two answers at once (a
    button pressed twice, a link opened twice) record the first — and return its case, or None when it was set."""
    done = cast(CursorResult[tuple[()]], session.execute(
        update(Survey).where(Survey.id == survey.id, unset.is_(None)).values(**values)
        .execution_options(synchronize_session=False)
    )).rowcount
    if not done:
        return None
    session.refresh(survey)
    case = session.get(Case, survey.case_id)
    assert case is not None
    return case


def record_answer(session: Session, publisher: Publisher, survey: Survey, *, rating: int, via: str,
                  message_id: int | None = None) -> bool:
    """Record the customer's rating; True when it was recorded now, False when the survey already had one (a
    button pressed twice, a link opened twice: the first answer stands). Safe against two answers at once: the
    row is updated only while it has no rating."""
    if via not in ANSWER_VIAS:
        raise Invalid(f"unknown answer channel {via!r}")
    if not 1 <= rating <= parsing.points(survey.scale):
        raise Invalid("the rating is outside the survey's scale")
    if survey.state not in (SurveyState.SENT, SurveyState.ANSWERED):
        raise Invalid("this survey is not waiting for an answer")
    at = now()
    score = parsing.score(rating, survey.scale)
    case = _set_once(session, survey, Survey.rating, rating=rating, score=score, answered_at=at, answered_via=via,
                     state=SurveyState.ANSWERED)
    if case is None:
        return False
    timeline.survey_answered(session, case, survey_id=survey.id, rating=rating, via=via, score=score,
                             scale=survey.scale, message_id=message_id)
    bus.emit(session, publisher, SurveyAnswered(workspace_id=survey.workspace_id, case_id=case.id,
                                                survey_id=survey.id, rating=rating, score=score, via=via,
                                                agent_id=survey.agent_id, team_id=survey.team_id))
    publish_case(session, publisher, case, "survey", survey_id=survey.id)
    return True


def record_comment(session: Session, publisher: Publisher, survey: Survey, *, text: str,
                   message_id: int | None = None) -> bool:
    """Record the customer's comment on their rating (once; a later one is an ordinary message)."""
    text = (text or "").strip()
    if not text:
        raise Invalid("the comment is empty")
    if survey.rating is None:
        raise Invalid("rate first, then comment")
    case = _set_once(session, survey, Survey.comment, comment=text[:4000], comment_message_id=message_id,
                     commented_at=now())
    if case is None:
        return False
    timeline.survey_commented(session, case, survey_id=survey.id, message_id=message_id)
    bus.emit(session, publisher, SurveyCommented(workspace_id=survey.workspace_id, case_id=case.id,
                                                 survey_id=survey.id, message_id=message_id))
    publish_case(session, publisher, case, "survey", survey_id=survey.id)
    return True


def open_survey(session: Session, workspace_id: int, survey_id: int) -> Survey | None:
    """The survey ``survey_id`` of this workspace, or None."""
    return session.scalar(select(Survey).where(Survey.workspace_id == workspace_id, Survey.id == survey_id))


# --- settings ----------------------------------------------------------------------------------------------

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
MAX_QUESTION = 1000
#: the fields of the settings an admin may change, with their bounds (integers)
BOUNDS: dict[str, tuple[int, int]] = {
    "delay_minutes": (0, 60 * 24 * 14), "quiet_days": (0, 365), "low_rating": (0, 4), "link_days": (1, 90),
}
FIELDS = ("enabled", "delay_minutes", "questions", "comment_questions", "ask_comment", "scale", "quiet_days",
          "low_rating", "reopen_on_low", "link_days")


def _check_texts(value: object, what: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise Invalid(f"{what}: one text per language code")
    texts: dict[str, str] = {}
    for lang, text in value.items():
        code = str(lang).strip().lower()
        if not _LANGUAGE.match(code):
            raise Invalid(f"{what}: {lang!r} is not a language code (en, fr, pt-br...)")
        clean = str(text or "").strip()
        if len(clean) > MAX_QUESTION:
            raise Invalid(f"{what} ({code}): at most {MAX_QUESTION} characters")
        if clean:
            texts[code] = clean
    return texts


def check_settings(values: dict[str, Any]) -> dict[str, Any]:
    """The given settings checked and normalised (:class:`Invalid` naming the field otherwise)."""
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key not in FIELDS:
            raise Invalid(f"unknown survey setting {key!r}")
        if key in BOUNDS:
            low, high = BOUNDS[key]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise Invalid(f"{key}: a whole number from {low} to {high}")
            clean[key] = value
        elif key in ("enabled", "ask_comment", "reopen_on_low"):
            if not isinstance(value, bool):
                raise Invalid(f"{key}: true or false")
            clean[key] = value
        elif key == "scale":
            if value not in queries.SCALES:
                raise Invalid(f"scale: one of {', '.join(queries.SCALES)}")
            clean[key] = value
        else:
            clean[key] = _check_texts(value, "question" if key == "questions" else "comment question")
    return clean


def _settings_for_update(session: Session, workspace_id: int,
                         channel_account_id: int | None) -> tuple[SurveySettings, bool]:
    """The row to change, created when missing; two admins creating it at once both end on the same row (the
    unique index on the workspace's row and on each account's: the loser's insert is undone in its savepoint)."""
    row = queries.settings_row(session, workspace_id, channel_account_id)
    if row is not None:
        return row, False
    base = queries.effective(session, workspace_id, channel_account_id)  # an override starts from the workspace's
    try:
        with session.begin_nested():
            row = SurveySettings(workspace_id=workspace_id, channel_account_id=channel_account_id,
                                 enabled=base.enabled, delay_minutes=base.delay_minutes,
                                 questions=dict(base.questions), comment_questions=dict(base.comment_questions),
                                 ask_comment=base.ask_comment, scale=base.scale, quiet_days=base.quiet_days,
                                 low_rating=base.low_rating, reopen_on_low=base.reopen_on_low,
                                 link_days=base.link_days)
            session.add(row)
            session.flush()
    except IntegrityError:
        row = queries.settings_row(session, workspace_id, channel_account_id)
        if row is None:
            raise
        return row, False
    return row, True


def save_settings(session: Session, publisher: Publisher | None, *, actor: User, channel_account_id: int | None,
                  values: dict[str, Any]) -> SurveySettings:
    """Change the workspace's survey settings (``channel_account_id`` None) or one account's override (created from
    the workspace's on its first change). Only the fields given change; audited."""
    clean = check_settings(values)
    if channel_account_id is not None:
        account = session.get(ChannelAccount, channel_account_id)
        if account is None or account.workspace_id != actor.workspace_id:
            raise NotFound("no such channel account")
    row, created = _settings_for_update(session, actor.workspace_id, channel_account_id)
    changed = [key for key, value in clean.items() if getattr(row, key) != value]
    for key in changed:
        setattr(row, key, clean[key])
    row.updated_by_id = actor.id
    session.flush()
    audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id,
                 entity="survey_settings", action="created" if created else "updated",
                 entity_id=row.id, changes=changed or (["channel_account_id"] if created else []))
    return row


def delete_override(session: Session, publisher: Publisher | None, *, actor: User, channel_account_id: int) -> None:
    """Remove an account's own settings: the workspace's apply to it again."""
    row = queries.settings_row(session, actor.workspace_id, channel_account_id)
    if row is None:
        raise NotFound("this channel account has no survey settings of its own")
    row_id = row.id
    session.delete(row)
    session.flush()
    audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id,
                 entity="survey_settings", action="deleted", entity_id=row_id)


# --- when a survey is sent ---------------------------------------------------------------------------------

SEND_JOB = "surveys.send"
ORIGIN = "survey"
#: how long after the comment question the customer's next message is taken as their comment
COMMENT_WINDOW = timedelta(hours=24)
#: the most surveys one run of the send job sends per workspace
SEND_BATCH = 200
FACES = ("😡", "🙁", "😐", "🙂", "😍")


@dataclass
class Plan:
    """Where a survey goes out: the customer message it answers and how, or why it cannot."""

    reason: str | None = None
    account: ChannelAccount | None = None
    target: Message | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    window_open: bool = True


def _plan(session: Session, case: Case, at: datetime) -> Plan:
    """Privately, always: on the customer's private thread, else (a public conversation) where the network lets us
    start one (:attr:`~compris.connectors.base.Connector.can_start_private`) or answer the comment privately
    (:meth:`~compris.connectors.base.Connector.private_reply_target`)."""
    inbound = select(Message).where(Message.case_id == case.id, Message.direction == Direction.INBOUND,
                                    Message.deleted_at.is_(None))
    latest = inbound.order_by(Message.sent_at.desc(), Message.id.desc()).limit(1)
    private = session.scalar(latest.where(Message.visibility == Visibility.PRIVATE))
    target = private or session.scalar(latest.where(Message.visibility == Visibility.PUBLIC))
    if target is None:
        return Plan(reason=rules.INTERNAL_ONLY)
    account = session.get(ChannelAccount, target.channel_account_id) if target.channel_account_id else None
    if account is None or not account.is_active:
        return Plan(reason=rules.NO_CHANNEL, target=target)
    connector = connector_for(account)
    extra: dict[str, Any] = {}
    last_inbound: datetime | None = target.sent_at
    if private is not None:
        thread = session.get(Thread, private.thread_id) if private.thread_id else None
        last_inbound = (thread.last_inbound_at if thread else None) or private.sent_at
    elif connector.can_start_private:
        author = session.get(Identity, target.author_identity_id) if target.author_identity_id else None
        if author is None:
            return Plan(reason=rules.PUBLIC_ONLY, account=account, target=target)
        key = connector.private_thread_key(bare_context(account), Author(platform_user_id=author.platform_user_id,
                                                                         handle=author.handle))
        thread = session.scalar(select(Thread).where(Thread.channel_account_id == account.id,
                                                     Thread.platform_thread_key == key))
        last_inbound = (thread.last_inbound_at if thread else None) or target.sent_at
    else:
        comment_id = connector.private_reply_target(target.platform_extra or {})
        if not comment_id:
            return Plan(reason=rules.PUBLIC_ONLY, account=account, target=target)
        extra[PRIVATE_REPLY_TO_COMMENT] = comment_id
    window = connector.choices_window(last_inbound, at)  # the private window, narrowed for automated messages
    return Plan(account=account, target=target, extra=extra, window_open=window.open)


def _agent_replied(session: Session, case: Case) -> bool:
    rows = session.execute(
        select(Message.author_user_id, Message.platform_extra, Message.delivery_state)
        .where(Message.case_id == case.id, Message.direction == Direction.OUTBOUND,
               Message.visibility != Visibility.NOTE))
    return any(state != DeliveryState.FAILED and not clocks.is_automatic(author, extra)
               for author, extra, state in rows)


def _recently_surveyed(session: Session, case: Case, quiet_days: int, at: datetime,
                       exclude_id: int | None) -> bool:
    if quiet_days <= 0:
        return False
    query = select(Survey.id).where(Survey.workspace_id == case.workspace_id, Survey.contact_id == case.contact_id,
                                    Survey.sent_at >= at - timedelta(days=quiet_days))
    if exclude_id is not None:
        query = query.where(Survey.id != exclude_id)
    return session.scalar(query.limit(1)) is not None


def _facts(session: Session, case: Case, settings: queries.Effective, plan: Plan, at: datetime,
           survey_id: int | None) -> rules.Facts:
    return rules.Facts(
        enabled=settings.enabled,
        customer_facing=plan.reason != rules.INTERNAL_ONLY,
        spam=rules.is_spam(case.triage),
        agent_replied=_agent_replied(session, case),
        recently_surveyed=_recently_surveyed(session, case, settings.quiet_days, at, survey_id),
        channel_ok=plan.reason != rules.NO_CHANNEL,
        private_reachable=plan.reason != rules.PUBLIC_ONLY,
        window_open=plan.window_open,
    )


def _language(session: Session, case: Case) -> tuple[str | None, str]:
    contact = session.get(Contact, case.contact_id)
    workspace = session.get(Workspace, case.workspace_id)
    default = workspace.default_language if workspace else "en"
    return case.language or (contact.language if contact else None), default


def _skip(session: Session, publisher: Publisher, case: Case, survey: Survey, reason: str, **data: Any) -> None:
    survey.state = SurveyState.SKIPPED
    survey.skip_reason = reason
    session.flush()
    if reason != rules.DISABLED:  # surveys turned off leave no line on every resolved case
        timeline.survey_skipped(session, case, survey_id=survey.id, reason=reason, **data)
    bus.emit(session, publisher, SurveySkipped(workspace_id=case.workspace_id, case_id=case.id,
                                               survey_id=survey.id, reason=reason))
    publish_case(session, publisher, case, "survey", survey_id=survey.id)


def schedule(session: Session, publisher: Publisher, case: Case) -> Survey | None:
    """The case was just resolved: this resolution cycle's survey, scheduled after the settings' delay, or skipped
    with the rule that said no. One per cycle (the cycle is the number of resolutions of the case so far): a
    second call for the same cycle returns None."""
    at = now()
    cycle = int(session.scalar(select(func.count()).select_from(CaseEvent).where(
        CaseEvent.case_id == case.id, CaseEvent.kind == timeline.EventKind.RESOLVED)) or 0) or 1
    plan = _plan(session, case, at)
    settings = queries.effective(session, case.workspace_id, plan.account.id if plan.account else None)
    language, default = _language(session, case)
    _, lang = settings.question(language, default)
    survey = Survey(workspace_id=case.workspace_id, case_id=case.id, cycle=cycle, contact_id=case.contact_id,
                    channel_account_id=plan.account.id if plan.account else None,
                    thread_id=plan.target.thread_id if plan.target and plan.target.visibility == Visibility.PRIVATE
                    else None,
                    network=plan.account.network if plan.account else None, agent_id=case.assignee_id,
                    team_id=case.team_id, state=SurveyState.SCHEDULED,
                    send_at=at + timedelta(minutes=settings.delay_minutes), language=lang, scale=settings.scale)
    try:
        with session.begin_nested():
            session.add(survey)
            session.flush()
    except IntegrityError:
        return None  # this cycle has its survey already
    reason = rules.skip_reason(_facts(session, case, settings, plan, at, survey.id))
    if reason is not None:
        _skip(session, publisher, case, survey, reason)
        return survey
    assert survey.send_at is not None
    enqueue(session, publisher, workspace_id=case.workspace_id, kind=SEND_JOB,
            payload={"workspace_id": case.workspace_id}, dedupe_key=f"{SEND_JOB}:{survey.id}", run_at=survey.send_at)
    publish_case(session, publisher, case, "survey", survey_id=survey.id)
    return survey


def cancel(session: Session, publisher: Publisher, case: Case) -> int:
    """The case was reopened: its survey waiting for its delay will not go out (the next resolution gets its own)."""
    waiting = list(session.scalars(select(Survey).where(Survey.case_id == case.id,
                                                        Survey.state == SurveyState.SCHEDULED)))
    for survey in waiting:
        survey.state = SurveyState.CANCELLED
        survey.send_at = None
    if waiting:
        session.flush()
        publish_case(session, publisher, case, "survey", survey_id=waiting[0].id)
    return len(waiting)


def choices_for(survey: Survey, base_url: str, secret_key: str, at: datetime, link_days: int) -> list[Choice]:
    """The survey's answer buttons, best last: their label (stars or faces), payload and one-click link."""
    top = parsing.points(survey.scale)
    return [Choice(label=FACES[r - 1] if survey.scale == "faces5" and r <= len(FACES) else "⭐" * r,
                   payload=parsing.payload(survey.id, r),
                   url=links.url_for(base_url, secret_key, survey, at, link_days, rating=r))
            for r in range(1, top + 1)]


def send(session: Session, publisher: Publisher, survey: Survey, *, base_url: str, secret_key: str) -> bool:
    """Send a due survey (the send job): the rules again, then the question in the customer's language with the
    survey page's signed link, privately, with the answer buttons, through the one outbound path. True when sent;
    False when skipped (the survey records why) or no longer waiting."""
    if survey.state != SurveyState.SCHEDULED:
        return False
    case = session.get(Case, survey.case_id)
    if case is None:
        return False
    if case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED):  # reopened meanwhile
        cancel(session, publisher, case)
        return False
    at = now()
    plan = _plan(session, case, at)
    settings = queries.effective(session, case.workspace_id, plan.account.id if plan.account else None)
    reason = rules.skip_reason(_facts(session, case, settings, plan, at, survey.id))
    if reason is not None:
        _skip(session, publisher, case, survey, reason)
        return False
    assert plan.account is not None and plan.target is not None
    language, default = _language(session, case)
    question, lang = settings.question(language, default)
    link = links.url_for(base_url, secret_key, survey, at, settings.link_days)
    line = queries.LINK_LINES.get(lang, queries.LINK_LINES["en"]).format(url=link)
    survey.language, survey.scale = lang, settings.scale
    survey.channel_account_id, survey.network = plan.account.id, plan.account.network
    try:
        with savepoint(session, ComprisError):
            message = outbox.queue_outbound(
                session, publisher, case=case, text=f"{question}\n\n{line}", visibility=Visibility.PRIVATE,
                origin=ORIGIN, reply_to_message_id=plan.target.id, idempotency_key=f"survey:{survey.id}",
                platform_extra={**plan.extra, "survey_id": survey.id},
                choices=choices_for(survey, base_url, secret_key, at, settings.link_days))
    except ComprisError as exc:  # the rules checked the window: the network refuses it for another reason
        _skip(session, publisher, case, survey, rules.SEND_FAILED, detail=exc.message[:500])
        return False
    survey.state = SurveyState.SENT
    survey.sent_at = at
    survey.message_id = message.id
    survey.thread_id = message.thread_id
    session.flush()
    timeline.survey_sent(session, case, survey_id=survey.id, message_id=message.id, language=lang,
                         network=plan.account.network)
    bus.emit(session, publisher, SurveySent(workspace_id=case.workspace_id, case_id=case.id, survey_id=survey.id,
                                            message_id=message.id))
    publish_case(session, publisher, case, "survey", survey_id=survey.id)
    return True


def due_ids(session: Session, workspace_id: int, at: datetime, limit: int = SEND_BATCH) -> list[int]:
    """The workspace's scheduled surveys whose time has come (the index on workspace, state, send time)."""
    return [int(i) for i in session.scalars(
        select(Survey.id).where(Survey.workspace_id == workspace_id, Survey.state == SurveyState.SCHEDULED,
                                Survey.send_at <= at).order_by(Survey.send_at, Survey.id).limit(limit))]


def send_failed(session: Session, publisher: Publisher, message_id: int, reason: str) -> None:
    """The network refused the survey's message for good: the survey records why (skipped, ``send_failed``)."""
    survey = session.scalar(select(Survey).where(Survey.message_id == message_id))
    if survey is None or survey.state != SurveyState.SENT:
        return
    case = session.get(Case, survey.case_id)
    if case is None:
        return
    _skip(session, publisher, case, survey, rules.SEND_FAILED, detail=reason[:500], message_id=message_id)


# --- answers on the channel --------------------------------------------------------------------------------

CLAIMED_BY = "surveys"


@dataclass(frozen=True)
class Reading:
    """What a customer's message means for a survey: ``rating`` (with ``rating`` and ``via``), ``comment``, or
    ``duplicate`` (a second answer: kept on the case, ignored)."""

    kind: str
    survey: Survey
    rating: int | None = None
    via: str | None = None


def _contact_ids(session: Session, contact_id: int | None) -> list[int]:
    if contact_id is None:
        return []
    contact = session.get(Contact, contact_id)
    if contact is None:
        return []
    survivor = merged_into(session, contact)
    return [contact_id] + ([survivor.id] if survivor is not None and survivor.id != contact_id else [])


def read_answer(session: Session, workspace_id: int, channel_account_id: int, contact_id: int | None,
                text: str, choice: object, at: datetime) -> Reading | None:
    """Whether a customer's message answers one of their surveys (None: an ordinary message)."""
    contacts = _contact_ids(session, contact_id)
    if not contacts:
        return None
    pressed = parsing.parse_payload(choice if isinstance(choice, str) else None)
    if pressed is not None:
        survey = session.scalar(select(Survey).where(Survey.workspace_id == workspace_id, Survey.id == pressed[0],
                                                     Survey.contact_id.in_(contacts)))
        if survey is None or survey.state not in (SurveyState.SENT, SurveyState.ANSWERED) or survey.sent_at is None:
            return None
        link_days = queries.effective(session, workspace_id, survey.channel_account_id).link_days
        if at - survey.sent_at > timedelta(days=link_days):
            return None
        if survey.rating is not None or not 1 <= pressed[1] <= parsing.points(survey.scale):
            return Reading("duplicate", survey)
        return Reading("rating", survey, pressed[1], "button")
    survey = session.scalar(
        select(Survey).where(Survey.workspace_id == workspace_id, Survey.contact_id.in_(contacts),
                             Survey.channel_account_id == channel_account_id,
                             Survey.state.in_((SurveyState.SENT, SurveyState.ANSWERED)),
                             Survey.sent_at >= at - timedelta(days=90))
        .order_by(Survey.sent_at.desc(), Survey.id.desc()).limit(1))
    if survey is None or survey.sent_at is None:
        return None
    settings = queries.effective(session, workspace_id, channel_account_id)
    if at - survey.sent_at > timedelta(days=settings.link_days):
        return None
    rating = parsing.parse_rating(text or "", survey.scale)
    if survey.rating is None:
        return Reading("rating", survey, rating, "text") if rating is not None else None
    waiting_comment = (survey.comment is None and survey.comment_asked_at is not None
                       and at - survey.comment_asked_at <= COMMENT_WINDOW)
    if not waiting_comment:
        return None
    if rating is not None:
        return Reading("duplicate", survey)
    return Reading("comment", survey) if (text or "").strip() else None


def screen(session: Session, event: InboundScreened) -> None:
    """An inbound message about to be stored: claim it (kept on the survey's case, which stays resolved) when it
    answers one of the customer's surveys."""
    message = event.message
    if event.claims or getattr(message, "is_own", False):
        return
    extra = getattr(message, "extra", None) or {}
    reading = read_answer(session, event.workspace_id, event.channel_account_id, event.contact_id,
                          str(getattr(message, "text", "") or ""), extra.get("choice"), now())
    if reading is None:
        return
    event.claims.append(Claim(by=CLAIMED_BY, case_id=reading.survey.case_id, keep=True, reason=reading.kind))


def take_claimed(session: Session, publisher: Publisher, message: Message) -> None:
    """The message we claimed is stored on the survey's case: record the rating (then ask for a comment, once)
    or the comment; a second answer changes nothing."""
    identity = session.get(Identity, message.author_identity_id) if message.author_identity_id else None
    if identity is None or message.channel_account_id is None:
        return
    extra = message.platform_extra or {}
    reading = read_answer(session, message.workspace_id, message.channel_account_id, identity.contact_id,
                          message.text, extra.get("choice"), now())
    if reading is None:
        return
    survey = reading.survey
    if reading.kind == "rating":
        assert reading.rating is not None and reading.via is not None
        if record_answer(session, publisher, survey, rating=reading.rating, via=reading.via, message_id=message.id):
            ask_comment(session, publisher, survey, reply_to=message)
    elif reading.kind == "comment":
        record_comment(session, publisher, survey, text=message.text, message_id=message.id)


def ask_comment(session: Session, publisher: Publisher, survey: Survey, *, reply_to: Message) -> bool:
    """After a rating on the channel: the follow-up question, once, when the settings ask for it."""
    settings = queries.effective(session, survey.workspace_id, survey.channel_account_id)
    if not settings.ask_comment or survey.comment_asked_at is not None or survey.comment is not None:
        return False
    case = session.get(Case, survey.case_id)
    if case is None:
        return False
    language, default = _language(session, case)
    question, _ = settings.comment_question(survey.language or language, default)
    try:
        with savepoint(session, ComprisError):
            outbox.queue_outbound(session, publisher, case=case, text=question, visibility=Visibility.PRIVATE,
                                  origin=ORIGIN, reply_to_message_id=reply_to.id,
                                  idempotency_key=f"survey:{survey.id}:comment",
                                  platform_extra={"survey_id": survey.id})
    except ComprisError:
        return False  # the network will not take it (a window closed): the rating stands without a comment
    survey.comment_asked_at = now()
    session.flush()
    return True


# --- after an answer ---------------------------------------------------------------------------------------

LOW_RATING_REASON = "low satisfaction rating"


def follow_low_rating(session: Session, publisher: Publisher, event: SurveyAnswered) -> None:
    """A rating at or under the settings' threshold: a live alert to the supervisors of the case's team, and (when
    the settings say so) the case reopens for a follow-up."""
    survey = session.get(Survey, event.survey_id)
    case = session.get(Case, event.case_id)
    if survey is None or case is None:
        return
    settings = queries.effective(session, survey.workspace_id, survey.channel_account_id)
    if event.rating > settings.low_rating:
        return
    publish_case(session, publisher, case, "survey_low", survey_id=survey.id, rating=event.rating,
                 scale=survey.scale, notify=assignment.supervisors_of(session, case.workspace_id, case.team_id))
    if settings.reopen_on_low and case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        change_status(session, publisher, case, CaseStatus.OPEN, reason=LOW_RATING_REASON)
        publish_case(session, publisher, case, "status")
