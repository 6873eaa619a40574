"""A mail *capture* server for the demo: a tiny SMTP server on 127.0.0.1 that accepts every mail and keeps it in
memory, so that the demo shows partners' e-mails (and their portal links, in the mail log of Administration →
Outgoing mail) without the internet and without a real mailbox.

It speaks just enough SMTP (RFC 5321) for Compris's own sender (:mod:`smtplib`): ``EHLO``/``HELO``, ``MAIL``,
``RCPT``, ``DATA`` (with dot-unstuffing), ``RSET``, ``NOOP``, ``QUIT``; no TLS, no login. Standard library only
(``socketserver``), one thread per connection. Never use it for real mail: it delivers nothing.

:func:`use_for_demo` starts one per process (on an ephemeral port) and points the demo workspace's outgoing mail
settings at it; each start updates the port.
"""

from __future__ import annotations

import logging
import socketserver
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.kit.clock import now
from compris.live import Publisher
from compris.mail import actions, queries
from compris.models import MailSettings, User

log = logging.getLogger(__name__)

#: the captured mails kept in memory (the oldest are forgotten; the mail log keeps them all)
KEPT = 200
MAX_LINE = 10_000
MAX_SIZE = 30 * 1024 * 1024


@dataclass(frozen=True)
class Captured:
    """One mail the capture server accepted."""

    mail_from: str
    rcpt_to: tuple[str, ...]
    data: bytes
    received_at: datetime = field(default_factory=now)


class _Handler(socketserver.StreamRequestHandler):
    server: _Server
    timeout = 60

    def _send(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        self._send("220 compris-capture ESMTP (demo: mail is kept here, never delivered)")
        mail_from: str | None = None
        rcpt: list[str] = []
        while True:
            raw = self.rfile.readline(MAX_LINE + 1)
            if not raw:
                return
            if len(raw) > MAX_LINE:
                self._send("500 5.5.2 Line too long")
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self._send("250-compris-capture")
                self._send("250-8BITMIME")
                self._send(f"250 SIZE {MAX_SIZE}")
            elif verb == "HELO":
                self._send("250 compris-capture")
            elif verb == "MAIL" and arg.upper().startswith("FROM:"):
                mail_from, rcpt = _address(arg[5:]), []
                self._send("250 2.1.0 Ok")
            elif verb == "RCPT" and arg.upper().startswith("TO:"):
                if mail_from is None:
                    self._send("503 5.5.1 MAIL first")
                else:
                    rcpt.append(_address(arg[3:]))
                    self._send("250 2.1.5 Ok")
            elif verb == "DATA":
                if mail_from is None or not rcpt:
                    self._send("503 5.5.1 MAIL and RCPT first")
                    continue
                self._send("354 End data with <CR><LF>.<CR><LF>")
                data = self._data()
                if data is None:
                    return
                self.server.keep(Captured(mail_from, tuple(rcpt), data))
                mail_from, rcpt = None, []
                self._send("250 2.0.0 Ok: captured")
            elif verb == "RSET":
                mail_from, rcpt = None, []
                self._send("250 2.0.0 Ok")
            elif verb == "NOOP":
                self._send("250 2.0.0 Ok")
            elif verb == "QUIT":
                self._send("221 2.0.0 Bye")
                return
            else:
                self._send("502 5.5.2 Command not implemented")

    def _data(self) -> bytes | None:
        lines: list[bytes] = []
        size = 0
        while True:
            raw = self.rfile.readline(MAX_LINE + 1)
            if not raw:
                return None
            if raw in (b".\r\n", b".\n"):
                return b"".join(lines)
            if raw.startswith(b".."):
                raw = raw[1:]  # dot-unstuffing
            size += len(raw)
            if size > MAX_SIZE:
                self._send("552 5.3.4 Message too big")
                return None
            lines.append(raw)


def _address(text: str) -> str:
    text = text.strip()
    return text[1:].partition(">")[0] if text.startswith("<") else text.split(" ", 1)[0]


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self.captured: deque[Captured] = deque(maxlen=KEPT)
        self._lock = threading.Lock()

    def keep(self, mail: Captured) -> None:
        with self._lock:
            self.captured.append(mail)


class CaptureServer:
    """A running capture server (:func:`start`)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _Server((host, port))
        self.host = host
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="compris-mail-capture",
                                        daemon=True)
        self._thread.start()

    @property
    def messages(self) -> list[Captured]:
        with self._server._lock:
            return list(self._server.captured)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


_running: CaptureServer | None = None
_running_lock = threading.Lock()


def running() -> CaptureServer:
    """This process's capture server, started on first use (it lives as long as the process)."""
    global _running
    with _running_lock:
        if _running is None:
            _running = CaptureServer()
        return _running


def point_settings_at(session: Session, publisher: Publisher, *, actor: User, secret_key: str, port: int,
                      from_address: str, from_name: str, reply_address: str) -> MailSettings:
    """The workspace's outgoing mail settings, pointed at a capture server on 127.0.0.1:``port`` (no encryption,
    no login)."""
    existing = queries.settings_of(session, actor.workspace_id)
    return actions.save_settings(
        session, publisher, actor=actor, secret_key=secret_key, host="127.0.0.1", port=port, security="plain",
        username="", clear_password=True, from_address=existing.from_address if existing and
        existing.from_address else from_address, from_name=existing.from_name if existing and existing.from_name
        else from_name, reply_address=existing.reply_address if existing and existing.reply_address
        else reply_address)


def use_for_demo(session: Session, publisher: Publisher, *, workspace_id: int, secret_key: str) -> CaptureServer:
    """Start (once per process) the capture server and point the demo workspace's outgoing mail at it: the demo's
    partner e-mails end up in Administration → Outgoing mail, with their portal links."""
    server = running()
    admin = session.scalar(select(User).where(User.workspace_id == workspace_id, User.role == "admin")
                           .order_by(User.id).limit(1))
    if admin is None:
        raise LookupError("the demo workspace has no admin")
    domain = admin.email.rpartition("@")[2] or "demo.compris.example"
    point_settings_at(session, publisher, actor=admin, secret_key=secret_key, port=server.port,
                      from_address=f"care@{domain}", from_name="Compris demo care",
                      reply_address=f"care+{{token}}@{domain}")
    log.info("demo mail is captured on 127.0.0.1:%s (see Administration → Outgoing mail)", server.port)
    return server
