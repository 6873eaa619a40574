"""Data types of the reply guard: context, settings, findings and fixes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from compris.connectors.base import LengthUnit

Severity = Literal["warning", "block"]
AddressForm = Literal["vous", "tu"]
FixKind = Literal["replace_span", "replace_draft", "action"]

SEVERITIES: tuple[Severity, ...] = ("warning", "block")


@dataclass(frozen=True, slots=True)
class Fix:
    """A one-click fix offered with a finding.

    - ``replace_span``: replace ``Finding.span`` of the draft with ``text``;
    - ``replace_draft``: replace the whole draft with ``text``;
    - ``action``: run the named action in the composer (``move_to_private``, ``escalate``...).
    """

    kind: FixKind
    text: str | None = None
    action: str | None = None

    def apply(self, draft: str, span: tuple[int, int] | None) -> str:
        """The draft after this fix (actions leave the draft unchanged)."""
        if self.kind == "replace_draft" and self.text is not None:
            return self.text
        if self.kind == "replace_span" and self.text is not None and span is not None:
            return draft[: span[0]] + self.text + draft[span[1] :]
        return draft

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "action": self.action}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem seen in a draft."""

    rule: str
    severity: Severity
    message: str
    span: tuple[int, int] | None = None
    fix: Fix | None = None

    def to_dict(self, *, with_fix: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "span": list(self.span) if self.span is not None else None,
        }
        if with_fix:
            out["fix"] = self.fix.to_dict() if self.fix is not None else None
        return out


@dataclass(frozen=True, slots=True)
class GuardContext:
    """What the guard knows about the draft's situation. Every field is optional.

    ``customer_text`` is untrusted input: the guard only reads it.
    """

    public: bool = True
    channel_247: bool = True
    network: str | None = None
    max_length: int | None = None
    length_unit: LengthUnit = "characters"
    window_open: bool | None = None
    window_reason: str | None = None
    customer_text: str | None = None
    customer_language: str | None = None
    customer_intent: str | None = None
    draft_language: str | None = None
    previous_texts: Sequence[str] = ()
    template_id: str | None = None
    template_text: str | None = None
    previous_template_ids: Sequence[str] = ()
    agent_permissions: frozenset[str] | None = None
    agent_initials: str | None = None
    ui_language: str = "en"
    #: the draft answers a review on a review site (Google, Yelp, TripAdvisor: the connector's ``reviews``) in
    #: public: the review sites' response rules apply (no incentive, no request to change or delete the review)
    review_site: bool = False
    #: the answered review's rating (1-5 stars), when it has one
    rating: int | None = None
    #: False when the network refuses emoji in replies (the connector's ``Limits.emoji``)
    emoji_allowed: bool = True
    #: the customer's name as the network shows it (a reviewer's display name): the review-site rules flag it
    #: beyond the first name
    customer_name: str | None = None


@dataclass(frozen=True, slots=True)
class PromiseRule:
    """A promise that needs a permission: ``triggers`` are words or phrases (case-insensitive,
    whole words; a trailing ``*`` matches any ending, as in ``rembours*``)."""

    permission: str
    triggers: tuple[str, ...]
    require_commitment: bool = True


DEFAULT_PROMISE_RULES: tuple[PromiseRule, ...] = (
    PromiseRule(
        "refund",
        ("refund*", "reimburs*", "money back", "rembours*", "argent rendu"),
    ),
    PromiseRule(
        "compensation",
        (
            "compensat*",
            "indemni*",
            "dédommag*",
            "dedommag*",
            "geste commercial",
            "free flight",
            "free night",
            "mois offert",
            "mois gratuit*",
        ),
    ),
    PromiseRule(
        "voucher",
        (
            "voucher*",
            "gift card*",
            "coupon*",
            "travel credit*",
            "account credit*",
            "e-credit*",
            "promo code*",
            "discount code*",
            "bon d'achat",
            "bons d'achat",
            "un avoir",
            "code promo*",
            "bon de réduction",
            "chèque cadeau",
            "carte cadeau",
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class GuardSettings:
    """Per-workspace settings: severities, disabled rules, tone of voice, promise rules."""

    severity: Mapping[str, Severity] = field(default_factory=dict)
    disabled: frozenset[str] = frozenset()
    # tone of voice
    words_to_avoid: Sequence[str] = ()
    word_replacements: Mapping[str, str] = field(default_factory=dict)
    signoff_required: bool = False
    signoffs: Sequence[str] = ()
    signoff_pattern: str | None = None
    address_form: AddressForm | None = None
    emoji_allowed: bool = True
    # promises
    promise_rules: Sequence[PromiseRule] = DEFAULT_PROMISE_RULES
    # tuning
    similarity_threshold: float = 0.9
    min_detect_letters: int = 25
    #: the learned component beside the patterns (``learned.py``) for office_hours, send_elsewhere,
    #: review_bargain and asks_personal_data: an option, off by default (docs/replies.md, issue 20)
    learned: bool = False

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> GuardSettings:
        """Build settings from plain JSON-like data (as stored for a workspace)."""
        known = {
            "severity",
            "disabled",
            "words_to_avoid",
            "word_replacements",
            "signoff_required",
            "signoffs",
            "signoff_pattern",
            "address_form",
            "emoji_allowed",
            "promise_rules",
            "similarity_threshold",
            "min_detect_letters",
            "learned",
        }
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        severity = dict(data.get("severity", {}))
        for rule_id, sev in severity.items():
            if sev not in SEVERITIES:
                raise ValueError(f"bad severity for {rule_id!r}: {sev!r}")
        address = data.get("address_form")
        if address not in (None, "vous", "tu"):
            raise ValueError(f"bad address_form: {address!r}")
        kwargs: dict[str, Any] = {
            "severity": severity,
            "disabled": frozenset(data.get("disabled", ())),
            "words_to_avoid": tuple(data.get("words_to_avoid", ())),
            "word_replacements": dict(data.get("word_replacements", {})),
            "signoff_required": bool(data.get("signoff_required", False)),
            "signoffs": tuple(data.get("signoffs", ())),
            "signoff_pattern": data.get("signoff_pattern"),
            "address_form": address,
            "emoji_allowed": bool(data.get("emoji_allowed", True)),
            "learned": bool(data.get("learned", False)),
        }
        if "promise_rules" in data:
            promise = data["promise_rules"]
            if isinstance(promise, Mapping):
                kwargs["promise_rules"] = tuple(
                    PromiseRule(str(perm), tuple(str(w) for w in words)) for perm, words in promise.items()
                )
            else:
                raise ValueError("promise_rules must map a permission to its trigger words")
        if "similarity_threshold" in data:
            kwargs["similarity_threshold"] = float(data["similarity_threshold"])
        if "min_detect_letters" in data:
            kwargs["min_detect_letters"] = int(data["min_detect_letters"])
        return cls(**kwargs)
