"""Partners and internal back-office teams (admin writes): create, change, deactivate and reactivate.

Each function checks its untrusted input (``Invalid`` / ``NotFound`` / ``Conflict``, never a database error),
writes, and records the audit row and the :class:`~compris.events.SettingsChanged` event through
:func:`compris.audit.record`. None commits: the caller's transaction does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compris import audit
from compris.kit.errors import Conflict, Invalid, NotFound
from compris.live import Publisher
from compris.models import BusinessHours, Partner, PartnerKind, User

NAME_MAX = 200
EMAILS_MAX = 20
NOTES_MAX = 5000
DUE_MINUTES_MAX = 60 * 24 * 366
LINK_DAYS_MAX = 365
REMINDERS_MAX = 10
KINDS = tuple(k.value for k in PartnerKind)
REMINDER_KEYS = ("before_minutes", "after_minutes", "repeat_minutes")
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*"
                    r"[A-Za-z0-9])?)+$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z]{2})?$")

# fields of a change, for the audit row
FIELDS = ("name", "kind", "emails", "language", "business_hours_id", "due_minutes", "reminders", "link_days",
          "notes")


def get_partner(session: Session, workspace_id: int, partner_id: int) -> Partner:
    partner = session.get(Partner, partner_id)
    if partner is None or partner.workspace_id != workspace_id:
        raise NotFound("no such partner or team")
    return partner


# --- checks ----------------------------------------------------------------------------------------------


def check_name(value: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise Invalid("a partner or team needs a name")
    if len(name) > NAME_MAX:
        raise Invalid(f"a name has at most {NAME_MAX} characters")
    return name


def check_kind(value: str) -> str:
    kind = value.strip().lower()
    if kind not in KINDS:
        raise Invalid(f"the kind is {' or '.join(KINDS)}, not {value!r}")
    return kind


def check_emails(values: Iterable[str] | str) -> list[str]:
    """E-mail addresses (a list, or text with one address per line or separated by commas); at least one."""
    items = re.split(r"[\s,;]+", values) if isinstance(values, str) else [str(v) for v in values]
    emails: list[str] = []
    for raw in items:
        address = raw.strip()
        if not address:
            continue
        if len(address) > 254 or not _EMAIL.match(address):
            raise Invalid.of("%(address)s is not an e-mail address", address=repr(address))
        if address.lower() not in (e.lower() for e in emails):
            emails.append(address)
    if not emails:
        raise Invalid("give at least one e-mail address")
    if len(emails) > EMAILS_MAX:
        raise Invalid(f"at most {EMAILS_MAX} e-mail addresses")
    return emails


def check_language(value: str) -> str:
    language = value.strip().lower().replace("_", "-")
    if not _LANGUAGE.match(language):
        raise Invalid(f"{value!r} is not a language code (such as en or fr)")
    return language


def _minutes(value: Any, what: str, *, low: int = 0, high: int = DUE_MINUTES_MAX) -> int:
    if isinstance(value, bool):
        raise Invalid(f"{what} must be a whole number of minutes")
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise Invalid(f"{what} must be a whole number of minutes") from None
    if number < 0:
        raise Invalid(f"{what} cannot be negative")
    if number < low:
        raise Invalid(f"{what} must be at least {low}")
    if number > high:
        raise Invalid(f"{what} must be at most {high}")
    return number


def check_due_minutes(value: Any) -> int:
    return _minutes(value, "the due time", low=1)


def check_link_days(value: Any) -> int:
    if isinstance(value, bool):
        raise Invalid("the link lifetime must be a whole number of days")
    try:
        days = int(str(value).strip())
    except ValueError:
        raise Invalid("the link lifetime must be a whole number of days") from None
    if days < 1 or days > LINK_DAYS_MAX:
        raise Invalid(f"the link lifetime is between 1 and {LINK_DAYS_MAX} days")
    return days


def parse_minutes_list(text: str, what: str = "a reminder") -> list[int]:
    """``"60, 240"`` → ``[60, 240]`` (the admin page's fields); a word that is not a number is refused."""
    return [_minutes(part, what) for part in re.split(r"[\s,;]+", text.strip()) if part]


def check_reminders(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """``{"before_minutes": [60], "after_minutes": [0, 240], "repeat_minutes": 1440}`` (each part optional):
    minutes of the partner's calendar before / after the due time, then a repeat while overdue (0: none)."""
    if value is None:
        return {"before_minutes": [], "after_minutes": [], "repeat_minutes": 0}
    unknown = sorted(set(value) - set(REMINDER_KEYS))
    if unknown:
        raise Invalid(f"unknown reminder setting {unknown[0]!r} (use {', '.join(REMINDER_KEYS)})")
    out: dict[str, Any] = {}
    for key, what in (("before_minutes", "a reminder before the due time"),
                      ("after_minutes", "a reminder after the due time")):
        items = value.get(key) or []
        if isinstance(items, str | int) and not isinstance(items, bool):
            items = [items]
        if not isinstance(items, Sequence) or isinstance(items, str):
            raise Invalid(f"{key} is a list of minutes")
        minutes = sorted({_minutes(v, what) for v in items})
        if len(minutes) > REMINDERS_MAX:
            raise Invalid(f"at most {REMINDERS_MAX} reminders in {key}")
        out[key] = minutes
    out["repeat_minutes"] = _minutes(value.get("repeat_minutes") or 0, "the repeat interval")
    return out


def check_notes(value: str) -> str:
    notes = value.replace("\r\n", "\n").strip()
    if len(notes) > NOTES_MAX:
        raise Invalid(f"the notes have at most {NOTES_MAX} characters")
    return notes


def check_business_hours(session: Session, workspace_id: int, hours_id: int | None) -> int | None:
    """None (24/7, calendar time) or one of the workspace's business calendars (SLA → business hours)."""
    if hours_id is None or hours_id == 0:
        return None
    hours = session.get(BusinessHours, hours_id)
    if hours is None or hours.workspace_id != workspace_id:
        raise NotFound("no such business hours")
    return hours.id


def _unique_name(session: Session, workspace_id: int, name: str, partner_id: int | None) -> None:
    query = select(Partner.id).where(Partner.workspace_id == workspace_id, func.lower(Partner.name) == name.lower())
    if partner_id is not None:
        query = query.where(Partner.id != partner_id)
    if session.scalar(query) is not None:
        raise Conflict("another partner or team has this name")


# --- writes ----------------------------------------------------------------------------------------------


def create_partner(session: Session, publisher: Publisher | None, *, actor: User, name: str,
                   emails: Iterable[str] | str, kind: str = PartnerKind.PARTNER, language: str = "en",
                   business_hours_id: int | None = None, due_minutes: Any = 24 * 60,
                   reminders: Mapping[str, Any] | None = None, link_days: Any = 14, notes: str = "") -> Partner:
    """A partner (outside the brand) or an internal team, reachable by e-mail and the signed portal link."""
    partner = Partner(
        workspace_id=actor.workspace_id, name=check_name(name), kind=check_kind(kind), emails=check_emails(emails),
        language=check_language(language),
        business_hours_id=check_business_hours(session, actor.workspace_id, business_hours_id),
        due_minutes=check_due_minutes(due_minutes), reminders=check_reminders(reminders),
        link_days=check_link_days(link_days), notes=check_notes(notes))
    _unique_name(session, actor.workspace_id, partner.name, None)
    session.add(partner)
    session.flush()
    audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id, entity="partner",
                 action="created", entity_id=partner.id, changes=FIELDS)
    return partner


_UNSET: Any = object()


def update_partner(session: Session, publisher: Publisher | None, *, actor: User, partner_id: int,
                   name: str | None = None, kind: str | None = None, emails: Iterable[str] | str | None = None,
                   language: str | None = None, business_hours_id: Any = _UNSET, due_minutes: Any = None,
                   reminders: Mapping[str, Any] | None = None, link_days: Any = None,
                   notes: str | None = None) -> Partner:
    """Change what is given (``None``: unchanged; ``business_hours_id`` None: 24/7)."""
    partner = get_partner(session, actor.workspace_id, partner_id)
    wanted: dict[str, Any] = {}
    if name is not None:
        wanted["name"] = check_name(name)
        _unique_name(session, actor.workspace_id, wanted["name"], partner.id)
    if kind is not None:
        wanted["kind"] = check_kind(kind)
    if emails is not None:
        wanted["emails"] = check_emails(emails)
    if language is not None:
        wanted["language"] = check_language(language)
    if business_hours_id is not _UNSET:
        wanted["business_hours_id"] = check_business_hours(session, actor.workspace_id, business_hours_id)
    if due_minutes is not None:
        wanted["due_minutes"] = check_due_minutes(due_minutes)
    if reminders is not None:
        wanted["reminders"] = check_reminders(reminders)
    if link_days is not None:
        wanted["link_days"] = check_link_days(link_days)
    if notes is not None:
        wanted["notes"] = check_notes(notes)
    changes = [key for key, value in wanted.items() if getattr(partner, key) != value]
    for key in changes:
        setattr(partner, key, wanted[key])
    audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id, entity="partner",
                 action="updated", entity_id=partner.id, changes=changes)
    return partner


def set_partner_active(session: Session, publisher: Publisher | None, *, actor: User, partner_id: int,
                       active: bool) -> Partner:
    """Deactivate (no new escalation to them; the open ones go on) or reactivate a partner or team."""
    partner = get_partner(session, actor.workspace_id, partner_id)
    if partner.is_active == active:
        return partner
    partner.is_active = active
    audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id, entity="partner",
                 action="reactivated" if active else "deactivated", entity_id=partner.id, changes=["is_active"])
    return partner
