from __future__ import annotations

import dataclasses

import pytest

from compris.triage.pii import PersonalData, find_personal_data, iban_is_valid, luhn_is_valid, mask


def kinds(text: str) -> list[tuple[str, str]]:
    return [(p.kind, p.value) for p in find_personal_data(text)]


def test_spans_match_values_and_dataclass_is_frozen() -> None:
    text = "écrivez à jean.dupont@example.fr svp"
    (item,) = find_personal_data(text)
    assert item == PersonalData("email", 10, 32, "jean.dupont@example.fr")
    assert text[item.start : item.end] == item.value
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.kind = "phone"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Appelez-moi au 06 12 34 56 78 merci", "06 12 34 56 78"),
        ("mon numéro 06.12.34.56.78", "06.12.34.56.78"),
        ("tel: 0612345678", "0612345678"),
        ("call me on +33 6 12 34 56 78", "+33 6 12 34 56 78"),
        ("UK office +44 20 7946 0958 today", "+44 20 7946 0958"),
        ("call (212) 555-0100 now", "(212) 555-0100"),
        ("ou 0033 1 23 45 67 89", "0033 1 23 45 67 89"),
    ],
)
def test_phones(text: str, value: str) -> None:
    assert kinds(text) == [("phone", value)]


@pytest.mark.parametrize(
    "text",
    ["flight 1234 at 10:30 on 2024-05-12", "I paid 150 euros", "waited 3 hours", "Vol AF1234 le 12/05"],
)
def test_not_phones(text: str) -> None:
    assert kinds(text) == []


def test_card_with_luhn() -> None:
    assert kinds("my card 4111 1111 1111 1111 was charged twice") == [("card", "4111 1111 1111 1111")]
    assert kinds("carte 5555-5555-5555-4444 débitée deux fois") == [("card", "5555-5555-5555-4444")]


def test_card_failing_luhn_is_not_a_card() -> None:
    assert not luhn_is_valid("4111111111111112")
    assert all(k != "card" for k, _ in kinds("my card 4111 1111 1111 1112 was charged twice"))


def test_iban_checksum() -> None:
    good = "FR76 3000 6000 0112 3456 7890 189"
    assert iban_is_valid(good)
    assert iban_is_valid("DE89370400440532013000")
    assert kinds(f"remboursez sur {good} svp") == [("iban", good)]


def test_iban_failing_checksum_is_ignored() -> None:
    bad = "FR76 3000 6000 0112 3456 7890 188"
    assert not iban_is_valid(bad)
    assert all(k != "iban" for k, _ in kinds(f"remboursez sur {bad} svp"))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("my booking reference is X7K9QB please help", "X7K9QB"),
        ("ma référence de réservation : ABCDEF", "ABCDEF"),
        ("PNR: TK5RFZ", "TK5RFZ"),
        ("confirmation code 8XY2ZQ, flight tomorrow", "8XY2ZQ"),
        ("Mon dossier QZXWYV est perdu", "QZXWYV"),
    ],
)
def test_record_locators_in_context(text: str, code: str) -> None:
    assert kinds(text) == [("record_locator", code)]


@pytest.mark.parametrize(
    "text",
    [
        "my booking reference please, nobody helps",  # 6-letter word after the context
        "MY BOOKING REFERENCE PLEASE HELP",  # shouted ordinary word
        "ma réservation BAGAGE perdue",  # French ordinary word in capitals
        "X7K9QB",  # code without context
        "flight AF1234 is late",  # a flight number, not a booking
        "booking ref 123456",  # digits only
    ],
)
def test_not_record_locators(text: str) -> None:
    assert all(k != "record_locator" for k, _ in kinds(text))


def test_order_numbers() -> None:
    assert kinds("order #123456789 never arrived") == [("order_number", "123456789")]
    assert kinds("ma commande n° 45-8899-12 n'est pas arrivée") == [("order_number", "45-8899-12")]
    assert kinds("I ordered a new phone") == []


def test_addresses() -> None:
    assert kinds("livrer au 12 rue de la Paix, 75002 Paris svp") == [("address", "12 rue de la Paix, 75002 Paris")]
    assert kinds("I live at 221B Baker Street, London") == [("address", "221B Baker Street, London")]
    assert kinds("we waited 3 hours at the gate") == []


def test_mask_replaces_everything() -> None:
    text = "Mail jean@example.com, tel +33 6 12 34 56 78, carte 4111111111111111, ref X7K9QB"
    masked = mask("booking " + text)
    assert "jean@example.com" not in masked
    assert "4111111111111111" not in masked
    assert "X7K9QB" not in masked
    assert masked == "booking Mail [email], tel [phone], carte [card], ref [booking-ref]"


def test_mask_without_personal_data_is_identity() -> None:
    assert mask("Mon vol est en retard 😡") == "Mon vol est en retard 😡"
