"""Reading a mailbox over IMAP4rev1: UIDVALIDITY/UID bookkeeping, batched UID FETCH, IDLE (RFC 2177).

``imaplib`` (Python 3.11) has no IDLE; it is done here on the raw socket between two complete
commands, when imaplib's reader holds no buffered data.
"""

from __future__ import annotations

import imaplib
import re
import select
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from compris.connectors.base import ConnectorError

IDLE_MAX = 29 * 60  # RFC 2177: re-issue IDLE before the server's 30-minute inactivity timeout
IDLE_CHECK_SECONDS = 1.0  # how often a wait asks whether it should give its thread back
FETCH_CHUNK = 25
UID_IN_FETCH = re.compile(rb"UID (\d+)")


class MailboxError(ConnectorError):
    """The IMAP server refused or failed (login, select, fetch...)."""


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    security: str  # ssl | starttls | plain
    username: str
    password: str
    mailbox: str = "INBOX"
    timeout: float = 30.0

    @classmethod
    def from_account(cls, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> ImapSettings:
        host = settings.get("imap_host")
        if not host:
            raise MailboxError("the account has no imap_host setting")
        security = str(settings.get("imap_security") or "ssl")
        if security not in ("ssl", "starttls", "plain"):
            raise MailboxError(f"imap_security must be ssl, starttls or plain, not {security!r}")
        port = int(settings.get("imap_port") or (993 if security == "ssl" else 143))
        return cls(host=str(host), port=port, security=security,
                   username=str(settings.get("imap_username") or settings.get("from_address") or ""),
                   password=secrets.get("imap_password", ""), mailbox=str(settings.get("mailbox") or "INBOX"),
                   timeout=float(settings.get("timeout") or 30.0))


@contextmanager
def session(config: ImapSettings) -> Iterator[imaplib.IMAP4]:
    """A logged-in connection (closed on exit). Errors become :class:`MailboxError` (never the password)."""
    try:
        if config.security == "ssl":
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(config.host, config.port, timeout=config.timeout,
                                                    ssl_context=ssl.create_default_context())
        else:
            conn = imaplib.IMAP4(config.host, config.port, timeout=config.timeout)
            if config.security == "starttls":
                conn.starttls(ssl.create_default_context())
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(f"could not connect to {config.host}:{config.port}: {exc}") from None
    try:
        try:
            conn.login(config.username, config.password)
        except imaplib.IMAP4.error as exc:
            raise MailboxError(f"IMAP login refused for {config.username}: {_text(exc)}") from None
        yield conn
    except (OSError, imaplib.IMAP4.error) as exc:  # abort (connection lost) is an IMAP4.error
        raise MailboxError(f"IMAP failed: {_text(exc)}") from None
    finally:
        with suppress(OSError, imaplib.IMAP4.error):
            conn.logout()


def _text(exc: BaseException) -> str:
    value = exc.args[0] if exc.args else exc
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _ok(result: tuple[str, list[Any]], what: str) -> list[Any]:
    status, data = result
    if status != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
        raise MailboxError(f"IMAP {what} failed: {detail}")
    return data


def select_mailbox(conn: imaplib.IMAP4, mailbox: str) -> tuple[int, int]:
    """EXAMINE the mailbox (read-only: we never change flags); returns (UIDVALIDITY, message count)."""
    data = _ok(conn.select(_quote(mailbox), readonly=True), f"SELECT {mailbox}")
    count = int(data[0]) if data and isinstance(data[0], bytes) and data[0].isdigit() else 0
    _, values = conn.response("UIDVALIDITY")
    if not values or not isinstance(values[0], bytes) or not values[0].isdigit():
        raise MailboxError(f"the server gave no UIDVALIDITY for {mailbox}")
    return int(values[0]), count


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def search_uids(conn: imaplib.IMAP4, after: int | None) -> list[int]:
    """UIDs above ``after`` (all UIDs when None), ascending."""
    criteria = ("ALL",) if after is None else ("UID", f"{after + 1}:*")
    data = _ok(conn.uid("SEARCH", *criteria), "UID SEARCH")
    uids = sorted({int(t) for chunk in data if isinstance(chunk, bytes) for t in chunk.split() if t.isdigit()})
    # "n:*" always matches the highest UID, even below n: keep only what is really new
    return [u for u in uids if after is None or u > after]


def fetch_raw(conn: imaplib.IMAP4, uids: list[int]) -> list[tuple[int, bytes]]:
    """The full raw messages (``BODY.PEEK[]``: the \\Seen flag is left alone), in UID order."""
    found: dict[int, bytes] = {}
    for start in range(0, len(uids), FETCH_CHUNK):
        chunk = uids[start:start + FETCH_CHUNK]
        data = _ok(conn.uid("FETCH", ",".join(map(str, chunk)), "(UID BODY.PEEK[])"), "UID FETCH")
        for item in data:
            if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
                match = UID_IN_FETCH.search(item[0])
                if match:
                    found[int(match.group(1))] = item[1]
    return sorted(found.items())


def supports_idle(conn: imaplib.IMAP4) -> bool:
    return "IDLE" in {str(c).upper() for c in conn.capabilities}


def idle(conn: imaplib.IMAP4, seconds: float, interrupted: Callable[[], bool] | None = None,
         check_every: float = IDLE_CHECK_SECONDS) -> bool:
    """Wait (IDLE) until the server announces new mail or ``seconds`` pass; True when mail arrived.

    ``interrupted`` is asked every ``check_every`` seconds while waiting: when it answers True (the worker is
    stopping, or other jobs are waiting for its thread), the wait ends at once, as a timeout would."""
    sock = conn.socket()
    tag = b"CIDL" + str(int(time.monotonic() * 1000) % 100000).encode()
    sock.sendall(tag + b" IDLE\r\n")
    reader = _LineReader(sock)
    first = reader.line(conn.sock.gettimeout() or 30.0)
    if first is None or not first.startswith(b"+"):
        raise MailboxError(f"IDLE refused: {(first or b'').decode('utf-8', 'replace').strip()}")
    deadline = time.monotonic() + min(seconds, IDLE_MAX)
    arrived = False
    while not arrived:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or (interrupted is not None and interrupted()):
            break
        line = reader.line(min(remaining, check_every) if interrupted is not None else remaining)
        if line is None:
            continue  # a quiet slice: the deadline and the interruption are checked again
        arrived = line.startswith(b"*") and (b" EXISTS" in line.upper() or b" RECENT" in line.upper())
    sock.sendall(b"DONE\r\n")
    while True:
        line = reader.line(30.0)
        if line is None:
            raise MailboxError("the server did not end IDLE")
        if line.startswith(tag + b" "):
            if not line[len(tag) + 1:].upper().startswith(b"OK"):
                raise MailboxError(f"IDLE ended badly: {line.decode('utf-8', 'replace').strip()}")
            return arrived
        if line.startswith(b"*") and b" EXISTS" in line.upper():
            arrived = True


class _LineReader:
    def __init__(self, sock: Any) -> None:
        self.sock = sock
        self.buffer = b""

    def line(self, timeout: float) -> bytes | None:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            pending = self.sock.pending() if isinstance(self.sock, ssl.SSLSocket) else 0
            if not pending:
                if remaining <= 0:
                    return None
                ready, _, _ = select.select([self.sock], [], [], remaining)
                if not ready:
                    return None
            chunk = self.sock.recv(4096)
            if not chunk:
                raise MailboxError("the IMAP server closed the connection")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line + b"\n"
