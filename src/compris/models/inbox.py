from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, validates

from compris.kit.clock import now
from compris.kit.textfold import folded_or_none
from compris.models.base import Base, WorkspaceScoped


class CaseStatus(enum.StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING_CUSTOMER = "waiting_customer"
    WAITING_PARTNER = "waiting_partner"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"
    CLOSED = "closed"


ACTIVE_STATUSES = (
    CaseStatus.NEW,
    CaseStatus.OPEN,
    CaseStatus.WAITING_CUSTOMER,
    CaseStatus.WAITING_PARTNER,
    CaseStatus.SNOOZED,
)


class Direction(enum.StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class DeliveryState(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    RETRYING = "retrying"
    SENT = "sent"
    DELIVERED = "delivered"  # the platform reported it delivered to the customer
    READ = "read"  # ... and read
    FAILED = "failed"
    UNCERTAIN = "uncertain"  # the worker died mid-send on a network without idempotency keys
    MANUAL = "manual"  # a network with no API for replies (TripAdvisor): waits for an agent to post it by hand


class Thread(WorkspaceScoped, Base):
    """A conversation as the platform sees it."""

    __tablename__ = "threads"
    __table_args__ = (UniqueConstraint("channel_account_id", "platform_thread_key"),)

    channel_account_id: Mapped[int] = mapped_column(ForeignKey("channel_accounts.id", ondelete="CASCADE"), index=True)
    platform_thread_key: Mapped[str] = mapped_column(String(300))
    visibility: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(500), default=None)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), default=None)
    last_inbound_at: Mapped[datetime | None] = mapped_column(default=None)


#: the cases waiting for their first answer (the expected wait's queue ahead, per account)
CASES_UNANSWERED_WHERE = "first_response_at IS NULL AND status IN ('new', 'open')"
#: the cases whose first-response deadline runs (the SLA forecast's queue, per team)
CASES_FIRST_DUE_WHERE = "sla_first_response_due IS NOT NULL AND status IN ('new', 'open')"
#: the cases being worked on (``ACTIVE_STATUSES``; the inbox's default): the partial indexes of its sorts
CASES_ACTIVE_WHERE = "status IN ('new', 'open', 'waiting_customer', 'waiting_partner', 'snoozed')"
#: the needs-answer sort's first key (breached first), as the inbox's query writes it (``inbox.queries``)
NEEDS_ANSWER_RANK = "(CASE WHEN sla_status = 'breached' THEN 0 ELSE 1 END)"
#: indexes of ``cases`` on expressions (a descending priority, :data:`NEEDS_ANSWER_RANK`), made by the migration
#: ``o2_inbox_indexes`` and not declared here: Alembic cannot compare such indexes with the database's
CASES_EXPRESSION_INDEXES = ("ix_cases_ws_priority", "ix_cases_ws_needs_answer", "ix_cases_active_needs_answer",
                            "ix_cases_active_priority", "ix_cases_active_intent")
#: the case's intent in its triage, as PostgreSQL's statistics ``st_cases_intent`` (and the inbox's filter) write it
CASE_INTENT_EXPRESSION = "cases.triage ->> 'intent'"


class Case(WorkspaceScoped, Base):
    """One customer's issue; may span several threads on several networks."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("workspace_id", "number"),
        # the analytics backlog counts the active cases per status, team and assignee from this index alone
        Index("ix_cases_ws_status_activity", "workspace_id", "status", "last_activity_at",
              postgresql_include=["team_id", "assignee_id", "last_channel_account_id", "language"]),
        Index("ix_cases_ws_sla_next_due", "workspace_id", "sla_next_due_at"),
        # what every inbound message reads (the expected wait's samples, the SLA forecast's throughput and queue):
        # index ranges, so that ingest does not slow down as the history grows (issue 22)
        Index("ix_cases_ws_first_response", "workspace_id", "first_response_at"),
        Index("ix_cases_account_first_response", "last_channel_account_id", "first_response_at"),
        Index("ix_cases_team_first_response", "team_id", "first_response_at"),
        Index("ix_cases_unanswered", "last_channel_account_id", postgresql_where=text(CASES_UNANSWERED_WHERE),
              sqlite_where=text(CASES_UNANSWERED_WHERE)),
        Index("ix_cases_team_first_due", "team_id", "sla_first_response_due",
              postgresql_where=text(CASES_FIRST_DUE_WHERE), sqlite_where=text(CASES_FIRST_DUE_WHERE)),
        # the inbox's sorts, one index each (a page is a walk of its index, however many cases: issue 22); the
        # active cases' own (partial: small, and only active cases are written to them) for the usual views
        Index("ix_cases_ws_activity", "workspace_id", "last_activity_at", "id"),
        Index("ix_cases_ws_inbound", "workspace_id", "last_inbound_at", "id"),
        Index("ix_cases_active_inbound", "workspace_id", "last_inbound_at", "id",
              postgresql_where=text(CASES_ACTIVE_WHERE), sqlite_where=text(CASES_ACTIVE_WHERE)),
        # (the sorts by priority and "needs an answer first" have indexes on expressions: CASES_EXPRESSION_INDEXES)
        # the filter's languages (one probe each), staffing's arrivals, an agent's cases by status
        Index("ix_cases_ws_language", "workspace_id", "language"),
        Index("ix_cases_ws_first_inbound", "workspace_id", "first_inbound_at"),
        Index("ix_cases_assignee_status", "assignee_id", "status",  # its filters read from the index (o4)
              postgresql_include=["workspace_id", "priority", "team_id", "language", "last_channel_account_id",
                                  "sla_status"]),
    )

    number: Mapped[int] = mapped_column(Integer)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(24), default=CaseStatus.NEW)
    subject: Mapped[str] = mapped_column(String(300), default="")
    assignee_id: Mapped[int | None] = mapped_column(  # indexed with the status (``ix_cases_assignee_status``)
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    triage: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the latest inbound message's triage
    #: how ``priority`` was reached (``compris.inbox.priority``): ``base`` (without an incident's crisis raise),
    #: ``need`` (the most urgent open message's score), ``waiting`` points, ``message_id``, ``reasons``
    priority_info: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: when the oldest customer message not yet answered arrived (None: nothing waits for an answer)
    awaiting_since: Mapped[datetime | None] = mapped_column(default=None, index=True)
    last_channel_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel_accounts.id", ondelete="SET NULL"), default=None
    )
    preview: Mapped[str] = mapped_column(String(300), default="")
    first_inbound_at: Mapped[datetime | None] = mapped_column(default=None)
    last_inbound_at: Mapped[datetime | None] = mapped_column(default=None)
    first_response_at: Mapped[datetime | None] = mapped_column(default=None)
    last_activity_at: Mapped[datetime] = mapped_column(default=now)
    snoozed_until: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    unread: Mapped[bool] = mapped_column(default=True)
    # routing and SLA (issue 5): written only by compris.routing / compris.sla services
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True, default=None)
    sla_policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("sla_policies.id", ondelete="SET NULL"), default=None
    )
    #: a policy forced on the case (an incident's crisis mode), applied instead of the policies' own matching while
    #: it exists and is active (no foreign key: adding one would make SQLite copy the cases table)
    sla_policy_override_id: Mapped[int | None] = mapped_column(Integer, default=None)
    sla_first_response_due: Mapped[datetime | None] = mapped_column(default=None)
    sla_next_response_due: Mapped[datetime | None] = mapped_column(default=None)
    sla_resolution_due: Mapped[datetime | None] = mapped_column(default=None)
    sla_next_due_at: Mapped[datetime | None] = mapped_column(default=None)  # the earliest running deadline
    sla_check_at: Mapped[datetime | None] = mapped_column(default=None, index=True)  # when the pass looks again
    sla_status: Mapped[str | None] = mapped_column(String(16), default=None)
    #: the subject folded for search (``compris.kit.textfold``), kept in step by :meth:`_fold_subject`
    search_subject: Mapped[str | None] = mapped_column(String(300), default=None)

    @validates("subject")
    def _fold_subject(self, _key: str, value: str) -> str:
        self.search_subject = folded_or_none(value, 300)
        return value

    @property
    def priority_reasons(self) -> list[str]:
        """The reasons of the case's priority (its most urgent open need, the waiting time), in English words
        that the pages' ``reason()`` translates; the latest message's when the case was never recomputed."""
        info = self.priority_info or {}
        if "reasons" in info:
            return [str(r) for r in info["reasons"]]
        return [str(r) for r in (self.triage or {}).get("reasons") or []]


class Message(WorkspaceScoped, Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel_account_id", "platform_message_id"),
        Index("ix_messages_case_created", "case_id", "created_at"),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    channel_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel_accounts.id", ondelete="CASCADE"), default=None
    )
    direction: Mapped[str] = mapped_column(String(16))
    visibility: Mapped[str] = mapped_column(String(16))
    platform_message_id: Mapped[str | None] = mapped_column(String(300), default=None)
    reply_to_platform_id: Mapped[str | None] = mapped_column(String(300), default=None)
    reply_to_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), default=None
    )
    author_identity_id: Mapped[int | None] = mapped_column(
        ForeignKey("identities.id", ondelete="SET NULL"), default=None
    )
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    text: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[Any]] = mapped_column(default=list)
    sent_at: Mapped[datetime] = mapped_column(default=now)  # the platform's time for inbound
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    triage: Mapped[dict[str, Any]] = mapped_column(default=dict)
    promoted: Mapped[bool] = mapped_column(default=False)
    reshares: Mapped[int] = mapped_column(Integer, default=0)
    permalink: Mapped[str | None] = mapped_column(String(1000), default=None)
    #: a review's rating, 1-5 stars (``InboundMessage.rating``); None for everything that is not a rated review
    rating: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    # what the connector noted about the platform's message (e.g. X's "summoned"), used when answering it
    platform_extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    delivery_state: Mapped[str | None] = mapped_column(String(16), default=None)
    delivery_error: Mapped[str | None] = mapped_column(Text, default=None)
    raw_event_id: Mapped[int | None] = mapped_column(ForeignKey("raw_events.id", ondelete="SET NULL"), default=None)
    # the author deleted it on the platform (a customer's message then loses its content: ``compris.privacy``)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    #: its content (text, attachments, author link, personal data found by triage) was removed under the workspace's
    #: retention policy (``privacy.actions.retention``); the row, its times and its triage labels stay
    content_removed_at: Mapped[datetime | None] = mapped_column(default=None)
    #: the text folded for search (``compris.kit.textfold``): set with the text (:meth:`_fold_text`); a bulk
    #: ``update()`` that changes ``text`` must set it too (erasure and retention clear both)
    search_text: Mapped[str | None] = mapped_column(Text, default=None)

    @validates("text")
    def _fold_text(self, _key: str, value: str) -> str:
        self.search_text = folded_or_none(value)
        return value


class CaseEvent(WorkspaceScoped, Base):
    """The case timeline, which doubles as the audit log (``case_id`` is null for workspace-level events)."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_created", "case_id", "created_at"),)

    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), default=None)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    kind: Mapped[str] = mapped_column(String(48))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
