"""``reported_problem`` reads a failure report by meaning (event + negation or absence, states, waiting), in French
and English, and leaves alone policy questions, hypotheticals, thanks for a problem that is over, denied states and
news; the fast path never buries what it finds (issue 20). Sentences written for these tests, not taken from the
validation set (tests/triage/data/problems_validation.csv, measured by bench/problems.py)."""

from __future__ import annotations

import pytest

from compris.triage.core import triage
from compris.triage.problems import KINDS, closing_feedback, fold, reported_problem


@pytest.mark.parametrize("text,kind", [
    # not received: an arrival verb under a negation or an absence, in any person and tense
    ("Je n'ai jamais reçu ma commande", "not_received"),
    ("Toujours rien reçu, trois semaines après", "not_received"),
    ("Le colis n'est toujours pas arrivé", "not_received"),
    ("My parcel hasn't shown up", "not_received"),
    ("We never received the voucher you promised", "not_received"),
    ("Still no sign of my package", "not_received"),
    ("Où est ma commande ?", "not_received"),
    ("where is my refund??", "not_received"),
    ("I have yet to receive my tickets", "not_received"),
    # cancelled (by the company), lost, damaged, charged twice, refused, wrong item, blocked
    ("Our train was cancelled at the last minute", "cancelled"),
    ("Votre livreur a annulé le rendez-vous sans prévenir", "cancelled"),
    ("Ma réservation a été annulée", "cancelled"),
    ("You lost my suitcase between Paris and Rome", "lost"),
    ("Ma valise a été égarée", "lost"),
    ("The screen arrived cracked", "broken"),
    ("Le téléviseur est arrivé endommagé", "broken"),
    ("Ma box ne fonctionne plus", "broken"),
    ("the app keeps crashing and doesn't load", "broken"),
    ("I was billed twice for the same order", "charged_twice"),
    ("Vous m'avez prélevé deux fois ce mois-ci", "charged_twice"),
    ("They refuse to refund me", "refused"),
    ("Le vendeur refuse de me rembourser", "refused"),
    ("You sent the wrong size", "wrong_item"),
    ("My account has been blocked for no reason", "blocked"),
    ("Mon compte est bloqué depuis lundi", "blocked"),
    ("Plus d'internet depuis ce matin", "outage"),
    ("The website is down again", "outage"),
    # no answer
    ("Personne ne décroche au service client", "no_answer"),
    ("No one picks up the phone", "no_answer"),
    ("Vous ne répondez jamais aux messages", "no_answer"),
    ("Been on hold for 50 minutes", "no_answer"),
    ("impossible de vous joindre", "no_answer"),
    # waiting
    ("J'attends mon remboursement depuis 3 semaines", "delayed"),
    ("Waiting for 2 hours at baggage claim", "delayed"),
    ("Le train a 40 minutes de retard", "delayed"),
    ("Our flight is delayed again", "delayed"),
])
def test_failure_reports_are_read(text: str, kind: str) -> None:
    assert kind in reported_problem(text), (text, reported_problem(text))


@pytest.mark.parametrize("text", [
    "Can I cancel my booking?",
    "What happens if my bag is lost?",
    "Si mon vol est annulé, suis-je remboursé ?",
    "Thanks for finding my lost bag!",
    "Merci, colis bien reçu",
    "merci beaucoup, problème réglé",
    "My flight was not delayed at all, great crew",
    "Mon vol n'a pas été annulé finalement",
    "Is flight 212 delayed?",
    "According to reports, hundreds of flights were cancelled in Chicago",
    "I have been a customer for 12 years",
    "No problem, it works now",
    "I cancelled my subscription last month",
    "J'annule ma commande",
    "Does the cat count as my cabin bag?",
    "Great service, thank you!",
    "Quels sont vos horaires d'ouverture ?",
    "",
])
def test_what_is_no_failure_report(text: str) -> None:
    assert reported_problem(text) == [], (text, reported_problem(text))


def test_kinds_come_most_specific_first_and_from_the_list() -> None:
    found = reported_problem("Flight cancelled, my bag is lost and nobody answers")
    assert found == [k for k in KINDS if k in found] and {"cancelled", "lost", "no_answer"} <= set(found)


def test_other_languages_fall_back_on_their_failure_words() -> None:
    assert reported_problem("Заказ не доставлен, поддержка не отвечает") == ["failure"]
    assert reported_problem("Mi vuelo fue cancelado") == ["failure"]
    assert reported_problem("Спасибо, всё получила!") == []


def test_folding() -> None:
    assert fold("Je n’ai PAS reçu") == "je n'ai pas recu"
    assert fold("It didn't arrive, I can't log in") == "it did not arrive, i can not log in"


@pytest.mark.parametrize("text", [
    "Livraison prévue il y a deux semaines, rien reçu. Le service client ne répond jamais.",
    "Flight cancelled, been on hold for 2 hours, this is ridiculous, I need to get home tonight",
    "Merci d'avance de me répondre, mon colis n'est toujours pas arrivé",
    "Thanks in advance, my refund still hasn't arrived",
    "Ma valise est perdue depuis dimanche",
])
def test_the_fast_path_never_buries_a_failure_report(text: str) -> None:
    result = triage(text, accurate=False)
    assert result.sentiment == "negative", result
    assert result.intent == "complaint" or (result.intent == "request" and result.urgency == "high"), result
    assert any(r.startswith("reports: ") for r in result.reasons)  # the agent sees what went wrong


def test_an_action_asked_under_time_pressure_is_an_urgent_request() -> None:
    result = triage("My flight was cancelled, I need to get home tonight, please rebook me", accurate=False)
    assert (result.intent, result.urgency, result.sentiment) == ("request", "high", "negative")


@pytest.mark.parametrize("text", ["Merci de me répondre vite svp", "Please answer quickly, thanks in advance"])
def test_politeness_around_a_request_is_not_praise(text: str) -> None:
    result = triage(text, accurate=False)
    assert result.sentiment != "positive" and result.intent != "praise"


@pytest.mark.parametrize("text", ["Does the cat count as my cabin bag?", "Is a stroller a bag or free?"])
def test_a_question_with_a_mild_negative_word_is_not_negative(text: str) -> None:
    result = triage(text, accurate=False)
    assert result.sentiment != "negative" and result.intent == "question"


@pytest.mark.parametrize("text", [
    "Get 10k real followers for just $15, DM me now",
    "Boost your Instagram likes fast, link in bio",
    "Earn $800 per day trading crypto, join us https://example.invalid/x",
    "🔥 40% off everything, promo code SALE40 https://example.invalid/s",
])
def test_follower_selling_money_promises_and_promotions_are_spam(text: str) -> None:
    assert triage(text, accurate=False).intent == "spam"


@pytest.mark.parametrize("text", [
    "Thanks, all sorted!",
    "merci beaucoup, problème réglé",
    "5/5",
    "⭐⭐⭐⭐⭐",
    "5 ⭐ Très satisfaite",
    "très satisfait",
])
def test_thanks_and_satisfaction_are_positive_praise(text: str) -> None:
    result = triage(text, accurate=False)
    assert (result.intent, result.sentiment) == ("praise", "positive"), result
    assert result.urgency == "low"
    assert closing_feedback(text)


@pytest.mark.parametrize("text", [
    "thanks but my refund still hasn't arrived",
    "Merci ! Une autre question : puis-je changer mon billet ?",
    "Thanks, can you also send me the invoice",
    "1/5",
    "Thanks for nothing",
    "je ne suis pas satisfait de la réponse",
])
def test_what_is_not_closing_feedback(text: str) -> None:
    assert not closing_feedback(text)


def test_french_agents_read_what_the_customer_reports_in_french() -> None:
    from compris.web import i18n
    from compris.web.pages.render import _reason

    fr = i18n.translations("fr")
    assert _reason(fr, "fr", "reports: not received, no answer") == "signale: non reçu, sans réponse"
    assert _reason(fr, "fr", "urgent: time pressure, on site (airport or station)") == (
        "urgent: pressé par le temps, sur place (aéroport ou gare)")
