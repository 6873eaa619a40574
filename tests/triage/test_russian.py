"""Russian through triage: the usual ways a failure is reported (not received, cancelled, lost, charged twice, no
answer), urgency and requests are recognised by their stems and endings, not by one example sentence."""

from __future__ import annotations

import pytest

from compris.triage import rules
from compris.triage.core import triage


@pytest.mark.parametrize("text", [
    "Заказ не доставлен уже две недели, поддержка не отвечает",
    "Посылка так и не пришла",
    "Я до сих пор не получила свой заказ",
    "Товар не пришёл, трек не обновляется",
    "Мы не получили возврат",
    "Деньги не вернули уже месяц",
    "Заказ отменили без объяснений",
    "Рейс отменён",
    "Потеряли мой багаж",
    "Чемодан пропал",
    "С карты списали дважды за один заказ",
    "Сняли деньги два раза",
    "Двойное списание по заказу 5521",
    "Курьер привёз разбитый телефон",
    "Пылесос сломался через день",
    "Никто не отвечает в чате уже три дня",
    "Пишу вам неделю — без ответа",
    "Доставку опять задержали",
    "Это просто безобразие",
])
def test_russian_failures_are_negative_events(text: str) -> None:
    assert rules.negative_event(text), text


@pytest.mark.parametrize("text", [
    "Спасибо, всё получила!",
    "Заказ доставлен вовремя, курьер вежливый",
    "Судя по отзывам, хороший магазин",
    "Подписалась на вашу группу",
])
def test_russian_without_a_failure(text: str) -> None:
    assert not rules.negative_event(text), text


@pytest.mark.parametrize("text,reason", [
    ("Рейс сегодня вечером, а билета всё ещё нет", "flight today"),
    ("Вылет через 3 часа, регистрация не работает", "flight today"),
    ("Рейс отменили, мы застряли в аэропорту, негде ночевать", "stranded"),
    ("Опоздали на пересадку из-за задержки", "missed connection"),
    ("В самолёте пахнет дымом, это опасно", "safety"),
    ("Мне нужна инвалидная коляска в аэропорту", "accessibility"),
    ("У ребёнка аллергия, а лекарство в потерянном багаже", "medical"),
    ("Подам в суд, если не вернёте деньги", "legal threat"),
    ("Направила претензию, следующая — жалоба в Роспотребнадзор", "legal threat"),
])
def test_russian_urgency(text: str, reason: str) -> None:
    assert reason in rules.urgency_reasons(text)


@pytest.mark.parametrize("text", [
    "Верните деньги за заказ",
    "Прошу вернуть деньги",
    "Помогите, пожалуйста, отследить посылку",
    "Хочу оформить возврат",
    "Можете перезвонить?",
    "Отмените, пожалуйста, заказ",
    "Мне нужно получить посылку срочно",
])
def test_russian_requests(text: str) -> None:
    assert rules.request_cues(text)


@pytest.mark.parametrize("text", ["Как отменить заказ", "Где мой заказ", "Когда будет доставка",
                                  "Подскажите, есть ли размер M"])
def test_russian_questions_without_a_question_mark(text: str) -> None:
    assert rules.is_question(text)


def test_a_russian_complaint_is_a_negative_complaint_with_a_topic() -> None:
    result = triage("Заказ не доставлен уже две недели, поддержка не отвечает")
    assert result.language == "ru"
    assert result.sentiment == "negative" and result.intent == "complaint"
    assert result.topic in ("delivery", "customer service") and result.priority >= 30
    english = triage("Order not delivered for two weeks, support does not answer")
    assert english.sentiment == "negative" and english.intent == "complaint"


def test_russian_urgency_raises_priority() -> None:
    calm = triage("Заказ отменили без объяснений")
    urgent = triage("Рейс сегодня вечером отменили, мы застряли в аэропорту, помогите!")
    assert urgent.urgency == "high" and "stranded" in urgent.urgency_reasons
    assert urgent.priority > calm.priority


def test_russian_thanks_stay_positive() -> None:
    result = triage("Спасибо большое, всё пришло вовремя!")
    assert result.sentiment != "negative" and result.urgency == "low"


def test_topics_in_russian() -> None:
    assert "refund" in rules.keyword_topics("Верните деньги, оформите возврат")
    assert "baggage" in rules.keyword_topics("Потеряли чемодан")
    assert "booking/payment" in rules.keyword_topics("Двойное списание: оплата прошла два раза")
