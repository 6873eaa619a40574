"""The ``inbox.fetch_post`` job: read a post customers comment under from its platform (issue 16).

Queued by :func:`compris.inbox.actions.posts.link_thread` when a comment's delivery named its post without the
post's text and the connector can read posts. It runs on the poll lane (a network's wait never holds up deliveries
and replies), calls :meth:`Connector.fetch_post` **outside any transaction**, then records the outcome in one short
transaction (:func:`compris.inbox.actions.posts.record_fetched_post`). A transient failure is tried again after a
backoff (:data:`MAX_TRIES` in all); a post already fetched or given up is left alone, so the job is safe to run
twice.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from compris.channels.accounts import connector_for, context
from compris.connectors.base import ConnectorError, FetchError, ParentPost
from compris.inbox.actions import posts
from compris.models import ChannelAccount, Post
from compris.worker.queue import JobRun, RetryLater, backoff

log = logging.getLogger(__name__)

MAX_TRIES = 5


def fetch_post(run: JobRun) -> None:
    post_id = int(run.payload["post_id"])
    workspace_id = run.workspace_id
    with run.db.transaction() as session:
        post = session.scalar(select(Post).where(Post.id == post_id, Post.workspace_id == workspace_id))
        if post is None or post.fetch_state != posts.PENDING:
            return
        account = session.get(ChannelAccount, post.channel_account_id)
        if account is None:
            return
        connector, ctx, platform_id = connector_for(account), context(account, run.services.secret_key), \
            post.platform_post_id
    facts: ParentPost | None = None
    try:
        facts = connector.fetch_post(ctx, platform_id, run.services.http)
    except FetchError as exc:
        if exc.retryable and run.attempt < MAX_TRIES:
            wait = exc.retry_after if exc.retry_after is not None else backoff(run.attempt, base=30.0, cap=3600.0)
            raise RetryLater(wait, exc.reason) from None
        log.info("post %s: not read from %s: %s", post_id, connector.network, exc.reason)
    except ConnectorError as exc:
        log.info("post %s: not read from %s: %s", post_id, connector.network, exc)
    if facts is not None and facts.platform_post_id != platform_id:
        facts = None  # an answer about another post is no answer
    with run.db.transaction() as session:
        posts.record_fetched_post(session, run.publisher, post_id, workspace_id, facts)
