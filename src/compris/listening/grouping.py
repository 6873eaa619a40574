"""Online grouping of messages into clusters (pure: no database), used by the clustering job and by
:func:`compris.listening.clusters.cluster_offline` alike, so that what the benchmark measures is what runs.

Each message is an :class:`Item` with its cheap :mod:`signature <compris.listening.signature>` and, when the
e5 encoder is installed and had time for it, a *centred* e5 vector (the embedding minus the mean embedding of
ordinary traffic in its language, renormalised: raw e5 cosines of any two customer messages sit between 0.8 and
0.93; centred, unrelated messages fall near 0). Items are taken one by one, in arrival order:

1. the item joins the open cluster it matches best, if any matches;
2. else it is paired with the best-matching *loose* item (a recent message that joined no cluster, from another
   case): the two seed a new cluster;
3. else it stays loose (a cluster of one is no cluster: clusters start at two customers).

A match is a near-duplicate (signature cosine >= :attr:`Thresholds.duplicate`) or, when both sides have e5
vectors, a same-subject message (centred e5 cosine >= :attr:`Thresholds.vector`); without vectors the
signature's own lower threshold :attr:`Thresholds.signature` decides. Among candidates the one with the largest
margin above its threshold wins. Centroids are running means (vectors, and signatures cut to their heaviest
terms). Everything is deterministic for a given order of items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from compris.listening import signature as sig

__all__ = ["Group", "Grouper", "Item", "Thresholds"]

Vector = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Thresholds:
    """Chosen on the ``tune`` waves of :mod:`compris.listening.cluster_eval` (docs/listening.md)."""

    duplicate: float = 0.55
    signature: float = 0.45
    #: on the mix ``MIX`` × centred e5 cosine + (1 - ``MIX``) × signature cosine
    vector: float = 0.34
    #: two clusters merge when their means match with this much more than a message needs
    merge_margin: float = 0.05


#: the e5 part of the mixed similarity (the signature adds what e5 misses: shared rare words, the topic)
MIX = 0.7


@dataclass
class Item:
    key: int  # the message id (or the index offline)
    group: str  # who wrote it: a case (two messages of one case never seed a cluster together)
    at: datetime | None
    signature: sig.Signature
    vector: Vector | None = None
    language: str | None = None
    network: str | None = None


@dataclass
class Group:
    """An open cluster as the grouper sees it. ``id`` None: created by this grouper (not yet stored)."""

    id: int | None
    signature: sig.Signature
    size: int
    centroid: Vector | None = None
    vector_count: int = 0
    incident_id: int | None = None
    #: members added by this grouper, with their similarity
    added: list[tuple[Item, float]] = field(default_factory=list)
    local: int = 0
    #: stored clusters merged into this one by this grouper
    absorbed: list[Group] = field(default_factory=list)

    def score(self, item: Item, thresholds: Thresholds) -> tuple[float, float] | None:
        """(margin above the threshold, similarity) if ``item`` matches, else None."""
        return _score(item.signature, item.vector, self.signature, self.centroid, thresholds)

    def add(self, item: Item, similarity: float) -> None:
        self.signature = sig.mean(self.signature, self.size, [item.signature])
        if item.vector is not None:
            if self.centroid is None or self.vector_count == 0:
                self.centroid = item.vector.astype(np.float32, copy=True)
                self.vector_count = 1
            else:
                self.centroid = ((self.centroid * self.vector_count + item.vector) / (self.vector_count + 1)).astype(
                    np.float32)
                self.vector_count += 1
        self.size += 1
        self.added.append((item, similarity))

    def absorb(self, other: Group) -> None:
        """Take ``other``'s members: weighted means of the signatures and vectors."""
        self.signature = sig.combine(self.signature, self.size, other.signature, other.size)
        if other.centroid is not None and other.vector_count:
            if self.centroid is None or not self.vector_count:
                self.centroid, self.vector_count = other.centroid, other.vector_count
            else:
                total = self.vector_count + other.vector_count
                self.centroid = ((self.centroid * self.vector_count + other.centroid * other.vector_count)
                                 / total).astype(np.float32)
                self.vector_count = total
        self.size += other.size
        self.added.extend(other.added)
        if other.id is not None:
            self.absorbed.append(other)
        self.absorbed.extend(other.absorbed)


def _score(a_sig: sig.Signature, a_vec: Vector | None, b_sig: sig.Signature, b_vec: Vector | None,
           t: Thresholds) -> tuple[float, float] | None:
    s = sig.cosine(a_sig, b_sig)
    best: tuple[float, float] | None = None
    if s >= t.duplicate:
        best = (s - t.duplicate, s)
    if a_vec is not None and b_vec is not None:
        norm = float(np.linalg.norm(b_vec))
        v = MIX * (float(np.dot(a_vec, b_vec) / norm) if norm else 0.0) + (1 - MIX) * s
        if v >= t.vector and (best is None or v - t.vector > best[0]):
            best = (v - t.vector, v)
    elif s >= t.signature and best is None:
        best = (s - t.signature, s)
    return best


class _LoosePool:
    """The loose items, kept as matrices so that comparing a new message with thousands of them stays cheap: their
    signatures as rows of a sparse matrix (all signature cosines in one sparse product), their vectors as rows of a
    dense one (all e5 cosines in one product). New rows wait in a short tail before they join the matrices."""

    TAIL = 128

    def __init__(self, items: list[Item]) -> None:
        self.items: dict[int, Item] = {}
        self.order: dict[int, int] = {}
        self.vocab: dict[str, int] = {}
        self.keys: list[int] = []  # row -> key (signature rows and vector rows share the numbering)
        self.row_of: dict[int, int] = {}
        self.alive = np.zeros(0, dtype=bool)
        self.sig_base: Any = None  # scipy.sparse.csr_matrix of the rows before ``tail_from``
        self.tail_from = 0
        self.vectors = np.zeros((0, 0), dtype=np.float32)
        self.has_vector = np.zeros(0, dtype=bool)
        for item in items:
            self.add(item)

    def add(self, item: Item) -> None:
        row = len(self.keys)
        self.items[item.key] = item
        self.order[item.key] = row
        self.keys.append(item.key)
        self.row_of[item.key] = row
        for term in item.signature:
            self.vocab.setdefault(term, len(self.vocab))
        if row >= len(self.alive):
            size = max(64, 2 * len(self.alive))
            alive = np.zeros(size, dtype=bool)
            alive[:row] = self.alive[:row]
            self.alive = alive
            has = np.zeros(size, dtype=bool)
            has[:row] = self.has_vector[:row]
            self.has_vector = has
            if self.vectors.size:
                grown = np.zeros((size, self.vectors.shape[1]), dtype=np.float32)
                grown[:row] = self.vectors[:row]
                self.vectors = grown
        self.alive[row] = True
        if item.vector is not None:
            if not self.vectors.size:
                self.vectors = np.zeros((len(self.alive), len(item.vector)), dtype=np.float32)
            norm = float(np.linalg.norm(item.vector))
            self.vectors[row] = item.vector / norm if norm else item.vector
            self.has_vector[row] = True
        if row + 1 - self.tail_from >= self.TAIL:
            self._compact()

    def _compact(self) -> None:
        from scipy import sparse

        data: list[float] = []
        cols: list[int] = []
        indptr = [0]
        for key in self.keys:
            item = self.items.get(key)
            if item is not None:
                for term, w in item.signature.items():
                    cols.append(self.vocab[term])
                    data.append(w)
            indptr.append(len(cols))
        self.sig_base = sparse.csr_matrix((np.asarray(data, dtype=np.float32), np.asarray(cols, dtype=np.int64),
                                           np.asarray(indptr)), shape=(len(self.keys), len(self.vocab)))
        self.tail_from = len(self.keys)

    def remove(self, item: Item) -> None:
        self.items.pop(item.key, None)
        row = self.row_of.pop(item.key, None)
        if row is not None:
            self.alive[row] = False

    def _signature_cosines(self, item: Item) -> npt.NDArray[np.float32]:
        n = len(self.keys)
        out = np.zeros(n, dtype=np.float32)
        if self.sig_base is not None and self.tail_from:
            width = self.sig_base.shape[1]
            pairs = [(self.vocab[t], w) for t, w in item.signature.items() if t in self.vocab and self.vocab[t] < width]
            if pairs:
                x = np.zeros(width, dtype=np.float32)
                for col, w in pairs:
                    x[col] = w
                out[: self.tail_from] = self.sig_base @ x
        for row in range(self.tail_from, n):
            other = self.items.get(self.keys[row])
            if other is not None:
                out[row] = sig.cosine(item.signature, other.signature)
        return out

    def best(self, item: Item, t: Thresholds) -> tuple[float, float, Item] | None:
        """The best-matching loose item of another case: (margin, similarity, item), by the rule of
        :func:`_score` (signatures and vectors are unit vectors), ties to the earliest."""
        n = len(self.keys)
        if not n:
            return None
        alive = self.alive[:n]
        s = self._signature_cosines(item)
        margin = np.where(s >= t.duplicate, s - t.duplicate, -1.0)
        similarity = np.where(s >= t.duplicate, s, 0.0)
        both = self.has_vector[:n] if item.vector is not None else np.zeros(n, dtype=bool)
        if item.vector is not None and both.any():
            v = MIX * (self.vectors[:n] @ item.vector) + (1 - MIX) * s
            better = both & (v >= t.vector) & (v - t.vector > margin)
            margin = np.where(better, v - t.vector, margin)
            similarity = np.where(better, v, similarity)
        only = ~both & (s >= t.signature) & (margin < 0)
        margin = np.where(only, s - t.signature, margin)
        similarity = np.where(only, s, similarity)
        margin = np.where(alive, margin, -1.0)
        for row in np.argsort(-margin, kind="stable"):
            if margin[row] < 0:
                return None
            other = self.items[self.keys[int(row)]]
            if other.group != item.group:
                return float(margin[row]), float(similarity[row]), other
        return None


class Grouper:
    """Assigns items to ``groups`` (open clusters) or seeds new ones from ``loose`` items."""

    def __init__(self, groups: list[Group], loose: list[Item], thresholds: Thresholds | None = None) -> None:
        self.groups = list(groups)
        self.loose = _LoosePool(loose)
        self.thresholds = thresholds or Thresholds()
        self._next_local = 1
        #: groups merged into another (stored ones lose their members to the survivor)
        self.merged: list[Group] = []

    def add(self, item: Item) -> tuple[Group, float] | None:
        """Place ``item``: the cluster it joined (and its similarity), or None when it stays loose. An item
        without a signature (no content word: "thanks!", an emoji) never joins anything."""
        if not item.signature:
            return None
        t = self.thresholds
        best: tuple[float, float, Group | Item] | None = None
        for g in self.groups:
            m = g.score(item, t)
            if m is not None and (best is None or m[0] > best[0]):
                best = (m[0], m[1], g)
        other = self.loose.best(item, t)
        if other is not None and (best is None or other[0] > best[0]):
            best = other
        if best is None:
            self.loose.add(item)
            return None
        _, similarity, target = best
        if isinstance(target, Group):
            target.add(item, similarity)
            return self._merge(target), similarity
        self.loose.remove(target)
        group = Group(id=None, signature={}, size=0, local=self._next_local)
        self._next_local += 1
        group.add(target, similarity)
        group.add(item, similarity)
        self.groups.append(group)
        return self._merge(group), similarity

    def _merge(self, grown: Group) -> Group:
        """Merge the clusters that ``grown`` now matches (one subject seeded twice, by two phrasings that did
        not match each other): the stored (then the larger) one keeps its identity. Returns the survivor."""
        t = self.thresholds
        survivor = grown
        for other in list(self.groups):
            if other is survivor or other not in self.groups:
                continue
            if survivor.incident_id is not None and other.incident_id is not None:
                continue  # two incidents are for people to merge
            m = _score(survivor.signature, _unit(survivor.centroid), other.signature, other.centroid, t)
            if m is None or m[0] < t.merge_margin:
                continue
            keep, drop = (survivor, other) if _keeps(survivor, other) else (other, survivor)
            keep.absorb(drop)
            self.groups.remove(drop)
            self.merged.append(drop)
            survivor = keep
        return survivor


def _keeps(a: Group, b: Group) -> bool:
    """Whether ``a`` survives a merge with ``b``: a cluster linked to an incident, then a stored one, then the
    larger, then the older."""
    ka = (a.incident_id is not None, a.id is not None, a.size, -(a.id or 1 << 62))
    kb = (b.incident_id is not None, b.id is not None, b.size, -(b.id or 1 << 62))
    return ka >= kb


def _unit(vector: Vector | None) -> Vector | None:
    if vector is None:
        return None
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm else vector


def vector_from_json(value: Any) -> Vector | None:
    """A stored centroid (a JSON list of floats), or None."""
    if not value:
        return None
    return np.asarray(value, dtype=np.float32)


def vector_to_json(vector: Vector | None) -> list[float]:
    return [] if vector is None else [round(float(x), 5) for x in vector]
