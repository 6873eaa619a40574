"""The inbox list (issue 18): the "needs an answer first" sort, every filter, accent-insensitive search of
numbers, handles, e-mails, phones and text, per-agent unread, counts per view; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from compris.inbox import queries
from compris.inbox.actions import reads
from compris.inbox.ingest import receive
from compris.inbox.queries import InboxFilter, filter_from_params
from compris.kit.errors import Invalid
from compris.live import Publisher
from compris.models import Case, Contact, Identity, Message, Team, User
from tests.analytics.helpers import message, new_case
from tests.conftest import SECRET, World
from tests.inbox.test_ingest import _request

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _deliver(world: World, text: str, **kw: Any) -> None:
    rt = world.runtime
    receive(rt.db, rt.publisher, SECRET, world.account.id, _request(world, world.payload(text, **kw)))
    world.run_jobs()


def _numbers(world: World, user: User | None = None, **filters: Any) -> list[int]:
    with world.runtime.db.transaction() as s:
        f = InboxFilter(**filters)
        return [r.case.number for r in queries.list_cases(s, world.workspace_id, (user or world.agent).id, f)]


def _case(s: Any, world: World, minutes: int, **fields: Any) -> Case:
    case = new_case(s, world, T0 + timedelta(minutes=minutes))
    case.last_inbound_at = T0 + timedelta(minutes=minutes)
    case.status = "open"
    for key, value in fields.items():
        setattr(case, key, value)
    s.flush()
    return case


def test_the_default_sort_puts_what_needs_an_answer_first(world: World) -> None:
    with world.runtime.db.transaction() as s:
        _case(s, world, 0, priority=90)                                              # 1: no SLA, urgent
        _case(s, world, 1, sla_status="ok", sla_next_due_at=T0 + timedelta(hours=3))  # 2: due late
        _case(s, world, 2, sla_status="breached", sla_next_due_at=T0 + timedelta(hours=5))  # 3: breached
        _case(s, world, 3, sla_status="at_risk", sla_next_due_at=T0 + timedelta(hours=1))  # 4: due first
        _case(s, world, 4, priority=10)                                              # 5: no SLA, low, recent
        _case(s, world, -5, priority=10)                                             # 6: no SLA, low, waits longer
    assert InboxFilter().sort == "needs_answer"
    assert _numbers(world) == [3, 4, 2, 1, 6, 5]
    assert _numbers(world, sort="newest")[0] == 5  # the other sorts stay
    assert _numbers(world, sort="priority")[0] == 1


def test_each_filter(world: World) -> None:
    with world.runtime.db.transaction() as s:
        team = Team(workspace_id=world.workspace_id, name="Care FR")
        s.add(team)
        s.flush()
        _case(s, world, 0, priority=75, language="fr", triage={"intent": "complaint"}, sla_status="breached",
              team_id=team.id, assignee_id=world.agent.id)
        _case(s, world, 1, priority=45, language="en", triage={"intent": "question"}, sla_status="at_risk")
        _case(s, world, 2, priority=25, language="en", triage={"intent": "praise"}, sla_status="ok")
        _case(s, world, 3, priority=5, language="fr", triage={"intent": "spam"})
    assert _numbers(world, priority="urgent") == [1]
    assert _numbers(world, priority="high") == [2]
    assert _numbers(world, priority="normal") == [3]
    assert _numbers(world, priority="low") == [4]
    assert sorted(_numbers(world, language="fr")) == [1, 4]
    assert _numbers(world, intent="question") == [2]
    assert _numbers(world, sla="breached") == [1]
    assert _numbers(world, sla="at_risk") == [2]
    assert _numbers(world, sla="on_track") == [3]
    assert _numbers(world, sla="none") == [4]
    with world.runtime.db.transaction() as s:
        team_id = s.scalar(select(Team.id).where(Team.workspace_id == world.workspace_id))
    assert _numbers(world, team_id=team_id) == [1]
    assert _numbers(world, assignee_id=world.agent.id) == [1]
    assert _numbers(world, view="mine") == [1]
    assert sorted(_numbers(world, view="unassigned")) == [2, 3, 4]
    assert sorted(_numbers(world, network="sandbox")) == [1, 2, 3, 4]
    assert _numbers(world, network="telegram") == []
    assert _numbers(world, status="resolved") == []


@pytest.mark.parametrize("params", [
    {"priority": "extreme"}, {"sla": "late"}, {"intent": "positive"}, {"language": "français"},
    {"network": "X!"}, {"sort": "random"}, {"view": "theirs"}, {"team": "abc"}, {"assignee": "-1"},
    {"account": "99999999999999"},
])
def test_unknown_values_fall_back_to_the_defaults(params: dict[str, str]) -> None:
    assert filter_from_params(params) == InboxFilter()


def test_a_strict_filter_refuses_unknown_values() -> None:
    with pytest.raises(Invalid):
        InboxFilter(priority="extreme")
    with pytest.raises(Invalid):
        InboxFilter(intent="positive")


def test_a_filter_survives_its_query_parameters() -> None:
    f = InboxFilter(view="mine", status="all", sort="due", q="reçu", assignee_id=3, team_id=4, network="x",
                    priority="high", language="fr", intent="complaint", sla="at_risk", unread=True, tag="Colis",
                    incident=7, high_reach=True, channel_account_id=9)
    assert filter_from_params(f.params()) == f


def test_search_ignores_accents_and_case_in_both_directions(world: World) -> None:
    _deliver(world, "J'ai bien reçu le colis, merci", author="anne")
    _deliver(world, "I never received my RECU number", author="bob")
    _deliver(world, "Nothing to see", author="carl")
    assert sorted(_numbers(world, q="recu")) == [1, 2]
    assert sorted(_numbers(world, q="REÇU")) == [1, 2]
    assert _numbers(world, q="COLIS merci") == [1]


def test_search_finds_a_contact_name_without_its_accents(world: World) -> None:
    _deliver(world, "Bonjour", author="gerard")
    _deliver(world, "Hello", author="zoe")
    with world.runtime.db.transaction() as s:
        contact = s.scalar(select(Contact).where(Contact.workspace_id == world.workspace_id,
                                                 Contact.display_name == "Gerard"))
        assert contact is not None
        contact.display_name = "Gérard Lefèvre"
    assert _numbers(world, q="gerard lefevre") == [1]
    assert _numbers(world, q="Gérard") == [1]
    assert _numbers(world, q="GERARD") == [1]


def test_search_finds_a_case_number_a_handle_an_email_and_a_phone(world: World) -> None:
    for i in range(12):
        _deliver(world, f"Message {i}", author=f"cust{i}")
    assert _numbers(world, q="#12") == [12]
    assert sorted(_numbers(world, q="7")) == [7, 8]  # case 7, and case 8's "Message 7"
    assert _numbers(world, q="@cust3") == [4]
    with world.runtime.db.transaction() as s:
        s.add(Identity(workspace_id=world.workspace_id, contact_id=_contact_of(s, world, 5), network="email",
                       platform_user_id="marie.dupont@example.com", handle=None, name="Marie Dupont"))
        s.add(Identity(workspace_id=world.workspace_id, contact_id=_contact_of(s, world, 6), network="whatsapp",
                       platform_user_id="33612345678", handle=None, name=None))
    assert _numbers(world, q="Marie.Dupont@example.com") == [5]
    assert _numbers(world, q="+33 6 12 34 56 78") == [6]
    assert _numbers(world, q="#999") == []


def _contact_of(s: Any, world: World, number: int) -> int:
    contact_id = s.scalar(select(Case.contact_id).where(Case.workspace_id == world.workspace_id,
                                                        Case.number == number))
    assert contact_id is not None
    return int(contact_id)


def test_search_text_is_kept_with_the_message_and_the_subject(world: World) -> None:
    _deliver(world, "Où est ma réservation ?", author="anne")
    with world.runtime.db.transaction() as s:
        msg = s.scalar(select(Message).where(Message.workspace_id == world.workspace_id))
        case = s.scalar(select(Case).where(Case.workspace_id == world.workspace_id))
        contact = s.scalar(select(Contact).where(Contact.workspace_id == world.workspace_id))
        assert msg is not None and case is not None and contact is not None
        assert msg.search_text == "ou est ma reservation"
        assert case.search_subject == "ou est ma reservation"
        assert contact.search_name == "anne"


def test_search_stays_in_its_workspace(world: World, world_factory: Any) -> None:
    other = world_factory("globex")
    _deliver(other, "reçu chez globex", author="g1")
    assert _numbers(world, q="recu") == []


def _read(world: World, user: User, number: int, *, unread: bool = False) -> None:
    with world.runtime.db.transaction() as s:
        actor = s.get(User, user.id)
        case = s.scalar(select(Case).where(Case.workspace_id == world.workspace_id, Case.number == number))
        assert actor is not None and case is not None
        (reads.mark_unread if unread else reads.mark_read)(s, Publisher.outside_server(s), actor=actor, case=case)


def _unread(world: World, user: User) -> dict[int, bool]:
    with world.runtime.db.transaction() as s:
        return {r.case.number: r.unread for r in queries.list_cases(s, world.workspace_id, user.id, InboxFilter())}


def test_unread_is_per_agent(world: World) -> None:
    """Defect 9: one agent opening a case does not make it read for the others; a new customer message makes it
    unread again for the one who read it."""
    _deliver(world, "First", author="anne", kind="dm")
    _deliver(world, "Other", author="bob", kind="dm")
    agent, admin = world.agent, world.admin
    assert _unread(world, agent) == {1: True, 2: True}
    _read(world, agent, 1)
    assert _unread(world, agent) == {1: False, 2: True}
    assert _unread(world, admin) == {1: True, 2: True}  # the other agent still has it unread
    assert _numbers(world, agent, unread=True) == [2]
    assert sorted(_numbers(world, admin, unread=True)) == [1, 2]
    _deliver(world, "Still waiting", author="anne", kind="dm")  # the customer writes again
    assert _unread(world, agent)[1] is True
    _read(world, agent, 1)
    _read(world, agent, 1, unread=True)  # "mark as unread", for oneself only
    assert _unread(world, agent)[1] is True
    _read(world, admin, 2)
    assert _unread(world, agent)[2] is True and _unread(world, admin)[2] is False


def test_counts_per_view_and_saved_views_in_one_query(world: World) -> None:
    with world.runtime.db.transaction() as s:
        _case(s, world, 0, assignee_id=world.agent.id, language="fr")
        _case(s, world, 1, language="fr")
        _case(s, world, 2, language="en")
        _case(s, world, 3, status="resolved")
    with world.runtime.db.transaction() as s:
        assert queries.counts(s, world.workspace_id, world.agent.id, InboxFilter()) == {
            "all": 3, "mine": 1, "unassigned": 2}
        got = queries.view_counts(s, world.workspace_id, world.agent.id, {
            10: InboxFilter(language="fr"), 11: InboxFilter(view="mine"), 12: InboxFilter(status="all"),
            13: InboxFilter(q="nothing matches this")})
    assert got == {10: 2, 11: 1, 12: 4, 13: 0}


def test_intent_filter_reads_the_json_triage(world: World) -> None:
    with world.runtime.db.transaction() as s:
        _case(s, world, 0, triage={"intent": "complaint", "reasons": ["x"]})
        _case(s, world, 1, triage={})
        s.execute(update(Case).where(Case.number == 2, Case.workspace_id == world.workspace_id)
                  .values(triage={"intent": "request"}))
    assert _numbers(world, intent="complaint") == [1]
    assert _numbers(world, intent="request") == [2]


def test_messages_written_directly_are_searchable(world: World) -> None:
    with world.runtime.db.transaction() as s:
        case = _case(s, world, 0)
        message(s, world, case.id, T0, inbound=True, text="Vol annulé à Genève")
    assert _numbers(world, q="annule a geneve") == [1]


@pytest.mark.parametrize("sort", queries.SORTS)
@pytest.mark.parametrize("status", ["active", "all"])
def test_pages_walk_every_case_once_in_each_sort(world: World, sort: str, status: str) -> None:
    """Page after page (a later page finds the cases it skips by their ids, then reads its own), every case comes
    once, in the order of the sort over all of them: ties broken by the id, missing times (no deadline, no
    customer message) last, on both databases."""
    import random

    rng = random.Random(sort + status)
    with world.runtime.db.transaction() as s:
        for n in range(23):
            due = None if n % 3 == 0 else T0 + timedelta(hours=rng.randrange(4))
            _case(s, world, rng.randrange(3), priority=rng.choice([10, 50, 90]), sla_next_due_at=due,
                  sla_status=rng.choice([None, "ok", "at_risk", "breached"]),
                  status=rng.choice(["open", "new", "resolved"]),
                  last_inbound_at=None if n % 7 == 0 else T0 + timedelta(minutes=rng.randrange(3)))
    whole = _numbers(world, sort=sort, status=status, limit=200)
    pages = [n for offset in range(0, 30, 4) for n in _numbers(world, sort=sort, status=status, limit=4,
                                                                offset=offset)]
    assert pages == whole and len(set(whole)) == len(whole)
    with world.runtime.db.transaction() as s:
        cases = {c.number: c for c in s.scalars(select(Case).where(Case.workspace_id == world.workspace_id))}
    expected = sorted((c for c in cases.values() if status == "all" or c.status != "resolved"), key=_sort_key(sort))
    assert whole == [c.number for c in expected]


def _sort_key(sort: str) -> Any:
    far = datetime.max.replace(tzinfo=UTC)

    def key(c: Case) -> tuple[Any, ...]:
        inbound, due = c.last_inbound_at or far, c.sla_next_due_at or far
        if sort == "newest":
            return (-c.last_activity_at.timestamp(), -c.id)
        if sort == "oldest":
            return (inbound, c.id)
        if sort == "due":
            return (due, c.id)
        if sort == "priority":
            return (-c.priority, inbound, c.id)
        return (0 if c.sla_status == "breached" else 1, due, -c.priority, inbound, c.id)
    return key


def test_counts_stop_past_what_the_page_shows(world: World) -> None:
    """The inbox's counts (and the saved views') stop at ``COUNT_CAP + 1`` ("500+"), read no further; the API asks
    for exact ones."""
    with world.runtime.db.transaction() as s:
        for n in range(7):
            _case(s, world, n, assignee_id=world.agent.id if n < 3 else None)
    with world.runtime.db.transaction() as s:
        assert queries.counts(s, world.workspace_id, world.agent.id, InboxFilter(), cap=5) == {
            "all": 5, "mine": 3, "unassigned": 4}
        assert queries.counts(s, world.workspace_id, world.agent.id, InboxFilter(), cap=None) == {
            "all": 7, "mine": 3, "unassigned": 4}
        assert queries.view_counts(s, world.workspace_id, world.agent.id, {1: InboxFilter()}, cap=6) == {1: 6}
