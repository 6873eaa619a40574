"""The posts customers comment under (issue 16, threads and context).

A public comment's delivery names the post it is under (:class:`~compris.connectors.base.ParentPost`: its id
always; its text, author, link and time when the platform sent them). :func:`link_thread` keeps one
:class:`~compris.models.Post` per account and platform post id, fills what it did not know yet, and links the
comment's thread to it (:class:`~compris.models.PostThread`), inside the transaction that stores the message.
When the post's text is unknown and the connector can read posts (:meth:`Connector.fetch_post`), the post is
marked ``pending`` and one ``inbox.fetch_post`` job is queued (:mod:`compris.inbox.posts`), which reads it outside
any transaction and records the outcome with :func:`record_fetched_post`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from compris import bus
from compris.connectors.base import Connector, ParentPost
from compris.db import savepoint
from compris.events import PostUpdated
from compris.kit.clock import now
from compris.live import Publisher
from compris.models import ChannelAccount, Post, PostThread, Thread
from compris.worker.queue import POLL_LANE, enqueue

log = logging.getLogger(__name__)

FETCH_POST = "inbox.fetch_post"
LANE = POLL_LANE
NONE, PENDING, FETCHED, FAILED = "none", "pending", "fetched", "failed"
#: the longest post text kept (a post is context for the agent, not a record of its own)
MAX_POST_TEXT = 5000


def can_fetch(connector: Connector) -> bool:
    """Whether the connector reads posts from its platform (it overrides :meth:`Connector.fetch_post`)."""
    return type(connector).fetch_post is not Connector.fetch_post


def _fill(post: Post, facts: ParentPost) -> None:
    """What the platform said, over what we did not know (a known value is replaced only by a newer one)."""
    if facts.text:
        post.text = facts.text[:MAX_POST_TEXT]
    if facts.title:
        post.title = facts.title[:500]
    if facts.permalink:
        post.permalink = facts.permalink[:1000]
    if facts.created_at is not None:
        post.posted_at = facts.created_at
    if facts.author_id:
        post.author_id = facts.author_id[:300]
    if facts.author_name:
        post.author_name = facts.author_name[:200]
    if facts.by_account is not None:
        post.by_account = facts.by_account


def post_for(session: Session, account: ChannelAccount, facts: ParentPost) -> Post:
    """The account's post of this platform id (created when new), with what ``facts`` adds."""
    key = facts.platform_post_id[:300]
    found = select(Post).where(Post.channel_account_id == account.id, Post.platform_post_id == key)
    post = session.scalar(found)
    if post is None:
        try:
            # two workers may store the first two comments under a post at once: the second insert fails on the
            # unique post and is undone (the savepoint); it takes the first one's row
            with savepoint(session, IntegrityError):
                post = Post(workspace_id=account.workspace_id, channel_account_id=account.id, platform_post_id=key)
                _fill(post, facts)
                session.add(post)
                session.flush()
        except IntegrityError:
            post = session.scalar(found)
            if post is None:
                raise
    _fill(post, facts)
    return post


def link_thread(session: Session, publisher: Publisher, account: ChannelAccount, connector: Connector,
                thread: Thread, facts: ParentPost) -> Post:
    """Link the comment's ``thread`` to its post (once), and queue reading the post when its text is unknown."""
    post = post_for(session, account, facts)
    session.flush()
    linked = session.scalar(select(PostThread).where(PostThread.thread_id == thread.id))
    if linked is None:
        session.add(PostThread(workspace_id=account.workspace_id, post_id=post.id, thread_id=thread.id))
    elif linked.post_id != post.id:  # the network moved the thread (never seen; the latest word wins)
        linked.post_id = post.id
    if not post.text and post.fetch_state == NONE and can_fetch(connector):
        post.fetch_state = PENDING
        enqueue(session, publisher, workspace_id=account.workspace_id, kind=FETCH_POST,
                payload={"post_id": post.id}, dedupe_key=f"{FETCH_POST}:{post.id}")
    session.flush()
    return post


def record_fetched_post(session: Session, publisher: Publisher, post_id: int, workspace_id: int,
                        facts: ParentPost | None, *, at: datetime | None = None) -> Post | None:
    """The outcome of reading a post from its platform: its facts (``fetched``), or nothing (``failed``: the
    platform had no such post, refused, or kept failing; never tried again). None when the post is gone."""
    post = session.scalar(select(Post).where(Post.id == post_id, Post.workspace_id == workspace_id))
    if post is None:
        return None
    if facts is not None:
        _fill(post, facts)
        post.fetch_state = FETCHED
    else:
        post.fetch_state = FAILED
    post.fetched_at = at or now()
    session.flush()
    bus.emit(session, publisher, PostUpdated(workspace_id=workspace_id, post_id=post.id,
                                             channel_account_id=post.channel_account_id,
                                             fetched=facts is not None))
    return post
