"""Template bodies: their variables, filling them in, the language variant for the customer; the defaults.

A body holds variables in braces (``Hello {first_name}, ...``). The body used is the variant in the case's
language, else the workspace's default language, else English, else any. Rendering fills the variables
known for the case; a variable without a value stays in the text as ``{name}`` and :func:`unfilled` finds
it, so that a reply is never sent with a hole in it.

``{wait_time}`` is the current expected wait of the case's channel account (``compris.sla.wait.estimate``, the
figure the account publishes), worded in the body's language ("about 25 minutes", "environ 25 minutes"). When
the wait is unknown (nobody online and no recent history) it stays unfilled: never a made-up number.

Pure functions (no database): the values of a case's variables are read by ``compris.replies.queries``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from compris.kit.errors import Invalid
from compris.models import TemplatePurpose
from compris.sla import wait

#: ``{first_name}``; a business action's result field is ``{action.flight}`` (also written ``{{action.flight}}``,
#: the double-brace form of the docs and of the issue): the latest successful run's returned fields on the case
VARIABLE = re.compile(r"\{\{(action\.[a-z0-9_]{1,40})\}\}|\{([a-z_]{2,30}(?:\.[a-z0-9_]{1,40})?)\}")
ACTION_PREFIX = "action."
#: what each variable becomes (shown on the admin page)
VARIABLES: dict[str, str] = {
    "first_name": "the customer's first name",
    "name": "the customer's full name",
    "handle": "the customer's @handle on the network",
    "agent_name": "your name",
    "agent_first_name": "your first name",
    "agent_initials": "your initials",
    "agent_signature": "your signature (set on your profile page)",
    "case_ref": "the case number (#1042)",
    "wait_time": "the channel's current expected wait (\"about 25 minutes\"); to fill in when unknown",
    "brand": "the workspace's name",
    "action.<field>": "a field returned by the case's latest successful business action ({action.flight})",
}
LANGUAGES = ("en", "fr")
MAX_BODY = 5000


class MissingVariables(Invalid):
    """A reply still holds variables without a value."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        super().__init__("fill in before sending: " + ", ".join("{" + n + "}" for n in names))


def _name(m: re.Match[str]) -> str:
    return m.group(1) or m.group(2)


def is_known(name: str) -> bool:
    """A variable rendering fills: one of :data:`VARIABLES`, or ``action.<field>``."""
    return (name in VARIABLES and "<" not in name) or (
        name.startswith(ACTION_PREFIX) and len(name) > len(ACTION_PREFIX))


def variables_of(body: str) -> list[str]:
    seen: list[str] = []
    for m in VARIABLE.finditer(body):
        name = _name(m)
        if name not in seen:
            seen.append(name)
    return seen


def refuse_unknown_variables(text: str) -> None:
    """Refuse a text that names a variable rendering would not fill (``{customer_first_name}``, ``{{name}}``...):
    it would reach the customer as written. Templates, bulk replies and incident statements check with this."""
    unknown = [v for v in variables_of(text) if not is_known(v)]
    if unknown:
        raise Invalid(
            "unknown variables: " + ", ".join("{" + v + "}" for v in unknown)
            + " (known: " + ", ".join("{" + v + "}" for v in VARIABLES) + ")"
        )


def unfilled(text: str) -> list[str]:
    """The known variables still in ``text`` (``{first_name}``, ``{action.flight}``...): the reply is not ready."""
    return [n for n in variables_of(text) if is_known(n)]


def pick_language(bodies: Mapping[str, Any], language: str | None, default_language: str | None) -> str | None:
    for lang in (language, default_language, "en"):
        code = (lang or "").split("-")[0].lower()
        if code and bodies.get(code):
            return code
    return next((str(k) for k, v in bodies.items() if v), None)


def render(body: str, values: Mapping[str, str | None]) -> tuple[str, list[str]]:
    """``body`` with the variables that have a value filled in, and the names of those that have none."""
    missing: list[str] = []

    def fill(m: re.Match[str]) -> str:
        name = _name(m)
        value = values.get(name)
        if value:
            return value
        if is_known(name) and name not in missing:
            missing.append(name)
        return m.group(0)

    return VARIABLE.sub(fill, body), missing


def render_strict(body: str, values: Mapping[str, str | None]) -> str:
    text, missing = render(body, values)
    if missing:
        raise MissingVariables(missing)
    return text


def initials_of(name: str) -> str:
    return "".join(part[0].upper() for part in name.split()[:3] if part[:1].isalpha())


WAIT_WORDING = {"en": "about {wait}", "fr": "environ {wait}"}



def wait_wording(minutes: int, language: str | None) -> str:
    """``about 25 minutes`` / ``environ 25 minutes``, ``about 2 hours`` / ``environ 2 heures``."""
    lang = "fr" if (language or "").lower().startswith("fr") else "en"
    return WAIT_WORDING[lang].format(wait=wait.human_wait(minutes, lang))

# --- defaults ------------------------------------------------------------------------------------------

DEFAULT_MOVE_TO_PRIVATE: dict[str, str] = {
    "en": "We have sent you a private message.",
    "fr": "Nous vous avons écrit en message privé.",
}

DEFAULT_TEMPLATES: tuple[dict[str, Any], ...] = (
    {
        "name": "Apology and follow-up",
        "shortcut": "sorry",
        "bodies": {
            "en": "Hi {first_name}, I'm sorry about this. I'm looking into it now and will get back to you "
            "here. {agent_first_name}",
            "fr": "Bonjour {first_name}, je suis désolé(e) pour ce désagrément. Je regarde cela tout de suite "
            "et je reviens vers vous ici. {agent_first_name}",
        },
    },
    {
        "name": "Expected wait",
        "shortcut": "wait",
        "bodies": {
            "en": "Hi {first_name}, thanks for your patience. Your case {case_ref} is with our team: expect an "
            "answer in {wait_time}. {agent_first_name}",
            "fr": "Bonjour {first_name}, merci de votre patience. Votre dossier {case_ref} est entre les mains "
            "de notre équipe : réponse attendue d'ici {wait_time}. {agent_first_name}",
        },
    },
    {
        "name": "Thanks for the kind words",
        "shortcut": "thanks",
        "bodies": {
            "en": "Thank you {first_name}, that means a lot to the team! {agent_first_name}",
            "fr": "Merci {first_name}, cela fait très plaisir à toute l'équipe ! {agent_first_name}",
        },
    },
    {
        "name": "Move to private",
        "shortcut": "private",
        "purpose": TemplatePurpose.MOVE_TO_PRIVATE,
        "bodies": DEFAULT_MOVE_TO_PRIVATE,
    },
)

