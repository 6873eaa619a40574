"""Issue 21: which failed SMTP sends may have reached the mail server (*ambiguous*). SMTP has no idempotency key
and Compris reads no Sent folder: a reply lost after its content went out is marked uncertain for a person. A
scripted SMTP server (a socket, one line at a time) breaks the conversation at each step."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from compris.connectors.base import ConnectorError, SendError, Visibility

from .test_email import CONNECTOR, account, reply


@contextmanager
def scripted(fault: str) -> Iterator[tuple[int, list[str]]]:
    """An SMTP server on 127.0.0.1 that answers like a real one except at ``fault``: ``rcpt-drop`` (closes after
    RCPT), ``data-drop`` (closes on the DATA command), ``content-drop`` (closes once the message arrived),
    ``content-hang`` (says nothing once it arrived), ``content-451`` (refuses it), ``quit-421`` / ``quit-drop``
    (takes the message, then fails the goodbye), ``none``. Yields its port and the commands it received."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(5)
    heard: list[str] = []

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            reader = conn.makefile("rb")

            def say(line: str) -> None:
                conn.sendall(line.encode() + b"\r\n")
            say("220 stand-in ESMTP")
            in_data = False
            while True:
                raw = reader.readline()
                if not raw:
                    return
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if in_data:
                    if line != ".":
                        continue
                    in_data = False
                    heard.append("<content>")
                    if fault == "content-drop":
                        return
                    if fault == "content-hang":
                        time.sleep(0.6)
                        return
                    say("451 4.3.0 try again later" if fault == "content-451" else "250 2.0.0 queued as 1")
                    continue
                verb = line.split(" ", 1)[0].split(":", 1)[0].upper()
                heard.append(verb)
                if verb == "EHLO":
                    say("250-stand-in")
                    say("250 8BITMIME")
                elif verb in ("MAIL", "RSET", "NOOP", "HELO"):
                    say("250 ok")
                elif verb == "RCPT":
                    if fault == "rcpt-drop":
                        return
                    say("250 ok")
                elif verb == "DATA":
                    if fault == "data-drop":
                        return
                    say("354 go on")
                    in_data = True
                elif verb == "QUIT":
                    if fault == "quit-drop":
                        return
                    say("421 4.3.2 shutting down" if fault == "quit-421" else "221 bye")
                    return
                else:
                    say("502 not implemented")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], heard
    finally:
        listener.close()
        thread.join(2)


def send(port: int) -> None:
    CONNECTOR.send(account(smtp_port=port, timeout=0.3), reply(), httpx.Client())


def test_email_can_neither_deduplicate_nor_look() -> None:
    assert not CONNECTOR.idempotent(Visibility.PRIVATE) and not CONNECTOR.can_find_sent
    with pytest.raises(ConnectorError):
        CONNECTOR.find_sent(account(), reply(), httpx.Client())


@pytest.mark.parametrize("fault", ["content-drop", "content-hang"])
def test_lost_after_the_content_went_out_is_ambiguous(fault: str) -> None:
    with scripted(fault) as (port, heard), pytest.raises(SendError) as failed:
        send(port)
    assert failed.value.ambiguous and failed.value.retryable and "may have been sent" in failed.value.reason
    assert "<content>" in heard


@pytest.mark.parametrize("fault", ["rcpt-drop", "data-drop"])
def test_lost_before_the_content_is_not_ambiguous(fault: str) -> None:
    with scripted(fault) as (port, heard), pytest.raises(SendError) as failed:
        send(port)
    assert not failed.value.ambiguous and failed.value.retryable
    assert "<content>" not in heard


def test_a_refused_content_is_a_clear_answer() -> None:
    with scripted("content-451") as (port, _heard), pytest.raises(SendError) as failed:
        send(port)
    assert not failed.value.ambiguous and failed.value.retryable and "451" in failed.value.reason


def test_a_server_that_is_down_is_not_ambiguous() -> None:
    with scripted("none") as (port, _heard):
        pass
    with pytest.raises(SendError) as failed:
        send(port)
    assert not failed.value.ambiguous and failed.value.retryable


@pytest.mark.parametrize("fault", ["quit-421", "quit-drop", "none"])
def test_once_the_server_took_the_message_the_send_succeeded(fault: str) -> None:
    """A failed goodbye after 250 must not be reported as a failure: the retry would send the mail twice."""
    with scripted(fault) as (port, heard):
        send(port)
    assert heard[-2:] == ["<content>", "QUIT"]
