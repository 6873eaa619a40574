"""What a network allows decides what Compris queues: no private message where the network has none (review sites,
YouTube), no automatic acknowledgement on a review, replies posted by hand where the platform has no API for them
(the sandbox network imitating Tripadvisor), and which interrupted sends may be tried again."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from compris.connectors import registry
from compris.connectors.base import Connector, Visibility
from compris.connectors.sandbox import SandboxConnector
from compris.inbox import actions
from compris.inbox.queries import get_case
from compris.kit.errors import Invalid
from compris.models import ChannelAccount, DeliveryState, Message, Outbox, User
from tests.conftest import World
from tests.inbox.test_outbound import FlakyNetwork, _case_with_message, _reply


def test_a_private_reply_is_refused_where_the_network_has_no_private_messages(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SandboxConnector, "private_messages", False)
    number = _case_with_message(world)
    with pytest.raises(Invalid, match="no private messages"):
        _reply(world, number, visibility="private")
    with world.runtime.db.transaction() as s:
        assert s.scalars(select(Outbox)).all() == []
    _reply(world, number, visibility="public")  # a public answer is what such a network takes


def test_which_networks_have_no_private_messages() -> None:
    without = {n for n, c in registry.connectors().items() if not c.private_messages}
    assert without == {"google", "yelp", "tripadvisor", "youtube"}


def test_no_automatic_public_acknowledgement_on_a_review(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SandboxConnector, "reviews", True)
    number = _case_with_message(world)
    rt = world.runtime
    with rt.db.transaction() as s:
        case = get_case(s, world.workspace_id, number)
        with pytest.raises(Invalid, match="automatic acknowledgement"):
            actions.queue_outbound(s, rt.publisher, case=case, text="We received your message.",
                                   visibility="public", origin=actions.AUTO_ACK)


def _flavour(world: World, flavour: str) -> None:
    with world.runtime.db.transaction() as s:
        s.execute(update(ChannelAccount).where(ChannelAccount.id == world.account.id)
                  .values(settings={"api_base": "http://sandbox.invalid", "flavour": flavour}))


def test_the_sandbox_imitating_tripadvisor_keeps_public_replies_to_post_by_hand(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    network = FlakyNetwork(failures=0)
    monkeypatch.setattr(SandboxConnector, "send", network.send)
    _flavour(world, "tripadvisor")
    number = _case_with_message(world)
    message_id = _reply(world, number, text="Thank you for your review.")
    world.run_jobs()
    assert network.calls == []  # nothing sent: the agent posts it
    with world.runtime.db.transaction() as s:
        assert s.scalars(select(Outbox)).one().state == DeliveryState.MANUAL
        message = s.get(Message, message_id)
        agent = s.get(User, world.agent.id)
        assert message is not None and agent is not None
        assert actions.confirm_manual_send(s, world.runtime.publisher, actor=agent, message=message)
        assert message.delivery_state == DeliveryState.SENT
    assert network.calls == []


def test_other_flavours_send_their_replies(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    network = FlakyNetwork(failures=0)
    monkeypatch.setattr(SandboxConnector, "send", network.send)
    _flavour(world, "google")
    number = _case_with_message(world)
    _reply(world, number)
    world.run_jobs()
    assert len(network.calls) == 1


def test_a_network_may_be_idempotent_for_one_kind_of_reply_only(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a network whose public replies carry our key but whose private messages do not (Bluesky)
    network = FlakyNetwork(failures=0)
    monkeypatch.setattr(SandboxConnector, "send", network.send)
    monkeypatch.setattr(SandboxConnector, "idempotent",
                        lambda self, visibility: visibility == Visibility.PUBLIC)
    number = _case_with_message(world)
    public_id = _reply(world, number, text="Public answer.", key="k-pub")
    private_id = _reply(world, number, text="Private answer.", key="k-priv", visibility="private")
    # when both are left "sending" by a dead worker and the jobs run again
    with world.runtime.db.transaction() as s:
        for outbox in s.scalars(select(Outbox)):
            outbox.state = DeliveryState.SENDING
    world.run_jobs()
    # then the public reply is sent again (safe), the private one waits for a person
    with world.runtime.db.transaction() as s:
        states = {m.id: m.delivery_state for m in s.scalars(select(Message).where(Message.id.in_([public_id,
                                                                                                  private_id])))}
    assert states == {public_id: DeliveryState.SENT, private_id: DeliveryState.UNCERTAIN}
    assert [c.text for c in network.calls] == ["Public answer."]


def test_bluesky_says_which_replies_are_idempotent() -> None:
    bluesky = registry.get("bluesky")
    assert bluesky.idempotent(Visibility.PUBLIC) and not bluesky.idempotent(Visibility.PRIVATE)
    assert Connector().idempotent(Visibility.PUBLIC) is False
    assert registry.get("whatsapp").idempotent(Visibility.PRIVATE) == registry.get("whatsapp").supports_idempotency


def test_the_sandbox_imitating_a_review_site_has_no_private_messages(world: World) -> None:
    _flavour(world, "google")
    number = _case_with_message(world)
    with pytest.raises(Invalid, match="no private messages"):
        _reply(world, number, visibility="private")
    sandbox = registry.get("sandbox")
    assert not sandbox.has_private_messages({"flavour": "tripadvisor"})
    assert sandbox.has_private_messages({"flavour": "x"}) and sandbox.has_private_messages({})


def test_an_account_names_its_network_and_the_sandbox_the_platform_it_imitates() -> None:
    from types import SimpleNamespace

    from compris.web.pages.render import network_name

    assert registry.get("sandbox").name_for({"flavour": "vk"}) == "VKontakte (sandbox)"
    assert registry.get("sandbox").name_for({}) == "Sandbox network"
    assert registry.get("x").name_for({"flavour": "vk"}) == "X"
    assert network_name("sandbox", SimpleNamespace(settings={"flavour": "tripadvisor"})) == "Tripadvisor (sandbox)"
    assert network_name("sandbox") == "Sandbox network" and network_name("myspace") == "myspace"
