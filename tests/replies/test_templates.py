"""Templates: variables, the customer's language, missing values caught, usage counted, search, validation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from compris.kit.clock import now
from compris.kit.errors import Conflict, Invalid
from compris.models import CaseEvent, ReplyTemplate, Workspace
from compris.replies import actions as reply_actions
from compris.replies import queries, rendering
from compris.replies.actions import create_template, ensure_default_templates
from tests.conftest import World
from tests.replies.helpers import case_of, customer_writes, session_of, user

BODIES = {"en": "Hi {first_name}, this is {agent_name} about {case_ref}.",
          "fr": "Bonjour {first_name}, ici {agent_name} au sujet de {case_ref}."}


def test_render_fills_variables_and_reports_the_missing() -> None:
    text, missing = rendering.render("Hi {first_name}, wait {wait_time}. {unknown}", {"first_name": "Marie"})
    assert text == "Hi Marie, wait {wait_time}. {unknown}"
    assert missing == ["wait_time"]  # unknown names are left alone, not reported
    with pytest.raises(rendering.MissingVariables) as exc:
        rendering.render_strict("Hi {first_name}, wait {wait_time}", {"first_name": None})
    assert exc.value.names == ["first_name", "wait_time"]
    assert "{first_name}" in exc.value.message and "{wait_time}" in exc.value.message
    assert rendering.unfilled("Thanks {first_name}!") == ["first_name"]
    assert rendering.unfilled("a {json} blob") == []


def test_language_variant_case_then_workspace_default_then_english() -> None:
    assert rendering.pick_language(BODIES, "fr", "en") == "fr"
    assert rendering.pick_language(BODIES, "fr-CA", "en") == "fr"
    assert rendering.pick_language(BODIES, "de", "fr") == "fr"  # no German: the workspace's default
    assert rendering.pick_language(BODIES, None, "es") == "en"
    assert rendering.pick_language({"fr": "Bonjour"}, "en", "en") == "fr"  # the only variant


def test_a_template_rendered_for_a_case_in_its_language(world: World) -> None:
    customer_writes(world, "Bonjour, ma valise n'est pas arrivée à Roissy hier soir, pouvez-vous m'aider ?",
                    author="marie")
    with session_of(world) as s:
        agent = user(s, world.agent)
        case = case_of(s, world)
        assert case.language == "fr"
        template = create_template(s, actor=agent, name="Hello", bodies=BODIES, shortcut="hello")
        rendered = queries.render_for_case(s, template, case, agent)
        assert rendered.language == "fr"
        assert rendered.text == f"Bonjour Marie, ici {agent.name} au sujet de #{case.number}."
        assert rendered.missing == []
        case.language = None
        workspace = s.get(Workspace, world.workspace_id)
        assert workspace is not None
        workspace.default_language = "en"
        assert queries.render_for_case(s, template, case, agent).text.startswith("Hi Marie")


def test_missing_values_are_caught_before_sending(world: World) -> None:
    customer_writes(world, "Hello, any news on my refund request?")
    with session_of(world) as s:
        agent, case = user(s, world.agent), case_of(s, world)
        template = create_template(s, actor=agent, name="Wait", bodies={"en": "Hi {first_name}, expect {wait_time}."})
        rendered = queries.render_for_case(s, template, case, agent)
        assert rendered.missing == ["wait_time"]
        with pytest.raises(rendering.MissingVariables) as exc:
            reply_actions.send_agent_reply(s, world.runtime.publisher, actor=agent, case=case, text=rendered.text,
                                     visibility="public", template_id=template.id)
        assert exc.value.names == ["wait_time"]
        assert template.usage_count == 0


def test_usage_is_counted_when_a_reply_from_a_template_is_sent(world: World) -> None:
    customer_writes(world, "Hello, can you tell me when the shop opens on Sunday?")
    with session_of(world) as s:
        agent, case = user(s, world.agent), case_of(s, world)
        template = create_template(s, actor=agent, name="Opening", bodies={"en": "Hi {first_name}, we open at 10."})
        text = queries.render_for_case(s, template, case, agent).text
        sent = reply_actions.send_agent_reply(s, world.runtime.publisher, actor=agent, case=case, text=text,
                                        visibility="public", template_id=template.id, idempotency_key="k1")
        assert sent.message.text == text
        template_id = template.id
    with session_of(world) as s:
        row = s.get(ReplyTemplate, template_id)
        assert row is not None and row.usage_count == 1 and row.last_used_at is not None
        used = s.scalar(select(CaseEvent).where(CaseEvent.kind == "template_used"))
        assert used is not None and used.data["template_id"] == template_id


def test_validation_and_search(world: World) -> None:
    with session_of(world) as s:
        agent = user(s, world.agent)
        with pytest.raises(Invalid, match=r"unknown variables: \{firstname\}"):
            create_template(s, actor=agent, name="Typo", bodies={"en": "Hi {firstname}"})
        with pytest.raises(Invalid, match="at least one language"):
            create_template(s, actor=agent, name="Empty", bodies={"en": "  "})
        create_template(s, actor=agent, name="Lost baggage", bodies={"en": "Sorry about your bag."}, shortcut="bag")
        create_template(s, actor=agent, name="Delay", bodies={"fr": "Désolé pour le retard."}, shortcut="delay",
                        team="Paris")
        with pytest.raises(Conflict, match="another template has this shortcut"):
            create_template(s, actor=agent, name="Other", bodies={"en": "x"}, shortcut="bag")
        with pytest.raises(Conflict, match="another template has this name"):
            create_template(s, actor=agent, name="lost BAGGAGE", bodies={"en": "x"})
        assert [t.name for t in queries.search(s, world.workspace_id, "bag")] == ["Lost baggage"]
        assert [t.name for t in queries.search(s, world.workspace_id, "retard")] == ["Delay"]
        assert {t.name for t in queries.search(s, world.workspace_id, "", team="Lyon")} == {"Lost baggage"}
        assert ensure_default_templates(s, agent) == len(rendering.DEFAULT_TEMPLATES)
        assert ensure_default_templates(s, agent) == 0


def test_templates_never_cross_workspaces(world: World, world_factory: object) -> None:
    other = world_factory("globex")  # type: ignore[operator]
    with session_of(world) as s:
        template = create_template(s, actor=user(s, world.agent), name="Mine", bodies={"en": "x"})
        template_id = template.id
    with session_of(world) as s:
        assert queries.search(s, other.workspace_id) == []
        with pytest.raises(Exception, match="no such template"):
            queries.get_template(s, other.workspace_id, template_id)


def _answered_in_25_minutes(world: World, number: int) -> None:
    """History on the account: case ``number`` got its first response 25 minutes after it arrived."""
    with session_of(world) as s:
        case = case_of(s, world, number)
        assert case.last_channel_account_id == world.account.id
        case.first_inbound_at = now() - timedelta(minutes=40)
        case.first_response_at = now() - timedelta(minutes=15)
        case.status = "resolved"


def test_wait_time_is_the_accounts_current_expected_wait_in_the_customers_language(world: World) -> None:
    from compris.sla.prediction import MIN_HISTORY
    from tests.routing.helpers import agent as online_agent
    from tests.routing.helpers import team

    with session_of(world) as s:  # someone online (nobody online: the wait is not known)
        online_agent(s, world.workspace_id, "Alice", capacity=0, teams=(team(s, world.workspace_id, "Care",
                                                                                  default=True),))
    for n in range(1, MIN_HISTORY + 1):  # enough history for an estimate (below it the wait is "not known yet")
        customer_writes(world, f"Hello, my suitcase did not arrive in Lisbon last night ({n}).", author=f"old-{n}")
        _answered_in_25_minutes(world, n)
    customer_writes(world, "Hello, any news on my refund request from last week?", author="jo")
    customer_writes(world, "Bonjour, ma valise n'est pas arrivée à Roissy hier soir, pouvez-vous m'aider ?",
                    author="marie")
    with session_of(world) as s:
        agent = user(s, world.agent)
        en_case, fr_case = case_of(s, world, MIN_HISTORY + 1), case_of(s, world, MIN_HISTORY + 2)
        assert (en_case.language, fr_case.language) == ("en", "fr")
        template = create_template(s, actor=agent, name="Wait", bodies={
            "en": "Hi {first_name}, expect an answer in {wait_time}.",
            "fr": "Bonjour {first_name}, réponse attendue d'ici {wait_time}."})
        en = queries.render_for_case(s, template, en_case, agent)
        assert en.text.endswith("expect an answer in about 25 minutes.") and en.missing == []
        fr = queries.render_for_case(s, template, fr_case, agent)
        assert fr.text == "Bonjour Marie, réponse attendue d'ici environ 25 minutes." and fr.missing == []
        # the picker renders several templates with the same figure, each in its own language
        only_en = create_template(s, actor=agent, name="Wait EN", bodies={"en": "Wait: {wait_time}."})
        listed = queries.render_many(s, [template, only_en], fr_case, agent)
        assert [r.text for r in listed] == [fr.text, "Wait: about 25 minutes."]
        sent = reply_actions.send_agent_reply(s, world.runtime.publisher, actor=agent, case=fr_case, text=fr.text,
                                        visibility="public", template_id=template.id, override=["*"])
        assert sent.message.text == fr.text
    assert rendering.wait_wording(120, "fr-FR") == "environ 2 heures"
    assert rendering.wait_wording(1, "de") == "about 1 minute"


def test_wait_time_left_to_fill_in_when_the_wait_is_unknown(world: World) -> None:
    # nobody online and no first response on this account yet: no estimate, and no made-up number
    customer_writes(world, "Hello, any news on my refund request from last week?", author="jo")
    with session_of(world) as s:
        agent, case = user(s, world.agent), case_of(s, world)
        template = create_template(s, actor=agent, name="Wait", bodies={"en": "Expect an answer in {wait_time}."})
        assert queries.wait_minutes(s, case) is None
        rendered = queries.render_for_case(s, template, case, agent)
        assert rendered.text == "Expect an answer in {wait_time}." and rendered.missing == ["wait_time"]
        assert queries.render_many(s, [template], case, agent)[0].missing == ["wait_time"]
        with pytest.raises(rendering.MissingVariables, match=r"\{wait_time\}"):
            reply_actions.send_agent_reply(s, world.runtime.publisher, actor=agent, case=case, text=rendered.text,
                                     visibility="public", template_id=template.id)
        case.last_channel_account_id = None  # no account at all: unknown too
        assert queries.render_for_case(s, template, case, agent).missing == ["wait_time"]
