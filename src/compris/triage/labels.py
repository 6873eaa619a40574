"""The labels triage gives a message, field by field: the one place they are listed (the models, the rules, training,
the agents' corrections and the case page all read them from here)."""

from __future__ import annotations

SENTIMENTS: tuple[str, ...] = ("negative", "neutral", "positive")
INTENTS: tuple[str, ...] = ("complaint", "question", "request", "praise", "spam", "other")
TOPICS: tuple[str, ...] = (
    "delay",
    "cancellation",
    "baggage",
    "booking/payment",
    "refund",
    "delivery",
    "customer service",
    "staff",
    "product quality",
    "other",
)
URGENCIES: tuple[str, ...] = ("high", "normal", "low")
#: the languages an agent may correct a message to (detection knows more; "unknown": too little text to tell)
LANGUAGES: tuple[str, ...] = ("fr", "en", "es", "de", "it", "nl", "pt", "ar", "ru", "unknown")

#: Every field an agent may correct, with its labels.
TRIAGE_LABELS: dict[str, tuple[str, ...]] = {
    "sentiment": SENTIMENTS,
    "intent": INTENTS,
    "topic": TOPICS,
    "urgency": URGENCIES,
    "language": LANGUAGES,
}

#: The labels the accurate path re-scores in the background (``refine_triage``).
REFINED_LABELS: tuple[str, ...] = ("sentiment", "intent", "topic", "urgency")
