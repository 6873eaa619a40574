"""Subscription writes: what a URL may be, event types, secrets encrypted and never audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from compris.kit.crypto import decrypt_json
from compris.kit.errors import Conflict, Invalid
from compris.models import CaseEvent, User, WebhookSubscription
from compris.subscriptions import actions, queries
from tests.conftest import SECRET, World


@pytest.mark.parametrize("url", [
    "https://hooks.brand.example/compris", "https://hooks.brand.example:8443/x?y=1", "https://93.184.216.34/hook",
])
def test_good_urls(url: str) -> None:
    assert actions.check_url(f"  {url} ") == url


@pytest.mark.parametrize(("url", "why"), [
    ("", "required"), ("http://hooks.brand.example/x", "https://"), ("ftp://x.example", "https://"),
    ("hooks.brand.example", "https://"), ("https://", "not valid"), ("https://a b.example", "not valid"),
    ("https://user:pw@hooks.brand.example", "user name"), ("https://127.0.0.1/x", "this machine"),
    ("https://localhost/x", "this machine"), ("https://10.0.0.5/x", "private"),
    ("https://169.254.169.254/latest", "private"), ("https://[::1]/x", "this machine"),
    ("https://[fd00::1]/x", "private"), ("http://127.0.0.1:9000/x", "https://"), ("https://x.example:99999/", "valid"),
    ("https://" + "a" * 2000 + ".example", "at most"),
])
def test_bad_urls(url: str, why: str) -> None:
    with pytest.raises(Invalid, match=why):
        actions.check_url(url)


def test_local_http_only_when_allowed() -> None:
    for url in ("http://127.0.0.1:9000/x", "http://localhost:9000/x", "http://[::1]:9000/x"):
        assert actions.check_url(url, allow_local_http=True) == url
    with pytest.raises(Invalid):
        actions.check_url("http://hooks.brand.example/x", allow_local_http=True)
    with pytest.raises(Invalid):
        actions.check_url("http://10.0.0.1/x", allow_local_http=True)
    with pytest.raises(Invalid, match="private"):
        actions.check_url("https://10.0.0.1/x", allow_local_http=True)


def test_event_types() -> None:
    assert actions.check_event_types(["survey.answered", " escalation.answered", "survey.answered"]) == [
        "escalation.answered", "survey.answered"]
    assert actions.check_event_types(["survey.answered", "*"]) == ["*"]
    with pytest.raises(Invalid, match="at least one"):
        actions.check_event_types([" "])
    with pytest.raises(Invalid, match=r"unknown event type: escalation\.eaten"):
        actions.check_event_types(["escalation.eaten", "survey.answered"])
    with pytest.raises(Invalid):
        actions.check_event_types(["ping"])


def test_the_secret_is_generated_encrypted_rotated_and_never_audited(world: World) -> None:
    with world.runtime.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        row, secret = actions.create_subscription(s, None, actor=admin, secret_key=SECRET,
                                                  url="https://hooks.brand.example/c", event_types=["*"],
                                                  description="CRM")
        assert secret.startswith("whsec_") and len(secret) > 40
        assert secret not in row.secret and decrypt_json(SECRET, row.secret) == {"secret": secret}
        assert queries.secret_hint(SECRET, row) == "••••" + secret[-4:]
        rotated = actions.rotate_secret(s, None, actor=admin, secret_key=SECRET, subscription=row)
        assert rotated != secret and queries.secret_of(SECRET, row) == rotated and row.secret_rotated_at
        actions.update_subscription(s, None, actor=admin, subscription=row, description="CRM sync",
                                    event_types=["survey.answered"])
        actions.update_subscription(s, None, actor=admin, subscription=row, description="CRM sync")  # no change
        sub_id = row.id
    with world.runtime.db.transaction() as s:
        audit = [e.data for e in s.scalars(select(CaseEvent).where(CaseEvent.kind == "settings_changed"))
                 if e.data.get("entity") == "webhook_subscription"]
        assert [(a["action"], a["entity_id"]) for a in audit] == [
            ("created", sub_id), ("secret_rotated", sub_id), ("updated", sub_id)]
        assert audit[2]["changes"] == ["description", "event_types"]
        assert secret not in str(audit) and rotated not in str(audit)


def test_enabling_again_clears_the_disabled_state(world: World) -> None:
    with world.runtime.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        row, _ = actions.create_subscription(s, None, actor=admin, secret_key=SECRET,
                                             url="https://hooks.brand.example/c", event_types=["*"])
        row.consecutive_failures = 5
        actions.disable(s, None, row, reason="failures")
        assert not row.is_active and row.disabled_reason == "failures"
        actions.update_subscription(s, None, actor=admin, subscription=row, is_active=True)
        assert row.is_active and row.disabled_at is None and row.disabled_reason is None
        assert row.consecutive_failures == 0
        assert s.scalars(select(WebhookSubscription)).one() is row


def test_only_a_failed_delivery_is_sent_again(world: World) -> None:
    with world.runtime.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        row, _ = actions.create_subscription(s, None, actor=admin, secret_key=SECRET,
                                             url="https://hooks.brand.example/c", event_types=["*"])
        delivery = actions.send_ping(s, world.runtime.publisher, actor=admin, subscription=row)
        assert delivery.event_type == "ping" and delivery.payload["data"]["subscription_id"] == row.id
        with pytest.raises(Conflict):
            actions.redeliver(s, world.runtime.publisher, actor=admin, delivery=delivery)
