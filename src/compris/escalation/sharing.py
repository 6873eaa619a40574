"""What a partner sees of an escalation: the brief, the case's messages and files the agent chose to share, and the
escalation's exchanges so far. The portal page and the partner's e-mails read it through :func:`shared_view`.

The personal data in the shared messages (e-mail addresses, phone numbers, card numbers...: what
:func:`compris.triage.pii.mask` finds, in the customer's and the agents' messages alike) is masked, and the customer
is named "Customer",
unless the agent ticked "share the customer's personal data" (``escalation.shared["personal_data"]``). The brief and
the exchanges are written for the partner (by the agent, or by the partner) and are shown as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.models import Case, Direction, Escalation, Exchange, Identity, Message, Partner, Upload, User
from compris.triage.pii import mask

CUSTOMER = "Customer"
BRAND = "Customer care"


@dataclass(frozen=True)
class SharedFile:
    id: int
    name: str
    mime_type: str
    size: int


@dataclass(frozen=True)
class SharedMessage:
    id: int
    author: str  # the customer's name (or "Customer" when masked), the agent's name, or "Customer care"
    from_customer: bool
    sent_at: datetime
    text: str  # masked unless personal data is shared
    files: tuple[SharedFile, ...] = ()


@dataclass(frozen=True)
class SharedExchange:
    id: int
    kind: str  # brief | follow_up | reminder | answer | done | need_info
    direction: str  # to_partner | from_partner
    author: str
    created_at: datetime
    text: str
    files: tuple[SharedFile, ...] = ()


@dataclass(frozen=True)
class SharedView:
    """Everything the partner may see of one escalation, and nothing else."""

    escalation_id: int
    case_number: int
    partner: str
    language: str
    status: str
    due_at: datetime | None
    brief: str
    personal_data: bool
    messages: tuple[SharedMessage, ...]
    files: tuple[SharedFile, ...]  # the files shared with the brief
    exchanges: tuple[SharedExchange, ...]

    @property
    def upload_ids(self) -> list[int]:
        """Every file the partner may download through this escalation (shared, or part of an exchange)."""
        ids = [f.id for f in self.files]
        ids += [f.id for m in self.messages for f in m.files]
        ids += [f.id for e in self.exchanges for f in e.files]
        return list(dict.fromkeys(ids))


def _file(upload: Upload) -> SharedFile:
    return SharedFile(upload.id, upload.name, upload.mime_type, upload.size)


def _files(by_id: dict[int, Upload], ids: list[int]) -> tuple[SharedFile, ...]:
    return tuple(_file(by_id[i]) for i in ids if i in by_id)


def shared_view(session: Session, escalation: Escalation) -> SharedView:
    """What the partner of ``escalation`` may see: its brief, the case's messages it shares (oldest first, each
    with its author's label, time and text, masked unless personal data was shared, and its files among the
    shared ones), the files shared, and the escalation's exchanges (oldest first). Deleted messages are left out;
    the escalation's workspace bounds every read."""
    ws = escalation.workspace_id
    case = session.get(Case, escalation.case_id)
    partner = session.get(Partner, escalation.partner_id)
    assert case is not None and partner is not None
    shared = escalation.shared or {}
    personal = bool(shared.get("personal_data"))
    message_ids = [int(i) for i in shared.get("message_ids") or []]
    shared_upload_ids = [int(i) for i in shared.get("upload_ids") or []]
    messages = list(session.scalars(
        select(Message).where(Message.workspace_id == ws, Message.case_id == case.id, Message.id.in_(message_ids),
                              Message.deleted_at.is_(None))
        .order_by(Message.sent_at, Message.id))) if message_ids else []
    exchanges = list(session.scalars(
        select(Exchange).where(Exchange.workspace_id == ws, Exchange.escalation_id == escalation.id)
        .order_by(Exchange.created_at, Exchange.id)))
    all_upload_ids = set(shared_upload_ids) | {int(u) for e in exchanges for u in e.upload_ids or []}
    uploads = {u.id: u for u in session.scalars(
        select(Upload).where(Upload.workspace_id == ws, Upload.id.in_(all_upload_ids)))} if all_upload_ids else {}
    identity_ids = {m.author_identity_id for m in messages if m.author_identity_id}
    identities = {i.id: i for i in session.scalars(select(Identity).where(Identity.id.in_(identity_ids)))} \
        if identity_ids else {}
    user_ids = {m.author_user_id for m in messages if m.author_user_id} | {
        e.author_user_id for e in exchanges if e.author_user_id}
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))} if user_ids else {}

    def message_author(m: Message) -> str:
        if m.direction == Direction.INBOUND:
            if not personal:
                return CUSTOMER
            ident = identities.get(m.author_identity_id) if m.author_identity_id else None
            return (ident.name or ident.handle or CUSTOMER) if ident else CUSTOMER
        user = users.get(m.author_user_id) if m.author_user_id else None
        return user.name if user else BRAND

    files_by_message: dict[int, list[int]] = {}
    for upload_id in shared_upload_ids:
        upload = uploads.get(upload_id)
        if upload is not None and upload.message_id is not None:
            files_by_message.setdefault(upload.message_id, []).append(upload_id)

    def exchange_author(e: Exchange) -> str:
        if e.direction == "from_partner":
            return e.author_email or partner.name
        user = users.get(e.author_user_id) if e.author_user_id else None
        return user.name if user else BRAND

    return SharedView(
        escalation_id=escalation.id, case_number=case.number, partner=partner.name, language=escalation.language,
        status=escalation.status, due_at=escalation.due_at, brief=escalation.brief, personal_data=personal,
        messages=tuple(SharedMessage(
            id=m.id, author=message_author(m), from_customer=m.direction == Direction.INBOUND, sent_at=m.sent_at,
            text=m.text if personal else mask(m.text),
            files=_files(uploads, files_by_message.get(m.id, []))) for m in messages),
        files=_files(uploads, shared_upload_ids),
        exchanges=tuple(SharedExchange(
            id=e.id, kind=e.kind, direction=e.direction, author=exchange_author(e), created_at=e.created_at,
            text=e.text, files=_files(uploads, [int(u) for u in e.upload_ids or []])) for e in exchanges),
    )
