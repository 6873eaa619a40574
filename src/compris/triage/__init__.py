"""Triage: language, sentiment, intent, topic, urgency, personal data, reach and priority of a message.

``compris.triage.language`` and ``compris.triage.pii`` are light (no model load) and can be imported alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compris.triage.core import Reach, TriageInput, TriageResult, priority, triage, triage_many
    from compris.triage.models import TriageModels, load_models
    from compris.triage.pii import PersonalData

__all__ = [
    "PersonalData",
    "Reach",
    "TriageInput",
    "TriageModels",
    "TriageResult",
    "load_models",
    "priority",
    "triage",
    "triage_many",
]

_LAZY = {
    "Reach": "compris.triage.core",
    "TriageInput": "compris.triage.core",
    "TriageResult": "compris.triage.core",
    "priority": "compris.triage.core",
    "triage": "compris.triage.core",
    "triage_many": "compris.triage.core",
    "TriageModels": "compris.triage.models",
    "load_models": "compris.triage.models",
    "PersonalData": "compris.triage.pii",
}


def __getattr__(name: str) -> Any:
    """Import the heavy parts (numpy, the models) only when used."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'compris.triage' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
