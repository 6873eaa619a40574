"""Compiled phrase patterns of the guard, per language (English and French). Compiled once at import."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

_F = re.IGNORECASE | re.VERBOSE
AP = r"['’]"  # apostrophe, straight or curly


def _c(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, _F)


@dataclass(frozen=True, slots=True)
class LangPatterns:
    """Every phrase pattern the rules use, for one language."""

    # office hours
    office_direct: re.Pattern[str]
    office_range: re.Pattern[str]
    office_cue: re.Pattern[str]
    # sending elsewhere
    elsewhere: re.Pattern[str]
    elsewhere_direct: re.Pattern[str]
    elsewhere_lead: re.Pattern[str]
    elsewhere_ok: re.Pattern[str]
    # reviews
    review_always: re.Pattern[str]
    review_post: re.Pattern[str]
    review_bargain_cue: re.Pattern[str]
    privacy_cue: re.Pattern[str]
    # personal data
    data_terms: tuple[tuple[str, re.Pattern[str]], ...]
    request_cue: re.Pattern[str]
    private_cue: re.Pattern[str]
    data_negation: re.Pattern[str]
    # acknowledgement and complaint cues
    acknowledgement: re.Pattern[str]
    complaint_strong: re.Pattern[str]
    complaint_weak: re.Pattern[str]
    praise: re.Pattern[str]
    # blame
    blame: re.Pattern[str]
    # promises
    commitment: re.Pattern[str]
    hedge: re.Pattern[str]


# --- shared pieces ---------------------------------------------------------------------------------

_TIME = (
    r"""(?:\d{1,2}(?:[:.h]\d{2})?\s*(?:a\.?m\.?|p\.?m\.?)|\d{1,2}[:h]\d{2}|\d{1,2}\s?h\b"""
    r"""|noon|midnight|midi|minuit)"""
)
_TIME_RANGE = rf"""{_TIME}\s*(?:-|–|—|to|and|until|till|through|thru|à|a|et|jusqu{AP}à)\s*{_TIME}"""
_DAY_EN = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)"
_DAY_FR = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lun|mar|mer|jeu|ven|sam|dim)"

ROUND_THE_CLOCK = _c(
    r"""24\s*/\s*7|24\s*x\s*7|24\s+hours\s+a\s+day|around\s+the\s+clock|round\s+the\s+clock|
    24\s*h\s*/\s*24|24\s*h\s+sur\s+24|7\s*j\s*/\s*7|7\s+jours\s+sur\s+7|jour\s+et\s+nuit|
    day\s+and\s+night|at\s+any\s+time|à\s+toute\s+heure|at\s+all\s+hours"""
)
MENTION_PREFIX = re.compile(r"^(?:\s*(?:@\w+|\.|[–—-])\s*)*")
GREETING_PREFIX = re.compile(
    r"^(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening)|bonjour|bonsoir|salut|hello)\b[^,.!:;]*[,.!:;]?\s*",
    re.IGNORECASE,
)

EN = LangPatterns(
    office_direct=_c(
        rf"""\b(?:during|within|in|outside(?:\s+of)?|after|before)\s+(?:our\s+|normal\s+|regular\s+|the\s+|usual\s+)*
            (?:business|office|opening|working|operating|operational)\s+hours\b
        |\b(?:business|office|opening|operating|working)\s+hours\s+(?:are|is|:|of|from|between|on|run)\b
        |\b(?:our|the)\s+(?:office|offices|team|teams|agents|department|call\s+cent(?:er|re)|desk|support\s+team)\s+
            (?:is|are)\s+(?:now\s+|currently\s+)?closed\b
        |\bwe{AP}?(?:re|\s+are)\s+(?:now\s+|currently\s+)?closed\b
        |\bwhen\s+(?:our|the)\s+(?:office|offices|team|call\s+cent(?:er|re))\s+(?:re)?opens?\b
        |\bback\s+in\s+the\s+office\b
        |\b(?:first\s+thing|when\s+we{AP}?re\s+back)\s+(?:tomorrow|on\s+monday|in\s+the\s+morning)\b"""
    ),
    office_range=_c(
        rf"""\b{_TIME_RANGE}|\b{_DAY_EN}\.?\s*(?:-|–|to|through|thru)\s*{_DAY_EN}\b|\bweekdays\b|\bon\s+weekends\s+only\b"""
    ),
    office_cue=_c(
        r"""\b(?:available|availability|open|opens|reach|reachable|contact|call|phone|hours|staffed|online|
        here|answer|answering|respond|assist|speak|agents?|team|office|line|lines|support|service)\b"""
    ),
    elsewhere=_c(
        r"""\b(?P<verb>contact(?:ing)?|call(?:ing)?|phon(?:e|ing)|ring(?:ing)?|dial(?:ing)?|reach(?:ing)?\s+out\s+to|
            get(?:ting)?\s+in\s+(?:touch|contact)\s+with|speak(?:ing)?\s+(?:to|with)|talk(?:ing)?\s+(?:to|with)|
            visit(?:ing)?|go(?:ing)?\s+to|head(?:ing)?\s+(?:to|over\s+to)|e-?mail(?:ing)?|check(?:ing)?\s+with|
            see(?:ing)?|ask(?:ing)?|refer(?:ring)?\s+(?:this\s+|it\s+)?to|direct\s+(?:this|your\s+\w+)\s+to|
            write\s+to|send\s+(?:an?\s+e-?mail|it|them|this)\s+to)
        \s+(?:(?:directly|back|them|in\s+person|with|to|at)\s+)*
        (?:(?:the|our|your|a|an|one\s+of\s+our|any\s+of\s+our|their)\s+)?(?:local\s+|nearest\s+|friendly\s+)?
        (?P<target>customer\s+(?:service|care|support|relations)|(?:support|service|help)\s+(?:team|desk|line|cent(?:er|re))
            |tech(?:nical)?\s+support|hotline|help\s*line|help\s*desk|call\s+cent(?:er|re)|care\s+team
            |(?:reservations?|baggage|luggage|sales|billing|refunds?|claims|loyalty|accounts?|customer|specialty|
               relations|ticketing|cargo|vacations|corporate|disability|accessibility|medical|insurance)\s+
               (?:team|department|dept|desk|office|line|service|services|specialists?|agents?|number|cent(?:er|re))
            |lost\s+(?:and|&)\s+found|store|branch|shop|dealer|dealership|retailer|seller|manufacturer|
            airport\s+(?:team|staff|agents?|desk|counter|office|personnel|folks|representatives?|employees?)|travel\s+agen(?:t|cy)|booking\s+agent|agent\s+at\s+the|(?:gate|ticket|airport)\s+agents?|
            ticket\s+counter|counter|phone\s+line|number\s+(?:on|below|above|listed)|
            (?:1[\s-]?)?8\d\d[\s-]\d|\d{3}[\s.-]\d{3}[\s.-]\d{4}|\S+@\S+\.\w+|us\s+(?:at|on|by)\s+(?:phone|telephone|\d|1-)|
            us\s+by\s+e-?mail)"""
    ),
    elsewhere_direct=_c(
        r"""\byou{AP}?(?:ll|\s+will)\s+(?:need|have)\s+to\s+(?:contact|call|reach\s+out\s+to)\s+(?:them|the\s+\w+)\b
        |\b(?:we|I)\s+(?:are|am|{AP}m|{AP}re)\s+(?:unable|not\s+able)\s+to\s+(?:help|assist)\s+(?:with\s+(?:this|that)\s+)?here\b
        |\b(?:we|I)\s+(?:can{AP}?t|cannot|can\s+not|don{AP}?t|do\s+not)\s+(?:help|assist|handle|deal)\s+with\s+(?:this|that|these)\s+(?:here|on\s+(?:twitter|social|this\s+channel))""".replace(
            "{AP}", AP
        )
    ),
    elsewhere_lead=_c(
        r"""(?:^|[,;:.!?(–—-]|\b(?:please|pls|plz|kindly|you(?:{AP}ll|{AP}d|\s+will|\s+would|\s+can|\s+could|\s+may|\s+might|\s+should|\s+must)?
            (?:\s+(?:need|have|want|be\s+able|be\s+best\s+served|be\s+better\s+served|also\s+want|wish))?(?:\s+to)?
        |best\s+to|better\s+to|suggest|recommend|advise|encourage|feel\s+free\s+to|try|be\s+sure\s+to|would\s+need\s+to|
        need\s+to|have\s+to|(?:can|could|would|will)\s+you|simply|just|directly|kindly|then|instead|otherwise)\b)
        \s*(?:that\s+)?(?:you\s+)?(?:to\s+)?(?:please\s+)?$""".replace("{AP}", AP)
    ),
    elsewhere_ok=_c(
        r"""\b(?:dm|d\.m\.|direct\s+message|private\s+message|privately|in\s+private|messenger|inbox|chat|
        us\s+(?:via|by|in|through)\s+(?:dm|direct|private|message|twitter|here|chat)|us\s+here)\b"""
    ),
    review_always=_c(
        r"""\b(?:leave|give|write|post|drop|share|award)\s+(?:us\s+|me\s+)?(?:a\s+|an\s+|some\s+)?(?:5|five)[\s-]*stars?\b
        |\b(?:leave|give|write|post|drop|share)\s+(?:us\s+|me\s+)?(?:a\s+|an\s+|some\s+)?
            (?:positive|good|great|nice|glowing|favou?rable|5[\s-]*star|five[\s-]*star|better|top)\s+
            (?:review|rating|feedback|comment|score)s?\b
        |\brate\s+us\s+(?:5|five|highly|10|ten)\b
        |\b(?:remov\w*|delet\w*|tak(?:e|ing)\s+down|edit\w*|updat\w*|chang\w*|modif\w*|amend\w*|revis\w*|reconsider\w*|
            retract\w*|withdraw\w*|improv\w*|rais(?:e|ing))\s+(?:your|the|this|that)\s+(?:negative\s+|bad\s+|1[\s-]*star\s+|one[\s-]*star\s+|poor\s+|low\s+)?
            (?:review|rating|score|star\s+rating)s?\b
        |\bin\s+(?:exchange|return)\s+for\s+(?:a\s+|your\s+)?(?:positive\s+|good\s+|5[\s-]*star\s+)?(?:review|rating|feedback)\b
        |\b(?:positive|good|5[\s-]*star|five[\s-]*star)\s+(?:review|rating)s?\s+(?:would|will)\s+(?:help|mean|be)\b"""
    ),
    review_post=_c(
        r"""\b(?:remov\w*|delet\w*|tak(?:e|ing)\s+down|edit\w*|updat\w*|chang\w*|modif\w*|amend\w*|retract\w*|
        withdraw\w*|hid(?:e|ing))\s+
        (?:your|the|this|that|these|those)\s+(?:negative\s+|bad\s+|angry\s+|public\s+|original\s+)?
        (?:post|tweet|comment|complaint|message|reply|thread)s?\b"""
    ),
    review_bargain_cue=_c(
        r"""\b(?:if\s+you|once\s+you|as\s+soon\s+as\s+you|in\s+(?:exchange|return)|refund\w*|voucher\w*|compensat\w*|
        discount\w*|credit|free|gift|offer|negative|bad|angry|complaint)\b"""
    ),
    privacy_cue=_c(
        r"""\b(?:privacy|private|personal|security|secure|safety|safe|protect\w*|confidential\w*|information|info|
        details|number|conf\s*\#|\#|address|e-?mail|phone|card)"""
    ),
    data_terms=(
        (
            "booking",
            _c(
                r"""\b(?:booking|reservation|confirmation|confirm|conf\.?|trip|flight\s+booking)\s*(?:ref(?:erence)?s?|numbers?|no\.|
                codes?|\#|id|locators?|details|info(?:rmation)?)(?!\w)|\brecord\s+locator\b|\bpnr\b|\bconf\s*\#|\bconfirmation\s*\#"""
            ),
        ),
        (
            "order",
            _c(
                r"""\b(?:order|ticket|tracking|claim|file|reference|ref|membership|loyalty|frequent\s+fl(?:y|i)er|
                rapid\s+rewards|sky-?\s?miles|aadvantage|mileage\s*plus|executive\s+club|avios|customer|member|imei|serial|voucher|
                receipt|case|claim\s+reference|
                baggage\s+claim|bag\s+tag|tag)\s*(?:numbers?|no\.|\#|id)(?!\w)|
                \b(?:provide|share|send|give|confirm|tell)\s+(?:us\s+|me\s+)?(?:[\w-]+\s+){0,5}?(?:your|a|the)\s+
                (?:rapid\s+rewards|sky-?\s?miles|aadvantage|mileage\s*plus|executive\s+club|loyalty|frequent\s+fl(?:y|i)er)
                \s+(?:account|acct)\b"""
            ),
        ),
        (
            "account",
            _c(
                r"""\baccount\s+(?:number|no\.|\#|id|e-?mail|details|info(?:rmation)?|name|pin|password)(?!\w)|
                \b(?:send|share|provide|give|tell|confirm)\s+(?:us\s+|me\s+)?(?:your\s+|the\s+)?(?:pin|password|passcode)\b|
                \bsecurity\s+(?:code|question|answer)\b|\blogin\s+details\b"""
            ),
        ),
        (
            "email",
            _c(
                r"""(?<!to\s)(?<!to\syour\s)(?:\b(?:e-?mail)\s+address\b|\byour\s+e-?mail\b(?!\s+(?:us|to|inbox)))
                |\be-?mail(?:\s+address)?\s+(?:(?:you\s+)?(?:linked|associated|attached|registered|connected|tied|used|
                signed\s+up)|on\s+(?:the|your)\s+(?:account|booking|order|reservation|profile)|on\s+file)\b"""
            ),
        ),
        (
            "phone",
            _c(
                r"""\b(?:phone|mobile|cell|telephone|contact|callback|call\s*back|home|work)\s*(?:number|no\.|\#)|
                \byour\s+(?:phone|mobile|cell)\s*\#|\bnumbers?\s+(?:we|I)\s+(?:can|could|should)\s+(?:reach|contact|call)\s+you\b|
                \b(?:best|good)\s+(?:contact\s+)?number\s+to\s+(?:reach|call|contact)\s+you\b"""
            ),
        ),
        (
            "card",
            _c(
                r"""\b(?:(?:credit|debit|bank|payment|gift)\s+)?card\s+(?:number|no\.|\#|details|info(?:rmation)?|digits)\b|
                \blast\s+(?:4|four)\s+(?:digits|numbers)\b|\bcvv\b|\bcvc\b|\biban\b|\bbank\s+(?:account|details)\b|
                \bsort\s+code\b|\brouting\s+number\b|\bpayment\s+(?:slip|proof|receipt)s?\b"""
            ),
        ),
        (
            "address",
            _c(
                r"""\b(?:your|home|postal|mailing|shipping|delivery|billing|street|service|full)\s+address\b|
                \bzip\s*code\b|\bzip\b(?!\s*(?:file|folder|archive))|\bpost\s*code\b|\bpostal\s+code\b|\b(?:which|what)\s+(?:delivery\s+|shipping\s+|postal\s+)?address\b"""
            ),
        ),
        (
            "identity",
            _c(
                r"""\bdate\s+of\s+birth\b|\bdob\b|\bpassport\s+(?:number|no\.|details)\b|\b(?:full|legal)\s+name\b|
                \bhow\s+(?:does|is)\s+your\s+name\s+(?:appear|spelled|spelt|written|shown)\b|
                \bdriver{AP}?s\s+licen[cs]e\b|\bsocial\s+security\b|\bssn\b|\bnational\s+id\b|
                \b(?:what|which)\s+name\b|\byour\s+(?:full|last|first|legal|sur)\s*name\b|\byour\s+name\b(?=\s*(?:,|/|&|\?|and\b|$))|\bname\s*/|\bunder\s+(?:which|what|whose)\s+name\b|
                \bname\s+(?:on|of)\s+(?:the|your)\s+(?:booking|account|reservation|card|order|ticket|policy)\b|
                \bname\s+(?:the|your)\s+(?:booking|reservation|account|order|ticket)\s+(?:is|was)\s+(?:under|in)\b""".replace(
                    "{AP}", AP
                )
            ),
        ),
        (
            "contact",
            _c(r"""\bcontact\s+(?:details|info(?:rmation)?)\b"""),
        ),
    ),
    request_cue=_c(
        rf"""\b(?:could|can|would|will)\s+(?:you|u)\b|\bplease\b|\bpls\b|\bplz\b|\bkindly\b|
        (?<!\bwe\s)(?<!\bI\s)\b(?:provide|share|send|tell|give|confirm(?!\s*(?:\#|numbers?|no\.|codes?)\b)|include|
        reply\s+with|respond\s+with|post|tweet|verify|supply|let\s+(?:us|me)\s+know)\b|\bwhat(?:{AP}s|\s+is|\s+was|\s+are)\b|\b(?:we|I)(?:{AP}ll|\s+will)?\s+need\b|
        \b(?:may|can|could)\s+(?:I|we)\s+(?:have|get|ask|grab)\b|\?|
        (?:^|[.!?,;:]|@\w+|\bplease|\bpls|\bjust|\band|\bthen)\s*(?:drop|pop|paste|type|shoot|send\s+over)\b|
        \b(?:pass\s+(?:us|along)|mind\s+(?:sharing|sending|providing|giving|confirming|posting))\b|
        \bin\s+(?:the|this|a)\s+(?:comments?|replies|reply|thread)\b|\bif\s+you\s+(?:have|can|could|know)\b[^.?!]{{0,60}}\b(?:I{AP}ll|we{AP}ll|I{AP}d|we{AP}d|I\s+can|we\s+can|please|happy\s+to|glad\s+to)\b|\bmight\s+you\b"""
    ),
    private_cue=_c(
        r"""\bdm\b|\bdms\b|\bd\.m\b|direct\s+message|private\s+message|privately|in\s+private|
        via\s+(?:message|messenger|chat|dm)|\bmessage\s+(?:us|me)\b|send\s+(?:us|me)\s+a\s+message|\binbox\b|
        \b(?:the|this|following|secure|private)\s+link\b|https?://|
        \bsecure(?:ly|\s+link|\s+form)?\b|\bchat\b|\bpm\b|\bmessenger\b|\bwhatsapp\b|\bprivate\b"""
    ),
    data_negation=_c(
        rf"""\b(?:don{AP}?t|do\s+not|never|no\s+need\s+to|without)\s+(?:\w+\s+){{0,2}}(?:post|share|tweet|include|publish|
        sharing|posting|including|give|giving|send|sending)\b|\b(?:remove|delete|hide)\b|
        \bfor\s+(?:your\s+)?(?:privacy|security|safety|protection)\b|\b(?:isn{AP}?t|there\s+is\s+no|there{AP}s\s+no|
        (?:we|I)\s+(?:don{AP}?t|do\s+not)\s+have|have\s+you\s+tried)\b|
        \b(?:did|were|was|have|has|had)\s+(?:you|they|he|she)\s+(?:\w+\s+){{0,2}}(?:receive|received|get|got|given|give|
        obtain|obtained|issued|provided)\b|
        \bis\s+(?:the|your)\s+(?:[\w-]+\s+){{1,8}}?(?:current|correct|still\s+(?:valid|current|correct)|up\s+to\s+date)\s*\?|
        \b(?:are|is)\s+(?:all\s+)?(?:of\s+)?your\s+[\w-]+\s+(?:on|under)\s+(?:one|the\s+same|a\s+single)\b|
        \(\s*no\s+[^)]{{1,40}}\)|\buse\s+your\s+[\w\s#]{{1,40}}?\bto\s+(?:log\s*in|sign\s+in)\b|
        \b(?:review|check|look\s+(?:at|into|over)|pull\s+up|access)\s+your\s+(?:reservation|booking|account|order)\s+
        (?:details|info(?:rmation)?)\b"""
    ),
    acknowledgement=_c(
        rf"""\bsorry\b|\bsry\b|\bapolog\w*|\bregret\w*|\b(?:we|I)\s+(?:totally\s+|completely\s+|fully\s+|do\s+|can\s+)?
        understand\b|\bunderstandabl\w*|\bfrustrat\w*|\bdisappoint\w*|\binconvenien\w*|\bannoying\b|\bunacceptable\b|
        \bnot\s+(?:the\s+)?(?:experience|service|news|what\s+we|ok|okay|acceptable|good|great|ideal|fun)\b|
        \bwe\s+hear\s+you\b|\boh\s+no\b|\byikes\b|\bugh\b|\bhear\s+(?:about|that|this)\b|
        \b(?:thanks?|thank\s+you|thx)\s+(?:so\s+much\s+|again\s+|very\s+much\s+)?for\s+(?:your\s+)?(?:patience|understanding|bringing|letting\s+us\s+know|
        flagging|reporting|the\s+feedback|feedback|sharing|raising|pointing|making\s+us\s+aware|the\s+heads[\s-]up)|
        \bappreciate\s+(?:your\s+|the\s+)?(?:patience|understanding|feedback|you\s+(?:letting|bringing|sharing|flagging))|
        \b(?:my|our)\s+(?:bad|mistake|fault|error)\b|\bwe\s+(?:messed|dropped\s+the\s+ball)\b|\bconcern\w*|\bempathi\w*|
        \bfeel\s+for\s+you\b|\bcan\s+(?:only\s+)?imagine\b|\bunfortunate\w*|\bshould\s+not\s+have\s+happened\b|
        \bshouldn{AP}?t\s+have\s+happened\b|\b(?:hate|dislike)\s+(?:to\s+hear|hearing|that|delays|when)\b|
        \b(?:don{AP}?t|do\s+not)\s+like\s+(?:to\s+hear|hearing)\b|\b(?:isn{AP}?t|is\s+not|not)\s+what\s+we\s+(?:like|want|expect)\b|
        \b(?:doesn{AP}?t|does\s+not|don{AP}?t)\s+sound\s+(?:good|right|great|fun|ideal)\b|\bsounds?\s+(?:frustrating|awful|terrible|stressful)\b|
        \bwe\s+(?:know|get)\s+(?:how|that|it)\b|\bsad\s+to\s+(?:hear|see|learn)\b|\bwe\s+wish\s+(?:you|your|things)\b|
        \b(?:isn{AP}?t|is\s+not|wasn{AP}?t|was\s+not)\s+(?:ideal|great|good|right|ok|okay|fun)\b|
        \b(?:isn{AP}?t|is\s+not|not)\s+the\s+(?:impression|record|experience|way|trip|journey)\s+we\b|\b(?:missed\s+the\s+mark|fell\s+short|let\s+you\s+down|dropped\s+the\s+ball)\b|
        \b(?:isn{AP}?t|is\s+not|not)\s+the\s+way\s+we\s+want\b|\b(?:isn{AP}?t|is\s+not|not)\s+the\s+\w+\s+\w+\s+we\s+(?:want|expect|like)\b|
        \bhang(?:ing)?\s+in\s+there\b|\bbummer\b|\b(?:don{AP}?t|do\s+not)\s+(?:like|enjoy)\s+(?:delays|that|this|it|hearing|to\s+(?:hear|see))\b|
        \bwe\s+know\s+you{AP}?(?:re|\s+are)\s+(?:ready|eager|anxious|keen|frustrated|upset)\b|\bwe{AP}?(?:re|\s+are)\s+aware\b|
        \bshouldn{AP}?t\s+be\s+happening\b|^\W*(?:@\w+\s+)*understood\b|\b(?:don{AP}?t|do\s+not)\s+mean\s+to\s+(?:disappoint|upset|frustrate)|
        \boh\s+(?:man|dear)\b|\b(?:doesn{AP}?t|does\s+not)\s+sound\s+(?:good|right|fun)\b|\b(?:that{AP}?s|that\s+is)\s+no\s+fun\b|\b(?:feedback|this|it)\s+to\s+heart\b|\bthat{AP}?s\s+(?:awful|terrible|not\s+right|no\s+good)\b|\bwe{AP}?re\s+on\s+it\b"""
    ),
    complaint_strong=_c(
        rf"""\b(?:worst|terrible|awful|horrible|horrendous|disgust\w*|disappoint\w*|unacceptable|ridiculous|pathetic|
        useless|rude\w*|furious|angry|annoy\w*|frustrat\w*|sucks?|shame\w*|outrage\w*|incompeten\w*|appall\w*|
        nightmare|scam\w*|fraud\w*|liars?|lied|wtf|smh|joke|hopeless|garbage|trash|crap\w*|pissed|fed\s+up|
        never\s+again|no\s+one|nobody|still\s+(?:waiting|no|nothing|not|haven{AP}?t|hasn{AP}?t|can{AP}?t|don{AP}?t|doesn{AP}?t)|
        hours?\s+on\s+hold|on\s+hold\s+for|poor\s+(?:service|customer)|bad\s+(?:service|customer|experience)|
        (?:been|was)\s+(?:waiting|charged|overcharged|stranded)|complain\w*)\b|[😡😠🤬😤👎😞😢😭🙄😒💩]"""
    ),
    complaint_weak=_c(
        rf"""\b(?:delay(?:ed|s)?|cancell?ed|cancell?ation|lost|missing|broken|damaged|stranded|overcharged|
        charged\s+twice|(?:hasn{AP}?t|haven{AP}?t|didn{AP}?t|wasn{AP}?t|isn{AP}?t|won{AP}?t|can{AP}?t|doesn{AP}?t|don{AP}?t|
        not)\s+(?:arrive\w*|work\w*|receive\w*|answer\w*|respond\w*|help\w*|load\w*|get|got|been\s+able)|
        fail\w*|poor|bad|waste\w*|mess|error|issue|problem|outage|down|refund|wrong|late|missed)\b"""
    ),
    praise=_c(
        r"""\b(?:thanks?|thank\s+you|thx|great|awesome|amazing|love[ds]?|loving|kudos|shout\s*out|above\s+and\s+beyond|
        extra\s+mile|enjoy\w*|brilliant|excellent|wonderful|fantastic|best\s+(?:airline|crew|service|flight)|
        appreciate\w*|helpful|friendly|perfect|impressed|happy|pleased|delighted)\b|[😀😃😄😁😊😍🥰❤👍🙌👏🎉]"""
    ),
    blame=_c(
        rf"""\bas\s+(?:clearly\s+)?(?:stated|mentioned|outlined|explained|specified|indicated|noted|written|set\s+out|laid\s+out)\s+
            (?:in|on|by)\s+(?:our|the)\s+(?:terms|t\s*&\s*cs?|conditions|polic(?:y|ies)|contract|fare\s+rules|tos|
            terms\s+of\s+(?:service|use|carriage)|terms\s+and\s+conditions|agreement|rules)
        |\bas\s+per\s+(?:our|the)\s+(?:terms|t\s*&\s*cs?|conditions|contract|fare\s+rules|tos)\b
        |\byou\s+should(?:\s+have|{AP}ve|\s+of)\s+(?:(?:read|checked|called|contacted|arrived|booked|bought|purchased|paid|
            informed|told|notified|asked|followed|kept|made|printed|brought|reviewed|confirmed|verified|selected|chose|chosen|
            known|planned|allowed|reported|filed|registered|declared|packed|labell?ed|listened|double[\s-]checked|
            thought|realised|realized|looked|noticed|read)\b|not\b|been\s+more\b)
        |\byou\s+(?:failed|neglected|forgot)\s+to\b
        |\b(?:it{AP}?s|it\s+is|this\s+is|that{AP}?s|that\s+is|was)\s+not\s+our\s+(?:fault|responsibility|problem)\b
        |\bnot\s+our\s+fault\b|\bnot\s+(?:our|my)\s+problem\b|\bthat{AP}?s\s+on\s+you\b
        |\b(?:it{AP}?s|it\s+is|that{AP}?s|that\s+is|was)\s+(?:entirely\s+|solely\s+|clearly\s+)?your\s+(?:own\s+)?
            (?:fault|responsibility|problem|mistake|error)\b|\byour\s+own\s+fault\b
        |\bas\s+(?:I|we)\s+(?:have\s+)?(?:already|previously)\s+(?:said|told\s+you|explained|mentioned|stated)\b
        |\bas\s+(?:I|we)\s+(?:said|told\s+you|explained|mentioned|stated)\s+(?:before|earlier|previously|already)\b
        |\b(?:if\s+you\s+had|had\s+you)\s+(?:read|checked|followed|contacted|called|booked|arrived|listened)\b
        |\byou\s+(?:clearly\s+)?(?:didn{AP}?t|did\s+not)\s+read\b
        |\b(?:which\s+is\s+|it\s+is\s+|it{AP}?s\s+)?clearly\s+(?:stated|states|indicated|indicates|displayed|written|explained)\b"""
    ),
    commitment=_c(
        rf"""(?:(?-i:\bwill\b)|{AP}ll\b|\bshall\b|\bgoing\s+to\b|\bgonna\b|
        \b(?:happy|glad|pleased)\s+to\s+(?:offer|issue|refund|send|provide|give|compensate|credit|add)\b|
        \b(?:can|could)\s+offer\b|\bwould\s+like\s+to\s+offer\b|\b(?:are|am|{AP}re|{AP}m)\s+offering\b|
        \bguarantee\w*|\bpromise\w*|\bentitled\b|\b(?:have|{AP}ve|I{AP}ve|we{AP}ve)\s+(?:issued|processed|sent|added|applied|
        credited|approved|arranged|refunded|compensated|loaded)\b|\bhere{AP}?s\b|\bhere\s+is\b|\benjoy\b)"""
    ),
    hedge=_c(
        rf"""(?:\bnot\b|n{AP}t\b|\bno\b|\bunable\b|\bcannot\b|\bnever\b|\bunfortunately\b|\beligib\w*|\bcheck\w*|
        \bsee\s+if\b|\blook(?:ing)?\s+into\b|\brequest\w*|\bsubmit\w*|\bapply\b|\bpolic(?:y|ies)\b|\bmay\b|\bmight\b|
        \bif\b|\bwhether\b|\bhow\s+to\b|\bprocess\s+for\b|\bstatus\b|\bclaim\b|\bany\b|\bdepend\w*|
        \bapplicable\b|\bdetails\b|\bhope\w*|\bglad\s+to\s+hear\b|\btied\b|\breview\w*|\binfo\b|
        \b(?:team|department|dept)\s+(?:to|for)\b|\bpass\s+(?:this|it)\b)"""
    ),
)

FR = LangPatterns(
    office_direct=_c(
        rf"""\b(?:pendant|durant|en\s+dehors\s+(?:de|des)|hors|aux|dans\s+les|selon\s+(?:nos|les))\s+(?:nos\s+|les\s+)?
            (?:heures|horaires)\s+(?:d{AP}ouverture|ouvrables|de\s+bureau|de\s+travail|de\s+service|habituels|habituelles)
        |\b(?:nos\s+)?(?:heures|horaires)\s+(?:d{AP}ouverture|ouvrables|de\s+bureau)\b
        |\bnos\s+(?:bureaux|conseillers|conseillères|équipes|services|agences?|boutiques?|magasins?)\s+(?:sont|est)\s+
            (?:actuellement\s+|désormais\s+|momentanément\s+)?fermée?s?\b
        |\b(?:le|notre)\s+service(?:\s+client(?:s|èle)?)?\s+est\s+(?:actuellement\s+|désormais\s+)?fermé\b
        |\bnous\s+sommes\s+(?:actuellement\s+|désormais\s+)?fermée?s\b
        |\b(?:à|dès)\s+(?:la|notre)\s+réouverture\b
        |\bdès\s+(?:demain|lundi)\s+matin\b"""
    ),
    office_range=_c(
        rf"""\b{_TIME_RANGE}|\bdu\s+{_DAY_FR}\s+au\s+{_DAY_FR}\b|\b{_DAY_FR}\.?\s*(?:-|–|au)\s*{_DAY_FR}\b|\ben\s+semaine\b"""
    ),
    office_cue=_c(
        r"""\b(?:disponibles?|joignables?|ouverts?|ouvertes?|contacter|appeler|joindre|horaires|heures|conseill[eè]re?s?|
        service|permanence|répondre|répondons|équipes?|ligne|lignes|accessibles?|présents?)\b"""
    ),
    elsewhere=_c(
        rf"""\b(?P<verb>contacter|contactez|appeler|appelez|joindre|joignez|téléphoner\s+(?:à|au)|téléphonez\s+(?:à|au)|
            prendre\s+contact\s+avec|prenez\s+contact\s+avec|écrire\s+(?:à|au)|écrivez\s+(?:à|au)|composer|composez|
            vous\s+rendre\s+(?:en|à|au|aux|dans|sur)|rendez-vous\s+(?:en|à|au|aux|dans|sur)|
            vous\s+adresser\s+(?:à|au|aux)|adressez-vous\s+(?:à|au|aux)|voir\s+avec|voyez\s+avec|
            vous\s+tourner\s+vers|tournez-vous\s+vers|contactez-nous|appelez-nous)
        \s+(?:directement\s+)?(?:(?:le|la|les|l{AP}|notre|nos|votre|vos|un|une|du|des|au|aux|d{AP}un)\s*)?
        (?P<target>service\s+(?:client(?:s|èle)?|consommateurs?|après-vente|réclamations?|commercial|bagages|
            relations?\s+clients?|assistance|technique)|sav\b|hotline|assistance(?:\s+téléphonique)?|conseill[eè]re?s?|
            centre\s+d{AP}appels?|boutique|agence|magasin|point\s+de\s+vente|guichet|comptoir|vendeur|revendeur|
            fabricant|compagnie|aéroport|agent|standard|
            (?:par\s+|au\s+)?(?:téléphone|tél)\b|\d{{2}}[\s.]?\d{{2}}[\s.]?\d{{2}}|39\s?\d{{2}}|3\d{{3}}\b|
            par\s+(?:e-?mail|mail|courrier|courriel)|\S+@\S+\.\w+)"""
    ),
    elsewhere_direct=_c(
        rf"""\b(?:merci\s+de\s+|je\s+vous\s+invite\s+à\s+|nous\s+vous\s+invitons\s+à\s+|veuillez\s+)?
        (?:vous\s+rapprocher|rapprochez-vous)\s+(?:de|du|des|d{AP})(?!\s*nous\b)
        |\bnous\s+ne\s+(?:pouvons|sommes)\s+pas\s+(?:en\s+mesure\s+de\s+)?(?:traiter|gérer|répondre)\s+(?:à\s+)?
            (?:votre\s+demande|cette\s+demande|ce\s+sujet|ce\s+type\s+de\s+demande)\s+(?:ici|sur\s+(?:ce\s+canal|twitter|x|les\s+réseaux))"""
    ),
    elsewhere_lead=_c(
        rf"""(?:^|[,;:.!?(–—-]|\b(?:veuillez|merci\s+de|(?:je\s+vous|nous\s+vous|vous)\s+invit(?:e|ons)\s+à|
        invitons\s+à|invite\s+à|n{AP}hésitez\s+pas\s+à|vous\s+(?:pouvez|devez|pourrez|devrez|pourriez|devriez)|
        il\s+(?:vous\s+)?faut|il\s+faudra|il\s+faudrait|(?:je\s+vous|nous\s+vous)\s+(?:conseille|recommande|suggère|
        conseillons|recommandons|suggérons)\s+de|conseillons\s+de|recommandons\s+de|le\s+mieux\s+est\s+de|mieux\s+vaut|
        pouvez-vous|pourriez-vous|devez|pouvez|pensez\s+à|svp|s{AP}il\s+vous\s+plaît|simplement|directement|ensuite|plutôt)\b)
        \s*$"""
    ),
    elsewhere_ok=_c(
        r"""\b(?:mp|dm|messages?\s+privés?|en\s+privé|message\s+direct|messagerie|conversation\s+privée|
        par\s+message|en\s+message|ici)\b"""
    ),
    review_always=_c(
        rf"""\b(?:laisser|mettre|donner|attribuer|laissez|mettez|donnez|attribuez)(?:-nous)?\s+(?:nous\s+)?
            (?:un|une|des|vos|les)?\s*(?:5|cinq)\s+étoiles\b
        |\b(?:laisser|mettre|donner|rédiger|publier|écrire|laissez|mettez|donnez|rédigez|publiez|écrivez)(?:-nous)?\s+
            (?:nous\s+)?(?:un|une)\s+(?:bon\s+avis|bon\s+commentaire|avis\s+positif|avis\s+favorable|bonne\s+note|
            note\s+positive|commentaire\s+positif|meilleure\s+note|(?:5|cinq)\s+étoiles)
        |\b(?:modifier|supprimer|retirer|changer|mettre\s+à\s+jour|revoir|effacer|enlever|réviser|améliorer|
            modifiez|supprimez|retirez|changez|effacez|enlevez|revoyez|révisez)\s+(?:votre|ton|vos|tes|cet|cette|le|la|les)\s+
            (?:avis|note|évaluation|critique|notation)s?\b
        |\ben\s+(?:échange|contrepartie)\s+d{AP}(?:un|une)\s+(?:bon\s+|bonne\s+)?(?:avis|note|commentaire|évaluation)\b
        |\b(?:un\s+)?(?:bon\s+avis|avis\s+positif|(?:5|cinq)\s+étoiles)\s+(?:nous\s+)?(?:aiderait|aidera|ferait)\b"""
    ),
    review_post=_c(
        r"""\b(?:modifier|supprimer|retirer|changer|effacer|enlever|masquer|modifiez|supprimez|retirez|changez|effacez|
        enlevez|masquez)\s+(?:votre|ton|vos|tes|ce|cet|cette|le|la|les)\s+(?:publication|post|tweet|message|commentaire|
        réclamation)s?\b"""
    ),
    review_bargain_cue=_c(
        r"""\b(?:si\s+vous|si\s+tu|dès\s+que\s+vous|une\s+fois|en\s+échange|en\s+contrepartie|rembours\w*|geste|
        offr\w*|bon\s+d.achat|réduction|dédommag\w*|indemni\w*|gratuit\w*|cadeau|avoir|négati\w*)\b"""
    ),
    privacy_cue=_c(
        r"""\b(?:confidentialité|sécurité|données|informations|vie\s+privée|protéger|protection|numéro|adresse|
        coordonnées|personnelles?)\b"""
    ),
    data_terms=(
        (
            "booking",
            _c(
                rf"""\b(?:numéro|n°|no|num|référence|ref|réf|code)\.?\s+(?:de\s+|du\s+|d{AP})?(?:votre\s+)?
                (?:réservation|dossier|résa|confirmation|voyage|billet|pnr)\b|\bpnr\b"""
            ),
        ),
        (
            "order",
            _c(
                rf"""(?:\b(?:numéro|n°|no|num|référence|ref|réf)\.?\s+(?:de\s+|du\s+|d{AP})?(?:votre\s+)?
                (?:commande|client|contrat|colis|suivi|ligne|abonnée?|adhérente?|fidélité|carte\s+de\s+fidélité|billet|ticket|
                facture|sinistre|imei|série)\b)|\bnuméro\s+imei\b"""
            ),
        ),
        (
            "account",
            _c(
                r"""\b(?:identifiant|login|mot\s+de\s+passe|code\s+(?:secret|pin|confidentiel)|
                informations\s+de\s+(?:compte|connexion)|numéro\s+de\s+compte)s?\b"""
            ),
        ),
        (
            "email",
            _c(
                r"""\badresse\s+(?:e-?mail|mail|électronique|courriel)\b|\b(?:votre|ton)\s+(?:e-?mail|mail|courriel)\b|
                \b(?:e-?mail|mail|courriel)\s+(?:associé|lié|rattaché|utilisé|renseigné|enregistré|indiqué|de\s+(?:votre\s+)?compte)"""
            ),
        ),
        (
            "phone",
            _c(
                r"""\b(?:numéro|n°|no|num)\.?\s+(?:de\s+)?(?:téléphone|tel|tél|portable|mobile|fixe)\b|
                \b(?:votre|ton)\s+(?:téléphone|portable|mobile)\b"""
            ),
        ),
        (
            "card",
            _c(
                r"""\bcarte\s+(?:bancaire|bleue|de\s+crédit|de\s+paiement)\b|\brib\b|\biban\b|\bcoordonnées\s+bancaires\b|
                \b(?:4|quatre)\s+derniers\s+chiffres\b|\bcryptogramme\b"""
            ),
        ),
        (
            "address",
            _c(
                rf"""\badresse\s+(?:postale|complète|de\s+livraison|de\s+facturation|de\s+domicile|d{AP}installation)\b|
                \b(?:votre|ton)\s+adresse\b(?!\s+(?:e-?mail|mail|électronique|courriel))|\bcode\s+postal\b"""
            ),
        ),
        (
            "identity",
            _c(
                rf"""\bdate\s+de\s+naissance\b|\b(?:nom\s+et\s+prénom|prénom\s+et\s+nom|nom\s+complet)\b|
                \bnuméro\s+de\s+(?:passeport|carte\s+d{AP}identité|sécurité\s+sociale)\b|\bpièce\s+d{AP}identité\b|
                \bà\s+quel\s+nom\b|\bau\s+nom\s+de\s+qui\b|\bnom\s+(?:du\s+titulaire|sur\s+la\s+(?:réservation|commande|carte)|
                de\s+(?:la\s+)?réservation)\b"""
            ),
        ),
        ("contact", _c(r"""\b(?:vos|tes)\s+coordonnées\b(?!\s+bancaires)""")),
    ),
    request_cue=_c(
        rf"""\b(?:pourriez|pouvez|auriez|avez)-vous\b|\b(?:pourrais|peux|aurais|as)-tu\b|\bmerci\s+de\b|\bveuillez\b|
        \b(?:indiquez|indiquer|indique|communiquer|communiquez|transmettre|transmettez|envoyer|envoyez|donner|donnez|
        préciser|précisez|confirmer|confirmez|fournir|fournissez|rappeler|rappelez)\b|\bquel(?:le)?s?\s+(?:est|sont)\b|
        \bil\s+(?:nous|me)\s+faut\b|\b(?:nous\s+)?(?:avons|aurons|aurions|aurai|aurais)\s+besoin\b|\ben\s+réponse\b|\bj{AP}ai\s+besoin\b|\?|\bs{AP}il\s+vous\s+pla[iî]t\b|
        \bsvp\b|\bstp\b"""
    ),
    private_cue=_c(
        r"""\bmp\b|\bdm\b|messages?\s+privés?|en\s+privé|message\s+direct|messagerie|conversation\s+privée|
        par\s+message|en\s+message|\bmessenger\b|formulaire\s+sécurisé|lien\s+sécurisé|\bchat\b|\bwhatsapp\b"""
    ),
    data_negation=_c(
        rf"""\b(?:ne|n{AP})\s*(?:\w+\s+){{0,2}}(?:pas|jamais)\b|\bsans\s+(?:\w+\s+)?(?:publier|partager|communiquer|indiquer)\b|
        \b(?:supprim\w*|retir\w*|masqu\w*)\b|\bpour\s+(?:votre|des\s+raisons\s+de)\s+(?:sécurité|confidentialité)\b"""
    ),
    acknowledgement=_c(
        rf"""\bdésolée?s?\b|\bnavrée?s?\b|\bexcus\w*|\bpardon\b|\bregrett\w*|\b(?:nous|je|on)\s+(?:vous\s+|te\s+)?
        compren(?:ons|ds|d)\b|\bcompréhensible\b|\bfrustra\w*|\bdéce\w*|\bdéçu\w*|\bmécontent\w*|\bdésagrément\w*|
        \bgêne\s+occasionnée\b|\b(?:merci|je\s+vous\s+remercie|nous\s+vous\s+remercions)\s+(?:pour|de)\s+(?:votre|ta)\s+
        (?:patience|retour|signalement|compréhension|alerte)\b|\bce\s+n{AP}est\s+pas\s+normal\b|\binadmissible\b|
        \baïe\b|\boh\s+non\b|\bmince\b|\bsincèrement\b|\bmalheureusement\b|\bfâcheu\w*|\bennuyeu\w*|\bcontrariant\b|
        \b(?:notre|mon)\s+erreur\b|\bce\s+n{AP}est\s+pas\s+(?:acceptable|l{AP}expérience)\b|\bnous\s+sommes\s+sur\s+le\s+coup\b"""
    ),
    complaint_strong=_c(
        rf"""\b(?:nul(?:le|s)?|honteu\w*|honte|scandal\w*|inadmissible|inacceptable|lamentable|pitoyable|déçue?s?|
        déception|marre|ras\s+le\s+bol|arnaque\w*|escro\w*|voleurs?|pire|catastroph\w*|n{AP}importe\s+quoi|
        (?:jamais|plus\s+jamais)\s+(?:plus|ça|chez|de)|toujours\s+(?:pas|rien|aucun\w*|en\s+attente|sans)|personne\s+ne|
        aucune\s+réponse|sans\s+réponse|furieu\w*|énervée?|agacée?|insupportable|incompéten\w*|mépris\w*|
        inadmissible|abusé|abus|honteux|minable|déplorable|plainte|réclamation)\b|[😡😠🤬😤👎😞😢😭🙄😒💩]"""
    ),
    complaint_weak=_c(
        rf"""\b(?:panne|retard\w*|annulée?s?|perdue?s?|cassée?s?|endommagée?s?|bloquée?s?|coupée?s?|coupure|
        (?:ne|n{AP})\s*(?:fonctionne|marche|répond|reçois|arrive)\s+(?:pas|plus|toujours\s+pas)|rembours\w*|
        problème|souci|débit\w*|prélev\w*|facturée?|attente|erreur|bug|galère)\b"""
    ),
    praise=_c(
        r"""\b(?:merci|bravo|génial\w*|super|excellent\w*|parfait\w*|top|adore|aime|félicit\w*|formidable|
        sympa|efficace\w*|agréable|ravie?s?|contente?s?|satisfaite?s?)\b|[😀😃😄😁😊😍🥰❤👍🙌👏🎉]"""
    ),
    blame=_c(
        rf"""\b(?:vous\s+auriez|tu\s+aurais)\s+d[ûu]\b
        |\bcomme\s+(?:(?:clairement|bien|déjà)\s+)?(?:indiqué|précisé|stipulé|mentionné|spécifié|écrit|prévu|expliqué)\s+
            (?:dans|par|sur)\s+(?:nos|les|notre|le|la)\s+(?:cgv|cgu|conditions|contrat|règlement|politique|site|faq|mentions)
        |\bconformément\s+(?:à|aux)\s+(?:nos|les|notre)\s+(?:cgv|cgu|conditions|règlement)
        |\b(?:ce\s+n{AP}est|c{AP}est)\s+pas\s+(?:de\s+)?notre\s+(?:faute|responsabilité|ressort|problème)\b
        |\bn{AP}est\s+pas\s+(?:de\s+)?notre\s+(?:faute|responsabilité|problème)\b
        |\b(?:c{AP}est)\s+(?:de\s+)?(?:votre|ta)\s+(?:faute|responsabilité|erreur)\b|\b(?:votre|ta)\s+faute\b
        |\bvous\s+n{AP}aviez\s+qu{AP}à\b|\btu\s+n{AP}avais\s+qu{AP}à\b|\bil\s+vous\s+(?:appartenait|incombait|revenait)\b
        |\bcomme\s+(?:je|nous)\s+(?:vous\s+)?(?:l{AP})?(?:ai|avons)\s+(?:déjà\s+)?(?:dit|indiqué|expliqué|précisé|répété)\b
        |\bcomme\s+déjà\s+(?:dit|indiqué|expliqué|précisé)\b
        |\bvous\s+(?:avez\s+)?(?:omis|négligé)\s+de\b
        |\bsi\s+vous\s+aviez\s+(?:lu|vérifié|consulté|suivi|contacté|appelé|réservé|écouté)\b
        |\bil\s+fallait\s+(?:lire|vérifier|consulter|prévoir|réserver|appeler|nous)\b"""
    ),
    commitment=_c(
        r"""\b(?:je\s+vais|nous\s+allons|on\s+va|allons|vais|vous\s+allez\s+(?:recevoir|être|bénéficier|obtenir)|
        recevrez|serez|sera|obtiendrez|bénéficierez|nous\s+vous\s+(?:offrons|proposons|accordons|rembourserons|
        remboursons|envoyons|faisons)|je\s+vous\s+(?:offre|propose|accorde|rembourse|envoie|fais)|
        on\s+vous\s+(?:offre|rembourse|propose)|garanti\w*|promets|promettons|avons\s+(?:procédé|effectué|émis|validé|
        accordé|lancé|crédité)|ai\s+(?:procédé|effectué|émis|validé|accordé|lancé|crédité)|voici)\b"""
    ),
    hedge=_c(
        rf"""(?:\bne\b|\bn{AP}|\bpas\b|\baucune?\b|\bimpossible\b|\bmalheureusement\b|\béligib\w*|\bvérifi\w*|
        \bvoir\s+si\b|\bdemande\b|\bsi\b|\bpeut-être\b|\bpourrai\w*|\bpolitique\b|\bstatut\b|\bréclamation\b)"""
    ),
)

PATTERNS: Mapping[str, LangPatterns] = {"en": EN, "fr": FR}
PATTERN_LANGUAGES: tuple[str, ...] = ("en", "fr")

# French address forms ("tu" vs "vous").
TU_FORMS = re.compile(rf"\b(?:tu|toi|t{AP}|te|ton|ta|tes|tien|tienne|tiens)(?!\w)|\b\w+-(?:tu|toi)\b", re.IGNORECASE)
TU_FORMS_STRICT = re.compile(rf"\b(?:tu|toi|t{AP}(?=[aeiouyhéèàâê]))(?!\w)|\b\w+-(?:tu|toi)\b", re.IGNORECASE)
VOUS_FORMS = re.compile(r"\b(?:vous|votre|vos|vôtre|vôtres)\b|\b\w+-vous\b", re.IGNORECASE)


@lru_cache(maxsize=256)
def trigger_pattern(triggers: tuple[str, ...]) -> re.Pattern[str]:
    """Whole-word, case-insensitive alternation of workspace trigger words (``word*`` = any ending)."""
    parts = []
    for trig in sorted(triggers, key=len, reverse=True):
        trig = trig.strip()
        if not trig:
            continue
        if trig.endswith("*"):
            parts.append(re.escape(trig[:-1]).replace(r"\ ", r"\s+") + r"\w*")
        else:
            parts.append(re.escape(trig).replace(r"\ ", r"\s+") + r"(?!\w)")
    if not parts:
        return re.compile(r"(?!x)x")
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + ")", re.IGNORECASE)
