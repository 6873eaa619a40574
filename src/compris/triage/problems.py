"""Does the customer report a problem? (issue 20: complaint and urgency never buried; the reply guard's empathy
rule applies to any customer who reported one, whatever the intent label.)

Shared contract: ``reported_problem(text)`` returns the kinds of failure the text reports (``not_received``,
``cancelled``, ``lost``, ``charged_twice``, ``no_answer``, ``delayed``, ``broken``...), empty when it reports
none. Used by the triage's fast path (``core``) and by the reply guard (``replies.guard.rules``).

Read by meaning rather than by phrase, in French and English:

* the text is folded (lower case, no accents, one kind of apostrophe, English contractions spelt out: "didn't" →
  "did not"), then cut into clauses;
* an **event** (arrive / receive / deliver / work / answer / activate... by stem: ``recu``, ``livr``, ``arriv``,
  ``receiv``, ``deliver``, ``show(ed) up``, ``fonctionn``, ``march``...) counts as a failure when a **negation or
  absence** stands before it in the same clause ("pas", "jamais", "rien", "toujours pas", "plus", "not",
  "never", "still no", "yet to"), or when the clause asks where the thing is ("où est", "where is", "no sign of");
* **states** report a failure by themselves: cancelled, lost, damaged / broken, charged twice / overcharged,
  refused, blocked, outage, wrong item, no answer ("personne ne répond", "no one picks up", "on hold for 2
  hours"), and **waiting** (a waiting verb or "still" with a duration: "depuis 3 semaines", "for 2 hours", "il y a
  un mois", "ça fait 10 jours");
* what is **not** a report: a hypothetical or a policy question ("can I cancel my booking?", "what happens if my
  bag is lost?", "en cas d'annulation..."), thanks for a problem that is over ("thanks for finding my lost bag!",
  "merci, colis bien reçu"), news about others ("according to reports, flights cancelled...").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from compris.triage import rules

__all__ = ["KINDS", "closing_feedback", "fold", "reported_problem"]

#: every kind :func:`reported_problem` may return, most specific first ("failure": a failure word of another
#: language than French and English, whose kind is not read)
KINDS: tuple[str, ...] = (
    "charged_twice",
    "overcharged",
    "refused",
    "wrong_item",
    "lost",
    "broken",
    "cancelled",
    "not_received",
    "blocked",
    "outage",
    "no_answer",
    "delayed",
    "failure",
)


def _without_accents(char: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))


#: the accented letters of Latin-1 and Latin Extended-A folded once (``str.translate`` is far cheaper than a
#: normalisation per message); anything else goes through NFKD
_FOLD_TABLE = {code: _without_accents(chr(code)) for code in range(0xC0, 0x250)
               if _without_accents(chr(code)) != chr(code)}
_FOLD_TABLE.update({0x2019: "'", ord("`"): "'", 0xA0: " "})
#: "can't", "won't", "didn't", and tweets' unpunctuated "didnt", "havent", "cant": the negation spelt out
_CONTRACTION = re.compile(
    r"\b(?:(can)'?t|(won)'?t|(\w+)n't|(did|has|have|had|is|was|are|were|does|do|could|would)nt|(cant))\b")
_SPACES = re.compile(r"[ \t]+")


def _spelt_out(m: re.Match[str]) -> str:
    can, wont, stem, bare, cant = m.groups()
    if can or cant:
        return "can not" if cant else f"{can} not"
    if wont:
        return "will not"
    return f"{stem or bare} not"


def fold(text: str) -> str:
    """Lower case, accents dropped, apostrophes unified, English negative contractions spelt out."""
    plain = text.lower().translate(_FOLD_TABLE)
    if not plain.isascii():
        plain = _without_accents(plain)
    plain = _CONTRACTION.sub(_spelt_out, plain)
    return _SPACES.sub(" ", plain)


def _rx(words: Iterable[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w])(?:" + "|".join(words) + r")(?![\w])")


# --- events that fail when negated ---------------------------------------------------------------------------

#: stems of "arrive / receive / deliver / come" (folded)
_ARRIVAL = (
    r"recu[es]?|recevoir|recois|recoit|recevons|livr\w*|arriv\w*|parvenu[es]?|parvien\w*"
    r"|expedi\w*|envoye[es]?|rembours\w*|credite[es]?|activ\w*|raccord\w*|install\w*|vien(?:s|t|nent)|venir"
    r"|venu[es]?|pointe\w*|presente[es]?|received?|receiving|get|got|gotten|deliver(?:ed|y)?|arriv(?:ed|e|ing)"
    r"|come|came"
    r"|show(?:ed|n)? up|turn(?:ed)? up|shipped|sent|refunded|credited|activated|connected|installed|loaded|on "
    r"board|onboard|transferred"
    r"|charge[es]?|transfere[es]?|embarque[es]?"
)
#: stems of "work / answer / load / connect" (folded): their negation is an outage or no answer
_WORKING = (
    r"fonctionn\w*|march\w*|repond\w*|decroch\w*|rappel\w*|joindre|joignable|connect\w*|capte\w*"
    r"|work(?:s|ing|ed)?|load(?:s|ing)?|answer(?:s|ed|ing)?|respond(?:s|ed|ing)?|repl(?:y|ies|ied)"
    r"|pick(?:s|ed)? up|call(?:s|ed)? (?:me )?back|get through|log ?in|sign ?in|send|go through|accept\w*"
    r"|fix(?:ed)?|resol\w*|solved|sorted|regle[es]?|repare[es]?|retabli[es]?|depann\w*"
)
_NEGATION = (
    r"ne|n(?=')|pas|jamais|rien|plus|aucun\w*|toujours pas|ni|not|never|no|nothing|nobody|no one|none|yet to|s"
    r"till no|sans"
    r"|0|zero|impossible de"
)
_NEGATED_EVENT = re.compile(
    r"(?<![\w])(?:" + _NEGATION + r")(?![\w])(?:\W+\w+){0,4}?\W+(?:(" + _ARRIVAL + r")|(" + _WORKING + r"))(?![\w])"
)
#: "personne ne répond", "nobody answers": the subject is the negation
_NOBODY = re.compile(
    r"(?<![\w])(?:personne|nobody|no one|noone|no-one|aucun conseiller|aucun technicien)(?![\w])(?:\W+\w+){0,3}?\W+"
    r"(?:repond\w*|decroch\w*|rappel\w*|bouge|vient|venu|passe|aide\w*|answer\w*|respond\w*|repl\w*|pick\w*|help\w*"
    r"|call\w*|care\w*|got back|get back|came|show\w*|notif\w*|updat\w*|inform\w*|prevenu|previent|tenu au courant"
    r"|is (?:there|answering|helping))(?![\w])"
)
_WHERE_IS = _rx(
    [
        r"ou (?:est|sont|en est|en sont) (?:mon|ma|mes|notre|nos|le|la|les)",
        r"where (?:is|are|'s) (?:my|our|the)",
        r"no sign of",
        r"aucune trace d[eu]",
        r"still (?:no|not|have not|has not|did not|waiting)",
        r"toujours (?:pas|rien|aucun\w*|sans)",
        r"(?:j'attends|nous attendons|on attend) (?:toujours |encore )?(?:mon|ma|mes|le|la|les|notre|nos|votre|vos)",
    ]
)

# --- states that are failures by themselves ------------------------------------------------------------------

_STATES: dict[str, re.Pattern[str]] = {
    "charged_twice": _rx(
        [
            r"(?:charged|billed|debited|taken) (?:\w+ ){0,3}(?:twice|two times|double|2 times|again)",
            r"double[- ](?:charged|charge|billed|billing|payment)",
            r"(?:debite|preleve|facture|paye)e?s? (?:\w+ ){0,3}(?:deux fois|2 fois|en double|a nouveau)",
            r"(?:double|deux) (?:prelevements?|debits?|facturations?|paiements?)",
            r"prelevement en double",
        ]
    ),
    "overcharged": _rx(
        [
            r"overcharg\w*",
            r"surfactur\w*",
            r"(?:charged|billed|charging|billing) (?:me |us )?(?:for (?:nothing|something)|without)",
            r"(?:still|keep) (?:charging|billing|taking)",
            r"(?:preleve[rz]?|prelevez|prelevent|facture[rz]?|facturez|facturent)\w* (?:\w+ ){0,6}(?:alors que"
            r"|pour rien|sans)",
            r"(?:paye|paie|payer) (?:\w+ ){0,3}pour rien",
            r"frais (?:abusifs|injustifies)",
        ]
    ),
    "refused": _rx(
        [
            r"refus\w* (?:\w+ ){0,2}(?:de me |de nous |de )?(?:rembours\w*|dedommag\w*|geste|remplac\w*|echange\w*)",
            r"refus de (?:rembours\w*|geste|dedommag\w*)",
            r"refuse[sd]? (?:\w+ ){0,2}(?:to )?(?:refund|reimburse|compensat\w*|replace|help|honou?r)",
            r"denied (?:boarding|my (?:claim|refund)|a refund|compensation)",
            r"(?:will not|would not|do not|does not) (?:refund|reimburse|compensate)",
        ]
    ),
    "not_received": _rx(
        [
            r"(?:pas|plus|aucune?|toujours pas|no|still no|never got|never received|without|sans) (?:de |d'|d "
            r"|my |a |an |any |mon |ma |mes )?"
            r"(?:billet|ticket|boarding pass|carte d'embarquement|(?:e-?mail de )?confirmation|seat|siege|hote"
            r"l|hotel room|"
            r"chambre|voucher|refund|remboursement|colis|package|parcel|order|commande|technicien|technician|l"
            r"ivreur|courier)s?",
        ]
    ),
    "wrong_item": _rx(
        [
            r"wrong (?:item|size|colou?r|order|product|bag|package|parcel|box|model|address)",
            r"(?:not|is not|was not) what i ordered",
            r"(?:mauvais|mauvaise) (?:article|produit|taille|couleur|commande|colis|modele|adresse)",
            r"(?:pas|non) (?:le bon|la bonne|les bons|les bonnes) (?:article|produit|taille|colis|modele|commande)",
            r"(?:recu|received?|got) (?:\w+ ){0,4}(?:a la place d|au lieu d|instead of)",
        ]
    ),
    "lost": _rx(
        [
            r"(?:lost|misplaced|mislaid) (?:my|our|the|his|her|their) \w+",
            r"(?:is|are|was|were|been|got|get|went) (?:\w+ )?(?:lost|missing)",
            r"missing (?:bag|bags|luggage|suitcase|parcel|package|item|items|order|refund|payment)",
            r"(?:bag|bags|luggage|suitcase|parcel|package|order)s? (?:is |are |was |were )?(?:still )?missing",
            r"perdu[es]? (?:mon|ma|mes|notre|nos|le|la|les)",
            r"(?:a|ont|avez|est|sont|ete) (?:\w+ ){0,2}(?:perdu[es]?|egare[es]?|disparu[es]?)",
            r"(?:valise|bagage|colis|commande|paquet)s? (?:\w+ ){0,2}(?:perdu[es]?|egare[es]?|disparu[es]?|int"
            r"rouvables?)",
            r"lost (?:luggage|baggage|bag|bags|suitcase|parcel|package)",
            r"(?:can not|could not|unable to|did not|cannot) (?:\w+ )?(?:find|locate|trace) (?:it|them|my|our|"
            r"the|his|her)",
            r"(?:find|locate|track down) (?:my|our|his|her) (?:\w+ )?(?:bag|bags|luggage|suitcase|baggage|parc"
            r"el|package)",
            r"(?:retrouver|localiser) (?:ma|mon|mes|notre|nos) (?:valise|bagage|bagages|colis|paquet)",
            r"(?:bag|bags|luggage|suitcase|baggage)s? (?:\w+ ){0,4}without (?:me|us)",
        ]
    ),
    "broken": _rx(
        [
            r"broken",
            r"broke (?:down|again|my|our|his|her|the)",
            r"damaged?",
            r"smashed",
            r"cracked",
            r"ripped",
            r"torn",
            r"defective",
            r"faulty",
            r"(?:is|are|was|keeps?|stopped) (?:\w+ )?(?:crashing|freezing)",
            r"casse[es]?",
            r"endommage[es]?",
            r"abime[es]?",
            r"dechire[es]?",
            r"defectueu(?:x|se|ses)",
            r"defaillant[es]?",
            r"en panne",
            r"hors service",
            r"hs",
            r"plante\w*",
            r"b(?:e)?ug\w*",
            r"(?:ne )?(?:fait|font|arrete|arretent) (?:que |pas )?(?:de )?(?:se )?(?:sauter|couper|redemarrer|"
            r"planter|deconnecter|rebooter|freezer|ramer|bugger|crasher)",
            r"(?:fonctionn|march|capt|charg|s'allum|demarr|s'affich|march)\w* (?:pas|plus|jamais|toujours pas|"
            r"que dalle|mal)",
            r"(?:peu[xt]|pouvons|pouvez|peuvent|arrive|arrivons|parviens|parvient) (?:toujours )?(?:plus|pas|j"
            r"amais) (?:a |d'|de )?(?:\w+ )?"
            r"(?:regarder|acceder|utiliser|surfer|naviguer|telephoner|me connecter|se connecter|nous connecter"
            r"|connecter|recevoir|envoyer|travailler|streamer|jouer)",
            r"(?:se )?deconnecte\w*",
            r"se deco\w*",
            r"(?:ne|n') ?(?:\w+ )?(?:fonctionne|marche|charge|capte|s'allume)\w* (?:pas|plus|jamais|toujours pas)",
            r"(?:does|do|did|will|is|are) not (?:work|load|open|turn on|start|connect|charge)",
            r"not working",
            r"stopped working",
            r"(?:ecran|image|screen) (?:\w+ ){0,2}(?:noir|fige|black|frozen)",
        ]
    ),
    "cancelled": _rx(
        [
            r"cancel+ed",
            r"cancelled flightled",
            r"annulees?",
            r"(?:est|ete|sont|etait|etaient|a|ont|avez|avons|m'ont|nous ont|vous avez|on m'a|on nous a) (?:\w+"
            r" ){0,2}annule[s]?",
            r"(?:vol|train|commande|reservation|rdv|rendez-vous|trajet|billet|intervention|livraison|abonnemen"
            r"t|contrat|cours)s? (?:\w+ ){0,3}annule[es]?",
            r"s'annule\w*",
            r"(?:flight|train|order|booking|reservation|appointment) (?:\w+ )?(?:got |has been |was )?(?:scrap"
            r"ped|called off)",
            r"supprime[es]? (?:mon|ma|mes|notre|le|la|les)?(?: )?(?:vol|train|commande|reservation|rdv|rendez-vous)",
        ]
    ),
    "blocked": _rx(
        [
            r"(?:account|card|line|access) (?:\w+ )?(?:is |was |has been |got |been )?(?:blocked|locked|suspen"
            r"ded|frozen|deactivated|closed)",
            r"locked out",
            r"(?:compte|carte|ligne|acces) (?:\w+ )?(?:est |a ete )?(?:bloque|suspendu|desactive|ferme|coupe)e?s?",
            r"(?:bloque|coince)e?s? (?:a|sur|en|au) (?:l'etape|etape)",
            r"(?:bloque|coince)e?s? (?:a|au|dans|sur|en) (?:l'aeroport|la gare|le train|l'avion|la porte|le tarmac)",
            r"stranded",
            r"(?:stuck|trapped) (?:at|in|on|overnight|for|here|there|inside)",
            r"left (?:me|us) (?:behind|stranded|at|there|here|and|without)",
            r"(?:vous|ils|on) (?:m'|nous |m )?(?:avez|ont|a) (?:\w+ )?bloque",
            r"(?:nous|me|m') ont bloque",
            r"(?:rejette|refuse)\w* (?:\w+ ){0,2}(?:identifiants?|mot de passe|password|login|carte)",
        ]
    ),
    "outage": _rx(
        [
            r"pannes?",
            r"(?:internet|reseau|connexion|fibre|ligne|wifi|wi-fi|tv|tele|telephone|electricite|courant|servic"
            r"e) (?:\w+ )?"
            r"(?:est |a ete |sont |ont ete )?(?:coupee?s?|interrompue?s?|tombee?s?)",
            r"coupure\w*",
            r"outage\w*",
            r"(?:is|are|goes|went|been|being|was|were) down",
            r"down again",
            r"(?:plus|pas|sans|jamais|aucune?) (?:d'|de |du |de la )?(?:acces (?:a |au |aux )?)?(?:\w+ )?(?:in"
            r"ternet|reseau|connexion|wifi|wi-fi|fibre|tv|tele|television|telephone|tel|ligne|service|signal|e"
            r"lectricite|courant|chaines|co|4g|5g|data|donnees mobiles)",
            r"no (?:internet|signal|service|wifi|wi-fi|connection|power|network|electricity|tv|data|phone|line)",
            r"(?:internet|reseau|connexion|fibre|wifi|site|appli|app|website|application) (?:\w+ ){0,2}(?:hs|i"
            r"ndisponible|inaccessible|inoperant\w*|ko|mort\w*|lent\w*|instable)",
            r"(?:website|site|app|page|portal|system) (?:\w+ ){0,2}(?:unavailable|crash\w*|error|not loading)",
            r"impossible (?:de|d') (?:\w+ ){0,3}(?:connecter|acceder|regarder|utiliser|telephoner|naviguer|sur"
            r"fer|se connecter)",
            r"(?:very |so |too |super |tres |trop |hyper )(?:slow|lent\w*)",
            r"debit (?:\w+ )?(?:faible|lent|mediocre|catastrophique|instable)",
            r"(?:can not|could not|unable to|can't) (?:log ?in|sign ?in|connect|access|check ?in|book|pay|load)",
        ]
    ),
    "no_answer": _rx(
        [
            r"no (?:answer|response|reply|replies|callback|call back|one (?:answer|respond|repl|help|pick)\w*)",
            r"no (?:\w+ )?(?:update|updates|info|information|explanation|reason|news|word|communication|estima"
            r"te|eta)s?",
            r"(?:aucune?|pas de|pas une|pas eu de|jamais eu de|0|zero|sans) (?:\w+ )?(?:reponse|retour|rappel|"
            r"nouvelles?|information|info|infos|explication|suivi|communication)s?",
            r"(?:ne|n') ?(?:me |nous |vous )?(?:repond|rappel|decroch)\w* (?:pas|jamais|plus|toujours pas|personne)",
            r"(?:repond|rappel|decroch)\w* (?:jamais|a personne)",
            r"(?:injoignable\w*|silence radio|raccroche\w* au nez|raccroch\w*)",
            r"(?:repond|rappel|decroch)\w* (?:pas|plus|jamais)",
            r"(?:peu[xt]|pouvons|arrive|arrivons|parviens) (?:toujours )?(?:plus|pas|jamais) (?:a |d'|de )?(?:"
            r"vous |les |le |la )?(?:joindre|contacter|appeler|avoir (?:qqn|quelqu'un|un humain|un conseiller))",
            r"impossible (?:de|d') (?:vous |les |le |la )?(?:joindre|contacter|avoir (?:qqn|quelqu'un|un humai"
            r"n|un conseiller))",
            r"(?:on hold|en attente|waiting on the phone|hold music) (?:\w+ ){0,3}(?:for |depuis |pendant )?(?"
            r":over |more than |plus de )?(?:\d+|an?|one|two|three|une|deux|trois) ?(?:h|hr|hrs|hours?|heures?"
            r"|min|mins|minutes?)",
            r"(?:\d+|an?|one|two|three|une|deux|trois) ?(?:h|hr|hrs|hours?|heures?|min|mins|minutes?) (?:\w+ )"
            r"{0,2}(?:on hold|en attente|au telephone)",
            r"hung up",
            r"(?:never|not) (?:\w+ )?(?:called|got|get|getting|heard) (?:me |us )?back",
            r"(?:ignored|ignoring|ignore) (?:me|us|my|our)",
            r"(?:can not|could not|unable to) (?:get through|reach|contact|speak to|talk to)",
            r"left on read",
        ]
    ),
}

_DURATION = (
    r"(?:\d+|un|une|deux|trois|quatre|cinq|six|sept|huit|dix|quinze|plusieurs|quelques|an?|one|two|three|four"
    r"|five|six|seven|eight|ten|several|few|many)\s*(?:h|hr|hrs|hours?|heures?|min|mins|minutes?|jours?|j|days?"
    r"|semaines?|weeks?|mois|months?|ans?|years?|nuits?|nights?)"
)
_WAITING = re.compile(
    r"(?<![\w])(?:"
    r"(?:depuis|pendant|for|over|since|il y a|ca fait|cela fait|voila|it has been|it's been|been|waited|waiting|wait"
    r"|attendu|attend|attends|attendons|attente|still|toujours|encore|plus de|more than|over)"
    r"(?:\W+\w+){0,3}?\W+" + _DURATION + r"|"
    + _DURATION + r"(?:\W+\w+){0,3}?\W+(?:late|delay\w*|de retard|retard|d'attente|waiting|wait|on hold|en attente"
    r"|que j'attends|qu'on attend|que nous attendons|sans (?:\w+)|without)"
    r"|depuis (?:hier|ce matin|samedi|dimanche|lundi|mardi|mercredi|jeudi|vendredi|le \d+|la semaine|des semaines"
    r"|des mois|des jours|\d+h|\d+ ?h\d*)"
    r"|since (?:yesterday|this morning|monday|tuesday|wednesday|thursday|friday|saturday|sunday|last)"
    r")(?![\w])"
)
_DELAY_WORDS = _rx(
    [
        r"delay(?:ed|s|ing)?",
        r"still (?:on the (?:ground|tarmac|plane|runway)|sitting|here|stuck|at the gate|in line|in the queue)",
        r"(?:sitting|sat|stuck|waiting|waited) (?:\w+ ){0,5}(?:for|over) (?:\w+ )?(?:an?|\d+|one|two|three) ?("
        r"?:hours?|hrs?|h|mins?|minutes?)",
        r"miss(?:ed|ing)? (?:my|our|his|her|the) (?:\w+ )?(?:connection|connecting flight|flight|train|funeral"
        r"|wedding|meeting)",
        r"(?:rate|manque)e?s? (?:ma|mon|notre|la|le) (?:correspondance|vol|train|rendez-vous)",
        r"(?:day|jour) \d*\s?(?:no|sans|without)",
        r"(?:was|were|is|are) (?:supposed|due|meant|scheduled) to (?:\w+ )?(?:arrive|be (?:delivered|here|ther"
        r"e|refunded|fixed|back)|land|leave|depart|take off|come|ship)",
        r"(?:devait|devaient|devais|etait censee?s?|etais censee?s?|etait prevue?s?) (?:\w+ ){0,3}"
        r"(?:arriver|etre (?:livree?s?|la|rembourse\w*|active\w*|repare\w*|raccorde\w*)|venir|passer|partir)",
        r"(?:suis|sommes|est) censee?s? (?:avoir|recevoir|etre)",
        r"late(?:r)? (?:flight|again|arrival|delivery|departure|departing|arriving)",
        r"(?:hours?|hrs?|mins?|minutes?|days?) late",
        r"running late",
        r"still waiting",
        r"en retard",
        r"retard(?:e|ee|es|ees)?",
        r"j'attends toujours",
        r"nous attendons toujours",
        r"on attend toujours",
        r"toujours en attente",
        r"toujours rien",
        r"still (?:nothing|no)",
    ]
)
#: "depuis ... je suis client" and other durations that are loyalty, not waiting
_LOYALTY = _rx([r"client\w* depuis", r"customer (?:for|since)", r"depuis \d+ ans", r"for \d+ years", r"abonne"
    r"\w* depuis"])
#: the waiting is a failure only with something missing, delayed or waiting around it
_WAIT_CONTEXT = _rx(
    [
        r"pas|plus|jamais|rien|aucun\w*|toujours|encore|sans|not|no|never|nothing|still|waiting|wait|waited|attend\w*",
        r"sitting|sat|stuck|trapped|on the (?:plane|tarmac|ground|runway)|at the gate|coinces?|bloques?",
        r"attente|retard\w*|delay\w*|late|hold",
    ]
)

# --- what is not a report -------------------------------------------------------------------------------------

#: a hypothetical or a policy question: "what happens if", "en cas de", "si mon vol est annulé"
_HYPOTHETICAL = _rx(
    [
        r"if",
        r"in case",
        r"in the event",
        r"what happens",
        r"whether",
        r"si (?:mon|ma|mes|le|la|les|je|j'\w+|on|vous|nous|il|elle|ils|elles|notre|votre|un|une)",
        r"s'il(?! vous| te)",
        r"s'ils",
        r"en cas",
        r"au cas ou",
        r"que se passe",
        r"qu'est-ce qui se passe",
        r"policy",
        r"politique",
    ]
)
#: thanks for a problem that is over ("thanks for finding my lost bag", "merci, problème réglé")
_RESOLVED = _rx(
    [
        r"found",
        r"finding",
        r"retrouve[es]?",
        r"sorted",
        r"solved",
        r"resolved",
        r"fixed",
        r"fixing",
        r"regle[es]?",
        r"resolu[es]?",
        r"repare[es]?",
        r"retabli[es]?",
        r"works? (?:again|now|fine)",
        r"(?:fonctionne|marche|remarche|refonctionne) (?:a nouveau|de nouveau|enfin|maintenant|bien)",
        r"(?:finally|enfin|bien) (?:arrived|received|recu[es]?|arrive[es]?|livre[es]?|got)",
        r"(?:arrived|received|delivered) (?:safely|today|this morning|at last)",
        r"back (?:up|online|on)",
        r"rebooked",
        r"reimbursed",
        r"refunded",
        r"rembourse[es]?",
    ]
)
_THANKS = _rx([r"thanks?", r"thank you", r"thx", r"ty", r"merci\w*", r"grateful", r"appreciate\w*", r"kudos", r"bravo"])
#: the problem goes on: thanks that is no closure ("thanks but my refund still hasn't arrived")
_CONTRAST = _rx(
    [r"but", r"however", r"still", r"yet", r"again", r"mais", r"toujours", r"encore", r"pourtant", r"cependant"]
)
#: news about others, not the writer's own failure
_NEWS = _rx(
    [
        r"according to",
        r"reportedly",
        r"breaking",
        r"selon (?:le|la|les|des)",
        r"d'apres (?:le|la|les)",
        r"news",
        r"journal",
        r"article",
    ]
)
_FIRST_PERSON = _rx(
    [
        r"i|i'm|im|me|my|mine|we|we're|us|our|je|j'\w+|j|moi|mon|ma|mes|nous|notre|nos|on|m'\w+",
    ]
)
_NOT_A_FAILURE = _rx([r"problem\w*|probleme\w*|souci\w*|worr\w*|doubt|doute|only|seulement|matter|issue\w*"])
_SELF_CANCELLED = _rx(
    [
        r"(?:i|we|i've|we've|i have|we have|i just|we just) (?:\w+ )?cancel+ed",
        r"(?:j'ai|nous avons|on a|j'avais) (?:\w+ )?annule",
    ]
)
#: a yes/no question: it asks whether, it does not say that
_YES_NO = re.compile(
    r"(?:is|are|will|would|could|can|should|do|does|any|est-ce que|est-ce qu'|y a-t-il|va-t-il|vont-ils|sera|serai)"
    r"(?![\w])|(?:\w+ )?(?:are you expecting|do you expect)"
)
_CLAUSES = re.compile(r"[.!?;,\n]+|\s[-–—]\s|\s(?:but|mais|however|cependant)\s")


def _clauses(text: str) -> list[tuple[str, bool]]:
    """The clauses of ``text`` and whether each one is a question (ends with "?")."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in _CLAUSES.finditer(text):
        chunk = text[pos : m.start()].strip()
        if chunk:
            out.append((chunk, "?" in m.group()))
        pos = m.end()
    rest = text[pos:].strip()
    if rest:
        out.append((rest, False))
    return out


#: kinds whose patterns say the absence themselves ("no answer", "plus de réseau", "pas de billet")
_ABSENCES = frozenset({"no_answer", "outage", "not_received", "refused"})
_NEGATED_STATE = re.compile(r"(?<![\w])(?:not|never|no|pas|jamais|ni)(?:\W+\w+){0,2}?\W+$")
_FAILED_WORD = re.compile(r"(?<![\w])(?:no|not|never|pas|jamais|rien|aucun\w*|plus|sans|nobody|personne)(?![\w])")


def _denied(clause: str, m: re.Match[str]) -> bool:
    """The state is denied: a negation in the few words before its last word ("was not delayed", "n'a pas été
    annulé", "never been cancelled")."""
    head = clause[: m.start()] + m.group(0).rsplit(" ", 1)[0] if " " in m.group(0) else clause[: m.start()]
    return bool(_NEGATED_STATE.search(head + " "))


def _states(clause: str) -> list[str]:
    """The states the clause reports, leaving out the denied ones ("was not delayed", "n'a pas été annulé")."""
    kinds: list[str] = []
    for kind, pattern in _STATES.items():
        for m in pattern.finditer(clause):
            if kind in _ABSENCES or (kind == "broken" and _FAILED_WORD.search(m.group(0))) or not _denied(clause, m):
                kinds.append(kind)
                break
    return kinds


def _clause_kinds(clause: str) -> list[str]:
    kinds = _states(clause)
    for m in _NEGATED_EVENT.finditer(clause):
        if _NOT_A_FAILURE.search(m.group(0)):
            continue  # "no problem, it works", "not only did it arrive..."
        if m.group(1):
            kinds.append("not_received")
        elif m.group(2):
            word = m.group(2)
            answering = re.match(r"repond|decroch|rappel|joind|answer|respond|repl|pick|call|get through", word)
            kinds.append("no_answer" if answering else "broken")
    if "cancelled" in kinds and _SELF_CANCELLED.search(clause):
        kinds.remove("cancelled")  # "I cancelled my order": the customer's own act
    if _NOBODY.search(clause):
        kinds.append("no_answer")
    if _WHERE_IS.search(clause):
        kinds.append("not_received")
    if any(not _denied(clause, m) for m in _DELAY_WORDS.finditer(clause)):
        kinds.append("delayed")
    wait = _WAITING.search(clause)
    if wait and not _LOYALTY.search(clause) and (kinds or _WAIT_CONTEXT.search(clause)):
        kinds.append("delayed")
    return kinds


def reported_problem(text: str) -> list[str]:
    """The kinds of failure ``text`` reports, most specific first; ``[]`` when it reports none."""
    if not text or not text.strip():
        return []
    plain = fold(re.sub(r"https?://\S+|[@#](?=\w)", " ", text))
    # tweets' lost newlines ("nnbonjour", "rien.nje"): a stray "n" glued to a word start is a line break
    plain = re.sub(r"(?<=[.!?,;:])nn?(?=\w)|\bnn+(?=\w)", "\n", plain)
    found: set[str] = set()
    ongoing = bool(_CONTRAST.search(plain))
    for clause, question in _clauses(plain):
        kinds = _clause_kinds(clause)
        if not kinds:
            continue
        strong_marker = re.search(r"(?<![\w])(?:still|toujours|encore|again|why|pourquoi|depuis|since)(?![\w])", clause)
        if _HYPOTHETICAL.search(clause) and not strong_marker:
            continue  # "can I cancel...", "what happens if my bag is lost?", "en cas d'annulation"
        if question and _YES_NO.match(clause) and not strong_marker:
            continue  # "is flight 12 delayed?", "will I make it with the delay?": asking, not reporting
        found.update(kinds)
    if not found:
        # other languages: their failure words (Spanish, German, Russian stems), read as one generic kind
        return ["failure"] if rules.negative_event_elsewhere(text) else []
    if _THANKS.search(plain) and _RESOLVED.search(plain) and not ongoing:
        return []  # thanks for a problem that is over
    if _NEWS.search(plain) and not _FIRST_PERSON.search(plain):
        return []  # news about others
    return [kind for kind in KINDS if kind in found]


def closing_feedback(text: str) -> bool:
    """Thanks or a satisfied answer that asks nothing and reports no new problem ("merci beaucoup, problème réglé",
    "thanks, all sorted!", "5/5", "⭐⭐⭐⭐⭐", "très satisfait"): on a resolved case it reopens nothing.

    "thanks but my refund still hasn't arrived" (a problem), "merci, une question: ..." (a question), "thanks, can
    you also..." (a request), "1/5" (dissatisfied) are not closing feedback.
    """
    from compris.triage.rating import parse_rating

    if not text or not text.strip() or reported_problem(text):
        return False
    if rules.is_question(text) or rules.request_cues(text) or rules.strong_negative(text) or rules.sarcasm(text):
        return False
    rating = parse_rating(text)
    if rating is not None:
        return rating >= 4
    plain = fold(text)
    if _SATISFIED.search(plain) and not _NOT_SATISFIED.search(plain):
        return True
    return rules.thanks_cues(text)


#: satisfaction said in words, beyond the short answers ``parse_rating`` reads
_SATISFIED = _rx(
    [
        r"(?:tres |vraiment |super |trop )?(?:satisfait|satisfaite|content|contente|ravi|ravie)s?"
        r"(?! de (?:vous|savoir))",
        r"(?:very |really |so )?(?:satisfied|happy|pleased|delighted)(?! to)",
        r"all (?:sorted|good|set|fixed)",
        r"(?:probleme|souci) (?:regle|resolu)",
        r"(?:issue|problem) (?:solved|resolved|fixed|sorted)",
        r"(?:ca|tout) (?:marche|fonctionne|remarche) (?:bien|a nouveau|de nouveau|maintenant|parfaitement)",
        r"works? (?:again|now|fine|perfectly)",
    ]
)
_NOT_SATISFIED = _rx([r"pas", r"not", r"never", r"jamais", r"ne", r"n'", r"no", r"peu", r"plus"])
