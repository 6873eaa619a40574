"""Writes of reply templates: create, update, delete, count a use, add the defaults.

Each records its audit row (``template_created`` / ``_updated`` / ``_deleted``) and emits ``SettingsChanged``
(entity ``template``). ``publisher`` may be left out outside a web process (the demo, the test worlds).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from compris import audit, timeline
from compris.kit.clock import now
from compris.kit.errors import Conflict, Invalid, NotFound
from compris.live import Publisher
from compris.models import ReplyTemplate, TemplatePurpose, User
from compris.replies.queries import list_templates
from compris.replies.rendering import DEFAULT_TEMPLATES, LANGUAGES, MAX_BODY, refuse_unknown_variables


def _changed(session: Session, publisher: Publisher | None, actor: User, action: str, template_id: int,
             changes: Sequence[str]) -> None:
    audit.announce(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id, entity="template",
                   action=action, entity_id=template_id, changes=changes)


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
        refuse_unknown_variables(text)
    clash = select(ReplyTemplate.id).where(ReplyTemplate.workspace_id == workspace_id)
    if template_id is not None:
        clash = clash.where(ReplyTemplate.id != template_id)
    if session.scalar(clash.where(func.lower(ReplyTemplate.name) == name.lower())) is not None:
        raise Conflict("another template has this name")
    if shortcut and session.scalar(clash.where(ReplyTemplate.shortcut == shortcut)) is not None:
        raise Conflict("another template has this shortcut")
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
