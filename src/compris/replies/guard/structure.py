"""Structure-based detection for the guard (issue 20): the same intent however it is phrased.

Each detector composes small word classes instead of listing whole phrases:

* **send elsewhere** = a *directive* (imperative, please, you can/could/may want to, I'd suggest, feel free to,
  your best bet is, je vous invite à, n'hésitez pas à, vous pouvez, il faudra, le mieux est de...) + a *move*
  (contact, call, ring, get in touch, speak to, visit, head to, pop into, go through, fill in; contacter, appeler,
  joindre, vous rendre, vous adresser, vous rapprocher, passer en, remplir...) + a *destination* other than this
  conversation (a team, desk, store, hotline, phone number, website, form, the hotel, the airline, the bank,
  them; service client, conseiller, agence, guichet, le 3900...), and not a move to private (DM, MP, here);
* **review bargain** = a *request* or a *trade* (if you, once you, in exchange; si vous, en échange) about the
  customer's *review-like object* (review, rating, stars, comment, post, tweet, message, word, recommendation;
  avis, note, étoiles, commentaire, publication, mot) that is *positive* ("a kind word", "something nice", "un
  commentaire sympa") or *changed/removed* ("update your post", "take the tweet down", "retirer votre message");
* **office hours** = a *team or line* + an *availability state* (closed, offline, back, reopens, open until,
  picks up from; fermé, rouvre, joignable, absent) + a *time reference* (tomorrow, the weekend, Monday, 9am,
  from 8h, demain, lundi, en semaine).

Compiled once at import; each function takes one sentence and returns the span of what it found, or None.
"""

from __future__ import annotations

import re

from .patterns import AP, GREETING_PREFIX, MENTION_PREFIX

_F = re.IGNORECASE | re.VERBOSE


def _c(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern.replace("{AP}", AP), _F)


# --- send elsewhere --------------------------------------------------------------------------------

#: a directive right before the move verb (the end of the clause prefix)
_DIRECTIVE_EN = _c(
    r"""\b(?:please|pls|plz|kindly|just|simply|then|instead|otherwise|also|first|directly|
        you(?:{AP}ll|{AP}d|\s+will|\s+would|\s+can|\s+could|\s+may|\s+might|\s+should|\s+must)?
            (?:\s+(?:need|have|want|wish|like|be\s+able|be\s+best\s+served|be\s+better\s+served|also|first|still|always|
            just|simply|probably|likely|then|definitely|really|certainly|always|absolutely|easily))*(?:\s+to)?|
        (?:you{AP}re|you\s+are)\s+(?:welcome|free)\s+to|
        feel\s+free\s+to|(?:don{AP}t|do\s+not)\s+hesitate\s+to|be\s+sure\s+to|make\s+sure\s+(?:to|you)|try(?:\s+to)?|
        (?:best|quickest|fastest|easiest|only|right)\s+(?:bet|option|way|thing|route|place|move)\s+(?:is|would\s+be|will\s+be)\s+to|
        it(?:{AP}s|\s+is|\s+would\s+be|{AP}d\s+be|\s+might\s+be|\s+may\s+be)\s+(?:best|better|quicker|easier|faster|wise|worth)\s+to|
        (?:i|we)?(?:{AP}d|\s+would|\s+do)?\s*(?:suggest(?:ing)?|recommend(?:ing)?|advis(?:e|ing)|encourag(?:e|ing)|invit(?:e|ing))(?:\s+(?:that\s+)?you)?(?:\s+to)?|
        (?:can|could|would|will)\s+you(?:\s+(?:please|kindly|just))?|why\s+not|go\s+ahead\s+and|
        (?:would|will|may|might)\s+(?:need|have|want)\s+to|need\s+to|have\s+to|got\s+to|
        (?:is|are)\s+(?:asked|requested|invited)\s+to|(?:continue|keep)|
        ^\W*(?:have|ask|get)\s+(?:your|the|them|him|her)\b[^.;!?]{0,80}|let{AP}s\s+have\s+you|
        (?:please|pls|kindly)\b[^.;!?]{0,60}\b(?:have|ask|get|let)\s+(?:your|the|them|him|her)\b[^.;!?]{0,80}|
        (?:please|pls|kindly)\b[^.;!?]{0,60}\bto)
    \s*(?:please\s+)?$"""
)
_DIRECTIVE_FR = _c(
    r"""(?:\b(?:veuillez|merci\s+de|merci\s+d|(?:je|nous)\s+vous\s+invit(?:e|ons)\s+à|invitons\s+à|invite\s+à|
        n{AP}hésitez\s+pas\s+à|vous\s+(?:pouvez|devez|pourrez|devrez|pourriez|devriez|pouvez\s+également|pouvez\s+aussi)|
        il\s+(?:vous\s+)?(?:faut|faudra|faudrait|suffit\s+de|suffira\s+de|conviendra\s+de|convient\s+de)|
        (?:je\s+vous|nous\s+vous)\s+(?:conseille|recommande|suggère|conseillons|recommandons|suggérons|propose|proposons)\s+de|
        (?:je\s+vous|nous\s+vous)\s+(?:conseille|recommande|suggère|conseillons|recommandons|suggérons|propose|proposons)\s+d|
        le\s+(?:mieux|plus\s+simple|plus\s+rapide)\s+(?:est|serait|sera)\s+de|le\s+(?:mieux|plus\s+simple|plus\s+rapide)\s+(?:est|serait|sera)\s+d|
        mieux\s+vaut|pouvez-vous|pourriez-vous|pensez\s+à|svp|s{AP}il\s+vous\s+plaît|simplement|directement|ensuite|plutôt|
        également|aussi|d{AP}abord|je\s+vous\s+prie\s+de|vous\s+êtes\s+invitée?s?\s+à|n{AP}oubliez\s+pas\s+de|
        je\s+vous\s+laisse|nous\s+vous\s+laissons)|\bd)
    \s*(?:{AP}\s*)?(?:directement\s+|simplement\s+|rapidement\s+)?$"""
)
#: nothing but a clause opening before the verb: an imperative ("Call the desk", "…, so head to the store")
_CLAUSE_OPEN = _c(
    r"""(?:^|[,;:(–—-]|\b(?:so|and|or|then|but|otherwise|instead|alternatively|meanwhile|in\s+the\s+meantime|
        for\s+(?:this|that|these|those|anything|any|further|more)(?:\s+\w+){0,2}|
        (?:alors|et|ou|sinon|puis|mais|donc|pour\s+(?:cela|ça|ce\s+faire|toute\s+\w+)))\s*)\s*$"""
)
#: the move away from this conversation; (?P<mid>...) holds a destination inside the verb ("give the desk a call")
_MOVE_EN = _c(
    r"""\b(?:(?:contact(?:ing)?|call(?:ing)?|phon(?:e|ing)|ring(?:ing)?|text(?:ing)?|e-?mail(?:ing)?)
            (?!\s*(?:telephone|phone|tel|numbers?|no\b|\#|address\w*|details|info|information|calls?|button|records?|
            back\b|form|page|cent(?:er|re)|list|preferences|settings|notifications?|confirmation|receipt|updates?))|dial(?:ing)?|
        reach(?:ing)?(?:\s+out)?(?:\s+to)?|get(?:ting)?\s+(?:in\s+(?:touch|contact)|hold\s+of)(?:\s+with)?|
        (?:speak|talk|chat)(?:ing)?\s+(?:to|with)|writ(?:e|ing)\s+to|work(?:ing)?\s+(?:directly\s+)?with|
        follow(?:ing)?\s+up\s+(?:directly\s+)?with|(?P<phone>(?:try|return)(?:ing)?\s+(?:your|my|our|the)\s+call)|
        bring(?:ing)?\s+(?:it|them|this|that|the\s+\w+|your\s+\w+)\s+(?:to|into|in\s+to|by)|
        (?:tak(?:e|ing)|return(?:ing)?)\s+(?!the\s+time\b)(?:it|them|this|that|the\s+\w+|your\s+\w+)\s+(?:back\s+)?(?:to|into)|
        send(?:ing)?\s+us\s+(?:a|an)\s+(?:note|message|request|ticket|e-?mail)\s+(?:via|through|at|using|on|here)|
        send(?:ing)?\s+(?:a|your)\s+(?:reply|response|answer)(?:\s+back)?\s+to|post(?:ing)?|
        let(?:ting)?\s+(?P<told>(?:our|the|your|an?)\s+[\w\s'’&.-]{2,40}?)\s+know|
        (?:leave|leaving|submit(?:ting)?|send(?:ing)?|post(?:ing)?|shar(?:e|ing)|rais(?:e|ing)|log(?:ging)?|
            open(?:ing)?|fil(?:e|ing))\s+(?:your|a|an|the|any|us\s+your)?\s*(?:[\w-]+\s+){0,3}?(?P<case>feedback|suggestions?|ideas?|complaint|
            claim|case|dispute|formal\s+complaint|bug\s+report|ticket|support\s+ticket|report)|send(?:ing)?\s+(?:an?\s+e-?mail|a\s+letter|it|them|this|that|your\s+\w+)\s+to|
        visit(?:ing)?|go(?:ing)?\s+(?:to|through|via|into|back\s+to)|head(?:ing)?\s+(?:to|over\s+to|over|into|down\s+to|back\s+to)|
        pop(?:ping)?\s+(?:in(?:to)?|by|over\s+to|to)|drop(?:ping)?\s+(?:by|into|in\s+(?:to|at))|stop(?:ping)?\s+by|swing(?:ing)?\s+by|
        notify(?:ing)?|inform(?:ing)?|alert(?:ing)?|tell(?:ing)?|check(?:ing)?\s+(?:with|in\s+with)|consult(?:ing)?(?:\s+with)?|see(?:ing)?|ask(?:ing)?|try(?:ing)?|
        rais(?:e|ing)\s+(?:it|this|that|the\s+\w+)\s+with|tak(?:e|ing)\s+(?:it|this|that)\s+up\s+with|
        refer(?:ring)?\s+(?:this|it|that)\s+to|direct(?:ing)?\s+(?:it|this|that|your\s+\w+)\s+to|
        fill(?:ing)?\s+(?:in|out)|complet(?:e|ing)|submit(?:ting)?|us(?:e|ing)|lodg(?:e|ing)\s+(?:a|your)\s+\w+\s+(?:with|via|through)|
        file\s+(?:a|your)\s+\w+\s+(?:with|via|through)|
        (?:giv(?:e|ing)|drop(?:ping)?|shoot(?:ing)?)\s+(?P<mid>[\w\s'’&.-]{2,40}?)\s+an?\s+(?:call|ring|buzz|shout|bell|try|
            e-?mail|line|message|note|text))\b"""
)
_MOVE_FR = _c(
    r"""(?:\b(?:les|la|le|leur)\s+|\bl{AP}\s*)?
    \b(?:contacter|contactez|appeler|appelez|joindre|joignez|téléphoner|téléphonez|écrire|écrivez|
        prendre\s+contact|prenez\s+contact|entrer\s+en\s+contact|composer|composez|
        vous\s+rendre|rendez-vous|vous\s+adresser|adressez-vous|vous\s+rapprocher|rapprochez-vous|
        vous\s+renseigner|renseignez-vous|vous\s+tourner|tournez-vous|voir\s+(?:ça\s+|cela\s+|ceci\s+)?(?:directement\s+)?avec|
        voyez\s+(?:ça\s+|cela\s+)?(?:directement\s+)?avec|
        passer|passez|remplir|remplissez|compléter|complétez|effectuer|effectuez|faire|faites|déposer|déposez|
        vous\s+connecter|connectez-vous|consulter|consultez|solliciter|sollicitez|interroger|interrogez|
        vous\s+diriger|dirigez-vous|aller|allez|signaler|signalez)\b"""
)
#: a contact point other than this conversation (searched in the verb's object, up to the clause's end)
_DESTINATION_EN = _c(
    r"""\b(?:teams?|department|dept|desks?|office|counters?|agents?|staff|crew|representatives?|reps|specialists?|
        customer\s+(?:service|care|support|relations)|support|helpdesk|help\s*desk|help\s*line|hotline|call\s+cent(?:er|re)|
        line|lines|number|phone|telephone|switchboard|
        store|stores|shop|branch|outlet|location|dealer\w*|retailer|seller|vendor|merchant|manufacturer|supplier|maker|
        carrier|courier|airline|airport|hotel|property|front\s+desk|attendants?|crew\s*members?|cent(?:er|re)s?|reception|concierge|bank|card\s+issuer|issuer|
        provider|insurer|insurance|operator|agency|travel\s+agent|landlord|(?:banking|financial)\s+institution|
        (?:the|that|this)\s+e-?mail(?:\s+(?:thread|you))?|pharmacy|doctor|embassy|consulate|police|
        form|forum|community|lost\s+(?:and|&)\s+found|station|someone|somebody|a\s+member\s+of\s+(?:staff|the\s+\w+\s+team)|
        them|they|him|her)\b|\S+@\S+\.\w+
    |(?:\+|\b1[\s-]?)?\b\d{3,4}[\s.-]\d{3}[\s.-]\d{3,4}\b|\b0\d{2,4}[\s.-]?\d{3}[\s.-]?\d{3,4}\b|\b1-8\d\d"""
)
_DESTINATION_FR = _c(
    r"""\b(?:service|services|équipes?|conseill[eè]re?s?|agents?|interlocut\w+|agence|agences|boutique|magasin|
        point\s+de\s+vente|guichet|comptoir|accueil|standard|hotline|assistance|sav|fabricant|constructeur|marque|
        vendeur|revendeur|enseigne|transporteur|livreur|banque|assureur|mutuelle|hôtel|compagnie|aéroport|gare|
        opérateur|fournisseur|mairie|pharmacie|formulaire|numéro|téléphone|tél|ligne|courrier|mail|e-?mail|personnel|équipage|
        hôtesses?|stewards?|chef\s+de\s+cabine|les|la|le|leur)\b
    |\S+@\S+\.\w+
    |\b0\d(?:[\s.]?\d{2}){4}\b|\b3\d{3}\b|\b0\s?8\d{2}\b"""
)
#: this conversation or a private one: not a deflection
_STAY_EN = _c(
    r"""\b(?:dm|dms|d\.m\.?|direct(?:ly)?\s+messag\w*|private(?:ly)?|private\s+messag\w*|in\s+private|inbox|messenger|
        here|this\s+(?:thread|chat|conversation|channel)|us\s+(?:via|by|in|through|on)\s+(?:dm|direct|private|message|twitter|x|here|chat))\b"""
)
_STAY_FR = _c(
    r"""\b(?:mp|dm|messages?\s+privés?|en\s+privé|message\s+direct|messagerie\s+privée|conversation\s+privée|
        par\s+message|en\s+message|ici|ce\s+fil|cette\s+conversation)\b"""
)
#: "us", "nous": ourselves, a destination only with a number, an address or a site
_OURSELVES = _c(r"""^\s*(?:us|me|nous|-nous)\b""")
_HARD_DESTINATION = re.compile(
    r"https?://|www\.|[\w.-]+\.(?:com|co\.uk|org|net|fr|io)\b|\S+@\S+\.\w+|\d{3}|\bform\b|\bformulaire\b|"
    r"\b(?:phone|telephone|téléphone|website|site)\b",
    re.IGNORECASE,
)
#: where the verb's object ends
_OBJECT_END = _c(
    r"""[.:](?!//|\w|\s*(?:&gt;\s*)?(?:https?://|www\.))|[,;!?()]|\s(?:–|—|-)\s|\b(?:and|or|but|so|who|which|that|where|when|if|as|because|since|while|to\s+(?:get|have|see|check|make|ask|find|help|sort|discuss|report|request|arrange|book)|
        et|mais|qui|que|où|quand|si|car|afin|pour\s+(?:qu|que|qu{AP}))\b"""
)


#: a web page or link: another contact point only when it is for contacting or opening a case (a contact page,
#: a claim or complaint form, a feedback site); a page where the customer does the task is self-service
_WEB = _c(
    r"""\b(?:website|site|web\s*page|page|portal|app|link|online|chat\s*bot|help\s*cent(?:er|re)|espace\s+client|
    application|appli|rubrique)\b|https?://|www\.|\b[\w.-]+\.(?:com|co\.uk|org|net|fr|io)\b"""
)
_CASE = _c(
    r"""(?<!to\s)\bclaims?\b(?!\s+(?:a|an|the|your|it|them|my)\b)|\b(?:complaints?|contact|feedback|forms?|support|customer|tickets?|cases?|ideas|suggestions|disputes?|
    réclamations?|plaintes?|formulaire|litiges?|sav|assistance|service\s+client)"""
)
_CONTACT_VERB = _c(
    r"""^(?:(?:les|la|le|leur|l{AP})\s*)?(?:contact|call|phone|ring|reach|get|speak|talk|chat|e-?mail|writ|send|contacter|contactez|appel|joindre|joignez|
    écri|prendre|prenez|entrer)"""
)
#: what a page is for, said after it ("go to our site, rubrique contact, pour nous écrire")
_CONTACT_AFTER = _c(r"""\b(?:contact|complaints?|réclamations?|plaintes?|feedback|nous\s+écrire|write\s+to\s+us)\b""")
_CASE_FR = re.compile(
    r"\s*(?:une|un|votre|vos)\s+(?:réclamation|plainte|déclaration|litige|signalement|dossier\s+de\s+réclamation)",
    re.IGNORECASE,
)
#: "here" followed by a link means the link, not this conversation
_HERE_LINK = re.compile(r"\b(?:here|ici)\b(?=\W{0,8}(?:&gt;\W*)?(?:https?://|www\.))", re.IGNORECASE)


#: "get in touch with Visa directly": a named company or service after a contact verb
_NAMED = re.compile(r"\s*(?:directly\s+)?(?:with\s+|to\s+)?(?!I\b|We\b|Us\b|You\b)[A-Z][\w&.-]+")
#: "contact our Executive Club": another part of the brand, whatever its name
_OUR = re.compile(r"\s*(?:directly\s+|directement\s+)?(?:our|notre|nos)\s+\w", re.IGNORECASE)
#: statements that point to another contact point: "our gate team will help you", "their number is 0344..."
_REFERRAL = _c(
    r"""\b(?:our|the|your|their)\s+(?:(?!(?:our|the|your|their|so|to|if|when)\b)[\w&-]+\s+){0,3}?(?:team|agents?|staff|desk|office|colleagues|specialists?|
        department|crew|airport|hotel|airline|store|bank|manufacturer|seller|carrier|travel\s+agent|counter)\s+
        (?:will|can|could|should|would|{AP}ll)\s+(?:(?:be\s+(?:more\s+than\s+)?(?:able|happy|glad|pleased)\s+to|gladly|also|
        definitely|certainly)\s+)*(?:help|assist|advise|go\s+over|check|rebook|look\s+into|sort)\b
    |\b(?:(?:our|the|your|their)\s+(?:(?!(?:our|the|your|their|so|to|if|when)\b)[\w&-]+\s+){0,3}?(?:team|agents?|staff|desk|office|colleagues|specialists?|department|
        airport|hotel|airline|store|shop|bank|manufacturer|seller|carrier|courier|travel\s+agen(?:t|cy)|counter|station|insurer|
        provider|dealer)|an?\s+(?:gate\s+|airport\s+|ticket\s+)?(?:agent|representative|specialist|crew\s*member))\s+
        (?:(?:at|in|on)\s+(?:the\s+)?\w+\s+)?(?:can|could|{AP}d\s+be\s+able\s+to|would\s+be\s+able\s+to|
        is\s+able\s+to|are\s+able\s+to)\s+(?:sort|handle|deal\s+with|look\s+into|answer|fix|resolve|help|assist|advise|
        rebook|book|reissue|change)\b
    |\b(?:is|are)\s+(?:best|better)\s+placed\s+to\b|\bthe\s+best\s+(?:people|person|team|place|ones?)\s+to\s+
        (?:help|contact|speak\s+to|ask|talk\s+to|assist)\b
    |\bit{AP}?s\s+(?:the|your|their)\s+(?:(?!(?:our|the|your|their|so|to|if|when)\b)[\w&-]+\s+){0,3}?\w+\s+(?:you{AP}ll|you\s+will|you{AP}d|you\s+would|you)\s+
        (?:need|have|want)\s+to\s+(?:speak|talk|contact|call|get\s+in\s+touch|reach\s+out|ask)
    |\bc{AP}est\s+(?:le|la|l{AP}|votre|vos|les)\s*(?:[\w-]+\s+){0,3}?\w+\s+qui\s+(?:pourra|pourront|peut|peuvent|saura|sauront|
        va|vont|sera|seront)\s+(?:vous\s+)?(?:aider|renseigner|répondre|traiter|accompagner|en\s+mesure)
    |\b(?:les|le|la)\s+(?:mieux|plus)\s+(?:placée?s?|à\s+même)\s+pour\b
    |\b(?:votre|vos|notre|nos|le|la|l{AP}|les)\s*(?:[\w-]+\s+){0,3}?(?:service|agence|banque|conseill\w+|boutique|magasin|
        vendeur|transporteur|assureur|hôtel|compagnie|aéroport|gare|fabricant|constructeur|opérateur|sav|guichet|accueil|
        collègues|interlocut\w+)\s+(?:[\w-]+\s+){0,2}?(?:saura|sauront|pourra|pourront|peut|peuvent|sera\s+en\s+mesure\s+de|
        seront\s+en\s+mesure\s+de|est\s+à\s+même\s+de)\s+(?:vous\s+)?(?:aider|répondre|renseigner|accompagner|traiter)
    |\bc{AP}est\s+(?:le|la|l{AP}|votre|vos|les)\s*(?:[\w-]+\s+){0,3}?\w+\s+qu{AP}il\s+(?:faut|faudra|faudrait)\s+
        (?:contacter|appeler|joindre|voir)
    |\b(?:here(?:{AP}s|\s+is)\s+(?:the|their|our)|the|their|our)\s+(?:[\w-]+\s+){0,2}?(?:phone\s+|telephone\s+|contact\s+)?
        (?:number|line|e-?mail(?:\s+address)?)\s+(?:is|you\s+need|to\s+call|for|when|when\s+calling)\b
    |\b(?:can|may)\s+be\s+(?:reached|contacted)\s+(?:at|on|via|by)\b
    |\b(?:our|the|their)\s+(?:[\w&-]+\s+){1,3}?(?:team|agents?|staff|desk|office|specialists?|department|line|hotline|helpline)\s+
        (?:is|are)\s+(?:also\s+|always\s+)?(?:available|there|on\s+hand)\s+(?:to|on|at|via|by|through|from)\b
    |\b(?:live\s+)?chat\s+is\s+(?:also\s+)?available\s+(?:on|at|via|through)\b
    |\b(?:our|the|their)\s+(?:(?!(?:our|the|your|their|so|to|if|when)\b)[\w&-]+\s+){0,3}?(?:team|agents?|staff|desk|office|specialists?|department|line|hotline|helpline|
        representatives?|advisors?)\s+(?:is|are)\s+(?:also\s+)?(?:available|open|reachable)\b[^.;!?]{0,40}?\b(?:at|on|via|by)\s+
        (?=[\d+(]|\S+@|https?://)
    |\b(?:le|leur|notre)\s+(?:numéro|standard|service\s+client)\s+(?:est|:)"""
)
_PHONE_OR_ADDRESS = re.compile(
    r"\d{3,4}[\s.-]\d{3}[\s.-]\d{3,4}|\b0\d(?:[\s.]?\d{2}){4}\b|\b1-8\d\d|\S+@\S+\.\w+|https?://", re.IGNORECASE
)


def referral_span(sentence: str, around: str | None = None) -> tuple[int, int] | None:
    """A statement sending the customer elsewhere: "our gate team will help you", "their number is 0344..."
    (the number may be in ``around``, the sentences next to it)."""
    m = _REFERRAL.search(sentence)
    if m is None:
        return None
    if (
        "number" in m.group().lower()
        or "line" in m.group().lower()
        or "mail" in m.group().lower()
        or "numéro" in m.group()
    ):
        if _PHONE_OR_ADDRESS.search(around or sentence) is None:
            return None
    elif _ours_to_do(sentence[: m.start()].split(",")[-1]) or re.search(
        r"\b(?:will|can)\s+(?:help|assist)\s+(?:us|me)\b", m.group()
    ):
        return None
    elif re.match(
        r"(?:our|the)\s+(?:social(?:\s+(?:care|media))?\s+)?team\s+(?:will|can|could|{AP}ll|is|are)\b".replace(
            "{AP}", AP
        ),
        m.group(),
        re.IGNORECASE,
    ):
        return None  # "our team will help", "our Social Care Team can help": this team, not another one
    return m.start(), m.end()


_PRONOUNS = frozenset({"them", "they", "him", "her", "les", "la", "le", "leur"})
_PERSON_VERB = _c(
    r"""^(?:(?:les|la|le|leur|l{AP})\s*)?(?:contact|call|phon|ring|reach|get|speak|talk|chat|e-?mail|writ|ask|see|check|consult|
    text|giv|contacter|contactez|appel|joindre|joignez|écri|prendre|prenez|entrer|voir|voyez|téléphon|interrog|sollicit)"""
)


def _object_after(text: str, start: int) -> str:
    tail = text[start : start + 90]
    end = _OBJECT_END.search(tail)
    return tail[: end.start()] if end else tail


_ELSEWHERE = {
    "en": (_MOVE_EN, _DIRECTIVE_EN, _DESTINATION_EN, _STAY_EN),
    "fr": (_MOVE_FR, _DIRECTIVE_FR, _DESTINATION_FR, _STAY_FR),
}


def send_elsewhere_span(
    sentence: str, languages: tuple[str, ...] = ("en", "fr"), around: str | None = None
) -> tuple[int, int] | None:
    """Span of a directive, or a statement, sending the customer to another contact point, in one sentence."""
    found = _directive_elsewhere(sentence, languages)
    return found if found is not None else referral_span(sentence, around)


def _stays(stay: re.Pattern[str], obj: str) -> bool:
    """The object keeps the conversation here or in private: "here" counts only without a link after it."""
    link = re.search(r"https?://|www\.", obj) is not None
    return any(not (link and w.group().lower() in ("here", "ici")) for w in stay.finditer(obj))


#: "send us your details here: <link>", "please tell us more so we can help: <link>", "get in touch with us here >
#: <link>", "request a call back here <link>": a contact page or form (a DM link is said as such: "DM us: <link>")
_DETAILS_LINK = _c(
    r"""\b(?:send|provide|share|submit|give|leave|write|tell|connect|get\s+in\s+touch|reach\s+out|request|go\s+over|
        contact|chat|fill\s+(?:in|out)|complete|get\s+(?:this|it)\s+sorted)\b[^.!?:;]{0,70}?(?:\bhere\b|\bvia\b|:|&gt;)[\s:,]*(?:&gt;\s*)?(?=https?://)"""
)
_PRIVATE_CUE = _c(r"""\b(?:dm|dms|d\.m\.?|direct(?:ly)?\s+messag\w*|private(?:ly)?|inbox|messenger|mp|en\s+privé)\b""")


def _details_link(sentence: str) -> tuple[int, int] | None:
    m = _DETAILS_LINK.search(sentence)
    if m is None or _PRIVATE_CUE.search(m.group()):
        return None
    prefix = sentence[max(0, m.start() - 80) : m.start()]
    if m.start() <= 80:
        prefix = GREETING_PREFIX.sub("", MENTION_PREFIX.sub("", prefix))
    if not (_DIRECTIVE_EN.search(prefix) or _CLAUSE_OPEN.search(prefix) or re.search(
        r"\b(?:when\s+you\s+(?:have|get)\s+a\s+(?:moment|minute|chance)|let{AP}s|let\s+us)\W*$".replace("{AP}", AP),
        prefix, re.IGNORECASE,
    )):
        return None
    if _asked_or_done(prefix) or _ours_to_do(prefix):
        return None
    return m.start(), m.end()


def _directive_elsewhere(sentence: str, languages: tuple[str, ...]) -> tuple[int, int] | None:
    if "en" in languages and (found := _details_link(sentence)) is not None:
        return found
    for lang in languages:
        if lang not in _ELSEWHERE:
            continue
        move, directive, destination, stay = _ELSEWHERE[lang]
        for m in move.finditer(sentence):
            prefix = sentence[max(0, m.start() - 80) : m.start()]
            if m.start() <= 80:  # "@sam Hi Sam, call the desk": an imperative after the mentions and greeting
                prefix = GREETING_PREFIX.sub("", MENTION_PREFIX.sub("", prefix))
            verb = m.group(0).lower()
            imperative = lang == "fr" and bool(re.search(r"(?:ez|-vous)\b", verb))
            if not (imperative or directive.search(prefix) or _CLAUSE_OPEN.search(prefix)):
                continue
            if (
                _asked_or_done(prefix)
                or _ours_to_do(prefix)
                or (_QUESTION.search(sentence[: m.start()]) and "?" in sentence)
            ):
                continue
            obj = _HERE_LINK.sub("link", _object_after(sentence, m.end()))
            told = m.groupdict().get("told")
            if told is not None and re.fullmatch(r"(?:our|the)\s+(?:social\s+)?team", told.strip(), re.IGNORECASE):
                continue  # "let our team know": this team
            mid = m.groupdict().get("mid") or told or ""
            if m.groupdict().get("phone"):  # "please try your call again tomorrow", "return my call"
                return m.start(), m.end()
            case = m.groupdict().get("case") or (lang == "fr" and _CASE_FR.match(obj))
            if case:  # "file a claim", "leave your feedback at...", "faire une réclamation auprès de": elsewhere
                if not stay.search(obj) or _HARD_DESTINATION.search(obj):
                    return m.start(), m.end() + len(obj.rstrip())
                continue
            pronoun_first = lang == "fr" and re.match(r"(?:les|la|le|leur|l)\b", verb) is not None
            if _OURSELVES.match(obj) or re.search(r"-nous\b", verb):
                # ourselves: only a number, an address or a site we give is another contact point ("contact us here
                # for real-time help: <link>" is a page; "contact us here" alone, or by DM, is this conversation)
                if not _HARD_DESTINATION.search(obj) or _stays(stay, obj):
                    continue
            elif stay.search(obj[:40]) and not _HARD_DESTINATION.search(obj):
                continue
            if pronoun_first and not re.match(r"\s*(?:directement\s+)?(?:au|à|par|via)\b", obj):
                return m.start(), m.end()
            # "use them on board": a pronoun is a contact point only for a verb towards people
            towards_people = _PERSON_VERB.match(verb) is not None
            where = next(
                (
                    w
                    for w in (*destination.finditer(mid), *destination.finditer(obj))
                    if towards_people or w.group().lower() not in _PRONOUNS
                ),
                None,
            )
            named = _CONTACT_VERB.match(verb) is not None and (_OUR.match(obj) or _NAMED.match(obj))
            if where is not None or named:
                return m.start(), m.end() + len(obj.rstrip())
            if _WEB.search(obj) and (
                _CONTACT_VERB.match(verb.split()[-1] if pronoun_first else verb)
                or _CASE.search(obj)
                or _CONTACT_AFTER.search(sentence[m.end() : m.end() + 90])
            ):
                return m.start(), m.end() + len(obj.rstrip())
    return None


_ASKED = _c(
    r"""(?<!let{AP}s\s)(?<!let\sus\s)\b(?:did|have|has|do|does|were|was|had)\s+(?:you|they|she|he)\s*
        (?:already\s+|ever\s+|been\s+able\s+to\s+|tried\s+to\s+)?$
    |\b(?:avez|aviez|as)-(?:vous|tu)\s*(?:déjà\s+|pu\s+|essayé\s+de\s+)?$
    |\b(?:we|i|they|he|she|our\s+\w+)\s*(?:{AP}ll|{AP}ve|{AP}d|will|would|have|has|had|can|could|shall|are|am|is)?\s*(?:be\s+)?
        (?:happy\s+to|glad\s+to|going\s+to|gonna|able\s+to|also|already|just|now|then|personally|gladly)?\s*$
    |\b(?:je|nous|on|il|elle|ils|elles)\s+(?:vais|allons|va|vont|pouvons|peux|peut|pourrons|pourrions|devons|
        souhaitons|allions)\s+(?:\w+\s+)?$"""
)


_PRONOUN = re.compile(r"\b(we|i|you|nous|je|j(?=['’])|vous|tu|on)\b", re.IGNORECASE)
_RECOMMENDS = re.compile(r"\b(?:suggest|recommend|advi[sc]e|encourage|invite|conseill|recommand|sugg[eè]r|invit)", re.I)


def _ours_to_do(prefix: str, *, nous: bool = True) -> bool:
    """The agent's own move ("we'll be sure to send your feedback to the team"): in this clause the last subject
    pronoun is we/I and it is not a recommendation ("we'd recommend calling...")."""
    clause = re.split(r"[.;!?]", prefix)[-1]
    # an imperative after the pronoun starts the customer's part ("I'm so sorry, please contact our provider")
    clause = re.split(r"\b(?:please|pls|plz|kindly|veuillez|merci\s+de)\b", clause, flags=re.IGNORECASE)[-1]
    french = _FRENCH_CLAUSE.search(clause) is not None
    found = [p for p in _PRONOUN.findall(clause) if (nous or p.lower() != "nous") and (french or p.lower() != "on")]
    return bool(found) and found[-1].lower() in ("we", "i", "nous", "je", "j", "on") and not _RECOMMENDS.search(clause)


#: "on" is the French pronoun only in a French clause (in English it is the preposition: "space on another carrier")
_FRENCH_CLAUSE = re.compile(
    r"\b(?:vous|nous|je|est|sont|les|des|du|pour|avec|une?|peut|va|pourra|dans|sur|votre|vos|notre|nos)\b",
    re.IGNORECASE,
)


#: a question about what the customer did ("Did you speak to our team & file a report?")
_QUESTION = re.compile(
    r"(?:^|[.!?]\s+)(?:@\w+\s+)*(?:\w+,\s+)?(?:did|have|has|do|does|were|was|had|avez|aviez|as)[\s-]+(?:you|vous|tu)\b",
    re.IGNORECASE,
)


def _asked_or_done(prefix: str) -> bool:
    """A question ("did you call the store?") or the agent's own move ("we'll contact the hotel")."""
    return _ASKED.search(prefix) is not None


# --- review bargain --------------------------------------------------------------------------------

_OBJ_EN = r"""(?:reviews?|ratings?|rating|stars?|feedback|comments?|posts?|tweets?|messages?|words?|write-?ups?|
    testimonials?|shout-?outs?|scores?|evaluations?|mentions?|recommendations?|thumbs[\s-]up)"""
_OBJ_FR = r"""(?:avis|notes?|étoiles?|commentaires?|publications?|posts?|tweets?|messages?|mots?|recommandations?|
    témoignages?|évaluations?|critiques?)"""
_POSITIVE = r"""(?:positive|good|great|nice|nicer|kind|kinder|glowing|favou?rable|lovely|sweet|wonderful|amazing|
    awesome|excellent|happy|stellar|shining|raving|rave|warm|top|best|better|higher|5[\s-]*stars?|five[\s-]*stars?|10/10|perfect|
    positif|positive|bon|bonne|beau|belle|gentil|gentille|sympa|sympathique|élogieux|élogieuse|favorable|excellente?|
    meilleure?|jolie?|chaleureux|chaleureuse|petit\s+mot\s+gentil)"""
_LITTLE = r"""(?:(?:little|quick|short|small|few|brief|public|google|facebook|tripadvisor|yelp|trustpilot|star|
    petit|petite|petits|petites|court|courte|public|publique)\s+)?"""
#: a review-like object said to be positive, or positive by nature (a recommendation, a thumbs up, top marks)
_POSITIVE_OBJECT = _c(
    rf"""\b{_POSITIVE}\s+{_LITTLE}(?:{_OBJ_EN}|{_OBJ_FR})\b
    |\b(?:{_OBJ_EN}|{_OBJ_FR})\s+(?:(?:tout|très|bien|vraiment)\s+)?(?:positif|positive|favorable|sympa|sympathique|élogieux|
        élogieuse|gentil|gentille|maximale?|de\s+(?:5|cinq)\s+étoiles|à\s+la\s+hausse)\b
    |\b(?:something|anything|a\s+few\s+words|some\s+words|a\s+word|quelque\s+chose\s+de|quelques\s+mots|un\s+mot|des\s+mots)\s+
        (?:nice|positive|good|kind|lovely|sweet|sympa|positif|gentil|gentils|agréable)\b
    |\b(?:say|said|saying|tweet|post|write|share|dire|écrire|publier|partager)\s+(?:some\s+|a\s+few\s+)?
        (?:nice|kind|good|positive|great|lovely)\s+things\b
    |\b(?:share|post|tweet|write\s+about|tell\s+(?:others|people|everyone)\s+about|partagez|partager|publiez|publier|racontez|raconter)\s+
        (?:your|votre|vos|ta|ton)\s+(?:\w+\s+)?{_POSITIVE}\s+(?:experience|expérience|stay|séjour|visit|visite|flight|vol)s?\b
    |\b(?:recommend(?:ing)?\s+us|recommandez-nous|nous\s+recommander|recommendations?|recommandations?|testimonials?|
        témoignages?\s+(?:positif|favorable)|thumbs[\s-]up|(?:5|five|cinq)[\s-]*(?:stars?|étoiles)|top\s+marks|full\s+marks|
        note\s+maximale|rate\s+us\s+(?:highly|well|\d+|five|ten)|shout-?outs?|good\s+word|kind\s+words?)\b"""
)
#: a request, a wish, or what it would do for us
_REQUEST = _c(
    r"""\b(?:would|could|can|will|might)\s+you\b|\bplease\b|\bkindly\b|\bfeel\s+free\b|\bconsider\w*|\bmind\b|\bmaybe\b|\bperhaps\b|
    \bwilling\b|\bwe{AP}?d\s+(?:love|appreciate|be\s+(?:grateful|thrilled|delighted|happy|so\s+happy))\b|
    \bwe\s+(?:would|hope|ask|invite|encourage)\b|\bhop(?:e|ing)\s+you\b|\bappreciate\s+it\s+if\b|\bif\s+you\s+could\b|
    \bwould\s+(?:(?:really|truly|so|also|greatly)\s+)?(?:mean|help|make|be\s+(?:great|amazing|appreciated|awesome|wonderful|lovely|fantastic|huge))\b|\b(?:means|helps)\s+(?:a\s+lot|the\s+world|so\s+much)\b|
    \b(?:don{AP}?t|do\s+not)\s+forget\b|\bremember\s+to\b|\bhow\s+about\b|\bwhy\s+not\b|\bgo\s+ahead\b|
    \b(?:pourriez|pouvez|voudriez|accepteriez|auriez|seriez)-vous\b|\bmerci\s+de\b|\bveuillez\b|\bn{AP}hésitez\s+pas\b|
    \bpensez\s+à\b|\bn{AP}oubliez\s+pas\b|\bnous\s+(?:espérons|aimerions|souhaiterions|vous\s+invitons|serions)\b|
    \bje\s+vous\s+invite\b|\bsi\s+vous\s+(?:pouviez|le\s+souhaitez|voulez|avez\s+un\s+moment)\b|
    \b(?:aiderait|aidera|ferait|fera|serait)\b|\bnous\s+aide\b|\bça\s+(?:nous\s+)?aide\b|\bpeut-être\b"""
)
#: the imperative of a giving verb at the start of the clause: "Share your great experience", "Laissez-nous un mot"
_GIVE_IMPERATIVE = _c(
    r"""(?:^|[,;:!.]\s*|\band\s+|\bet\s+|\bthen\s+|\bjust\s+|\bsimply\s+)
    (?:leave|write|post|share|give|drop|tweet|rate|send|spread|add|
       laissez(?:-nous)?|écrivez(?:-nous)?|publiez|partagez|donnez(?:-nous)?|mettez(?:-nous)?|notez(?:-nous)?|postez|
       envoyez(?:-nous)?)\b"""
)
#: the customer's object changed or removed
_CHANGE = _c(
    rf"""\b(?:remov(?:e|ing)|delet(?:e|ing)|edit(?:ing)?|updat(?:e|ing)|chang(?:e|ing)|amend(?:ing)?|revis(?:e|ing)|
        reconsider(?:ing)?|retract(?:ing)?|withdraw(?:ing)?|modify(?:ing)?|rais(?:e|ing)|bump(?:ing)?|hid(?:e|ing)|
        tak(?:e|ing)\s+down|tak(?:e|ing)\s+back|revisit(?:ing)?|adjust(?:ing)?|correct(?:ing)?)\s+
        (?:your|the|this|that|these|those)\s+(?:(?:\w+[\s-]*)?(?:star|negative|bad|angry|public|original|initial|earlier|poor|low|harsh)\s+)?
        (?:{_OBJ_EN})\b
    |\btak(?:e|ing)\s+(?:your|the|this|that|it)\s+(?:{_OBJ_EN}\s+)?down\b
    |\b(?:your|the|this|that)\s+(?:[\w-]+\s+){{0,2}}?(?:{_OBJ_EN})\s+(?:is|has\s+been|gets|got|are|have\s+been)\s+
        (?:removed|deleted|taken\s+down|edited|updated|changed|withdrawn|amended)\b
    |\b(?:votre|vos|ton|tes|ce|cet|cette|ces|le|la|les)\s+(?:[\w-]+\s+){{0,2}}?(?:{_OBJ_FR})(?:\s+[\w-]+){{0,2}}?\s+
        (?:soit|soient|sera|seront|aura\s+été|auront\s+été|ait\s+été|aient\s+été|est|sont|a\s+été)\s+
        (?:modifiée?s?|supprimée?s?|retirée?s?|effacée?s?|changée?s?|enlevée?s?|mise?s?\s+à\s+jour|corrigée?s?|masquée?s?)\b
    |\b(?:modifier|modifiez|supprimer|supprimez|retirer|retirez|changer|changez|effacer|effacez|enlever|enlevez|
        masquer|masquez|revoir|revoyez|réviser|révisez|corriger|corrigez|mettre\s+à\s+jour|mettez\s+à\s+jour|actualiser|
        actualisez|reconsidérer|rehausser|remonter)\s+(?:votre|vos|ton|tes|ce|cet|cette|ces|le|la|les)\s+
        (?:(?:premier|première|précédente?|mauvaise?|négati\w+|sévère|ancien\w*)\s+)?(?:{_OBJ_FR})\b"""
)
#: a trade: the request tied to something else
_TRADE = _c(
    r"""\b(?:if\s+you|once\s+you|once\s+(?:the|your)|when\s+you|as\s+soon\s+as\s+you|in\s+(?:exchange|return)|
    (?:on\s+(?:the\s+)?condition|provided)\s+(?:that\s+)?|à\s+condition\s+que|pourvu\s+que|
    si\s+vous|si\s+tu|une\s+fois|dès\s+que|en\s+échange|en\s+contrepartie|quand\s+vous|lorsque\s+vous)\b"""
)
#: "in exchange for your review", "en échange de votre avis": any review traded
_TRADE_FOR = _c(
    rf"""\b(?:in\s+(?:exchange|return)\s+for|for\s+(?:leaving|writing|posting)|
    en\s+(?:échange|contrepartie)\s+d{AP}?e?|contre|pour)\s+(?:\w+\s+){{0,2}}?(?:{_OBJ_EN}|{_OBJ_FR})\b"""
)
_VALUE = _c(
    r"""\b(?:refund\w*|voucher\w*|discount\w*|credit|free|gift\w*|coupon\w*|points|reward\w*|compensat\w*|offer\w*|
    complimentary|upgrade\w*|\d+\s*%|£\s?\d+|\$\s?\d+|\d+\s?(?:€|\$|£|euros?)|
    rembours\w*|bon\s+d{AP}achat|bon\s+de|réduction|remise|cadeau\w*|offert\w*|offr\w*|gratuit\w*|avoir|geste|dédommag\w*)"""
)
#: asking to remove a post for the customer's own safety (or to move to private) is not suppression
_PRIVACY = _c(
    r"""\b(?:privacy|private|privately|personal|security|secure|safety|safe|protect\w*|confidential\w*|information|info|
    details|number|conf\s*\#|address|e-?mail|phone|card|account|booking|reference|dm|d\.m|inbox|
    confidentialité|sécurité|données|informations|vie\s+privée|protéger|protection|numéro|adresse|coordonnées|
    personnelles?|mp|privé|dossier|billet|photo)\b"""
)
#: thanking for the review is not asking for one
_THANKS = _c(
    rf"""\b(?:thanks?|thank\s+you|many\s+thanks|grateful|appreciate|merci|remerci\w*)\s+(?:\w+\s+){{0,4}}?
    (?:for|pour|de|d{AP})\s*(?:\w+\s+){{0,3}}?(?:{_OBJ_EN}|{_OBJ_FR}|words?|experience|expérience)\b"""
)
#: the business's own object or action ("we updated our post", "nous avons supprimé le message")
_OURS = _c(r"""\b(?:our|notre|nos)\s+(?:\w+\s+)?$""")


#: cheap test first: without one of these stems no rule below can match (the guard runs as the agent types)
_REVIEW_HINTS = (
    "review",
    "rating",
    "rate",
    "star",
    "feedback",
    "comment",
    "post",
    "tweet",
    "messag",
    "word",
    "write",
    "testimon",
    "shout",
    "score",
    "evaluat",
    "mention",
    "recommend",
    "thumbs",
    "marks",
    "avis",
    "note",
    "étoile",
    "publication",
    "mot",
    "témoign",
    "critique",
    "recommand",
    "évaluat",
    "experienc",
    "expérienc",
    "everyone",
    "friends",
    "spread",
    "parl",
    "dites",
    "followers",
    "partag",
    "share",
    "sharing",
    "notez",
)


_WORD = re.compile(r"\w+")
#: the words without which _POSITIVE_OBJECT cannot match (a cheaper test than the pattern itself)
_POSITIVE_WORDS = frozenset(
    [
        "positive",
        "good",
        "great",
        "nice",
        "kind",
        "kinder",
        "nicer",
        "glowing",
        "favourable",
        "favorable",
        "lovely",
        "sweet",
        "wonderful",
        "amazing",
        "awesome",
        "excellent",
        "happy",
        "stellar",
        "shining",
        "raving",
        "rave",
        "warm",
        "top",
        "best",
        "better",
        "higher",
        "perfect",
        "5",
        "10",
        "five",
        "positif",
        "bon",
        "bonne",
        "beau",
        "belle",
        "gentil",
        "gentille",
        "gentils",
        "sympa",
        "sympathique",
        "élogieux",
        "élogieuse",
        "excellente",
        "meilleur",
        "meilleure",
        "jolie",
        "joli",
        "chaleureux",
        "chaleureuse",
        "cinq",
        "something",
        "anything",
        "word",
        "words",
        "mot",
        "mots",
        "quelque",
        "quelques",
        "things",
        "recommend",
        "recommending",
        "recommendation",
        "recommendations",
        "recommandez",
        "recommander",
        "recommandation",
        "recommandations",
        "testimonial",
        "testimonials",
        "témoignage",
        "témoignages",
        "thumbs",
        "marks",
        "maximale",
        "rate",
        "shout",
        "shoutout",
        "shoutouts",
        "agréable",
    ]
)


def review_bargain_span(sentence: str) -> tuple[int, int] | None:
    """Span of a request for a positive review-like object, or for a changed/removed one, or a trade for one."""
    low = sentence.casefold()
    if not any(hint in low for hint in _REVIEW_HINTS):
        return None
    # the candidates first (most sentences have none), then what they need around them
    positive = not _POSITIVE_WORDS.isdisjoint(_WORD.findall(low))
    candidate = _TRADE_FOR.search(sentence) or _CHANGE.search(sentence) or _REVIEW_ASK.search(sentence)
    if not (candidate or (positive and _POSITIVE_OBJECT.search(sentence))):
        return None
    text = _THANKS.sub(lambda m: " " * len(m.group()), sentence)
    trade = _TRADE.search(text) is not None
    asking = _REQUEST.search(text) is not None
    for m in _TRADE_FOR.finditer(text):
        return m.start(), m.end()
    for m in _CHANGE.finditer(text):
        if _PRIVACY.search(text) and not (trade and _VALUE.search(text)):  # a privacy request, nothing traded
            break
        if (
            asking
            or trade
            or _GIVE_IMPERATIVE.search(text[: m.start()] + " ")
            or _CLAUSE_OPEN.search(text[: m.start()])
        ):
            if re.search(
                r"\b(?:we|i|nous|je|j{AP}|on)\s+(?:\w+\s+){0,2}$".replace("{AP}", AP), text[: m.start()], re.I
            ):
                continue
            return m.start(), m.end()
    for m in _POSITIVE_OBJECT.finditer(text) if positive else ():
        before, after = text[: m.start()], text[m.end() :]
        if _OURS.search(before):
            continue
        # asked for: given (a giving verb before it), somewhere public, or what it would do for us
        wanted = _GIVING.search(before[-60:]) or _WOULD_DO.match(after) or _PLATFORM.search(text)
        if not wanted or _PASSED_ON.search(before[-40:]):
            continue
        asked = "?" in text and _PLATFORM.search(text) is not None  # "un petit mot sympa sur Trustpilot ?"
        # a wish for one ("a kinder comment would really help us", "une petite recommandation nous donnerait un coup
        # de pouce"); not "kind words like yours would mean a lot" (thanks for what was said)
        wish = _WOULD_DO.match(after) is not None and re.search(
            r"\b(?:a|an|une?|some|quelques|des)\s+(?:[\w-]+\s+)?$", before, re.IGNORECASE) is not None
        if asking or trade or asked or wish or _GIVE_IMPERATIVE.search(before) or _VALUE.search(text):
            return m.start(), m.end()
    # a public review asked for at all ("leave us a review on Google"); a survey about the conversation is not one
    for m in _REVIEW_ASK.finditer(text):
        before = text[: m.start()]
        if _SURVEY.search(text) or _OURS.search(before) or _ours_to_do(before, nous=False):
            continue
        if asking or trade or _GIVE_IMPERATIVE.search(before + " ") or _CLAUSE_OPEN.search(before):
            return m.start(), m.end()
    return None


_REVIEW_ASK = _c(
    r"""\b(?:leave|leaving|write|writing|post|posting|give|giving|drop|share|submit|add|laisser|laissez|écrire|écrivez|
        rédiger|rédigez|publier|publiez|donner|donnez|déposer|déposez|mettre|mettez)(?:-nous)?\s+(?:us\s+|nous\s+)?
        (?:a\s+|an\s+|some\s+|your\s+|un\s+|une\s+|votre\s+|quelques\s+)?(?:(?:quick|short|honest|little|public|google|
        petit|petite|court|courte)\s+)?(?:reviews?|ratings?|star\s+ratings?|avis|évaluations?|étoiles)\b
        (?!\s+(?:process|team|page|of\s+(?:the|our)))
    |\b(?:review|rate)\s+us\b|\b(?:notez|évaluez)-nous\b|\btell\s+(?:everyone|everybody|all\s+your\s+friends|your\s+friends|
        others|people|the\s+world)(?:\s+about\s+(?:us|it))?\b
    |\b(?:share|sharing|post|posting|partag\w*|publi\w*|racont\w*)\s+(?:your|votre|vos)\s+(?:\w+\s+)?(?:experience|expérience|
        story|histoire|avis)\s+(?:on|sur)\s+(?:\w+\s+){0,2}?(?:google|facebook|tripadvisor|yelp|trustpilot|instagram|twitter|
        page|réseaux|social|app\s+store|linkedin)\b|\bspread\s+the\s+word\b|
        \b(?:parlez|parler|parliez|parlerez|parleriez|dites|dire)\s+(?:du\s+bien\s+)?de\s+nous\s+(?:autour|à\s+(?:vos|tes|votre|ton))
    |\btell\s+(?:your\s+)?(?:friends|followers|family|audience)\s+about\s+us\b"""
)
_SURVEY = _c(r"""\b(?:survey|questionnaire|enquête|sondage|poll)s?\b""")


_GIVING = _c(
    r"""\b(?:leave|leaving|write|writing|post|posting|share|sharing|give|giving|drop|dropping|publish|tweet|tweeting|put|
    spread|say|saying|send|add|rate|see|read|get|love\s+(?:a|an|some|to\s+(?:see|read|get|hear))|appreciate\s+(?:a|an|some)|
    laisser|laissez|écrire|écrivez|publier|publiez|partager|partagez|donner|donnez|mettre|mettez|poster|postez|envoyer|
    envoyez|dire|rédiger|rédigez|recommander|recommandez|attribuer|attribuez)\b(?:\W+\w+){0,6}\W*$"""
)
_WOULD_DO = _c(
    r"""(?:\s+[\w'’-]+){0,5}?\s+(?:would|will|could|might|can|nous|ça|cela)\s+(?:(?:really|truly|so|also|greatly|vraiment|
    beaucoup|tellement)\s+)?(?:help|mean|make|boost|aiderait|aidera|ferait|fera|aide|serait|donnerait|donnera)\b"""
)
_PLATFORM = _c(
    r"""\b(?:google|facebook|tripadvisor|yelp|trustpilot|app\s+store|play\s+store|instagram|linkedin|online|
    social\s+media|réseaux(?:\s+sociaux)?|en\s+ligne|our\s+page|notre\s+page|our\s+profile|notre\s+fiche)\b"""
)
_PASSED_ON = _c(
    r"""\b(?:pass|passed|passing|forward|forwarded|share\s+with|transmett\w*|transmis)\b(?:\W+\w+){0,4}\W*$"""
)


# --- office hours ----------------------------------------------------------------------------------

_TIME = (
    r"""(?:\d{1,2}(?:[:.h]\d{2})?\s*(?:a\.?m\.?|p\.?m\.?)|\d{1,2}(?:[:.]\d{2})?[ap]\b|\d{1,2}[:h]\d{2}|\d{1,2}\s?h\b|
    noon|midnight|midi|minuit)"""
)
#: "9 to 5", "8-20": a range of bare hours (not "1-800-...", not "3-5 business days")
_HOURS = r"""(?:\b\d{1,2}\s*(?:-|–|to)\s*\d{1,2}\b(?![\d-])(?!\s*(?:business|working|days?|weeks?|months?|hours?|hrs?|
    mins?|minutes?|jours?|semaines?|heures?|mois|%|x)))"""
_DAYS = r"""(?:mon|tues|wednes|thurs|fri|satur|sun)days?|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|
    \bm-f\b|\bmon\.?\s*(?:-|–|to|through|thru)\s*(?:fri|sat|sun)\b\.?|\blun\.?\s*(?:-|–|au)\s*(?:ven|sam)\b\.?"""
_SUBJECT_EN = r"""(?:we|we{AP}re|we{AP}ll|they|they{AP}re|they{AP}ll|team|teams|office|offices|agents?|advisors?|
    lines?|phones?|support|desk|department|dept|folks|staff|people|chat|helpline|hotline|help\s*desk|call\s+cent(?:er|re)|switchboard|specialists?|relations|
    reps?|representatives?|someone|somebody|colleagues?|center|centre|service)"""
_STATE_EN = r"""(?:closed|closes|shut|offline|off\s+(?:for|until|till)|away|out\s+of\s+(?:the\s+)?office|
    (?:not|isn{AP}t|aren{AP}t|won{AP}t\s+be)\s+(?:around|available|in|staffed|open|online|here|working|answering)|
    (?:re)?opens?(?:\s+again)?|reopening|takes?\s+calls|
    back\s+(?:in\s+(?:the\s+)?office|online|at\s+(?:work|our\s+desks?)|on\s+deck)|(?<=be\s)back\b|(?<=re\s)back\b|
    (?<=are\s)back\b|in\s+(?:from|at|on|between)|available|staffed|on\s+hand|here|
    open|(?:answer(?:s|ing)?|pick(?:s|ing)?\s+up|work(?:s|ing)?|run(?:s|ning)?|online)(?=\s+(?:from|between|until|till|on\s+weekdays|weekdays|\d|
    (?:on\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)(?:days?)?\b)))"""
_WHEN_EN = rf"""(?:tomorrow|overnight|(?:for|over)\s+the\s+(?:night|day|evening|weekend|holidays?|bank\s+holiday)|
    (?:at|on|over|during)\s+(?:the\s+)?weekends?|weekends?|weekdays?(?:\s+only)?|(?:on\s+)?(?:{_DAYS})|
    in\s+the\s+morning|first\s+thing|(?:from|at|after|before|until|till|between|by)\s+{_TIME}|
    (?:{_TIME}|\d{{1,2}}\.\d{{2}})\s*(?:-|–|—|to|until|till|through|and)\s*(?:{_TIME}|\d{{1,2}}\.\d{{2}})|
    (?:from\s+|between\s+)?{_HOURS}|
    business\s+hours|office\s+hours|working\s+hours)"""
_SUBJECT_FR = r"""(?:nous|on|équipes?|conseill[eè]re?s?|bureaux|services?|lignes?|standard|hotline|agents?|
    service\s+client\w*|plateforme|centre|chargée?s?|experts?|collaborat\w+|techniciens?|ils|elles)"""
_STATE_FR = r"""(?:fermée?s?|ferme|ferment|indisponibles?|injoignables?|
    rouvr\w+|réouverture|ouverte?s?|ouvre|ouvrent|disponibles?|joignables?|
    absente?s?|
    présente?s?|là|fonctionne|fonctionnent|répond\w*|de\s+retour|reviendr\w+(?!\s+vers)|revenons(?!\s+vers)|en\s+ligne|
    en\s+service|repren\w+|
    travaill\w+|
    (?:ne\s+)?sommes\s+pas\s+(?:là|disponibles|présents)|pas\s+disponibles)"""
_WHEN_FR = rf"""(?:demain|ce\s+soir|(?:pour\s+)?la\s+nuit|(?:le|ce|en)\s+week-?end|les\s+week-?ends|en\s+semaine|
    (?:le\s+|dès\s+|ce\s+)?(?:{_DAYS})|matin|(?:à\s+partir\s+de|dès|jusqu{AP}à|après|avant|de|entre)\s+{_TIME}|
    {_TIME}\s*(?:-|–|à)\s*{_TIME}|{_HOURS}|jours\s+fériés|heures\s+(?:de\s+bureau|ouvrables|d{AP}ouverture))"""
_OFFICE_STATE_EN = _c(
    rf"""\b{_SUBJECT_EN}\b(?:\s+(?:[\w'’-]+|\([^()]{{1,30}}\))){{0,4}}?\s+(?:is\s+|are\s+|{AP}s\s+|{AP}re\s+|will\s+be\s+|{AP}ll\s+be\s+|be\s+)?
        (?:(?:now|currently|usually|only|normally|all|still|just)\s+)?{_STATE_EN}\b(?:\s+[\w'’-]+){{0,6}}?\s*,?\s*{_WHEN_EN}
    |(?<!\ba\s)\b(?:call|try|contact|ring|reach\s+out\s+to|message|come\s+back|check\s+back|try\s+again)\s+
        (?:us|again|back|them|the\s+team|our\s+\w+(?:\s+team)?)?\s*(?:again\s+)?{_WHEN_EN}
    |\b(?:earliest|soonest)\s+we\s+can\b
    |(?:\+|\b1[\s-]?)?\b\d{{3,4}}[\s.-]\d{{3}}[\s.-]\d{{3,4}}\b[\s;,.:()–-]{{1,4}}(?:open\s+|from\s+|lines\s+open\s+)?
        (?:(?:{_DAYS})[\s,]*)?(?:{_TIME}\s*(?:-|–|to|until)\s*{_TIME}|{_HOURS})"""
)
_OFFICE_STATE_FR = _c(
    rf"""\b{_SUBJECT_FR}\b(?:\s+(?:[\w'’-]+|\([^()]{{1,30}}\))){{0,4}}?\s+(?:est\s+|sont\s+|sera\s+|seront\s+|sommes\s+|serons\s+|vous\s+|ne\s+sont\s+pas\s+|n{AP}est\s+pas\s+)?
        (?:(?:actuellement|uniquement|seulement|désormais|habituellement|fermé|ouvert)\s+)?{_STATE_FR}\b(?:\s+[\w'’-]+){{0,6}}?\s*,?\s*{_WHEN_FR}
    |\b(?:rappelez|recontactez|réessayez|revenez|rappeler|recontacter|réessayer|revenir)(?:-nous)?\b(?:\s+[\w'’-]+){{0,3}}?\s+{_WHEN_FR}"""
)
_OFFICE_STATE = {"en": _OFFICE_STATE_EN, "fr": _OFFICE_STATE_FR}
#: cheap test first: no time reference, no office-hours finding
_CLOCK_HINT = re.compile(r"\d\s*(?:[:h.]\d|[ap]\.?m\b|h\b|-|–|to\b)", re.IGNORECASE)
_WHEN_WORDS = frozenset(
    [
        "tomorrow",
        "weekend",
        "weekends",
        "weekday",
        "weekdays",
        "week",
        "night",
        "morning",
        "first",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "mondays",
        "tuesdays",
        "wednesdays",
        "thursdays",
        "fridays",
        "saturdays",
        "sundays",
        "hours",
        "overnight",
        "noon",
        "midnight",
        "earliest",
        "soonest",
        "demain",
        "semaine",
        "nuit",
        "matin",
        "lundi",
        "mardi",
        "mercredi",
        "jeudi",
        "vendredi",
        "samedi",
        "dimanche",
        "heures",
        "midi",
        "minuit",
        "fériés",
        "mon",
        "fri",
        "sat",
        "sun",
        "lun",
        "ven",
        "sam",
    ]
)
#: a place's opening times answer a question: not our availability
_PLACE = _c(
    r"""\b(?:stores?|shops?|boutiques?|magasins?|restaurants?|bars?|pool|piscine|gym|spa|museum|musée|lounges?|salon|
    counters?|guichets?|comptoirs?|check-?in|enregistrement|security|sécurité|gates?|portes?|terminal|pharmac\w+|
    branch\w*|agences?|parking|shuttle|navette|train|bus|flight|vol|boarding|embarquement|delivery|livr\w+|install\w+|
    engineer|technicien\s+passera|sale|soldes|promotion|offer|offre|(?:baggage|luggage|ticket|airport)\s+(?:service\s+)?office|
    in\s+(?:winter|summer)|en\s+(?:hiver|été))\b"""
)


def office_hours_span(sentence: str, languages: tuple[str, ...] = ("en", "fr")) -> tuple[int, int] | None:
    """Span of "we/our team/lines + closed/back/open + a time" in one sentence."""
    if _WHEN_WORDS.isdisjoint(_WORD.findall(sentence.casefold())) and _CLOCK_HINT.search(sentence) is None:
        return None
    for lang in languages:
        pattern = _OFFICE_STATE.get(lang)
        m = pattern.search(sentence) if pattern is not None else None
        if m is None or _PLACE.search(sentence):
            continue
        # "we'll be open on Friday": a place opening (a store, a restaurant) unless a clock time says whose hours
        they = re.match(r"they\b", m.group(), re.IGNORECASE) is not None
        if they and _PHONE_OR_ADDRESS.search(sentence) is None and not re.search(
            r"\b(?:call|phone|line|chat)\w*", sentence, re.IGNORECASE
        ):
            continue  # "they're open from 6am": whose hours? A contact point's only beside its number or a call
        ours = re.match(r"(?:we|nous)\b", m.group(), re.IGNORECASE) is not None
        if ours and re.search(r"\bopen|\bouv", m.group(), re.I) and _CLOCK_HINT.search(m.group()) is None:
            continue
        return m.start(), m.end()
    return None


def is_a_place(sentence: str) -> bool:
    """The sentence gives a place's opening times (a store, a pool, a counter), not our availability."""
    return _PLACE.search(sentence) is not None
