"""The guard at send time (blocks, warnings, overrides, events), move to private, X's length."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from compris.channels.actions import create_account
from compris.connectors import registry
from compris.connectors.base import Author, InboundMessage, Visibility
from compris.inbox import actions as inbox
from compris.inbox.outbound import _own_extra
from compris.kit.errors import Invalid
from compris.models import CaseEvent, GuardEvent, Message, Thread
from compris.replies import actions as reply_actions
from compris.replies import settings as reply_settings
from compris.replies.composition import with_mention
from compris.replies.guard import GuardContext, check
from compris.replies.queries import guard_stats
from tests.conftest import SECRET, World
from tests.replies.helpers import case_of, customer_writes, session_of, user

COMPLAINT = "My flight was cancelled and nobody at your airport helps, worst airline ever!"
DEFLECTION = "Please contact customer service between 9am and 5pm."


def _outbound(world: World) -> list[Message]:
    with session_of(world) as s:
        return list(s.scalars(select(Message).where(Message.workspace_id == world.workspace_id,
                                                    Message.direction == "outbound").order_by(Message.id)))


def test_a_blocking_finding_refuses_the_send_even_with_override(world: World) -> None:
    customer_writes(world, "Where is my refund? I paid two weeks ago.")
    with session_of(world) as s:
        agent, case = user(s, world.agent), case_of(s, world)
        with pytest.raises(reply_actions.GuardRefused) as exc:
            reply_actions.send_agent_reply(s, world.runtime.publisher, actor=agent, case=case, visibility="public",
                                     text="Please reply here with your booking reference and e-mail address.",
                                     override={reply_actions.ALL_WARNINGS})
        assert exc.value.blocked
        assert "asks_personal_data" in {f.rule for f in exc.value.findings}
    assert _outbound(world) == []


def test_warnings_need_an_override_and_every_finding_is_recorded(world: World) -> None:
    customer_writes(world, COMPLAINT)
    with session_of(world) as s:
        agent, case = user(s, world.agent), case_of(s, world)
        with pytest.raises(reply_actions.GuardRefused) as exc:
            reply_actions.send_agent_reply(s, world.runtime.publisher, actor=agent, case=case, visibility="public",
                                     text=DEFLECTION, idempotency_key="try-1")
        assert not exc.value.blocked
        rules = {f.rule for f in exc.value.findings}
        assert {"send_elsewhere", "office_hours", "no_acknowledgement"} <= rules
        # the edge records a refusal (the refused action wrote nothing)
        reply_actions.record_guard_events(s, world.runtime.publisher, actor=agent, case=case,
                                          findings=exc.value.findings, attempt_key="try-1")
    with session_of(world) as s:
        agent, case = user(s, world.agent), case_of(s, world)
        sent = reply_actions.send_agent_reply(s, world.runtime.publisher, actor=agent, case=case, visibility="public",
                                        text=DEFLECTION, idempotency_key="try-1",
                                        override={reply_actions.ALL_WARNINGS})
        assert {f.rule for f in sent.findings} == rules
        message_id = sent.message.id
    with session_of(world) as s:
        events = list(s.scalars(select(GuardEvent).where(GuardEvent.workspace_id == world.workspace_id)))
        assert sorted(e.rule for e in events) == sorted(rules)  # the same attempt is counted once
        assert all(e.overridden and e.message_id == message_id and e.user_id == world.agent.id for e in events)
        stats = {r.rule: r for r in guard_stats(s, world.workspace_id, 7)}
        assert stats["office_hours"].fired == 1 and stats["office_hours"].overridden == 1
        assert stats["office_hours"].override_rate == 1.0


def test_one_warning_overridden_by_name_and_workspace_severities(world: World) -> None:
    customer_writes(world, "Hi there, what time does the lounge open tomorrow morning?")
    with session_of(world) as s:
        admin = user(s, world.admin)
        data = reply_settings.guard_data_from_form(words="cheap => affordable", signoff_required=False, signoffs="",
                                                   signoff_pattern="", address_form="", emoji_allowed=False,
                                                   severities={"tone_emoji": "block", "tone_words": "warning"})
        reply_actions.save_reply_settings(s, actor=admin, tone_guide="Warm, short, no jargon.", guard_data=data,
                                          permissions={})
    with session_of(world) as s:
        agent, case = user(s, world.agent), case_of(s, world)
        with pytest.raises(reply_actions.GuardRefused) as exc:
            reply_actions.send_agent_reply(s, world.runtime.publisher, actor=agent, case=case, visibility="public",
                                     text="The lounge opens at 6, a cheap coffee awaits 🙂")
        assert exc.value.blocked and {"tone_emoji", "tone_words"} <= {f.rule for f in exc.value.findings}
        sent = reply_actions.send_agent_reply(s, world.runtime.publisher, actor=agent, case=case, visibility="public",
                                        text="The lounge opens at 6, a cheap coffee awaits.", override={"tone_words"})
        assert [f.rule for f in sent.findings] == ["tone_words"]


def test_promises_follow_the_role_permissions(world: World) -> None:
    customer_writes(world, "You cancelled my flight, I want my money back now.")
    text = "I'm so sorry. I have issued a full refund to your card today."
    with session_of(world) as s:
        agent, admin, case = user(s, world.agent), user(s, world.admin), case_of(s, world)
        with pytest.raises(reply_actions.GuardRefused) as exc:
            reply_actions.send_agent_reply(s, world.runtime.publisher, actor=agent, case=case, visibility="private",
                                     text=text)
        assert [f.rule for f in exc.value.findings if f.severity == "block"] == ["unauthorised_promise"]
        sent = reply_actions.send_agent_reply(s, world.runtime.publisher, actor=admin, case=case, visibility="private",
                                        text=text)
        assert sent.message.visibility == "private"


def test_move_to_private_produces_both_messages_on_one_case(world: World) -> None:
    customer_writes(world, "Bonjour, mon vol AF123 a été annulé et personne ne me répond depuis ce matin !",
                    author="marie")
    with session_of(world) as s:
        agent, case = user(s, world.agent), case_of(s, world)
        moved = reply_actions.move_to_private(
            s, world.runtime.publisher, actor=agent, case=case, idempotency_key="mv-1",
            private_text="Toutes nos excuses, Marie. Pouvez-vous m'indiquer votre numéro de dossier ?")
        again = reply_actions.move_to_private(  # a double submit: the same two messages
            s, world.runtime.publisher, actor=agent, case=case, idempotency_key="mv-1",
            private_text="Toutes nos excuses, Marie. Pouvez-vous m'indiquer votre numéro de dossier ?")
        assert (again.public.id, again.private.id) == (moved.public.id, moved.private.id)
        case_id = case.id
    public, private = _outbound(world)
    assert public.case_id == private.case_id == case_id
    assert (public.visibility, private.visibility) == ("public", "private")
    assert public.text == "Nous vous avons écrit en message privé."
    with session_of(world) as s:
        thread = s.get(Thread, private.thread_id)
        assert thread is not None and thread.platform_thread_key == "dm-marie" and thread.visibility == "private"
        kinds = set(s.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)))
        assert "moved_to_private" in kinds
    world.run_jobs()  # both go through the outbox (the sandbox stand-in is unreachable: retried, not lost)


def test_move_to_private_on_a_facebook_comment_uses_the_private_reply(world: World) -> None:
    with session_of(world) as s:
        account = create_account(s, SECRET, workspace_id=world.workspace_id, network="facebook", name="Acme FB",
                                 external_id="page-1", settings={},
                                 secrets={"app_secret": "a", "verify_token": "v", "page_access_token": "t"})
        at = datetime.now(UTC)
        inbound = InboundMessage(
            platform_message_id="post-1_c-9", thread_key="post-1", visibility=Visibility.PUBLIC,
            author=Author(platform_user_id="psid-7", name="Jo Smith"), text="Where is my parcel? Order is late.",
            created_at=at, reply_to_platform_id="post-1",
            extra={"channel": "facebook_feed", "item": "comment", "comment_id": "post-1_c-9",
                   "comment_created_at": at.isoformat()})
        inbox.record_inbound(s, world.runtime.publisher, account, inbound)
    with session_of(world) as s:
        agent, case = user(s, world.agent), case_of(s, world)
        moved = reply_actions.move_to_private(s, world.runtime.publisher, actor=agent, case=case,
                                              idempotency_key="fb-1",
                                              private_text="Sorry Jo, could you send me your order number here?")
        assert moved.private.platform_extra == {"private_reply_to_comment": "post-1_c-9", "origin": "agent"}
        own = _own_extra(moved.private)
        assert own["private_reply_to_comment"] == "post-1_c-9" and set(own) == {"private_reply_to_comment",
                                                                                  "queued_at"}
        assert set(_own_extra(moved.public)) == {"queued_at"}  # no private reply on the public answer
        assert moved.public.text == "We have sent you a private message."


def test_move_to_private_needs_a_public_message(world: World) -> None:
    customer_writes(world, "Hello, a question about my order", kind="dm", author="pat")
    with session_of(world) as s:
        with pytest.raises(Invalid, match="public message"):
            reply_actions.move_to_private(s, world.runtime.publisher, actor=user(s, world.agent),
                                          case=case_of(s, world), private_text="Hi", idempotency_key="x")
        assert s.scalar(select(func.count()).select_from(Message).where(Message.direction == "outbound")) == 0


def test_x_counts_urls_as_23_and_leading_mentions_free() -> None:
    # given X's connector: its own unit, "x"
    x = registry.get("x")
    url = "https://example.com/" + "a" * 200
    draft = "@jo_smith @acme Here is the page: " + url
    # then it counts URLs as 23, CJK and emoji as 2, and the mentions opening a public reply as nothing
    assert x.limits.length_unit == "x"
    assert x.limits.count(draft, Visibility.PUBLIC) == len("Here is the page: ") + 23
    assert x.limits.count(draft, Visibility.PRIVATE) == len("@jo_smith @acme Here is the page: ") + 23
    assert x.limits.count("日本", Visibility.PUBLIC) == 4 and x.limits.count("👨‍👩‍👧‍👦", Visibility.PUBLIC) == 2
    # and the guard measures in the unit the connector gives it
    ctx = GuardContext(max_length=280, length_unit=x.limits.length_unit, network=x.display_name)
    assert [f.rule for f in check(draft, ctx)] == []  # 290 characters, 41 as X counts them
    too_long = check("a" * 275 + " " + url, ctx)
    assert [f.rule for f in too_long] == ["too_long"]
    assert too_long[0].span == (276, 276 + len(url))


def test_mentions_prefilled_where_the_connector_says_so() -> None:
    assert registry.get("x").reply_mention(Visibility.PUBLIC, "@jo") == "@jo "
    assert registry.get("x").reply_mention(Visibility.PRIVATE, "@jo") == ""
    assert registry.get("facebook").reply_mention(Visibility.PUBLIC, "jo") == ""
    assert with_mention("Thanks!", "@jo ") == "@jo Thanks!"
    assert with_mention("@jo Thanks!", "@jo ") == "@jo Thanks!"
