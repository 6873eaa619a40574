"""Incidents: many cases about one event (an airport fire, a carrier's failure), handled together.

Every write here is an action: it checks its input (:class:`~compris.kit.errors.Invalid`, ``NotFound``,
``Forbidden``, ``Conflict`` → a clear 4xx), writes, records the timeline or audit row through its recorder, emits
its domain event and publishes the live update after commit.

* open an incident by hand, or from an alert or a cluster (its cases linked, its matching rules taken from it);
  confirm, resolve (optionally resolving its cases with the closing message), reopen;
* edit its name, description, statements (the holding statement and the closing message, per language, template
  text with the reply templates' variables) and its matching rules;
* link and unlink cases by hand; while the incident is open (suspected or confirmed) new messages that match are
  linked automatically (:func:`auto_link`, run by the ``MessageReceived`` listener);
* crisis mode: the linked cases' priority raised by ``crisis_priority`` and the crisis SLA policy forced on them
  (:class:`~compris.events.CaseCrisisChanged`: the SLA recomputes through its own listener), undone when it ends;
* an escalation of the incident's cases to a partner or an internal team: one escalation per case (see
  :func:`escalate_cases`).

Matching (``Incident.match``): ``cluster_ids`` and ``keywords`` say what the incident is about (a message
matches when it joined one of the clusters *or* holds one of the keywords, case- and accent-insensitive, as whole
words); ``channel_account_ids`` and ``intents`` narrow it (when set, the message must also come from one of the
accounts and have one of the intents). An incident without any rule links nothing by itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from compris import bus, timeline
from compris.db import savepoint
from compris.escalation import actions as escalation_actions
from compris.events import (
    CaseCrisisChanged,
    IncidentCaseLinked,
    IncidentCaseUnlinked,
    IncidentOpened,
    IncidentStatusChanged,
    IncidentUpdated,
)
from compris.kit.clock import now
from compris.kit.errors import Conflict, Forbidden, Invalid, NotFound
from compris.live import Publisher, publish_case
from compris.models import (
    ACTIVE_STATUSES,
    OPEN_ESCALATION_STATUSES,
    Alert,
    Case,
    ChannelAccount,
    Cluster,
    ClusterMember,
    Direction,
    Escalation,
    Incident,
    IncidentCase,
    IncidentStatus,
    Message,
    Role,
    SlaPolicy,
    User,
)
from compris.replies.rendering import LANGUAGES, MAX_BODY, refuse_unknown_variables
from compris.triage.labels import INTENTS

MANAGERS = (Role.ADMIN, Role.SUPERVISOR)
OPEN_STATUSES = (IncidentStatus.SUSPECTED, IncidentStatus.CONFIRMED)
SOURCES = ("manual", "spike", "cluster")
MATCH_KEYS = ("cluster_ids", "keywords", "channel_account_ids", "intents")
MAX_NAME = 200
MAX_DESCRIPTION = 5000
MAX_KEYWORDS = 30
MAX_KEYWORD = 60
MAX_CRISIS_PRIORITY = 100
#: how many cases a hand link, an escalation or an opening from an alert takes at once
MAX_CASES = 5000
#: the key of the open incidents' cache in ``session.info`` (one read per transaction, see :func:`open_incidents`)
_CACHE = "compris.listening.open_incidents"


def may_manage(user: User) -> bool:
    """Supervisors and admins manage incidents; agents see them and their cases."""
    return user.role in MANAGERS


def _manager(actor: User) -> None:
    if not may_manage(actor):
        raise Forbidden("only supervisors and admins manage incidents")


def label(incident: Incident) -> str:
    """How the timeline names an incident: ``#3 Cancelled trips``."""
    return f"#{incident.number} {incident.name}"


# --- matching ----------------------------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case, without accents, spaces collapsed: "Annulé" and "ANNULE" are one word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def _keyword_pattern(keywords: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted({fold(k) for k in keywords if fold(k)}, key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)")


@dataclass(frozen=True)
class Matcher:
    """An open incident's rules, ready to test messages against (built once per transaction)."""

    incident_id: int
    cluster_ids: frozenset[int]
    pattern: re.Pattern[str] | None
    accounts: frozenset[int]
    intents: frozenset[str]
    crisis: bool

    @property
    def has_subject(self) -> bool:
        return bool(self.cluster_ids) or self.pattern is not None

    @property
    def active(self) -> bool:
        return self.has_subject or bool(self.accounts) or bool(self.intents)

    def matches(self, *, folded_text: str, account_id: int | None, intent: str | None,
                clusters: frozenset[int]) -> bool:
        if not self.active:
            return False
        if self.accounts and account_id not in self.accounts:
            return False
        if self.intents and intent not in self.intents:
            return False
        if not self.has_subject:
            return True
        if self.cluster_ids & clusters:
            return True
        return self.pattern is not None and self.pattern.search(folded_text) is not None


def matcher_of(incident: Incident) -> Matcher:
    m = incident.match or {}
    return Matcher(
        incident_id=incident.id,
        cluster_ids=frozenset(int(i) for i in m.get("cluster_ids") or [] if str(i).isdigit()),
        pattern=_keyword_pattern(str(k) for k in m.get("keywords") or []),
        accounts=frozenset(int(i) for i in m.get("channel_account_ids") or [] if str(i).isdigit()),
        intents=frozenset(str(i) for i in m.get("intents") or []),
        crisis=bool(incident.crisis),
    )


def open_incidents(session: Session, workspace_id: int) -> list[Matcher]:
    """The workspace's open incidents' matchers, read once per transaction (the ``MessageReceived`` listener runs on
    every inbound message: a workspace without open incidents costs one small indexed query per transaction)."""
    transaction = session.get_transaction()
    held = session.info.get(_CACHE)
    if held is None or held[0] is not transaction:  # a new transaction of a long-lived session: read again
        held = session.info[_CACHE] = (transaction, {})
    cache: dict[int, list[Matcher]] = held[1]
    found = cache.get(workspace_id)
    if found is None:
        rows = session.scalars(select(Incident).where(Incident.workspace_id == workspace_id,
                                                      Incident.status.in_(OPEN_STATUSES)).order_by(Incident.id))
        found = cache[workspace_id] = [matcher_of(i) for i in rows]
    return found


def _forget(session: Session) -> None:
    session.info.pop(_CACHE, None)


def clean_match(session: Session, workspace_id: int, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The matching rules checked: clusters and accounts of the workspace, known intents, keywords (at most 30, each
    at most 60 characters, duplicates dropped). Unknown keys are refused."""
    unknown = set(raw) - set(MATCH_KEYS)
    if unknown:
        raise Invalid("unknown matching rule: " + ", ".join(sorted(unknown)))

    def ids(key: str) -> list[int]:
        values = raw.get(key) or []
        if not isinstance(values, list | tuple):
            raise Invalid(f"{key} is a list")
        out: list[int] = []
        for v in values:
            if isinstance(v, bool) or not (isinstance(v, int) or (isinstance(v, str) and v.strip().isdigit())):
                raise Invalid(f"{key}: {v!r} is not an id")
            if int(v) not in out:
                out.append(int(v))
        return out

    clusters = ids("cluster_ids")
    if clusters:
        known = set(session.scalars(select(Cluster.id).where(Cluster.workspace_id == workspace_id,
                                                             Cluster.id.in_(clusters))))
        if set(clusters) - known:
            raise NotFound("no such cluster")
    accounts = ids("channel_account_ids")
    if accounts:
        known = set(session.scalars(select(ChannelAccount.id).where(ChannelAccount.workspace_id == workspace_id,
                                                                    ChannelAccount.id.in_(accounts))))
        if set(accounts) - known:
            raise NotFound("no such channel account")
    intents = raw.get("intents") or []
    if not isinstance(intents, list | tuple) or any(i not in INTENTS for i in intents):
        raise Invalid("intents are among: " + ", ".join(INTENTS))
    keywords_raw = raw.get("keywords") or []
    if isinstance(keywords_raw, str):
        keywords_raw = keywords_raw.split(",")
    if not isinstance(keywords_raw, list | tuple):
        raise Invalid("keywords is a list")
    keywords: list[str] = []
    seen: set[str] = set()
    for k in keywords_raw:
        if not isinstance(k, str):
            raise Invalid("a keyword is text")
        k = " ".join(k.split())
        if not k:
            continue
        if len(k) > MAX_KEYWORD:
            raise Invalid.of("a keyword is at most %(max)s characters", max=MAX_KEYWORD)
        if fold(k) not in seen:
            seen.add(fold(k))
            keywords.append(k)
    if len(keywords) > MAX_KEYWORDS:
        raise Invalid.of("at most %(max)s keywords", max=MAX_KEYWORDS)
    return {"cluster_ids": clusters, "keywords": keywords, "channel_account_ids": accounts,
            "intents": list(dict.fromkeys(intents))}


def _texts(raw: Mapping[str, Any] | None, what: str) -> dict[str, str]:
    """Statements per language (``{"fr": ..., "en": ...}``): known languages only, trimmed, empty ones dropped."""
    out: dict[str, str] = {}
    for lang, text in (raw or {}).items():
        if lang not in LANGUAGES:
            raise Invalid(f"{what}: unknown language {lang!r} (one of {', '.join(LANGUAGES)})")
        if not isinstance(text, str):
            raise Invalid(f"{what}: text expected")
        text = text.replace("\r\n", "\n").strip()
        if len(text) > MAX_BODY:
            raise Invalid(f"{what}: at most {MAX_BODY} characters")
        refuse_unknown_variables(text)
        if text:
            out[lang] = text
    return out


def _name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise Invalid("give the incident a name")
    if len(name) > MAX_NAME:
        raise Invalid.of("the name is at most %(max)s characters", max=MAX_NAME)
    return name


def _description(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_DESCRIPTION:
        raise Invalid.of("the description is at most %(max)s characters", max=MAX_DESCRIPTION)
    return text


# --- lookups ----------------------------------------------------------------------------------------------------


def get_incident(session: Session, workspace_id: int, number: int) -> Incident:
    incident = session.scalar(select(Incident).where(Incident.workspace_id == workspace_id,
                                                     Incident.number == number))
    if incident is None:
        raise NotFound("no such incident")
    return incident


def find_cases(session: Session, workspace_id: int, *, ids: Iterable[int] = (),
               numbers: Iterable[int] = ()) -> list[Case]:
    """The workspace's cases by id and/or number; one that is not there (or another workspace's) is "not found"."""
    ids, numbers = list(dict.fromkeys(ids)), list(dict.fromkeys(numbers))
    if len(ids) + len(numbers) > MAX_CASES:
        raise Invalid(f"at most {MAX_CASES} cases at once")
    found: dict[int, Case] = {}
    if ids:
        rows = list(session.scalars(select(Case).where(Case.workspace_id == workspace_id, Case.id.in_(ids))))
        if len(rows) != len(ids):
            raise NotFound("no such case")
        found.update((c.id, c) for c in rows)
    if numbers:
        rows = list(session.scalars(select(Case).where(Case.workspace_id == workspace_id, Case.number.in_(numbers))))
        if len(rows) != len(numbers):
            raise NotFound("no such case")
        found.update((c.id, c) for c in rows)
    return [found[k] for k in sorted(found)]


def linked_ids(session: Session, incident: Incident) -> list[int]:
    return list(session.scalars(select(IncidentCase.case_id).where(IncidentCase.incident_id == incident.id)
                                .order_by(IncidentCase.case_id)))


# --- opening ---------------------------------------------------------------------------------------------------


@dataclass
class Draft:
    """What the new-incident form starts from (a hand opening, an alert, a cluster)."""

    name: str = ""
    description: str = ""
    source: str = "manual"
    match: dict[str, Any] = field(default_factory=lambda: {k: [] for k in MATCH_KEYS})
    case_ids: list[int] = field(default_factory=list)
    alert_id: int | None = None
    cluster_id: int | None = None


def _ints(values: Any) -> list[int]:
    if not isinstance(values, list | tuple):
        return []
    return [int(v) for v in values if isinstance(v, int) and not isinstance(v, bool)]


def draft_from_alert(session: Session, workspace_id: int, alert_id: int) -> Draft:
    """An alert as a new incident: its title, its rules and its cases. The rules come from what the alert measured:
    its scope (``keyword:colis``, ``account:12``, ``intent:complaint``), the first three terms that rose with the
    spike, its cluster. Its cases: the high-reach complaint's, the cluster's, the sample messages', and for a
    spike every case whose message since the spike's window began matches those rules."""
    alert = session.scalar(select(Alert).where(Alert.workspace_id == workspace_id, Alert.id == alert_id))
    if alert is None:
        raise NotFound("no such alert")
    draft = draft_from_cluster(session, workspace_id, alert.cluster_id) if alert.cluster_id is not None else Draft()
    data: dict[str, Any] = dict(alert.data or {})
    keywords: list[str] = []
    accounts: list[int] = []
    intents: list[str] = []
    scopes = [data, *[s for s in data.get("scopes") or [] if isinstance(s, dict)]][:1]  # the main scope
    for scope in scopes:
        kind, value = scope.get("kind"), scope.get("value")
        if kind == "keyword" and isinstance(value, str) and value:
            keywords.append(value)
        elif kind == "account" and str(value).isdigit():
            accounts.append(int(str(value)))
        elif kind == "intent" and value in INTENTS:
            intents.append(str(value))
    for term in (data.get("keywords") or [])[:3]:
        word = term.get("term") if isinstance(term, dict) else term
        if isinstance(word, str) and word.strip():
            keywords.append(word.strip())
    match = draft.match
    match["keywords"] = list(dict.fromkeys([*match["keywords"], *keywords]))[:MAX_KEYWORDS]
    match["channel_account_ids"] = list(dict.fromkeys([*match["channel_account_ids"], *accounts]))
    match["intents"] = list(dict.fromkeys([*match["intents"], *intents]))
    case_ids = [*draft.case_ids, *_ints(data.get("case_ids"))]
    case_ids += [int(s["case_id"]) for s in data.get("samples") or []
                 if isinstance(s, dict) and isinstance(s.get("case_id"), int)]
    if alert.case_id is not None:
        case_ids.append(alert.case_id)
    if alert.window_start is not None and alert.kind != "reach":
        case_ids += _matching_since(session, workspace_id, match, alert.window_start)
    known = set(session.scalars(select(Case.id).where(Case.workspace_id == workspace_id,
                                                      Case.id.in_(case_ids)))) if case_ids else set()
    draft.case_ids = [c for c in dict.fromkeys(case_ids) if c in known][:MAX_CASES]
    draft.name = draft.name or alert.title[:MAX_NAME]
    draft.source = "cluster" if alert.kind == "cluster" else "spike"
    draft.alert_id = alert.id
    return draft


def _matching_since(session: Session, workspace_id: int, match: Mapping[str, Any], since: Any) -> list[int]:
    """The cases whose customer messages since ``since`` match ``match`` (at most :data:`MAX_CASES` messages)."""
    probe = Incident(id=0, match=dict(match))
    matcher = matcher_of(probe)
    if not matcher.active:
        return []
    rows = session.execute(select(Message.id, Message.case_id, Message.text, Message.channel_account_id,
                                  Message.triage)
                           .where(Message.workspace_id == workspace_id, Message.direction == Direction.INBOUND,
                                  Message.sent_at >= since).order_by(Message.id).limit(MAX_CASES)).all()
    members: dict[int, set[int]] = {}
    if matcher.cluster_ids and rows:
        for mid, cid in session.execute(select(ClusterMember.message_id, ClusterMember.cluster_id).where(
                ClusterMember.message_id.in_([r[0] for r in rows]))):
            members.setdefault(int(mid), set()).add(int(cid))
    out: list[int] = []
    for mid, case_id, text, account_id, triage in rows:
        intent = (triage or {}).get("intent")
        if matcher.matches(folded_text=fold(text or ""), account_id=account_id,
                           intent=intent if isinstance(intent, str) else None,
                           clusters=frozenset(members.get(int(mid), set()))):
            out.append(int(case_id))
    return out


def draft_from_cluster(session: Session, workspace_id: int, cluster_id: int) -> Draft:
    """A cluster as a new incident: its label, its members' cases, and the cluster itself as the rule (new members
    join the incident), with its first three keywords."""
    cluster = session.scalar(select(Cluster).where(Cluster.workspace_id == workspace_id, Cluster.id == cluster_id))
    if cluster is None:
        raise NotFound("no such cluster")
    case_ids = list(session.scalars(select(ClusterMember.case_id).where(ClusterMember.cluster_id == cluster.id)
                                    .distinct().order_by(ClusterMember.case_id).limit(MAX_CASES)))
    return Draft(name=(cluster.label or "")[:MAX_NAME], source="cluster",
                 match={"cluster_ids": [cluster.id], "keywords": [str(k) for k in (cluster.keywords or [])[:3]],
                        "channel_account_ids": [], "intents": []},
                 case_ids=case_ids, cluster_id=cluster.id)


def _next_number(session: Session, workspace_id: int) -> int:
    return int(session.scalar(select(func.coalesce(func.max(Incident.number), 0))
                              .where(Incident.workspace_id == workspace_id)) or 0) + 1


def open_incident(
    session: Session,
    publisher: Publisher,
    *,
    actor: User,
    name: str,
    description: str = "",
    match: Mapping[str, Any] | None = None,
    statements: Mapping[str, Any] | None = None,
    closing: Mapping[str, Any] | None = None,
    confirmed: bool = False,
    case_ids: Iterable[int] = (),
    alert_id: int | None = None,
    cluster_id: int | None = None,
) -> Incident:
    """Open an incident (suspected, or ``confirmed`` at once) by hand or from an alert / a cluster: its cases linked
    (``case_ids``: the alert's or cluster's, or picked by hand), the alert or cluster marked as this incident's."""
    _manager(actor)
    ws = actor.workspace_id
    source = "manual"
    alert = cluster = None
    if alert_id is not None:
        alert = session.scalar(select(Alert).where(Alert.workspace_id == ws, Alert.id == alert_id))
        if alert is None:
            raise NotFound("no such alert")
        if alert.incident_id is not None:
            raise Conflict("this alert is already an incident")
        source = "cluster" if alert.kind == "cluster" else "spike"
    if cluster_id is not None:
        cluster = session.scalar(select(Cluster).where(Cluster.workspace_id == ws, Cluster.id == cluster_id))
        if cluster is None:
            raise NotFound("no such cluster")
        if cluster.incident_id is not None:
            raise Conflict("this cluster is already an incident")
        source = "cluster"
    rules = clean_match(session, ws, match or {})
    cases = find_cases(session, ws, ids=case_ids)
    at = now()
    status = IncidentStatus.CONFIRMED if confirmed else IncidentStatus.SUSPECTED
    incident: Incident | None = None
    for _attempt in range(5):  # two supervisors opening at once: the next number
        try:
            with savepoint(session, IntegrityError):
                incident = Incident(workspace_id=ws, number=_next_number(session, ws), name=_name(name),
                                    description=_description(description), status=status, source=source,
                                    match=rules, statements=_texts(statements, "holding statement"),
                                    closing=_texts(closing, "closing message"), opened_by_user_id=actor.id,
                                    confirmed_at=at if confirmed else None)
                session.add(incident)
                session.flush()
            break
        except IntegrityError:
            incident = None
    if incident is None:
        raise Conflict("could not number the incident: try again")
    if alert is not None:
        alert.incident_id = incident.id
    if cluster is not None:
        cluster.incident_id = incident.id
    timeline.incident_opened(session, workspace_id=ws, actor_user_id=actor.id, incident_id=incident.id,
                             name=incident.name, source=source)
    bus.emit(session, publisher, IncidentOpened(workspace_id=ws, actor_user_id=actor.id, incident_id=incident.id,
                                                status=status, source=source))
    _forget(session)
    for case in cases:
        _link(session, publisher, incident, case, linked_by=source if source != "manual" else "manual",
              actor_user_id=actor.id)
    _publish(session, publisher, incident, "opened")
    return incident


def _publish(session: Session, publisher: Publisher, incident: Incident, change: str) -> None:
    publisher.publish(session, incident.workspace_id, "incident", incident_id=incident.id, number=incident.number,
                      status=incident.status, change=change)


# --- status ----------------------------------------------------------------------------------------------------


def _move(session: Session, publisher: Publisher, actor: User, incident: Incident, to: str) -> None:
    previous = incident.status
    incident.status = to
    timeline.incident_status_changed(session, workspace_id=incident.workspace_id, actor_user_id=actor.id,
                                     incident_id=incident.id, from_status=previous, to_status=to)
    bus.emit(session, publisher, IncidentStatusChanged(workspace_id=incident.workspace_id, actor_user_id=actor.id,
                                                       incident_id=incident.id, from_status=previous, to_status=to))
    _forget(session)
    _publish(session, publisher, incident, "status")


def confirm(session: Session, publisher: Publisher, *, actor: User, incident: Incident) -> None:
    """A suspected incident is real."""
    _manager(actor)
    if incident.status != IncidentStatus.SUSPECTED:
        raise Conflict("only a suspected incident can be confirmed")
    incident.confirmed_at = now()
    _move(session, publisher, actor, incident, IncidentStatus.CONFIRMED)


def resolve(session: Session, publisher: Publisher, *, actor: User, incident: Incident) -> None:
    """The event is over: no more automatic links, crisis mode ends (the cases' priority and SLA policy restored).
    Resolving the cases themselves, with the closing message, is :func:`compris.listening.statements.close_cases`."""
    _manager(actor)
    if incident.status == IncidentStatus.RESOLVED:
        raise Conflict("the incident is already resolved")
    if incident.crisis:
        set_crisis(session, publisher, actor=actor, incident=incident, on=False)
    incident.resolved_at = now()
    _move(session, publisher, actor, incident, IncidentStatus.RESOLVED)


def reopen(session: Session, publisher: Publisher, *, actor: User, incident: Incident) -> None:
    """A resolved incident comes back (confirmed if it had been, else suspected); crisis mode stays off."""
    _manager(actor)
    if incident.status != IncidentStatus.RESOLVED:
        raise Conflict("only a resolved incident can be reopened")
    incident.resolved_at = None
    _move(session, publisher, actor, incident,
          IncidentStatus.CONFIRMED if incident.confirmed_at else IncidentStatus.SUSPECTED)


# --- editing ---------------------------------------------------------------------------------------------------

_UNSET: Any = object()


def update_incident(
    session: Session,
    publisher: Publisher,
    *,
    actor: User,
    incident: Incident,
    name: Any = _UNSET,
    description: Any = _UNSET,
    statements: Any = _UNSET,
    closing: Any = _UNSET,
    match: Any = _UNSET,
) -> list[str]:
    """Change what is given; returns the names of the fields that changed (nothing changed: no event)."""
    _manager(actor)
    changes: list[str] = []
    new: dict[str, Any] = {}
    if name is not _UNSET:
        new["name"] = _name(name)
    if description is not _UNSET:
        new["description"] = _description(description)
    if statements is not _UNSET:
        new["statements"] = _texts(statements, "holding statement")
    if closing is not _UNSET:
        new["closing"] = _texts(closing, "closing message")
    if match is not _UNSET:
        new["match"] = clean_match(session, incident.workspace_id, match or {})
    for key, value in new.items():
        if getattr(incident, key) != value:
            setattr(incident, key, value)
            changes.append(key)
    if not changes:
        return []
    timeline.incident_updated(session, workspace_id=incident.workspace_id, actor_user_id=actor.id,
                              incident_id=incident.id, changes=changes)
    bus.emit(session, publisher, IncidentUpdated(workspace_id=incident.workspace_id, actor_user_id=actor.id,
                                                 incident_id=incident.id, changes=tuple(changes)))
    _forget(session)
    _publish(session, publisher, incident, "updated")
    return changes


# --- cases -----------------------------------------------------------------------------------------------------


def _link(session: Session, publisher: Publisher, incident: Incident, case: Case, *, linked_by: str,
          actor_user_id: int | None) -> bool:
    """Link ``case`` (once: an existing link is kept as it is); crisis mode applies to it at once."""
    exists = session.scalar(select(IncidentCase.id).where(IncidentCase.incident_id == incident.id,
                                                          IncidentCase.case_id == case.id))
    if exists is not None:
        return False
    session.add(IncidentCase(workspace_id=incident.workspace_id, incident_id=incident.id, case_id=case.id,
                             linked_by=linked_by, linked_by_user_id=actor_user_id))
    session.flush()
    timeline.incident_linked(session, case, incident_id=incident.id, incident=label(incident), linked_by=linked_by,
                             actor_user_id=actor_user_id)
    bus.emit(session, publisher, IncidentCaseLinked(workspace_id=case.workspace_id, actor_user_id=actor_user_id,
                                                    case_id=case.id, incident_id=incident.id, linked_by=linked_by))
    if incident.crisis:
        apply_crisis(session, publisher, case, incident=incident, actor_user_id=actor_user_id)
    publish_case(session, publisher, case, "incident", incident_id=incident.id)
    return True


def link_cases(session: Session, publisher: Publisher, *, actor: User, incident: Incident,
               case_ids: Iterable[int] = (), numbers: Iterable[int] = ()) -> int:
    """Link cases by hand (by id or number); returns how many were not linked yet."""
    _manager(actor)
    cases = find_cases(session, incident.workspace_id, ids=case_ids, numbers=numbers)
    if not cases:
        raise Invalid("pick the cases to link")
    linked = sum(_link(session, publisher, incident, c, linked_by="manual", actor_user_id=actor.id) for c in cases)
    if linked:
        _publish(session, publisher, incident, "cases")
    return linked


def unlink_cases(session: Session, publisher: Publisher, *, actor: User, incident: Incident,
                 case_ids: Iterable[int] = (), numbers: Iterable[int] = ()) -> int:
    """Unlink cases (a wrong automatic link); crisis mode no longer applies to them. Returns how many were linked."""
    _manager(actor)
    cases = find_cases(session, incident.workspace_id, ids=case_ids, numbers=numbers)
    count = 0
    for case in cases:
        row = session.scalar(select(IncidentCase).where(IncidentCase.incident_id == incident.id,
                                                        IncidentCase.case_id == case.id))
        if row is None:
            continue
        session.delete(row)
        session.flush()
        timeline.incident_unlinked(session, case, incident_id=incident.id, incident=label(incident),
                                   actor_user_id=actor.id)
        bus.emit(session, publisher, IncidentCaseUnlinked(workspace_id=case.workspace_id, actor_user_id=actor.id,
                                                          case_id=case.id, incident_id=incident.id))
        if incident.crisis:
            apply_crisis(session, publisher, case, incident=incident, actor_user_id=actor.id)
        publish_case(session, publisher, case, "incident", incident_id=incident.id)
        count += 1
    if count:
        _publish(session, publisher, incident, "cases")
    return count


def auto_link(session: Session, publisher: Publisher, case: Case, message: Message) -> list[int]:
    """A customer message arrived: link its case to every open incident whose rules it matches (once), and keep
    crisis mode on a case already linked (its new triage reset the priority). Returns the incidents linked."""
    matchers = open_incidents(session, case.workspace_id)
    if not matchers:
        return []
    already = set(session.scalars(select(IncidentCase.incident_id).where(IncidentCase.case_id == case.id)))
    todo = [m for m in matchers if m.incident_id not in already and m.active]
    linked: list[int] = []
    if todo:
        clusters: frozenset[int] = frozenset()
        if any(m.cluster_ids for m in todo):
            clusters = frozenset(session.scalars(select(ClusterMember.cluster_id)
                                                 .where(ClusterMember.message_id == message.id)))
        intent = (message.triage or {}).get("intent")
        folded = fold(message.text or "")
        for m in todo:
            if m.matches(folded_text=folded, account_id=message.channel_account_id,
                         intent=intent if isinstance(intent, str) else None, clusters=clusters):
                incident = session.get(Incident, m.incident_id)
                if incident is not None and _link(session, publisher, incident, case, linked_by="auto",
                                                  actor_user_id=None):
                    linked.append(incident.id)
    if already and any(m.crisis and m.incident_id in already for m in matchers):
        apply_crisis(session, publisher, case, incident=None, actor_user_id=None)
    return linked


def follow_clusters(session: Session, publisher: Publisher, *, limit: int = 2000) -> int:
    """Link to each open incident the cases whose messages joined one of the clusters its rules name, since (the
    clusters are formed by a background job, after the message's own listeners ran): at most ``limit`` new links
    per pass. Returns how many cases were linked."""
    linked = 0
    for incident in list(session.scalars(select(Incident).where(Incident.status.in_(OPEN_STATUSES))
                                         .order_by(Incident.id))):
        ids = matcher_of(incident).cluster_ids
        if not ids or linked >= limit:
            continue
        already = select(IncidentCase.case_id).where(IncidentCase.incident_id == incident.id)
        case_ids = list(dict.fromkeys(session.scalars(
            select(ClusterMember.case_id).where(ClusterMember.workspace_id == incident.workspace_id,
                                                ClusterMember.cluster_id.in_(ids),
                                                ClusterMember.case_id.not_in(already))
            .order_by(ClusterMember.id).limit(limit - linked))))
        for case in find_cases(session, incident.workspace_id, ids=case_ids) if case_ids else []:
            linked += _link(session, publisher, incident, case, linked_by="cluster", actor_user_id=None)
    return linked


# --- crisis mode -----------------------------------------------------------------------------------------------


def _crisis_of(session: Session, case: Case) -> tuple[int, int | None, Incident | None]:
    """What the open crisis incidents linked to ``case`` ask: the largest priority raise, the crisis SLA policy of
    the earliest one that names one, and that incident."""
    rows = list(session.scalars(
        select(Incident).join(IncidentCase, IncidentCase.incident_id == Incident.id)
        .where(IncidentCase.case_id == case.id, Incident.crisis.is_(True), Incident.status.in_(OPEN_STATUSES))
        .order_by(Incident.id)))
    boost = max((r.crisis_priority for r in rows), default=0)
    policy = next((r for r in rows if r.crisis_sla_policy_id is not None), None)
    return boost, policy.crisis_sla_policy_id if policy else None, rows[0] if rows else None


def base_priority(case: Case) -> int:
    """The case's priority without crisis mode: its open needs' (``compris.inbox.priority``), else its triage's."""
    try:
        info = case.priority_info or {}
        return int(info["base"] if "base" in info else (case.triage or {}).get("priority", 0) or 0)
    except (TypeError, ValueError):
        return 0


def apply_crisis(session: Session, publisher: Publisher, case: Case, *, incident: Incident | None,
                 actor_user_id: int | None) -> bool:
    """Bring ``case`` in line with the crisis incidents it belongs to: priority = its triage's + the largest raise,
    the crisis SLA policy forced (or released). A change leaves a timeline row and emits
    :class:`~compris.events.CaseCrisisChanged` (the SLA recomputes). ``incident``: the one that caused it."""
    boost, policy_id, crisis_incident = _crisis_of(session, case)
    priority = base_priority(case) + boost
    if priority == case.priority and policy_id == case.sla_policy_override_id:
        return False
    previous = case.priority
    case.priority = priority
    case.sla_policy_override_id = policy_id
    about = crisis_incident or incident
    on = crisis_incident is not None
    if about is not None:
        if on:
            timeline.incident_crisis_on(session, case, incident_id=about.id, incident=label(about), priority=priority,
                                        previous_priority=previous, sla_policy_id=policy_id,
                                        actor_user_id=actor_user_id)
        else:
            timeline.incident_crisis_off(session, case, incident_id=about.id, incident=label(about),
                                         priority=priority, previous_priority=previous, actor_user_id=actor_user_id)
    session.flush()
    bus.emit(session, publisher, CaseCrisisChanged(
        workspace_id=case.workspace_id, actor_user_id=actor_user_id, case_id=case.id,
        incident_id=about.id if about is not None else 0, crisis=on, priority=priority, previous_priority=previous,
        sla_policy_id=policy_id))
    publish_case(session, publisher, case, "priority")
    return True


def set_crisis(session: Session, publisher: Publisher, *, actor: User, incident: Incident, on: bool,
               priority: int | None = None, sla_policy_id: Any = _UNSET) -> int:
    """Crisis mode on (with its priority raise, 0-100, and its SLA policy, an active policy of the workspace or
    None) or off; the linked cases still active follow at once (resolved ones when they reopen). Returns how many
    cases changed."""
    _manager(actor)
    if on and incident.status not in OPEN_STATUSES:
        raise Conflict("a resolved incident has no crisis mode: reopen it first")
    changes: list[str] = []
    if priority is not None:
        if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= MAX_CRISIS_PRIORITY:
            raise Invalid.of("the crisis priority raise is 0-%(max)s", max=MAX_CRISIS_PRIORITY)
        if priority != incident.crisis_priority:
            incident.crisis_priority = priority
            changes.append("crisis_priority")
    if sla_policy_id is not _UNSET:
        if sla_policy_id is not None:
            policy = session.scalar(select(SlaPolicy).where(SlaPolicy.workspace_id == incident.workspace_id,
                                                            SlaPolicy.id == sla_policy_id))
            if policy is None:
                raise NotFound("no such SLA policy")
            if not policy.is_active:
                raise Invalid("this SLA policy is inactive")
        if sla_policy_id != incident.crisis_sla_policy_id:
            incident.crisis_sla_policy_id = sla_policy_id
            changes.append("crisis_sla_policy_id")
    if on != incident.crisis:
        incident.crisis = on
        changes.append("crisis")
    if not changes:
        return 0
    session.flush()
    timeline.incident_updated(session, workspace_id=incident.workspace_id, actor_user_id=actor.id,
                              incident_id=incident.id, changes=changes)
    bus.emit(session, publisher, IncidentUpdated(workspace_id=incident.workspace_id, actor_user_id=actor.id,
                                                 incident_id=incident.id, changes=tuple(changes)))
    _forget(session)
    changed = 0
    cases = session.scalars(select(Case).join(IncidentCase, IncidentCase.case_id == Case.id)
                            .where(IncidentCase.incident_id == incident.id, Case.status.in_(ACTIVE_STATUSES))
                            .order_by(Case.id))
    for case in cases:
        changed += apply_crisis(session, publisher, case, incident=incident, actor_user_id=actor.id)
    _publish(session, publisher, incident, "crisis")
    return changed


# --- escalation ------------------------------------------------------------------------------------------------


@dataclass
class EscalationOutcome:
    escalated: list[int] = field(default_factory=list)  # case numbers
    skipped: dict[int, str] = field(default_factory=dict)  # case number → why


def escalate_cases(session: Session, publisher: Publisher, *, actor: User, incident: Incident, partner_id: int,
                   brief: str, case_ids: Iterable[int] | None = None) -> EscalationOutcome:
    """Escalate the incident's cases (``case_ids`` of them, default: all its active cases) to a partner or an
    internal team: one escalation per case, each with the same brief, which names the incident. One per case
    because the partner's answer, the follow-ups, the case waiting on the partner and its SLA pause are per case;
    a case already escalated to this partner and still waiting is skipped, as are resolved and closed cases."""
    _manager(actor)
    text = (brief or "").replace("\r\n", "\n").strip()
    if not text:
        raise Invalid("write a brief for the partner")
    linked = linked_ids(session, incident)
    if case_ids is None:
        wanted = linked
    else:
        wanted = list(dict.fromkeys(case_ids))
        if set(wanted) - set(linked):
            raise NotFound("no such case in this incident")
    if not wanted:
        raise Invalid("the incident has no case to escalate")
    if len(wanted) > MAX_CASES:
        raise Invalid(f"at most {MAX_CASES} cases at once")
    escalation_actions.get_partner(session, actor.workspace_id, partner_id)  # NotFound before anything is written
    waiting = set(session.scalars(select(Escalation.case_id).where(
        Escalation.workspace_id == actor.workspace_id, Escalation.partner_id == partner_id,
        Escalation.case_id.in_(wanted), Escalation.status.in_(OPEN_ESCALATION_STATUSES))))
    outcome = EscalationOutcome()
    full = f"{text}\n\n— {label(incident)}"
    for case in session.scalars(select(Case).where(Case.id.in_(wanted)).order_by(Case.id)):
        if case.status not in ACTIVE_STATUSES:
            outcome.skipped[case.number] = "resolved"
            continue
        if case.id in waiting:
            outcome.skipped[case.number] = "already_escalated"
            continue
        escalation_actions.escalate(session, publisher, actor=actor, case=case, partner_id=partner_id, brief=full)
        outcome.escalated.append(case.number)
    return outcome
