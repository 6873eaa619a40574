"""The guard's rules. Each is a small function registered with ``@rule``; add a rule by adding one here."""

from __future__ import annotations

import re
from collections.abc import Iterator

from compris.kit.textlength import mastodon_length, mastodon_offset
from compris.triage.language import detect
from compris.triage.pii import PersonalData, find_personal_data
from compris.triage.problems import reported_problem

from . import text as T
from .engine import Draft, Hit, compiled, rule
from .learned import learned_span, vetoed
from .messages import data_name, language_name, term
from .model import Fix
from .patterns import (
    GREETING_PREFIX,
    MENTION_PREFIX,
    ROUND_THE_CLOCK,
    TU_FORMS,
    TU_FORMS_STRICT,
    VOUS_FORMS,
    trigger_pattern,
)
from .structure import is_a_place, office_hours_span, review_bargain_span, send_elsewhere_span

MOVE_TO_PRIVATE = Fix(kind="action", action="move_to_private")
ESCALATE = Fix(kind="action", action="escalate")
REQUEST_APPROVAL = Fix(kind="action", action="request_approval")
TRANSLATE = Fix(kind="action", action="translate")


def _remove_sentence(d: Draft, pos: int) -> Fix | None:
    """Fix: the draft without the sentence at ``pos`` (none when nothing but mentions would remain)."""
    start, end = d.sentence_at(pos)
    if start == 0:
        lead = MENTION_PREFIX.match(d.text)
        start = lead.end() if lead else 0
    rest = re.sub(r"[ \t]{2,}", " ", (d.text[:start] + d.text[end:]).strip())
    if not MENTION_PREFIX.sub("", rest).strip():
        return None
    return Fix(kind="replace_draft", text=rest)


# --- office hours ----------------------------------------------------------------------------------


# Opening times of a place (a counter, a lounge, security) answer a question; they do not deflect.
_FACILITY = re.compile(
    r"\b(?:counters?|lounges?|tsa|check-?in|security|checkpoints?|terminal|gates?|guichets?|comptoirs?|"
    r"enregistrement|salon)\b",
    re.IGNORECASE,
)


#: a phone number next to the hours: a line's hours
_PHONE = re.compile(r"\b\d{1,3}[\s.-]\d{3}[\s.-]\d{3}[\s.-]?\d{3,4}\b|\b1-8\d\d|\b\d{3,4}\s\d{3}\s\d{4}\b")


@rule("office_hours", "warning", "Office-hours deflection on a channel answered 24/7.")
def office_hours(d: Draft) -> Iterator[Hit]:
    if _vetoed(d, "office_hours"):
        return
    if not d.ctx.channel_247:
        return
    flagged: set[tuple[int, int]] = set()
    for m in d.finditer(lambda p: p.office_direct):
        sentence = d.sentence_at(m.start())
        if sentence in flagged or ROUND_THE_CLOCK.search(d.text[sentence[0] : sentence[1]]):
            continue
        flagged.add(sentence)
        yield Hit(span=(m.start(), m.end()))
    for m in d.finditer(lambda p: p.office_range):
        sentence = d.sentence_at(m.start())
        body = d.text[sentence[0] : sentence[1]]
        if sentence in flagged or ROUND_THE_CLOCK.search(body):
            continue
        cue = d.search_any(lambda p: p.office_cue, body) is not None or _PHONE.search(d.sentence_window(m.start()))
        if not cue or _FACILITY.search(body) or is_a_place(body):
            continue
        flagged.add(sentence)
        yield Hit(span=(m.start(), m.end()))
    for start, end in d.sentences:
        if (start, end) in flagged:
            continue
        body = d.text[start:end]
        if ROUND_THE_CLOCK.search(body):
            continue
        found = office_hours_span(body, d.pattern_languages)
        if found is not None:
            flagged.add((start, end))
            yield Hit(span=(start + found[0], start + found[1]))
    if not flagged and (span := _learned(d, "office_hours")) is not None:
        yield Hit(span=span)


def _learned(d: Draft, rule_id: str) -> tuple[int, int] | None:
    """The learned component's span for a rule the patterns did not find (None when off or below threshold)."""
    if not d.settings.learned:
        return None
    found = learned_span(d.text, d.sentences, rule_id)
    if found is None:
        return None
    lead = MENTION_PREFIX.match(d.text) if found[0] == 0 else None  # the sentence without its leading @mentions
    return (lead.end(), found[1]) if lead is not None and lead.end() < found[1] else found


def _vetoed(d: Draft, rule_id: str) -> bool:
    """The learned component overrules the patterns for this draft (see ``learned.vetoed``)."""
    return d.settings.learned and vetoed(d.text, rule_id)


# --- sending elsewhere -----------------------------------------------------------------------------


_ASKED_ALREADY = re.compile(
    r"\b(?:did|have|has|do|does|were|was|had)\s+(?:you|they|she|he)\s*(?:already\s+|ever\s+|been\s+able\s+to\s+)?$"
    r"|\b(?:avez|aviez|as)-(?:vous|tu)\s*(?:déjà\s+|pu\s+)?$",
    re.IGNORECASE,
)


def _clause_prefix(d: Draft, pos: int) -> str:
    start, _ = d.sentence_at(pos)
    prefix = d.text[start:pos]
    prefix = MENTION_PREFIX.sub("", prefix)
    return GREETING_PREFIX.sub("", prefix)


@rule("send_elsewhere", "warning", "Sends the customer to another contact point without handling it.")
def send_elsewhere(d: Draft) -> Iterator[Hit]:
    if _vetoed(d, "send_elsewhere"):
        return
    flagged: set[tuple[int, int]] = set()
    for m in d.finditer(lambda p: p.elsewhere_direct):
        sentence = d.sentence_at(m.start())
        if sentence not in flagged:
            flagged.add(sentence)
            yield Hit(span=(m.start(), m.end()), fix=ESCALATE)
    for m in d.finditer(lambda p: p.elsewhere):
        sentence = d.sentence_at(m.start())
        if sentence in flagged:
            continue
        target = m.group("target")
        # "contact us by DM", "contactez-nous en MP": moving to private is not a deflection.
        after = d.text[m.start() : min(sentence[1], m.end() + 30)]
        if d.search_any(lambda p: p.elsewhere_ok, after) is not None and not re.search(r"\d|@", target):
            continue
        verb = m.group("verb").lower()
        imperative = verb.endswith("ez") or verb.endswith("-nous")
        prefix = _clause_prefix(d, m.start())
        if not imperative and d.search_any(lambda p: p.elsewhere_lead, prefix) is None:
            continue
        if _ASKED_ALREADY.search(prefix):  # "did you call the baggage office?" is a question, not a referral
            continue
        flagged.add(sentence)
        yield Hit(span=(m.start(), m.end()), fix=ESCALATE)
    # by structure: a directive + a move away from this conversation + another contact point
    for start, end in d.sentences:
        if (start, end) in flagged:
            continue
        found = send_elsewhere_span(d.text[start:end], d.pattern_languages, d.sentence_window(start))
        if found is not None:
            flagged.add((start, end))
            yield Hit(span=(start + found[0], start + found[1]), fix=ESCALATE)
    if not flagged and (span := _learned(d, "send_elsewhere")) is not None:
        yield Hit(span=span, fix=ESCALATE)


# --- reviews ---------------------------------------------------------------------------------------


@rule("review_bargain", "block", "Asks or bargains for a positive review, a rating, or a deleted post.")
def review_bargain(d: Draft) -> Iterator[Hit]:
    if _vetoed(d, "review_bargain"):
        return
    flagged: set[tuple[int, int]] = set()
    for m in d.finditer(lambda p: p.review_always):
        sentence = d.sentence_at(m.start())
        if sentence not in flagged:
            flagged.add(sentence)
            yield Hit(span=(m.start(), m.end()), fix=_remove_sentence(d, m.start()))
    for m in d.finditer(lambda p: p.review_post):
        sentence = d.sentence_at(m.start())
        body = d.text[sentence[0] : sentence[1]]
        if sentence in flagged:
            continue
        # "please delete the tweet showing your booking number" protects the customer: fine.
        if d.search_any(lambda p: p.privacy_cue, body) is not None:
            continue
        if d.search_any(lambda p: p.review_bargain_cue, body) is None:
            continue
        flagged.add(sentence)
        yield Hit(span=(m.start(), m.end()), fix=_remove_sentence(d, m.start()))
    # by structure: a request or a trade about a positive, changed or removed review, post, comment, rating...
    for start, end in d.sentences:
        if (start, end) in flagged:
            continue
        found = review_bargain_span(d.text[start:end])
        if found is not None:
            flagged.add((start, end))
            yield Hit(span=(start + found[0], start + found[1]), fix=_remove_sentence(d, start + found[0]))
    if not flagged and (span := _learned(d, "review_bargain")) is not None:
        yield Hit(span=span, fix=_remove_sentence(d, span[0]))


# --- personal data ---------------------------------------------------------------------------------


@rule("asks_personal_data", "block", "Asks for personal data in a public reply.")
def asks_personal_data(d: Draft) -> Iterator[Hit]:
    if _vetoed(d, "asks_personal_data"):
        return
    if not d.ctx.public:
        return
    flagged: set[tuple[int, int]] = set()
    for pats in d.patterns:
        kinds_in: dict[tuple[int, int], set[str]] = {}
        for kind, pattern in pats.data_terms:
            for m in pattern.finditer(d.text):
                kinds_in.setdefault(d.sentence_at(m.start()), set()).add(kind)
        for kind, pattern in pats.data_terms:
            for m in pattern.finditer(d.text):
                sentence = d.sentence_at(m.start())
                if sentence in flagged:
                    continue
                body = d.text[sentence[0] : sentence[1]]
                # a list of personal data ("name, ZIP and phone"), or a fragment opening on it (the second part of a
                # split reply: "...contact telephone number. 2/2"), asks for it as much as a question does
                listed = len(kinds_in.get(sentence, ())) >= 2 or _opens_on(d, sentence, m.start())
                if pats.request_cue.search(body) is None and not listed:
                    continue
                window = d.sentence_window(m.start())
                if pats.private_cue.search(window) or pats.data_negation.search(body):
                    continue
                flagged.add(sentence)
                yield Hit(
                    span=(m.start(), m.end()),
                    params={"what": data_name(kind, d.lang)},
                    fix=MOVE_TO_PRIVATE,
                )
    if not flagged and (span := _learned(d, "asks_personal_data")) is not None:
        yield Hit(span=span, params={"what": data_name("personal", d.lang)}, fix=MOVE_TO_PRIVATE)


def _opens_on(d: Draft, sentence: tuple[int, int], pos: int) -> bool:
    """The draft opens (after its mentions) with a lower-case fragment holding the data term: a continued reply."""
    if sentence[0] != 0:
        return False
    lead = MENTION_PREFIX.match(d.text)
    start = lead.end() if lead else 0
    head = d.text[start:pos]
    return (bool(head[:1].islower()) and len(head.split()) <= 4) or (start == pos and d.text[pos : pos + 1].islower())


_ALWAYS_PRIVATE = frozenset({"card", "iban", "record_locator", "order_number", "address"})
_KIND_NAMES = {
    "email": "email",
    "phone": "phone",
    "card": "card",
    "iban": "card",
    "record_locator": "booking",
    "order_number": "order",
    "address": "address",
}


def _pd_key(item: PersonalData) -> str:
    if item.kind in ("phone", "card", "iban"):
        return re.sub(r"\D", "", item.value)[-9:] if item.kind == "phone" else re.sub(r"\W", "", item.value)
    return re.sub(r"\s+", " ", item.value).casefold().strip()


@rule("echoes_personal_data", "block", "Repeats the customer's personal data in a public reply.")
def echoes_personal_data(d: Draft) -> Iterator[Hit]:
    if not d.ctx.public:
        return
    found = find_personal_data(d.text)
    customer = d.ctx.customer_text
    customer_keys: set[str] = set()
    customer_norm = ""
    if customer:
        customer_items = find_personal_data(customer)
        customer_keys = {_pd_key(item) for item in customer_items}
        customer_norm = re.sub(r"\s+", " ", customer).casefold()
        # The customer's own data copied into the draft, even where the draft alone gives no context
        # ("about QX7T2P" is not recognisable as a booking code without the customer's message).
        taken = [(p.start, p.end) for p in found]
        for item in customer_items:
            for m in re.finditer(r"(?<!\w)" + re.escape(item.value) + r"(?!\w)", d.text):
                if not any(m.start() < e and s < m.end() for s, e in taken):
                    taken.append((m.start(), m.end()))
                    found.append(PersonalData(item.kind, m.start(), m.end(), m.group()))
        found.sort(key=lambda p: p.start)
    for item in found:
        if customer is not None:
            echoed = _pd_key(item) in customer_keys or (
                len(item.value) >= 5 and re.sub(r"\s+", " ", item.value).casefold() in customer_norm
            )
            # Card and bank numbers never belong in a public reply, whoever's they are.
            if not echoed and item.kind not in ("card", "iban"):
                continue
        elif item.kind not in _ALWAYS_PRIVATE:
            # Without the customer's text an e-mail or phone number may be the brand's own contact.
            continue
        yield Hit(
            span=(item.start, item.end),
            params={"what": data_name(_KIND_NAMES.get(item.kind, item.kind), d.lang)},
            fix=Fix(kind="replace_span", text=T.mask(item.value)),
        )


# --- acknowledgement -------------------------------------------------------------------------------


def _is_complaint(d: Draft) -> bool:
    """The customer complained: the complaint intent, or a reported failure whatever the intent (a refund or a
    cancellation asked because something went wrong), or, with no intent known, complaint cues outweighing praise."""
    intent = d.ctx.customer_intent
    if intent is not None and intent.lower() == "complaint":
        return True
    customer = d.ctx.customer_text
    if not customer:
        return False
    strong = weak = praise = 0
    for code in ("en", "fr"):
        pats = d.patterns_for(code)
        strong += len(pats.complaint_strong.findall(customer))
        weak += len(pats.complaint_weak.findall(customer))
        praise += len(pats.praise.findall(customer))
    # a reported failure, unless the customer is thanking us for how it was handled
    if reported_problem(customer) and not (praise and strong == 0 and praise >= weak):
        return True
    if intent is not None:
        return False
    return 2 * strong + weak - 2 * praise >= 1


_APOLOGY = {
    "en": "Sorry to hear about this.",
    "fr": "Nous sommes désolés pour ce désagrément.",
}


def _with_apology(d: Draft) -> str:
    found = d.detected_language
    code = found[0] if found is not None and found[0] in _APOLOGY else "en"
    if found is None and d.ctx.customer_language:
        code = d.ctx.customer_language.split("-")[0].lower()
        code = code if code in _APOLOGY else "en"
    prefix = MENTION_PREFIX.match(d.text)
    cut = prefix.end() if prefix else 0
    head = d.text[:cut]
    if head and not head.endswith((" ", "\n")):
        head += " "
    return f"{head}{_APOLOGY[code]} {d.text[cut:].lstrip()}"


@rule("no_acknowledgement", "warning", "A complaint answered with no acknowledgement or apology.")
def no_acknowledgement(d: Draft) -> Iterator[Hit]:
    if not d.text.strip() or not _is_complaint(d):
        return
    for code in ("en", "fr"):
        if d.patterns_for(code).acknowledgement.search(d.text):
            return
    yield Hit(span=None, fix=Fix(kind="replace_draft", text=_with_apology(d)))


# --- blame -----------------------------------------------------------------------------------------


@rule("blame", "warning", "Blames or argues with the customer.")
def blame(d: Draft) -> Iterator[Hit]:
    for m in d.finditer(lambda p: p.blame):
        yield Hit(span=(m.start(), m.end()))


# --- repeated text ---------------------------------------------------------------------------------


@rule("repeated_text", "warning", "The same text or unchanged template already sent to this customer.")
def repeated_text(d: Draft) -> Iterator[Hit]:
    threshold = d.settings.similarity_threshold
    ctx = d.ctx
    if ctx.template_id is not None and ctx.template_id in ctx.previous_template_ids:
        unchanged = ctx.template_text is None or (
            T.similarity(T.normalise(d.text), T.normalise(ctx.template_text), threshold) >= threshold
        )
        if unchanged:
            yield Hit(message_key="repeated_template")
            return
    if not ctx.previous_texts:
        return
    mine = T.normalise(d.text)
    if len(mine) < 12:  # "thanks!" twice is not a canned reply
        return
    for previous in ctx.previous_texts:
        if T.similarity(mine, T.normalise(previous), threshold) >= threshold:
            yield Hit()
            return


# --- language --------------------------------------------------------------------------------------


@rule("wrong_language", "warning", "A reply in another language than the customer's.")
def wrong_language(d: Draft) -> Iterator[Hit]:
    draft_lang = d.detected_language
    if draft_lang is None:
        return
    customer_lang: str | None = None
    if d.ctx.customer_language:
        customer_lang = d.ctx.customer_language.split("-")[0].split("_")[0].lower()
    elif d.ctx.customer_text:
        stripped = T.strip_handles(d.ctx.customer_text)
        if T.letter_count(stripped) >= d.settings.min_detect_letters:
            code, confidence = detect(stripped)
            if confidence >= 0.6:
                customer_lang = T.reliable_language(code, confidence, stripped)
    if customer_lang is None or customer_lang == "unknown" or customer_lang == draft_lang[0]:
        return
    if draft_lang[1] < 0.6:
        return
    yield Hit(
        params={
            "customer": language_name(customer_lang, d.lang),
            "draft": language_name(draft_lang[0], d.lang),
        },
        fix=TRANSLATE,
    )


# --- network limits --------------------------------------------------------------------------------


@rule("too_long", "block", "Over the network's length limit.")
def too_long(d: Draft) -> Iterator[Hit]:
    limit = d.ctx.max_length
    if limit is None:
        return
    if d.ctx.length_unit == "graphemes":
        count = T.grapheme_count(d.text)
        if count <= limit:
            return
        start = T.grapheme_offset(d.text, limit)
    elif d.ctx.length_unit == "x":
        count = T.x_length(d.text, reply=d.ctx.public)
        if count <= limit:
            return
        start = T.x_offset(d.text, limit, reply=d.ctx.public)
    elif d.ctx.length_unit == "mastodon":
        count = mastodon_length(d.text)
        if count <= limit:
            return
        start = mastodon_offset(d.text, limit)
    else:
        count = len(d.text)
        if count <= limit:
            return
        start = limit
    yield Hit(
        span=(start, len(d.text)),
        params={
            "count": str(count),
            "limit": str(limit),
            "over": str(count - limit),
            "unit": term(f"unit:{d.ctx.length_unit}", d.lang),
            "network": d.ctx.network or term("network:", d.lang),
        },
    )


@rule("window_closed", "block", "Outside the network's reply window.")
def window_closed(d: Draft) -> Iterator[Hit]:
    if d.ctx.window_open is False:
        reason = d.ctx.window_reason
        yield Hit(params={"reason": f"{term('reason_prefix', d.lang)}{reason}" if reason else ""})


# --- promises --------------------------------------------------------------------------------------

_PROMISE_NAMES = {"refund": "a refund", "compensation": "compensation", "voucher": "a voucher"}


@rule("unauthorised_promise", "block", "A promise the agent is not allowed to make.")
def unauthorised_promise(d: Draft) -> Iterator[Hit]:
    permissions = d.ctx.agent_permissions
    if permissions is None:  # unknown: nothing to check against
        return
    flagged: set[tuple[int, int]] = set()
    for promise in d.settings.promise_rules:
        if promise.permission in permissions:
            continue
        for m in trigger_pattern(tuple(promise.triggers)).finditer(d.text):
            sentence = d.sentence_at(m.start())
            if sentence in flagged:
                continue
            body = d.text[sentence[0] : sentence[1]]
            if promise.require_commitment:
                if not any(p.commitment.search(body) for p in d.patterns):
                    continue
                if any(p.hedge.search(body) for p in d.patterns):
                    continue
            flagged.add(sentence)
            name = _PROMISE_NAMES.get(promise.permission)
            yield Hit(
                span=(m.start(), m.end()),
                params={
                    "what": term(name, d.lang) if name else m.group(),
                    "permission": promise.permission,
                },
                fix=REQUEST_APPROVAL,
            )


# --- tone of voice ---------------------------------------------------------------------------------


@rule("tone_words", "warning", "A word the workspace avoids.")
def tone_words(d: Draft) -> Iterator[Hit]:
    words = tuple(w for w in d.settings.words_to_avoid if w.strip())
    if not words:
        return
    for m in trigger_pattern(words).finditer(d.text):
        found = m.group()
        replacement = _replacement(d, found)
        yield Hit(
            span=(m.start(), m.end()),
            params={"word": found},
            fix=Fix(kind="replace_span", text=replacement) if replacement is not None else None,
        )


def _replacement(d: Draft, found: str) -> str | None:
    for word, replacement in d.settings.word_replacements.items():
        if word.rstrip("*").casefold() and found.casefold().startswith(word.rstrip("*").casefold()):
            return replacement
    return None


def _signoff_texts(d: Draft) -> list[str]:
    initials = d.ctx.agent_initials or ""
    return [s.replace("{agent_initials}", initials) for s in d.settings.signoffs if s.strip()]


@rule("tone_signoff", "warning", "The reply lacks the required sign-off.")
def tone_signoff(d: Draft) -> Iterator[Hit]:
    s = d.settings
    if not s.signoff_required:
        return
    body = d.text.rstrip()
    if not body:
        return
    last_line = body.splitlines()[-1].strip()
    last_token = body.split()[-1]
    texts = _signoff_texts(d)
    if any(body.casefold().endswith(t.strip().casefold()) for t in texts):
        return
    if s.signoff_pattern:
        initials = re.escape(d.ctx.agent_initials) if d.ctx.agent_initials else r"\w+"
        pattern = compiled(s.signoff_pattern.replace("{agent_initials}", initials))
        if pattern.search(last_line) or pattern.search(last_token):
            return
    expected = ", ".join(texts) or s.signoff_pattern or term("an accepted sign-off", d.lang)
    fix = Fix(kind="replace_draft", text=f"{body} {texts[0]}") if texts else None
    yield Hit(span=None, params={"expected": expected}, fix=fix)


@rule("tone_address", "warning", "The other French address form (tu/vous) than the workspace's.")
def tone_address(d: Draft) -> Iterator[Hit]:
    form = d.settings.address_form
    if form is None or "fr" not in d.pattern_languages:
        return
    sure_french = d.pattern_languages == ("fr",)
    if form == "vous":
        pattern = TU_FORMS if sure_french else TU_FORMS_STRICT
        key = "tone_address_vous"
    else:
        pattern = VOUS_FORMS
        key = "tone_address_tu"
        if not sure_french and not re.search(r"\b(?:tu|ton|ta|tes|toi)\b", d.text, re.IGNORECASE):
            return
    for m in pattern.finditer(d.text):
        yield Hit(span=(m.start(), m.end()), params={"word": m.group()}, message_key=key)


@rule("tone_emoji", "warning", "Emoji where the workspace does not use them.")
def tone_emoji(d: Draft) -> Iterator[Hit]:
    if d.settings.emoji_allowed:
        return
    spans = T.emoji_spans(d.text)
    if not spans:
        return
    fix = Fix(kind="replace_draft", text=T.strip_emoji(d.text))
    for span in spans:
        yield Hit(span=span, fix=fix)
