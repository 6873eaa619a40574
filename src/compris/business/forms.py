"""An action's form: its JSON Schema (checked when an admin saves it), the fields the case page shows, the input
an agent submits (read from a form or a JSON body, then validated with field errors).

Validation is JSON Schema draft 2020-12 by the ``jsonschema`` package. The form the case page generates knows a
subset well: an object schema whose ``properties`` are of type ``string`` (with ``enum``, ``maxLength``,
``minLength``, ``pattern``, ``format``), ``number``, ``integer`` (with ``minimum``, ``maximum``) or ``boolean``,
plus ``required``, ``title`` and ``description``. Any other valid JSON Schema keyword is enforced on submit.

Pure (no database).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]

from compris.kit.errors import Invalid

FIELD_TYPES = ("string", "number", "integer", "boolean")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_FIELDS = 30
MAX_SCHEMA_CHARS = 20_000


class InputInvalid(Invalid):
    """The input does not match the action's schema: ``fields`` maps each field (``""``: the whole input) to what
    is wrong with it."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.fields = dict(fields)
        super().__init__("invalid input: " + "; ".join(f"{k or 'input'}: {v}" for k, v in self.fields.items()))


def check_schema(schema: Any) -> dict[str, Any]:
    """The schema an admin saves: a valid JSON Schema of an object whose properties the form can show."""
    if not isinstance(schema, Mapping):
        raise Invalid("the form's schema must be a JSON object")
    schema = {str(k): v for k, v in schema.items()}
    if len(repr(schema)) > MAX_SCHEMA_CHARS:
        raise Invalid(f"the form's schema is too long (at most {MAX_SCHEMA_CHARS} characters)")
    if schema.get("type") != "object":
        raise Invalid('the form\'s schema must describe an object ("type": "object")')
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise Invalid(f"the form's schema is not valid JSON Schema: {exc.message}") from None
    properties = schema.get("properties", {})
    if not isinstance(properties, Mapping):
        raise Invalid('"properties" must be an object')
    if len(properties) > MAX_FIELDS:
        raise Invalid(f"a form has at most {MAX_FIELDS} fields")
    for name, spec in properties.items():
        if not FIELD_NAME.match(str(name)):
            raise Invalid(f"field {name!r}: a field name is lower-case letters, digits and _ (at most 40)")
        if not isinstance(spec, Mapping) or spec.get("type") not in FIELD_TYPES:
            raise Invalid(f"field {name!r}: its type must be one of {', '.join(FIELD_TYPES)}")
    for name in schema.get("required", []):
        if name not in properties:
            raise Invalid(f"required field {name!r} is not among the properties")
    checked: dict[str, Any] = schema
    return checked


@dataclass
class FormField:
    """One field of the generated form."""

    name: str
    type: str
    label: str
    description: str = ""
    required: bool = False
    choices: list[str] = field(default_factory=list)
    value: Any = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    pattern: str | None = None
    error: str | None = None


def form_fields(schema: Mapping[str, Any], values: Mapping[str, Any],
                errors: Mapping[str, str] | None = None) -> list[FormField]:
    required = set(schema.get("required", []))
    fields = []
    for name, spec in (schema.get("properties") or {}).items():
        fields.append(FormField(
            name=str(name), type=str(spec.get("type", "string")), label=str(spec.get("title") or name),
            description=str(spec.get("description") or ""), required=name in required,
            choices=[str(c) for c in spec.get("enum", [])], value=values.get(name),
            min=spec.get("minimum"), max=spec.get("maximum"), max_length=spec.get("maxLength"),
            pattern=spec.get("pattern"), error=(errors or {}).get(str(name)),
        ))
    return fields


def from_form(schema: Mapping[str, Any], form: Mapping[str, str]) -> dict[str, Any]:
    """The typed input from an HTML form's strings (an empty field is left out; a number that is not one is kept
    as text, so that validation names it)."""
    data: dict[str, Any] = {}
    for name, spec in (schema.get("properties") or {}).items():
        kind = spec.get("type")
        raw = form.get(name)
        if kind == "boolean":
            data[name] = raw in ("on", "true", "1", "yes")
            continue
        if raw is None or not raw.strip():
            continue
        value: Any = raw.strip()
        if kind == "integer":
            with contextlib.suppress(ValueError):
                value = int(value)
        elif kind == "number":
            try:
                number = float(value.replace(",", "."))
                value = int(number) if number.is_integer() and "." not in value and "," not in value else number
            except ValueError:
                pass
        data[name] = value
    return data


def validate_input(schema: Mapping[str, Any], data: Any) -> dict[str, Any]:
    """``data`` if it matches ``schema``, else :class:`InputInvalid` naming each field."""
    if not isinstance(data, Mapping):
        raise InputInvalid({"": "the input must be a JSON object"})
    validator = Draft202012Validator(dict(schema))
    problems: dict[str, str] = {}
    for error in sorted(validator.iter_errors(dict(data)), key=lambda e: list(map(str, e.path))):
        if error.validator == "required" and not error.path:
            match = re.match(r"'(.+)' is a required property", error.message)
            name = match.group(1) if match else ""
            problems.setdefault(name, "this field is required")
        elif error.validator == "additionalProperties" and not error.path:
            problems.setdefault("", error.message)
        else:
            name = str(error.path[0]) if error.path else ""
            problems.setdefault(name, error.message[:300])
    if problems:
        raise InputInvalid(problems)
    return dict(data)
