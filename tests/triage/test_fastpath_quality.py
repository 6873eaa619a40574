"""The fast path's quality: the shipped models load, and clear floors on a small fixed slice of the held-out
validation data (when the shared data is there); distillation helpers behave as documented."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from compris.triage import data as ds
from compris.triage import distill
from compris.triage.features import Featurizer, fold_accents
from compris.triage.models import load_models
from compris.triage.training import _argmax_labels, _macro_f1, _mix_gold, _soft_rows

DATA = ds.default_data_dir()
HAVE_DATA = (DATA / "airline_sentiment" / "tweets.csv").is_file() and (DATA / "complaints" / "complaints.csv").is_file()


def test_shipped_models_load_with_their_recipe() -> None:
    models = load_models()
    assert models.featurizer.fold is bool(models.manifest.get("fast_recipe", {}).get("fold_accents", False))
    p_sent, p_comp, _p_topic = models.fast_scores("Vol annulé, toujours pas remboursé !")
    assert p_sent.shape == (3,) and abs(p_sent.sum() - 1) < 1e-6
    assert 0.0 <= p_comp <= 1.0
    teacher = models.path / distill.TEACHER_FILE
    if models.manifest.get("fast_recipe", {}).get("teacher_scores"):
        scores = distill.TeacherScores.load(teacher)
        assert len(scores) == models.manifest["fast_recipe"]["teacher_scores"]
        np.testing.assert_allclose(scores.sent.sum(axis=1), 1.0, atol=1e-6)


def test_fold_accents_only_changes_character_ngrams(tmp_path: Path) -> None:
    assert fold_accents("très déçu, cœur brisé") == "tres decu, coeur brise"
    texts = ["très déçu du service", "tres decu du service", "vol annulé", "vol annule encore"]
    fz = Featurizer.fit(texts, word_min_df=1, char_min_df=1, fold=True)
    a, b = fz.transform(texts[:2]).toarray()
    n_word = len(fz.word.vocab)
    np.testing.assert_allclose(a[n_word:], b[n_word:], atol=1e-6)  # same characters once folded
    assert not np.allclose(a[:n_word], b[:n_word])  # the words still differ
    fz.save(tmp_path / "f")
    again = Featurizer.load(tmp_path / "f")
    assert again.fold
    np.testing.assert_allclose(again.transform(texts).toarray(), fz.transform(texts).toarray(), atol=1e-6)


def test_soft_rows_and_mixing_with_the_teacher() -> None:
    classes = ("negative", "neutral", "positive")
    rows = _soft_rows(["a", "b"], np.array([[0.7, 0.29, 0.01], [0.0, 0.0, 1.0]]), classes, [2.0, 1.0])
    assert rows == [("a", "negative", 1.4), ("a", "neutral", pytest.approx(0.58)), ("b", "positive", 1.0)]
    gold = [("a", "negative", 1.0), ("b", "positive", 0.5)]
    teacher = np.array([[0.2, 0.8, 0.0], [np.nan, np.nan, np.nan]])  # "b" was not scored: gold alone
    mixed = {(t, c): w for t, c, w in _mix_gold(gold, classes, teacher, 0.5)}
    assert mixed == {
        ("a", "negative"): pytest.approx(0.6),
        ("a", "neutral"): pytest.approx(0.4),
        ("b", "positive"): 0.5,
    }
    assert _mix_gold(gold, classes, teacher, 0.0) == gold


def test_teacher_scores_round_trip(tmp_path: Path) -> None:
    cache = distill.TeacherCache(tmp_path / "t.jsonl")
    cache.rows[distill._key("hello")] = ([0.1, 0.2, 0.7], 0.05)
    cache.rows[distill._key("vol annulé")] = ([0.9, 0.05, 0.05], 0.8)
    assert distill.TeacherScores.save(tmp_path / "t.npz", cache, ["hello", "vol annulé", "not scored"]) == 2
    scores = distill.TeacherScores.load(tmp_path / "t.npz")
    assert "hello" in scores and "not scored" not in scores
    np.testing.assert_allclose(scores.sentiment(["vol annulé"])[0], [0.9, 0.05, 0.05], atol=1e-3)
    assert np.isnan(scores.complaint(["not scored"])[0])
    assert scores.complaint(["vol annulé"])[0] == pytest.approx(0.8, abs=1e-3)


@pytest.mark.skipif(not HAVE_DATA, reason="the shared data sets are not here")
def test_shipped_fast_heads_clear_floors_on_a_fixed_validation_slice() -> None:
    """A fixed slice of each held-out split (never trained on): seconds, not minutes.

    Floors are below the full-split figures (docs/triage.md "Figures") by the slice's sampling error, so a
    broken featurizer or head (chance level) fails while ordinary retraining passes."""
    models = load_models()
    air = ds.airline_sentiment(DATA).validation[::6]  # every 6th: all three labels (the split is label-ordered)
    x = models.featurizer.transform([e.text for e in air])
    pred = _argmax_labels(models.sentiment, models.sentiment.proba(x))
    accuracy = float(np.mean([p == e.label for p, e in zip(pred, air, strict=True)]))
    assert accuracy >= 0.76, accuracy
    comp = ds.complaints(DATA).validation[::2]
    x = models.featurizer.transform([e.text for e in comp])
    pred = _argmax_labels(models.complaint, models.complaint.proba(x))
    assert _macro_f1([e.label for e in comp], pred) >= 0.74
    if (DATA / "tweet_sentiment_french" / "tweets.csv").is_file():
        fr = ds.tweet_sentiment(DATA, "fr").validation
        x = models.featurizer.transform([e.text for e in fr])
        pred = _argmax_labels(models.sentiment, models.sentiment.proba(x))
        assert _macro_f1([e.label for e in fr], pred) >= 0.58


def test_distilled_recipe_learns_from_the_teacher(tiny_data: Path, tmp_path: Path) -> None:
    import csv
    import shutil

    from compris.triage.training import DISTILLED, SHIPPED, train

    data = tmp_path / "data"
    shutil.copytree(tiny_data, data)
    isp = ["la box ne marche plus depuis trois jours", "toujours pas de connexion, service client injoignable"]
    (data / "french_isp_tweets").mkdir()
    with (data / "french_isp_tweets" / "free_tweets.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["tweet_id", "author", "text", "date", "url"])
        writer.writerows([[str(i), f"client{i}", t, "2024-01-01", ""] for i, t in enumerate(isp)])
    # a teacher that calls every complaints training text a complaint and the ISP tweets negative
    cache = distill.TeacherCache(tmp_path / "t.jsonl")
    texts = [e.text for e in ds.complaints(data).train]
    for t in texts:
        cache.rows[distill._key(t)] = ([0.8, 0.1, 0.1], 1.0)
    for t in isp:
        cache.rows[distill._key(t)] = ([0.9, 0.05, 0.05], 0.9)
    teacher = tmp_path / "teacher.npz"
    assert distill.TeacherScores.save(teacher, cache, texts + isp) == len(set(texts + isp))

    with pytest.raises(FileNotFoundError):
        train(data, tmp_path / "none", [], accurate=False, recipe=DISTILLED, teacher=tmp_path / "missing.npz")
    plain = train(data, tmp_path / "plain", [], accurate=False, recipe=SHIPPED)
    distilled = train(data, tmp_path / "distilled", [], accurate=False, recipe=DISTILLED, teacher=teacher)
    assert distilled.sizes["sentiment"] > plain.sizes["sentiment"]  # the ISP tweets as soft rows
    manifest = json.loads((tmp_path / "distilled" / "manifest.json").read_text())
    assert manifest["fast_recipe"]["fold_accents"] is True
    assert manifest["fast_recipe"]["teacher_scores"] == len(set(texts + isp))
    assert (tmp_path / "distilled" / distill.TEACHER_FILE).is_file()
    assert not (tmp_path / "plain" / distill.TEACHER_FILE).exists()

    plain_models, distilled_models = load_models(tmp_path / "plain"), load_models(tmp_path / "distilled")
    assert distilled_models.featurizer.fold and not plain_models.featurizer.fold
    k = plain_models.complaint.classes.index("complaint")
    probe = [e.text for e in ds.complaints(data).train]
    p_plain = plain_models.complaint.proba(plain_models.featurizer.transform(probe))[:, k].mean()
    p_distilled = distilled_models.complaint.proba(distilled_models.featurizer.transform(probe))[:, k].mean()
    assert p_distilled > p_plain  # pulled towards the teacher's "complaint"
