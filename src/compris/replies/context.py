"""The guard's context for a draft on a case: what the case, its network and its customer tell the guard."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.business.queries import permitted_keys
from compris.connectors.base import Author, Connector, Visibility
from compris.kit.clock import now
from compris.kit.errors import ComprisError
from compris.models import (
    Case,
    CaseEvent,
    ChannelAccount,
    Direction,
    Identity,
    Message,
    ReplyTemplate,
    Thread,
    User,
)
from compris.replies.guard import GuardContext, GuardSettings, LengthUnit
from compris.replies.queries import case_values, workspace_reply_settings
from compris.replies.rendering import initials_of, pick_language, render, variables_of

PREVIOUS_TEXTS = 30


@dataclass
class ReplySituation:
    """Where a reply on this case would go: the answered message, its network, limits and window.

    ``connector`` is the network's own word on everything else (``connector.limits.count`` for a text's length,
    :meth:`~compris.connectors.base.Connector.private_reply_target`...)."""

    target: Message | None = None
    account: ChannelAccount | None = None
    connector: Connector | None = None
    network: str | None = None
    network_name: str | None = None
    max_length: int | None = None
    unit: LengthUnit = "characters"
    window_open: bool | None = None
    window_reason: str | None = None
    mention: str = ""
    limits: dict[str, int | None] = field(default_factory=dict)


def situation(session: Session, case: Case, visibility: str, reply_to_message_id: int | None = None) -> ReplySituation:
    """``reply_to_message_id``: the customer message answered (the thread the agent picked in the reply box), else
    the latest of that visibility (as :func:`~compris.inbox.actions.reply_target`)."""
    from compris.channels.accounts import bare_context, connector_for
    from compris.inbox.actions import reply_target

    try:
        target = reply_target(session, case, visibility, reply_to_message_id)
    except ComprisError:
        return ReplySituation()
    account = session.get(ChannelAccount, target.channel_account_id) if target.channel_account_id else None
    if account is None:
        return ReplySituation(target=target)
    connector = connector_for(account)
    public = visibility == Visibility.PUBLIC
    account_limits = connector.limits_for(account.settings or {})  # a Mastodon instance's own character limit
    limits = {Visibility.PUBLIC.value: account_limits.public_max_length,
              Visibility.PRIVATE.value: account_limits.private_max_length}
    last = target.sent_at
    identity = session.get(Identity, target.author_identity_id) if target.author_identity_id else None
    if target.visibility == visibility and target.thread_id:
        thread = session.get(Thread, target.thread_id)
        last = (thread.last_inbound_at if thread else None) or last
    elif not public and identity is not None:  # move to private: the customer's DM thread, if any yet
        key = connector.private_thread_key(
            bare_context(account), Author(platform_user_id=identity.platform_user_id, handle=identity.handle)
        )
        thread = session.scalar(
            select(Thread).where(Thread.channel_account_id == account.id, Thread.platform_thread_key == key)
        )
        last = (thread.last_inbound_at if thread else None) or last
    window = connector.reply_window(Visibility(visibility), last, now())
    return ReplySituation(
        target=target,
        account=account,
        connector=connector,
        network=account.network,
        network_name=connector.name_for(account.settings or {}),
        max_length=account_limits.max_length(visibility),
        unit=account_limits.length_unit,
        window_open=window.open,
        window_reason=window.reason if not window.open else None,
        mention=connector.reply_mention(visibility, identity.handle if identity else None),
        limits=limits,
    )


def previous_outbound(session: Session, case: Case) -> tuple[list[str], list[str]]:
    """Texts already sent to this customer (any of their cases) and the templates they came from."""
    case_ids = select(Case.id).where(Case.workspace_id == case.workspace_id, Case.contact_id == case.contact_id)
    texts = list(session.scalars(
        select(Message.text).where(
            Message.workspace_id == case.workspace_id,
            Message.case_id.in_(case_ids),
            Message.direction == Direction.OUTBOUND,
            Message.visibility != Visibility.NOTE,
        ).order_by(Message.id.desc()).limit(PREVIOUS_TEXTS)
    ))
    used = session.scalars(
        select(CaseEvent.data).where(
            CaseEvent.workspace_id == case.workspace_id,
            CaseEvent.case_id.in_(case_ids),
            CaseEvent.kind == "template_used",
        ).order_by(CaseEvent.id.desc()).limit(PREVIOUS_TEXTS)
    )
    template_ids = [str(d.get("template_id")) for d in used if d and d.get("template_id") is not None]
    return texts, template_ids


def guard_inputs(
    session: Session,
    case: Case,
    actor: User,
    *,
    visibility: str,
    template_id: int | None = None,
    place: ReplySituation | None = None,
    reply_to_message_id: int | None = None,
) -> tuple[GuardContext, GuardSettings]:
    """The guard's context and the workspace's guard settings for ``actor``'s draft on ``case``."""
    from compris.models import Workspace

    settings = workspace_reply_settings(session, case.workspace_id)
    place = place or situation(session, case, visibility, reply_to_message_id)
    target = place.target
    triage = dict(target.triage or {}) if target is not None else {}
    previous_texts, previous_templates = previous_outbound(session, case)
    template_text = None
    template = (
        session.scalar(select(ReplyTemplate).where(ReplyTemplate.workspace_id == case.workspace_id,
                                                   ReplyTemplate.id == template_id))
        if template_id is not None else None
    )
    if template is not None:
        workspace = session.get(Workspace, case.workspace_id)
        lang = pick_language(template.bodies, case.language, workspace.default_language if workspace else None)
        if lang:
            body = str(template.bodies[lang])
            template_text, _ = render(body, case_values(session, case, actor, language=lang,
                                                        needed=variables_of(body)))
    language = triage.get("language") or (target.language if target is not None else None) or case.language
    ctx = GuardContext(
        public=visibility == Visibility.PUBLIC,
        channel_247=place.account.always_on if place.account is not None else True,
        network=place.network_name,
        max_length=place.max_length,
        length_unit=place.unit,
        window_open=place.window_open,
        window_reason=place.window_reason,
        customer_text=target.text if target is not None else None,
        customer_language=str(language) if language and language != "unknown" else None,
        customer_intent=str(triage["intent"]) if triage.get("intent") else None,
        previous_texts=tuple(previous_texts),
        template_id=str(template.id) if template is not None else None,
        template_text=template_text,
        previous_template_ids=tuple(previous_templates),
        # the promises of the actor's role, and of the business actions they may run (running ``refund`` lets
        # them promise a refund: the action's key is the permission's name)
        agent_permissions=settings.permissions_for(actor.role) | permitted_keys(session, actor),
        agent_initials=initials_of(actor.name) or None,
        ui_language=actor.language or "en",
        review_site=bool(place.connector is not None and place.connector.reviews
                         and visibility == Visibility.PUBLIC),
        rating=target.rating if target is not None else None,
        emoji_allowed=place.connector.limits.emoji if place.connector is not None else True,
        customer_name=_author_name(session, target),
    )
    return ctx, settings.guard


def _author_name(session: Session, target: Message | None) -> str | None:
    """The answered message's author as the network names them (for the review sites' personal-data rule)."""
    if target is None or not target.author_identity_id:
        return None
    identity = session.get(Identity, target.author_identity_id)
    return identity.name if identity is not None else None
