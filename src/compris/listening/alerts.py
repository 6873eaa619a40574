"""Alerts for the supervisors (writes): raise one once per thing it is about, follow a volume spike, a high-reach
complaint, acknowledge, and the workspace's listening settings.

An alert is raised inside the transaction that found it: the row (unique per workspace and ``key``), the case's
timeline row for an alert about a case, :class:`~compris.events.AlertRaised` (the outgoing webhook listens), and a
live ``alert`` event after commit for the supervisors to see at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from compris import audit, bus, timeline
from compris.events import AlertRaised
from compris.kit.clock import now
from compris.kit.errors import Invalid, NotFound
from compris.listening import reach, spikes
from compris.listening.salient import terms
from compris.live import Publisher, publish_case
from compris.models import (
    Alert,
    AlertKind,
    Case,
    ChannelAccount,
    Direction,
    Identity,
    ListeningSettings,
    Message,
    SpikeSensitivity,
    User,
)
from compris.routing.assignment import supervisors_of

SAMPLES = 5
SAMPLE_SCAN = 2000


def settings_of(session: Session, workspace_id: int) -> ListeningSettings | None:
    return session.scalar(select(ListeningSettings).where(ListeningSettings.workspace_id == workspace_id))


def raise_alert(session: Session, publisher: Publisher, *, workspace_id: int, kind: str, key: str, title: str,
                reasons: Sequence[dict[str, Any]], data: dict[str, Any], case_id: int | None = None,
                cluster_id: int | None = None, window_start: datetime | None = None,
                notify: Sequence[int] | None = None) -> Alert | None:
    """Raise the alert ``key`` of the workspace, once: None when it was raised already (here or by a concurrent
    transaction)."""
    if session.scalar(select(Alert.id).where(Alert.workspace_id == workspace_id, Alert.key == key)) is not None:
        return None
    case = session.get(Case, case_id) if case_id is not None else None
    if case is not None and case.workspace_id != workspace_id:
        raise NotFound("case not found")
    alert = Alert(workspace_id=workspace_id, kind=kind, key=key[:300], title=title[:300], reasons=list(reasons),
                  data=data, case_id=case_id, cluster_id=cluster_id, window_start=window_start)
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:
        return None  # a concurrent transaction raised it first
    if case is not None:
        timeline.alert_raised(session, case, alert_id=alert.id, kind=kind, title=alert.title, reasons=alert.reasons)
    bus.emit(session, publisher, AlertRaised(workspace_id=workspace_id, alert_id=alert.id, kind=kind,
                                             case_id=case_id))
    who = list(notify) if notify is not None else supervisors_of(
        session, workspace_id, case.team_id if case is not None else None)
    publisher.publish(session, workspace_id, "alert", alert_id=alert.id, alert_kind=kind, change="raised",
                      title=alert.title, case_id=case_id, number=case.number if case is not None else None,
                      observed=data.get("observed"), expected=data.get("expected"),
                      window_minutes=data.get("window_minutes"), notify=who)
    if case is not None:
        publish_case(session, publisher, case, "alert", alert_id=alert.id)
    return alert


def acknowledge(session: Session, publisher: Publisher, actor: User, alert_id: int) -> Alert:
    """A supervisor saw the alert (once; acknowledging again changes nothing)."""
    alert = session.get(Alert, alert_id)
    if alert is None or alert.workspace_id != actor.workspace_id:
        raise NotFound("alert not found")
    if alert.acknowledged_at is not None:
        return alert
    alert.acknowledged_at = now()
    alert.acknowledged_by_user_id = actor.id
    audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id, entity="alert",
                 action="acknowledged", entity_id=alert.id, changes=["acknowledged_at"])
    publisher.publish(session, actor.workspace_id, "alert", alert_id=alert.id, alert_kind=alert.kind,
                      change="acknowledged", notify=[])
    return alert


# --- high reach -------------------------------------------------------------------------------------------------


def follow_reach(session: Session, publisher: Publisher, message: Message) -> Alert | None:
    """A customer's complaint whose reach crosses the workspace's thresholds: one alert per case."""
    if message.direction != Direction.INBOUND or not reach.is_complaint(message.triage or {}):
        return None
    identity = session.get(Identity, message.author_identity_id) if message.author_identity_id else None
    followers = identity.followers if identity is not None else None
    verified = bool(identity.verified) if identity is not None else False
    if not (message.promoted or verified or message.reshares >= reach.MIN_RESHARES or (followers or 0) > 0):
        return None
    rules = reach.ReachRules.of(settings_of(session, message.workspace_id))
    if rules is None:
        return None
    at = now()
    why = reach.reasons(rules, followers=followers, verified=verified, promoted=message.promoted,
                        reshares=message.reshares, published_at=min(message.sent_at, at), now=at)
    if not why:
        return None
    case = session.get(Case, message.case_id)
    if case is None:
        return None
    codes = ", ".join(r["code"] for r in why)
    return raise_alert(
        session, publisher, workspace_id=message.workspace_id, kind=AlertKind.REACH, key=f"reach:case:{case.id}",
        title=f"High-reach complaint on case #{case.number} ({codes})", reasons=why, case_id=case.id,
        data={"message_id": message.id, "case_number": case.number, "followers": followers, "verified": verified,
              "promoted": message.promoted, "reshares": message.reshares,
              "network": identity.network if identity is not None else None})


# --- volume spikes ----------------------------------------------------------------------------------------------


def count_message(session: Session, message: Message, network: str | None) -> None:
    """Add a customer's message to the spike counters (called on every inbound message: one statement)."""
    triage = message.triage or {}
    scopes = spikes.message_scopes(channel_account_id=message.channel_account_id, network=network,
                                   intent=triage.get("intent"), topic=triage.get("topic"), text=message.text or "")
    at = now()
    when = min(message.sent_at, at) if message.sent_at is not None else at
    if at - when > spikes.RETENTION:
        return
    spikes.count_message(session, workspace_id=message.workspace_id, message_id=message.id, when=when,
                         scopes=scopes)


def _scope_label(session: Session, workspace_id: int, scope: str) -> str:
    kind, value = spikes.scope_kind(scope), spikes.scope_value(scope)
    if kind == "account" and value.isdigit():
        account = session.get(ChannelAccount, int(value))
        if account is not None and account.workspace_id == workspace_id:
            return account.name
    return {"all": "all channels", "kw": f"“{value}”"}.get(kind, f"{kind} {value}")


def _matches(scope: str, message: Message, networks: dict[int, str]) -> bool:
    kind, value = spikes.scope_kind(scope), spikes.scope_value(scope)
    triage = message.triage or {}
    if kind == "all":
        return True
    if kind == "account":
        return str(message.channel_account_id) == value
    if kind == "network":
        return networks.get(message.channel_account_id or 0) == value
    if kind in ("intent", "topic"):
        return triage.get(kind) == value
    return kind == "kw" and value in terms(message.text or "")


def sample_messages(session: Session, workspace_id: int, scope: str, since: datetime) -> list[dict[str, Any]]:
    """A few of the window's messages in ``scope`` (ids and case numbers; their text is read when shown)."""
    networks = {int(i): str(n) for i, n in session.execute(
        select(ChannelAccount.id, ChannelAccount.network).where(ChannelAccount.workspace_id == workspace_id))}
    rows = session.execute(
        select(Message, Case.number).join(Case, Case.id == Message.case_id)
        .where(Message.workspace_id == workspace_id, Message.direction == Direction.INBOUND,
               Message.created_at >= since)
        .order_by(Message.id.desc()).limit(SAMPLE_SCAN))
    out: list[dict[str, Any]] = []
    for message, number in rows:
        if _matches(scope, message, networks):
            out.append({"message_id": message.id, "case_id": message.case_id, "case_number": int(number)})
            if len(out) >= SAMPLES:
                break
    return out


def check_spikes(session: Session, publisher: Publisher, workspace_id: int, at: datetime) -> Alert | None:
    """One workspace's spike check: a new spike raises an alert; a continuing one updates its alert quietly."""
    rules = spikes.rules_of(settings_of(session, workspace_id))
    if rules is None:
        return None
    findings, keywords = spikes.evaluate(spikes.DatabaseCounts(session, workspace_id), at, rules)
    if not findings:
        return None
    latest = session.scalar(select(Alert).where(Alert.workspace_id == workspace_id, Alert.kind == AlertKind.SPIKE)
                            .order_by(Alert.created_at.desc(), Alert.id.desc()).limit(1))
    if latest is not None:
        last = latest.data.get("last_above_at")
        if spikes.continues(datetime.fromisoformat(last) if last else None, at):
            _extend(session, latest, findings, keywords, at)
            return None
    main = spikes.primary(findings)
    window_start = spikes.bucket_of(at) - spikes.BUCKET * spikes.WINDOWS[main.window]
    label = _scope_label(session, workspace_id, main.scope)
    scopes = [{**f.to_dict(), "label": _scope_label(session, workspace_id, f.scope)} for f in findings]
    data = {**main.to_dict(), "label": label, "scopes": scopes, "keywords": keywords,
            "samples": sample_messages(session, workspace_id, main.scope, window_start),
            "first_above_at": at.isoformat(), "last_above_at": at.isoformat()}
    minutes = spikes.WINDOW_MINUTES[main.window]
    usual = f"usually {main.expected:.1f}" if main.basis != "none" else "no history yet"
    title = f"Volume spike on {label}: {main.observed} messages in {minutes} min ({usual})"
    reasons = [{"code": "spike", "params": {"scope": main.scope, "label": label, "observed": main.observed,
                                            "expected": round(main.expected, 1), "window_minutes": minutes,
                                            "basis": main.basis}}]
    return raise_alert(session, publisher, workspace_id=workspace_id, kind=AlertKind.SPIKE,
                       key=f"spike:{spikes.bucket_of(at).isoformat()}", title=title, reasons=reasons, data=data,
                       window_start=window_start, notify=supervisors_of(session, workspace_id, None))


def _extend(session: Session, alert: Alert, findings: Sequence[spikes.Finding], keywords: list[dict[str, Any]],
            at: datetime) -> None:
    """A spike still going on: its alert keeps the peak of each scope and the scopes that joined (no new alert)."""
    data = dict(alert.data)
    by_scope = {s["scope"]: s for s in data.get("scopes", [])}
    for f in findings:
        known = by_scope.get(f.scope)
        if known is None or f.observed > int(known.get("observed", 0)):
            by_scope[f.scope] = {**f.to_dict(), "label": _scope_label(session, alert.workspace_id, f.scope)}
    terms_known = {k["term"] for k in data.get("keywords", [])}
    data["keywords"] = [*data.get("keywords", []), *(k for k in keywords if k["term"] not in terms_known)][
        :spikes.KEYWORDS_SHOWN]
    data["scopes"] = list(by_scope.values())
    data["last_above_at"] = at.isoformat()
    data["peak"] = max(int(data.get("peak", 0) or 0), *(f.observed for f in findings))
    alert.data = data


# --- settings ---------------------------------------------------------------------------------------------------

SENSITIVITIES = (SpikeSensitivity.LOW, SpikeSensitivity.NORMAL, SpikeSensitivity.HIGH)
LIMITS = {"spike_min_count": (1, 100000), "reach_min_followers": (0, 1_000_000_000),
          "reach_reshares_per_hour": (0, 1_000_000)}


def save_settings(session: Session, publisher: Publisher, actor: User, *, spikes_enabled: bool,
                  spike_sensitivity: str, spike_min_count: int, reach_enabled: bool, reach_min_followers: int,
                  reach_verified: bool, reach_promoted: bool, reach_reshares_per_hour: int) -> ListeningSettings:
    """The workspace's listening settings (an audit row naming what changed)."""
    if spike_sensitivity not in SENSITIVITIES:
        raise Invalid("the sensitivity must be low, normal or high")
    values: dict[str, Any] = {"spikes_enabled": bool(spikes_enabled), "spike_sensitivity": spike_sensitivity,
                              "spike_min_count": spike_min_count, "reach_enabled": bool(reach_enabled),
                              "reach_min_followers": reach_min_followers, "reach_verified": bool(reach_verified),
                              "reach_promoted": bool(reach_promoted),
                              "reach_reshares_per_hour": reach_reshares_per_hour}
    for name, (lo, hi) in LIMITS.items():
        if not lo <= int(values[name]) <= hi:
            raise Invalid(f"{name.replace('_', ' ')} must be between {lo} and {hi}")
    row = settings_of(session, actor.workspace_id)
    created = row is None
    if row is None:
        row = ListeningSettings(workspace_id=actor.workspace_id)
        session.add(row)
    changes = [k for k, v in values.items() if created or getattr(row, k) != v]
    for k, v in values.items():
        setattr(row, k, v)
    row.updated_by_id = actor.id
    session.flush()
    audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id,
                 entity="listening_settings", action="created" if created else "updated", entity_id=row.id,
                 changes=changes)
    return row
