"""The reply guard: reads an agent's draft before it is sent and returns findings.

Pure and stand-alone: ``check(draft, ctx, settings) -> list[Finding]``. Customer text in the context is
untrusted and only read. Rules live in ``rules.py``, each a small registered function; phrase patterns
(English and French) live in ``patterns.py``, compiled once at import.
"""

from __future__ import annotations

from compris.connectors.base import LengthUnit

from . import review_rules as _review_rules  # noqa: F401  (the review sites' rules; it imports rules first)
from . import rules as _rules  # noqa: F401  (registers the rules)
from .engine import RULES, Rule, check, rule, rule_ids
from .model import (
    DEFAULT_PROMISE_RULES,
    Finding,
    Fix,
    GuardContext,
    GuardSettings,
    PromiseRule,
    Severity,
)

__all__ = [
    "DEFAULT_PROMISE_RULES",
    "RULES",
    "Finding",
    "Fix",
    "GuardContext",
    "GuardSettings",
    "LengthUnit",
    "PromiseRule",
    "Rule",
    "Severity",
    "check",
    "rule",
    "rule_ids",
]
