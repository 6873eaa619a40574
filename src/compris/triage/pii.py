"""Personal data in customer text: find it (kind, span, value) and mask it for logs.

Kinds: ``email``, ``phone`` (international ``+33 6 12 34 56 78`` / ``0033...``, French ``06 12 34 56 78``,
North-American ``(212) 555-0100``), ``card`` (13-19 digits, Luhn-checked), ``iban`` (ISO 13616 mod-97
checked), ``record_locator`` (a 6-character airline booking code *in context*: after "booking reference",
"PNR", "confirmation code", "référence de réservation", "dossier"...; an ordinary word is never one),
``order_number`` (after "order", "commande", "n° de commande"...), ``address`` (a street number, a street
type and a name — "12 rue de la Paix, 75002 Paris", "221B Baker Street" — only in that reliable shape).

Detectors run from the most specific to the least; overlapping findings keep the earlier, longer one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["KINDS", "PersonalData", "find_personal_data", "iban_is_valid", "luhn_is_valid", "mask"]

KINDS: tuple[str, ...] = ("email", "phone", "card", "iban", "record_locator", "order_number", "address")


@dataclass(frozen=True)
class PersonalData:
    """One piece of personal data found in a text: ``text[start:end] == value``."""

    kind: str
    start: int
    end: int
    value: str

    def to_dict(self) -> dict[str, str | int]:
        return {"kind": self.kind, "start": self.start, "end": self.end, "value": self.value}


# --- checksums -------------------------------------------------------------------------------------


def luhn_is_valid(digits: str) -> bool:
    """Luhn check of a digit string (spaces and dashes ignored)."""
    ds = [int(c) for c in digits if c.isdigit()]
    if len(ds) < 2:
        return False
    total = 0
    for i, d in enumerate(reversed(ds)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# Lengths per country (ISO 13616 registry) for the countries we are likely to see; others: 15-34.
_IBAN_LENGTHS: dict[str, int] = {
    "FR": 27,
    "DE": 22,
    "ES": 24,
    "IT": 27,
    "NL": 18,
    "BE": 16,
    "PT": 25,
    "GB": 22,
    "IE": 22,
    "CH": 21,
    "LU": 20,
    "AT": 20,
    "MC": 27,
    "PL": 28,
    "SE": 24,
    "DK": 18,
    "NO": 15,
    "FI": 18,
    "GR": 27,
    "MA": 28,
    "TN": 24,
    "SA": 24,
    "AE": 23,
    "TR": 26,
    "RO": 24,
    "CZ": 24,
    "HU": 28,
}


def iban_is_valid(candidate: str) -> bool:
    """Mod-97 check of an IBAN (spaces ignored, case-insensitive), with the country's length if known."""
    s = re.sub(r"[\s-]", "", candidate).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    expected = _IBAN_LENGTHS.get(s[:2])
    if expected is not None and len(s) != expected:
        return False
    rearranged = s[4:] + s[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1


# --- patterns --------------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?(?![A-Za-z0-9])")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_PHONE_PATTERNS: tuple[re.Pattern[str], ...] = (
    # international: +33 6 12 34 56 78, +44 20 7946 0958, 0033 6..., +1 (212) 555-0100
    re.compile(r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}[ .-]?(?:\(0\)[ .-]?)?(?:\(?\d{1,4}\)?[ .-]?){2,5}\d{2,4}(?!\d)"),
    # French national: 06 12 34 56 78, 06.12.34.56.78, 0612345678
    re.compile(r"(?<![\d+])0[1-9](?:[ .-]?\d{2}){4}(?!\d)"),
    # North American: (212) 555-0100, 212-555-0100, 212.555.0100
    re.compile(r"(?<![\d+])(?:\(\d{3}\)\s?|\d{3}[-.])\d{3}[-.]\d{4}(?!\d)"),
)

_LOCATOR_CONTEXT = re.compile(
    r"(?:booking|reservation|confirmation|record|locator|pnr|ref(?:erence)?|conf(?:irmation)?|"
    r"r[ée]f[ée]rence|r[ée]servation|dossier|code|buchungs\w*|localizador|codice|prenotazione)"
    r"(?:\s+(?:code|number|no\.?|num(?:ber|éro)?|n°|ref(?:erence)?|de|du|la|ma|mon|my|our|is|est|:|#))*"
    r"\s*[:#=\-–]?\s*$",
    re.IGNORECASE,
)
_LOCATOR_TOKEN = re.compile(r"(?<![\w-])[A-Za-z0-9]{6}(?![\w-])")
_ORDER = re.compile(
    r"(?:order|commande|purchase|achat|pedido|bestellung|ordine|cmd)"
    r"(?:\s+(?:number|num(?:éro)?|no\.?|nr\.?|n°|n[ºo]|id|ref(?:erence)?|de|du|ma|mon|my|is|est))*"
    r"\s*(?:[:#=]|n°|no\.?)?\s*#?\s*"
    r"(?P<num>(?=[A-Za-z0-9-]*\d{3})[A-Za-z0-9][A-Za-z0-9-]{3,24})(?![\w-])",
    re.IGNORECASE,
)
_STREET_FR = (
    r"rue|avenue|av\.?|boulevard|bd|blvd|chemin|allée|allee|place|impasse|quai|route|cours|square|"
    r"passage|voie|faubourg|fbg|chaussée|rond-point|lotissement|résidence"
)
_STREET_EN = (
    r"street|st\.?|avenue|ave\.?|road|rd\.?|boulevard|blvd\.?|lane|ln\.?|drive|dr\.?|way|court|ct\.?|"
    r"place|pl\.?|terrace|crescent|close"
)
_ADDRESS_FR = re.compile(
    r"(?<!\w)\d{1,4}(?:\s?(?:bis|ter|[a-c]))?,?\s+(?i:" + _STREET_FR + r")\s+"
    r"(?:(?:d[eu']|des|de la|l'|la|le|les)\s*)?[A-ZÀ-Ý][\w'’-]*"
    r"(?:\s+(?:d[eu']|des|de la|la|le|les|[A-ZÀ-Ý][\w'’-]*)){0,5}"
    r"(?:,?\s+\d{5}\s+[A-ZÀ-Ý][\w'’-]*(?:[\s-][A-ZÀ-Ý][\w'’-]*){0,3})?",
    re.UNICODE,
)
_ADDRESS_EN = re.compile(
    r"(?<!\w)\d{1,5}[A-Za-z]?\s+(?:[A-Z][\w'’-]*\s+){1,4}(?i:" + _STREET_EN + r")(?!\w)"
    r"(?:,?\s+(?:apt|suite|unit)\.?\s*\w+)?"
    r"(?:,\s*[A-Z][\w'’-]*(?:\s[A-Z][\w'’-]*){0,2}(?:,?\s+[A-Z]{2}\s+\d{5}(?:-\d{4})?)?)?",
)
# UK postcodes ("SW1A 1AA") and French postcode+city alone are too ambiguous to stand alone.


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """Ordinary 6-letter words (English, French and others) that are never a record locator."""
    text = resources.files("compris.triage").joinpath("data/common_words_6.txt").read_text("utf-8")
    lines = (line.strip().lower() for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _looks_like_locator(token: str) -> bool:
    """A 6-character token after a booking context: letters and digits, or an upper-case non-word."""
    has_digit = any(c.isdigit() for c in token)
    has_letter = any(c.isalpha() for c in token)
    if has_digit:
        return has_letter  # six digits alone: a price, a date, a PIN — not an airline PNR
    # letters only: must be typed in capitals ("please" is a word) and not be a common word ("TICKET")
    return token.isupper() and token.lower() not in _common_words()


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in taken)


def find_personal_data(text: str) -> list[PersonalData]:
    """Every piece of personal data found in ``text``, sorted by position, non-overlapping."""
    found: list[PersonalData] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int) -> None:
        value = text[start:end]
        # trim trailing punctuation that the patterns may have swallowed
        while value and value[-1] in " ,.;:-":
            value = value[:-1]
            end -= 1
        if end <= start or _overlaps((start, end), taken):
            return
        taken.append((start, end))
        found.append(PersonalData(kind=kind, start=start, end=end, value=value))

    for m in _EMAIL.finditer(text):
        add("email", m.start(), m.end())
    for m in _IBAN.finditer(text):
        if iban_is_valid(m.group()):
            add("iban", m.start(), m.end())
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and luhn_is_valid(digits) and len(set(digits)) > 1:
            add("card", m.start(), m.end())
    for m in _ORDER.finditer(text):
        add("order_number", m.start("num"), m.end("num"))
    for m in _LOCATOR_TOKEN.finditer(text):
        before = text[max(0, m.start() - 40) : m.start()]
        if _LOCATOR_CONTEXT.search(before) and _looks_like_locator(m.group()):
            add("record_locator", m.start(), m.end())
    for pattern in _PHONE_PATTERNS:
        for m in pattern.finditer(text):
            digits = re.sub(r"\D", "", m.group())
            if 8 <= len(digits) <= 15:
                add("phone", m.start(), m.end())
    for pattern in (_ADDRESS_FR, _ADDRESS_EN):
        for m in pattern.finditer(text):
            add("address", m.start(), m.end())
    found.sort(key=lambda p: p.start)
    return found


_MASKS: dict[str, str] = {
    "email": "[email]",
    "phone": "[phone]",
    "card": "[card]",
    "iban": "[iban]",
    "record_locator": "[booking-ref]",
    "order_number": "[order]",
    "address": "[address]",
}


def mask(text: str) -> str:
    """``text`` with every piece of personal data replaced by its kind, e.g. ``[email]`` — for logs."""
    out: list[str] = []
    pos = 0
    for item in find_personal_data(text):
        out.append(text[pos : item.start])
        out.append(_MASKS.get(item.kind, "[personal-data]"))
        pos = item.end
    out.append(text[pos:])
    return "".join(out)
