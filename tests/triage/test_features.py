from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from compris.triage.features import Featurizer, LinearHead, char_ngrams, word_ngrams
from compris.triage.text import normalize

TEXTS = [
    "@united my flight is delayed again!!! http://t.co/x",
    "Merci pour le vol, équipage au top",
    "lost my bag in Denver, no one answers",
    "great flight, thanks",
    "delayed 3 hours and no one answers",
]


def test_normalize() -> None:
    assert normalize("@United soooo LATE http://t.co/x 45 min") == "@user soo late http 0 min"


def test_ngrams() -> None:
    assert word_ngrams("late again!") == ["late", "again", "!", "late again", "again !"]
    assert char_ngrams("ab", 2, 3) == [" a", "ab", "b ", " ab", "ab "]


def test_featurizer_matches_scikit_learn_tfidf() -> None:
    fz = Featurizer.fit(TEXTS, word_min_df=1, char_min_df=1)
    ours = fz.transform(TEXTS).toarray()
    norms = [normalize(t) for t in TEXTS]
    sk_word = TfidfVectorizer(analyzer=word_ngrams, sublinear_tf=True).fit(norms)
    sk_char = TfidfVectorizer(analyzer=char_ngrams, sublinear_tf=True).fit(norms)
    n_word = len(fz.word.vocab)
    for block, sk, offset in ((fz.word, sk_word, 0), (fz.char, sk_char, n_word)):
        expected = sk.transform(norms).toarray()
        cols = [offset + block.vocab[g] for g in sk.get_feature_names_out()]
        np.testing.assert_allclose(ours[:, cols], expected, atol=1e-5)


def test_save_load_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    fz = Featurizer.fit(TEXTS, word_min_df=1, char_min_df=1)
    fz.save(tmp_path / "f")
    again = Featurizer.load(tmp_path / "f")
    np.testing.assert_allclose(fz.transform(TEXTS).toarray(), again.transform(TEXTS).toarray(), atol=1e-6)
    head = LinearHead(["a", "b", "c"], np.ones((fz.n_features, 3), dtype=np.float32), np.zeros(3, np.float32))
    head.save(tmp_path / "h.npz")
    loaded = LinearHead.load(tmp_path / "h.npz")
    assert loaded.classes == ["a", "b", "c"]
    p = loaded.proba(fz.transform(TEXTS))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    idx, val = fz.row(TEXTS[0])
    np.testing.assert_allclose(loaded.proba_row(idx, val), p[0], atol=1e-6)
