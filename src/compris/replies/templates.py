"""Reply templates: variables, the language variant for the customer, and every write to templates.

A body holds variables in braces (``Hello {first_name}, ...``). The body used is the variant in the case's
language, else the workspace's default language, else English, else any. Rendering fills the variables
known for the case; a variable without a value stays in the text as ``{name}`` and :func:`unfilled` finds
it, so that a reply is never sent with a hole in it.

``{wait_time}`` is the current expected wait of the case's channel account (``compris.sla.wait.estimate``, the
figure the account publishes), worded in the body's language ("about 25 minutes", "environ 25 minutes"). When
the wait is unknown (nobody online and no recent history) it stays unfilled: never a made-up number.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from compris import bus, timeline
from compris.events import SettingsChanged
from compris.kit.clock import now
from compris.kit.errors import Invalid, NotFound
from compris.live import Publisher
from compris.models import (
    Case,
    ChannelAccount,
    Contact,
    Direction,
    Identity,
    Message,
    ReplyTemplate,
    TemplatePurpose,
    User,
    Workspace,
)
from compris.sla import wait

VARIABLE = re.compile(r"\{([a-z_]{2,30})\}")
#: what each variable becomes (shown on the admin page)
VARIABLES: dict[str, str] = {
    "first_name": "the customer's first name",
    "name": "the customer's full name",
    "handle": "the customer's @handle on the network",
    "agent_name": "your name",
    "agent_first_name": "your first name",
    "agent_initials": "your initials",
    "case_ref": "the case number (#1042)",
    "wait_time": "the channel's current expected wait (\"about 25 minutes\"); to fill in when unknown",
    "brand": "the workspace's name",
}
LANGUAGES = ("en", "fr")
MAX_BODY = 5000


class MissingVariables(Invalid):
    """A reply still holds variables without a value."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        super().__init__("fill in before sending: " + ", ".join("{" + n + "}" for n in names))


def variables_of(body: str) -> list[str]:
    seen: list[str] = []
    for name in VARIABLE.findall(body):
        if name not in seen:
            seen.append(name)
    return seen


def unfilled(text: str) -> list[str]:
    """The known variables still in ``text`` (``{first_name}``...): the reply is not ready."""
    return [n for n in variables_of(text) if n in VARIABLES]


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
        name = m.group(1)
        value = values.get(name)
        if value:
            return value
        if name in VARIABLES and name not in missing:
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


def wait_minutes(session: Session, case: Case) -> int | None:
    """The current expected wait of the case's channel account in minutes as told to customers, or ``None``
    when it is unknown (no account, nobody online and no recent first responses)."""
    if case.last_channel_account_id is None:
        return None
    account = session.get(ChannelAccount, case.last_channel_account_id)
    if account is None or account.workspace_id != case.workspace_id:
        return None
    return wait.estimate(session, account).minutes


def wait_wording(minutes: int, language: str | None) -> str:
    """``about 25 minutes`` / ``environ 25 minutes``, ``about 2 hours`` / ``environ 2 heures``."""
    lang = "fr" if (language or "").lower().startswith("fr") else "en"
    return WAIT_WORDING[lang].format(wait=wait.human_wait(minutes, lang))


def case_values(
    session: Session,
    case: Case,
    agent: User,
    *,
    language: str | None = None,
    wait_time: str | None = None,
    needed: Collection[str] | None = None,
    minutes: dict[str, int | None] | None = None,
) -> dict[str, str | None]:
    """The variables' values for a case, answered by ``agent``.

    ``language``: the language of the body being filled (default: the case's, else the workspace's default);
    ``wait_time`` given is used as is, else the expected wait is computed, only when ``needed`` (the body's
    variables; ``None`` = all) holds ``wait_time``. ``minutes``: a memo of the wait shared between calls."""
    contact = session.get(Contact, case.contact_id)
    workspace = session.get(Workspace, case.workspace_id)
    if wait_time is None and (needed is None or "wait_time" in needed):
        if minutes is not None and "wait" in minutes:
            found = minutes["wait"]
        else:
            found = wait_minutes(session, case)
            if minutes is not None:
                minutes["wait"] = found
        if found is not None:
            lang = language or case.language or (workspace.default_language if workspace else None)
            wait_time = wait_wording(found, lang)
    identity_id = session.scalar(
        select(Message.author_identity_id)
        .where(Message.case_id == case.id, Message.direction == Direction.INBOUND)
        .order_by(Message.sent_at.desc(), Message.id.desc())
        .limit(1)
    )
    identity = session.get(Identity, identity_id) if identity_id else None
    name = (identity.name if identity and identity.name else None) or (contact.display_name if contact else None)
    first = name.split()[0] if name and name.split() else None
    if first and first.startswith("@"):
        first = None  # a handle is not a first name
    handle = identity.handle if identity and identity.handle else None
    if handle and not handle.startswith("@"):
        handle = "@" + handle
    return {
        "first_name": first,
        "name": name,
        "handle": handle,
        "agent_name": agent.name,
        "agent_first_name": agent.name.split()[0] if agent.name.split() else None,
        "agent_initials": initials_of(agent.name) or None,
        "case_ref": f"#{case.number}",
        "wait_time": wait_time,
        "brand": workspace.name if workspace else None,
    }


@dataclass(frozen=True)
class RenderedTemplate:
    template: ReplyTemplate
    language: str | None
    text: str
    missing: list[str]


def render_for_case(
    session: Session, template: ReplyTemplate, case: Case, agent: User, values: Mapping[str, str | None] | None = None
) -> RenderedTemplate:
    workspace = session.get(Workspace, case.workspace_id)
    lang = pick_language(template.bodies, case.language, workspace.default_language if workspace else None)
    body = str(template.bodies.get(lang, "")) if lang else ""
    if values is None:
        values = case_values(session, case, agent, language=lang, needed=variables_of(body))
    text, missing = render(body, values)
    return RenderedTemplate(template, lang, text, missing)


def render_many(
    session: Session, templates: Iterable[ReplyTemplate], case: Case, agent: User
) -> list[RenderedTemplate]:
    """Each template rendered for ``case``; the values are computed once per language, the wait at most once."""
    workspace = session.get(Workspace, case.workspace_id)
    default_language = workspace.default_language if workspace else None
    templates = list(templates)
    needs_wait = any("wait_time" in variables_of(str(b)) for t in templates for b in t.bodies.values())
    memo: dict[str, int | None] = {}
    by_language: dict[str | None, dict[str, str | None]] = {}
    out = []
    for template in templates:
        lang = pick_language(template.bodies, case.language, default_language)
        if lang not in by_language:
            by_language[lang] = case_values(session, case, agent, language=lang,
                                            needed=None if needs_wait else (), minutes=memo)
        out.append(render_for_case(session, template, case, agent, by_language[lang]))
    return out


# --- reads ---------------------------------------------------------------------------------------------


def get_template(session: Session, workspace_id: int, template_id: int) -> ReplyTemplate:
    template = session.scalar(
        select(ReplyTemplate).where(ReplyTemplate.workspace_id == workspace_id, ReplyTemplate.id == template_id)
    )
    if template is None:
        raise NotFound("no such template")
    return template


def list_templates(session: Session, workspace_id: int, *, purpose: str | None = None) -> list[ReplyTemplate]:
    query = select(ReplyTemplate).where(ReplyTemplate.workspace_id == workspace_id)
    if purpose is not None:
        query = query.where(ReplyTemplate.purpose == purpose)
    return list(session.scalars(query.order_by(ReplyTemplate.purpose, ReplyTemplate.name)))


def search(
    session: Session, workspace_id: int, q: str = "", *, team: str | None = None, limit: int = 20
) -> list[ReplyTemplate]:
    """Active reply templates matching ``q`` in their name, shortcut or bodies; most used first.

    ``team``: the templates of that team and those of every team (``team`` empty)."""
    query = select(ReplyTemplate).where(
        ReplyTemplate.workspace_id == workspace_id,
        ReplyTemplate.is_active.is_(True),
        ReplyTemplate.purpose == TemplatePurpose.REPLY,
    )
    if team:
        query = query.where(or_(ReplyTemplate.team.is_(None), ReplyTemplate.team == team))
    rows = list(session.scalars(query.order_by(ReplyTemplate.usage_count.desc(), ReplyTemplate.name)))
    words = [w.casefold() for w in q.split() if w.strip()]
    if words:
        def haystack(t: ReplyTemplate) -> str:
            return " ".join([t.name, t.shortcut, *(str(v) for v in t.bodies.values())]).casefold()

        exact = [t for t in rows if t.shortcut and t.shortcut.casefold() == q.strip().casefold()]
        rows = exact + [t for t in rows if t not in exact and all(w in haystack(t) for w in words)]
    return rows[:limit]


# --- writes --------------------------------------------------------------------------------------------
# Each records its audit row (``template_created`` / ``_updated`` / ``_deleted``) and emits ``SettingsChanged``
# (entity ``template``). ``publisher`` may be left out outside a web process (the demo, the test worlds).


def _changed(session: Session, publisher: Publisher | None, actor: User, action: str, template_id: int,
             changes: Sequence[str]) -> None:
    bus.emit(session, publisher or Publisher.outside_server(session), SettingsChanged(
        workspace_id=actor.workspace_id, actor_user_id=actor.id, entity="template", action=action,
        entity_id=template_id, changes=tuple(sorted(changes))))



def _clean(
    session: Session,
    workspace_id: int,
    *,
    name: str,
    shortcut: str,
    bodies: Mapping[str, str],
    team: str | None,
    purpose: str,
    template_id: int | None,
) -> tuple[str, str, dict[str, str], str | None]:
    name = name.strip()
    if not name or len(name) > 200:
        raise Invalid("a template needs a name (at most 200 characters)")
    shortcut = shortcut.strip().lstrip("/").lower()
    if shortcut and not re.fullmatch(r"[a-z0-9_-]{1,32}", shortcut):
        raise Invalid("a shortcut is 1 to 32 letters, digits, - or _")
    if purpose not in (TemplatePurpose.REPLY, TemplatePurpose.MOVE_TO_PRIVATE):
        raise Invalid("unknown template purpose")
    cleaned = {lang: text.replace("\r\n", "\n").strip() for lang, text in bodies.items() if text and text.strip()}
    if not cleaned:
        raise Invalid("a template needs a text in at least one language")
    for lang, text in cleaned.items():
        if lang not in LANGUAGES:
            raise Invalid(f"unsupported template language {lang!r}")
        if len(text) > MAX_BODY:
            raise Invalid(f"a template text is limited to {MAX_BODY} characters")
        unknown = [v for v in variables_of(text) if v not in VARIABLES]
        if unknown:
            raise Invalid(
                "unknown variables: " + ", ".join("{" + v + "}" for v in unknown)
                + " (known: " + ", ".join("{" + v + "}" for v in VARIABLES) + ")"
            )
    clash = select(ReplyTemplate.id).where(ReplyTemplate.workspace_id == workspace_id)
    if template_id is not None:
        clash = clash.where(ReplyTemplate.id != template_id)
    if session.scalar(clash.where(func.lower(ReplyTemplate.name) == name.lower())) is not None:
        raise Invalid("another template has this name")
    if shortcut and session.scalar(clash.where(ReplyTemplate.shortcut == shortcut)) is not None:
        raise Invalid("another template has this shortcut")
    return name, shortcut, cleaned, (team or "").strip() or None


def create_template(
    session: Session,
    *,
    actor: User,
    name: str,
    bodies: Mapping[str, str],
    shortcut: str = "",
    team: str | None = None,
    purpose: str = TemplatePurpose.REPLY,
    publisher: Publisher | None = None,
) -> ReplyTemplate:
    name, shortcut, cleaned, team = _clean(
        session, actor.workspace_id, name=name, shortcut=shortcut, bodies=bodies, team=team, purpose=purpose,
        template_id=None,
    )
    template = ReplyTemplate(
        workspace_id=actor.workspace_id, name=name, shortcut=shortcut, bodies=cleaned, team=team, purpose=purpose,
        created_by_id=actor.id,
    )
    session.add(template)
    session.flush()
    timeline.template_created(session, workspace_id=actor.workspace_id, actor_user_id=actor.id,
                              template_id=template.id)
    _changed(session, publisher, actor, "created", template.id,
             ["name", "shortcut", "bodies", "team", "purpose"])
    return template


def update_template(
    session: Session,
    *,
    actor: User,
    template: ReplyTemplate,
    name: str,
    bodies: Mapping[str, str],
    shortcut: str = "",
    team: str | None = None,
    purpose: str = TemplatePurpose.REPLY,
    is_active: bool = True,
    publisher: Publisher | None = None,
) -> ReplyTemplate:
    if template.workspace_id != actor.workspace_id:
        raise NotFound("no such template")
    name, shortcut, cleaned, team = _clean(
        session, actor.workspace_id, name=name, shortcut=shortcut, bodies=bodies, team=team, purpose=purpose,
        template_id=template.id,
    )
    new = {"name": name, "shortcut": shortcut, "bodies": cleaned, "team": team, "purpose": purpose,
           "is_active": is_active}
    changes = [key for key, value in new.items() if getattr(template, key) != value]
    for key in changes:
        setattr(template, key, new[key])
    template.updated_at = now()
    session.flush()
    timeline.template_updated(session, workspace_id=actor.workspace_id, actor_user_id=actor.id,
                              template_id=template.id)
    _changed(session, publisher, actor, "updated", template.id, changes)
    return template


def delete_template(session: Session, *, actor: User, template: ReplyTemplate,
                    publisher: Publisher | None = None) -> None:
    if template.workspace_id != actor.workspace_id:
        raise NotFound("no such template")
    template_id = template.id
    timeline.template_deleted(session, workspace_id=actor.workspace_id, actor_user_id=actor.id,
                              template_id=template_id, name=template.name)
    session.delete(template)
    session.flush()
    _changed(session, publisher, actor, "deleted", template_id, [])


def count_use(session: Session, workspace_id: int, template_id: int) -> None:
    """One more reply sent from this template (an atomic increment)."""
    session.execute(
        update(ReplyTemplate)
        .where(ReplyTemplate.workspace_id == workspace_id, ReplyTemplate.id == template_id)
        .values(usage_count=ReplyTemplate.usage_count + 1, last_used_at=now())
    )


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


def ensure_default_templates(session: Session, actor: User, *, publisher: Publisher | None = None) -> int:
    """Add the default FR/EN templates the workspace does not have yet (by name); returns how many."""
    existing = {t.name for t in list_templates(session, actor.workspace_id)}
    added = 0
    for spec in DEFAULT_TEMPLATES:
        if spec["name"] in existing:
            continue
        create_template(
            session, actor=actor, name=spec["name"], bodies=spec["bodies"], shortcut=spec["shortcut"],
            purpose=spec.get("purpose", TemplatePurpose.REPLY), publisher=publisher,
        )
        added += 1
    return added
