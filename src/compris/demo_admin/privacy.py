"""The demo's erasure (issue 19): a minor customer who wrote once and asked for their data to be erased; an admin
erased it, so the Personal data page shows one record (and the contact shows what an erased contact looks like)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from compris.connectors.base import Author, InboundMessage, Visibility
from compris.inbox.actions.inbound import record_inbound
from compris.kit.clock import now
from compris.models import Case, ChannelAccount, Erasure, User
from compris.privacy.actions.erasure import erase_contact
from compris.runtime import Runtime

PLATFORM_USER_ID = "demo-erasure-7f3a21"
REASON = "Asked in a private message"


def load(runtime: Runtime, workspace_id: int, users: dict[str, int]) -> None:
    with runtime.db.transaction() as session:
        if session.scalar(select(Erasure.id).where(Erasure.workspace_id == workspace_id, Erasure.reason == REASON)):
            return  # loaded before (the erased message's platform id is gone: it would be taken for a new one)
        account = session.scalar(select(ChannelAccount).where(ChannelAccount.workspace_id == workspace_id,
                                                              ChannelAccount.is_active.is_(True))
                                 .order_by(ChannelAccount.id).limit(1))
        if account is None:
            return
        message = record_inbound(session, runtime.publisher, account, InboundMessage(
            platform_message_id=f"{PLATFORM_USER_ID}-1", thread_key=f"dm-{PLATFORM_USER_ID}",
            visibility=Visibility.PRIVATE,
            author=Author(platform_user_id=PLATFORM_USER_ID, handle="@jeanne_demo", name="Jeanne Exemple"),
            text="Bonjour, pouvez-vous supprimer toutes mes données ? Merci.",
            created_at=now() - timedelta(days=2)))
        if message is None:
            return
        case = session.get(Case, message.case_id)
        assert case is not None
        admin = session.get(User, users["admin"]) if "admin" in users else None
        erase_contact(session, runtime.publisher, workspace_id=workspace_id,
                      contact_id=case.contact_id, source="admin", requested_by=admin,
                      reason=REASON, data_dir=runtime.settings.data_dir)

