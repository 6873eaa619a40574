"""The SLA's administrative actions: each checks its input, writes, leaves an audit row and emits SettingsChanged."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.kit.errors import Conflict, Invalid, NotFound
from compris.models import BusinessHours, ChannelAccount, SlaPolicy, SlaSettings, User
from compris.runtime import Runtime
from compris.sla import actions
from tests.conftest import World
from tests.routing.test_admin_actions import audit, recorded


def admin(s: Session, world: World) -> User:
    user = s.get(User, world.admin.id)
    assert user is not None
    return user


def test_hours_policies_settings_and_publication_are_audited(runtime: Runtime, world: World) -> None:
    # given / when
    with recorded() as seen, runtime.db.transaction() as s:
        office = actions.save_business_hours(s, runtime.publisher, actor=admin(s, world), name="Office",
                                             timezone="Europe/Paris", lines="mon-fri 09:00-17:00")
        same = actions.save_business_hours(s, runtime.publisher, actor=admin(s, world), name="office",
                                           timezone="Europe/Paris", lines="mon-fri 09:00-18:00")
        assert same.id == office.id  # the page's form replaces the calendar of that name
        policy = actions.create_policy(s, runtime.publisher, actor=admin(s, world), name="Complaints on X",
                                       networks="X, x", intents=["complaint"], first_response_s=600,
                                       business_hours_id=office.id, channel_account_ids=[world.account.id])
        assert policy.warn_before_s == 120  # a fifth of the first-response target
        actions.update_policy(s, runtime.publisher, actor=admin(s, world), policy_id=policy.id,
                              first_response_s=None, business_hours_id=None, name="Complaints")
        actions.save_settings(s, runtime.publisher, actor=admin(s, world), webhook_url=" https://hooks.test/a ",
                              alert_at_risk=False)
        pub = actions.set_publication(s, runtime.publisher, actor=admin(s, world), account_id=world.account.id,
                                      auto_ack=True)
        first_id = pub.public_id
        actions.set_publication(s, runtime.publisher, actor=admin(s, world), account_id=world.account.id,
                                regenerate=True)
        actions.delete_policy(s, runtime.publisher, actor=admin(s, world), policy_id=policy.id)
        ids = office.id, policy.id
    # then
    with runtime.db.transaction() as s:
        hours = s.scalars(select(BusinessHours)).one()
        assert hours.hours["weekly"]["0"] == ["09:00-18:00"]
        assert s.scalars(select(SlaPolicy)).all() == []
        settings = s.scalars(select(SlaSettings)).one()
        assert (settings.webhook_url, settings.alert_at_risk) == ("https://hooks.test/a", False)
        account = s.get(ChannelAccount, world.account.id)
        assert account is not None
    assert [(e.entity, e.action, e.changes) for e in seen] == [
        ("business_hours", "created", ("hours", "name", "timezone")),
        ("business_hours", "updated", ("hours",)),
        ("sla_policy", "created", ("business_hours_id", "channel_account_ids", "first_response_s", "intents",
                                   "min_priority", "name", "networks", "next_response_s", "position",
                                   "resolution_s", "warn_before_s")),
        ("sla_policy", "updated", ("business_hours_id", "first_response_s", "name")),
        ("sla_settings", "updated", ("alert_at_risk", "webhook_url")),
        ("wait_publication", "created", ("auto_ack", "public_id")),
        ("wait_publication", "updated", ("public_id",)),
        ("sla_policy", "deleted", ()),
    ]
    assert seen[0].entity_id == ids[0] and seen[2].entity_id == ids[1]
    assert seen[-2].entity_id is not None and first_id.startswith("w_")
    rows = audit(runtime, world.workspace_id)
    assert [(r["entity"], r["action"], r["changes"]) for r in rows] == [
        (e.entity, e.action, list(e.changes)) for e in seen]


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"name": ""}, Invalid, "a policy needs a name"),
    ({"name": "P", "first_response_s": -60}, Invalid, "first response: not negative"),
    ({"name": "P", "resolution_s": 400 * 24 * 3600}, Invalid, "resolution: at most a year"),
    ({"name": "P", "business_hours_id": 999999}, NotFound, "no such business hours"),
    ({"name": "P", "channel_account_ids": [999999]}, NotFound, "no such channel account: 999999"),
    ({"name": "P", "min_priority": -1}, Invalid, "min_priority"),
    ({"name": "P", "networks": [1]}, Invalid, "networks: a list of words"),
])
def test_bad_policy_input_is_refused_and_nothing_is_written(runtime: Runtime, world: World, kwargs: dict[str, Any],
                                                            error: type[Exception], message: str) -> None:
    with recorded() as seen, runtime.db.transaction() as s:
        with pytest.raises(error, match=message):
            actions.create_policy(s, runtime.publisher, actor=admin(s, world), **kwargs)
        assert s.scalars(select(SlaPolicy)).all() == []
    assert seen == [] and audit(runtime, world.workspace_id) == []


def test_bad_hours_settings_and_updates(runtime: Runtime, world: World, world_factory: Any) -> None:
    other = world_factory("globex")
    with runtime.db.transaction() as s:
        theirs = actions.create_business_hours(s, runtime.publisher, actor=admin(s, other), name="Theirs")
        theirs_id = theirs.id
        mine = actions.create_business_hours(s, runtime.publisher, actor=admin(s, world), name="Office")
        policy = actions.create_policy(s, runtime.publisher, actor=admin(s, world), name="P")
        ids = mine.id, policy.id
    with recorded() as seen, runtime.db.transaction() as s:
        with pytest.raises(Conflict):
            actions.create_business_hours(s, runtime.publisher, actor=admin(s, world), name="OFFICE")
        with pytest.raises(Invalid, match="unknown time zone"):
            actions.update_business_hours(s, runtime.publisher, actor=admin(s, world), hours_id=ids[0],
                                          timezone="Nowhere/Else")
        with pytest.raises(NotFound):
            actions.update_business_hours(s, runtime.publisher, actor=admin(s, world), hours_id=theirs_id, name="X")
        with pytest.raises(NotFound):
            actions.create_policy(s, runtime.publisher, actor=admin(s, world), name="P2", business_hours_id=theirs_id)
        with pytest.raises(Invalid, match="name cannot be null"):
            actions.update_policy(s, runtime.publisher, actor=admin(s, world), policy_id=ids[1], name=None)
        with pytest.raises(Invalid, match="webhook URL must start"):
            actions.save_settings(s, runtime.publisher, actor=admin(s, world), webhook_url="ftp://nope")
        with pytest.raises(NotFound):
            actions.set_publication(s, runtime.publisher, actor=admin(s, world), account_id=other.account.id)
    assert seen == []


def test_business_hours_in_use_are_not_deleted(runtime: Runtime, world: World, world_factory: Any) -> None:
    other = world_factory("globex")
    # given business hours two policies use
    with runtime.db.transaction() as s:
        office = actions.create_business_hours(s, runtime.publisher, actor=admin(s, world), name="Office")
        first = actions.create_policy(s, runtime.publisher, actor=admin(s, world), name="Complaints", position=1,
                                      business_hours_id=office.id)
        actions.create_policy(s, runtime.publisher, actor=admin(s, world), name="Everything else", position=2,
                              business_hours_id=office.id)
        ids = office.id, first.id
    # when they are deleted: refused with the policies named, nothing written; another workspace's: not found
    with recorded() as seen, runtime.db.transaction() as s:
        with pytest.raises(Conflict, match=r"used by the SLA policies: Complaints, Everything else \(give them other"):
            actions.delete_business_hours(s, runtime.publisher, actor=admin(s, world), hours_id=ids[0])
        with pytest.raises(NotFound):
            actions.delete_business_hours(s, runtime.publisher, actor=admin(s, other), hours_id=ids[0])
    assert seen == []
    # then, once no policy uses them, they are deleted and audited
    with recorded() as seen, runtime.db.transaction() as s:
        actions.update_policy(s, runtime.publisher, actor=admin(s, world), policy_id=ids[1], business_hours_id=None)
        actions.delete_policy(s, runtime.publisher, actor=admin(s, world),
                              policy_id=s.scalars(select(SlaPolicy.id).where(SlaPolicy.name == "Everything else"))
                              .one())
        actions.delete_business_hours(s, runtime.publisher, actor=admin(s, world), hours_id=ids[0])
    assert [(e.entity, e.action, e.entity_id) for e in seen][-1] == ("business_hours", "deleted", ids[0])
    with runtime.db.transaction() as s:
        assert s.scalars(select(BusinessHours)).all() == []
        assert s.scalars(select(SlaPolicy.business_hours_id)).all() == [None]
