"""Terms of a customer message for keyword volumes: French and English, lower-cased, accents folded, stop words,
handles, links and numbers dropped. Pure; used on every inbound message, so it is a few regular expressions and a
set look-up (no model)."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_TERMS", "STOP_WORDS", "fold", "terms"]

#: at most this many distinct terms of one message are counted (a long e-mail does not weigh more than a tweet)
MAX_TERMS = 12
MIN_LENGTH = 3
MAX_LENGTH = 40

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w@])@\w+")
_EMAIL = re.compile(r"\S+@\S+")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_ELISION = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)['’]")


def fold(text: str) -> str:
    """Case- and accent-folded: "Reçu" → "recu"."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


_FR = """
a au aux avec ce ces cet cette c ca ceci cela celle celui chez comme dans de des du elle elles en et eux il ils je
j la le les leur leurs lui ma mais me meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses
si son sur ta te tes toi ton tu un une vos votre vous y est sont suis es etes sommes etait ete etre avoir ai as avons
avez ont avait fait faire fais peut peux pouvez veux voulez dois doit faut plus moins tres trop bien aussi encore
toujours jamais rien tout tous toute toutes alors donc car quand comment pourquoi quoi ou deja depuis apres avant
bonjour bonsoir merci svp stp salut hello oui non ici la-bas ca cela cest jai jen cest quil quelle quel quels
quelles autre autres sans sous entre vers dont lors leur meme ni soit ceux celles aujourd hui aujourd'hui hier
demain va vais vont allez etc via lol mdr
"""
_EN = """
a about above after again against all am an and any are aren as at be because been before being below between both
but by can cannot could couldn did didn do does doesn doing don down during each few for from further had hadn has
hasn have haven having he her here hers herself him himself his how i if in into is isn it its itself just let me
more most my myself no nor not now of off on once only or other our ours ourselves out over own same she should so
some such than that the their theirs them themselves then there these they this those through to too under until up
very was wasn we were weren what when where which while who whom why will with won would you your yours yourself
yourselves im ive id youre dont cant wont isnt didnt doesnt thats theres hi hey hello thanks thank please pls plz
yes ok okay still get got also one would could us via amp rt dm lol omg really even ever back today yesterday
tomorrow will shall may might must
"""
STOP_WORDS: frozenset[str] = frozenset(fold(w) for w in (_FR + _EN).split())


def terms(text: str) -> list[str]:
    """The distinct salient terms of ``text``, in order of appearance, at most :data:`MAX_TERMS`."""
    text = _URL.sub(" ", text)
    text = _EMAIL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    seen: list[str] = []
    for match in _WORD.finditer(fold(text)):
        word = _ELISION.sub("", match.group().replace("’", "'"))
        for part in word.split("'"):
            part = part.strip("-")
            if (MIN_LENGTH <= len(part) <= MAX_LENGTH and part not in STOP_WORDS and part not in seen):
                seen.append(part)
                if len(seen) >= MAX_TERMS:
                    return seen
    return seen
