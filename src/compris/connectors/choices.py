"""Helpers the connectors share to show :class:`~compris.connectors.base.Choice` answers (a survey's ratings).

Each connector decides, from its own :class:`~compris.connectors.base.ChoiceRules`, whether the choices become the
network's quick replies or buttons, or are written in the text (a list, each choice's one-click ``url`` beside its
label) — networks without buttons, too many choices for the network, a private reply to a public comment. Choices
are never posted publicly: a survey is private (:func:`refuse_public`).
"""

from __future__ import annotations

from collections.abc import Sequence

from compris.connectors.base import Choice, ChoiceRules, OutboundMessage, SendError, Visibility

ELLIPSIS = "…"


def refuse_public(message: OutboundMessage, product: str) -> None:
    """Choices go only on private messages: a public reply that carries some is refused (never retried)."""
    if message.choices and message.visibility is not Visibility.PRIVATE:
        raise SendError(f"{product}: answers to pick (a survey) are only sent privately, never in a public reply",
                        retryable=False)


def fit(label: str, length: int) -> str:
    """``label`` on one line, shortened with "…" to at most ``length`` characters."""
    clean = " ".join(label.split())
    if length <= 0 or len(clean) <= length:
        return clean
    return clean[: max(0, length - 1)].rstrip() + ELLIPSIS


def as_buttons(rules: ChoiceRules, choices: Sequence[Choice]) -> bool:
    """Whether ``choices`` can go as the network's buttons: it has them, there are not too many, every payload fits
    and every label is still distinct once shortened (a network refuses two buttons with the same title)."""
    if not rules.buttons or not choices or len(choices) > rules.max_choices:
        return False
    if any(not c.payload or (rules.payload_length and len(c.payload) > rules.payload_length) for c in choices):
        return False
    labels = [fit(c.label, rules.label_length) for c in choices]
    return all(labels) and len(set(labels)) == len(labels)


def as_text(text: str, choices: Sequence[Choice]) -> str:
    """The message ``text`` followed by the choices written out, one per line: ``- label`` or ``- label: url``
    (e-mail and the networks without buttons: the customer clicks a link, or answers in words)."""
    if not choices:
        return text
    lines = [f"- {' '.join(c.label.split())}: {c.url}" if c.url else f"- {' '.join(c.label.split())}"
             for c in choices]
    return (text.rstrip() + "\n\n" if text.strip() else "") + "\n".join(lines)
