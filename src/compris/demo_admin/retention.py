"""The demo's retention policy: raw deliveries kept 90 days, attachments 365, messages 730, audit entries 365; and a
few deliveries from the networks processed about four months ago (before the demo's eight weeks of history), so
that ``/admin/retention`` announces something for the next run (which then removes them)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from compris.kit.clock import now
from compris.models import ChannelAccount, RawEvent, RawEventStatus, User
from compris.privacy import retention_queries
from compris.privacy.actions import retention
from compris.runtime import Runtime

POLICY = {"messages_days": 730, "attachments_days": 365, "raw_events_days": 90, "audit_days": 365}
#: the old deliveries: how many, and how long ago the newest of them arrived
OLD_DELIVERIES = 12
OLDEST_BACK = timedelta(days=96)


def load(runtime: Runtime, workspace_id: int, users: dict[str, int]) -> None:
    with runtime.db.transaction() as session:
        admin = session.get(User, users["admin"])
        if admin is None or admin.workspace_id != workspace_id:
            return
        if retention_queries.policy_of(session, workspace_id) is None:
            retention.save_policy(session, runtime.publisher, actor=admin, values=POLICY)
        account_id = session.scalar(select(ChannelAccount.id).where(ChannelAccount.workspace_id == workspace_id)
                                    .order_by(ChannelAccount.id).limit(1))
        if account_id is None:
            return
        keys = [f"demo-archive-{i}" for i in range(OLD_DELIVERIES)]
        present = set(session.scalars(select(RawEvent.event_key).where(RawEvent.channel_account_id == account_id,
                                                                        RawEvent.event_key.in_(keys))))
        t = now()
        for i, key in enumerate(keys):
            if key in present:
                continue
            at = t - OLDEST_BACK - timedelta(days=i, hours=3 * i)
            session.add(RawEvent(workspace_id=workspace_id, channel_account_id=account_id, event_key=key,
                                 body=json.dumps({"event_id": key, "type": "message"}).encode(),
                                 content_type="application/json", status=RawEventStatus.PROCESSED.value,
                                 created_at=at, processed_at=at))
