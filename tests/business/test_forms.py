"""The action's form: its schema checked on save, the input validated with field errors, the prefill."""

from __future__ import annotations

from typing import Any

import pytest

from compris.business import forms, prefill
from compris.kit.errors import Invalid
from tests.business.helpers import SCHEMA


@pytest.mark.parametrize("schema, message", [
    ([], "must be a JSON object"),
    ({"type": "array"}, "must describe an object"),
    ({"type": "object", "properties": {"a": {"type": "strin"}}}, "not valid JSON Schema"),
    ({"type": "object", "properties": {"seats": {"type": "array"}}}, "its type must be one of"),
    ({"type": "object", "properties": {"Bad Name": {"type": "string"}}}, "a field name"),
    ({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["b"]}, "not among the properties"),
])
def test_a_schema_the_form_cannot_show_is_refused(schema: Any, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        forms.check_schema(schema)


def test_a_good_schema_is_kept() -> None:
    assert forms.check_schema(SCHEMA) == SCHEMA


def test_the_input_is_validated_with_one_error_per_field() -> None:
    with pytest.raises(forms.InputInvalid) as refused:
        forms.validate_input(SCHEMA, {"record_locator": "nope", "amount": -3, "cabin": "first"})
    assert set(refused.value.fields) == {"record_locator", "flight_date", "amount", "cabin"}
    assert refused.value.fields["flight_date"] == "this field is required"
    assert forms.validate_input(SCHEMA, {"record_locator": "K7XQ2M", "flight_date": "2026-12-24"}) == {
        "record_locator": "K7XQ2M", "flight_date": "2026-12-24"}
    with pytest.raises(forms.InputInvalid):
        forms.validate_input(SCHEMA, ["not", "an", "object"])


def test_a_form_post_is_typed_by_the_schema() -> None:
    data = forms.from_form(SCHEMA, {"record_locator": " K7XQ2M ", "flight_date": "", "amount": "49,90"})
    assert data == {"record_locator": "K7XQ2M", "amount": 49.9}
    assert forms.from_form(SCHEMA, {"amount": "lots"}) == {"amount": "lots"}  # kept, so validation names it


def test_form_fields_carry_values_and_errors() -> None:
    fields = {f.name: f for f in forms.form_fields(SCHEMA, {"passenger": "Ana"}, {"record_locator": "bad"})}
    assert fields["record_locator"].required and fields["record_locator"].label == "Booking reference"
    assert fields["record_locator"].error == "bad"
    assert fields["passenger"].value == "Ana"
    assert fields["cabin"].choices == ["economy", "business"]


@pytest.mark.parametrize("text, amount", [
    ("I paid €120 for nothing", "120"), ("49,90 EUR please", "49.90"), ("$45.50 back", "45.50"),
    ("flight AF1234 at 9", None),
])
def test_amounts_in_the_customers_words(text: str, amount: str | None) -> None:
    assert prefill.find_amount(text) == amount


def test_prefill_takes_the_most_recent_fact_and_types_it() -> None:
    facts = prefill.from_personal_data(
        [[{"kind": "record_locator", "value": "NEWER1"}], [{"kind": "record_locator", "value": "OLDER1"},
                                                           {"kind": "order_number", "value": "A-77"}]],
        ["no money here", "I paid €120"])
    assert facts == {"triage.record_locator": "NEWER1", "triage.order_number": "A-77", "triage.amount": "120"}
    values = prefill.prefill({"record_locator": "triage.record_locator", "amount": "triage.amount",
                              "passenger": "contact.name"}, facts, SCHEMA)
    assert values == {"record_locator": "NEWER1", "amount": 120}


def test_prefill_rules_name_fields_and_known_sources() -> None:
    with pytest.raises(Invalid, match="not a field"):
        prefill.check_rules({"seat": "contact.name"}, ["passenger"])
    with pytest.raises(Invalid, match="unknown prefill source"):
        prefill.check_rules({"passenger": "contact.password"}, ["passenger"])
