"""The ``mail.send`` job against a real SMTP server on 127.0.0.1: sent, retried on 4xx with backoff, failed at once
on 5xx, not configured, attachments, login, the crash while ``sending``. Both databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select, update

from compris.kit.clock import now
from compris.mail import actions
from compris.mail.tasks import AGAIN, MAX_ATTEMPTS, NOT_CONFIGURED
from compris.models import Job, MailState, OutgoingMail, User
from compris.uploads.actions import store_upload
from tests.conftest import World
from tests.mail.smtp_server import Recorder, smtp_server


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    with smtp_server() as server:
        yield server


def configure(world: World, port: int, **kw: object) -> None:
    with world.runtime.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        values: dict[str, object] = {"host": "127.0.0.1", "port": port, "security": "plain",
                                     "from_address": "care@brand.example", "from_name": "Brand Care",
                                     "reply_address": "care+{token}@brand.example"}
        values.update(kw)
        actions.save_settings(s, world.runtime.publisher, actor=admin, secret_key=world.runtime.settings.secret_key,
                              **values)  # type: ignore[arg-type]


def queue(world: World, to: tuple[str, ...] = ("desk@hotel.example",), **kw: object) -> int:
    with world.runtime.db.transaction() as s:
        mail = actions.queue_mail(s, world.runtime.publisher, workspace_id=world.workspace_id, to=to,
                                  subject="Réservation 4411", text="Bonjour,\nmerci de vérifier.\n",
                                  purpose="escalation_brief", headers={"Reply-To": "care+abc@brand.example"},
                                  **kw)  # type: ignore[arg-type]
        return mail.id


def mail(world: World, mail_id: int) -> OutgoingMail:
    with world.runtime.db.transaction() as s:
        row = s.get(OutgoingMail, mail_id)
        assert row is not None
        return row


def due_now(world: World) -> None:
    """Skip the backoff: the retried job is due now."""
    with world.runtime.db.transaction() as s:
        s.execute(update(Job).where(Job.status == "queued").values(run_at=now()))


def test_a_mail_is_sent_once_with_its_headers(world: World, smtp: tuple[Recorder, int]) -> None:
    recorder, port = smtp
    configure(world, port)
    mail_id = queue(world, to=("desk@hotel.example", "night@hotel.example"))
    world.run_jobs()
    world.run_jobs()
    row = mail(world, mail_id)
    assert row.state == MailState.SENT and row.sent_at is not None and row.error is None and row.attempts == 1
    (envelope,) = recorder.envelopes
    assert envelope.mail_from == "care@brand.example"
    assert envelope.rcpt_tos == ["desk@hotel.example", "night@hotel.example"]
    (message,) = recorder.messages()
    assert message["From"] == "Brand Care <care@brand.example>"
    assert message["Subject"] == "Réservation 4411"
    assert message["Reply-To"] == "care+abc@brand.example"
    assert message["Message-ID"] == f"<{row.message_id}>"
    body = message.get_body()
    assert body is not None and "merci de vérifier" in body.get_content()


def test_451_then_250_is_retried_with_backoff(world: World, smtp: tuple[Recorder, int]) -> None:
    recorder, port = smtp
    recorder.answers = ["451 4.3.0 Try again later"]
    configure(world, port)
    mail_id = queue(world)
    world.run_jobs()
    row = mail(world, mail_id)
    assert row.state == MailState.QUEUED and "451" in (row.error or "") and row.attempts == 1
    with world.runtime.db.transaction() as s:
        job = s.scalar(select(Job).where(Job.kind == "mail.send"))
        assert job is not None and job.status == "queued" and job.run_at > now()  # waits for the backoff
    assert world.run_jobs() == 0  # not before its time
    due_now(world)
    world.run_jobs()
    row = mail(world, mail_id)
    assert row.state == MailState.SENT and row.error is None and row.attempts == 2
    assert len(recorder.envelopes) == 1


def test_550_fails_at_once(world: World, smtp: tuple[Recorder, int]) -> None:
    recorder, port = smtp
    recorder.answers = ["550 5.7.1 Message refused"]
    configure(world, port)
    mail_id = queue(world)
    world.run_jobs()
    row = mail(world, mail_id)
    assert row.state == MailState.FAILED and "550" in (row.error or "") and row.attempts == 1
    due_now(world)
    assert world.run_jobs() == 0


def test_an_unknown_recipient_fails_at_once(world: World, smtp: tuple[Recorder, int]) -> None:
    _recorder, port = smtp
    configure(world, port)
    mail_id = queue(world, to=("ghost@nowhere.example",))
    world.run_jobs()
    row = mail(world, mail_id)
    assert row.state == MailState.FAILED and "ghost@nowhere.example" in (row.error or "")


def test_one_refused_recipient_of_two_is_not_retried(world: World, smtp: tuple[Recorder, int]) -> None:
    recorder, port = smtp
    configure(world, port)
    mail_id = queue(world, to=("desk@hotel.example", "ghost@nowhere.example"))
    world.run_jobs()
    row = mail(world, mail_id)
    assert row.state == MailState.FAILED and "other recipients got the mail" in (row.error or "")
    assert recorder.envelopes[0].rcpt_tos == ["desk@hotel.example"]


def test_a_server_that_is_down_is_retried_then_failed(world: World) -> None:
    with smtp_server() as (_recorder, port):
        pass  # the port is free again: nobody answers
    configure(world, port)
    mail_id = queue(world)
    for _ in range(MAX_ATTEMPTS):
        due_now(world)
        world.run_jobs()
    row = mail(world, mail_id)
    assert row.state == MailState.FAILED and row.attempts == MAX_ATTEMPTS
    assert "could not talk to the mail server" in (row.error or "") and f"after {MAX_ATTEMPTS} attempts" in (
        row.error or "")


def test_not_configured_fails_with_a_clear_reason(world: World) -> None:
    mail_id = queue(world)
    world.run_jobs()
    row = mail(world, mail_id)
    assert row.state == MailState.FAILED and row.error == NOT_CONFIGURED


def test_login(world: World, smtp: tuple[Recorder, int]) -> None:
    recorder, port = smtp
    recorder.login = ("care@brand.example", "s3cret")
    configure(world, port, username="care@brand.example", password="wrong")
    first = queue(world)
    world.run_jobs()
    assert mail(world, first).state == MailState.FAILED and "login refused" in (mail(world, first).error or "")
    assert "wrong" not in (mail(world, first).error or "")
    configure(world, port, username="care@brand.example", password="s3cret")
    second = queue(world)
    world.run_jobs()
    assert mail(world, second).state == MailState.SENT and len(recorder.envelopes) == 1


def test_attachments_go_with_the_mail(world: World, smtp: tuple[Recorder, int]) -> None:
    recorder, port = smtp
    configure(world, port)
    with world.runtime.db.transaction() as s:
        agent = s.get(User, world.agent.id)
        assert agent is not None
        upload = store_upload(s, world.runtime.settings.data_dir, actor=agent, data=b"%PDF-1.4\n%booking\n",
                              name="booking.pdf", max_bytes=1_000_000)
        upload_id = upload.id
    mail_id = queue(world, upload_ids=[upload_id])
    world.run_jobs()
    assert mail(world, mail_id).state == MailState.SENT
    (message,) = recorder.messages()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "booking.pdf" and attachment.get_content() == b"%PDF-1.4\n%booking\n"


def test_a_missing_attachment_fails_the_mail(world: World, smtp: tuple[Recorder, int]) -> None:
    recorder, port = smtp
    configure(world, port)
    mail_id = queue(world, upload_ids=[987654])
    world.run_jobs()
    row = mail(world, mail_id)
    assert row.state == MailState.FAILED and "attachment" in (row.error or "")
    assert recorder.envelopes == []


def test_a_mail_left_sending_by_a_dead_worker_is_sent_again_and_noted(world: World,
                                                                       smtp: tuple[Recorder, int]) -> None:
    recorder, port = smtp
    configure(world, port)
    mail_id = queue(world)
    with world.runtime.db.transaction() as s:  # as a worker that died after marking it "sending"
        s.execute(update(OutgoingMail).where(OutgoingMail.id == mail_id).values(state=MailState.SENDING, attempts=1))
    world.run_jobs()
    row = mail(world, mail_id)
    assert row.state == MailState.SENT and row.error == AGAIN and row.attempts == 2
    (message,) = recorder.messages()
    assert message["Message-ID"] == f"<{row.message_id}>"


def test_a_password_stored_under_another_secret_key_fails_with_the_reason(world: World,
                                                                           smtp: tuple[Recorder, int]) -> None:
    _recorder, port = smtp
    configure(world, port, username="care@brand.example", password="s3cret")
    with world.runtime.db.transaction() as s:
        from compris.kit.crypto import encrypt_json
        from compris.models import MailSettings

        s.execute(update(MailSettings).values(secrets=encrypt_json("another-secret-key-" + "x" * 40,
                                                                   {"password": "s3cret"})))
    mail_id = queue(world)
    world.run_jobs()
    row = mail(world, mail_id)
    assert row.state == MailState.FAILED and "COMPRIS_SECRET_KEY" in (row.error or "")
    assert "s3cret" not in (row.error or "")
