"""Where a form field's value comes from: an action's ``prefill`` maps a field to one of :data:`SOURCES`.

The facts are read from the case by :func:`compris.business.queries.case_facts`: the contact, the case, and what
triage found in the customer's messages (``personal_data`` on each inbound message: record locator, order number,
e-mail, phone; the most recent message first), plus an amount of money written in them ("€120", "49,90 EUR").
The agent sees the prefilled form and may change any value before running the action.

Pure (no database).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from compris.kit.errors import Invalid

#: source -> what it is (shown on the admin page)
SOURCES: dict[str, str] = {
    "case.number": "the case number (1042)",
    "case.language": "the case's language (en, fr)",
    "case.network": "the network of the case's latest message (x, facebook, email...)",
    "contact.name": "the customer's name",
    "contact.handle": "the customer's @handle on the network",
    "contact.email": "the customer's e-mail address (their e-mail identity, else one they wrote)",
    "triage.record_locator": "a booking reference (PNR) the customer wrote",
    "triage.order_number": "an order number the customer wrote",
    "triage.phone": "a phone number the customer wrote",
    "triage.email": "an e-mail address the customer wrote",
    "triage.amount": "an amount of money the customer wrote (120.50)",
}

_AMOUNT = re.compile(
    r"(?:(?P<pre>[€$£])\s?(?P<a>\d{1,7}(?:[.,]\d{1,2})?)"
    r"|(?P<b>\d{1,7}(?:[.,]\d{1,2})?)\s?(?:€|\$|£|eur(?:os?)?\b|usd\b|gbp\b|dollars?\b))",
    re.IGNORECASE,
)


def find_amount(text: str) -> str | None:
    """The first amount of money in ``text`` as a plain number (``"120.50"``), else None."""
    match = _AMOUNT.search(text or "")
    if match is None:
        return None
    return (match.group("a") or match.group("b")).replace(",", ".")


def check_rules(rules: Any, field_names: Iterable[str]) -> dict[str, str]:
    """An admin's prefill rules: ``{field: source}`` with known sources and fields of the form."""
    if rules is None:
        return {}
    if not isinstance(rules, Mapping):
        raise Invalid("prefill must map a form field to a source")
    names = set(field_names)
    checked: dict[str, str] = {}
    for name, source in rules.items():
        if name not in names:
            raise Invalid(f"prefill names {name!r}, which is not a field of the form")
        if source not in SOURCES:
            raise Invalid(f"unknown prefill source {source!r} (known: {', '.join(SOURCES)})")
        checked[str(name)] = str(source)
    return checked


def from_personal_data(found: Iterable[Iterable[Mapping[str, Any]]], texts: Iterable[str]) -> dict[str, str]:
    """``triage.*`` facts from the customer's messages, most recent first (the first value of a kind wins)."""
    facts: dict[str, str] = {}
    for items in found:
        for item in items:
            kind, value = item.get("kind"), item.get("value")
            if isinstance(kind, str) and isinstance(value, str) and value and f"triage.{kind}" in SOURCES:
                facts.setdefault(f"triage.{kind}", value.strip())
    for text in texts:
        amount = find_amount(text)
        if amount is not None:
            facts.setdefault("triage.amount", amount)
            break
    return facts


def prefill(rules: Mapping[str, str], facts: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """The form's initial values: each rule's source, typed for its field (a number for a number field)."""
    properties = schema.get("properties") or {}
    values: dict[str, Any] = {}
    for name, source in rules.items():
        value = facts.get(source)
        if value is None or value == "":
            continue
        kind = (properties.get(name) or {}).get("type")
        if kind in ("number", "integer"):
            try:
                number = float(str(value))
            except ValueError:
                continue
            values[name] = int(number) if kind == "integer" or number.is_integer() else number
        else:
            values[name] = str(value)
    return values
