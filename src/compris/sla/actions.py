"""Every administrative write of the SLA: business hours (deleted only once no policy uses them), policies, alert
settings, published expected waits.

The admin page (``web/pages/sla.py``) and the JSON API (``web/api/sla.py``) both call these. Each checks its
untrusted input (``Invalid`` / ``NotFound`` / ``Conflict``), writes, records a ``settings_changed`` audit row and
emits :class:`compris.events.SettingsChanged` (the SLA's listeners may recompute what depends on it). Targets are
in seconds; ``None`` means "not tracked".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compris.kit.errors import Conflict, Invalid, NotFound
from compris.live import Publisher
from compris.models import BusinessHours, ChannelAccount, SlaPolicy, SlaSettings, User, WaitPublication
from compris.routing import shifts
from compris.routing.actions import check_name, check_timezone, record_change
from compris.sla import queries, wait

TARGET_MAX = 366 * 24 * 3600  # a year, in seconds
WEBHOOK_MAX = 2000
_UNSET: Any = object()
#: what ``None`` may set on a policy (not tracked; any priority; calendar time)
NULLABLE = frozenset({"min_priority", "first_response_s", "next_response_s", "resolution_s", "warn_before_s",
                      "business_hours_id"})  # "leave unchanged" where None is a value (no target, calendar time)


# --- business hours ----------------------------------------------------------------------------------------


def get_business_hours(session: Session, workspace_id: int, hours_id: int) -> BusinessHours:
    row = session.get(BusinessHours, hours_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFound("no such business hours")
    return row


def _hours_named(session: Session, workspace_id: int, name: str) -> BusinessHours | None:
    return session.scalar(select(BusinessHours).where(BusinessHours.workspace_id == workspace_id,
                                                      func.lower(BusinessHours.name) == name.lower()))


def create_business_hours(session: Session, publisher: Publisher, *, actor: User, name: str, timezone: str = "UTC",
                          lines: str = "") -> BusinessHours:
    """A business calendar; ``lines`` in the format of :mod:`compris.routing.shifts` (``mon-fri 09:00-17:00``...)."""
    name = check_name(name, "business hours")
    tz = check_timezone(timezone)
    hours = shifts.parse(lines)
    if _hours_named(session, actor.workspace_id, name) is not None:
        raise Conflict("other business hours have this name")
    row = BusinessHours(workspace_id=actor.workspace_id, name=name, timezone=tz, hours=hours)
    session.add(row)
    session.flush()
    record_change(session, publisher, actor=actor, entity="business_hours", action="created", entity_id=row.id,
                  changes=["name", "timezone", "hours"])
    return row


def update_business_hours(session: Session, publisher: Publisher, *, actor: User, hours_id: int,
                          name: str | None = None, timezone: str | None = None,
                          lines: str | None = None) -> BusinessHours:
    """Change what is given (``None``: unchanged)."""
    row = get_business_hours(session, actor.workspace_id, hours_id)
    changes: list[str] = []
    if name is not None:
        name = check_name(name, "business hours")
        if name != row.name:
            other = _hours_named(session, actor.workspace_id, name)
            if other is not None and other.id != row.id:
                raise Conflict("other business hours have this name")
            row.name = name
            changes.append("name")
    if timezone is not None:
        tz = check_timezone(timezone)
        if tz != row.timezone:
            row.timezone = tz
            changes.append("timezone")
    if lines is not None:
        hours = shifts.parse(lines)
        if hours != (row.hours or {}):
            row.hours = hours
            changes.append("hours")
    session.flush()
    record_change(session, publisher, actor=actor, entity="business_hours", action="updated", entity_id=row.id,
                  changes=changes)
    return row


def save_business_hours(session: Session, publisher: Publisher, *, actor: User, name: str, timezone: str = "UTC",
                        lines: str = "") -> BusinessHours:
    """Create the calendar called ``name``, or replace its time zone and hours (the admin page's one form)."""
    existing = _hours_named(session, actor.workspace_id, check_name(name, "business hours"))
    if existing is None:
        return create_business_hours(session, publisher, actor=actor, name=name, timezone=timezone, lines=lines)
    return update_business_hours(session, publisher, actor=actor, hours_id=existing.id, timezone=timezone,
                                 lines=lines)


def delete_business_hours(session: Session, publisher: Publisher, *, actor: User, hours_id: int) -> None:
    """Delete a business calendar no policy counts its time in. While policies use it, refused (``Conflict``,
    naming them): deleting it would silently make their deadlines count around the clock; give them other hours
    (or 24/7) first."""
    row = get_business_hours(session, actor.workspace_id, hours_id)
    users = list(session.scalars(select(SlaPolicy.name).where(SlaPolicy.workspace_id == actor.workspace_id,
                                                             SlaPolicy.business_hours_id == row.id)
                                 .order_by(SlaPolicy.position, SlaPolicy.name)))
    if users:
        raise Conflict(f"these business hours are used by the SLA policies: {', '.join(users)} (give them other "
                       "hours, or 24/7, first)")
    session.delete(row)
    session.flush()
    record_change(session, publisher, actor=actor, entity="business_hours", action="deleted", entity_id=hours_id)


# --- policies ----------------------------------------------------------------------------------------------


def get_policy(session: Session, workspace_id: int, policy_id: int) -> SlaPolicy:
    row = session.get(SlaPolicy, policy_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFound("no such SLA policy")
    return row


def _target(value: int | None, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{what}: a number of seconds")
    if value < 0:
        raise Invalid(f"{what}: not negative")
    if value > TARGET_MAX:
        raise Invalid(f"{what}: at most a year")
    return value


def _words(values: Sequence[str] | str, what: str) -> list[str]:
    items = values.split(",") if isinstance(values, str) else list(values)
    if any(not isinstance(v, str) for v in items):
        raise Invalid(f"{what}: a list of words")
    out = sorted({v.strip().lower() for v in items if v.strip()})
    if any(len(v) > 40 for v in out):
        raise Invalid(f"{what}: each value has at most 40 characters")
    return out


def _accounts(session: Session, workspace_id: int, ids: Sequence[int]) -> list[int]:
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return []
    found = set(session.scalars(select(ChannelAccount.id).where(ChannelAccount.workspace_id == workspace_id,
                                                                ChannelAccount.id.in_(wanted))))
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound(f"no such channel account: {', '.join(map(str, missing))}")
    return wanted


def _hours_id(session: Session, workspace_id: int, hours_id: int | None) -> int | None:
    return None if hours_id is None else get_business_hours(session, workspace_id, hours_id).id


def _priority(value: int | None) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise Invalid("min_priority: a number, not negative")
    return value


def create_policy(session: Session, publisher: Publisher, *, actor: User, name: str, position: int = 0,
                  networks: Sequence[str] = (), intents: Sequence[str] = (), channel_account_ids: Sequence[int] = (),
                  min_priority: int | None = None, first_response_s: int | None = None,
                  next_response_s: int | None = None, resolution_s: int | None = None,
                  warn_before_s: int | None = None, business_hours_id: int | None = None) -> SlaPolicy:
    """A policy: the first active one by position that matches a case (network, account, intent, priority) sets its
    targets. ``warn_before_s`` left out: a fifth of the first-response target."""
    name = check_name(name, "a policy")
    first = _target(first_response_s, "first response")
    warn = _target(warn_before_s, "warn before")
    row = SlaPolicy(
        workspace_id=actor.workspace_id, name=name, position=_int(position),
        networks=_words(networks, "networks"), intents=_words(intents, "intents"),
        channel_account_ids=_accounts(session, actor.workspace_id, channel_account_ids),
        min_priority=_priority(min_priority), first_response_s=first,
        next_response_s=_target(next_response_s, "next response"), resolution_s=_target(resolution_s, "resolution"),
        warn_before_s=warn if warn is not None else (first // 5 if first else 0),
        business_hours_id=_hours_id(session, actor.workspace_id, business_hours_id),
    )
    session.add(row)
    session.flush()
    record_change(session, publisher, actor=actor, entity="sla_policy", action="created", entity_id=row.id,
                  changes=["name", "position", "networks", "intents", "channel_account_ids", "min_priority",
                           "first_response_s", "next_response_s", "resolution_s", "warn_before_s",
                           "business_hours_id"])
    return row


def update_policy(session: Session, publisher: Publisher, *, actor: User, policy_id: int, name: Any = _UNSET,
                  position: Any = _UNSET, networks: Any = _UNSET, intents: Any = _UNSET,
                  channel_account_ids: Any = _UNSET, min_priority: Any = _UNSET, first_response_s: Any = _UNSET,
                  next_response_s: Any = _UNSET, resolution_s: Any = _UNSET, warn_before_s: Any = _UNSET,
                  business_hours_id: Any = _UNSET, is_active: Any = _UNSET) -> SlaPolicy:
    """Change the fields given (left out: unchanged; ``None`` for a target: not tracked, for the business hours:
    calendar time)."""
    row = get_policy(session, actor.workspace_id, policy_id)
    ws = actor.workspace_id
    checks: dict[str, Any] = {
        "name": lambda v: check_name(v, "a policy"),
        "position": _int,
        "networks": lambda v: _words(v, "networks"),
        "intents": lambda v: _words(v, "intents"),
        "channel_account_ids": lambda v: _accounts(session, ws, v),
        "min_priority": _priority,
        "first_response_s": lambda v: _target(v, "first response"),
        "next_response_s": lambda v: _target(v, "next response"),
        "resolution_s": lambda v: _target(v, "resolution"),
        "warn_before_s": lambda v: _target(v, "warn before") or 0,
        "business_hours_id": lambda v: _hours_id(session, ws, v),
        "is_active": _bool,
    }
    given = {"name": name, "position": position, "networks": networks, "intents": intents,
             "channel_account_ids": channel_account_ids, "min_priority": min_priority,
             "first_response_s": first_response_s, "next_response_s": next_response_s, "resolution_s": resolution_s,
             "warn_before_s": warn_before_s, "business_hours_id": business_hours_id, "is_active": is_active}
    given = {key: value for key, value in given.items() if value is not _UNSET}
    for key, value in given.items():
        if value is None and key not in NULLABLE:
            raise Invalid(f"{key} cannot be null")
    cleaned = {key: checks[key](value) for key, value in given.items()}
    changes = [key for key, value in cleaned.items() if getattr(row, key) != value]
    for key in changes:
        setattr(row, key, cleaned[key])
    session.flush()
    record_change(session, publisher, actor=actor, entity="sla_policy", action="updated", entity_id=row.id,
                  changes=changes)
    return row


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid("position: a number")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid("is_active: true or false")
    return value


def delete_policy(session: Session, publisher: Publisher, *, actor: User, policy_id: int) -> None:
    row = get_policy(session, actor.workspace_id, policy_id)
    session.delete(row)
    session.flush()
    record_change(session, publisher, actor=actor, entity="sla_policy", action="deleted", entity_id=policy_id)


# --- settings ----------------------------------------------------------------------------------------------


def save_settings(session: Session, publisher: Publisher, *, actor: User, webhook_url: str | None = None,
                  alert_at_risk: bool | None = None) -> SlaSettings:
    """Where breach alerts go (an https:// or http:// URL, or empty: nowhere) and whether "at risk" alerts too.
    ``None``: unchanged."""
    row = queries.settings(session, actor.workspace_id)
    if row is None:
        row = SlaSettings(workspace_id=actor.workspace_id, webhook_url="", alert_at_risk=True)
        session.add(row)
    changes: list[str] = []
    if webhook_url is not None:
        url = webhook_url.strip()
        if url and not url.startswith(("https://", "http://")):
            raise Invalid("the webhook URL must start with https:// or http://")
        if len(url) > WEBHOOK_MAX:
            raise Invalid(f"the webhook URL has at most {WEBHOOK_MAX} characters")
        if url != row.webhook_url:
            row.webhook_url = url
            changes.append("webhook_url")
    if alert_at_risk is not None and alert_at_risk != row.alert_at_risk:
        row.alert_at_risk = alert_at_risk
        changes.append("alert_at_risk")
    session.flush()
    record_change(session, publisher, actor=actor, entity="sla_settings", action="updated", entity_id=row.id,
                  changes=changes)
    return row


def set_publication(session: Session, publisher: Publisher, *, actor: User, account_id: int,
                    auto_ack: bool | None = None, regenerate: bool = False) -> WaitPublication:
    """Publish a channel account's expected wait (a badge and JSON under a non-guessable id); ``auto_ack``: answer
    a new case's first message with it; ``regenerate``: a new public id (the old links stop working)."""
    account = session.get(ChannelAccount, account_id)
    if account is None or account.workspace_id != actor.workspace_id:
        raise NotFound("no such account")
    before = wait.publication_for(session, account)
    was = (before.auto_ack, before.public_id) if before is not None else None
    pub = wait.set_publication(session, account, auto_ack=auto_ack, regenerate=regenerate)
    session.flush()
    changes = []
    if was is None:
        changes = ["public_id", "auto_ack"]
    else:
        changes = [name for name, old, new in (("auto_ack", was[0], pub.auto_ack), ("public_id", was[1], pub.public_id))
                   if old != new]
    record_change(session, publisher, actor=actor, entity="wait_publication",
                  action="created" if was is None else "updated", entity_id=pub.id, changes=changes)
    return pub
