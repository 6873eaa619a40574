"""Reading a rating in a customer's text: "5", "4/5", "⭐⭐⭐⭐", "😍", "très satisfait", "not happy at all" — for a
survey's answer (``compris.surveys.parsing``, which adds the buttons' payloads) and for the triage, which recognises
a satisfied answer that reopens nothing (issue 20: ``compris.triage.problems.closing_feedback``).

Pure functions (no database). :func:`parse_rating` returns None for anything that is not clearly a rating, so that
the message stays an ordinary message on the case: mistaking an ordinary message for a rating is the costly error.

How a text is read (see ``docs/surveys.md``, "Answers"):

1. normalised: lower case, accents and punctuation dropped, elongations shortened ("suuuper!!!" → "super");
2. refused at once when it is long (over :data:`MAX_WORDS` words or :data:`MAX_CHARS` characters) or asks a
   question ("?");
3. read as a sequence of known pieces only: ratings (a number of the scale, "4/5", "4 sur 5", "4 out of 5",
   "4 étoiles", stars, faces, rating words and phrases in French and English), negations ("pas", "not") and
   intensifiers ("très", "very") that change the next rating word, and fillers (politeness, "je suis", "it was",
   "le service", "merci"...). **Any other word makes the whole text a non-answer**: "my flight is at 5", "I waited
   5 hours", "2 bags", "booking 45123", "still no refund" are left alone because "flight", "hours", "bags",
   "booking", "refund" are none of these;
4. the pieces must agree: an explicit rating (a number, stars, faces) wins over words within one point of it;
   words alone must all give the same rating; anything else is ambiguous (None).
"""

from __future__ import annotations

import re
import unicodedata

#: the number of points of each scale (CSAT: the top two points are "satisfied")
SCALES: dict[str, int] = {"stars5": 5, "faces5": 5}
#: longer texts are never read as a rating (an answer is short)
MAX_WORDS = 12
MAX_CHARS = 160

FILLED_STARS = "⭐★🌟✭✮✯✪✶✷✸✹"
EMPTY_STARS = "☆✩"
#: emoji faces (and close variants) on five points; a heart or a thumb is read the same way
FACES: dict[str, int] = {
    "😡": 1, "😠": 1, "🤬": 1, "😤": 1, "😭": 1, "🤮": 1, "💩": 1,
    "😞": 2, "😟": 2, "🙁": 2, "☹": 2, "😕": 2, "😒": 2, "😔": 2, "😣": 2, "😖": 2, "😩": 2, "😫": 2, "😢": 2,
    "👎": 2,
    "😐": 3, "😑": 3, "😶": 3, "🤔": 3, "🫤": 3,
    "🙂": 4, "😊": 4, "😀": 4, "😃": 4, "☺": 4, "👍": 4, "👌": 4,
    "😍": 5, "🤩": 5, "😁": 5, "😄": 5, "🥰": 5, "😻": 5, "❤": 5, "💯": 5, "👏": 5, "🎉": 5,
    "💖": 5, "💕": 5, "💗": 5, "💙": 5, "💚": 5, "🥳": 5,
}

#: rating words and phrases (normalised: lower case, no accents), each with its rating on five points; the longest
#: phrase wins, so idioms ("pas terrible" = 2, "pas mal" = 4, "not bad" = 4) are read before the general negation
_WORDS: dict[int, tuple[str, ...]] = {
    5: ("excellent", "excellente", "excellents", "parfait", "parfaite", "parfaitement", "super", "genial",
        "geniale", "top", "au top", "extra", "formidable", "merveilleux", "merveilleuse", "impeccable", "nickel",
        "fantastique", "exceptionnel", "exceptionnelle", "remarquable", "ravi", "ravie", "enchante", "enchantee",
        "tres satisfait", "tres satisfaite", "tres content", "tres contente", "tres bien", "tres bon", "trop bien",
        "perfect", "great", "amazing", "awesome", "fantastic", "outstanding", "brilliant", "wonderful", "superb",
        "excellent service", "love it", "loved it", "delighted", "thrilled", "very happy", "very satisfied",
        "very good", "extremely satisfied", "extremely happy", "top notch", "five stars", "cinq etoiles",
        "au poil", "aux petits oignons", "magnifique", "incroyable", "wow", "tres heureux", "tres heureuse",
        "extremement satisfait", "extremement satisfaite", "hyper satisfait", "hyper content", "great job",
        "well done", "bravo", "rien a redire", "genialissime", "10 sur 10", "sans faute", "a recommander",
        "recommande", "highly recommend", "above and beyond", "perfectly", "parfaitement bien"),
    4: ("satisfait", "satisfaite", "satisfaits", "content", "contente", "contents", "bien", "bon", "bonne",
        "pas mal", "plutot satisfait", "plutot satisfaite", "plutot content", "plutot contente", "assez satisfait",
        "assez satisfaite", "plutot bien", "sympa", "efficace", "rapide", "good", "happy", "satisfied", "pleased",
        "nice", "not bad", "pretty good", "quite good", "quite happy", "fairly satisfied", "cool", "helpful",
        "efficient", "quick", "fast", "four stars", "quatre etoiles", "pas mal du tout", "not bad at all",
        "good enough", "glad", "satisfaisant", "satisfaisante", "heureux", "heureuse", "good job",
        "all good", "tout bon", "c est bon", "ca marche bien"),
    3: ("moyen", "moyenne", "bof", "mouais", "correct", "correcte", "passable", "mitige", "mitigee", "neutre",
        "ca va", "ca peut aller", "sans plus", "peut mieux faire", "ni satisfait ni insatisfait", "so so", "soso",
        "meh", "average", "neutral", "alright", "mediocre", "could be better", "not great not terrible", "okish",
        "three stars", "trois etoiles", "ok", "okay", "okey", "fine", "was fine", "it was ok", "c etait ok",
        "not bad not great", "could have been better", "aurait pu etre mieux", "un peu lent"),
    2: ("pas satisfait", "pas satisfaite", "insatisfait", "insatisfaite", "pas content", "pas contente",
        "mecontent", "mecontente", "decu", "decue", "decevant", "decevante", "pas terrible", "pas top",
        "pas bien", "pas genial", "bof bof", "mauvais", "mauvaise", "pas ouf", "lent", "bad", "poor", "unhappy",
        "not happy", "not satisfied", "dissatisfied", "unsatisfied", "disappointed", "disappointing", "not good",
        "not great", "slow", "two stars", "deux etoiles", "not very good", "pas tres bien", "mal", "sad",
        "not really", "pas vraiment"),
    1: ("pas du tout satisfait", "pas du tout satisfaite", "pas du tout content", "pas du tout contente",
        "nul", "nulle", "nuls", "horrible", "terrible", "catastrophique", "catastrophe", "lamentable",
        "inadmissible", "honteux", "scandaleux", "inacceptable", "a fuir", "pire", "execrable", "minable",
        "tres decu", "tres decue", "tres mecontent", "tres mecontente", "tres insatisfait", "tres insatisfaite",
        "tres mauvais", "tres mauvaise", "nul a chier", "zero", "awful", "worst", "the worst", "disgusting",
        "pathetic", "useless", "appalling", "dreadful", "unacceptable", "not happy at all", "not satisfied at all",
        "very unhappy", "very dissatisfied", "very disappointed", "extremely disappointed", "very bad",
        "very poor", "one star", "une etoile", "rubbish", "shocking", "a disaster"),
}
LEXICON: dict[tuple[str, ...], int] = {tuple(p.split()): r for r, phrases in _WORDS.items() for p in phrases}
LONGEST = max(len(k) for k in LEXICON)
#: words that count only when they are the whole answer ("ok merci" is more often "noted, thanks" than a 3/5)
WEAK = frozenset({("ok",), ("okay",), ("okey",), ("fine",), ("cool",), ("rapide",), ("quick",), ("fast",),
                  ("lent",), ("slow",), ("zero",), ("wow",), ("efficace",), ("efficient",), ("helpful",),
                  ("pire",), ("mal",), ("sad",), ("not", "really"), ("pas", "vraiment")})

NEGATIONS = frozenset({"pas", "not", "non", "ne", "n", "no", "never", "jamais", "isnt", "wasnt", "arent",
                       "werent", "dont", "didnt", "aucunement", "guere"})
#: "pas du tout", "not at all": a negation at its strongest
ABSOLUTE = (("du", "tout"), ("at", "all"), ("pas", "du", "tout"))
INTENSIFIERS = frozenset({"tres", "very", "really", "vraiment", "trop", "so", "extremely", "super", "totally",
                          "totalement", "completement", "completely", "absolutely", "absolument", "hyper",
                          "vachement", "tellement", "too", "si", "particulierement", "incredibly", "truly"})
SOFTENERS = frozenset({"plutot", "assez", "quite", "fairly", "pretty", "rather", "kinda", "somewhat", "un", "peu"})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: politeness and the words around a rating ("je suis", "it was", "le service", "merci"): read, and ignored
FILLERS = _words(
    """
do does did wa je j i im am suis sommes nous we are was is its it s c ca cela this that etait ete est ai avons
been has have merci mercii thanks thank thx ty you vous tu beaucoup much lot a for pour votre vos your ton ta
le la les l the un une of de du des d et and avec with en in sur dans par by service services aide help agent
agents conseiller conseillere conseillers equipe team support staff reponse reponses response answer echange
experience interaction prise charge traitement oui yes yeah yep bonjour bonsoir hello hi hey salut
cordialement regards franchement honnetement honestly sincerely sincerement sans hesiter hesitation me m moi
mon ma mes my our notre overall globalement general ensemble note notes rating rate score je mets mets met
donne give gives would id d i'd ll will et encore again au final finally tout all toujours
"""
)
#: greetings made of rating words, read as politeness ("bonne journée" is no 4/5)
FILLER_PHRASES = frozenset(tuple(p.split()) for p in (
    "bonne journee", "bonne soiree", "bonne fin de journee", "bonne continuation", "bon week end", "bonne nuit",
    "have a nice day", "have a good day", "have a great day", "nice day", "good day", "good night",
    "good evening", "good morning", "have a good one", "bonne semaine", "bon courage"))
_NUMBER_WORDS = {"un": 1, "une": 1, "one": 1, "deux": 2, "two": 2, "trois": 3, "three": 3, "quatre": 4,
                 "four": 4, "cinq": 5, "five": 5}

_FRACTION = re.compile(r"(?<!\d)(?<!\d[.,])(\d{1,2})\s*(?:/|sur|out of|of|on)\s*(\d{1,2})(?!\d|[.,]\d)")
_STARRED = re.compile(r"(?<!\d)(?<!\d[.,])(\d)\s*(?:\*|etoiles?|stars?|pts?|points?)(?!\w)")
_NUMBERED_STAR = re.compile(
    r"(?<![\d.,])(\d)\s*[" + FILLED_STARS + r"](?![" + FILLED_STARS + EMPTY_STARS + r"])"
    r"|(?<![" + FILLED_STARS + EMPTY_STARS + r"])[" + FILLED_STARS + r"]\s*(\d)(?![\d.,])"
)
_RUNS = re.compile(r"(\w)\1{2,}")
#: numbers spelled out; "un", "une", "one" only where they count ("une étoile", "one out of five"), not as articles
_SPELLED = re.compile(r"\b(deux|trois|quatre|cinq|two|three|four|five|(?:un|une|one)(?=\s+(?:etoile|star|sur|out)))\b")
_TOKEN = re.compile(r"<r\d+>|\w+")


KNOWN = frozenset({w for phrase in LEXICON for w in phrase} | NEGATIONS | INTENSIFIERS | SOFTENERS | FILLERS
                   | set(_NUMBER_WORDS) | {w for a in ABSOLUTE for w in a} | {w for p in FILLER_PHRASES for w in p})
_DOUBLE = re.compile(r"(\w)\1")


def points(scale: str) -> int:
    return SCALES.get(scale, 5)


def _plain(text: str) -> str:
    """Lower case, without accents; apostrophes and hyphens become spaces; other punctuation is dropped."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    kept = re.sub(r"n['’]t\b", " not", kept)  # "wasn't", "don't" → "was not", "do not"
    return kept.replace("’", "'").replace("'", " ").replace("-", " ")


def _on_scale(value: int, top: int) -> int | None:
    return value if 1 <= value <= top else None


def _symbols(text: str, top: int) -> tuple[list[int], list[int], str]:
    """Ratings given by stars, by faces, and the text without them."""
    found: list[int] = []
    filled = sum(text.count(c) for c in FILLED_STARS)
    empty = sum(text.count(c) for c in EMPTY_STARS)
    if filled or empty:
        if filled == 0 or filled > top or (empty and filled + empty != top):
            return [0], [], text  # 0: an impossible rating, the text is then no answer
        found.append(filled)
    faces = sorted({FACES[c] for c in text if c in FACES})
    rest = "".join(c for c in text if c not in FACES and c not in FILLED_STARS and c not in EMPTY_STARS)
    return found, faces, rest


def _numbers(text: str, top: int) -> tuple[list[int], str]:
    """Ratings written with digits ("4/5", "4 sur 5", "4 étoiles", "10/10"), replaced by a marker token."""
    found: list[int] = []

    def fraction(match: re.Match[str]) -> str:
        value, out_of = int(match.group(1)), int(match.group(2))
        if out_of == top:
            found.append(max(1, value) if value <= top else 0)  # "0/5": the lowest point
        elif out_of == 10 and 0 <= value <= 10:
            found.append(max(1, int(value * top / 10 + 0.5)))  # "9/10" → 5, "7/10" → 4
        else:
            found.append(0)
        return f" <r{len(found) - 1}> "

    def starred(match: re.Match[str]) -> str:
        found.append(_on_scale(int(match.group(1)), top) or 0)
        return f" <r{len(found) - 1}> "

    text = _FRACTION.sub(fraction, text)
    text = _STARRED.sub(starred, text)
    return found, text


def _known(token: str) -> str:
    """An elongated word brought back to one the reader knows: "suuper" → "super", "cooool" → "cool"."""
    if token in KNOWN or not _DOUBLE.search(token):
        return token
    single = _DOUBLE.sub(r"\1", token)
    return single if single in KNOWN else token


def _lookup(tokens: list[str], i: int) -> tuple[int, int] | None:
    """The longest rating phrase starting at ``tokens[i]``: (rating, length)."""
    for size in range(min(LONGEST, len(tokens) - i), 0, -1):
        key = tuple(tokens[i:i + size])
        if key in LEXICON:
            return LEXICON[key], size
    return None


def _negated(rating: int, absolute: bool) -> int:
    if rating >= 4:
        return 1 if absolute else 2
    if rating == 3:
        return 2
    return 4 if rating == 2 else 3  # "not bad" is good; "not terrible" is middling


def _intensified(rating: int) -> int:
    return {4: 5, 2: 1}.get(rating, rating)


def parse_rating(text: str, scale: str = "stars5") -> int | None:
    """The rating a text gives on ``scale``, or None when the text is not clearly a rating."""
    top = points(scale)
    raw = (text or "").strip()
    if not raw or len(raw) > MAX_CHARS or "?" in raw or "？" in raw:
        return None
    if any(unicodedata.category(c) == "Sc" or c in "%#@&+=" for c in raw):  # "5 €", "2%", "#4", "@brand": no rating
        return None
    # "5 ⭐", "4★", "⭐ 5": one star beside a number of the scale says how many stars (not one star and a 5)
    raw = _NUMBERED_STAR.sub(lambda m: f" {m.group(1) or m.group(2)} etoiles ", raw)
    explicit, faces, rest = _symbols(raw, top)
    plain = _RUNS.sub(r"\1\1", _plain(rest))  # elongations: 3+ times the same letter → 2 (see _known)
    plain = _SPELLED.sub(lambda m: str(_NUMBER_WORDS[m.group(1)]), plain)  # "quatre sur cinq" → "4 sur 5"
    numbered, plain = _numbers(plain, top)
    explicit += numbered
    if any(value == 0 for value in explicit):
        return None
    tokens = [_known(t) for t in _TOKEN.findall(plain)]
    if len(tokens) > MAX_WORDS:
        return None
    words: list[int] = []
    negate = absolute = intense = False
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.startswith("<r"):
            i += 1
            continue
        if token.isdigit():  # a bare number: a rating only when it is a point of the scale
            value = _on_scale(int(token), top)
            if value is None:
                return None
            explicit.append(value)
            i += 1
            continue
        greeting = next((size for size in (5, 4, 3, 2) if tuple(tokens[i:i + size]) in FILLER_PHRASES), 0)
        if greeting:
            i += greeting
            continue
        if token in INTENSIFIERS and _lookup(tokens, i + 1) is not None:  # "super content", "trop bien"
            intense = True
            i += 1
            continue
        found = _lookup(tokens, i)
        if found is not None:
            rating, size = found
            phrase = tuple(tokens[i:i + size])
            if phrase[0] in NEGATIONS:  # "je ne suis pas satisfait": the phrase carries the negation
                negate = False
            if phrase in WEAK and len([t for t in tokens if not t.startswith("<r")]) > 1:
                return None
            i += size
            after = next((a for a in ABSOLUTE if tuple(tokens[i:i + len(a)]) == a), None)
            if after is not None:  # "satisfait du tout", "happy at all"
                absolute = True
                i += len(after)
            if negate:
                rating = _negated(rating, absolute)
            elif absolute and rating <= 2:  # "pas content du tout", "pas satisfait du tout"
                rating = 1
            elif intense:
                rating = _intensified(rating)
            words.append(rating)
            negate = absolute = intense = False
            continue
        if any(tuple(tokens[i:i + len(a)]) == a for a in ABSOLUTE):
            absolute = negate = True
            i += len(next(a for a in ABSOLUTE if tuple(tokens[i:i + len(a)]) == a))
            continue
        if token in NEGATIONS:
            negate = True
        elif token in INTENSIFIERS:
            intense = True
        elif token not in FILLERS and token not in SOFTENERS:
            return None  # a word that is no part of a rating: an ordinary message
        i += 1
    return _agree(explicit, words, faces)


def _agree(explicit: list[int], words: list[int], faces: list[int]) -> int | None:
    """One rating from what the text gave, or None when its pieces disagree (or it gave none). Faces rate only on
    their own ("😍"); beside a number, stars or words they are the customer's tone ("5 🙂", "très satisfait 👍")."""
    if not explicit and not words:
        return faces[0] if len(faces) == 1 else None
    if explicit:
        if len(set(explicit)) > 1:
            return None
        value = explicit[0]
        return value if all(abs(w - value) <= 1 for w in words) else None
    if words and len(set(words)) == 1:
        return words[0]
    return None


def score(rating: int, scale: str = "stars5") -> int:
    """The rating on 0–100 (1 star = 0, 5 stars = 100)."""
    top = points(scale)
    return round((min(max(rating, 1), top) - 1) * 100 / (top - 1))


def satisfied(rating: int, scale: str = "stars5") -> bool:
    """CSAT counts the top two points of the scale as satisfied."""
    return rating >= points(scale) - 1
