"""Loading the triage models: a directory of plain files (JSON + ``.npz``), no pickle.

The shipped default lives in ``compris/triage/models_data/default`` inside the package; ``train(...)``
writes the same layout anywhere. ``load_models(None)`` caches the default.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from compris.triage import embeddings
from compris.triage.features import Featurizer, LinearHead
from compris.triage.text import normalize

__all__ = ["FORMAT_VERSION", "TriageModels", "default_model_dir", "load_models"]

FORMAT_VERSION = 1
MODEL_ENV = "COMPRIS_TRIAGE_MODELS"


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

    @property
    def has_accurate_path(self) -> bool:
        return self.accurate_sentiment is not None and embeddings.available()

    def override(self, text: str, field_name: str) -> str | None:
        """A label the team set for exactly this text (after normalisation), if any."""
        entry = self.overrides.get(normalize(text))
        return entry.get(field_name) if entry else None

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        return embeddings.embed(texts)


def default_model_dir() -> Path:
    """The model directory shipped inside the package."""
    return Path(str(resources.files("compris.triage").joinpath("models_data/default")))


_lock = threading.Lock()


def _load(path: Path) -> TriageModels:
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


@lru_cache(maxsize=8)
def _load_cached(path: Path) -> TriageModels:
    with _lock:
        return _load(path)


def load_models(path: Path | None = None) -> TriageModels:
    """Load (and cache) the models in ``path``; ``None`` = ``$COMPRIS_TRIAGE_MODELS`` or the shipped ones."""
    import os

    if path is None:
        env = os.environ.get(MODEL_ENV)
        path = Path(env) if env else default_model_dir()
    return _load_cached(Path(path).resolve())
