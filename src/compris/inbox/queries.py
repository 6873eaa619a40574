"""Reads for the inbox and the case view. Always scoped to one workspace; no N+1."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, false, func, literal_column, or_, select, text, union
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session

from compris import timeline
from compris.inbox import search
from compris.inbox.tagnames import tag_key
from compris.kit.errors import Invalid, NotFound
from compris.kit.textfold import prefix_pattern
from compris.models import (
    ACTIVE_STATUSES,
    Alert,
    AlertKind,
    Case,
    CaseEvent,
    CaseStatus,
    CaseTag,
    ChannelAccount,
    Contact,
    CustomerNote,
    Direction,
    Identity,
    InboxView,
    Incident,
    IncidentCase,
    Message,
    Outbox,
    Post,
    PostThread,
    ReadMark,
    Tag,
    Team,
    Thread,
    User,
)
from compris.models.inbox import CASE_INTENT_EXPRESSION, NEEDS_ANSWER_RANK
from compris.triage.labels import INTENTS

VIEWS = ("all", "mine", "unassigned")
#: ``needs_answer`` (the default): breached SLA first, then the earliest SLA deadline, then the highest priority,
#: then the longest wait
SORTS = ("needs_answer", "newest", "oldest", "priority", "due")
DEFAULT_SORT = "needs_answer"
STATUS_FILTERS = ("active", "all", *[s.value for s in CaseStatus])
#: priority bands over ``Case.priority`` (0-100, ``triage.core.priority``): the lowest score of each band
#: (inclusive) to the lowest of the band above (exclusive)
PRIORITY_BANDS: dict[str, tuple[int, int]] = {"urgent": (60, 10_000), "high": (40, 60), "normal": (20, 40),
                                              "low": (-10_000, 20)}
#: SLA states: ``on_track`` is a running (or paused, or met) SLA that is neither at risk nor breached
SLA_STATES = ("breached", "at_risk", "on_track", "none")
_ON_TRACK = ("ok", "paused", "met")
#: ``Case.triage["intent"]`` values (``triage.labels.INTENTS``)
INTENT_FILTERS = INTENTS
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_NETWORK = re.compile(r"^[a-z0-9_]{1,32}$")
_CASE_NUMBER = re.compile(r"^#?(\d{1,9})$")
_PHONE = re.compile(r"^\+?[\d\s().-]{6,30}$")
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class InboxFilter:
    view: str = "all"
    status: str = "active"
    channel_account_id: int | None = None
    sort: str = DEFAULT_SORT
    q: str = ""
    limit: int = 50
    offset: int = 0
    #: only the cases with a comment under this post (issue 16: threads and context)
    post_id: int | None = None
    #: a tag's name (any case, any accents): only the cases that carry it
    tag: str = ""
    #: an incident's number: only its cases
    incident: int | None = None
    #: only the cases with a high-reach alert (listening)
    high_reach: bool = False
    # --- issue 18: the desk's filters
    #: only the cases assigned to this agent (``view`` says mine / unassigned)
    assignee_id: int | None = None
    team_id: int | None = None
    #: the network of the case's latest customer message (``ChannelAccount.network``)
    network: str = ""
    #: a band of :data:`PRIORITY_BANDS`
    priority: str = ""
    #: the case's language (``en``, ``fr``...)
    language: str = ""
    #: the latest customer message's intent (:data:`INTENT_FILTERS`)
    intent: str = ""
    #: one of :data:`SLA_STATES`
    sla: str = ""
    #: only the cases unread by the agent listing
    unread: bool = False

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise Invalid(f"view must be one of {', '.join(VIEWS)}")
        if self.sort not in SORTS:
            raise Invalid(f"sort must be one of {', '.join(SORTS)}")
        if self.status not in STATUS_FILTERS:
            raise Invalid(f"status must be one of {', '.join(STATUS_FILTERS)}")
        if not 1 <= self.limit <= 200 or self.offset < 0:
            raise Invalid("limit is 1-200 and offset is not negative")
        if self.priority and self.priority not in PRIORITY_BANDS:
            raise Invalid(f"priority must be one of {', '.join(PRIORITY_BANDS)}")
        if self.sla and self.sla not in SLA_STATES:
            raise Invalid(f"sla must be one of {', '.join(SLA_STATES)}")
        if self.intent and self.intent not in INTENT_FILTERS:
            raise Invalid(f"intent must be one of {', '.join(INTENT_FILTERS)}")
        if self.language and not _LANGUAGE.match(self.language):
            raise Invalid("language is a language code such as en or fr")
        if self.network and not _NETWORK.match(self.network):
            raise Invalid("network is a network's name such as x or facebook")

    def params(self) -> dict[str, str]:
        """The filters and the sort as query parameters (no paging; empty values left out): what the inbox's
        address carries and what a saved view keeps."""
        values: dict[str, Any] = {
            "view": self.view, "status": self.status, "sort": self.sort, "account": self.channel_account_id,
            "q": self.q, "post": self.post_id, "tag": self.tag, "incident": self.incident,
            "reach": "1" if self.high_reach else "", "assignee": self.assignee_id, "team": self.team_id,
            "network": self.network, "priority": self.priority, "language": self.language, "intent": self.intent,
            "sla": self.sla, "unread": "1" if self.unread else "",
        }
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def _id(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and 0 < int(value) <= MAX_ID else None


def _one_of(value: str | None, allowed: Any, default: str = "") -> str:
    value = (value or "").strip()
    return value if value in allowed else default


def filter_from_params(params: Mapping[str, str], *, limit: int = 50, offset: int = 0) -> InboxFilter:
    """An :class:`InboxFilter` from query parameters (the inbox's address, a saved view): a value it does not know
    falls back to its default instead of failing (an old link, a view saved before a team was deleted)."""
    language = (params.get("language") or "").strip().lower()
    network = (params.get("network") or "").strip().lower()
    return InboxFilter(
        view=_one_of(params.get("view"), VIEWS, "all"),
        status=_one_of(params.get("status"), STATUS_FILTERS, "active"),
        sort=_one_of(params.get("sort"), SORTS, DEFAULT_SORT),
        channel_account_id=_id(params.get("account")),
        q=(params.get("q") or "")[:200],
        post_id=_id(params.get("post")),
        tag=(params.get("tag") or "")[:200],
        incident=_id(params.get("incident")),
        high_reach=params.get("reach") == "1",
        assignee_id=_id(params.get("assignee")),
        team_id=_id(params.get("team")),
        network=network if _NETWORK.match(network) else "",
        priority=_one_of(params.get("priority"), PRIORITY_BANDS),
        language=language if _LANGUAGE.match(language) else "",
        intent=_one_of(params.get("intent"), INTENT_FILTERS),
        sla=_one_of(params.get("sla"), SLA_STATES),
        unread=params.get("unread") == "1",
        limit=limit,
        offset=offset,
    )


@dataclass
class CaseRow:
    case: Case
    contact: Contact
    assignee: User | None
    account: ChannelAccount | None
    tags: list[Tag] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)  # its open incidents
    unread: bool = False  # unread for the user listing (per agent, issue 18 defect 9)


def unread_for(user_id: int) -> ColumnElement[bool]:
    """Whether the case (in the enclosing query) is unread for ``user_id``: their read mark says so; without one
    (they never opened it), the case's own flag (set by every customer message, cleared only before read marks
    existed)."""
    mark = (select(ReadMark.unread).where(ReadMark.case_id == Case.id, ReadMark.user_id == user_id)
            .correlate(Case).scalar_subquery())
    return func.coalesce(mark, Case.unread)


def _conditions(workspace_id: int, f: InboxFilter, user_id: int, *, with_view: bool = True,
                found: list[int] | None = None) -> list[ColumnElement[bool]]:
    """The ``WHERE`` of the cases ``f`` selects, one condition per filter (``found``: the cases its search finds,
    when already known: :func:`found_cases`)."""
    where: list[ColumnElement[bool]] = [Case.workspace_id == workspace_id]
    if f.status == "active":
        where.append(Case.status.in_([str(s) for s in ACTIVE_STATUSES]))
    elif f.status != "all":
        where.append(Case.status == f.status)
    if f.channel_account_id is not None:
        where.append(Case.last_channel_account_id == f.channel_account_id)
    if f.q.strip():
        where.append(search_condition(workspace_id, f.q) if found is None else search.id_in(Case.id, found))
    if f.post_id is not None:  # --- threads and context (issue 16): the comments under one post
        where.append(Case.id.in_(_cases_under(workspace_id, f.post_id)))
    if f.tag.strip():
        tagged = (select(CaseTag.case_id).join(Tag, Tag.id == CaseTag.tag_id)
                  .where(CaseTag.workspace_id == workspace_id, Tag.workspace_id == workspace_id,
                         Tag.key == tag_filter_key(f.tag)))
        where.append(Case.id.in_(tagged))
    if f.incident is not None:
        linked = (select(IncidentCase.case_id).join(Incident, Incident.id == IncidentCase.incident_id)
                  .where(Incident.workspace_id == workspace_id, Incident.number == f.incident))
        where.append(Case.id.in_(linked))
    if f.high_reach:
        where.append(Case.id.in_(select(Alert.case_id).where(
            Alert.workspace_id == workspace_id, Alert.kind == AlertKind.REACH, Alert.case_id.is_not(None))))
    if f.assignee_id is not None:
        where.append(Case.assignee_id == f.assignee_id)
    if f.team_id is not None:
        where.append(Case.team_id == f.team_id)
    if f.network:
        where.append(Case.last_channel_account_id.in_(select(ChannelAccount.id).where(
            ChannelAccount.workspace_id == workspace_id, ChannelAccount.network == f.network)))
    if f.priority:
        low, high = PRIORITY_BANDS[f.priority]
        where.append(and_(Case.priority >= low, Case.priority < high))
    if f.language:
        where.append(Case.language == f.language)
    if f.intent:
        where.append(CaseIntent() == f.intent)
    if f.sla == "breached":
        where.append(Case.sla_status == "breached")
    elif f.sla == "at_risk":
        where.append(Case.sla_status == "at_risk")
    elif f.sla == "on_track":
        where.append(Case.sla_status.in_(_ON_TRACK))
    elif f.sla == "none":
        where.append(Case.sla_status.is_(None))
    if f.unread:
        where.append(unread_for(user_id).is_(True))
    if with_view:
        if f.view == "mine":
            where.append(Case.assignee_id == user_id)
        elif f.view == "unassigned":
            where.append(Case.assignee_id.is_(None))
    return where


def search_cases(workspace_id: int, q: str, *, messages: bool = True) -> Select[Any]:
    """The cases ``q`` finds (``compris.inbox.search``): ``#123`` is case 123 (and only it); ``123`` case 123 or
    the word; ``@name`` an identity whose handle or network id starts with ``name``; otherwise the cases with a
    message holding every word (stemmed in French and English, accents and case ignored; the subject is the first
    message's first line), whose contact's name holds them, or whose customer has an identity whose handle, name
    or network id starts with ``q`` (an e-mail address; a phone number, digits compared). Every branch is an
    indexed lookup giving case ids (each capped: ``search.MATCH_CAP``); their union is what the inbox then
    filters, sorts and pages."""
    raw = " ".join(q.split())
    number = _CASE_NUMBER.match(raw)
    if number and raw.startswith("#"):
        return select(Case.id).where(Case.workspace_id == workspace_id, Case.number == int(number.group(1)))
    in_workspace = Case.workspace_id == workspace_id
    branches: list[Select[Any]] = []
    if number:
        branches.append(select(Case.id).where(in_workspace, Case.number == int(number.group(1))))
    if raw.startswith("@") and len(raw) > 1:
        handle = prefix_pattern(raw[1:].lower())
        by_handle = select(Identity.contact_id).where(
            Identity.workspace_id == workspace_id,
            or_(func.lower(Identity.handle).like(handle, escape="\\"),
                func.lower(Identity.platform_user_id).like(handle, escape="\\")))
        return select(Case.id).where(Case.workspace_id == workspace_id, Case.contact_id.in_(by_handle))
    words = search.terms(raw)
    if not words and not number:
        return select(Case.id).where(false())
    lower = prefix_pattern(raw.lower())
    identity_match = [func.lower(Identity.handle).like(lower, escape="\\"),
                      func.lower(Identity.name).like(lower, escape="\\"),
                      func.lower(Identity.platform_user_id).like(lower, escape="\\")]
    digits = re.sub(r"\D", "", raw)
    if _PHONE.match(raw) and len(digits) >= 6:
        identity_match += [Identity.platform_user_id.like(prefix_pattern(digits), escape="\\"),
                           Identity.platform_user_id.like(prefix_pattern("+" + digits), escape="\\")]
    contacts: Any = select(Identity.contact_id).where(Identity.workspace_id == workspace_id,
                                                              or_(*identity_match))
    if words:
        contacts = contacts.union(select(Contact.id).where(Contact.workspace_id == workspace_id,
                                                           search.matches("contacts", Contact.id, words)))
        if messages:
            branches.append(search.message_cases(workspace_id, words))
    few = contacts.subquery()  # a short prefix ("a") matches many customers: the first ones only
    contacts = select(few.c[0]).limit(search.MATCH_CAP)
    branches.append(select(Case.id).where(in_workspace, Case.contact_id.in_(contacts)))
    return union(*branches)  # type: ignore[return-value]


def search_condition(workspace_id: int, q: str) -> ColumnElement[bool]:
    """The cases ``q`` finds (:func:`search_cases`), as a condition on ``Case``."""
    return Case.id.in_(search_cases(workspace_id, q))


def found_cases(session: Session, workspace_id: int, q: str) -> list[int]:
    """The ids of the cases ``q`` finds, looked up once per session (the list and its counts share them). On
    PostgreSQL the messages are searched apart, the way their number calls for (``search.newest_message_cases``)."""
    memo: dict[tuple[int, str], list[int]] = session.info.setdefault("inbox_search", {})
    key = (workspace_id, " ".join(q.split()))
    if key not in memo:
        words = search.terms(key[1])
        apart = bool(words) and session.get_bind().dialect.name == "postgresql" and not key[1].startswith(("#", "@"))
        found = set(session.scalars(search_cases(workspace_id, q, messages=not apart)))
        if apart:
            found.update(search.newest_message_cases(session, workspace_id, words))
        memo[key] = sorted(found)
    return memo[key]


def _base(workspace_id: int, f: InboxFilter, user_id: int, *, with_view: bool = True) -> Select[Any]:
    return select(Case).where(*_conditions(workspace_id, f, user_id, with_view=with_view))


class CaseIntent(ColumnElement[str]):
    """The case's intent (``Case.triage["intent"]``) as the database's statistics on it write it: on PostgreSQL
    ``(cases.triage ->> 'intent')`` with the key in the SQL, not bound, so that the planner matches it with
    ``st_cases_intent`` (how many complaints there are: migration ``o2_inbox_indexes``) instead of guessing 0.5 %."""

    type = String()
    inherit_cache = True


@compiles(CaseIntent, "postgresql")
def _case_intent_pg(element: CaseIntent, compiler: Any, **kw: Any) -> str:
    return f"({CASE_INTENT_EXPRESSION})"


@compiles(CaseIntent)
def _case_intent(element: CaseIntent, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(Case.triage["intent"].as_string(), **kw))


#: the needs-answer order's first key: breached cases first. Its constants are written in the SQL (not bound) so
#: that PostgreSQL matches it with the expression of the indexes that serve the order (``ix_cases_*_needs_answer``)
BREACHED_FIRST: ColumnElement[int] = literal_column(NEEDS_ANSWER_RANK)


def _order(f: InboxFilter) -> list[Any]:
    """Each sort's keys, every one ending with the case's id (a total order: pages never repeat or skip a case);
    each is the order of an index of ``cases`` (``ix_cases_ws_*``, ``ix_cases_*_needs_answer``), so that a page is a
    walk of an index however many cases the workspace has (a missing time sorts last)."""
    if f.sort == "newest":
        return [Case.last_activity_at.desc(), Case.id.desc()]
    if f.sort == "oldest":
        return [Case.last_inbound_at.asc().nulls_last(), Case.id.asc()]
    if f.sort == "due":  # SLA: the earliest running deadline first, cases without one last
        return [Case.sla_next_due_at.asc().nulls_last(), Case.id.asc()]
    if f.sort == "priority":
        return [Case.priority.desc(), Case.last_inbound_at.asc().nulls_last(), Case.id.asc()]
    # needs_answer: breached, then the earliest deadline, then priority, then the longest wait
    return [BREACHED_FIRST, Case.sla_next_due_at.asc().nulls_last(), Case.priority.desc(),
            Case.last_inbound_at.asc().nulls_last(), Case.id.asc()]


def list_query(workspace_id: int, user_id: int, f: InboxFilter, found: list[int] | None = None
               ) -> Select[Case, bool]:
    """The page of cases ``f`` selects, in its order, each with whether it is unread for ``user_id``
    (``found``: :func:`found_cases`)."""
    where, order = _conditions(workspace_id, f, user_id, found=found), _order(f)
    # the page's cases are found by their ids alone (a walk of the sort's index, read from the index where the
    # filters allow, the cases a later page skips included), then only their rows are read and only their read
    # marks looked up: the planner's choice does not depend on the width of a case's row
    page = select(Case.id).where(*where).order_by(*order).limit(f.limit).offset(f.offset).subquery()
    return select(Case, unread_for(user_id)).join(page, page.c.id == Case.id).order_by(*order)


def list_cases(session: Session, workspace_id: int, user_id: int, f: InboxFilter) -> list[CaseRow]:
    found_ids = found_cases(session, workspace_id, f.q) if f.q.strip() else None
    query = list_query(workspace_id, user_id, f, found_ids)
    found = [(c, bool(u)) for c, u in session.execute(query)]
    cases = [c for c, _ in found]
    contacts = _by_id(session, Contact, {c.contact_id for c in cases})
    users = _by_id(session, User, {c.assignee_id for c in cases if c.assignee_id})
    accounts = _by_id(session, ChannelAccount, {c.last_channel_account_id for c in cases if c.last_channel_account_id})
    tags = tags_by_case(session, workspace_id, [c.id for c in cases])
    incidents = incidents_by_case(session, workspace_id, [c.id for c in cases])
    return [
        CaseRow(
            c,
            contacts[c.contact_id],
            users.get(c.assignee_id) if c.assignee_id else None,
            accounts.get(c.last_channel_account_id) if c.last_channel_account_id else None,
            tags.get(c.id, []),
            incidents.get(c.id, []),
            unread,
        )
        for c, unread in found
    ]


#: the counts shown stop here (``COUNT_CAP + 1`` is shown "500+"): counting stops as soon as it passes it, so a view
#: costs the same with a thousand cases or ten million; a search looks at the newest matches only
#: (``search.MATCH_CAP``, more than this), so a larger figure would not be the real one anyway
COUNT_CAP = 500


def _capped_count(where: list[ColumnElement[bool]], cap: int | None) -> Any:
    """How many cases match ``where``, at most ``cap`` (``None``: exact), as a scalar subquery: the matching rows
    are read only until ``cap`` of them are found."""
    if cap is None:
        return select(func.count()).select_from(Case).where(*where).scalar_subquery()
    first = select(literal_column("1")).select_from(Case).where(*where).limit(cap).subquery()
    return select(func.count()).select_from(first).scalar_subquery()


def counts(session: Session, workspace_id: int, user_id: int, f: InboxFilter, *, cap: int | None = COUNT_CAP + 1
           ) -> dict[str, int]:
    """Cases per view (all / mine / unassigned) under the other filters, in one statement, each at most ``cap``
    (``None``: exact, whatever it costs; a search is always capped at ``COUNT_CAP + 1``)."""
    found = found_cases(session, workspace_id, f.q) if f.q.strip() else None
    where = _conditions(workspace_id, f, user_id, with_view=False, found=found)
    if f.q.strip():
        cap = min(cap or COUNT_CAP + 1, COUNT_CAP + 1)
    row = session.execute(select(
        _capped_count(where, cap),
        _capped_count([*where, Case.assignee_id == user_id], cap),
        _capped_count([*where, Case.assignee_id.is_(None)], cap),
    )).one()
    return {view: int(n) for view, n in zip(VIEWS, row, strict=True)}


def view_counts(session: Session, workspace_id: int, user_id: int, filters: Mapping[int, InboxFilter], *,
                cap: int | None = COUNT_CAP + 1) -> dict[int, int]:
    """The cases each saved view (its id → its filters) shows the user, each at most ``cap``, in one statement."""
    if not filters:
        return {}
    ids = list(filters)
    found = {i: found_cases(session, workspace_id, f.q) for i, f in filters.items() if f.q.strip()}
    columns = [_capped_count(_conditions(workspace_id, filters[i], user_id, found=found.get(i)), cap) for i in ids]
    row = session.execute(select(*columns)).one()
    return {i: int(n) for i, n in zip(ids, row, strict=True)}


@dataclass
class FilterOptions:
    """What the inbox's filter panel offers: the workspace's agents, teams, networks and case languages."""

    agents: list[User]
    teams: list[Team]
    networks: list[str]
    languages: list[str]


def filter_options(session: Session, workspace_id: int) -> FilterOptions:
    agents = list(session.scalars(select(User).where(User.workspace_id == workspace_id, User.is_active.is_(True))
                                  .order_by(User.name, User.id)))
    teams = list(session.scalars(select(Team).where(Team.workspace_id == workspace_id).order_by(Team.name)))
    networks = sorted(set(session.scalars(select(ChannelAccount.network).distinct()
                                          .where(ChannelAccount.workspace_id == workspace_id))))
    return FilterOptions(agents, teams, networks, case_languages(session, workspace_id))


#: the workspace's case languages, one index probe per language (``ix_cases_ws_language``: the next language
#: after the last one found), not a scan of every case; SQLite and PostgreSQL alike
_LANGUAGES = text("""
    WITH RECURSIVE found(language) AS (
        SELECT (SELECT min(language) FROM cases WHERE workspace_id = :w)
        UNION ALL
        SELECT (SELECT min(c.language) FROM cases c WHERE c.workspace_id = :w AND c.language > found.language)
        FROM found WHERE found.language IS NOT NULL)
    SELECT language FROM found WHERE language IS NOT NULL""")


def case_languages(session: Session, workspace_id: int) -> list[str]:
    """The distinct languages of the workspace's cases, sorted (what the inbox's language filter offers)."""
    return sorted({str(x) for x in session.scalars(_LANGUAGES, {"w": workspace_id}) if x})


def _by_id(session: Session, model: Any, ids: set[Any]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(ids)))}


def get_case(session: Session, workspace_id: int, number: int, *, for_update: bool = False) -> Case:
    query = select(Case).where(Case.workspace_id == workspace_id, Case.number == number)
    if for_update:
        query = query.with_for_update()
    case = session.scalar(query)
    if case is None:
        raise NotFound("no such case")
    return case


def get_user(session: Session, workspace_id: int, user_id: int) -> User:
    user = session.scalar(select(User).where(User.id == user_id, User.workspace_id == workspace_id))
    if user is None:
        raise NotFound("no such user")
    return user


def get_message(session: Session, workspace_id: int, message_id: int) -> Message:
    message = session.scalar(select(Message).where(Message.id == message_id, Message.workspace_id == workspace_id))
    if message is None:
        raise NotFound("no such message")
    return message


@dataclass
class ThreadView:
    """One of the case's threads as the conversation and the reply box show it (issue 18): its network and
    account, public or private, the post its comments are under, its latest customer message (what a reply on it
    answers) and the customer who wrote it."""

    thread: Thread
    account: ChannelAccount | None
    visibility: str
    post: PostView | None = None
    first_at: Any = None
    last_at: Any = None
    messages: int = 0
    latest_inbound: Message | None = None
    customer: Identity | None = None


@dataclass
class TimelineItem:
    kind: str  # "message" or "event"
    at: Any
    message: Message | None = None
    event: CaseEvent | None = None
    author_identity: Identity | None = None
    author_user: User | None = None
    account: ChannelAccount | None = None
    thread: Thread | None = None
    outbox: Outbox | None = None
    #: the thread starting here: the first message of the case, or one in another thread than the message before
    #: it (notes and events are left out of that comparison); ``thread_first``: the thread's first marker (the
    #: one that shows the post its comments are under)
    thread_marker: ThreadView | None = None
    thread_first: bool = False


@dataclass
class CaseView:
    case: Case
    contact: Contact
    identities: list[Identity]
    assignee: User | None
    items: list[TimelineItem]
    accounts: dict[int, ChannelAccount] = field(default_factory=dict)
    threads: dict[int, Thread] = field(default_factory=dict)
    previous_cases: list[Case] = field(default_factory=list)
    #: the posts the case's comments are under (issue 16)
    posts: list[PostView] = field(default_factory=list)
    #: the case's threads, the latest activity first (issue 18)
    thread_views: list[ThreadView] = field(default_factory=list)
    #: the number of the case this one was merged into, and the numbers of the cases merged into this one
    merged_into: int | None = None
    merged_from: list[int] = field(default_factory=list)
    #: the latest messages shown (``None``: all of them) and how many earlier ones are not (issue 22: a case with
    #: thousands of messages opens with its latest ones, the agent asks for earlier ones)
    shown: int | None = None
    earlier: int = 0


#: events placed with the message that caused them rather than at the time they were written: a case is opened by
#: its first message, whose time is the platform's (earlier than the event when the message came late: a poll, a
#: webhook retried, an import, the demo's stories)
_BEFORE_FIRST_MESSAGE = frozenset({"opened"})


def _timeline_order(items: list[TimelineItem]) -> None:
    """Time order; "case opened" right before the case's first customer message even when written after it."""
    first = min((i.at for i in items if i.kind == "message"), default=None)
    for item in items:  # its place in the case's time (the event keeps its own ``created_at``)
        if (item.kind == "event" and item.event is not None and item.event.kind in _BEFORE_FIRST_MESSAGE
                and first is not None and first < item.at):
            item.at = first
    items.sort(key=lambda item: (item.at, 0 if item.kind == "event" and item.event is not None
                                 and item.event.kind in _BEFORE_FIRST_MESSAGE else 1))


def _thread_views(session: Session, workspace_id: int, messages: list[Message], threads: dict[int, Thread],
                  accounts: dict[int, ChannelAccount], idents: dict[int, Identity],
                  posts: list[PostView], *, partial: bool = False) -> dict[int, ThreadView]:
    """The case's threads from its ``messages``; ``partial``: those are the latest ones only, so each thread's
    count, first time and latest customer message are read from the database (one aggregate, and one look-up per
    thread whose latest customer message is not among them)."""
    by_post = {p.post.id: p for p in posts}
    post_of: dict[int, PostView] = {}
    if threads and by_post:
        for thread_id, post_id in session.execute(
                select(PostThread.thread_id, PostThread.post_id).where(
                    PostThread.workspace_id == workspace_id, PostThread.thread_id.in_(list(threads)))):
            if post_id in by_post:
                post_of[int(thread_id)] = by_post[post_id]
    views: dict[int, ThreadView] = {}
    for m in messages:
        if m.thread_id is None or m.thread_id not in threads:
            continue
        view = views.get(m.thread_id)
        if view is None:
            thread = threads[m.thread_id]
            view = views[m.thread_id] = ThreadView(
                thread, accounts.get(thread.channel_account_id), str(thread.visibility), post_of.get(thread.id),
                first_at=m.sent_at)
        view.messages += 1
        view.last_at = m.sent_at if view.last_at is None or m.sent_at > view.last_at else view.last_at
        if m.direction == Direction.INBOUND and (view.latest_inbound is None
                                                 or (m.sent_at, m.id) >= (view.latest_inbound.sent_at,
                                                                          view.latest_inbound.id)):
            view.latest_inbound = m
            view.customer = idents.get(m.author_identity_id) if m.author_identity_id else None
    if partial:
        _complete_thread_views(session, messages[0].case_id if messages else 0, views, threads, accounts, idents,
                               post_of)
    return views


def _complete_thread_views(session: Session, case_id: int, views: dict[int, ThreadView],
                           threads: dict[int, Thread], accounts: dict[int, ChannelAccount],
                           idents: dict[int, Identity], post_of: dict[int, PostView]) -> None:
    """Every thread's whole count and first time, and its latest customer message when older than the page."""
    for thread_id, count, first_at, last_at in session.execute(
            select(Message.thread_id, func.count(), func.min(Message.sent_at), func.max(Message.sent_at))
            .where(Message.case_id == case_id, Message.thread_id.is_not(None)).group_by(Message.thread_id)):
        thread = threads.get(int(thread_id or 0))
        if thread is None:
            continue
        view = views.get(thread.id)
        if view is None:
            view = views[thread.id] = ThreadView(thread, accounts.get(thread.channel_account_id),
                                                 str(thread.visibility), post_of.get(thread.id))
        view.messages, view.first_at, view.last_at = int(count), first_at, last_at
        if view.latest_inbound is None:
            latest = session.scalar(
                select(Message).where(Message.case_id == case_id, Message.thread_id == thread.id,
                                      Message.direction == Direction.INBOUND)
                .order_by(Message.sent_at.desc(), Message.id.desc()).limit(1))
            if latest is not None:
                view.latest_inbound = latest
                if latest.author_identity_id and latest.author_identity_id not in idents:
                    found = session.get(Identity, latest.author_identity_id)
                    if found is not None:
                        idents[found.id] = found
                view.customer = idents.get(latest.author_identity_id) if latest.author_identity_id else None


#: the latest messages a case page shows at first; "Show earlier messages" adds as many each time
TIMELINE_PAGE = 100
#: the most a page shows at once (the rest: the API, or the earliest messages' own links)
TIMELINE_MAX = 5000


_MERGE_KINDS = ("case_merged_into", "case_merged", "case_unmerged", "case_unmerged_from")


def _merge_notes(session: Session, case: Case) -> tuple[int | None, list[int]]:
    """The number of the case this one is merged into, and those of the cases merged into it, as of now (a case
    taken back out is neither)."""
    into: int | None = None
    merged: dict[int, int] = {}  # source case id -> its number
    for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind.in_(_MERGE_KINDS))
                             .order_by(CaseEvent.created_at, CaseEvent.id)):
        if e.kind == "case_merged_into" and isinstance(e.data.get("into_case_number"), int):
            into = int(e.data["into_case_number"])
        elif e.kind == "case_unmerged_from":
            into = None
        elif e.kind == "case_merged" and isinstance(e.data.get("from_case_number"), int):
            merged[int(e.data.get("from_case_id") or 0)] = int(e.data["from_case_number"])
        elif e.kind == "case_unmerged":
            merged.pop(int(e.data.get("from_case_id") or 0), None)
    return into, list(dict.fromkeys(merged.values()))


def case_view(session: Session, workspace_id: int, number: int, *, shown: int | None = None,
              since: int | None = None) -> CaseView:
    """The case, its customer and its timeline; ``shown``: only its latest ``shown`` messages (and the events from
    the first of them on), with how many earlier ones are left out (``None``: every message); ``since``: at least
    the messages from that one (of this case) on, however many came after it (what the agent had opened when a
    live refresh redraws the conversation), up to :data:`TIMELINE_MAX`."""
    case = get_case(session, workspace_id, number)
    if shown is not None and since is not None:
        anchor = session.execute(select(Message.sent_at, Message.id).where(
            Message.id == since, Message.case_id == case.id)).first()
        if anchor is not None:
            from_anchor = int(session.scalar(select(func.count()).select_from(Message).where(
                Message.case_id == case.id,
                or_(Message.sent_at > anchor[0], and_(Message.sent_at == anchor[0], Message.id >= anchor[1]))))
                or 0)
            shown = min(TIMELINE_MAX, max(shown, from_anchor))
    contact = session.get(Contact, case.contact_id)
    assert contact is not None
    identities = list(session.scalars(select(Identity).where(Identity.contact_id == contact.id).order_by(Identity.id)))
    of_case = select(Message).where(Message.case_id == case.id)
    earlier = 0
    if shown is not None:
        latest = list(session.scalars(of_case.order_by(Message.sent_at.desc(), Message.id.desc()).limit(shown + 1)))
        if len(latest) > shown:  # more than a page: the latest ones, and how many come before them
            total = int(session.scalar(select(func.count()).select_from(Message)
                                       .where(Message.case_id == case.id)) or 0)
            earlier = max(0, total - shown)
            latest = latest[:shown]
        messages = latest[::-1]
    else:
        messages = list(session.scalars(of_case.order_by(Message.sent_at, Message.id)))
    event_query = select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind.in_(sorted(timeline.SHOWN)))
    if earlier and messages:  # the events of the part shown (those before its first message come with it)
        event_query = event_query.where(CaseEvent.created_at >= messages[0].sent_at)
    events = list(session.scalars(event_query.order_by(CaseEvent.created_at, CaseEvent.id)))
    if earlier:  # "case opened" goes before the case's first message, which this part does not show
        events = [e for e in events if e.kind not in _BEFORE_FIRST_MESSAGE]
    idents = _by_id(session, Identity, {m.author_identity_id for m in messages if m.author_identity_id})
    user_ids = {m.author_user_id for m in messages if m.author_user_id} | {
        e.actor_user_id for e in events if e.actor_user_id
    }
    if case.assignee_id:
        user_ids.add(case.assignee_id)
    for e in events:
        if e.data.get("assignee_id"):
            user_ids.add(int(e.data["assignee_id"]))
    users = _by_id(session, User, user_ids)
    thread_ids = {m.thread_id for m in messages if m.thread_id}
    if earlier:  # every thread of the case, not only those of the messages shown
        thread_ids |= set(session.scalars(select(Message.thread_id).where(
            Message.case_id == case.id, Message.thread_id.is_not(None)).distinct()))
    threads = _by_id(session, Thread, {int(t) for t in thread_ids if t})
    accounts = _by_id(session, ChannelAccount, {m.channel_account_id for m in messages if m.channel_account_id}
                      | {t.channel_account_id for t in threads.values()})
    outboxes = (
        {
            o.message_id: o
            for o in session.scalars(
                select(Outbox).where(Outbox.message_id.in_([m.id for m in messages if m.direction == "outbound"]))
            )
        }
        if messages
        else {}
    )
    posts = posts_of_case(session, workspace_id, case.id)
    thread_views = _thread_views(session, workspace_id, messages, threads, accounts, idents, posts,
                                 partial=bool(earlier))
    items = [
        TimelineItem(
            "message",
            m.sent_at,
            message=m,
            author_identity=idents.get(m.author_identity_id) if m.author_identity_id else None,
            author_user=users.get(m.author_user_id) if m.author_user_id else None,
            account=accounts.get(m.channel_account_id) if m.channel_account_id else None,
            thread=threads.get(m.thread_id) if m.thread_id else None,
            outbox=outboxes.get(m.id),
        )
        for m in messages
    ] + [
        TimelineItem(
            "event", e.created_at, event=e, author_user=users.get(e.actor_user_id) if e.actor_user_id else None
        )
        for e in events
    ]
    _timeline_order(items)
    current: int | None = None
    seen: set[int] = set()
    for item in items:  # a marker where the conversation moves to another thread
        m = item.message
        if m is None or m.thread_id is None or m.thread_id not in thread_views:
            continue
        if m.thread_id != current:
            item.thread_marker = thread_views[m.thread_id]
            item.thread_first = m.thread_id not in seen
            seen.add(m.thread_id)
            current = m.thread_id
    merged_into, merged_from = _merge_notes(session, case)
    previous = list(
        session.scalars(
            select(Case).where(Case.contact_id == contact.id, Case.id != case.id).order_by(Case.id.desc()).limit(10)
        )
    )
    return CaseView(
        case,
        contact,
        identities,
        users.get(case.assignee_id) if case.assignee_id else None,
        items,
        accounts,
        threads,
        previous,
        posts,
        sorted(thread_views.values(), key=lambda v: (v.last_at, v.thread.id), reverse=True),
        merged_into,
        merged_from,
        shown,
        earlier,
    )


# --- contacts: the contact page, the contacts API, merge targets --------------------------------------------

CASES_SHOWN = 50
SEARCH_LIMIT = 20


@dataclass
class ContactView:
    contact: Contact
    identities: list[Identity]
    cases: list[Case]  # newest first, up to CASES_SHOWN
    merged_into: Contact | None = None  # the contact this one was merged into (it then has no identity left)


@dataclass
class ContactMatch:
    contact: Contact
    identities: list[Identity] = field(default_factory=list)


def get_contact(session: Session, workspace_id: int, contact_id: int, *, for_update: bool = False) -> Contact:
    query = select(Contact).where(Contact.workspace_id == workspace_id, Contact.id == contact_id)
    if for_update:
        query = query.with_for_update()
    contact = session.scalar(query)
    if contact is None:
        raise NotFound("no such contact")
    return contact


def get_identity(session: Session, contact: Contact, identity_id: int) -> Identity:
    """One identity of ``contact`` (an identity of any other contact is "not found")."""
    identity = session.scalar(select(Identity).where(Identity.id == identity_id, Identity.contact_id == contact.id,
                                                     Identity.workspace_id == contact.workspace_id))
    if identity is None:
        raise NotFound("no such identity")
    return identity


def merged_into(session: Session, contact: Contact) -> Contact | None:
    """The contact ``contact`` now lives in (following merges of merges), or None when it was never merged."""
    seen = {contact.id}
    current = contact
    while current.merged_into_id is not None and current.merged_into_id not in seen:
        following = session.get(Contact, current.merged_into_id)
        if following is None or following.workspace_id != contact.workspace_id:
            break
        seen.add(following.id)
        current = following
    return current if current.id != contact.id else None


def identities_of(session: Session, contact_id: int) -> list[Identity]:
    return list(session.scalars(select(Identity).where(Identity.contact_id == contact_id).order_by(Identity.id)))


def contact_view(session: Session, workspace_id: int, contact_id: int) -> ContactView:
    contact = get_contact(session, workspace_id, contact_id)
    cases = list(session.scalars(select(Case).where(Case.contact_id == contact.id)
                                 .order_by(Case.id.desc()).limit(CASES_SHOWN)))
    return ContactView(contact, identities_of(session, contact.id), cases, merged_into(session, contact))


def _like(text: str) -> str:
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_contacts(session: Session, workspace_id: int, q: str, *, exclude_id: int | None = None,
                    limit: int = SEARCH_LIMIT) -> list[ContactMatch]:
    """Contacts whose name, or one of whose identities' handle, name or network id, contains ``q`` (any case).
    Contacts merged into another are left out (their identities live in that other one)."""
    if not q.strip():
        return []
    like = _like(q)
    by_identity = select(Identity.contact_id).where(
        Identity.workspace_id == workspace_id,
        or_(func.lower(Identity.handle).like(like, escape="\\"), func.lower(Identity.name).like(like, escape="\\"),
            func.lower(Identity.platform_user_id).like(like, escape="\\")),
    )
    query = (select(Contact)
             .where(Contact.workspace_id == workspace_id, Contact.merged_into_id.is_(None),
                    or_(func.lower(Contact.display_name).like(like, escape="\\"), Contact.id.in_(by_identity)))
             .order_by(Contact.display_name, Contact.id).limit(limit))
    if exclude_id is not None:
        query = query.where(Contact.id != exclude_id)
    contacts = list(session.scalars(query))
    identities: dict[int, list[Identity]] = {c.id: [] for c in contacts}
    if contacts:
        for identity in session.scalars(select(Identity).where(Identity.contact_id.in_(list(identities)))
                                        .order_by(Identity.id)):
            identities[identity.contact_id].append(identity)
    return [ContactMatch(c, identities[c.id]) for c in contacts]


def merge_targets(session: Session, case: Case) -> list[Case]:
    """The customer's other cases still being worked on (not resolved or closed), newest first: what ``case``
    may be merged into from the case page."""
    return list(session.scalars(
        select(Case).where(Case.workspace_id == case.workspace_id, Case.contact_id == case.contact_id,
                           Case.id != case.id, Case.status.in_([str(s) for s in ACTIVE_STATUSES]))
        .order_by(Case.id.desc()).limit(CASES_SHOWN)
    ))



@dataclass
class NoteRow:
    note: CustomerNote
    author: User | None = None
    editor: User | None = None


def customer_notes(session: Session, workspace_id: int, contact_id: int) -> list[NoteRow]:
    """The notes about a contact, newest first, with their authors."""
    notes = list(session.scalars(select(CustomerNote).where(CustomerNote.workspace_id == workspace_id,
                                                            CustomerNote.contact_id == contact_id)
                                 .order_by(CustomerNote.created_at.desc(), CustomerNote.id.desc()).limit(100)))
    users = _by_id(session, User, {n.author_id for n in notes if n.author_id}
                   | {n.edited_by_id for n in notes if n.edited_by_id})
    return [NoteRow(n, users.get(n.author_id) if n.author_id else None,
                    users.get(n.edited_by_id) if n.edited_by_id else None) for n in notes]


def get_customer_note(session: Session, contact: Contact, note_id: int) -> CustomerNote:
    note = session.scalar(select(CustomerNote).where(CustomerNote.id == note_id,
                                                     CustomerNote.contact_id == contact.id,
                                                     CustomerNote.workspace_id == contact.workspace_id))
    if note is None:
        raise NotFound("no such note")
    return note


def identity_accounts(session: Session, contact_id: int, *, cases: int = 20) -> dict[int, ChannelAccount]:
    """The account each of a contact's identities last wrote to (from their latest cases' messages)."""
    recent = select(Case.id).where(Case.contact_id == contact_id).order_by(Case.id.desc()).limit(cases)
    rows = session.execute(select(Message.author_identity_id, func.max(Message.channel_account_id))
                           .where(Message.case_id.in_(recent),
                                  Message.author_identity_id.is_not(None), Message.channel_account_id.is_not(None))
                           .group_by(Message.author_identity_id))
    pairs = {int(i): int(a) for i, a in rows if i is not None and a is not None}
    accounts = _by_id(session, ChannelAccount, set(pairs.values()))
    return {i: accounts[a] for i, a in pairs.items() if a in accounts}

# --- threads and context (issue 16): the posts customers comment under -------------------------------------


@dataclass
class PostView:
    """A post with what the inbox shows beside it: its account, and how many cases and comments are under it."""

    post: Post
    account: ChannelAccount | None
    cases: int = 0
    comments: int = 0
    #: the cases under it that are still being worked on
    active_cases: int = 0
    last_comment_at: Any = None


def _cases_under(workspace_id: int, post_id: int) -> Select[Any]:
    return (select(Message.case_id)
            .join(PostThread, PostThread.thread_id == Message.thread_id)
            .where(Message.workspace_id == workspace_id, PostThread.post_id == post_id))


def _post_views(session: Session, workspace_id: int, posts: list[Post]) -> list[PostView]:
    if not posts:
        return []
    ids = [p.id for p in posts]
    active = [str(s) for s in ACTIVE_STATUSES]
    stats: dict[int, tuple[Any, ...]] = {
        int(row[0]): tuple(row[1:])
        for row in session.execute(
            select(PostThread.post_id, func.count(func.distinct(Message.case_id)), func.count(Message.id),
                   func.count(func.distinct(Message.case_id)).filter(Case.status.in_(active)),
                   func.max(Message.sent_at))
            .join(Message, Message.thread_id == PostThread.thread_id)
            .join(Case, Case.id == Message.case_id)
            .where(PostThread.workspace_id == workspace_id, PostThread.post_id.in_(ids),
                   Message.direction == Direction.INBOUND)
            .group_by(PostThread.post_id)
        )
    }
    accounts = _by_id(session, ChannelAccount, {p.channel_account_id for p in posts})
    views = []
    for post in posts:
        cases, comments, active, last = stats.get(post.id, (0, 0, 0, None))
        views.append(PostView(post, accounts.get(post.channel_account_id), int(cases), int(comments), int(active),
                              last))
    return views


def get_post(session: Session, workspace_id: int, post_id: int) -> PostView:
    post = session.scalar(select(Post).where(Post.id == post_id, Post.workspace_id == workspace_id))
    if post is None:
        raise NotFound("post")
    return _post_views(session, workspace_id, [post])[0]


def posts_of_case(session: Session, workspace_id: int, case_id: int) -> list[PostView]:
    """The posts the case's comments are under (most recently commented first)."""
    posts = list(session.scalars(
        select(Post)
        .join(PostThread, PostThread.post_id == Post.id)
        .join(Message, Message.thread_id == PostThread.thread_id)
        .where(Post.workspace_id == workspace_id, Message.case_id == case_id)
        .group_by(Post.id)
        .order_by(func.max(Message.sent_at).desc(), Post.id.desc())
    ))
    return _post_views(session, workspace_id, posts)


def commented_posts(session: Session, workspace_id: int, *, since: Any = None, limit: int = 50) -> list[PostView]:
    """The posts with customers' comments, the most recently commented first (``since``: commented after it)."""
    query = (select(Post)
             .join(PostThread, PostThread.post_id == Post.id)
             .join(Message, Message.thread_id == PostThread.thread_id)
             .where(Post.workspace_id == workspace_id, Message.direction == Direction.INBOUND)
             .group_by(Post.id)
             .order_by(func.max(Message.sent_at).desc(), Post.id.desc())
             .limit(limit))
    if since is not None:
        query = query.having(func.max(Message.sent_at) >= since)
    return _post_views(session, workspace_id, list(session.scalars(query)))
# --- tags (issue 16) ---------------------------------------------------------------------------------------------


def tag_filter_key(name: str) -> str:
    """The key a tag filter looks for (the tag's normalised name; a name that cannot be a tag matches nothing)."""
    try:
        return tag_key(name)
    except Invalid:
        return ""  # no tag has an empty key


@dataclass
class TagUse:
    tag: Tag
    cases: int  # how many cases carry it (any status)


def list_tags(session: Session, workspace_id: int, *, cap: int | None = None) -> list[TagUse]:
    """The workspace's tags by name, each with how many cases carry it: exactly (``cap`` None: the admin page, the
    API), or at most ``cap`` (the inbox's filter, on every page: each count stops there, an index range of
    ``ix_case_tags_ws_tag_case``, whatever the number of tagged cases)."""
    if cap is None:
        used = (select(CaseTag.tag_id, func.count().label("n")).where(CaseTag.workspace_id == workspace_id)
                .group_by(CaseTag.tag_id).subquery())
        rows = session.execute(select(Tag, func.coalesce(used.c.n, 0)).outerjoin(used, used.c.tag_id == Tag.id)
                               .where(Tag.workspace_id == workspace_id).order_by(Tag.key))
        return [TagUse(tag, int(n)) for tag, n in rows]
    first = (select(literal_column("1")).select_from(CaseTag)
             .where(CaseTag.workspace_id == workspace_id, CaseTag.tag_id == Tag.id).limit(cap)
             .correlate(Tag).subquery())
    counted = select(func.count()).select_from(first).scalar_subquery()
    return [TagUse(tag, int(n)) for tag, n in session.execute(
        select(Tag, counted).where(Tag.workspace_id == workspace_id).order_by(Tag.key))]


def tags_by_case(session: Session, workspace_id: int, case_ids: list[int]) -> dict[int, list[Tag]]:
    """The tags of each case named (by name), in one query."""
    out: dict[int, list[Tag]] = {}
    if not case_ids:
        return out
    rows = session.execute(select(CaseTag.case_id, Tag).join(Tag, Tag.id == CaseTag.tag_id)
                           .where(CaseTag.workspace_id == workspace_id, CaseTag.case_id.in_(case_ids))
                           .order_by(Tag.key))
    for case_id, tag in rows:
        out.setdefault(case_id, []).append(tag)
    return out


def tags_of(session: Session, case: Case) -> list[Tag]:
    """One case's tags, by name."""
    return tags_by_case(session, case.workspace_id, [case.id]).get(case.id, [])


# --- incidents (issue 16) ----------------------------------------------------------------------------------------


def incidents_by_case(session: Session, workspace_id: int, case_ids: list[int]) -> dict[int, list[Incident]]:
    """The open incidents (suspected or confirmed) of each case named, in one query (the inbox rows' badge)."""
    out: dict[int, list[Incident]] = {}
    if not case_ids:
        return out
    rows = session.execute(select(IncidentCase.case_id, Incident)
                           .join(Incident, Incident.id == IncidentCase.incident_id)
                           .where(Incident.workspace_id == workspace_id, IncidentCase.case_id.in_(case_ids),
                                  Incident.status.in_(("suspected", "confirmed"))).order_by(Incident.number))
    for case_id, incident in rows:
        out.setdefault(case_id, []).append(incident)
    return out


def open_incidents(session: Session, workspace_id: int, limit: int = 50) -> list[Incident]:
    """The workspace's open incidents, newest first (the inbox's filter by incident)."""
    return list(session.scalars(select(Incident).where(Incident.workspace_id == workspace_id,
                                                       Incident.status.in_(("suspected", "confirmed")))
                                .order_by(Incident.number.desc()).limit(limit)))


# --- saved views (issue 18) -------------------------------------------------------------------------------------


def saved_views(session: Session, user: User) -> list[InboxView]:
    """The views ``user`` sees: their own private ones and the workspace's shared ones, shared first, by name."""
    return list(session.scalars(
        select(InboxView).where(InboxView.workspace_id == user.workspace_id,
                                or_(InboxView.shared.is_(True), InboxView.owner_id == user.id))
        .order_by(InboxView.shared.desc(), func.lower(InboxView.name), InboxView.id)))


def get_saved_view(session: Session, user: User, view_id: int) -> InboxView:
    """One view ``user`` sees (another agent's private view is "not found")."""
    view = session.scalar(select(InboxView).where(
        InboxView.id == view_id, InboxView.workspace_id == user.workspace_id,
        or_(InboxView.shared.is_(True), InboxView.owner_id == user.id)))
    if view is None:
        raise NotFound("no such view")
    return view


def view_filter(view: InboxView, *, limit: int = 50, offset: int = 0) -> InboxFilter:
    """The filters a saved view keeps (a value no longer known falls back to its default)."""
    return filter_from_params({str(k): str(v) for k, v in (view.filters or {}).items()}, limit=limit, offset=offset)


def saved_view_counts(session: Session, user: User, views: list[InboxView], *, cap: int | None = COUNT_CAP + 1
                      ) -> dict[int, int]:
    """The cases each of ``views`` shows ``user`` (each at most ``cap``; ``None``: exact), in one query."""
    return view_counts(session, user.workspace_id, user.id, {v.id: view_filter(v) for v in views}, cap=cap)
