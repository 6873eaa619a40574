"""Reads of replies, always scoped to a workspace: reply templates (and their text for a case), the reply settings,
and for supervisors how often each guard rule fired at send time and how often it was overridden."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case as sql_case
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from compris.business import queries as business_queries
from compris.kit.clock import now
from compris.kit.errors import NotFound
from compris.models import (
    Case,
    ChannelAccount,
    Contact,
    Direction,
    GuardEvent,
    Identity,
    Message,
    ReplySettings,
    ReplyTemplate,
    TemplatePurpose,
    User,
    Workspace,
)
from compris.replies.rendering import (
    ACTION_PREFIX,
    DEFAULT_MOVE_TO_PRIVATE,
    initials_of,
    pick_language,
    render,
    render_strict,
    variables_of,
    wait_wording,
)
from compris.replies.settings import WorkspaceReplySettings, settings_of
from compris.sla import wait

# --- templates -----------------------------------------------------------------------------------------


def get_template(session: Session, workspace_id: int, template_id: int) -> ReplyTemplate:
    template = session.scalar(
        select(ReplyTemplate).where(ReplyTemplate.workspace_id == workspace_id, ReplyTemplate.id == template_id)
    )
    if template is None:
        raise NotFound("no such template")
    return template


def list_templates(session: Session, workspace_id: int, *, purpose: str | None = None) -> list[ReplyTemplate]:
    query = select(ReplyTemplate).where(ReplyTemplate.workspace_id == workspace_id)
    if purpose is not None:
        query = query.where(ReplyTemplate.purpose == purpose)
    return list(session.scalars(query.order_by(ReplyTemplate.purpose, ReplyTemplate.name)))


def search(
    session: Session, workspace_id: int, q: str = "", *, team: str | None = None, limit: int = 20
) -> list[ReplyTemplate]:
    """Active reply templates matching ``q`` in their name, shortcut or bodies; most used first.

    ``team``: the templates of that team and those of every team (``team`` empty)."""
    query = select(ReplyTemplate).where(
        ReplyTemplate.workspace_id == workspace_id,
        ReplyTemplate.is_active.is_(True),
        ReplyTemplate.purpose == TemplatePurpose.REPLY,
    )
    if team:
        query = query.where(or_(ReplyTemplate.team.is_(None), ReplyTemplate.team == team))
    rows = list(session.scalars(query.order_by(ReplyTemplate.usage_count.desc(), ReplyTemplate.name)))
    words = [w.casefold() for w in q.split() if w.strip()]
    if words:
        def haystack(t: ReplyTemplate) -> str:
            return " ".join([t.name, t.shortcut, *(str(v) for v in t.bodies.values())]).casefold()

        exact = [t for t in rows if t.shortcut and t.shortcut.casefold() == q.strip().casefold()]
        rows = exact + [t for t in rows if t not in exact and all(w in haystack(t) for w in words)]
    return rows[:limit]


# --- a template's text for a case ------------------------------------------------------------------


def wait_minutes(session: Session, case: Case) -> int | None:
    """The current expected wait of the case's channel account in minutes as told to customers, or ``None``
    when it is unknown (no account, nobody online and no recent first responses)."""
    if case.last_channel_account_id is None:
        return None
    account = session.get(ChannelAccount, case.last_channel_account_id)
    if account is None or account.workspace_id != case.workspace_id:
        return None
    return wait.estimate(session, account).minutes


def case_values(
    session: Session,
    case: Case,
    agent: User,
    *,
    language: str | None = None,
    wait_time: str | None = None,
    needed: Collection[str] | None = None,
    minutes: dict[str, int | None] | None = None,
) -> dict[str, str | None]:
    """The variables' values for a case, answered by ``agent``.

    ``language``: the language of the body being filled (default: the case's, else the workspace's default);
    ``wait_time`` given is used as is, else the expected wait is computed, only when ``needed`` (the body's
    variables; ``None`` = all) holds ``wait_time``. ``minutes``: a memo of the wait shared between calls."""
    contact = session.get(Contact, case.contact_id)
    workspace = session.get(Workspace, case.workspace_id)
    if wait_time is None and (needed is None or "wait_time" in needed):
        if minutes is not None and "wait" in minutes:
            found = minutes["wait"]
        else:
            found = wait_minutes(session, case)
            if minutes is not None:
                minutes["wait"] = found
        if found is not None:
            lang = language or case.language or (workspace.default_language if workspace else None)
            wait_time = wait_wording(found, lang)
    identity_id = session.scalar(
        select(Message.author_identity_id)
        .where(Message.case_id == case.id, Message.direction == Direction.INBOUND)
        .order_by(Message.sent_at.desc(), Message.id.desc())
        .limit(1)
    )
    identity = session.get(Identity, identity_id) if identity_id else None
    name = (identity.name if identity and identity.name else None) or (contact.display_name if contact else None)
    first = name.split()[0] if name and name.split() else None
    if first and first.startswith("@"):
        first = None  # a handle is not a first name
    handle = identity.handle if identity and identity.handle else None
    if handle and not handle.startswith("@"):
        handle = "@" + handle
    actions: dict[str, str] = {}
    if needed is None or any(n.startswith(ACTION_PREFIX) for n in needed):
        actions = business_queries.result_variables(session, case)  # {action.flight}: the latest successful run
    return {
        **actions,
        "first_name": first,
        "name": name,
        "handle": handle,
        "agent_name": agent.name,
        "agent_first_name": agent.name.split()[0] if agent.name.split() else None,
        "agent_initials": initials_of(agent.name) or None,
        "agent_signature": (agent.signature or "").strip() or None,
        "case_ref": f"#{case.number}",
        "wait_time": wait_time,
        "brand": workspace.name if workspace else None,
    }


@dataclass(frozen=True)
class RenderedTemplate:
    template: ReplyTemplate
    language: str | None
    text: str
    missing: list[str]


def render_for_case(
    session: Session, template: ReplyTemplate, case: Case, agent: User, values: Mapping[str, str | None] | None = None
) -> RenderedTemplate:
    workspace = session.get(Workspace, case.workspace_id)
    lang = pick_language(template.bodies, case.language, workspace.default_language if workspace else None)
    body = str(template.bodies.get(lang, "")) if lang else ""
    if values is None:
        values = case_values(session, case, agent, language=lang, needed=variables_of(body))
    text, missing = render(body, values)
    return RenderedTemplate(template, lang, text, missing)


def render_many(
    session: Session, templates: Iterable[ReplyTemplate], case: Case, agent: User
) -> list[RenderedTemplate]:
    """Each template rendered for ``case``; the values are computed once per language, the wait at most once."""
    workspace = session.get(Workspace, case.workspace_id)
    default_language = workspace.default_language if workspace else None
    templates = list(templates)
    needs_wait = any("wait_time" in variables_of(str(b)) for t in templates for b in t.bodies.values())
    # a business action's result ({action.flight}) is read only when a template uses one
    actions_needed = tuple(sorted({v for t in templates for b in t.bodies.values() for v in variables_of(str(b))
                                   if v.startswith(ACTION_PREFIX)}))
    memo: dict[str, int | None] = {}
    by_language: dict[str | None, dict[str, str | None]] = {}
    out = []
    for template in templates:
        lang = pick_language(template.bodies, case.language, default_language)
        if lang not in by_language:
            by_language[lang] = case_values(session, case, agent, language=lang,
                                            needed=None if needs_wait else actions_needed, minutes=memo)
        out.append(render_for_case(session, template, case, agent, by_language[lang]))
    return out


def public_notice(session: Session, case: Case, actor: User) -> str:
    """The short public answer ("we have sent you a private message") in the customer's language."""
    template = session.scalar(
        select(ReplyTemplate).where(ReplyTemplate.workspace_id == case.workspace_id,
                                    ReplyTemplate.purpose == TemplatePurpose.MOVE_TO_PRIVATE,
                                    ReplyTemplate.is_active.is_(True)).order_by(ReplyTemplate.id).limit(1)
    )
    bodies = dict(template.bodies) if template is not None else dict(DEFAULT_MOVE_TO_PRIVATE)
    workspace = session.get(Workspace, case.workspace_id)
    lang = pick_language(bodies, case.language, workspace.default_language if workspace else None) or "en"
    body = str(bodies[lang])
    return render_strict(body, case_values(session, case, actor, language=lang, needed=variables_of(body)))


# --- reply settings ------------------------------------------------------------------------------------


def workspace_reply_settings(session: Session, workspace_id: int) -> WorkspaceReplySettings:
    """The workspace's reply settings (the defaults until an admin saves them)."""
    return settings_of(session.scalar(select(ReplySettings).where(ReplySettings.workspace_id == workspace_id)))


# --- the guard at send time ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleStats:
    rule: str
    fired: int
    blocks: int
    warnings: int
    overridden: int

    @property
    def override_rate(self) -> float:
        return self.overridden / self.warnings if self.warnings else 0.0


def guard_stats(session: Session, workspace_id: int, days: int) -> list[RuleStats]:
    """Per rule over the last ``days`` days, most fired first."""
    since = now() - timedelta(days=days)
    rows = session.execute(
        select(
            GuardEvent.rule,
            func.count(GuardEvent.id),
            func.sum(sql_case((GuardEvent.severity == "block", 1), else_=0)),
            func.sum(sql_case((GuardEvent.severity == "warning", 1), else_=0)),
            func.sum(sql_case((GuardEvent.overridden.is_(True), 1), else_=0)),
        )
        .where(GuardEvent.workspace_id == workspace_id, GuardEvent.created_at >= since)
        .group_by(GuardEvent.rule)
    )
    stats = [RuleStats(rule, int(n), int(b or 0), int(w or 0), int(o or 0)) for rule, n, b, w, o in rows]
    return sorted(stats, key=lambda s: (-s.fired, s.rule))
