"""Sending: every reply an agent sends from the UI or the API goes through here: the guard, then the outbox.

- :func:`check_draft` runs the guard for a draft on a case (the reply box calls it as the agent types);
- :func:`send_agent_reply` checks again before sending: a **block** refuses the reply (no override), a **warning**
  refuses it unless the agent overrode it; then ``inbox.actions.add_reply`` queues it; the template's use
  is counted;
- :func:`record_guard_events` keeps every finding met at send time, and whether it was overridden (the
  callers record refusals themselves, after the refused action's savepoint is rolled back);
- :func:`move_to_private` posts the short public answer and opens the private conversation, on one case.

Like ``inbox.actions``, these never commit.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris import bus, timeline
from compris.connectors.base import PRIVATE_REPLY_TO_COMMENT, Visibility
from compris.events import GuardFindingsRecorded
from compris.inbox import actions as inbox
from compris.kit.errors import Invalid
from compris.live import Publisher
from compris.models import Case, GuardEvent, Message, Outbox, ReplyTemplate, Upload, User
from compris.replies.actions.templates import count_use
from compris.replies.composition import with_mention
from compris.replies.context import guard_inputs, situation
from compris.replies.guard import Finding, check
from compris.replies.queries import public_notice
from compris.replies.rendering import MissingVariables, unfilled

ALL_WARNINGS = "*"  # ``override``: every warning


class GuardRefused(Invalid):
    """The guard stopped the reply: a blocking finding, or warnings the agent has not overridden."""

    def __init__(self, findings: Sequence[Finding], *, blocked: bool) -> None:
        self.findings = list(findings)
        self.blocked = blocked
        wanted = "block" if blocked else "warning"
        rules = ", ".join(sorted({f.rule for f in self.findings if f.severity == wanted}))
        if blocked:
            message = f"the reply guard blocks this reply ({rules})"
        else:
            message = f"the reply guard warns about this reply ({rules}): check the warnings or send anyway"
        super().__init__(message)


@dataclass
class DraftCheck:
    findings: list[Finding]
    length: int
    max_length: int | None
    unit: str
    missing: list[str] = field(default_factory=list)

    @property
    def blocks(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "block"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]


def check_draft(
    session: Session, case: Case, actor: User, *, text: str, visibility: str, template_id: int | None = None,
    reply_to_message_id: int | None = None,
) -> DraftCheck:
    """The guard's findings for a draft, with its length as the network counts it (``reply_to_message_id``: the
    customer message answered, else the latest of that visibility)."""
    draft = text.replace("\r\n", "\n").strip()
    place = situation(session, case, visibility, reply_to_message_id)
    ctx, settings = guard_inputs(session, case, actor, visibility=visibility, template_id=template_id, place=place)
    findings = check(draft, ctx, settings) if draft else []
    return DraftCheck(
        findings=findings,
        length=place.connector.limits.count(draft, visibility) if place.connector is not None else len(draft),
        max_length=place.max_length,
        unit=place.unit,
        missing=unfilled(draft),
    )


def _overridden(finding: Finding, override: Collection[str]) -> bool:
    return finding.severity == "warning" and (ALL_WARNINGS in override or finding.rule in override)


def record_guard_events(
    session: Session,
    publisher: Publisher,
    *,
    actor: User,
    case: Case,
    findings: Iterable[Finding],
    override: Collection[str] = (),
    attempt_key: str | None = None,
    message_id: int | None = None,
    source: str = "ui",
) -> list[GuardEvent]:
    """One row per finding; the same attempt (idempotency key) updates its rows instead of adding more."""
    existing: dict[str, GuardEvent] = {}
    if attempt_key:
        existing = {e.rule: e for e in session.scalars(
            select(GuardEvent).where(GuardEvent.workspace_id == case.workspace_id,
                                     GuardEvent.attempt_key == attempt_key[:100]))}
    rows: list[GuardEvent] = []
    for finding in findings:
        row = existing.get(finding.rule)
        if row is None:
            row = GuardEvent(workspace_id=case.workspace_id, case_id=case.id, user_id=actor.id, rule=finding.rule,
                             attempt_key=attempt_key[:100] if attempt_key else None, source=source)
            session.add(row)
            existing[finding.rule] = row
        row.severity = finding.severity
        row.overridden = _overridden(finding, override)
        row.message_id = message_id if message_id is not None else row.message_id
        rows.append(row)
    session.flush()
    if rows:
        bus.emit(session, publisher, GuardFindingsRecorded(
            workspace_id=case.workspace_id, actor_user_id=actor.id, case_id=case.id,
            rules=tuple(r.rule for r in rows), overridden=tuple(r.rule for r in rows if r.overridden)))
    return rows


@dataclass
class SentReply:
    message: Message
    findings: list[Finding]  # the warnings overridden to send it


#: the network's own limits: ``add_reply`` refuses them with the network's message (and they are not counted
#: as guard events: they are not the agent's judgement to override)
NETWORK_RULES = frozenset({"too_long", "window_closed"})


def _guard_or_refuse(findings: list[Finding], override: Collection[str]) -> list[Finding]:
    """Raise when the guard stops the reply; return the findings to record once it is sent."""
    blocks = [f for f in findings if f.severity == "block"]
    if any(f.rule not in NETWORK_RULES for f in blocks):
        raise GuardRefused(findings, blocked=True)
    findings = [f for f in findings if f.rule not in NETWORK_RULES]
    if not blocks and any(f.severity == "warning" and not _overridden(f, override) for f in findings):
        raise GuardRefused(findings, blocked=False)
    return findings  # network blocks left: add_reply refuses with the network's reason


def send_agent_reply(
    session: Session,
    publisher: Publisher,
    *,
    actor: User,
    case: Case,
    text: str,
    visibility: str,
    reply_to_message_id: int | None = None,
    idempotency_key: str | None = None,
    template_id: int | None = None,
    override: Collection[str] = (),
    source: str = "ui",
    attachments: Sequence[Upload] = (),
) -> SentReply:
    """Guard, then queue the reply. Raises ``MissingVariables`` or ``GuardRefused`` (nothing written).

    ``attachments``: uploads of the case's workspace; the network must accept them on this reply (``add_reply``
    refuses otherwise). The guard reads the text; a reply of attachments only has no text to check."""
    draft = text.replace("\r\n", "\n").strip()
    missing = unfilled(draft)
    if missing:
        raise MissingVariables(missing)
    if idempotency_key:  # a double submit of a reply already queued: the same reply, not a new guard run
        key = inbox.outbox_key(case.workspace_id, idempotency_key)
        outbox = session.scalar(select(Outbox).where(Outbox.idempotency_key == key))
        if outbox is not None:
            message = inbox.add_reply(session, publisher, actor=actor, case=case, text=draft, visibility=visibility,
                                      reply_to_message_id=reply_to_message_id, idempotency_key=idempotency_key,
                                      attachments=attachments)
            return SentReply(message, [])
    template = _template(session, case.workspace_id, template_id)
    ctx, settings = guard_inputs(session, case, actor, visibility=visibility,
                                 template_id=template.id if template else None,
                                 reply_to_message_id=reply_to_message_id)
    findings = _guard_or_refuse(check(draft, ctx, settings) if draft else [], override)
    message = inbox.add_reply(session, publisher, actor=actor, case=case, text=draft, visibility=visibility,
                              reply_to_message_id=reply_to_message_id, idempotency_key=idempotency_key,
                              attachments=attachments)
    record_guard_events(session, publisher, actor=actor, case=case, findings=findings, override=override,
                        attempt_key=idempotency_key, message_id=message.id, source=source)
    if template is not None:
        count_use(session, case.workspace_id, template.id)
        timeline.template_used(session, case, actor_user_id=actor.id, template_id=template.id, message_id=message.id)
    return SentReply(message, findings)


def _template(session: Session, workspace_id: int, template_id: int | None) -> ReplyTemplate | None:
    if template_id is None:
        return None
    return session.scalar(select(ReplyTemplate).where(ReplyTemplate.workspace_id == workspace_id,
                                                      ReplyTemplate.id == template_id))


# --- move to private ---------------------------------------------------------------------------------

@dataclass
class MovedToPrivate:
    public: Message
    private: Message
    findings: list[Finding]


def move_to_private(
    session: Session,
    publisher: Publisher,
    *,
    actor: User,
    case: Case,
    private_text: str,
    idempotency_key: str,
    override: Collection[str] = (),
    source: str = "ui",
    reply_to_message_id: int | None = None,
) -> MovedToPrivate:
    """A short public answer from the move-to-private template and the agent's private message, one case.

    Where the network answers a comment privately (its connector's ``private_reply_target``: Facebook and
    Instagram) the private message is the platform's private reply to the comment; elsewhere it opens (or
    continues) the customer's private conversation on the same account. ``reply_to_message_id``: the public
    message moved from (the thread picked in the reply box), else the latest public one.
    """
    draft = private_text.replace("\r\n", "\n").strip()
    if not draft:
        raise Invalid("write the private message first")
    missing = unfilled(draft)
    if missing:
        raise MissingVariables(missing)
    done = _already_moved(session, case, idempotency_key)
    if done is not None:  # a double submit
        return done
    public_place = situation(session, case, Visibility.PUBLIC, reply_to_message_id)
    target = public_place.target
    if target is None or target.visibility != Visibility.PUBLIC:
        raise Invalid("move to private needs a public message from the customer")
    ctx, settings = guard_inputs(session, case, actor, visibility=Visibility.PRIVATE, reply_to_message_id=target.id)
    findings = _guard_or_refuse(check(draft, ctx, settings), override)
    notice = with_mention(public_notice(session, case, actor), public_place.mention)
    extra: dict[str, object] = {}
    comment_id = (public_place.connector.private_reply_target(target.platform_extra or {})
                  if public_place.connector is not None else None)
    if comment_id:
        extra[PRIVATE_REPLY_TO_COMMENT] = comment_id
    public = inbox.add_reply(session, publisher, actor=actor, case=case, text=notice, visibility=Visibility.PUBLIC,
                             reply_to_message_id=target.id, idempotency_key=f"{idempotency_key}:public")
    private = inbox.add_reply(session, publisher, actor=actor, case=case, text=draft, visibility=Visibility.PRIVATE,
                              reply_to_message_id=target.id, idempotency_key=f"{idempotency_key}:private",
                              platform_extra=extra)
    record_guard_events(session, publisher, actor=actor, case=case, findings=findings, override=override,
                        attempt_key=f"{idempotency_key}:private", message_id=private.id, source=source)
    timeline.moved_to_private(session, case, actor_user_id=actor.id, public_message_id=public.id,
                              private_message_id=private.id, private_reply_to_comment=comment_id)
    return MovedToPrivate(public, private, findings)


def _already_moved(session: Session, case: Case, idempotency_key: str) -> MovedToPrivate | None:
    found: list[Message] = []
    for part in ("public", "private"):
        key = inbox.outbox_key(case.workspace_id, f"{idempotency_key}:{part}")
        outbox = session.scalar(select(Outbox).where(Outbox.idempotency_key == key))
        message = session.get(Message, outbox.message_id) if outbox is not None else None
        if message is None or message.case_id != case.id:
            return None
        found.append(message)
    return MovedToPrivate(found[0], found[1], [])
