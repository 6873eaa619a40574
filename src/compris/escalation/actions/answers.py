"""The partner's side: opening the signed portal link, answering (on the portal or by e-mail), and the limits
that keep the portal safe without an account (the link's checks, its form token, the rate limits).

A partner has no account: what identifies them is the link (a signed, expiring token naming one escalation and its
``link_version``, :mod:`compris.escalation.links`) or, for an e-mail answer, the tokenised Reply-To address or the
thread's Message-IDs. Nothing here ever reaches another escalation, another case or another workspace.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris import bus, timeline
from compris.accounts import actions as limits
from compris.escalation import links
from compris.events import EscalationAnswered, EscalationOpened
from compris.kit.clock import now
from compris.kit.errors import Conflict, Invalid
from compris.kit.signing import LinkError
from compris.live import Publisher, publish_case
from compris.models import (
    OPEN_ESCALATION_STATUSES,
    Case,
    CaseEvent,
    Escalation,
    EscalationStatus,
    Exchange,
    OutgoingMail,
    Partner,
    Upload,
    Workspace,
)
from compris.triage.pii import mask
from compris.uploads import actions as uploads

OUTCOMES = ("answer", "done", "need_info")
VIAS = ("portal", "email")
MAX_ANSWER = 10_000
MAX_FILES = 5
HOLDER = "escalation"

#: requests to the portal, counted in the database (several web processes share it): per link and per address
RATE_WINDOW = timedelta(minutes=10)
LINK_LIMIT = 60
IP_LIMIT = 200


# --- the link ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkRefused(Exception):
    """A portal link that opens nothing: ``reason`` ``invalid`` (tampered, malformed, unknown, another
    workspace's: 404), ``expired`` (410), ``revoked`` (an older link version: 410) or ``ended`` (the escalation
    was closed or cancelled: 410). ``brand`` is the workspace's name when the link was genuine."""

    reason: str
    brand: str | None = None

    @property
    def status_code(self) -> int:
        return 404 if self.reason == "invalid" else 410


def escalation_for_link(session: Session, secret_key: str, token: str, at: datetime | None = None) -> Escalation:
    """The escalation a portal token opens, or :class:`LinkRefused` saying why not."""
    at = at or now()
    try:
        ref = links.read(secret_key, token, at)
    except LinkError as exc:
        if not exc.expired:
            raise LinkRefused("invalid") from None
        expired = _expired_ref(secret_key, token)
        brand = _brand(session, expired.workspace_id) if expired is not None else None
        raise LinkRefused("expired", brand) from None
    escalation = session.get(Escalation, ref.escalation_id)
    if escalation is None or escalation.workspace_id != ref.workspace_id:
        raise LinkRefused("invalid")
    brand = _brand(session, escalation.workspace_id)
    if ref.version != escalation.link_version:
        raise LinkRefused("revoked", brand)
    if escalation.status not in OPEN_ESCALATION_STATUSES:
        raise LinkRefused("ended", brand)
    return escalation


def _expired_ref(secret_key: str, token: str) -> links.PortalRef | None:
    """What an expired (but genuine) token names, to say whose link it was: read it as of its own expiry."""
    body = token.partition(".")[0]
    try:
        exp = int(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["exp"])
        return links.read(secret_key, token, datetime.fromtimestamp(exp - 1, tz=UTC))
    except (LinkError, KeyError, TypeError, ValueError):
        return None


def _brand(session: Session, workspace_id: int) -> str | None:
    workspace = session.get(Workspace, workspace_id)
    return workspace.name if workspace is not None else None


def mask_text(text: str) -> str:
    """Customer text with its personal data masked (what the partner sees unless the agent ticked it in)."""
    return mask(text)


# --- rate limits -------------------------------------------------------------------------------------------------


def link_key(escalation: Escalation) -> str:
    return f"portal:link:{escalation.id}:{escalation.link_version}"


def ip_key(address: str) -> str:
    return f"portal:ip:{address}"


def count_request(session: Session, key: str, *, limit: int, workspace_id: int | None = None,
                  window: timedelta = RATE_WINDOW, at: datetime | None = None) -> None:
    """Count one portal request under ``key``, or raise :class:`RateLimited` (the accounts' shared limiter)."""
    limits.count_request(session, key, limit=limit, window=window, workspace_id=workspace_id, at=at)


# --- opening and answering -------------------------------------------------------------------------------------


def record_opened(session: Session, publisher: Publisher, escalation: Escalation) -> bool:
    """The partner opened the portal: the first time for this link version (a revocation or a reopening makes a new
    one) records ``opened_at``, the timeline row (with the ``link_version``) and
    :class:`~compris.events.EscalationOpened` (True); later openings change nothing (False)."""
    case, partner = _case_and_partner(session, escalation)
    earlier = session.scalars(select(CaseEvent.data).where(CaseEvent.workspace_id == escalation.workspace_id,
                                                           CaseEvent.case_id == case.id,
                                                           CaseEvent.kind == timeline.EventKind.ESCALATION_OPENED))
    if any(int(d.get("escalation_id") or 0) == escalation.id and int(d.get("link_version") or 0)
           == escalation.link_version for d in earlier):
        return False
    escalation.opened_at = now()
    timeline.escalation_opened(session, case, escalation_id=escalation.id, partner=partner.name,
                               link_version=escalation.link_version)
    bus.emit(session, publisher, EscalationOpened(workspace_id=escalation.workspace_id, case_id=case.id,
                                                  escalation_id=escalation.id, partner_id=partner.id))
    publish_case(session, publisher, case, "escalation_opened", escalation_id=escalation.id)
    return True


def store_partner_file(session: Session, data_dir: Path, escalation: Escalation, *, data: bytes, name: str | None,
                       max_bytes: int) -> Upload:
    """Keep a file the partner sent (the same checks as an agent's upload: not empty, not too large, a type
    recognised from its bytes), held by the escalation so that housekeeping never deletes it."""
    return uploads.store_file(session, data_dir, workspace_id=escalation.workspace_id, uploaded_by_id=None,
                              data=data, name=name, max_bytes=max_bytes, held_by=HOLDER)


def record_answer(session: Session, publisher: Publisher, escalation: Escalation, *, outcome: str, text: str,
                  via: str, upload_ids: Sequence[int] = (), author_email: str | None = None,
                  mail_message_id: str | None = None) -> Exchange:
    """The partner's answer (``outcome``: ``answer``, ``done`` on their side, or ``need_info``): an exchange
    from the partner, the escalation ``answered`` (its ``partner_outcome`` and ``answered_at``), the timeline row
    and :class:`~compris.events.EscalationAnswered` (the case comes back to the agent, the pause ends)."""
    if outcome not in OUTCOMES:
        raise Invalid("unknown answer")
    if via not in VIAS:
        raise Invalid("unknown way of answering")
    if escalation.status not in OPEN_ESCALATION_STATUSES:
        raise Conflict("this escalation is no longer open")
    clean = text.replace("\r\n", "\n").strip()
    if len(clean) > MAX_ANSWER:
        raise Invalid.of("the answer is too long (at most %(max)s characters)", max=MAX_ANSWER)
    ids = [int(u) for u in dict.fromkeys(upload_ids)]
    if len(ids) > MAX_FILES:
        raise Invalid.of("at most %(max)s files", max=MAX_FILES)
    if outcome != "done" and not clean and not ids:
        raise Invalid("write an answer or attach a file")
    if ids:
        found = set(session.scalars(select(Upload.id).where(Upload.workspace_id == escalation.workspace_id,
                                                            Upload.id.in_(ids))))
        if found != set(ids):
            raise Invalid("a file is missing, send it again")
        uploads.hold(session, escalation.workspace_id, ids, by=HOLDER)
    case, partner = _case_and_partner(session, escalation)
    at = now()
    exchange = Exchange(workspace_id=escalation.workspace_id, escalation_id=escalation.id, direction="from_partner",
                        kind=outcome, text=clean, upload_ids=ids, via=via,
                        author_email=(author_email or "")[:254] or None,
                        mail_message_id=(mail_message_id or "")[:300] or None)
    session.add(exchange)
    escalation.status = EscalationStatus.ANSWERED
    escalation.partner_outcome = outcome
    escalation.answered_at = at
    session.flush()
    extra: dict[str, object] = {}
    if author_email:
        extra["author_email"] = author_email
        known = {str(a).strip().lower() for a in partner.emails}
        if author_email.strip().lower() not in known:
            extra["unknown_sender"] = True
    timeline.escalation_answered(session, case, escalation_id=escalation.id, partner=partner.name,
                                 exchange_id=exchange.id, outcome=outcome, via=via, **extra)
    bus.emit(session, publisher, EscalationAnswered(workspace_id=escalation.workspace_id, case_id=case.id,
                                                    escalation_id=escalation.id, partner_id=partner.id,
                                                    exchange_id=exchange.id, outcome=outcome, via=via))
    publish_case(session, publisher, case, "escalation_answered", escalation_id=escalation.id)
    return exchange


def _case_and_partner(session: Session, escalation: Escalation) -> tuple[Case, Partner]:
    case = session.get(Case, escalation.case_id)
    partner = session.get(Partner, escalation.partner_id)
    assert case is not None and partner is not None
    return case, partner


# --- answers by e-mail -----------------------------------------------------------------------------------------


def reply_token_pattern(reply_address: str) -> re.Pattern[str] | None:
    """How the workspace's tokenised Reply-To addresses look (``care+{token}@brand.example``, or
    ``care@brand.example`` meaning ``care+<token>@brand.example``), as a pattern capturing the token."""
    template = reply_address.strip().lower()
    if not template or "@" not in template:
        return None
    if "{token}" not in template:
        local, _, domain = template.rpartition("@")
        template = f"{local}+{{token}}@{domain}"
    before, _, after = template.partition("{token}")
    return re.compile(re.escape(before) + r"([A-Za-z0-9_-]{8,64})" + re.escape(after) + r"\Z", re.IGNORECASE)


def escalation_for_mail(session: Session, workspace_id: int, *, reply_address: str, addresses: Iterable[str],
                        message_ids: Iterable[str]) -> Escalation | None:
    """The escalation an e-mail answers: its tokenised address among ``addresses`` (To, Cc, Delivered-To), or
    one of ``message_ids`` (In-Reply-To, References) naming a mail Compris sent about it. Only this workspace's."""
    pattern = reply_token_pattern(reply_address) if reply_address else None
    if pattern is None:  # no address set: still recognise ``+<token>@`` addresses of our own tokens
        pattern = re.compile(r"\+([A-Za-z0-9_-]{8,64})@", re.IGNORECASE)
    for address in addresses:
        found = pattern.search(str(address).strip())
        if found is None:
            continue
        escalation = session.scalar(select(Escalation).where(Escalation.workspace_id == workspace_id,
                                                             Escalation.reply_token == found.group(1)))
        if escalation is not None:
            return escalation
    ids = [str(m).strip().strip("<>")[:300] for m in message_ids if str(m).strip()]
    if not ids:
        return None
    escalation = session.scalar(select(Escalation).where(Escalation.workspace_id == workspace_id,
                                                         Escalation.mail_message_id.in_(ids)).limit(1))
    if escalation is not None:
        return escalation
    escalation_id = session.scalar(select(Exchange.escalation_id).where(Exchange.workspace_id == workspace_id,
                                                                        Exchange.mail_message_id.in_(ids)).limit(1))
    if escalation_id is None:
        for ref in session.scalars(select(OutgoingMail.ref).where(OutgoingMail.workspace_id == workspace_id,
                                                                  OutgoingMail.message_id.in_(ids))):
            if isinstance(ref, dict) and ref.get("escalation_id"):
                escalation_id = int(ref["escalation_id"])
                break
    if escalation_id is None:
        return None
    found_escalation = session.get(Escalation, escalation_id)
    return found_escalation if found_escalation is not None and found_escalation.workspace_id == workspace_id \
        else None


_QUOTE_HEADERS = (
    re.compile(r"^\s*On .{3,200}wrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Le .{3,200}a écrit\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*(Original Message|Message d'origine|Message original)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*_{10,}\s*$"),
    re.compile(r"^\s*(From|De)\s*:\s.+@", re.IGNORECASE),
)


def already_recorded(session: Session, escalation: Escalation, mail_message_id: str) -> bool:
    """Whether this e-mail (its Message-ID) is already an answer on the escalation (the mailbox read twice)."""
    return session.scalar(select(Exchange.id).where(Exchange.escalation_id == escalation.id,
                                                    Exchange.mail_message_id == mail_message_id[:300]).limit(1)) \
        is not None


def strip_quoted(text: str) -> str:
    """The new part of an e-mail answer: what comes before the quoted previous mail ("On … wrote:", "Le … a
    écrit :", an Outlook header block, ``>`` lines) and the signature (``-- ``)."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if line.rstrip() in ("--", "-- "):
            break
        if any(p.match(line) for p in _QUOTE_HEADERS):
            break
        # "On Mon, 7 Dec 2026 at 10:02, Hotel <x@y>" / "wrote:" split over two lines (Gmail wraps it)
        if (re.match(r"^\s*(On|Le)\s.{3,200}$", line) and index + 1 < len(lines)
                and re.match(r"^.{0,200}(wrote|écrit)\s*:\s*$", lines[index + 1], re.IGNORECASE)):
            break
        kept.append(line)
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    body = [line for line in kept if not line.lstrip().startswith(">")]
    result = "\n".join(body).strip()
    return result or text.strip()
