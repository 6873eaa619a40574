"""The review sites' response rules (Google, Yelp, Tripadvisor), for a public reply to a review
(``GuardContext.review_site``), and the network's refusal of emoji (``GuardContext.emoji_allowed``).

What the platforms say (see docs/replies.md, "Replies to reviews"):

* Google (Business Profile, "Prohibited and restricted content" / "Tips to reply to reviews"): no incentives for
  reviews, never ask a customer to change or remove a review, keep replies free of personal information.
* Tripadvisor (Management Response Guidelines): "Responses that are offering personal gain, such as gifts,
  services, or money, will be removed"; responses "may not threaten or coerce a reviewer or attempt to suppress
  reviewer contributions"; "personal information that may be used to identify an individual is prohibited,
  including but not limited to names, addresses, and phone numbers".

The phrase patterns follow ``patterns.py``: English and French, whole phrases, checked per sentence. A sentence
the general ``review_bargain`` rule already flags is left to it (one finding per sentence), unless a workspace
turned that rule off.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from compris.triage.pii import find_personal_data

from . import text as T
from .engine import Draft, Hit, rule
from .messages import data_name, term
from .model import Fix
from .patterns import AP
from .rules import _pd_key, _remove_sentence, echoes_personal_data
from .structure import review_bargain_span

_F = re.IGNORECASE | re.VERBOSE


def _c(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, _F)


# --- shared pieces ---------------------------------------------------------------------------------

#: what a reviewer writes: the review, its rating, its stars (English and French)
_REVIEW_NOUN = r"""(?:reviews?|ratings?|scores?|star\s+ratings?|(?:\d|one|two|three|four|five)[\s-]*stars?|stars|
    feedback|comments?|evaluations?|assessments?|
    avis|évaluations?|critiques?|commentaires?|(?:\d|une|deux|trois|quatre|cinq)\s+étoiles?|étoiles)"""
#: after "your", "votre": also the words that mean the review only there (a note, a post, a message)
_REVIEW_NOUN_AFTER = r"""(?:reviews?|ratings?|scores?|star\s+ratings?|(?:\d|one|two|three|four|five)[\s-]*stars?|stars|
    feedback|comments?|posts?|evaluations?|assessments?|
    avis|notes?|notations?|évaluations?|critiques?|commentaires?|(?:\d|une|deux|trois|quatre|cinq)\s+étoiles?|étoiles|
    publications?|messages?)"""
#: "the review process", "review team": the review as a topic of ours, not the customer's review
_NOT_THE_REVIEW = rf"""(?!\s+(?:process\w*|team|system|policy|policies|procedure|page|site|form|section|platform|
    guidelines|of\s+(?:our|the)\s+\w+)|\s+d[eu]\s+(?:l{AP}|la\s+)?(?:établissement|hôtel|restaurant|service))"""
_REVIEW_TERM = _c(rf"""\b(?:{_REVIEW_NOUN}|rate\s+us|notez-nous|
    (?:votre|vos|ta|une|la|cette|bonne|meilleure|mauvaise|sa)\s+(?:note|notation|publication)s?)\b""")
#: thanking for the review is not tying anything to it
_THANKS_FOR_REVIEW = _c(
    rf"""\b(?:thanks?|thank\s+you|many\s+thanks|we\s+(?:really\s+)?appreciate|appreciate)\s+(?:\w+\s+){{0,2}}?
        (?:for\s+)?(?:your|the|this|these)\s+(?:\w+\s+){{0,2}}?{_REVIEW_NOUN_AFTER}\b
    |\b(?:merci|nous\s+vous\s+remercions|je\s+vous\s+remercie)\s+(?:\w+\s+){{0,2}}?(?:pour|de)\s+(?:votre|vos|ce|cet|cette|ces)\s+
        (?:\w+\s+){{0,2}}?(?:{_REVIEW_NOUN_AFTER}|retours?)\b"""
)

# --- incentives ------------------------------------------------------------------------------------

_INCENTIVE_VALUE = _c(
    r"""\b\d{1,3}\s*%\s*(?:off|discount|reduction|de\s+(?:réduction|remise|rabais)|(?:de\s+)?réduction)
    |\b(?:discount\w*|voucher\w*|coupon\w*|gift(?:\s+(?:card|certificate|voucher|basket|box))?s?|promo(?:tional)?\s+codes?|
        store\s+credit|account\s+credit|travel\s+credit|(?:bonus|reward|loyalty)\s+points|rewards?|cash\s*back|
        money\s+back|compensation|goodwill\s+gesture|(?:full|partial)\s+refund|refund\w*|reimburs\w*)\b
    |\bfree\s+(?:\w+\s+)?(?:nights?|stays?|rooms?|upgrades?|meals?|dinners?|lunch(?:es)?|breakfasts?|drinks?|desserts?|coffees?|
        bottles?|visits?|treatments?|massages?|spa|parking|months?|rides?|deliver(?:y|ies)|items?|shipping|wine|champagne|
        cocktails?|tickets?|passes|entry|class(?:es)?|sessions?|services?|products?)\b
    |\bcomplimentary\s+(?:\w+\s+)?(?:nights?|stays?|upgrades?|meals?|dinners?|lunch(?:es)?|breakfasts?|drinks?|desserts?|
        bottles?|treatments?|massages?|spa|parking|wine|champagne|cocktails?|tickets?|visits?|services?)\b
    |\b(?:on\s+the\s+house|on\s+us|a\s+(?:little\s+|small\s+)?(?:treat|present|thank[\s-]you\s+gift))\b
    |\bcode\s+(?=[A-Za-z-]*\d)[A-Za-z0-9-]{4,}\b
    |\b(?:win|won)\s+(?:a|an|one|some|free)\b|\bprizes?\b|\bgiveaways?\b|\bprize\s+draws?\b"""
)
_INCENTIVE_VALUE_FR = _c(
    rf"""\b(?:une\s+remise|remise\s+de\s+\d+|une\s+réduction|réduction\s+de\s+\d+|rabais|ristourne|
        bons?\s+d{AP}achat|bons?\s+de\s+réduction|bons?\s+cadeaux?|chèques?\s+cadeaux?|cartes?\s+cadeaux?|
        codes?\s+promo\w*|codes?\s+de\s+réduction|cadeaux?|un\s+avoir|points?\s+(?:de\s+)?fidélité|
        rembours\w*|geste\s+commercial|dédommag\w*|indemni\w*|compensation)\b
    |\b(?:nuits?|nuitées?|séjours?|repas|dîners?|déjeuners?|petits?[\s-]déjeuners?|boissons?|desserts?|cafés?|bouteilles?|
        surclassements?|massages?|soins?|parking|livraisons?|mois|apéritifs?|cocktails?|verres?|consommations?|
        entrées?|billets?|séances?|cours)\s+(?:[\w']+\s+){{0,3}}(?:offert\w*|gratuit\w*)
    |\b(?:offert\w*\s+par\s+la\s+maison|aux\s+frais\s+de\s+la\s+maison|gratuitement)\b
    |\b(?:gagner|gagnez|remporter|remportez)\s+(?:un|une|des|le|la|les)\b|\btirage\s+au\s+sort\b|\bconcours\b|
    \blots?\s+à\s+gagner\b"""
)
#: the value is offered to the reader (not a fact about the place, not a remedy already made)
_OFFER = _c(
    rf"""\b(?:offer\w*|give\s+you|giving\s+you|send(?:ing)?\s+you|treat\s+you|enjoy|receive|get|earn|claim|redeem|
        use\s+(?:the\s+)?code|awaits?\s+you|(?:is|are)\s+yours|here\s+is|here{AP}s|as\s+a\s+(?:thank[\s-]you|token|gesture)|
        to\s+thank\s+you|to\s+make\s+(?:it|this|that)\s+up\s+to\s+you|
        we{AP}?(?:d|ll|\s+would|\s+will|\s+can|\s+could)\s+(?:(?:like|love|be\s+(?:happy|glad|delighted))\s+to\s+)?
            (?:offer|give|send|invite|treat|refund|extend|provide|reimburse|credit)|
        (?:for|on|towards?)\s+your\s+next\s+(?:stay|visit|order|booking|purchase|meal|trip|flight))\b
    |\b(?:offr\w*|vous\s+propos\w*|nous\s+propos\w*|vous\s+(?:faire\s+)?(?:bénéficier|profiter)|bénéficie\w*|profite\w*|
        recev\w*|obten\w*|gagne\w*|utilis\w*\s+le\s+code|vous\s+attend|voici|
        en\s+(?:guise\s+de\s+)?(?:remerciement|geste)|pour\s+vous\s+remercier|pour\s+vous\s+(?:dédommager|consoler)|
        (?:lors\s+de|pour|sur)\s+votre\s+prochaine?\s+(?:séjour|visite|commande|réservation|venue|achat|repas|voyage)|
        nous\s+(?:aimerions|souhaiterions|serions\s+(?:ravis|heureux)\s+de)\s+vous|(?:nous\s+)?(?:allons|pouvons)\s+vous)\b"""
)
#: a benefit every customer has is a fact about the place, not an incentive
_EVERYONE = _c(
    r"""\b(?:all|every|each)\s+(?:of\s+)?(?:our\s+)?(?:guests?|customers?|clients?|visitors?|diners?|members?)\b|\bincluded\b|
    \b(?:tous|toutes|chacun\s+de)\s+(?:nos|les)\s+(?:clients|hôtes|visiteurs|résidents|convives|membres)\b|\binclus\w*\b"""
)


def _incentive_value(sentence: str) -> re.Match[str] | None:
    return _INCENTIVE_VALUE.search(sentence) or _INCENTIVE_VALUE_FR.search(sentence)


def _names_the_review(sentence: str) -> bool:
    """The sentence speaks of the review itself (thanks for it aside)."""
    return _REVIEW_TERM.search(_THANKS_FOR_REVIEW.sub(" ", sentence)) is not None


def _left_to_review_bargain(d: Draft, pos: int, *, structure: bool = True) -> bool:
    """The general rule already flags this sentence (and is on): one finding per sentence is enough.

    ``structure=False``: only its whole phrases count (an incentive is still named as such when the general rule
    sees the trade by its structure)."""
    if "review_bargain" in d.settings.disabled:
        return False
    start, end = d.sentence_at(pos)
    body = d.text[start:end]
    if d.search_any(lambda p: p.review_always, body) is not None:
        return True
    return structure and review_bargain_span(body) is not None


@rule("review_incentive", "block", "Offers something of value in a reply to a review.")
def review_incentive(d: Draft) -> Iterator[Hit]:
    if not d.ctx.review_site:
        return
    for start, end in d.sentences:
        sentence = d.text[start:end]
        value = _incentive_value(sentence)
        if value is None:
            continue
        offered = _OFFER.search(sentence) is not None
        # tied to the review (named, or thanked for and then rewarded), or offered to the reader at all
        tied = _names_the_review(sentence) or (_THANKS_FOR_REVIEW.search(sentence) is not None and offered)
        if not tied and (_EVERYONE.search(sentence) or not offered):
            continue
        if _left_to_review_bargain(d, start, structure=False):
            continue
        yield Hit(span=(start + value.start(), start + value.end()), fix=_remove_sentence(d, start))


# --- requests to change or remove the review ---------------------------------------------------------

_CHANGE_VERB_EN = r"""(?:remov\w*|delet\w*|tak(?:e|ing)\s+down|withdraw\w*|retract\w*|edit\w*|updat\w*|chang\w*|
    amend\w*|revis\w*|modif\w*|reconsider\w*|revisit\w*|adjust\w*|re-?rat\w*|re-?evaluat\w*|re-?assess\w*|correct\w*|
    bump\w*\s+up|tak(?:e|ing)\s+(?:another|a\s+second|a\s+new|a\s+fresh)\s+look\s+at)"""
_CHANGE_VERB_FR = r"""(?:modifi\w*|supprim\w*|retir\w*|chang\w*|mettre\s+à\s+jour|mettiez\s+à\s+jour|mettez\s+à\s+jour|
    actualis\w*|revoi\w*|revoy\w*|revu\w*|révis\w*|effac\w*|enlev\w*|enlèv\w*|corrig\w*|réévalu\w*|reconsidér\w*|
    rehauss\w*|remont\w*|ajust\w*)"""
_CHANGE_REQUEST = _c(
    rf"""\b{_CHANGE_VERB_EN}\s+(?:your|the|this|that|these|those)\s+(?:(?:original|initial|previous|negative|bad|poor|low|
        harsh|current|earlier|public|google|tripadvisor|yelp|\d[\s-]*star|one[\s-]*star|two[\s-]*star)\s+){{0,2}}
        {_REVIEW_NOUN_AFTER}\b{_NOT_THE_REVIEW}
    |\b(?:improv\w*|rais(?:e|ing)|increas\w*|upgrad\w*)\s+your\s+(?:\w+\s+)?(?:review|rating|score|stars|evaluation)\b
    |\breflect\w*\s+(?:this|that|it|these|the\s+\w+)\s+in\s+your\s+(?:review|rating|score|stars)\b
    |\b(?:add|give\s+us)\s+(?:a\s+few\s+|some\s+|an?\s+)?(?:more|extra|additional|another)\s+stars?\b
    |\b{_CHANGE_VERB_FR}\s+(?:votre|vos|ton|tes|cet|cette|ce|ces|le|la|les)\s+(?:(?:premier|première|précédente?|
        mauvaise?|négati\w+|sévère|actuel\w*|ancien\w*)\s+)?{_REVIEW_NOUN_AFTER}\b{_NOT_THE_REVIEW}
    |\b(?:re-?rat\w*|re-?evaluat\w*|re-?review\w*|re-?assess\w*)\s+us\b|\b(?:re)?not(?:er|ez)[\s-]nous\s+à\s+nouveau\b
    |\brevenir\s+sur\s+(?:votre|ton|cet|cette|ce)\s+(?:avis|note|évaluation|commentaire|critique)\b
    |\b(?:votre|la|ta)\s+note\s+à\s+la\s+hausse\b
    |\b(?:ajouter|ajoutez|rajouter|rajoutez)\s+(?:une|deux|quelques|des)\s+étoiles?\b"""
)
#: "would you consider updating it?", "pourriez-vous le retirer ?": a pronoun for the review named around it
_CHANGE_IT = _c(
    rf"""\b(?:{_CHANGE_VERB_EN})\s+(?:it|them)\b
    |\b(?:le|la|les|l{AP})\s*{_CHANGE_VERB_FR}"""
)
#: "we'd appreciate an updated review", "une note revue à la hausse": asked for as a thing
_CHANGED_REVIEW = _c(
    r"""\b(?:updated|revised|amended|corrected|edited|higher|improved|better)\s+(?:review|rating|score|star\s+rating)s?\b
    |\b(?:avis|note|évaluation|commentaire)\s+(?:mise?\s+à\s+jour|modifiée?|revue?\s+à\s+la\s+hausse|corrigée?|rectifiée?)\b
    |\b(?:meilleure|nouvelle)\s+note\b"""
)
_ASKING = _c(
    rf"""\b(?:would|could|can|will|might)\s+you\b|\bplease\b|\bkindly\b|\bfeel\s+free\b|\bwe{AP}?d\s+(?:love|appreciate|be\s+grateful)\b|
    \bwe\s+(?:would|hope|ask|invite|encourage)\b|\bhop(?:e|ing)\s+you\b|\bif\s+you\b|\bconsider\w*\b|\bmind\b|
    \b(?:pourriez|pouvez|voudriez|accepteriez|auriez)-vous\b|\bmerci\s+de\b|\bveuillez\b|\bn{AP}hésitez\s+pas\b|
    \bnous\s+(?:espérons|aimerions|souhaiterions|vous\s+invitons|vous\s+serions)\b|\bsi\s+vous\b|\bserait-il\b"""
)
_PRONOUN = re.compile(r"\b(we|i|you|nous|je|j(?=['’])|vous|tu)\b", re.IGNORECASE)


def _ours(prefix: str) -> bool:
    """The change is the business's own ("we have updated the post", "nous allons le modifier"): the nearest
    subject pronoun before the verb is we/I."""
    found = _PRONOUN.findall(prefix)
    return bool(found) and found[-1].lower() in ("we", "i", "nous", "je", "j")


@rule("review_change_request", "block", "Asks the reviewer to change, update or remove the review.")
def review_change_request(d: Draft) -> Iterator[Hit]:
    if not d.ctx.review_site:
        return
    for start, end in d.sentences:
        sentence = d.text[start:end]
        found = _CHANGE_REQUEST.search(sentence)
        wished = None if found is not None or _ASKING.search(sentence) is None else _CHANGED_REVIEW.search(sentence)
        if wished is not None:  # "we'd appreciate an updated review": the wish is ours, the change theirs
            if not _left_to_review_bargain(d, start):
                yield Hit(span=(start + wished.start(), start + wished.end()), fix=_remove_sentence(d, start))
            continue
        if found is None:
            # "would you consider updating it?": a pronoun for the review, in a request, the review named nearby
            found = _CHANGE_IT.search(sentence)
            if found is None or _ASKING.search(sentence) is None or not _names_the_review(d.sentence_window(start)):
                continue
        if _ours(sentence[: found.start()]) or _left_to_review_bargain(d, start):
            continue
        yield Hit(span=(start + found.start(), start + found.end()), fix=_remove_sentence(d, start))


# --- personal data ---------------------------------------------------------------------------------

_ROOM = _c(
    r"""\b(?P<noun>rooms?|suites?|cabins?|apartments?|apt\.?|bungalows?|villas?|chalets?|units?|studios?|
        chambres?|cabines?|appartements?|appart|logements?)
    \s*(?:number|no\.?|n°|nº|numéro|num\.?|\#)?\s*\#?\s*(?P<number>\d{1,4}[A-Za-z]?)\b
    (?!\s*(?:lits?|personnes?|pers\.?|adultes?|places?|guests?|people|persons?|adults?|beds?|bedrooms?|chambres?|
        pièces?|étoiles?|stars?|nuits?|nights?|%|€|\$|£|m²|m2|sqm|sq|h\b|x\b|min|minutes?|heures?|hours?|days?|jours?|
        floors?|étages?|ans|years?))"""
)
#: "your number 06…", "votre adresse jo@…": the reader's own contact details, wherever they come from
_THEIRS = _c(
    r"""\b(?:your|votre|vos|ton|ta|tes)\s+(?:\w+\s+)?(?:(?:phone|mobile|cell|tele)?\s*(?:number|phone)|e-?mail(?:\s+address)?|
    address|numéro|téléphone|portable|mobile|adresse(?:\s+e-?mail|\s+mail|\s+électronique)?|e-?mail|mail|courriel)\b
    [^.!?\n]{0,20}$"""
)
_TITLE = r"(?:mr|mrs|ms|miss|mx|dr|sir|madam|m|mme|mlle|madame|monsieur|mademoiselle|docteur)\.?"
_NO_NAME = frozenset({"a google user", "un utilisateur de google", "google user", "anonymous", "anonyme"})


def _fold(value: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", value.casefold()) if not unicodedata.combining(c))


def _name_hits(d: Draft) -> Iterator[tuple[int, int, str]]:
    """The reviewer's name beyond the first name: "Élodie Marchand", "Mme Marchand" (fix: the first name)."""
    name = (d.ctx.customer_name or "").strip()
    if not name or _fold(name) in _NO_NAME:
        return
    words = [w for w in re.findall(r"[^\W\d_][\w'’-]*\.?", name) if not w.endswith(".") and len(w) > 1]
    if len(words) < 2 or len(words) > 5:
        return
    folded_text = _fold(d.text)
    same = len(folded_text) == len(d.text)  # folding kept every position: search without accents or case
    text, fold = (folded_text, _fold) if same else (d.text, str)
    first, rest = words[0], words[1:]
    surname = r"\s+".join(re.escape(fold(w)) for w in rest)
    given = re.escape(fold(first))
    pattern = re.compile(rf"(?<!\w)(?:{given}\s+{surname}|{_TITLE}\s+(?:{given}\s+)?{surname})(?!\w)", re.IGNORECASE)
    for m in pattern.finditer(text):
        yield m.start(), m.end(), first


@rule("review_personal_data", "block", "Personal data of the reviewer in a reply to a review.")
def review_personal_data(d: Draft) -> Iterator[Hit]:
    if not d.ctx.review_site:
        return
    taken: list[tuple[int, int]] = []
    if d.ctx.public and "echoes_personal_data" not in d.settings.disabled:
        taken = [h.span for h in echoes_personal_data(d) if h.span is not None]

    def free(start: int, end: int) -> bool:
        if any(start < e and s < end for s, e in taken):
            return False
        taken.append((start, end))
        return True

    customer_keys = {_pd_key(p) for p in find_personal_data(d.ctx.customer_text or "")}
    for item in find_personal_data(d.text):
        # the reviewer's booking or order number, whatever its source; a phone or e-mail only when it is the
        # reviewer's (the business's own contact details may be given)
        if item.kind in ("email", "phone") and _pd_key(item) not in customer_keys and \
                not _THEIRS.search(d.text[max(0, item.start - 40):item.start]):
            continue
        if not free(item.start, item.end):
            continue
        kind = {"record_locator": "booking", "order_number": "order", "iban": "card"}.get(item.kind, item.kind)
        yield Hit(span=(item.start, item.end), params={"what": data_name(kind, d.lang)},
                  fix=Fix(kind="replace_span", text=T.mask(item.value)))
    for m in _ROOM.finditer(d.text):
        if free(m.start(), m.end()):
            yield Hit(span=(m.start(), m.end()), params={"what": data_name("room", d.lang)},
                      fix=Fix(kind="replace_span", text=m.group("noun")))
    for start, end, first in _name_hits(d):
        if free(start, end):
            yield Hit(span=(start, end), params={"what": data_name("full_name", d.lang)},
                      fix=Fix(kind="replace_span", text=first))


# --- emoji the network refuses -----------------------------------------------------------------------


@rule("emoji_refused", "block", "Emoji on a network that refuses them in replies.")
def emoji_refused(d: Draft) -> Iterator[Hit]:
    if d.ctx.emoji_allowed:
        return
    spans = T.emoji_spans(d.text)
    if not spans:
        return
    fix = Fix(kind="replace_draft", text=T.strip_emoji(d.text))
    network = d.ctx.network or term("network:", d.lang)
    params = {"network": network[:1].upper() + network[1:]}
    for span in spans:
        yield Hit(span=span, params=params, fix=fix)
