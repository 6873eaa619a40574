"""Sentiment, intent, topic, urgency and priority of the shipped models (French and English)."""

from __future__ import annotations

import json

import pytest

from compris.triage import Reach, TriageResult, load_models, priority, triage, triage_many


@pytest.mark.parametrize(
    ("text", "sentiment"),
    [
        ("@united worst airline ever, lost my bag and nobody cares", "negative"),
        ("@JetBlue thank you so much, the crew was amazing!", "positive"),
        ("Vol annulé, aucune information, c'est honteux", "negative"),
        ("Merci beaucoup à l'équipage, vol parfait !", "positive"),
    ],
)
def test_sentiment_fr_en(text: str, sentiment: str) -> None:
    result = triage(text)
    assert result.sentiment == sentiment
    assert 0.0 < result.sentiment_confidence <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "Great, another 3 hour delay. Thanks a lot @AirFrance",
        "Oh perfect, my bag is lost again and nobody answers 🙄",
        "Merci pour rien, encore 2 heures de retard",
    ],
)
def test_sarcasm_is_negative(text: str) -> None:
    result = triage(text)
    assert result.sentiment == "negative"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("@delta you lost my luggage and nobody answers, disgusting service", "complaint"),
        ("Ma valise est perdue depuis 5 jours et personne ne répond, c'est scandaleux", "complaint"),
        ("How many bags can I take on a domestic flight?", "question"),
        ("Combien de bagages puis-je emporter en cabine ?", "question"),
        ("Please rebook me on the next flight to Boston", "request"),
        ("Pouvez-vous m'envoyer la facture de mon billet ?", "request"),
        ("Thanks @SouthwestAir, best crew ever!", "praise"),
        ("Win a free iPhone! click here http://spam.example http://x.example", "spam"),
    ],
)
def test_intent(text: str, intent: str) -> None:
    assert triage(text).intent == intent


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("my flight is delayed 4 hours", "delay"),
        ("Mon vol a 3 heures de retard", "delay"),
        ("they cancelled my flight", "cancellation"),
        ("vol annulé sans prévenir", "cancellation"),
        ("my suitcase never arrived", "baggage"),
        ("ma valise est perdue", "baggage"),
        ("I want my refund now", "refund"),
        ("je veux être remboursé", "refund"),
        ("où est mon colis ? livraison prévue hier", "delivery"),
    ],
)
def test_topic(text: str, topic: str) -> None:
    assert triage(text).topic == topic


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("I need a wheelchair at the gate and nobody is here", "accessibility"),
        ("Je suis en fauteuil roulant et personne ne m'aide", "accessibility"),
        ("My flight is today and I still have no ticket", "flight today"),
        ("Mon vol part dans 2 heures et je n'ai pas de billet", "flight today"),
        ("Missed my connection in Paris because of your delay", "missed connection"),
        ("J'ai raté ma correspondance à cause du retard", "missed connection"),
        ("We are stranded in Denver with two kids", "stranded"),
        ("Nous sommes bloqués à Roissy depuis hier soir", "stranded"),
        ("My son needs his insulin, it's in the lost bag", "medical"),
        ("I will contact my lawyer", "legal threat"),
        ("Je vais porter plainte et saisir mon avocat", "legal threat"),
        ("There is smoke in the cabin", "safety"),
    ],
)
def test_urgency_high(text: str, reason: str) -> None:
    result = triage(text)
    assert result.urgency == "high"
    assert reason in result.urgency_reasons


def test_urgency_low_for_praise() -> None:
    assert triage("Thank you, lovely flight!").urgency == "low"


def test_reach_and_priority_reasons() -> None:
    text = "@united you cancelled my flight and nobody answers, terrible"
    quiet = triage(text)
    loud = triage(text, followers=48_000, promoted=True, verified=True, reshares=40)
    assert loud.priority > quiet.priority
    assert loud.reach == Reach(followers=48_000, verified=True, promoted=True, reshares=40)
    assert loud.reasons[:2] == ["complaint", "negative"]
    assert "promoted post" in loud.reasons
    assert "48,000 followers" in loud.reasons
    assert 0 <= quiet.priority <= 100


def test_priority_grows_with_waiting_time_and_is_pure() -> None:
    result = triage("Where is my refund? still waiting")
    now, _ = priority(result, 0)
    later, reasons = priority(result, 180)
    assert later > now
    assert "waiting 3 h" in reasons
    assert priority(result, 180) == (later, reasons)


def test_spam_is_low_priority() -> None:
    result = triage("Win a free iPhone! click here http://a.example http://b.example", followers=1_000_000)
    assert result.priority <= 5


def test_personal_data_in_result() -> None:
    result = triage("my booking reference is X7K9QB and my email is a.b@example.com")
    assert [p.kind for p in result.personal_data] == ["record_locator", "email"]


def test_to_dict_is_json_safe_and_complete() -> None:
    result = triage("Mon vol AF123 est annulé !!! 😡", followers=1200)
    d = result.to_dict()
    json.dumps(d)
    for key in (
        "language",
        "language_confidence",
        "sentiment",
        "sentiment_confidence",
        "intent",
        "intent_confidence",
        "topic",
        "urgency",
        "urgency_reasons",
        "personal_data",
        "reach",
        "priority",
        "reasons",
    ):
        assert key in d
    assert d["language"] == "fr"
    assert d["reach"]["followers"] == 1200


def test_batch_equals_single() -> None:
    texts = ["my flight is delayed again", "Merci pour tout !", "How do I change my seat?", "😡😡"]
    batch = triage_many(texts)
    single = [triage(t) for t in texts]
    assert [b.to_dict() for b in batch] == [s.to_dict() for s in single]
    assert isinstance(batch[0], TriageResult)


def test_batch_accepts_mappings() -> None:
    (result,) = triage_many([{"text": "terrible service", "followers": 5000, "promoted": True}])
    assert result.reach.followers == 5000 and result.reach.promoted


def test_models_are_cached_and_shipped() -> None:
    assert load_models() is load_models()
    assert load_models().manifest["format"] == 1


def test_complaint_probability_orientation() -> None:
    models = load_models()
    _, p_bad, _ = models.fast_scores("@delta you lost my bag, worst service ever, still waiting for an answer")
    _, p_fine, _ = models.fast_scores("@delta thanks for the info, see you tomorrow")
    assert p_bad > 0.5 > p_fine
    batch = triage_many(["@delta thanks for the info, see you tomorrow"])
    assert batch[0].intent != "complaint"


def test_reported_failure_is_not_positive() -> None:
    result = triage("Mon vol AF123 est annulé, je suis bloqué à CDG !")
    assert result.sentiment == "negative"
    assert result.intent == "complaint"
    assert result.urgency == "high" and "stranded" in result.urgency_reasons
