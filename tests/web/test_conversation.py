"""The conversation pane and the reply box (issue 18): threads with their network, account and post; the reply box
that names and switches the thread it answers; the guard's state always the draft's (defect 4); the triage
correction offering only real labels and answering in its own panel (defect 6); a readable SLA line, "case
opened" before its first message and links between merged cases (defect 8)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from compris.config import Settings
from compris.models import Case, Message, User
from compris.runtime import Runtime
from compris.web import conversation_format
from tests.conftest import World
from tests.web.test_pages import Agent, customer_writes, make_client

DEFLECTION = "Please contact customer service between 9am and 5pm."
COMPLAINT = "My flight was cancelled and nobody at your airport helps, worst airline ever!"
FIXED = "So sorry about this, I have rebooked you on the 6pm flight."


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> TestClient:
    return make_client(settings, runtime)


@pytest.fixture
def agent(client: TestClient, world: World) -> Agent:
    return Agent(client, world.agent.email)


def _messages(world: World, direction: str = "inbound") -> list[Message]:
    with world.runtime.db.transaction() as session:
        rows = list(session.scalars(select(Message).where(Message.workspace_id == world.workspace_id,
                                                          Message.direction == direction).order_by(Message.id)))
        session.expunge_all()
    return rows


@pytest.fixture
def two_threads(client: TestClient, world: World) -> tuple[Message, Message]:
    """One customer, one case: a public post, then a private message (the latest)."""
    customer_writes(client, world, "Where is my refund? Booking AB12CD", author="cust-1")
    customer_writes(client, world, "Here are my details in private", kind="dm", author="cust-1")
    public, private = _messages(world)
    assert public.case_id == private.case_id and public.thread_id != private.thread_id
    return public, private


# --- threads -------------------------------------------------------------------------------------------------


def test_each_thread_is_marked_with_its_network_account_and_visibility(
        agent: Agent, two_threads: tuple[Message, Message]) -> None:
    page = agent.get("/cases/1").text
    markers = re.findall(r'<li class="thread-marker[^"]*"[^>]*data-thread="(\d+)"', page)
    assert [int(m) for m in markers] == [two_threads[0].thread_id, two_threads[1].thread_id]
    assert page.count('class="net-icon net-sandbox"') >= 2
    assert "2 threads:" in page and f'href="#thread-{two_threads[1].thread_id}"' in page
    assert "private conversation" in page


def test_case_opened_comes_before_its_first_message_even_when_written_later(
        client: TestClient, agent: Agent, world: World) -> None:
    # a message the platform dated two hours ago (a late webhook, a poll): the case is opened now
    earlier = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    customer_writes(client, world, "Written two hours ago", created_at=earlier)
    page = agent.get("/cases/1").text
    timeline = page[page.index('id="timeline"'):]
    assert timeline.index("Case opened") < timeline.index("Written two hours ago")


def test_a_merged_case_links_to_where_it_went_and_the_target_lists_it(
        client: TestClient, agent: Agent, world: World) -> None:
    customer_writes(client, world, "First case", author="sam-a")
    customer_writes(client, world, "Second case", author="sam-b")
    with world.runtime.db.transaction() as session:
        first, second = session.scalars(select(Case.contact_id).order_by(Case.number)).all()
    assert agent.post(f"/contacts/{second}/merge", {"into": str(first)}).status_code == 303
    assert agent.post("/cases/1/merge", {"into": "2"}).status_code == 303
    merged = agent.get("/cases/1").text
    assert "This case was merged into another case:" in merged and '<a href="/cases/2">#2</a>' in merged
    target = agent.get("/cases/2").text
    assert "Case merged into this one:" in target and '<a href="/cases/1">#1</a>' in target


# --- the reply box ---------------------------------------------------------------------------------------------


def test_the_reply_box_says_what_it_answers_and_offers_every_thread(
        agent: Agent, two_threads: tuple[Message, Message]) -> None:
    public, private = two_threads
    page = html.unescape(agent.get("/cases/1").text)
    assert '<select id="reply-target" name="reply_to"' in page
    # the latest customer message's thread is chosen
    assert re.search(rf'<option value="{private.id}" selected>', page)
    assert re.search(rf'<option value="{public.id}" >', page)
    assert "Private message on Sandbox network as acme on Sandbox to Cust-1" in page
    assert "Public reply on Sandbox network as acme on Sandbox to Cust-1's post" in page
    chosen = re.search(rf'<fieldset class="visibility reply-target" data-target="{private.id}"[^>]*>', page)
    other = re.search(rf'<fieldset class="visibility reply-target" data-target="{public.id}"[^>]*>', page)
    assert chosen and "disabled" not in chosen.group(0)
    assert other and "disabled hidden" in other.group(0)  # its radios are not sent


def test_the_reply_goes_to_the_thread_chosen(agent: Agent, world: World,
                                             two_threads: tuple[Message, Message]) -> None:
    public, private = two_threads
    sent = agent.post("/cases/1/reply", {"text": "Sorry for the wait, we are on it.", "visibility": "public",
                                         "reply_to": str(public.id), "idempotency_key": "k-1"}, htmx=True)
    assert sent.status_code == 200, sent.text
    sent = agent.post("/cases/1/reply", {"text": "Sorry for the wait, checking your booking now.",
                                         "visibility": "private", "reply_to": str(private.id),
                                         "idempotency_key": "k-2"}, htmx=True)
    assert sent.status_code == 200, sent.text
    first, second = _messages(world, "outbound")
    assert (first.thread_id, first.reply_to_message_id) == (public.thread_id, public.id)
    assert (second.thread_id, second.reply_to_message_id) == (private.thread_id, private.id)
    # the box comes back empty, on the thread just answered, with no guard state
    box = html.unescape(sent.text)
    assert re.search(rf'<option value="{private.id}" selected>', box)
    assert 'name="guard_refused"' not in box and "Send anyway" not in box
    assert re.search(r'<textarea id="reply-text"[^>]*></textarea>', box)


@pytest.mark.parametrize("reply_to", ["abc", "999999"])
def test_a_reply_to_a_message_not_on_the_case_is_refused(agent: Agent, world: World, reply_to: str,
                                                         two_threads: tuple[Message, Message]) -> None:
    response = agent.post("/cases/1/reply", {"text": "Hello", "visibility": "private", "reply_to": reply_to},
                          htmx=True)
    assert response.status_code == 422
    assert 'id="reply-error"' in response.text
    assert _messages(world, "outbound") == []


def test_the_guard_checks_the_thread_chosen(agent: Agent, two_threads: tuple[Message, Message]) -> None:
    public, private = two_threads
    # asking for a booking reference is a problem in public only
    ask = "Could you send me your booking reference and e-mail?"
    in_public = agent.post("/cases/1/guard", {"text": ask, "visibility": "public", "reply_to": str(public.id)},
                           htmx=True)
    in_private = agent.post("/cases/1/guard", {"text": ask, "visibility": "private", "reply_to": str(private.id)},
                            htmx=True)
    assert 'data-rule="asks_personal_data"' in in_public.text
    assert 'data-rule="asks_personal_data"' not in in_private.text


# --- defect 4: the guard's state is the draft's ---------------------------------------------------------------


def test_a_fixed_draft_drops_the_refused_state(client: TestClient, agent: Agent, world: World) -> None:
    customer_writes(client, world, COMPLAINT)
    refused = agent.post("/cases/1/reply", {"text": DEFLECTION, "visibility": "public"}, htmx=True)
    assert refused.status_code == 422
    panel = refused.text[refused.text.index('id="guard-panel"'):]
    panel = html.unescape(panel[:panel.index('<div class="composer-foot">')])
    assert 'name="guard_refused"' in panel and "Send anyway" in panel
    assert "Check the reply guard's warnings below, or send anyway." in panel
    # the draft is fixed: the panel the page swaps in says only that
    fixed = agent.post("/cases/1/guard", {"text": FIXED, "visibility": "public", "guard_refused": "1"}, htmx=True)
    assert "The reply guard sees no problem." in fixed.text
    assert "Send anyway" not in fixed.text and "Check the reply guard" not in fixed.text
    assert 'name="guard_refused"' not in fixed.text
    # still flagged: the refusal stays, with "send anyway"
    still = agent.post("/cases/1/guard", {"text": DEFLECTION, "visibility": "public", "guard_refused": "1"},
                       htmx=True)
    assert "Send anyway" in still.text and 'name="guard_refused"' in still.text


# --- defect 6: the triage correction ----------------------------------------------------------------------------


def test_the_triage_correction_offers_only_real_labels(client: TestClient, agent: Agent, world: World) -> None:
    customer_writes(client, world, "My flight was cancelled and nobody helps")
    page = agent.get("/cases/1").text
    values = re.findall(r'<option value="(\w+):([^"]+)"', page)
    assert ("intent", "complaint") in values and ("sentiment", "positive") in values
    assert ("intent", "positive") not in values
    assert all(field in ("intent", "sentiment", "topic", "urgency", "language") for field, _ in values)


@pytest.mark.parametrize("lang, expected", [
    ("en", "“positive” is not a possible intent: choose one of complaint, question"),
    ("fr", "« positive » n&#39;est pas une valeur possible pour : intention."),
])
def test_an_impossible_correction_answers_in_its_own_panel(client: TestClient, agent: Agent, world: World,
                                                           lang: str, expected: str) -> None:
    customer_writes(client, world, "My flight was cancelled and nobody helps")
    with world.runtime.db.transaction() as session:
        session.execute(update(User).where(User.id == world.agent.id).values(language=lang))
    (message,) = _messages(world)
    response = agent.post(f"/cases/1/messages/{message.id}/triage", {"correction": "intent:positive"}, htmx=True)
    assert response.status_code == 422
    assert response.text.lstrip().startswith(f'<div class="triage" id="triage-{message.id}"')
    assert 'id="timeline"' not in response.text and 'role="alert"' in response.text
    assert expected in response.text
    assert "<details class=\"tri-correct\" open>" in response.text
    assert _messages(world)[0].triage.get("intent") != "positive"


def test_a_correction_rerenders_the_timeline(client: TestClient, agent: Agent, world: World) -> None:
    customer_writes(client, world, "My flight was cancelled and nobody helps")
    (message,) = _messages(world)
    response = agent.post(f"/cases/1/messages/{message.id}/triage", {"correction": "intent:question"}, htmx=True)
    assert response.status_code == 200
    assert response.headers["hx-retarget"] == "#timeline" and 'id="timeline"' in response.text
    assert _messages(world)[0].triage["intent"] == "question"
    # without the form's single field, field and label apart still work (an older page, the API's clients)
    response = agent.post(f"/cases/1/messages/{message.id}/triage", {"field": "urgency", "label": "low"})
    assert response.status_code == 303
    assert _messages(world)[0].triage["urgency"] == "low"


# --- defect 8: the SLA line --------------------------------------------------------------------------------------

AT = datetime(2026, 12, 6, 13, 10, tzinfo=UTC)


@pytest.mark.parametrize("lang, due, expected", [
    ("en", AT + timedelta(minutes=25), "First response due in 25 min (at 14:35)"),
    ("fr", AT + timedelta(minutes=25), "Première réponse attendue dans 25 min (à 14:35)"),
    ("en", AT + timedelta(hours=1, minutes=5), "First response due in 1 h 5 min (at 15:15)"),
    ("en", datetime(2026, 12, 12, 8, 0, tzinfo=UTC), "First response due 12 Dec 09:00"),
    ("fr", datetime(2026, 12, 12, 8, 0, tzinfo=UTC), "Première réponse attendue le 12 déc. 09:00"),
    ("en", AT - timedelta(minutes=10), "First response overdue by 10 min (was due at 14:00)"),
    ("en", datetime(2026, 12, 1, 8, 0, tzinfo=UTC), "First response overdue since 1 Dec 09:00"),
    ("en", datetime(2027, 1, 12, 8, 0, tzinfo=UTC), "First response due 12 Jan 2027 09:00"),
])
def test_sla_due_times_read_as_sentences(lang: str, due: datetime, expected: str) -> None:
    text = conversation_format.sla_due("first_response", due, lang, "Europe/Paris", AT)
    assert text == expected


def test_the_sla_line_has_no_seconds_and_no_dates_run_together(client: TestClient, agent: Agent,
                                                                world: World) -> None:
    customer_writes(client, world, "Hello?")
    with world.runtime.db.transaction() as session:
        case = session.scalar(select(Case).where(Case.workspace_id == world.workspace_id))
        assert case is not None
        case.sla_status = "ok"
        case.sla_first_response_due = datetime.now(UTC) + timedelta(minutes=25, seconds=30)
        case.sla_resolution_due = datetime.now(UTC) + timedelta(days=3)
    page = agent.get("/cases/1").text
    line = page[page.index('id="case-sla-line"'):]
    line = re.sub(r"<[^>]+>", "", line[:line.index("</p>")])
    assert re.search(r"First response due in 25 min \(at \d\d:\d\d\)", line), line
    assert re.search(r"Resolution due \d{1,2} \w{3} \d\d:\d\d", line), line
    assert not re.search(r"\d\d:\d\d:\d\d", line)
