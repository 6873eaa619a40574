from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from compris.config import Settings
from compris.models import Message, RawEvent
from compris.runtime import Runtime
from compris.web.app import create_app
from tests.conftest import World


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> Iterator[TestClient]:
    settings.max_webhook_bytes = 64 * 1024
    with TestClient(create_app(settings, runtime, workers=0)) as c:
        yield c


def _stored(world: World) -> tuple[int, int]:
    with world.runtime.db.transaction() as s:
        raw = s.scalar(select(func.count()).select_from(RawEvent)) or 0
        messages = s.scalar(select(func.count()).select_from(Message)) or 0
        return int(raw), int(messages)


def test_a_signed_delivery_is_acknowledged_then_processed(client: TestClient, world: World) -> None:
    raw, headers = world.body(world.payload("Bonjour 👋"))
    response = client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers)
    assert response.status_code == 200
    assert _stored(world) == (1, 0)  # acknowledged before any processing
    world.run_jobs()
    assert _stored(world) == (1, 1)


def test_three_deliveries_give_one_message(client: TestClient, world: World) -> None:
    raw, headers = world.body(world.payload("Where is my parcel?"))
    for _ in range(3):
        assert client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers).status_code == 200
    world.run_jobs()
    assert _stored(world) == (1, 1)


@pytest.mark.parametrize("signature", [None, "", "sha256=deadbeef", "md5=abc"])
def test_a_bad_or_missing_signature_gives_401_and_stores_nothing(
    client: TestClient, world: World, signature: str | None
) -> None:
    raw, headers = world.body(world.payload())
    if signature is None:
        del headers["x-sandbox-signature"]
    else:
        headers["x-sandbox-signature"] = signature
    response = client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers)
    assert response.status_code == 401
    assert _stored(world) == (0, 0)


def test_a_signature_for_another_body_is_refused(client: TestClient, world: World) -> None:
    raw, headers = world.body(world.payload("original"))
    tampered = raw.replace(b"original", b"tampered")
    assert client.post(f"/webhooks/{world.account.id}", content=tampered, headers=headers).status_code == 401
    assert _stored(world) == (0, 0)


def test_malformed_json_gives_400_and_stores_nothing(client: TestClient, world: World) -> None:
    from compris.connectors.sandbox import sign

    raw = b'{"event_id": "x", "type": '
    headers = {"content-type": "application/json", "x-sandbox-signature": sign(world.webhook_secret, raw)}
    assert client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers).status_code == 400
    assert _stored(world) == (0, 0)


def test_an_oversized_body_gives_413(client: TestClient, world: World) -> None:
    payload = world.payload("x" * (70 * 1024))
    raw, headers = world.body(payload)
    assert client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers).status_code == 413
    assert _stored(world) == (0, 0)


def test_an_oversized_body_without_content_length_gives_413(client: TestClient, world: World) -> None:
    raw, headers = world.body(world.payload("y" * (70 * 1024)))

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(raw), 8192):
            yield raw[i : i + 8192]

    response = client.post(f"/webhooks/{world.account.id}", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert _stored(world) == (0, 0)


def test_an_unknown_account_gives_404(client: TestClient, world: World) -> None:
    raw, headers = world.body(world.payload())
    assert client.post("/webhooks/999999", content=raw, headers=headers).status_code == 404


def test_one_workspace_secret_does_not_open_another_workspace(client: TestClient, world_factory: object) -> None:
    make = world_factory  # type: ignore[assignment]
    a, b = make("alpha"), make("beta")  # type: ignore[operator]
    raw, headers = a.body(a.payload("for alpha"))
    assert client.post(f"/webhooks/{b.account.id}", content=raw, headers=headers).status_code == 401
    assert json.loads(client.post(f"/webhooks/{a.account.id}", content=raw, headers=headers).content) == {"ok": True}
