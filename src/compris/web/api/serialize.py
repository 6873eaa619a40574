"""ORM rows and query results → API schemas. No database access happens here."""

from __future__ import annotations

from typing import Any

from compris.accounts.schemas import MeOut, UserRef, WorkspaceOut
from compris.channels.schemas import ChannelLimits, ChannelOut, ChannelRef
from compris.connectors import registry
from compris.inbox.actions.outbox import manual_send_url
from compris.inbox.queries import CaseRow, CaseView, PostView
from compris.inbox.queries import TimelineItem as QueryItem
from compris.inbox.schemas import (
    AttachmentOut,
    CaseDetail,
    CaseSummary,
    ContactOut,
    ContactRef,
    DeliveryOut,
    EventOut,
    IdentityOut,
    MessageAuthor,
    MessageOut,
    PostOut,
    PreviousCase,
    ThreadRef,
    TimelineEvent,
    TimelineMessage,
)
from compris.models import Case, CaseEvent, ChannelAccount, Contact, Identity, Message, Outbox, Thread, User, Workspace


def _public(data: dict[str, Any] | None) -> dict[str, Any]:
    """Drops internal keys (those starting with ``_``, e.g. raw platform extras)."""
    return {k: v for k, v in (data or {}).items() if not k.startswith("_")}


def me(user: User, workspace: Workspace) -> MeOut:
    return MeOut(
        id=user.id, email=user.email, name=user.name, role=user.role,  # type: ignore[arg-type]
        language=user.language,
        workspace=WorkspaceOut(id=workspace.id, slug=workspace.slug, name=workspace.name,
                               timezone=workspace.timezone),
    )


def user_ref(user: User | None) -> UserRef | None:
    return UserRef(id=user.id, name=user.name) if user is not None else None


def channel_ref(account: ChannelAccount | None) -> ChannelRef | None:
    return ChannelRef(id=account.id, name=account.name, network=account.network) if account is not None else None


def channel(account: ChannelAccount) -> ChannelOut:
    try:
        connector = registry.get(account.network)
    except registry.UnknownNetwork:
        network_name, limits = account.network, None
    else:
        network_name = connector.display_name
        own = connector.limits_for(account.settings or {})  # a Mastodon instance's own character limit
        limits = ChannelLimits(public_max_length=own.public_max_length, private_max_length=own.private_max_length,
                               length_unit=own.length_unit)
    return ChannelOut(id=account.id, network=account.network, network_name=network_name, name=account.name,
                      external_id=account.external_id, is_active=account.is_active, always_on=account.always_on,
                      limits=limits)


def identity(row: Identity) -> IdentityOut:
    return IdentityOut(id=row.id, network=row.network, platform_user_id=row.platform_user_id, handle=row.handle,
                       name=row.name, followers=row.followers, verified=row.verified, avatar_url=row.avatar_url)


def contact(row: Contact, identities: list[Identity]) -> ContactOut:
    return ContactOut(id=row.id, display_name=row.display_name, language=row.language,
                      identities=[identity(i) for i in identities])


def _case_fields(case: Case) -> dict[str, Any]:
    return {
        "number": case.number, "status": case.status, "subject": case.subject, "preview": case.preview,
        "priority": case.priority, "language": case.language, "unread": case.unread, "triage": _public(case.triage),
        "created_at": case.created_at, "last_activity_at": case.last_activity_at,
        "first_inbound_at": case.first_inbound_at, "last_inbound_at": case.last_inbound_at,
        "first_response_at": case.first_response_at, "snoozed_until": case.snoozed_until,
        "resolved_at": case.resolved_at,
    }


def case_summary(case: Case, contact_row: Contact, assignee: User | None,
                 account: ChannelAccount | None) -> CaseSummary:
    return CaseSummary(
        **_case_fields(case),
        contact=ContactRef(id=contact_row.id, display_name=contact_row.display_name),
        assignee=user_ref(assignee),
        channel=channel_ref(account),
    )


def case_row(row: CaseRow) -> CaseSummary:
    summary = case_summary(row.case, row.contact, row.assignee, row.account)
    update: dict[str, Any] = {"unread": row.unread}  # for the user listing (issue 18: read marks per agent)
    if row.tags:
        update["tags"] = [t.name for t in row.tags]
    return summary.model_copy(update=update)


def delivery(message: Message, outbox: Outbox | None) -> DeliveryOut | None:
    if message.delivery_state is None and outbox is None:
        return None
    state = outbox.state if outbox is not None else message.delivery_state
    return DeliveryOut(
        state=state,  # type: ignore[arg-type]
        error=message.delivery_error if message.delivery_error is not None else (outbox.last_error if outbox else None),
        attempts=outbox.attempts if outbox is not None else None,
        next_attempt_at=outbox.next_attempt_at if outbox is not None and state == "retrying" else None,
        manual_send_url=manual_send_url(message),
    )


def message(
    row: Message,
    *,
    case_number: int,
    author_identity: Identity | None,
    author_user: User | None,
    account: ChannelAccount | None,
    thread: Thread | None,
    outbox: Outbox | None,
) -> MessageOut:
    if author_user is not None:
        author = MessageAuthor(kind="agent", user=user_ref(author_user))
    elif row.direction == "inbound":
        author = MessageAuthor(kind="contact", identity=identity(author_identity) if author_identity else None)
    else:
        author = MessageAuthor(kind="brand")
    return MessageOut(
        id=row.id, case_number=case_number, direction=row.direction,  # type: ignore[arg-type]
        visibility=row.visibility,  # type: ignore[arg-type]
        text=row.text, language=row.language, author=author, channel=channel_ref(account),
        thread=ThreadRef(id=thread.id, visibility=thread.visibility, title=thread.title)  # type: ignore[arg-type]
        if thread is not None else None,
        reply_to_message_id=row.reply_to_message_id, platform_message_id=row.platform_message_id,
        permalink=row.permalink,
        attachments=[attachment(a) for a in row.attachments or [] if isinstance(a, dict)],
        promoted=row.promoted, reshares=row.reshares, triage=_public(row.triage), sent_at=row.sent_at,
        created_at=row.created_at, delivery=delivery(row, outbox),
    )


def attachment(a: dict[str, Any]) -> AttachmentOut:
    """A message's attachment: what the network described and, for a customer's file, whether Compris kept it."""
    upload_id = a.get("upload_id") if isinstance(a.get("upload_id"), int) else None
    state = a.get("state") if a.get("state") in ("pending", "stored", "not_stored", "removed") else None
    return AttachmentOut(kind=str(a.get("kind", "file")), url=a.get("url"), name=a.get("name"),
                         mime_type=a.get("mime_type"), size=a.get("size"), upload_id=upload_id, state=state,
                         reason=str(a["reason"]) if state in ("not_stored", "removed") and a.get("reason") else None,
                         content_url=f"/api/v1/uploads/{upload_id}/content" if upload_id is not None else None)


def event(row: CaseEvent, actor: User | None) -> EventOut:
    return EventOut(id=row.id, kind=row.kind, actor=user_ref(actor), data=_public(row.data))


def timeline_item(item: QueryItem, case_number: int) -> TimelineMessage | TimelineEvent:
    if item.message is not None:
        return TimelineMessage(
            kind="message", at=item.at,
            message=message(item.message, case_number=case_number, author_identity=item.author_identity,
                            author_user=item.author_user, account=item.account, thread=item.thread,
                            outbox=item.outbox),
        )
    assert item.event is not None
    return TimelineEvent(kind="event", at=item.at, event=event(item.event, item.author_user))


def post(view: PostView) -> PostOut:
    row = view.post
    return PostOut(
        id=row.id, platform_post_id=row.platform_post_id, channel=channel_ref(view.account), text=row.text,
        title=row.title, permalink=row.permalink, posted_at=row.posted_at, author_name=row.author_name,
        by_account=row.by_account, fetch_state=row.fetch_state,  # type: ignore[arg-type]
        cases=view.cases, active_cases=view.active_cases, comments=view.comments, last_comment_at=view.last_comment_at,
    )


def case_detail(view: CaseView) -> CaseDetail:
    case = view.case
    account = view.accounts.get(case.last_channel_account_id) if case.last_channel_account_id else None
    return CaseDetail(
        **_case_fields(case),
        contact=contact(view.contact, view.identities),
        assignee=user_ref(view.assignee),
        channel=channel_ref(account),
        timeline=[timeline_item(i, case.number) for i in view.items],
        previous_cases=[PreviousCase(number=c.number, status=c.status,  # type: ignore[arg-type]
                                     subject=c.subject, last_activity_at=c.last_activity_at)
                        for c in view.previous_cases],
        posts=[post(p) for p in view.posts],
    )
