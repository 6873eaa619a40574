"""Why each finding matters, in the agent's UI language (English and French)."""

from __future__ import annotations

from collections.abc import Mapping

MESSAGES: Mapping[str, Mapping[str, str]] = {
    "office_hours": {
        "en": "This channel is answered 24/7: pointing the customer to office hours makes them wait "
        "for nothing. Answer now instead.",
        "fr": "Ce canal est suivi 24h/24 et 7j/7 : renvoyer le client vers des horaires de bureau le fait "
        "attendre pour rien. Répondez-lui maintenant.",
    },
    "send_elsewhere": {
        # the advice ("handle it here, or escalate...") is the finding's action line, not repeated here
        "en": "This sends the customer to another contact point without handling their request.",
        "fr": "Ce message renvoie le client vers un autre interlocuteur sans traiter sa demande.",
    },
    "review_bargain": {
        "en": "Asking for a positive review or rating, or trading something for removing or changing "
        "a post, breaks the platforms' rules and can get the account penalised.",
        "fr": "Demander un avis ou une note positive, ou proposer une contrepartie pour retirer ou "
        "modifier une publication, enfreint les règles des plateformes et peut faire sanctionner le compte.",
    },
    "asks_personal_data": {
        "en": "This public reply asks for {what}: the customer may post it for everyone to see. "
        "Move the conversation to private messages first.",
        "fr": "Cette réponse publique demande {what} : le client risque de la publier à la vue de tous. "
        "Passez d'abord en message privé.",
    },
    "echoes_personal_data": {
        "en": "This public reply repeats the customer's personal data ({what}). Remove or mask it.",
        "fr": "Cette réponse publique reprend des données personnelles du client ({what}). Retirez-les ou masquez-les.",
    },
    "no_acknowledgement": {
        "en": "The customer is complaining and the reply neither acknowledges the problem nor apologises.",
        "fr": "Le client se plaint et la réponse ne reconnaît pas le problème et ne s'excuse pas.",
    },
    "blame": {
        "en": "This blames or argues with the customer, in public. Explain what you can do instead.",
        "fr": "Ce passage reproche au client ou argumente avec lui, en public. Dites plutôt ce que vous pouvez faire.",
    },
    "repeated_text": {
        "en": "This customer has already received this same text. Write to them personally.",
        "fr": "Ce client a déjà reçu ce même texte. Adressez-vous à lui personnellement.",
    },
    "repeated_template": {
        "en": "This template was already sent unchanged to this customer. Adapt it to their message.",
        "fr": "Ce modèle a déjà été envoyé tel quel à ce client. Adaptez-le à son message.",
    },
    "wrong_language": {
        "en": "The customer wrote in {customer}, this reply is in {draft}.",
        "fr": "Le client a écrit en {customer}, cette réponse est en {draft}.",
    },
    "too_long": {
        "en": "{count} {unit} for a limit of {limit} on {network}: the network will refuse it. Shorten it by {over}.",
        "fr": "{count} {unit} pour une limite de {limit} sur {network} : le réseau la refusera. Retirez-en {over}.",
    },
    "window_closed": {
        "en": "The network no longer accepts a reply in this conversation{reason}.",
        "fr": "Le réseau n'accepte plus de réponse dans cette conversation{reason}.",
    },
    "unauthorised_promise": {
        # the advice ("ask a supervisor to approve...") is the finding's action line, not repeated here
        "en": "This promises {what}, which needs the “{permission}” permission you do not have.",
        "fr": "Ce passage promet {what}, ce qui demande l'autorisation « {permission} » que vous n'avez pas.",
    },
    "tone_words": {
        "en": "“{word}” is on this workspace's list of words to avoid.",
        "fr": "« {word} » fait partie des mots à éviter de cet espace de travail.",
    },
    "tone_signoff": {
        "en": "Replies must end with a sign-off ({expected}).",
        "fr": "Les réponses doivent se terminer par une signature ({expected}).",
    },
    "tone_address_vous": {
        "en": "This workspace addresses customers as “vous”: “{word}” uses “tu”.",
        "fr": "Cet espace de travail vouvoie les clients : « {word} » est une forme de tutoiement.",
    },
    "tone_address_tu": {
        "en": "This workspace addresses customers as “tu”: “{word}” uses “vous”.",
        "fr": "Cet espace de travail tutoie les clients : « {word} » est une forme de vouvoiement.",
    },
    "tone_emoji": {
        "en": "This workspace does not use emoji in replies.",
        "fr": "Cet espace de travail n'utilise pas d'emoji dans ses réponses.",
    },
}

# Words used inside messages.
TERMS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "lang:en": "English",
        "lang:fr": "French",
        "lang:es": "Spanish",
        "lang:de": "German",
        "lang:it": "Italian",
        "lang:pt": "Portuguese",
        "lang:nl": "Dutch",
        "unit:characters": "characters",
        "unit:graphemes": "characters (graphemes)",
        "unit:x": "characters as X counts them",
        "unit:mastodon": "characters as Mastodon counts them",
        "network:": "this network",
        "reason_prefix": ": ",
        "personal data": "personal data",
        "a refund": "a refund",
        "compensation": "compensation",
        "a voucher": "a voucher",
        "an accepted sign-off": "an accepted sign-off",
    },
    "fr": {
        "lang:en": "anglais",
        "lang:fr": "français",
        "lang:es": "espagnol",
        "lang:de": "allemand",
        "lang:it": "italien",
        "lang:pt": "portugais",
        "lang:nl": "néerlandais",
        "unit:characters": "caractères",
        "unit:graphemes": "caractères (graphèmes)",
        "unit:x": "caractères au compte de X",
        "unit:mastodon": "caractères au compte de Mastodon",
        "network:": "ce réseau",
        "reason_prefix": " : ",
        "personal data": "des données personnelles",
        "a refund": "un remboursement",
        "compensation": "une compensation",
        "a voucher": "un bon d'achat",
        "an accepted sign-off": "une signature acceptée",
    },
}

# What each personal-data request is called in messages, per UI language.
DATA_NAMES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "booking": "a booking reference",
        "order": "an order or ticket number",
        "account": "account details",
        "email": "an e-mail address",
        "phone": "a phone number",
        "card": "card or bank details",
        "address": "a postal address",
        "identity": "identity details",
    },
    "fr": {
        "booking": "une référence de réservation",
        "order": "un numéro de commande ou de billet",
        "account": "des informations de compte",
        "email": "une adresse e-mail",
        "phone": "un numéro de téléphone",
        "card": "des coordonnées bancaires",
        "address": "une adresse postale",
        "identity": "des informations d'identité",
    },
}


def ui_lang(code: str | None) -> str:
    """The message language for a UI language code ("fr-CA" → "fr"); English by default."""
    primary = (code or "en").split("-")[0].split("_")[0].lower()
    return primary if primary in ("en", "fr") else "en"


def message(key: str, lang: str, **params: str) -> str:
    template = MESSAGES[key].get(lang) or MESSAGES[key]["en"]
    return template.format(**params)


def term(key: str, lang: str) -> str:
    return TERMS[lang].get(key) or TERMS["en"].get(key) or key.split(":", 1)[-1]


def language_name(code: str, lang: str) -> str:
    return TERMS[lang].get(f"lang:{code}") or code


def data_name(kind: str, lang: str) -> str:
    return DATA_NAMES[lang].get(kind) or term("personal data", lang)


# --- review sites (review_rules.py) ----------------------------------------------------------------

MESSAGES = {
    **MESSAGES,
    "review_incentive": {
        "en": "This reply offers something of value in answer to a review. Review sites forbid it (Google: no "
        "incentives; Tripadvisor removes responses that offer gifts, services or money). Settle it with the customer "
        "privately, without tying it to the review.",
        "fr": "Cette réponse offre quelque chose en réponse à un avis. Les sites d'avis l'interdisent (Google : aucune "
        "contrepartie ; Tripadvisor retire les réponses qui offrent cadeaux, services ou argent). Réglez-le avec le "
        "client en privé, sans le lier à son avis.",
    },
    "review_change_request": {
        "en": "This reply asks the reviewer to change, update or remove their review or rating. Review sites forbid "
        "it (Google, Tripadvisor, Yelp): say what you changed and let them decide.",
        "fr": "Cette réponse demande à l'auteur de modifier, mettre à jour ou retirer son avis ou sa note. Les sites "
        "d'avis l'interdisent (Google, Tripadvisor, Yelp) : dites ce que vous avez changé et laissez-le décider.",
    },
    "review_personal_data": {
        "en": "A reply to a review is public: it must not reveal the reviewer's personal data ({what}). Remove it.",
        "fr": "Une réponse à un avis est publique : elle ne doit révéler aucune donnée personnelle de son auteur "
        "({what}). Retirez-la.",
    },
    "emoji_refused": {
        "en": "{network} does not accept emoji in replies: remove them.",
        "fr": "{network} n'accepte pas d'emoji dans les réponses : retirez-les.",
    },
}

DATA_NAMES = {
    "en": {**DATA_NAMES["en"], "room": "a room number", "full_name": "their full name"},
    "fr": {**DATA_NAMES["fr"], "room": "un numéro de chambre", "full_name": "son nom complet"},
}
