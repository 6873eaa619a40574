"""Hand-written rules (French and English first, a few words of other languages): urgency, intent cues,
topic keywords, sarcasm, spam. Each rule carries the plain-words reason shown to the agent."""

from __future__ import annotations

import re
from collections.abc import Iterable

from compris.triage.labels import TOPICS

__all__ = [
    "TOPICS",
    "is_question",
    "is_spam",
    "keyword_topics",
    "negative_event",
    "negative_event_elsewhere",
    "politeness_only",
    "praise_cues",
    "request_cues",
    "sarcasm",
    "strong_negative",
    "thanks_cues",
    "urgency_reasons",
]



def _rx(words: Iterable[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w])(?:" + "|".join(words) + r")(?![\w])", re.IGNORECASE)


# --- urgency -------------------------------------------------------------------------------------

_URGENCY: list[tuple[str, re.Pattern[str]]] = [
    (
        "safety",
        _rx(
            [
                r"unsafe",
                r"danger(?:ous)?",
                r"emergency",
                r"smoke",
                r"fire",
                r"bomb",
                r"threat(?:ened)?",
                r"assault(?:ed)?",
                r"harass(?:ed|ment)?",
                r"violen(?:t|ce)",
                r"security issue",
                r"safety",
                r"dangereu(?:x|se)",
                r"urgence",
                r"fumée",
                r"incendie",
                r"feu",
                r"agress(?:é|ée|ion)",
                r"harcèlement",
                r"sécurité",
                r"menac(?:e|é)",
                r"peligro",
                r"emergencia",
                r"notfall",
                r"gefahr",
                # Russian: stems with their endings (опасн-о/-ый/-ая, угрож-ают/-ает...)
                r"опасн\w*",
                r"экстренн\w*",
                r"пожар\w*",
                r"задымлени\w*",
                r"угрож\w*",
                r"угроз[аыу]",
                r"нападени\w*",
                r"избил[аи]?",
                r"домогательств\w*",
                r"насили\w*",
            ]
        ),
    ),
    (
        "accessibility",
        _rx(
            [
                r"wheel ?chair",
                r"disabled",
                r"disability",
                r"blind",
                r"deaf",
                r"reduced mobility",
                r"special assistance",
                r"pmr",
                r"fauteuil roulant",
                r"handicap(?:é|ée|és)?",
                r"mobilité réduite",
                r"aveugle",
                r"sourd(?:e)?",
                r"assistance spéciale",
                r"silla de ruedas",
                r"rollstuhl",
                r"инвалидн\w* коляск\w*",
                r"инвалид\w*",
                r"маломобильн\w*",
                r"слабовидящ\w*",
                r"незрячи\w*",
                r"слабослышащ\w*",
            ]
        ),
    ),
    (
        "medical",
        _rx(
            [
                r"medical",
                r"medication",
                r"medicine",
                r"insulin",
                r"diabetic",
                r"pregnant",
                r"heart attack",
                r"ambulance",
                r"hospital",
                r"allerg(?:y|ic)",
                r"epipen",
                r"oxygen",
                r"sick child",
                r"doctor",
                r"médical(?:e)?",
                r"médicament(?:s)?",
                r"insuline",
                r"diabétique",
                r"enceinte",
                r"hôpital",
                r"allergi(?:e|que)",
                r"malaise",
                r"médecin",
                r"médico",
                r"medikament(?:e)?",
                r"врач\w*",
                r"скор(?:ая|ую|ой) помощ\w*",
                r"больниц\w*",
                r"лекарств\w*",
                r"инсулин\w*",
                r"диабет\w*",
                r"беременн\w*",
                r"аллерги\w*",
                r"приступ(?:а|ом)?",
            ]
        ),
    ),
    (
        "stranded",
        _rx(
            [
                r"stranded",
                r"stuck (?:at|in)",
                r"sleep(?:ing)? (?:at|in) the airport",
                r"nowhere to (?:go|sleep)",
                r"no hotel",
                r"bloqué(?:e|s|es)?(?! (?:à |a |sur |en )?(?:l'|l’)?étape)",
                r"coincé(?:e|s|es)?(?! (?:à |a |sur |en )?(?:l'|l’)?étape)",
                r"dormir à l(?:'|’)aéroport",
                r"sans hôtel",
                r"abandonné(?:e|s|es)?",
                r"varado(?:s)?",
                r"gestrandet",
                r"застрял[аио]?",
                r"застряли",
                r"негде (?:ночевать|спать|переночевать)",
                r"ночуем в аэропорту",
                r"ночую в аэропорту",
            ]
        ),
    ),
    (
        "on site (airport or station)",
        _rx(
            [
                r"(?:i'm|i am|we're|we are|still|currently|sitting|waiting|standing|stuck) (?:\w+ )?"
                r"(?:at|in) (?:the )?(?:airport|gate|terminal|station|check-?in (?:desk|counter)|baggage claim)",
                r"at the (?:gate|check-?in (?:desk|counter)|baggage claim|boarding gate)",
                r"on the (?:tarmac|plane|runway)",
                r"(?:je suis|nous sommes|on est|suis|sommes|toujours|actuellement|encore) (?:\w+ )?"
                r"(?:à|a) (?:l(?:'|’)aéroport|la gare|la porte|l(?:'|’)embarquement|l(?:'|’)enregistrement)",
                r"(?:à|a) la porte d(?:'|’)embarquement",
                r"sur le tarmac",
                r"dans l(?:'|’)avion",
            ]
        ),
    ),
    (
        "time pressure",
        _rx(
            [
                r"tonight",
                r"asap",
                r"a\.s\.a\.p\.?",
                r"right (?:now|away)",
                r"immediately",
                r"urgent(?:ly)?",
                r"as soon as possible",
                r"(?:in|within) (?:the next )?(?:an|one|\d+|two|few) (?:hours?|minutes?|mins?)",
                r"(?:before|by|until|till) (?:tonight|tomorrow|today|this (?:evening|afternoon|morning)|\d+ ?("
                r"?:am|pm))",
                r"(?:leave|leaving|fly|flying|flight|depart\w*|travel\w*|wedding|meeting|interview|funeral|need it|"
                r"need (?:to|it|them) \w+(?: \w+)?) (?:\w+ )?(?:today|tomorrow|tonight|this (?:evening|afternoon))",
                r"(?:today|tomorrow)(?:'s)? (?:flight|trip|departure|wedding|meeting)",
                r"ce soir",
                r"cette nuit",
                r"tout de suite",
                r"immédiatement",
                r"d(?:'|’)urgence",
                r"au plus vite",
                r"au plus tôt",
                r"dès que possible",
                r"(?:dans|d(?:'|’)ici) (?:une|\d+|deux|quelques) (?:heures?|minutes?|min)",
                r"(?:avant|pour|d(?:'|’)ici) (?:ce soir|demain|aujourd(?:'|’)hui|midi|\d+ ?h)",
                r"(?:pars|part|partons|vol|départ|voyage|mariage|rendez-vous|rdv|entretien|besoin) (?:\w+ )?"
                r"(?:aujourd(?:'|’)hui|demain|ce soir)",
                r"demain (?:matin|à \d+|a \d+)",
            ]
        ),
    ),
    (
        "missed connection",
        _rx(
            [
                r"miss(?:ed|ing)? (?:my |our |the )?connect(?:ion|ing flight)",
                r"misconnect(?:ion)?",
                r"rat(?:é|er) (?:ma |notre |la )?correspondance",
                r"correspondance (?:ratée|manquée)",
                r"manqu(?:é|er) (?:ma |notre |la )?correspondance",
                r"perdí (?:mi )?conexión",
                r"anschluss verpasst",
                r"(?:опоздал[аи]?|не успел[аи]?) на (?:пересадку|стыковк[уи]|рейс|поезд)",
                r"(?:пропустил[аи]?|пропущена) (?:пересадк[уа]|стыковк[уа])",
            ]
        ),
    ),
    (
        "flight today",
        _rx(
            [
                r"(?:flight|flying|fly|departure|boarding) (?:is |leaves |departs )?"
                r"(?:today|tonight|in \d+ ?(?:h|hours?|min|minutes?))",
                r"(?:today|tonight)'?s? flight",
                r"(?:in|within) (?:an|one|\d+) hours?",
                r"vol (?:est |part )?(?:aujourd'hui|ce soir|dans \d+ ?(?:h|heures?|min|minutes?))",
                r"(?:aujourd'hui|ce soir) (?:mon|notre) vol",
                r"je pars (?:aujourd'hui|ce soir)",
                r"embarquement (?:dans|à) \d+",
                r"dans (?:une|\d+) heures?",
                r"(?:рейс|вылет|поезд|самол[её]т|посадка|регистрация)\w* (?:уже )?"
                r"(?:сегодня|вечером|ночью|утром|завтра утром|через (?:\d+ )?(?:час\w*|минут\w*))",
                r"(?:сегодня|завтра утром) (?:у меня |у нас )?(?:рейс|вылет|поезд)",
                r"через (?:\d+|один|два|три|пару) час(?:а|ов)?",
            ]
        ),
    ),
    (
        "legal threat",
        _rx(
            [
                r"lawyer",
                r"attorney",
                r"sue",
                r"suing",
                r"lawsuit",
                r"legal action",
                r"court",
                r"small claims",
                r"dot complaint",
                r"department of transportation",
                r"avocat",
                r"poursuivre",
                r"porter plainte",
                r"plainte",
                r"tribunal",
                r"procès",
                r"action en justice",
                r"mise en demeure",
                r"dgccrf",
                r"abogado",
                r"demanda",
                r"anwalt",
                r"klage",
                r"юрист\w*",
                r"адвокат\w*",
                r"(?:в|через) суд\w*",
                r"подам (?:в суд|иск|жалобу)",
                r"иск(?:а|ом|овое)?",
                r"претензи\w*",
                r"роспотребнадзор\w*",
                r"прокуратур\w*",
                r"жалоб\w* в",
            ]
        ),
    ),
]


def urgency_reasons(text: str) -> list[str]:
    """The urgency reasons found in ``text`` (empty list when none)."""
    return [reason for reason, pattern in _URGENCY if pattern.search(text)]


# --- intent cues ---------------------------------------------------------------------------------

_REQUEST = _rx(
    [
        r"rebook",
        r"re-book",
        r"refund(?: me)?",
        r"reimburse",
        r"cancel (?:my|our|the)",
        r"change (?:my|our|the)",
        r"please (?:help|send|call|dm|fix|check|confirm|advise|refund|cancel|change|rebook|let)",
        r"can you",
        r"could you",
        r"would you",
        r"i need",
        r"we need",
        r"i want",
        r"i would like",
        r"i'd like",
        r"help me",
        r"dm me",
        r"call me",
        r"send me",
        r"get me",
        r"put me on",
        r"rembourse(?:z|r|ment)?",
        r"annule(?:z|r)",
        r"changer (?:mon|ma|mes|notre)",
        r"modifier",
        r"pouvez-vous",
        r"pourriez-vous",
        r"merci de",
        r"je (?:veux|voudrais|souhaite)",
        r"j'ai besoin",
        r"aidez-moi",
        r"rappelez-moi",
        r"contactez-moi",
        r"envoyez-moi",
        r"reprogrammer",
        r"reclasser",
        r"reembolso",
        r"cancelar",
        r"necesito",
        r"erstattung",
        r"stornieren",
        r"bitte",
        # Russian: imperatives and "I want / need" (верните деньги, прошу, помогите, хочу вернуть...)
        r"верните",
        r"вернуть (?:деньги|средства|оплату)",
        r"возврат\w* (?:денег|средств|оплаты)",
        r"компенсаци\w*",
        r"прошу",
        r"просьба",
        r"помогите",
        r"помочь",
        r"пожалуйста",
        r"(?:вы )?(?:можете|могли бы)",
        r"подскажите",
        r"объясните",
        r"разберитесь",
        r"исправьте",
        r"замените",
        r"отмените",
        r"перезвоните",
        r"свяжитесь со мной",
        r"напишите мне",
        r"хочу",
        r"хотел[аи]? бы",
        r"мне нужн[оаы]?",
        r"нам нужн[оаы]?",
        r"срочно",
    ]
)
_QUESTION_START = re.compile(
    r"^(?:@\w+\s+)*(?:how|what|when|where|why|who|which|is|are|do|does|did|can|could|will|would|should|has|have|"
    r"comment|quand|où|pourquoi|qui|quel(?:le)?s?|est-ce|combien|peut-on|puis-je|dois-je|"
    r"cómo|cuándo|dónde|por qué|wie|wann|wo|warum|"
    r"как|что|когда|где|почему|зачем|кто|какой|какая|какие|какое|сколько|можно ли|могу ли|есть ли|"
    r"подскажите|скажите)(?![\w])",
    re.IGNORECASE,
)
_PRAISE = _rx(
    [
        r"thank(?:s| you)",
        r"thx",
        r"love",
        r"awesome",
        r"amazing",
        r"great (?:job|service|crew|flight)",
        r"kudos",
        r"shout ?out",
        r"best airline",
        r"well done",
        r"appreciate",
        r"merci",
        r"bravo",
        r"super",
        r"génial(?:e)?",
        r"excellent(?:e)?",
        r"top",
        r"parfait(?:e)?",
        r"au top",
        r"gracias",
        r"danke",
        r"grazie",
        r"obrigad[oa]",
    ]
)
_SPAM = _rx(
    [
        r"follow (?:me|back|us)",
        r"click (?:here|the link)",
        r"free (?:followers|gift|iphone|money)",
        r"win (?:a|an|free)",
        r"giveaway",
        r"promo code",
        r"discount code",
        r"earn \$?\d+",
        r"crypto",
        r"bitcoin",
        r"forex",
        r"casino",
        r"onlyfans",
        r"dm for promo",
        r"check out my",
        r"subscribe to my",
        r"gagnez",
        r"concours",
        r"cliquez ici",
        r"abonnez-vous",
    ]
)
_SARCASM_POSITIVE = _rx(
    [
        r"thanks? (?:a lot|so much|for nothing)",
        r"great",
        r"love(?:ly)?",
        r"awesome",
        r"fantastic",
        r"wonderful",
        r"perfect",
        r"nice",
        r"brilliant",
        r"best",
        r"amazing",
        r"bravo",
        r"merci",
        r"génial",
        r"super",
        r"parfait",
        r"formidable",
    ]
)
_SARCASM_NEGATIVE = _rx(
    [
        r"delay(?:ed)?",
        r"late",
        r"cancel+ed",
        r"lost",
        r"again",
        r"another",
        r"still waiting",
        r"hours?",
        r"no one",
        r"nobody",
        r"stuck",
        r"broken",
        r"never",
        r"retard",
        r"annulé",
        r"perdu(?:e)?",
        r"encore",
        r"toujours pas",
        r"personne",
        r"heures?",
        r"jamais",
        r"bloqué",
    ]
)
_SARCASM_MARKERS = re.compile(
    r"(?:#sarcasm|#not\b|/s\b|🙄|😒|🙃|yeah right|ben voyons|bien sûr\s*\.\.\.|"
    r"thanks for nothing|merci pour rien|as usual|comme d'hab(?:itude)?)",
    re.IGNORECASE,
)


def request_cues(text: str) -> bool:
    return bool(_REQUEST.search(text))


def is_question(text: str) -> bool:
    return "?" in text or bool(_QUESTION_START.search(text.strip()))


def praise_cues(text: str) -> bool:
    """Praise or thanks, not counting the request formulas of politeness ("merci de me répondre", "thanks in
    advance", "s'il vous plaît"): those ask, they do not praise."""
    return bool(_PRAISE.search(_POLITE_FORMULAS.sub(" ", text)))


#: politeness that asks rather than thanks: "merci de me rappeler", "merci d'avance", "thanks in advance"
_POLITE_FORMULAS = re.compile(
    r"(?<![\w])(?:merci (?:de|d(?:'|’)|par avance|à l(?:'|’)avance|pour votre (?:retour|réponse) rapide)"
    r"|thanks? (?:you )?in advance|thanks? for (?:your )?(?:quick |prompt |fast )?(?:reply|response|answer)ing?"
    r"(?= (?:asap|soon|quickly))|(?:please|pls|plz|svp|stp|s(?:'|’)il (?:vous|te) pla[iî]t))(?![\w])",
    re.IGNORECASE,
)
_THANKS = _rx(
    [
        r"thank(?:s| you)",
        r"thx",
        r"many thanks",
        r"cheers",
        r"merci(?: beaucoup| bien| infiniment| mille fois)?",
        r"mille mercis",
        r"grateful",
        r"appreciate(?:d)?",
        r"reconnaissant(?:e)?",
        r"gracias",
        r"danke",
        r"спасибо",
    ]
)


def thanks_cues(text: str) -> bool:
    """The customer thanks (not the "merci de..." / "thanks in advance" that asks for something)."""
    return bool(_THANKS.search(_POLITE_FORMULAS.sub(" ", text)))


def politeness_only(text: str) -> bool:
    """Courtesy around a request ("Merci de me répondre vite svp"): the only thanks are request formulas."""
    return bool(_POLITE_FORMULAS.search(text)) and not thanks_cues(text) and not _PRAISE.search(
        _POLITE_FORMULAS.sub(" ", text)
    )


_STRONG_NEGATIVE = _rx(
    [
        r"worst",
        r"terrible",
        r"horrible",
        r"awful",
        r"appalling",
        r"disgust(?:ing|ed)",
        r"ridiculous",
        r"unacceptable",
        r"pathetic",
        r"useless",
        r"incompetent",
        r"shame(?:ful)?",
        r"scam",
        r"rip-?off",
        r"furious",
        r"angry",
        r"fed up",
        r"sick of",
        r"never again",
        r"hate",
        r"wtf",
        r"f+u+c+k\w*",
        r"shit\w*",
        r"pire",
        r"nul(?:le|s|les)?",
        r"honte(?:ux|use)?",
        r"scandal(?:e|eux|euse)",
        r"inadmissible",
        r"inacceptable",
        r"lamentable",
        r"arnaque\w*",
        r"escroc\w*",
        r"voleurs?",
        r"incompétent\w*",
        r"ras le bol",
        r"ral bol",
        r"marre",
        r"furieu(?:x|se)",
        r"dégoûté(?:e)?",
        r"déçu(?:e)?",
        r"disappointed",
        r"plus jamais",
        r"foutage de gueule",
        r"merde\w*",
        r"putain",
        r"abusé",
        r"n'importe quoi",
    ]
)


def strong_negative(text: str) -> bool:
    """Words that carry anger or disappointment by themselves ("worst", "ridiculous", "honteux", "marre")."""
    return bool(_STRONG_NEGATIVE.search(text))


_URL = re.compile(r"https?://\S+", re.IGNORECASE)


#: selling followers / likes / views: an offer verb or a price near an audience count
_AUDIENCE_SELLING = re.compile(
    r"(?:(?<![\w])(?:buy|get|gain|grow|boost|increase|cheap|real|active|instant|organic|acheter|achetez|obtenez|"
    r"gagnez|boostez|augmentez)(?![\w])(?:\W+\w+){0,4}?\W+(?:followers?|likes|views|subscribers|abonnés|vues|"
    r"j(?:'|’)aime)(?![\w]))"
    r"|(?:\d+\s?k?\+?\s(?:real |active |organic )?(?:followers?|likes|views|subscribers|abonnés|vues)(?![\w])"
    r"(?:\W+\w+){0,6}?\W*(?:\$|€|£|usd|eur|only|just|cheap|price|prix|dm|link|bio|whatsapp|instant|fast))",
    re.IGNORECASE,
)
#: promises of money: "earn $500 a day", "gagnez 1000€ par semaine", "10x your investment"
_MONEY_PROMISE = re.compile(
    r"(?:earn|make|making|gagne[rz]?|gagnez|profit|invest(?:ing)?)(?:\W+\w+){0,3}?\W+[$€£]?\s?\d[\d,.]*\s?k?\s?"
    r"(?:[$€£]|usd|dollars?|euros?)?\s?(?:(?:a|per|par|/|every|chaque)\s?(?:day|week|hour|month|jour|semaine|m"
    r"ois|heure))"
    r"|\d+\s?x (?:your|votre) (?:money|investment|argent|investissement)"
    r"|(?:guaranteed|garanti[es]?) (?:profit|returns?|gains?|rendement)",
    re.IGNORECASE,
)
_CRYPTO = _rx([r"crypto\w*", r"bitcoin", r"btc", r"ethereum", r"eth", r"usdt", r"nft\w*", r"airdrop", r"forex",
               r"binary options?", r"trading signals?", r"token sale", r"presale"])
_PROMO = _rx([r"\d{1,2} ?% (?:off|de réduction|de remise)", r"(?:promo|discount|coupon|voucher) code", r"code promo",
              r"limited (?:time )?offer", r"offre limitée", r"dm (?:me|us) for", r"link in (?:my )?bio",
              r"lien (?:dans|en) bio", r"whatsapp (?:me|\+?\d)", r"telegram (?:me|@|\+)", r"click (?:the )?link"])


def is_spam(text: str) -> bool:
    """Promotional or link-bait posts, by their structure: selling an audience (followers, likes), promising money,
    crypto with a call to act, promotions with a link or a contact, or links with hardly any words."""
    if _SPAM.search(text) or _AUDIENCE_SELLING.search(text) or _MONEY_PROMISE.search(text):
        return True
    urls = _URL.findall(text)
    if _PROMO.search(text) and (urls or re.search(r"[@#]\w+|\+\d{6,}|dm|bio", text, re.IGNORECASE)):
        return True
    if _CRYPTO.search(text) and (urls or _PROMO.search(text) or re.search(r"\b(?:join|invest|earn|gagne)", text, re.I)):
        return True
    if len(urls) < 2:
        return False
    words = re.findall(r"[^\W\d_]{2,}", _URL.sub(" ", re.sub(r"[@#]\w+", " ", text)))
    return len(words) < 4


_NEGATIVE_EVENT = _rx(
    [
        r"cancel+ed",
        r"delayed",
        r"stranded",
        r"stuck",
        r"lost",
        r"missing",
        r"broken",
        r"damaged",
        r"never arrived",
        r"no one (?:answers|helps|responds)",
        r"nobody (?:answers|helps|responds|cares)",
        r"still waiting",
        r"annulé(?:e|s|es)?",
        r"bloqué(?:e|s|es)?",
        r"coincé(?:e|s|es)?",
        r"perdu(?:e|s|es)?",
        r"en retard",
        r"cassé(?:e|s|es)?",
        r"endommagé(?:e|s|es)?",
        r"jamais (?:reçu|arrivé)",
        r"toujours pas",
        r"personne ne",
        r"aucune? (?:réponse|nouvelle|information)",
        r"honte(?:ux)?",
        r"scandal(?:e|eux)",
        r"inadmissible",
    ]
)
#: the same in the other languages (Spanish, German, Russian): ``problems.reported_problem`` reads French and
#: English by meaning and falls back on these elsewhere
_NEGATIVE_EVENT_ELSEWHERE = _rx(
    [
        r"cancelado",
        r"perdido",
        r"retrasado",
        r"storniert",
        r"verloren",
        r"verspätet",
        # Russian, by verb stem and ending rather than by phrase: "not received / delivered / come" in any person,
        # and gender (не получил/-а/-и, не доставлен/-а/-о/-ы, не пришёл/пришла/пришло/пришли, не дошёл...),
        # "still not" (до сих пор не, так и не, всё ещё нет), cancelled, lost, charged twice, broken, late, no answer
        r"(?:не|ни разу не) (?:получил\w*|доставил\w*|доставлен\w*|привезл\w*|привез[её]н\w*"
        r"|приш[её]л|пришл[аои]|пришли|дош[её]л|дошл[аои]|дошли"
        r"|вернул\w*|возвращ\w*|зачислен\w*|зачислил\w*|работает|работают|включается)",
        r"(?:до сих пор|так и|вс[её] ещ[её]|всё еще) (?:не|нет)",
        r"отмен(?:ил[аи]?|ен[аоы]?|[её]н|ят)",
        r"отмена (?:рейса|заказа|поезда)",
        r"потерял[аи]?",
        r"потеряли",
        r"потерян\w*",
        r"утерян\w*",
        r"пропал[аио]?",
        r"исчез\w*",
        r"(?:списали|сняли|списал[аио]?|снял[аио]?) (?:деньги |оплату )?(?:дважды|два раза|повторно|лишн\w*)",
        r"(?:двойн\w*|повторн\w*) (?:списани\w*|оплат\w*|платеж\w*|платёж\w*)",
        r"сломан\w*",
        r"слома\w*",
        r"разбит\w*",
        r"поврежд[её]н\w*",
        r"бракованн\w*",
        r"брак",
        r"задерж(?:ка|ки|ку|али|ан\w*|ивают)",
        r"опаздыва\w*",
        r"просрочен\w*",
        r"(?:никто|никого) не (?:отвечает|отвечают|ответил|помог\w*|перезвонил\w*|решил\w*)",
        r"не (?:отвечает|отвечают|ответил[аи]?|перезвонил[аи]?|реагиру\w*)",
        r"нет ответа",
        r"без ответа",
        r"игнорир\w*",
        r"обман\w*",
        r"безобрази\w*",
        r"позор\w*",
        r"возмутительн\w*",
        r"кошмар\w*",
        r"ужасн\w*",
    ]
)


def negative_event(text: str) -> bool:
    """A failure word is there (cancelled, stranded, lost, "personne ne répond"...): a cue, not a reading (see
    ``problems.reported_problem``, which reads French and English by meaning)."""
    return bool(_NEGATIVE_EVENT.search(text) or _NEGATIVE_EVENT_ELSEWHERE.search(text))


def negative_event_elsewhere(text: str) -> bool:
    """A failure word of a language other than French and English (Spanish, German, Russian)."""
    return bool(_NEGATIVE_EVENT_ELSEWHERE.search(text))


def sarcasm(text: str) -> bool:
    """Praise words around a failure ("Great, another 3 hour delay. Thanks a lot") or explicit markers."""
    if _SARCASM_MARKERS.search(text):
        return True
    return bool(_SARCASM_POSITIVE.search(text)) and len(_SARCASM_NEGATIVE.findall(text)) >= 2


# --- topics --------------------------------------------------------------------------------------

_TOPIC_KEYWORDS: dict[str, re.Pattern[str]] = {
    "delay": _rx(
        [
            r"delay(?:ed|s)?",
            r"late(?:r)?",
            r"late flight(?:r)?",
            r"hours? late",
            r"still waiting",
            r"on time",
            r"retard(?:é|ée|s)?",
            r"en retard",
            r"attente",
            r"retraso",
            r"verspätung",
            r"ritardo",
            r"vertraging",
            r"задерж\w*",
            r"опозда\w*",
            r"опаздыва\w*",
            r"долго ждать",
            r"жд[уеё]м? уже",
        ]
    ),
    "cancellation": _rx(
        [
            r"cancel+(?:ed|ation|led)?",
            r"cancelled flightr?",
            r"annul(?:é|ée|és|ation|er)",
            r"supprimé",
            r"cancelado",
            r"storniert",
            r"annulliert",
            r"cancellato",
            r"geannuleerd",
            r"отмен\w*",
        ]
    ),
    "baggage": _rx(
        [
            r"bag(?:s|gage)?",
            r"luggage",
            r"suitcase",
            r"carry-?on",
            r"baggage claim",
            r"bagage(?:s)?",
            r"valise(?:s)?",
            r"soute",
            r"equipaje",
            r"maleta",
            r"gepäck",
            r"koffer",
            r"bagaglio",
            r"bagagem",
            r"багаж\w*",
            r"чемодан\w*",
            r"сумк[аиуе]",
        ]
    ),
    "refund": _rx(
        [
            r"refund(?:ed|s)?",
            r"reimburs(?:e|ed|ement)",
            r"money back",
            r"compensation",
            r"voucher",
            r"rembours(?:é|ée|er|ez|ement)",
            r"indemnisation",
            r"dédommagement",
            r"avoir",
            r"reembolso",
            r"erstattung",
            r"rimborso",
            r"terugbetaling",
            r"reembolso",
            r"возврат\w*",
            r"верн(?:ите|уть) (?:деньги|средства)",
            r"компенсаци\w*",
        ]
    ),
    "booking/payment": _rx(
        [
            r"book(?:ing|ed)?",
            r"reservation",
            r"ticket(?:s)?",
            r"fare",
            r"payment",
            r"charged",
            r"credit card",
            r"website",
            r"app",
            r"check-?in",
            r"seat(?:s)?",
            r"upgrade",
            r"invoice",
            r"bill(?:ing)?",
            r"réservation",
            r"réserver",
            r"billet(?:s)?",
            r"paiement",
            r"prélev(?:é|ement)",
            r"débité(?:e)?",
            r"facture",
            r"enregistrement",
            r"site",
            r"reserva",
            r"buchung",
            r"prenotazione",
            r"boeking",
            r"оплат\w*",
            r"списал\w*",
            r"списани\w*",
            r"бронировани\w*",
            r"бронь",
            r"сняли деньги",
            r"карт[аыу] (?:списал\w*|не проходит)",
        ]
    ),
    "delivery": _rx(
        [
            r"deliver(?:y|ed)?",
            r"package",
            r"parcel",
            r"shipping",
            r"shipment",
            r"tracking",
            r"courier",
            r"order(?:ed)?",
            r"livr(?:aison|é|ée|er)",
            r"colis",
            r"commande",
            r"suivi",
            r"expédition",
            r"entrega",
            r"paquete",
            r"lieferung",
            r"paket",
            r"consegna",
            r"bezorging",
            r"pakket",
            r"доставк\w*",
            r"доставлен\w*",
            r"доставил\w*",
            r"посылк\w*",
            r"заказ\w*",
            r"курьер\w*",
            r"трек\w*",
            r"пункт выдачи",
            r"не приш[её]л",
            r"не пришл[аои]",
        ]
    ),
    "customer service": _rx(
        [
            r"customer service",
            r"customer care",
            r"on hold",
            r"hold music",
            r"hung up",
            r"no (?:one|answer|response)",
            r"call cent(?:er|re)",
            r"agent",
            r"support",
            r"phone line",
            r"nobody (?:answers|responds)",
            r"service client",
            r"conseiller(?:s)?",
            r"en attente",
            r"personne ne répond",
            r"pas de réponse",
            r"injoignable",
            r"hotline",
            r"atención al cliente",
            r"kundenservice",
            r"servizio clienti",
            r"klantenservice",
            r"поддержк\w*",
            r"оператор\w*",
            r"не отвеча\w*",
            r"горяч\w* лини\w*",
            r"служб\w* (?:поддержки|заботы)",
        ]
    ),
    "staff": _rx(
        [
            r"flight attendant(?:s)?",
            r"crew",
            r"pilot",
            r"gate agent",
            r"staff",
            r"employee(?:s)?",
            r"rude",
            r"steward(?:ess)?",
            r"hôtesse(?:s)?",
            r"personnel",
            r"équipage",
            r"employé(?:e|s)?",
            r"impoli(?:e)?",
            r"désagréable",
            r"azafata",
            r"personal",
            r"personale",
            r"сотрудник\w*",
            r"персонал\w*",
            r"хамств\w*",
            r"нагруби\w*",
            r"продав\w*",
        ]
    ),
    "product quality": _rx(
        [
            r"broken",
            r"seat(?:s)? (?:broken|dirty)",
            r"dirty",
            r"wifi",
            r"wi-fi",
            r"entertainment",
            r"food",
            r"meal",
            r"legroom",
            r"uncomfortable",
            r"quality",
            r"defective",
            r"faulty",
            r"doesn'?t work",
            r"not working",
            r"cassé(?:e)?",
            r"sale",
            r"repas",
            r"qualité",
            r"défectueu(?:x|se)",
            r"en panne",
            r"ne marche pas",
            r"ne fonctionne pas",
            r"débit",
            r"connexion",
            r"réseau",
            r"roto",
            r"kaputt",
            r"брак",
            r"бракованн\w*",
            r"сломан\w*",
            r"сломал\w*",
            r"не работает",
            r"качеств\w*",
            r"разбит\w*",
        ]
    ),
}


def keyword_topics(text: str) -> dict[str, int]:
    """Number of keyword hits per topic (only topics with hits)."""
    hits = {topic: len(p.findall(text)) for topic, p in _TOPIC_KEYWORDS.items()}
    return {t: n for t, n in hits.items() if n}
