"""The posts customers comment under: a brand's post on its page, a tweet, a video (issue 16, threads and context)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from compris.models.base import Base, WorkspaceScoped


class Post(WorkspaceScoped, Base):
    """One post of a channel account's network that public comments are under (:class:`PostThread` links the
    threads of its comments to it).

    Filled from what the deliveries carried (:class:`compris.connectors.base.ParentPost`), completed once by the
    ``inbox.fetch_post`` job where the connector can read posts; ``fetch_state`` says how that went."""

    __tablename__ = "posts"
    __table_args__ = (UniqueConstraint("channel_account_id", "platform_post_id"),)

    channel_account_id: Mapped[int] = mapped_column(ForeignKey("channel_accounts.id", ondelete="CASCADE"), index=True)
    platform_post_id: Mapped[str] = mapped_column(String(300))
    text: Mapped[str | None] = mapped_column(Text, default=None)
    title: Mapped[str | None] = mapped_column(String(500), default=None)
    permalink: Mapped[str | None] = mapped_column(String(1000), default=None)
    posted_at: Mapped[datetime | None] = mapped_column(default=None)
    author_id: Mapped[str | None] = mapped_column(String(300), default=None)
    author_name: Mapped[str | None] = mapped_column(String(200), default=None)
    #: True: our own account's post; False: someone else's; None: the network did not say
    by_account: Mapped[bool | None] = mapped_column(default=None)
    #: ``none`` (nothing to fetch, or the connector cannot), ``pending``, ``fetched``, ``failed``
    fetch_state: Mapped[str] = mapped_column(String(16), default="none")
    fetched_at: Mapped[datetime | None] = mapped_column(default=None)


class PostThread(WorkspaceScoped, Base):
    """A thread of comments under a post (one post per thread; a YouTube video has one thread per top-level
    comment, a Facebook post one for all its comments). A table of its own rather than a column on ``threads``: on
    SQLite adding a foreign key to ``threads`` would copy the table, and dropping the old copy cascades to its
    messages."""

    __tablename__ = "post_threads"

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), unique=True)
