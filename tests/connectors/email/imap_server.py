"""A minimal IMAP4rev1 server for tests: it speaks the real protocol over a socket.

Supported: CAPABILITY, NOOP, LOGIN, SELECT/EXAMINE (with UIDVALIDITY and UIDNEXT), UID SEARCH (ALL,
UID ranges with ``*``), UID FETCH (BODY.PEEK[] / BODY[] / RFC822, with UID), IDLE/DONE (announcing
new mail with ``* n EXISTS``), LOGOUT. Enough to exercise a client exactly as a real server would.
"""

from __future__ import annotations

import re
import select
import socketserver
import threading
from dataclasses import dataclass, field

TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')


@dataclass
class Mailbox:
    uidvalidity: int = 1700000001
    next_uid: int = 1
    messages: list[tuple[int, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, raw: bytes) -> int:
        with self.lock:
            uid = self.next_uid
            self.messages.append((uid, raw))
            self.next_uid += 1
            return uid

    def reset(self, uidvalidity: int) -> None:
        """Rebuild the mailbox: same messages, new UIDVALIDITY, UIDs renumbered."""
        with self.lock:
            self.uidvalidity = uidvalidity
            self.messages = [(i + 1, raw) for i, (_, raw) in enumerate(self.messages)]
            self.next_uid = len(self.messages) + 1


def _uid_set(spec: str, highest: int) -> set[int]:
    found: set[int] = set()
    for part in spec.split(","):
        if ":" in part:
            a, b = part.split(":", 1)
            low = highest if a == "*" else int(a)
            high = highest if b == "*" else int(b)
            low, high = min(low, high), max(low, high)
            found.update(range(low, high + 1))
        else:
            found.add(highest if part == "*" else int(part))
    return found


class Handler(socketserver.StreamRequestHandler):
    server: Server

    def send(self, line: str | bytes) -> None:
        data = line.encode() if isinstance(line, str) else line
        self.wfile.write(data + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        self.authenticated = False
        self.selected = False
        self.send("* OK [CAPABILITY IMAP4rev1 IDLE] Compris test IMAP server ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            self.server.commands.append(line.decode("utf-8", "replace").rstrip("\r\n"))
            tokens = [m.group(1) if m.group(1) is not None else m.group(2)
                      for m in TOKEN.finditer(line.decode("utf-8", "replace"))]
            if len(tokens) < 2:
                self.send("* BAD empty command")
                continue
            tag, command, args = tokens[0], tokens[1].upper(), tokens[2:]
            if not self.dispatch(tag, command, args):
                return

    def dispatch(self, tag: str, command: str, args: list[str]) -> bool:
        mailbox = self.server.mailbox
        if command == "CAPABILITY":
            self.send("* CAPABILITY IMAP4rev1 IDLE" if self.server.idle else "* CAPABILITY IMAP4rev1")
            self.send(f"{tag} OK CAPABILITY completed")
        elif command == "NOOP":
            self.send(f"{tag} OK NOOP completed")
        elif command == "LOGOUT":
            self.send("* BYE logging out")
            self.send(f"{tag} OK LOGOUT completed")
            return False
        elif command == "LOGIN":
            if args[:2] == [self.server.username, self.server.password]:
                self.authenticated = True
                self.send(f"{tag} OK [CAPABILITY IMAP4rev1 IDLE] LOGIN completed")
            else:
                self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)")
        elif not self.authenticated:
            self.send(f"{tag} BAD not authenticated")
        elif command in ("SELECT", "EXAMINE"):
            if args[:1] != ["INBOX"]:
                self.send(f"{tag} NO [NONEXISTENT] Unknown Mailbox: {args[:1]}")
                return True
            self.selected = True
            with mailbox.lock:
                self.send(f"* {len(mailbox.messages)} EXISTS")
                self.send("* 0 RECENT")
                self.send("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)")
                self.send(f"* OK [UIDVALIDITY {mailbox.uidvalidity}] UIDs valid")
                self.send(f"* OK [UIDNEXT {mailbox.next_uid}] Predicted next UID")
            mode = "READ-ONLY" if command == "EXAMINE" else "READ-WRITE"
            self.send(f"{tag} OK [{mode}] {command} completed")
        elif not self.selected:
            self.send(f"{tag} BAD no mailbox selected")
        elif command == "UID" and args and args[0].upper() == "SEARCH":
            self.uid_search(tag, args[1:])
        elif command == "UID" and args and args[0].upper() == "FETCH":
            self.uid_fetch(tag, args[1], " ".join(args[2:]).upper())
        elif command == "IDLE":
            self.idle(tag)
        else:
            self.send(f"{tag} BAD unknown command {command}")
        return True

    def uid_search(self, tag: str, criteria: list[str]) -> None:
        with self.server.mailbox.lock:
            uids = [uid for uid, _ in self.server.mailbox.messages]
        if [c.upper() for c in criteria] == ["ALL"]:
            found = uids
        elif len(criteria) == 2 and criteria[0].upper() == "UID":
            wanted = _uid_set(criteria[1], max(uids, default=0))
            found = [u for u in uids if u in wanted]
        else:
            self.send(f"{tag} BAD unsupported search {criteria}")
            return
        self.send("* SEARCH" + "".join(f" {u}" for u in found))
        self.send(f"{tag} OK SEARCH completed")

    def uid_fetch(self, tag: str, spec: str, items: str) -> None:
        if not any(k in items for k in ("BODY.PEEK[]", "BODY[]", "RFC822")):
            self.send(f"{tag} BAD unsupported fetch items {items}")
            return
        with self.server.mailbox.lock:
            messages = list(self.server.mailbox.messages)
        wanted = _uid_set(spec, max((u for u, _ in messages), default=0))
        for seq, (uid, raw) in enumerate(messages, start=1):
            if uid in wanted:
                self.wfile.write(f"* {seq} FETCH (UID {uid} BODY[] {{{len(raw)}}}\r\n".encode() + raw + b")\r\n")
        self.wfile.flush()
        self.send(f"{tag} OK FETCH completed")

    def idle(self, tag: str) -> None:
        if not self.server.idle:
            self.send(f"{tag} BAD IDLE not supported")
            return
        self.send("+ idling")
        with self.server.mailbox.lock:
            announced = len(self.server.mailbox.messages)
        while True:
            ready, _, _ = select.select([self.connection], [], [], 0.02)
            if ready:
                line = self.rfile.readline()
                self.server.commands.append(line.decode("utf-8", "replace").rstrip("\r\n"))
                if line.strip().upper() == b"DONE" or not line:
                    self.send(f"{tag} OK IDLE terminated")
                    return
            with self.server.mailbox.lock:
                count = len(self.server.mailbox.messages)
            if count > announced:
                announced = count
                self.send(f"* {count} EXISTS")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, username: str = "care@aircompris.example", password: str = "imap-pass", *,
                 idle: bool = True) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.mailbox = Mailbox()
        self.username = username
        self.password = password
        self.idle = idle
        self.commands: list[str] = []
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def __enter__(self) -> Server:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
