"""Probably the same customer: the keys a customer's messages carry, and which other contacts share them.

The same person writes publicly and privately, on several networks, about one booking; the platforms give them
unrelated ids. Compris never merges them by itself: it *suggests* linking two contacts, with the reasons, when
they share

- a **reference** (booking, order, file, bag tag: ``LIS-AC-77120``, ``AC 2231-48812``, ``CMD 884213``,
  ``K7XQ2M``), compared with case, dashes and slashes folded (``lis-ac-77120`` is the same key);
- an **e-mail address** (lower-cased);
- a **phone number** (its last nine digits, so ``+44 7700 900481``, ``0044 7700 900481`` and ``07700 900481``
  are one key);
- or a **close name** (accents, case and punctuation ignored; at least two words; similarity ≥ 0.88 or the same
  words in another order) when both wrote to the brand's accounts **within six hours** of each other.

What is a reference (:func:`references`): a run of letters and digits, possibly joined by ``-`` or ``/``, or a
short letter prefix, a blank and a dashed number (``AC 2231-48812``); folded, it must be 6-30 characters long with
a digit, and either at least 6 digits, or at least 3 digits and 2 letters, or be a 6-character code written in
capitals with a digit (an airline's record locator). Not references: plain words, dates (``2026-12-06``,
``06/12/2026``), times, prices, a flight number alone (two characters and up to four digits: ``AC 2231``,
``AF1234``), phone numbers (their own kind) and short numbers.

False friends kept out: only the customers' inbound messages are read (never the brand's replies, which quote the
brand's own references to many customers); a key that more than :data:`MAX_SHARING` contacts share is generic (a
flight number everyone quotes during an incident, the brand's hotline, a promotion code) and suggests nothing; a
first name alone never matches; a pair an agent dismissed ("not the same person") is never suggested again.

Cost: keys are extracted once, when a message arrives (the ``MessageReceived`` listener writes them to
``customer_keys``: a handful of short rows per message); the case page reads the suggestions with a few indexed
queries (:func:`suggestions`), whatever the size of the inbox.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from difflib import SequenceMatcher

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.orm import Session

from compris.models import ACTIVE_STATUSES, Case, Contact, CustomerKey, Identity, SameCustomerDismissal

REFERENCE = "reference"
EMAIL = "email"
PHONE = "phone"
NAME = "name"
KINDS = (REFERENCE, EMAIL, PHONE, NAME)

#: a key shared by more contacts than this is generic (an incident's flight number, the brand's hotline)
MAX_SHARING = 3
#: how close in time two contacts with similar names must have written
NAME_WINDOW = timedelta(hours=6)
#: how similar two normalised names must be (difflib's ratio)
NAME_SIMILARITY = 0.88
#: how many suggestions the panel shows
MAX_SUGGESTIONS = 5
#: bounds on what one query reads
_NAME_CANDIDATES = 200
_KEY_MATCHES = 200

_EMAIL = re.compile(r"(?<![\w@.+-])[\w.+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_PHONE = re.compile(r"(?<![\w+])(?:\+|00|0)\d(?:[ .()\-]{0,2}\d){7,15}(?!\w)")
_PREFIXED = re.compile(r"(?<![\w-])[A-Za-z]{2,4} \d{1,8}[-/]\d{2,12}(?![\w-])")
_TOKEN = re.compile(r"(?<![\w-])[A-Za-z0-9]{1,20}(?:[-/][A-Za-z0-9]{1,20}){0,5}(?![\w-])")
_DATE = re.compile(r"^(?:\d{1,4}[-/]\d{1,2}[-/]\d{1,4}|\d{4}-\d{2}-\d{2}T.*|\d{1,2}[-/]\d{1,2})$")
_FLIGHT = re.compile(r"^(?:[A-Z]{2}|[A-Z]\d|\d[A-Z])\d{1,4}[A-Z]?$")
_SEPARATORS = re.compile(r"[\s\-/]+")


@dataclass(frozen=True)
class Key:
    kind: str
    value: str  # what is compared
    shown: str  # as the customer wrote it


def _fold(token: str) -> str:
    return _SEPARATORS.sub("", token).upper()


def is_reference(token: str) -> bool:
    """Whether ``token`` (as written) is reference-like: see the module's documentation."""
    if _DATE.match(token):
        return False
    folded = _fold(token)
    if not 6 <= len(folded) <= 30 or not folded.isalnum() or not folded.isascii():
        return False
    digits = sum(c.isdigit() for c in folded)
    letters = len(folded) - digits
    if digits == 0 or _FLIGHT.match(folded):
        return False
    if digits >= 6 or (digits >= 3 and letters >= 2):
        return True
    # an airline's record locator: six capitals and digits, as written
    return len(folded) == 6 and token.isupper() and letters >= 2


def phone_key(text: str) -> str | None:
    """A phone number's key (its last nine digits), or None when ``text`` has fewer than nine digits."""
    digits = "".join(c for c in text if c.isdigit())
    return digits[-9:] if 9 <= len(digits) <= 15 else None


def email_key(text: str) -> str | None:
    found = _EMAIL.search(text.strip())
    return found.group(0).lower() if found and found.group(0) == text.strip() else None


def references(text: str) -> list[Key]:
    """The references, e-mail addresses and phone numbers in a customer's text, each once, in order."""
    keys: dict[tuple[str, str], Key] = {}

    def add(kind: str, value: str | None, shown: str) -> None:
        if value and (kind, value) not in keys:
            keys[(kind, value)] = Key(kind, value[:200], shown.strip()[:200])

    rest = _URL.sub(" ", text)
    for match in _EMAIL.finditer(rest):
        add(EMAIL, match.group(0).lower(), match.group(0))
    rest = _EMAIL.sub(" ", rest)
    for match in _PREFIXED.finditer(rest):
        if is_reference(match.group(0)):
            add(REFERENCE, _fold(match.group(0)), match.group(0))
    rest = _PREFIXED.sub(" ", rest)
    for match in _PHONE.finditer(rest):
        add(PHONE, phone_key(match.group(0)), match.group(0))
    rest = _PHONE.sub(" ", rest)
    for match in _TOKEN.finditer(rest):
        if is_reference(match.group(0)):
            add(REFERENCE, _fold(match.group(0)), match.group(0))
    return list(keys.values())


def normalise_name(name: str) -> str:
    """Accents, case and punctuation folded: ``Léonie  Vasseur-Quint`` → ``leonie vasseur quint``."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


def name_key(name: str | None) -> Key | None:
    """A full name's key: at least two words of two letters or more (a first name alone never matches)."""
    if not name:
        return None
    normalised = normalise_name(name)
    if sum(1 for word in normalised.split() if len(word) >= 2 and not word.isdigit()) < 2:
        return None
    return Key(NAME, normalised[:200], name.strip()[:200])


def similar_names(a: str, b: str) -> bool:
    """Two normalised names are close: the same words in any order, or a difflib ratio ≥ :data:`NAME_SIMILARITY`."""
    if a == b or sorted(a.split()) == sorted(b.split()):
        return True
    return SequenceMatcher(None, a, b).ratio() >= NAME_SIMILARITY


def identity_keys(*, name: str | None, handle: str | None, platform_user_id: str, reach: str | None) -> list[Key]:
    """What an identity itself tells: its name; its id when the network says it is an e-mail address or a phone
    number (``Connector.identity_reach``); a handle that is an e-mail address or a phone number with ``+``."""
    keys: list[Key] = []
    found = name_key(name)
    if found:
        keys.append(found)
    if reach == EMAIL and (address := email_key(platform_user_id)):
        keys.append(Key(EMAIL, address, platform_user_id))
    if reach == PHONE and (number := phone_key(platform_user_id)):
        keys.append(Key(PHONE, number, handle if handle and phone_key(handle) == number else platform_user_id))
    if handle:
        if address := email_key(handle):
            keys.append(Key(EMAIL, address, handle))
        elif handle.strip().startswith("+") and (number := phone_key(handle)):
            keys.append(Key(PHONE, number, handle))
    unique: dict[tuple[str, str], Key] = {}
    for key in keys:
        unique.setdefault((key.kind, key.value), key)
    return list(unique.values())


# --- the suggestions (reads) -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """Why two contacts look like one person: ``kind`` (reference, email, phone, name), what both wrote
    (``shown``: this contact's way, ``other_shown``: the other's), and for names how far apart in time."""

    kind: str
    shown: str
    other_shown: str = ""
    hours_apart: float | None = None


@dataclass
class Suggestion:
    contact: Contact
    identities: list[Identity] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    #: the other contact's cases still being worked on (merged into this case with the contacts, when asked)
    open_cases: list[Case] = field(default_factory=list)


def pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _hours_apart(a_first: datetime, a_last: datetime, b_first: datetime, b_last: datetime) -> float:
    if a_last < b_first:
        gap = b_first - a_last
    elif b_last < a_first:
        gap = a_first - b_last
    else:
        gap = timedelta(0)
    return round(gap.total_seconds() / 3600, 1)


def suggestions(session: Session, workspace_id: int, contact_id: int, *,
                limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    """The other contacts that are probably ``contact_id``'s person, with the reasons, strongest first; never a
    dismissed pair, never a key more than :data:`MAX_SHARING` contacts share. A few indexed queries."""
    mine = list(session.execute(
        select(CustomerKey.kind, CustomerKey.value, CustomerKey.shown, CustomerKey.first_seen_at,
               CustomerKey.last_seen_at)
        .join(Identity, Identity.id == CustomerKey.identity_id)
        .where(Identity.contact_id == contact_id, CustomerKey.workspace_id == workspace_id)
    ))
    if not mine:
        return []
    reasons: dict[int, list[Reason]] = {}
    exact = [(k, v) for k, v, *_ in mine if k != NAME]
    shown_of = {(k, v): s for k, v, s, *_ in mine}
    if exact:
        sharing = (select(CustomerKey.kind, CustomerKey.value)
                   .join(Identity, Identity.id == CustomerKey.identity_id)
                   .where(CustomerKey.workspace_id == workspace_id,
                          tuple_(CustomerKey.kind, CustomerKey.value).in_(exact))
                   .group_by(CustomerKey.kind, CustomerKey.value)
                   .having(func.count(func.distinct(Identity.contact_id)) <= MAX_SHARING))
        common = [(k, v) for k, v in session.execute(sharing)]
        if common:
            rows = session.execute(
                select(Identity.contact_id, CustomerKey.kind, CustomerKey.value, CustomerKey.shown)
                .join(Identity, Identity.id == CustomerKey.identity_id)
                .where(CustomerKey.workspace_id == workspace_id, Identity.contact_id != contact_id,
                       tuple_(CustomerKey.kind, CustomerKey.value).in_(common))
                .limit(_KEY_MATCHES))
            seen: set[tuple[int, str, str]] = set()
            for other, kind, value, shown in rows:
                if (other, kind, value) not in seen:
                    seen.add((other, kind, value))
                    reasons.setdefault(other, []).append(Reason(kind, shown_of[(kind, value)], shown))
    for kind, value, shown, first, last in mine:
        if kind != NAME:
            continue
        close = session.execute(
            select(Identity.contact_id, CustomerKey.value, CustomerKey.shown, CustomerKey.first_seen_at,
                   CustomerKey.last_seen_at)
            .join(Identity, Identity.id == CustomerKey.identity_id)
            .where(CustomerKey.workspace_id == workspace_id, CustomerKey.kind == NAME,
                   CustomerKey.last_seen_at >= first - NAME_WINDOW, CustomerKey.first_seen_at <= last + NAME_WINDOW,
                   Identity.contact_id != contact_id)
            .order_by(CustomerKey.last_seen_at.desc()).limit(_NAME_CANDIDATES))
        for other, other_value, other_shown, other_first, other_last in close:
            if similar_names(value, other_value) and not any(r.kind == NAME for r in reasons.get(other, [])):
                reasons.setdefault(other, []).append(Reason(
                    NAME, shown, other_shown, _hours_apart(first, last, other_first, other_last)))
    if not reasons:
        return []
    dismissed = {pair(a, b) for a, b in session.execute(
        select(SameCustomerDismissal.contact_a_id, SameCustomerDismissal.contact_b_id)
        .where(SameCustomerDismissal.workspace_id == workspace_id,
               or_(SameCustomerDismissal.contact_a_id == contact_id,
                   SameCustomerDismissal.contact_b_id == contact_id)))}
    order = {REFERENCE: 0, EMAIL: 1, PHONE: 1, NAME: 3}
    ranked = sorted(((other, found) for other, found in reasons.items() if pair(contact_id, other) not in dismissed),
                    key=lambda item: (sum(4 - order[r.kind] for r in item[1]) * -1, item[0]))[:limit]
    if not ranked:
        return []
    ids = [other for other, _ in ranked]
    contacts = {c.id: c for c in session.scalars(
        select(Contact).where(Contact.workspace_id == workspace_id, Contact.id.in_(ids),
                              Contact.merged_into_id.is_(None)))}
    identities: dict[int, list[Identity]] = {i: [] for i in ids}
    for identity in session.scalars(select(Identity).where(Identity.contact_id.in_(ids)).order_by(Identity.id)):
        identities[identity.contact_id].append(identity)
    open_cases: dict[int, list[Case]] = {i: [] for i in ids}
    for case in session.scalars(select(Case).where(
            Case.workspace_id == workspace_id, Case.contact_id.in_(ids),
            Case.status.in_([str(s) for s in ACTIVE_STATUSES])).order_by(Case.id.desc())):
        open_cases[case.contact_id].append(case)
    return [Suggestion(contacts[other], identities[other], sorted(found, key=lambda r: order[r.kind]),
                       open_cases[other])
            for other, found in ranked if other in contacts]


def keys_to_record(texts: Iterable[str]) -> list[Key]:
    """The keys of several texts, each once."""
    unique: dict[tuple[str, str], Key] = {}
    for text in texts:
        for key in references(text):
            unique.setdefault((key.kind, key.value), key)
    return list(unique.values())
