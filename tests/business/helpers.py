"""Helpers for the business action tests: an action's form, creating one, a stand-in brand system."""

from __future__ import annotations

from typing import Any

from compris.business import actions
from compris.models import User
from tests.conftest import World

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "record_locator": {"type": "string", "title": "Booking reference", "pattern": "^[A-Z0-9]{6}$"},
        "flight_date": {"type": "string", "title": "New date", "maxLength": 10},
        "passenger": {"type": "string", "title": "Passenger"},
        "cabin": {"type": "string", "enum": ["economy", "business"]},
        "amount": {"type": "number", "minimum": 0, "maximum": 5000},
    },
    "required": ["record_locator", "flight_date"],
}
PREFILL = {"record_locator": "triage.record_locator", "passenger": "contact.name", "amount": "triage.amount"}


def make_action(world: World, url: str, *, key: str = "rebook", roles: tuple[str, ...] = ("agent", "admin"),
                timeout: float = 2.0, attempts: int = 3, **extra: Any) -> tuple[int, str]:
    """An action of ``world`` calling ``url``; returns its id and signing secret."""
    with world.runtime.db.transaction() as session:
        admin = session.get(User, world.admin.id)
        assert admin is not None
        action, secret = actions.create_action(
            session, None, actor=admin, secret_key=world.runtime.settings.secret_key, allow_local=True, key=key,
            names={"en": key.title(), "fr": f"{key} (fr)"}, endpoint_url=url, input_schema=SCHEMA,
            prefill_rules=PREFILL, roles=roles, timeout_seconds=timeout, max_attempts=attempts, **extra)
        return action.id, secret


def flight(payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    data = payload["input"]
    return 200, {"flight": "AF1234", "departure": f"{data['flight_date']} 09:40", "seat": "14C"}
